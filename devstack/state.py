"""Keeps the local AWS state on disk, so the local stack survives a restart.

moto keeps everything in memory. Every few seconds, and on a clean stop, the
table's items and the bucket's objects are written to a folder; at start they
are put back. Objects are written only when their ETag changed.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class StateStore:
    def __init__(self, directory: Path, dynamodb, s3, table: str, bucket: str):
        self.directory = directory
        self.objects_dir = directory / "objects"
        self.dynamodb, self.s3, self.table, self.bucket = dynamodb, s3, table, bucket

    @property
    def _items_file(self) -> Path:
        return self.directory / "table-items.json"

    @property
    def _index_file(self) -> Path:
        return self.directory / "objects.json"

    def exists(self) -> bool:
        return self._items_file.exists()

    def save(self) -> None:
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        index = json.loads(self._index_file.read_text()) if self._index_file.exists() else {}
        current: dict[str, dict[str, str | None]] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for obj in page.get("Contents", []):
                key, etag = obj["Key"], obj["ETag"]
                if index.get(key, {}).get("etag") == etag and (self.objects_dir / quote(key, safe="")).exists():
                    current[key] = index[key]
                    continue
                response = self.s3.get_object(Bucket=self.bucket, Key=key)
                _write_atomically(self.objects_dir / quote(key, safe=""), response["Body"].read())
                current[key] = {
                    "etag": etag,
                    "content_type": response.get("ContentType"),
                    "content_encoding": response.get("ContentEncoding"),
                }
        items = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.table):
            items.extend(page.get("Items", []))
        # Objects first, then the index and items that refer to them.
        _write_atomically(self._index_file, json.dumps(current).encode())
        _write_atomically(self._items_file, json.dumps(_encode(items)).encode())
        for stale in set(index) - set(current):
            (self.objects_dir / quote(stale, safe="")).unlink(missing_ok=True)

    def restore(self) -> tuple[int, int]:
        """Put the saved items and objects back; (items, objects) restored."""
        if not self.exists():
            return 0, 0
        index = json.loads(self._index_file.read_text()) if self._index_file.exists() else {}
        for key, meta in index.items():
            extra = {"ContentType": meta["content_type"]} if meta.get("content_type") else {}
            if meta.get("content_encoding"):
                extra["ContentEncoding"] = meta["content_encoding"]
            body = (self.objects_dir / quote(key, safe="")).read_bytes()
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
        items = _decode(json.loads(self._items_file.read_text()))
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            self.dynamodb.batch_write_item(RequestItems={self.table: batch})
        return len(items), len(index)

"""The file blob store: objects are files under one folder, written atomically.

A write goes to a temporary file that is synced and then renamed over the
target, so a reader sees the old object or the new one, never a part, and a
crash loses nothing once `put` returned. Presigned URLs point at the API
itself (`/_local/blobs/<key>`), signed with a key kept in the state folder
and valid until they expire, like S3's.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import os
import secrets
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, urlencode

BLOB_ROUTE = "/_local/blobs"


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomically(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_directory(path.parent)


def _signing_key(path: Path) -> bytes:
    """The state folder's URL-signing key, made once (first writer wins)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        time.sleep(0.05)  # another process is writing it
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(32))
        handle.flush()
        os.fsync(handle.fileno())
    return path.read_bytes()


def content_headers(key: str) -> tuple[str, str | None]:
    """(content type, content encoding) of an object, from its name: `x.json.gz` -> json, gzip."""
    content_type, encoding = mimetypes.guess_type(key, strict=False)
    return content_type or "application/octet-stream", encoding


class FileBlobStore:
    def __init__(self, root: Path, public_url: str, signing_key_path: Path):
        self.root = root
        self.public_url = public_url.rstrip("/")
        self._key = _signing_key(signing_key_path)
        root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """The file of an object key; keys cannot leave the store's folder."""
        parts = key.split("/")
        if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"invalid object key {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        # Content type and encoding follow from the key's suffixes (see content_headers).
        write_atomically(self.path(key), body)

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def copy(self, source_key: str, target_key: str) -> None:
        target = self.path(target_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            shutil.copyfile(self.path(source_key), temporary)
        except FileNotFoundError:
            raise KeyError(source_key) from None
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        _fsync_directory(target.parent)

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        """Every object whose key starts with `prefix` (prefixes here end in '/')."""
        folder = self.path(prefix.rstrip("/"))
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        elif not prefix.endswith("/"):
            for path in folder.parent.glob(f"{folder.name}*"):
                path.unlink(missing_ok=True)

    # -- presigned URLs, served by the API (api.routers.local_blobs) ---------------------------
    def _signature(self, key: str, expires: int) -> str:
        return hmac.new(self._key, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def presigned_get_url(self, key: str, expires_seconds: int = 900) -> str:
        expires = int(time.time()) + expires_seconds
        query = urlencode({"expires": expires, "signature": self._signature(key, expires)})
        return f"{self.public_url}{BLOB_ROUTE}/{quote(key)}?{query}"

    def verify(self, key: str, expires: int, signature: str) -> bool:
        """A presigned URL's parameters: signed by this store and not expired."""
        return expires >= time.time() and hmac.compare_digest(self._signature(key, expires), signature)

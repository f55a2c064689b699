"""Dataset metadata in the local database (content in the file store), with its reference count."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from ...domain.errors import Conflict, NotFound
from ...domain.stores import DatasetRecord
from .sqlite import Database
from .store_db import _session_exists

_DATASET_COLUMNS = "key, ds_id, ds_type, creation_datetime, tables, object_key, size_bytes, refs, created_by"
_SELECT_DATASET = f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE tenant = ? AND session_id = ? AND key = ?"


def _dataset_from(row: sqlite3.Row) -> DatasetRecord:
    return DatasetRecord(
        row["key"],
        row["ds_id"],
        row["ds_type"],
        row["creation_datetime"],
        orjson.loads(row["tables"]),
        row["object_key"],
        row["size_bytes"],
        row["refs"],
        row["created_by"],
    )


def _dataset_values(tenant: str, session_id: str, record: DatasetRecord) -> tuple[Any, ...]:
    return (
        tenant,
        session_id,
        record.key,
        record.ds_id,
        record.ds_type,
        record.creation_datetime,
        orjson.dumps(record.tables).decode(),
        record.object_key,
        record.size_bytes,
        record.refs,
        record.created_by,
    )


_INSERT_DATASET = (
    f"INSERT OR REPLACE INTO datasets (tenant, session_id, {_DATASET_COLUMNS}) VALUES ({', '.join('?' * 11)})"
)


class SqliteDatasets:
    """Datasets' metadata."""

    def __init__(self, database: Database):
        self._db = database

    def list_datasets(self, tenant: str, session_id: str) -> list[DatasetRecord]:
        rows = self._db.read(
            f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE tenant = ? AND session_id = ? ORDER BY key",
            (tenant, session_id),
        )
        return [_dataset_from(row) for row in rows]

    def get_dataset(self, tenant: str, session_id: str, key: str) -> DatasetRecord | None:
        row = self._db.read_one(_SELECT_DATASET, (tenant, session_id, key))
        return None if row is None else _dataset_from(row)

    def put_dataset(self, tenant: str, session_id: str, record: DatasetRecord, overwrite: bool) -> DatasetRecord | None:
        """Store dataset metadata; returns the record it replaced (see domain.stores.DatasetStore)."""
        with self._db.write() as db:
            if not _session_exists(db, tenant, session_id):
                raise NotFound("session not found")
            row = db.execute(_SELECT_DATASET, (tenant, session_id, record.key)).fetchone()
            previous = None if row is None else _dataset_from(row)
            if previous is not None and not overwrite:
                raise Conflict(f"a dataset named '{record.key}' already exists")
            if previous is not None and previous.refs:
                raise Conflict(f"dataset '{record.key}' is used by scenarios; delete them before replacing it")
            db.execute(_INSERT_DATASET, _dataset_values(tenant, session_id, record))
        return previous

    def delete_dataset(self, tenant: str, session_id: str, key: str) -> DatasetRecord:
        with self._db.write() as db:
            row = db.execute(
                f"DELETE FROM datasets WHERE tenant = ? AND session_id = ? AND key = ? AND refs = 0 "
                f"RETURNING {_DATASET_COLUMNS}",
                (tenant, session_id, key),
            ).fetchone()
            if row is None:
                refs = db.execute(
                    "SELECT refs FROM datasets WHERE tenant = ? AND session_id = ? AND key = ?",
                    (tenant, session_id, key),
                ).fetchone()
                if refs is None:
                    raise NotFound(f"dataset '{key}' not found")
                raise Conflict(f"dataset '{key}' is used by {refs[0]} scenario(s); delete them first")
        return _dataset_from(row)

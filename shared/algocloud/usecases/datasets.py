"""Datasets of a session: stored once as columnar JSON, read whole, by page, or as a download.

A dataset is a metadata record (the dataset store) and objects (the blob store, at the keys
storage_layout names). Stored objects never change: a new version of a key is a new object,
and the record is switched to it in one conditional write, so a reader never sees half of one.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from .. import storage_layout as layout
from ..domain import accounts as usage
from ..domain import pages
from ..domain.config import AppConfig
from ..domain.datasource import STORED_FORMAT, DataSource, stored_to_json
from ..domain.errors import Conflict, DataFormatError, NotFound
from ..domain.etl import EtlMessage, UploadedFile
from ..domain.identity import PrincipalKind
from ..domain.names import clean_name
from ..domain.pages import TableRows, build_pages, page_read, page_rows, stored_tables
from ..domain.ports import BlobStore
from ..domain.stores import DatasetRecord
from .scope import TenantScope


def read_dataset(config: AppConfig, blobs: BlobStore, object_key: str) -> DataSource:
    """The dataset stored at `object_key`, loaded with the application's data-source class."""
    return config.datasource_cls.from_stored(layout.read_stored(blobs, object_key))


@cache
def _seed_payloads(config: AppConfig) -> tuple[tuple[DataSource, bytes], ...]:
    """The seed datasets and their stored form, built once per container (needs pandas)."""
    return tuple((ds, ds.to_stored_bytes()) for ds in config.seed_datasets())


@dataclass(frozen=True)
class DatasetDownload:
    """A dataset for GET …/data/{key}: its JSON in the body, or a URL when too large."""

    body: bytes | None = None
    gzipped: bool = False
    url: str | None = None


@dataclass(frozen=True)
class TableSlice:
    """Rows of a table from an offset, and how many rows the table has."""

    rows: list[dict[str, Any]]
    total: int


@dataclass(frozen=True)
class EtlOutcome:
    """What an ETL did: the dataset it wrote (when it succeeded), the keys now, its messages."""

    dataset_name: str
    success: bool
    keys: list[str]
    messages: list[EtlMessage]


class Datasets:
    def __init__(self, scope: TenantScope, pages_now: bool = False):
        """`pages_now`: write a new dataset's paged form as it is stored (the worker, for a large
        dataset); else it is written on the first read of its tables or rows, so an ETL answered
        within the request does not wait for it (a bounded cost: such a dataset is small)."""
        self.scope, self.pages_now = scope, pages_now
        self.tenant, self.stores, self.blobs, self.config = scope.tenant, scope.stores, scope.blobs, scope.config

    # -- reading ----------------------------------------------------------------------------
    def record(self, session_id: str, key: str) -> DatasetRecord:
        record = self.stores.datasets.get_dataset(self.tenant, session_id, key)
        if record is None:
            raise NotFound(f"dataset '{key}' not found")
        return record

    def keys(self, sid: str) -> list[str]:
        return self.keys_of(self.scope.session(sid).id)

    def keys_of(self, session_id: str) -> list[str]:
        return [d.key for d in self.stores.datasets.list_datasets(self.tenant, session_id)]

    def tables(self, sid: str, key: str) -> Mapping[str, Any]:
        """The dataset's tables (name -> rows, columns, dtypes), from its paged form's index."""
        session = self.scope.session(sid)
        return self._pages_index(self.record(session.id, key))["tables"]

    def rows(self, sid: str, key: str, table: str, offset: int, limit: int) -> TableSlice:
        """Rows [offset, offset + limit) of a table: one ranged read (two with the index)."""
        session = self.scope.session(sid)
        record = self.record(session.id, key)
        entry = self._pages_index(record)["tables"].get(table)
        if entry is None:
            raise NotFound(f"dataset '{key}' has no table '{table}'")
        read = page_read(entry, offset, limit)
        try:
            body = (
                b""
                if read is None
                else self.blobs.get_range(layout.pages_prefix(record.object_key) + entry["file"], read.start, read.end)
            )
        except KeyError:  # replaced or deleted since the lookup
            raise NotFound(f"dataset '{key}' changed while it was read; read it again") from None
        return TableSlice([] if read is None else page_rows(body, read, limit), entry["rows"])

    def download(self, sid: str, key: str, max_bytes: int, gzip_ok: bool) -> DatasetDownload:
        """The DataSource JSON of a dataset (gzip when `gzip_ok`), or a presigned URL of it
        when the body would be over `max_bytes`."""
        session = self.scope.session(sid)
        record = self.record(session.id, key)
        plain = zipped = None
        if record.size_bytes <= max_bytes * (8 if gzip_ok else 1):  # else surely too large: skip the work
            plain = stored_to_json(layout.read_stored(self.blobs, record.object_key))
            if not gzip_ok and len(plain) <= max_bytes:
                return DatasetDownload(body=plain)
            if gzip_ok:
                zipped = gzip.compress(plain, compresslevel=1)
                if len(zipped) <= max_bytes:
                    return DatasetDownload(body=zipped, gzipped=True)
        return DatasetDownload(url=self._download_url(record, plain, zipped))

    def _download_url(self, record: DatasetRecord, plain: bytes | None, zipped: bytes | None) -> str:
        """A presigned URL of the dataset's Algomancy JSON (gzip), written on first use from
        what the caller already made, if anything."""
        target = layout.download_key(record.object_key)
        if not self.blobs.exists(target):
            if zipped is None:
                if plain is None:
                    plain = stored_to_json(layout.read_stored(self.blobs, record.object_key))
                zipped = gzip.compress(plain, compresslevel=1)
            self.blobs.put(target, zipped, "application/json", "gzip")
        return self.blobs.presigned_get_url(target)

    def check_exists(self, sid: str, key: str) -> None:
        """NotFound unless the session has the dataset (for its data-parameter descriptors)."""
        self.record(self.scope.session(sid).id, key)

    # -- writing ----------------------------------------------------------------------------
    def seed_records(self, session_id: str) -> list[DatasetRecord]:
        """The application's seed datasets stored for a new session (records not yet written)."""
        return [self._store_objects(session_id, ds, stored) for ds, stored in _seed_payloads(self.config)]

    def delete(self, sid: str, key: str) -> None:
        session = self.scope.session(sid)
        self._delete_objects(self.stores.datasets.delete_dataset(self.tenant, session.id, key))

    def derive(self, sid: str, key: str, new_key: str) -> list[str]:
        session = self.scope.session(sid)
        record = self.record(session.id, key)
        new_key = clean_name(new_key, "new_key", "new_key")
        if self.stores.datasets.get_dataset(self.tenant, session.id, new_key) is not None:
            raise Conflict(f"a dataset named '{new_key}' already exists")
        source = read_dataset(self.config, self.blobs, record.object_key)
        self._save(session.id, source.derive(new_key), overwrite=False)
        return self.keys_of(session.id)

    def import_json(self, sid: str, payload: bytes, event_id: str | None = None) -> list[str]:
        """from-json: register the payload under the key it names (its metadata.name)."""
        session = self.scope.session(sid)
        ds = self.config.datasource_cls.from_json(payload)
        try:
            self._save(session.id, ds, overwrite=True, read_bytes=len(payload), event_id=event_id)
        except (TypeError, ValueError, OverflowError) as exc:  # values no table can store
            raise DataFormatError(f"the data source cannot be stored: {exc}") from None
        return self.keys_of(session.id)

    def etl(
        self, sid: str, dataset_name: str, files: Sequence[UploadedFile], event_id: str | None = None
    ) -> EtlOutcome:
        session = self.scope.session(sid)
        dataset_name = clean_name(dataset_name, "dataset_name", "dataset_name")
        if self.config.etl is None:
            raise DataFormatError("this application takes no file uploads (it has no ETL)")
        result = self.config.etl.run(files, dataset_name)
        if result.datasource is not None:
            read_bytes = sum(len(file.content) for file in files)
            self._save(session.id, result.datasource, overwrite=True, read_bytes=read_bytes, event_id=event_id)
        return EtlOutcome(dataset_name, result.success, self.keys_of(session.id), result.reported_messages())

    def _save(
        self, session_id: str, ds: DataSource, overwrite: bool, read_bytes: int = 0, event_id: str | None = None
    ) -> None:
        """Store the dataset, and count it: the bytes stored, and the rows and bytes read to build it
        (once per `event_id`: an ingestion job's id, or a new one for a request)."""
        ds.name = clean_name(ds.name, "a dataset key", "metadata.name")
        record = self._store_objects(session_id, ds, ds.to_stored_bytes())
        try:
            previous = self.stores.datasets.put_dataset(self.tenant, session_id, record, overwrite=overwrite)
        except BaseException:
            self._delete_objects(record)
            raise
        if previous is not None:
            self._delete_objects(previous)
        increments: dict[str, float] = {usage.BYTES_STORED: record.size_bytes}
        if read_bytes:
            rows = sum(len(ds.get_table(name)) for name in ds.list_tables())
            increments |= {usage.BYTES_INGESTED: read_bytes, usage.ROWS_INGESTED: rows}
        self.scope.meter(usage.day_of(None), event_id or f"dataset:{uuid.uuid4().hex}", increments)

    def _store_objects(self, session_id: str, ds: DataSource, stored: bytes) -> DatasetRecord:
        key = layout.new_dataset_key(self.tenant, session_id)
        self.blobs.put(key, stored, "application/json")
        if self.pages_now:
            self._write_pages(key, ds.table_rows(pages.CHUNK_ROWS))
        return DatasetRecord(
            key=ds.name,
            ds_id=ds.id,
            ds_type=str(ds.ds_type),
            creation_datetime=str(ds.creation_datetime),
            tables=ds.list_tables(),
            object_key=key,
            size_bytes=len(stored),
            created_by=None if self.scope.principal.kind == PrincipalKind.SYSTEM else self.scope.principal.actor,
        )

    def _delete_objects(self, record: DatasetRecord) -> None:
        self.blobs.delete([record.object_key, layout.download_key(record.object_key)])
        self.blobs.delete_prefix(layout.pages_prefix(record.object_key))

    # -- the paged form ---------------------------------------------------------------------
    def _write_pages(self, object_key: str, tables: Iterable[TableRows]) -> dict[str, Any]:
        """The paged form of a stored dataset (the index last: its presence means complete)."""
        index, bodies = build_pages(tables)
        prefix = layout.pages_prefix(object_key)
        for name, body in bodies.items():
            self.blobs.put(prefix + name, body, "application/json")
        self.blobs.put(layout.pages_index_key(object_key), orjson.dumps(index), "application/json")
        return index

    def _pages_index(self, record: DatasetRecord) -> dict[str, Any]:
        """The index of a dataset's paged form, made now for datasets stored without one
        (copies, older versions)."""
        try:
            return orjson.loads(self.blobs.get(layout.pages_index_key(record.object_key)))
        except KeyError:
            pass
        try:
            document = orjson.loads(layout.read_stored(self.blobs, record.object_key))
        except KeyError:  # replaced or deleted since the lookup
            raise NotFound(f"dataset '{record.key}' changed while it was read; read it again") from None
        if document.get("format") != STORED_FORMAT:  # stored before the columnar form
            document = orjson.loads(self.config.datasource_cls.from_stored(orjson.dumps(document)).to_stored_bytes())
        return self._write_pages(record.object_key, stored_tables(document))

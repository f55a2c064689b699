"""Use cases of the HTTP contract, for one tenant: the API's handlers call these.

Composes the domain (config, scenarios, data sources) with the repository,
the blob store and the run queue. Raises domain errors only; the HTTP layer
maps them to status codes. No boto3 here: the adapters are passed in.
"""

from __future__ import annotations

import gzip
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from .domain import accounts as usage
from .domain import pages
from .domain.compare import MAX_SCENARIOS, MIN_SCENARIOS, compare
from .domain.config import AppConfig
from .domain.cursors import Cursors
from .domain.datasource import STORED_FORMAT, DataSource, stored_to_json
from .domain.errors import Conflict, DataFormatError, InvalidRequest, NotFound
from .domain.etl import EtlResult, UploadedFile
from .domain.names import clean_name, normal_form
from .domain.pages import TableRows, build_pages, page_read, page_rows, stored_tables
from .domain.ports import Accounts, BlobStore, DatasetRecord, KeyGateway, Repository, RunQueue, SessionRecord
from .domain.scenario import RUN_FIELDS, Scenario, Status, now_iso
from .run_message import RunMessage

DEFAULT_SESSION_NAME = "main"
CANCELLED = "cancelled"  # the error of a cancelled run (no new status: polling loops still end)
INLINE_RESULT_LIMIT = 256 * 1024  # bytes of result JSON kept in the item (items max 400 KB)
GZIP_MAGIC = b"\x1f\x8b"

_bootstrapped: set[tuple[int, str]] = set()  # (repository, tenant) seen bootstrapped in this container
_bootstrap_lock = threading.Lock()


class ServiceUnavailable(Exception):
    """A dependency (the queue) refused the request; the client may retry."""


def session_prefix(tenant: str, session_id: str) -> str:
    """Every S3 object of a session lives under this prefix (so deleting it is one sweep)."""
    return f"tenants/{tenant}/sessions/{session_id}/"


def results_prefix(tenant: str, session_id: str, scenario_id: str) -> str:
    return f"{session_prefix(tenant, session_id)}results/{scenario_id}/"


def result_object_key(tenant: str, session_id: str, scenario_id: str, run_id: str) -> str:
    return f"{results_prefix(tenant, session_id, scenario_id)}{run_id}.json"


def dataset_object(ds: DataSource) -> bytes:
    """How a dataset is stored: its columnar JSON (see DataSource.to_stored_bytes)."""
    return ds.to_stored_bytes()


def _stored_bytes(blobs: BlobStore, object_key: str) -> bytes:
    body = blobs.get(object_key)
    return gzip.decompress(body) if body[:2] == GZIP_MAGIC else body  # objects of older versions: gzip


def read_dataset(config: AppConfig, blobs: BlobStore, object_key: str) -> DataSource:
    """The dataset stored at `object_key`, loaded with the application's data-source class."""
    return config.datasource_cls.from_stored(_stored_bytes(blobs, object_key))


def pages_prefix(object_key: str) -> str:
    """Where the paged form of a stored dataset is kept (domain.pages)."""
    return object_key.removesuffix(".json.gz").removesuffix(".json") + ".pages/"


def download_key(object_key: str) -> str:
    """Where the Algomancy JSON (gzip) of a stored dataset is kept once a download asked for it."""
    return object_key.removesuffix(".json.gz").removesuffix(".json") + ".download.json.gz"


@dataclass(frozen=True)
class DatasetDownload:
    """A dataset for GET …/data/{key}: its JSON in the body, or a URL when too large."""

    body: bytes | None = None
    gzipped: bool = False
    url: str | None = None


@cache
def _seed_payloads(config: AppConfig) -> tuple[tuple[DataSource, bytes], ...]:
    """The seed datasets and their stored form, built once per container (needs pandas)."""
    return tuple((ds, dataset_object(ds)) for ds in config.seed_datasets())


MAX_LIST_PAGE = 1000


def page_of[T](
    items: Sequence[T],
    key: Callable[[T], tuple[str, str]],
    limit: int | None,
    cursor: str | None,
    cursors: Cursors,
    scope: str,
) -> tuple[list[T], str | None]:
    """Items after `cursor` (in `key` order, which `items` is in), at most `limit`, and the cursor
    of the next page (None at the end). A cursor is the key of a page's last item, so pages stay
    right when items are added or deleted meanwhile; it is bound to `scope` (domain.cursors)."""
    start = 0
    if cursor is not None:
        after = cursors.decode(scope, cursor)
        start = next((index for index, item in enumerate(items) if key(item) > after), len(items))
    if limit is None:
        return list(items[start:]), None
    page = list(items[start : start + limit])
    more = start + limit < len(items)
    return page, cursors.encode(scope, key(page[-1])) if more else None


def usage_report(
    accounts: Accounts,
    keys: KeyGateway | None,
    tenant_id: str,
    first_day: str | None = None,
    last_day: str | None = None,
) -> dict[str, Any]:
    """A tenant's usage per day (days with nothing counted left out), with the API requests API
    Gateway counted for its keys where it counts them (else `api_requests` is null)."""
    first, last = usage.day_range(first_day, last_day)
    days = {day.day: day.to_dict() for day in accounts.usage(tenant_id, first, last)}
    key_ids = [key.key_id for key in accounts.keys_of(tenant_id)] if keys is not None else []
    requests = keys.requests(key_ids, first, last) if keys is not None and key_ids else None
    for day, count in (requests or {}).items():
        if count:
            days.setdefault(day, usage.UsageDay(tenant_id, day, {}).to_dict())
    listed = [days[day] | {"api_requests": None if requests is None else requests.get(day, 0)} for day in sorted(days)]
    totals: dict[str, Any] = {name: sum(day[name] for day in listed) for name in usage.COUNTERS}
    totals["api_requests"] = None if requests is None else sum(requests.values())
    return {"tenant": tenant_id, "from": first, "to": last, "days": listed, "totals": totals}


@dataclass
class ScenarioService:
    config: AppConfig
    repo: Repository
    blobs: BlobStore
    queue: RunQueue
    tenant: str
    accounts: Accounts

    @property
    def cursors(self) -> Cursors:
        return Cursors(self.repo.secret("page-cursors"))

    def meter(self, day: str, event_id: str, increments: dict[str, float]) -> None:
        """Count a usage event of this tenant (once per event id)."""
        self.accounts.count(self.tenant, day, event_id, increments)

    # -- object keys ------------------------------------------------------------------
    def _session_prefix(self, session_id: str) -> str:
        return session_prefix(self.tenant, session_id)

    def _dataset_object_key(self, session_id: str) -> str:
        return f"{self._session_prefix(session_id)}datasets/{uuid.uuid4()}.json"

    # -- tenants and sessions -----------------------------------------------------------
    def is_bootstrapped(self) -> bool:
        """Whether this container has seen the tenant bootstrapped (no I/O)."""
        return (id(self.repo), self.tenant) in _bootstrapped

    def ensure_tenant(self) -> None:
        """First request of a tenant: create its default session with the seed data.

        Idempotent when cold starts race: the marker is written in the same
        transaction as the session, conditionally, so only one wins.
        """
        cache_key = (id(self.repo), self.tenant)
        if cache_key in _bootstrapped:
            return
        with _bootstrap_lock:
            if cache_key not in _bootstrapped and not self.repo.tenant_exists(self.tenant):
                self._create_default_session(mark_tenant=True)
            _bootstrapped.add(cache_key)

    def _create_default_session(self, mark_tenant: bool) -> None:
        session = SessionRecord(str(uuid.uuid4()), DEFAULT_SESSION_NAME)
        records = [self._store_payload(session.id, ds, stored) for ds, stored in _seed_payloads(self.config)]
        try:
            created = self.repo.create_session(self.tenant, session, records, mark_tenant=mark_tenant)
        except Conflict:
            created = False  # someone else made it meanwhile: theirs stands
        if not created:
            self.blobs.delete_prefix(self._session_prefix(session.id))

    def sessions(self) -> dict[str, Any]:
        return self.sessions_page()[0]

    def sessions_page(self, limit: int | None = None, cursor: str | None = None) -> tuple[dict[str, Any], str | None]:
        """The reference's list (a page of it with `limit`), and the next page's cursor."""
        sessions = self.repo.list_sessions(self.tenant)  # in (created_at, id) order
        page, following = page_of(
            sessions, lambda s: (s.created_at, s.id), limit, cursor, self.cursors, f"{self.tenant}/sessions"
        )
        return {
            "sessions": [s.to_dict() for s in page],
            "default": sessions[0].id if sessions else None,
        }, following

    def session(self, id_or_name: str) -> SessionRecord:
        session = self.repo.find_session(self.tenant, normal_form(id_or_name))
        if session is None:
            raise NotFound(f"session '{id_or_name}' not found")
        return session

    def create_session(self, display_name: str) -> dict[str, Any]:
        display_name = clean_name(display_name, "a session name", "display_name")
        self.repo.create_session(self.tenant, SessionRecord(str(uuid.uuid4()), display_name))
        return self.sessions()

    def rename_session(self, id_or_name: str, display_name: str) -> dict[str, str]:
        display_name = clean_name(display_name, "a session name", "display_name")
        return self.repo.rename_session(self.tenant, self.session(id_or_name), display_name).to_dict()

    def copy_session(self, id_or_name: str, new_display_name: str) -> dict[str, Any]:
        """Copy everything under a new session, made visible in one final transaction."""
        source = self.session(id_or_name)
        new_display_name = clean_name(new_display_name, "a session name", "new_display_name")
        if self.repo.find_session(self.tenant, new_display_name) is not None:
            raise Conflict(f"a session named '{new_display_name}' already exists")
        target = SessionRecord(str(uuid.uuid4()), new_display_name)
        source_prefix, target_prefix = self._session_prefix(source.id), self._session_prefix(target.id)

        def copy_object(key: str) -> str:
            new_key = target_prefix + key.removeprefix(source_prefix)
            self.blobs.copy(key, new_key)
            return new_key

        try:
            self.repo.copy_session_contents(self.tenant, source.id, target.id, copy_object)
            self.repo.create_session(self.tenant, target)
        except BaseException:
            self.repo.purge_session(self.tenant, target.id)
            self.blobs.delete_prefix(target_prefix)
            if self.repo.find_session(self.tenant, source.id) is None:  # deleted while we copied
                raise NotFound(f"session '{id_or_name}' was deleted while it was being copied") from None
            raise
        return self.sessions()

    def delete_session(self, id_or_name: str) -> dict[str, Any]:
        session = self.session(id_or_name)
        self.repo.delete_session(self.tenant, session)
        self.repo.purge_session(self.tenant, session.id)
        self.blobs.delete_prefix(self._session_prefix(session.id))
        if not self.repo.list_sessions(self.tenant):
            self._create_default_session(mark_tenant=False)
        return self.sessions()

    # -- scenarios ------------------------------------------------------------------------
    def scenario_dict(
        self, session_id: str, scenario: Scenario, load_result: bool, inline_budget: int | None = None
    ) -> dict[str, Any]:
        """Wire form. A result kept in storage is loaded (one read) or linked: always in
        lists, and when its JSON is over `inline_budget` bytes."""
        wire = self.config.scenario_dict(scenario)
        if scenario.result_ref and scenario.status == Status.COMPLETE:
            raw = self.blobs.get(scenario.result_ref) if load_result else None
            if raw is not None and (inline_budget is None or len(raw) <= inline_budget):
                wire["result"] = orjson.loads(raw)
            else:
                wire["result_url"] = self.blobs.presigned_get_url(scenario.result_ref)
        return wire

    def _scenario(self, session_id: str, scenario_id: str) -> Scenario:
        scenario = self.repo.get_scenario(self.tenant, session_id, scenario_id)
        if scenario is None:
            raise NotFound(f"scenario '{scenario_id}' not found")
        return scenario

    def list_scenarios(
        self, sid: str, budget: int | None = None, link: Callable[[str], str] | None = None
    ) -> list[dict[str, Any]]:
        return self.list_scenarios_page(sid, budget, link)[0]

    def list_scenarios_page(
        self,
        sid: str,
        budget: int | None = None,
        link: Callable[[str], str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Every scenario (a page of them with `limit`, and the next page's cursor), results
        included while the list's JSON fits `budget` bytes.

        Past the budget (a Lambda response is at most 6 MB) a result is left out
        and `result_url` (from `link`) says where to read it.
        """
        session = self.session(sid)
        scenarios = self.repo.list_scenarios(self.tenant, session.id)  # in (created_at, id) order
        page, following = page_of(
            scenarios,
            lambda s: (s.created_at, s.id),
            limit,
            cursor,
            self.cursors,
            f"{self.tenant}/sessions/{session.id}/scenarios",
        )
        listed, spent = [], 2  # the brackets
        for scenario in page:
            wire = self.scenario_dict(session.id, scenario, load_result=False)
            if budget is not None:
                size = len(orjson.dumps(wire)) + 1
                if wire["result"] is not None and spent + size > budget:
                    wire["result"] = None
                    wire["result_url"] = link(scenario.id) if link else None
                    size = len(orjson.dumps(wire)) + 1
                spent += size
            listed.append(wire)
        return listed, following

    def get_scenario(self, sid: str, scenario_id: str, budget: int | None = None) -> dict[str, Any]:
        """One scenario with its result, or a `result_url` to read it from storage when the
        whole would be over `budget` bytes."""
        session = self.session(sid)
        scenario = self._scenario(session.id, scenario_id)
        if budget is None or not scenario.result_ref:
            return self.scenario_dict(session.id, scenario, load_result=True)
        others = len(orjson.dumps(self.config.scenario_dict(scenario)))
        return self.scenario_dict(session.id, scenario, load_result=True, inline_budget=budget - others)

    def create_scenario(
        self,
        sid: str,
        tag: str,
        dataset_key: str,
        algo_name: str,
        algo_params: dict[str, Any] | None,
        data_params: dict[str, Any] | None,
    ) -> dict[str, Any]:
        session = self.session(sid)
        tag = clean_name(tag, "a tag", "tag", in_path=False)
        scenario = self.config.new_scenario(tag, normal_form(dataset_key), algo_name, algo_params, data_params)
        self.repo.create_scenario(self.tenant, session.id, scenario)
        return self.config.scenario_dict(scenario)

    def delete_scenario(self, sid: str, scenario_id: str) -> None:
        session = self.session(sid)
        scenario = self._scenario(session.id, scenario_id)
        self.repo.delete_scenario(self.tenant, session.id, scenario)
        # A run still going writes its result under results/<scenario>/; the
        # worker removes it when it finds the scenario gone.
        self.blobs.delete_prefix(results_prefix(self.tenant, session.id, scenario.id))

    def run_scenario(self, sid: str, scenario_id: str) -> dict[str, Any]:
        """created -> queued under a new run id, then one message on the queue."""
        session = self.session(sid)
        run_id = str(uuid.uuid4())
        scenario = self.repo.transition(
            self.tenant,
            session.id,
            scenario_id,
            Status.QUEUED,
            set_fields={"run_id": run_id, "progress": 0.0},
        )
        message = RunMessage(tenant=self.tenant, session_id=session.id, scenario_id=scenario.id, run_id=run_id)
        try:
            self.queue.send(message)
        except Exception as exc:
            # Never leave a queued scenario without a message: fail it visibly.
            self.repo.transition(
                self.tenant,
                session.id,
                scenario.id,
                Status.FAILED,
                run_id=run_id,
                set_fields={"error": "the run could not be queued; reset and run again"},
            )
            raise ServiceUnavailable("the run queue is unavailable; try again shortly") from exc
        return self.config.scenario_dict(scenario)

    def cancel_scenario(self, sid: str, scenario_id: str) -> dict[str, Any]:
        """queued | processing -> failed with error "cancelled": a queued run never starts (its
        message finds the scenario failed); a processing one stops at its next progress report,
        when the worker's conditional progress write fails."""
        session = self.session(sid)
        scenario = self._scenario(session.id, scenario_id)
        if scenario.status not in (Status.QUEUED, Status.PROCESSING):
            raise Conflict(f"only a queued or processing scenario can be cancelled; this one is {scenario.status}")
        cancelled = self.repo.transition(
            self.tenant,
            session.id,
            scenario.id,
            Status.FAILED,
            run_id=scenario.run_id,
            set_fields={"error": CANCELLED, "run_finished_at": now_iso()},
        )
        self.meter(*usage.run_finished(cancelled))  # the same event id as the worker's: counted once
        return self.config.scenario_dict(cancelled)

    def compare_scenarios(self, sid: str, ids: Sequence[str], baseline: str | None) -> dict[str, Any]:
        session = self.session(sid)
        if not MIN_SCENARIOS <= len(ids) <= MAX_SCENARIOS or len(set(ids)) != len(ids):
            raise InvalidRequest(f"name {MIN_SCENARIOS} to {MAX_SCENARIOS} different scenarios")
        if baseline is not None and baseline not in ids:
            raise InvalidRequest("the baseline must be one of the compared scenarios")
        scenarios = [self._scenario(session.id, scenario_id) for scenario_id in ids]
        return compare(scenarios, self.config.kpis, baseline)

    def reset_scenario(self, sid: str, scenario_id: str) -> dict[str, Any]:
        session = self.session(sid)
        scenario = self._scenario(session.id, scenario_id)
        if scenario.status == Status.CREATED:
            return self.config.scenario_dict(scenario)
        reset = self.repo.transition(
            self.tenant,
            session.id,
            scenario.id,
            Status.CREATED,
            set_fields={"progress": 0.0},
            remove_fields=RUN_FIELDS,
        )
        if scenario.result_ref:
            self.blobs.delete([scenario.result_ref])
        return self.config.scenario_dict(reset)

    def scenario_status(self, sid: str, scenario_id: str) -> dict[str, Any]:
        session = self.session(sid)
        status = self.repo.get_status(self.tenant, session.id, scenario_id)
        if status is None:
            raise NotFound(f"scenario '{scenario_id}' not found")
        return status

    def processing(self, sid: str) -> dict[str, Any] | None:
        session = self.session(sid)
        scenario_id = self.repo.processing_scenario_id(self.tenant, session.id)
        if scenario_id is None:
            return None
        scenario = self.repo.get_scenario(self.tenant, session.id, scenario_id)
        if scenario is None or scenario.status != Status.PROCESSING:
            return None
        return self.scenario_dict(session.id, scenario, load_result=False)

    # -- data -------------------------------------------------------------------------------
    def _store_payload(self, session_id: str, ds: DataSource, stored: bytes) -> DatasetRecord:
        key = self._dataset_object_key(session_id)
        self.blobs.put(key, stored, "application/json")
        self._write_pages(key, ds.table_rows(pages.CHUNK_ROWS))
        return DatasetRecord(
            key=ds.name,
            ds_id=ds.id,
            ds_type=str(ds.ds_type),
            creation_datetime=str(ds.creation_datetime),
            tables=ds.list_tables(),
            object_key=key,
            size_bytes=len(stored),
        )

    def _delete_objects(self, record: DatasetRecord) -> None:
        self.blobs.delete([record.object_key, download_key(record.object_key)])
        self.blobs.delete_prefix(pages_prefix(record.object_key))

    def _write_pages(self, object_key: str, tables: Iterable[TableRows]) -> dict[str, Any]:
        """The paged form of a stored dataset (the index last: its presence means complete)."""
        index, bodies = build_pages(tables)
        prefix = pages_prefix(object_key)
        for name, body in bodies.items():
            self.blobs.put(prefix + name, body, "application/json")
        self.blobs.put(prefix + "index.json", orjson.dumps(index), "application/json")
        return index

    def _pages_index(self, record: DatasetRecord) -> dict[str, Any]:
        """The index of a dataset's paged form, made now for datasets stored without one
        (copies, older versions)."""
        try:
            return orjson.loads(self.blobs.get(pages_prefix(record.object_key) + "index.json"))
        except KeyError:
            pass
        try:
            document = orjson.loads(_stored_bytes(self.blobs, record.object_key))
        except KeyError:  # replaced or deleted since the lookup
            raise NotFound(f"dataset '{record.key}' changed while it was read; read it again") from None
        if document.get("format") != STORED_FORMAT:  # stored before the columnar form
            document = orjson.loads(self.config.datasource_cls.from_stored(orjson.dumps(document)).to_stored_bytes())
        return self._write_pages(record.object_key, stored_tables(document))

    def dataset_tables(self, sid: str, key: str) -> dict[str, Any]:
        session = self.session(sid)
        index = self._pages_index(self._dataset(session.id, key))
        return {
            "key": key,
            "tables": [
                {
                    "name": name,
                    "rows": entry["rows"],
                    "columns": [{"name": column, "dtype": entry["dtypes"].get(column)} for column in entry["columns"]],
                }
                for name, entry in index["tables"].items()
            ],
        }

    def dataset_rows(self, sid: str, key: str, table: str, offset: int, limit: int) -> dict[str, Any]:
        """Rows [offset, offset + limit) of a table: one ranged read (two with the index)."""
        session = self.session(sid)
        record = self._dataset(session.id, key)
        entry = self._pages_index(record)["tables"].get(table)
        if entry is None:
            raise NotFound(f"dataset '{key}' has no table '{table}'")
        read = page_read(entry, offset, limit)
        try:
            body = (
                b""
                if read is None
                else self.blobs.get_range(pages_prefix(record.object_key) + entry["file"], read.start, read.end)
            )
        except KeyError:  # replaced or deleted since the lookup
            raise NotFound(f"dataset '{key}' changed while it was read; read it again") from None
        rows = [] if read is None else page_rows(body, read, limit)
        following = offset + len(rows)
        return {
            "key": key,
            "table": table,
            "offset": offset,
            "limit": limit,
            "total": entry["rows"],
            "rows": rows,
            "next_offset": following if following < entry["rows"] else None,
        }

    def _save_datasource(
        self, session_id: str, ds: DataSource, overwrite: bool, read_bytes: int = 0, event_id: str | None = None
    ) -> None:
        """Store the dataset, and count it: the bytes stored, and the rows and bytes read to build it
        (once per `event_id`: an ingestion job's id, or a new one for a request)."""
        ds.name = clean_name(ds.name, "a dataset key", "metadata.name")
        record = self._store_payload(session_id, ds, dataset_object(ds))
        try:
            previous = self.repo.put_dataset(self.tenant, session_id, record, overwrite=overwrite)
        except BaseException:
            self._delete_objects(record)
            raise
        if previous is not None:
            self._delete_objects(previous)
        increments: dict[str, float] = {usage.BYTES_STORED: record.size_bytes}
        if read_bytes:
            rows = sum(len(ds.get_table(name)) for name in ds.list_tables())
            increments |= {usage.BYTES_INGESTED: read_bytes, usage.ROWS_INGESTED: rows}
        self.meter(usage.day_of(None), event_id or f"dataset:{uuid.uuid4().hex}", increments)

    def _dataset(self, session_id: str, key: str) -> DatasetRecord:
        record = self.repo.get_dataset(self.tenant, session_id, key)
        if record is None:
            raise NotFound(f"dataset '{key}' not found")
        return record

    def data_keys(self, sid: str) -> dict[str, list[str]]:
        return self._keys(self.session(sid).id)

    def _keys(self, session_id: str) -> dict[str, list[str]]:
        return {"keys": [d.key for d in self.repo.list_datasets(self.tenant, session_id)]}

    def dataset_download(self, sid: str, key: str, max_bytes: int, gzip_ok: bool) -> DatasetDownload:
        """The DataSource JSON of a dataset (gzip when `gzip_ok`), or a presigned URL of it
        when the body would be over `max_bytes`."""
        session = self.session(sid)
        record = self._dataset(session.id, key)
        plain = zipped = None
        if record.size_bytes <= max_bytes * (8 if gzip_ok else 1):  # else surely too large: skip the work
            plain = stored_to_json(_stored_bytes(self.blobs, record.object_key))
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
        target = download_key(record.object_key)
        if not self.blobs.exists(target):
            if zipped is None:
                if plain is None:
                    plain = stored_to_json(_stored_bytes(self.blobs, record.object_key))
                zipped = gzip.compress(plain, compresslevel=1)
            self.blobs.put(target, zipped, "application/json", "gzip")
        return self.blobs.presigned_get_url(target)

    def data_parameters(self, sid: str, key: str) -> dict[str, Any]:
        session = self.session(sid)
        self._dataset(session.id, key)
        return {"key": key, "parameters": self.config.data_parameters.describe()}

    def delete_dataset(self, sid: str, key: str) -> None:
        session = self.session(sid)
        record = self.repo.delete_dataset(self.tenant, session.id, key)
        self._delete_objects(record)

    def derive_dataset(self, sid: str, key: str, new_key: str) -> dict[str, list[str]]:
        session = self.session(sid)
        record = self._dataset(session.id, key)
        new_key = clean_name(new_key, "new_key", "new_key")
        if self.repo.get_dataset(self.tenant, session.id, new_key) is not None:
            raise Conflict(f"a dataset named '{new_key}' already exists")
        source = read_dataset(self.config, self.blobs, record.object_key)
        self._save_datasource(session.id, source.derive(new_key), overwrite=False)
        return self._keys(session.id)

    def import_dataset(self, sid: str, payload: bytes, event_id: str | None = None) -> dict[str, list[str]]:
        """from-json: register the payload under the key it names (its metadata.name)."""
        session = self.session(sid)
        ds = self.config.datasource_cls.from_json(payload)
        try:
            self._save_datasource(session.id, ds, overwrite=True, read_bytes=len(payload), event_id=event_id)
        except (TypeError, ValueError, OverflowError) as exc:  # values no table can store
            raise DataFormatError(f"the data source cannot be stored: {exc}") from None
        return self._keys(session.id)

    def run_etl(
        self, sid: str, dataset_name: str, files: Sequence[UploadedFile], event_id: str | None = None
    ) -> dict[str, Any]:
        session = self.session(sid)
        dataset_name = clean_name(dataset_name, "dataset_name", "dataset_name")
        if self.config.etl is None:
            raise DataFormatError("this application takes no file uploads (it has no ETL)")
        result: EtlResult = self.config.etl.run(files, dataset_name)
        if result.datasource is not None:
            self._save_datasource(
                session.id,
                result.datasource,
                overwrite=True,
                read_bytes=sum(len(file.content) for file in files),
                event_id=event_id,
            )
        return {
            "dataset_name": dataset_name,
            "success": result.success,
            "keys": self._keys(session.id)["keys"],
            "messages": [m.to_dict() for m in result.reported_messages()],
        }

"""The SQLite repository: the same semantics as the DynamoDB one, in a local file.

Tenant scoping, unique session names and scenario tags (UNIQUE constraints),
conditional transitions built from the one transition table, dataset
reference counts kept in the same transaction as scenario create/delete, and
the processing marker. Every multi-step change is one write transaction.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from ...domain.errors import Conflict, InvalidTransition, NotFound
from ...domain.jobs import Fields, IngestJob, check_job_transition, job_from_record, job_record, job_update
from ...domain.ports import DatasetRecord, Position, SessionRecord
from ...domain.scenario import (
    IN_FLIGHT,
    RUN_FIELDS,
    STORED_FIELDS,
    Scenario,
    ScenarioStatus,
    Status,
    check_transition,
    now_iso,
    sources_of,
)
from .sqlite import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY, value BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tenants (
    tenant TEXT PRIMARY KEY, created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
    tenant TEXT NOT NULL, id TEXT NOT NULL, display_name TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, id), UNIQUE (tenant, display_name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS datasets (
    tenant TEXT NOT NULL, session_id TEXT NOT NULL, key TEXT NOT NULL, ds_id TEXT NOT NULL,
    ds_type TEXT NOT NULL, creation_datetime TEXT NOT NULL, tables TEXT NOT NULL,
    object_key TEXT NOT NULL, size_bytes INTEGER NOT NULL, refs INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, session_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scenarios (
    tenant TEXT NOT NULL, session_id TEXT NOT NULL, id TEXT NOT NULL, tag TEXT NOT NULL,
    input_data_id TEXT NOT NULL, algorithm TEXT NOT NULL, parameters TEXT, data_parameters TEXT,
    status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, result TEXT, kpi_values TEXT, error TEXT,
    created_at TEXT NOT NULL, run_id TEXT, run_started_at TEXT, run_finished_at TEXT, result_ref TEXT,
    tier TEXT, executor TEXT, task_id TEXT, receipt TEXT, provenance TEXT,
    PRIMARY KEY (tenant, session_id, id), UNIQUE (tenant, session_id, tag)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (
    tenant TEXT NOT NULL, session_id TEXT NOT NULL, id TEXT NOT NULL, result TEXT NOT NULL,
    PRIMARY KEY (tenant, session_id, id)
);
CREATE INDEX IF NOT EXISTS scenarios_in_order ON scenarios (tenant, session_id, created_at, id);
CREATE INDEX IF NOT EXISTS sessions_in_order ON sessions (tenant, created_at, id);
CREATE INDEX IF NOT EXISTS scenarios_in_flight ON scenarios (status) WHERE status IN ('queued', 'processing');
CREATE TABLE IF NOT EXISTS jobs (
    tenant TEXT NOT NULL, session_id TEXT NOT NULL, job_id TEXT NOT NULL, job_kind TEXT NOT NULL,
    upload_ids TEXT NOT NULL, dataset_name TEXT, status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0,
    result TEXT, detail TEXT, created_at TEXT NOT NULL, finished_at TEXT, executor TEXT, task_id TEXT, receipt TEXT,
    PRIMARY KEY (tenant, session_id, job_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS experiments (
    tenant TEXT NOT NULL, session_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant, session_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS processing (
    tenant TEXT NOT NULL, session_id TEXT NOT NULL, scenario_id TEXT NOT NULL, run_id TEXT NOT NULL,
    since TEXT NOT NULL, PRIMARY KEY (tenant, session_id)
) WITHOUT ROWID;
"""

# Scenario fields kept as JSON text (free-form documents); the rest are plain columns.
_JSON_FIELDS = frozenset({"parameters", "data_parameters", "result", "kpi_values", "provenance"})
_SCENARIO_COLUMNS = STORED_FIELDS
# Columns added since a table was first made: added to older state folders when they are opened.
_ADDED_COLUMNS = {
    "scenarios": ("tier", "executor", "task_id", "receipt", "provenance"),
    "jobs": ("executor", "task_id", "receipt"),
}
# A result lives in its own table (as on DynamoDB, in its own item): a scenario row stays a few
# hundred bytes, so a list reads only small rows. (Kept in the row, a 25 KB result spills to
# overflow pages that SQLite walks to reach the columns after it: a list of 1,000 took 35 ms.)
# `scenarios.result` stays in the schema, always NULL (older state folders move theirs at open).
_SELECT_SCENARIO = f"SELECT {', '.join(_SCENARIO_COLUMNS)} FROM scenarios"
_SELECT_SCENARIO_WITH_RESULT = _SELECT_SCENARIO.replace(
    "result,",
    "(SELECT r.result FROM results AS r WHERE r.tenant = scenarios.tenant "
    "AND r.session_id = scenarios.session_id AND r.id = scenarios.id) AS result,",
    1,
)
_DATASET_COLUMNS = "key, ds_id, ds_type, creation_datetime, tables, object_key, size_bytes, refs"
_SELECT_DATASET = f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE tenant = ? AND session_id = ? AND key = ?"


def _column_value(name: str, value: Any) -> Any:
    if name in _JSON_FIELDS:
        return None if value is None else orjson.dumps(value).decode()
    if name == "status" and value is not None:
        return str(value)
    return value


def _write_results(db: sqlite3.Connection, tenant: str, session_id: str, scenarios: Sequence[Scenario]) -> None:
    db.executemany(
        "INSERT INTO results VALUES (?, ?, ?, ?)",
        [(tenant, session_id, s.id, orjson.dumps(s.result).decode()) for s in scenarios if s.result is not None],
    )


def _after(where: str, params: tuple[Any, ...], after: Position | None) -> tuple[str, tuple[Any, ...]]:
    """Keyset pagination: the items after a page's last (created_at, id)."""
    if after is None:
        return where, params
    return f"{where} AND (created_at, id) > (?, ?)", (*params, *after)


def _limit(limit: int | None) -> str:
    return "" if limit is None else f" LIMIT {int(limit)}"


def _scenario_from(row: sqlite3.Row) -> Scenario:
    """A scenario from a row holding the `_SCENARIO_COLUMNS` (and maybe more)."""
    values = {name: row[name] for name in _SCENARIO_COLUMNS}
    for name in _JSON_FIELDS:
        text = values[name]
        values[name] = None if text is None else orjson.loads(text)
    values["parameters"] = values["parameters"] or {}
    values["data_parameters"] = values["data_parameters"] or {}
    values["status"] = Status(values["status"])
    values["progress"] = float(values["progress"])
    return Scenario(**values)


def _scenario_values(scenario: Scenario) -> tuple[Any, ...]:
    """The scenario's row; its result goes in the results table (`_write_results`)."""
    return tuple(
        None if name == "result" else _column_value(name, getattr(scenario, name)) for name in _SCENARIO_COLUMNS
    )


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
    )


_INSERT_DATASET = (
    f"INSERT OR REPLACE INTO datasets (tenant, session_id, {_DATASET_COLUMNS}) VALUES ({', '.join('?' * 10)})"
)
_INSERT_SCENARIO = (
    f"INSERT INTO scenarios (tenant, session_id, {', '.join(_SCENARIO_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(_SCENARIO_COLUMNS) + 2))})"
)


def _session_exists(connection: sqlite3.Connection, tenant: str, session_id: str) -> bool:
    return (
        connection.execute("SELECT 1 FROM sessions WHERE tenant = ? AND id = ?", (tenant, session_id)).fetchone()
        is not None
    )


class SqliteRepository:
    """All table access. Methods take the tenant explicitly; nothing crosses tenants."""

    def __init__(self, path: Path, synchronous: str = "normal"):
        self._db = Database(path, SCHEMA, synchronous)
        self._secrets: dict[str, bytes] = {}
        self._add_columns()
        self._move_results()

    def _move_results(self) -> None:
        """Results kept in scenario rows by older versions move to the results table (once)."""
        if self._db.read_one("SELECT 1 FROM scenarios WHERE result IS NOT NULL LIMIT 1") is None:
            return
        with self._db.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO results SELECT tenant, session_id, id, result FROM scenarios "
                "WHERE result IS NOT NULL"
            )
            db.execute("UPDATE scenarios SET result = NULL WHERE result IS NOT NULL")

    def _add_columns(self) -> None:
        """Bring a state folder of an older version up to the schema (new columns are nullable); a
        write lock only when a column is missing, not at every open."""
        missing = [
            (table, column)
            for table, columns in _ADDED_COLUMNS.items()
            for column in set(columns) - {row[1] for row in self._db.read(f"PRAGMA table_info({table})")}
        ]
        if missing:
            with self._db.write() as db:
                for table, column in missing:
                    present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                    if column not in present:  # another process may have added it meanwhile
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    def secret(self, name: str) -> bytes:
        if name not in self._secrets:
            with self._db.write() as db:
                db.execute("INSERT OR IGNORE INTO secrets VALUES (?, ?)", (name, secrets.token_bytes(32)))
            row = self._db.read_one("SELECT value FROM secrets WHERE name = ?", (name,))
            assert row is not None
            self._secrets[name] = bytes(row["value"])
        return self._secrets[name]

    # -- tenants and sessions -------------------------------------------------------
    def tenant_exists(self, tenant: str) -> bool:
        return self._db.read_one("SELECT 1 FROM tenants WHERE tenant = ?", (tenant,)) is not None

    def create_session(
        self, tenant: str, session: SessionRecord, datasets: Sequence[DatasetRecord] = (), mark_tenant: bool = False
    ) -> bool:
        """Create a session (and its datasets) atomically; see DynamoRepository.create_session."""
        with self._db.write() as db:
            if mark_tenant:
                marked = db.execute("INSERT OR IGNORE INTO tenants VALUES (?, ?)", (tenant, now_iso()))
                if marked.rowcount == 0:
                    return False
            try:
                db.execute(
                    "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                    (tenant, session.id, session.display_name, session.created_at),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"a session named '{session.display_name}' already exists") from None
            db.executemany(_INSERT_DATASET, [_dataset_values(tenant, session.id, d) for d in datasets])
        return True

    def list_sessions(
        self, tenant: str, after: Position | None = None, limit: int | None = None
    ) -> list[SessionRecord]:
        """In (created_at, id) order, read through the index from `after` on: the page alone."""
        where, params = _after("tenant = ?", (tenant,), after)
        rows = self._db.read(
            f"SELECT id, display_name, created_at FROM sessions WHERE {where} ORDER BY created_at, id{_limit(limit)}",
            params,
        )
        return [SessionRecord(*row) for row in rows]

    def find_session(self, tenant: str, id_or_name: str) -> SessionRecord | None:
        """By id first, else by current display name: one read."""
        row = self._db.read_one(
            "SELECT id, display_name, created_at FROM sessions WHERE tenant = ? AND (id = ? OR display_name = ?) "
            "ORDER BY id = ? DESC LIMIT 1",
            (tenant, id_or_name, id_or_name, id_or_name),
        )
        return None if row is None else SessionRecord(*row)

    def rename_session(self, tenant: str, session: SessionRecord, new_name: str) -> SessionRecord:
        if new_name == session.display_name:
            return session
        with self._db.write() as db:
            try:  # conditional on the name we read, as the DynamoDB transaction is
                renamed = db.execute(
                    "UPDATE sessions SET display_name = ? WHERE tenant = ? AND id = ? AND display_name = ?",
                    (new_name, tenant, session.id, session.display_name),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"a session named '{new_name}' already exists") from None
            if renamed.rowcount == 0:
                if _session_exists(db, tenant, session.id):
                    raise Conflict(f"session '{session.display_name}' was renamed meanwhile; try again")
                raise NotFound(f"session '{session.display_name}' no longer exists")
        return SessionRecord(session.id, new_name, session.created_at)

    def delete_session(self, tenant: str, session: SessionRecord) -> None:
        with self._db.write() as db:
            if db.execute("DELETE FROM sessions WHERE tenant = ? AND id = ?", (tenant, session.id)).rowcount == 0:
                raise NotFound(f"session '{session.display_name}' not found")

    def purge_session(self, tenant: str, session_id: str) -> None:
        with self._db.write() as db:
            for table in ("datasets", "scenarios", "results", "processing", "jobs", "experiments"):
                db.execute(f"DELETE FROM {table} WHERE tenant = ? AND session_id = ?", (tenant, session_id))

    def copy_session_contents(
        self, tenant: str, source_id: str, target_id: str, copy_object: Callable[[str], str]
    ) -> None:
        """Copy datasets and scenarios (results, KPI values); in-flight ones as created."""
        datasets = self.list_datasets(tenant, source_id)
        rows = self._db.read(f"{_SELECT_SCENARIO} WHERE tenant = ? AND session_id = ?", (tenant, source_id))
        scenarios = [_scenario_from(row) for row in rows]
        copied_datasets = [
            DatasetRecord(
                d.key,
                d.ds_id,
                d.ds_type,
                d.creation_datetime,
                d.tables,
                copy_object(d.object_key),
                d.size_bytes,
                d.refs,
            )
            for d in datasets
        ]
        for scenario in scenarios:
            if scenario.status in IN_FLIGHT:
                for name in RUN_FIELDS:
                    setattr(scenario, name, None)
                scenario.status, scenario.progress = Status.CREATED, 0.0
            elif scenario.result_ref:
                scenario.result_ref = copy_object(scenario.result_ref)
        with self._db.write() as db:
            db.executemany(_INSERT_DATASET, [_dataset_values(tenant, target_id, d) for d in copied_datasets])
            db.executemany(_INSERT_SCENARIO, [(tenant, target_id, *_scenario_values(s)) for s in scenarios])
            db.execute(  # in-flight scenarios have none: a run's result comes with its end
                "INSERT INTO results SELECT tenant, ?, id, result FROM results WHERE tenant = ? AND session_id = ?",
                (target_id, tenant, source_id),
            )

    # -- datasets ---------------------------------------------------------------------
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
        """Store dataset metadata; returns the record it replaced (see DynamoRepository.put_dataset)."""
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

    # -- scenarios ----------------------------------------------------------------------
    def list_scenarios(
        self,
        tenant: str,
        session_id: str,
        after: Position | None = None,
        limit: int | None = None,
    ) -> list[Scenario]:
        """In (created_at, id) order, read through the index from `after` on: the page alone."""
        where, params = _after("tenant = ? AND session_id = ?", (tenant, session_id), after)
        sql = f"{_SELECT_SCENARIO} WHERE {where} ORDER BY created_at, id{_limit(limit)}"
        return [_scenario_from(row) for row in self._db.read(sql, params)]

    def scenario_results(self, tenant: str, session_id: str, scenario_ids: Sequence[str]) -> dict[str, Any]:
        if not scenario_ids:
            return {}
        marks = ", ".join("?" * len(scenario_ids))
        rows = self._db.read(
            f"SELECT id, result FROM results WHERE tenant = ? AND session_id = ? AND id IN ({marks})",
            (tenant, session_id, *scenario_ids),
        )
        return {row[0]: orjson.loads(row[1]) for row in rows}

    def get_scenario(self, tenant: str, session_id: str, scenario_id: str) -> Scenario | None:
        row = self._db.read_one(
            f"{_SELECT_SCENARIO_WITH_RESULT} WHERE tenant = ? AND session_id = ? AND id = ?",
            (tenant, session_id, scenario_id),
        )
        return None if row is None else _scenario_from(row)

    def get_status(self, tenant: str, session_id: str, scenario_id: str) -> ScenarioStatus | None:
        row = self._db.read_one(
            "SELECT id, tag, status, progress FROM scenarios WHERE tenant = ? AND session_id = ? AND id = ?",
            (tenant, session_id, scenario_id),
        )
        if row is None:
            return None
        return ScenarioStatus(row[0], row[1], Status(row[2]), float(row[3]))

    def create_scenario(self, tenant: str, session_id: str, scenario: Scenario) -> None:
        """Store a new scenario: tag unique, dataset present (and counted as used), session present."""
        self.create_scenarios(tenant, session_id, [scenario])

    def create_scenarios(self, tenant: str, session_id: str, scenarios: Sequence[Scenario]) -> None:
        """All in one write transaction (see create_scenario)."""
        with self._db.write() as db:
            if not _session_exists(db, tenant, session_id):
                raise NotFound("session not found")
            for key, count in Counter(s.input_data_id for s in scenarios).items():
                counted = db.execute(
                    "UPDATE datasets SET refs = refs + ? WHERE tenant = ? AND session_id = ? AND key = ?",
                    (count, tenant, session_id, key),
                )
                if counted.rowcount == 0:
                    raise NotFound(f"dataset '{key}' not found in this session")
            for scenario in scenarios:  # one statement each, so a taken tag is named
                try:
                    db.execute(_INSERT_SCENARIO, (tenant, session_id, *_scenario_values(scenario)))
                except sqlite3.IntegrityError:
                    raise Conflict(f"a scenario tagged '{scenario.tag}' already exists in this session") from None
            _write_results(db, tenant, session_id, scenarios)

    def delete_scenario(self, tenant: str, session_id: str, scenario: Scenario) -> None:
        with self._db.write() as db:
            row = db.execute(
                "DELETE FROM scenarios WHERE tenant = ? AND session_id = ? AND id = ? RETURNING input_data_id",
                (tenant, session_id, scenario.id),
            ).fetchone()
            if row is None:
                raise NotFound("scenario not found")
            db.execute(
                "UPDATE datasets SET refs = refs - 1 WHERE tenant = ? AND session_id = ? AND key = ?",
                (tenant, session_id, row[0]),
            )
            db.execute(
                "DELETE FROM results WHERE tenant = ? AND session_id = ? AND id = ?", (tenant, session_id, scenario.id)
            )

    def transition(
        self,
        tenant: str,
        session_id: str,
        scenario_id: str,
        target: Status,
        set_fields: Mapping[str, Any] | None = None,
        remove_fields: Sequence[str] = (),
        run_id: str | None = None,
    ) -> Scenario:
        """Conditionally move a scenario to `target` (see DynamoRepository.transition)."""
        fields = dict(set_fields or {})
        result = fields.pop("result", None)
        result_changes = "result" in (set_fields or {}) or "result" in remove_fields
        changes: dict[str, Any] = {"status": str(target)}
        changes.update({name: _column_value(name, value) for name, value in fields.items()})
        changes.update({name: None for name in remove_fields if name != "result"})
        unknown = set(changes) - set(_SCENARIO_COLUMNS)
        if unknown:
            raise ValueError(f"not scenario fields: {sorted(unknown)}")
        sources = sorted(str(s) for s in sources_of(target))
        condition = f"tenant = ? AND session_id = ? AND id = ? AND status IN ({', '.join('?' * len(sources))})"
        parameters: list[Any] = [*changes.values(), tenant, session_id, scenario_id, *sources]
        if run_id is not None:
            condition += " AND run_id = ?"
            parameters.append(run_id)
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._db.write() as db:
            row = db.execute(
                f"UPDATE scenarios SET {assignments} WHERE {condition} RETURNING {', '.join(_SCENARIO_COLUMNS)}",
                parameters,
            ).fetchone()
            if row is not None:
                updated = _scenario_from(row)
                if result_changes:  # its own row, in the same transaction
                    where = (tenant, session_id, scenario_id)
                    db.execute("DELETE FROM results WHERE tenant = ? AND session_id = ? AND id = ?", where)
                    updated.result = result
                    _write_results(db, tenant, session_id, [updated])
                return updated
            current = db.execute(
                f"{_SELECT_SCENARIO} WHERE tenant = ? AND session_id = ? AND id = ?", (tenant, session_id, scenario_id)
            ).fetchone()
        if current is None:
            raise NotFound("scenario not found")
        scenario = _scenario_from(current)
        if run_id is not None and scenario.run_id != run_id:
            raise InvalidTransition("scenario is on another run")
        check_transition(scenario.status, target)  # raises with a message for the user
        raise InvalidTransition("the scenario changed meanwhile; try again")

    def update_progress(self, tenant: str, session_id: str, scenario_id: str, run_id: str, progress: float) -> None:
        """Progress of a processing run; NotFound / InvalidTransition once it is not that run."""
        with self._db.write() as db:
            updated = db.execute(
                "UPDATE scenarios SET progress = ? WHERE tenant = ? AND session_id = ? AND id = ? "
                "AND status = 'processing' AND run_id = ?",
                (float(progress), tenant, session_id, scenario_id, run_id),
            )
            if updated.rowcount:
                return
            exists = db.execute(
                "SELECT 1 FROM scenarios WHERE tenant = ? AND session_id = ? AND id = ?",
                (tenant, session_id, scenario_id),
            ).fetchone()
        if exists is None:
            raise NotFound("scenario not found")
        raise InvalidTransition("the scenario is no longer on this run")

    def in_flight_runs(self) -> Iterator[tuple[str, str, Scenario]]:
        """(tenant, session id, scenario) of every queued or processing scenario (maintenance only)."""
        rows = self._db.read(
            f"SELECT tenant, session_id, {', '.join(_SCENARIO_COLUMNS)} FROM scenarios "
            "WHERE status IN ('queued', 'processing') ORDER BY run_started_at, created_at"
        )
        for row in rows:
            yield row["tenant"], row["session_id"], _scenario_from(row)

    # -- ingestion jobs ---------------------------------------------------------------------
    def create_job(self, tenant: str, session_id: str, job: IngestJob) -> None:
        record = job_record(job)
        with self._db.write() as db:
            if not _session_exists(db, tenant, session_id):
                raise NotFound("session not found")
            try:
                db.execute(
                    f"INSERT INTO jobs (tenant, session_id, {', '.join(record)}) VALUES (?, ?{', ?' * len(record)})",
                    (tenant, session_id, *record.values()),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"job '{job.job_id}' exists") from None

    def get_job(self, tenant: str, session_id: str, job_id: str) -> IngestJob | None:
        row = self._db.read_one(
            "SELECT * FROM jobs WHERE tenant = ? AND session_id = ? AND job_id = ?", (tenant, session_id, job_id)
        )
        return None if row is None else job_from_record(dict(row))

    def transition_job(
        self, tenant: str, session_id: str, job_id: str, target: Status, fields: Fields = None
    ) -> IngestJob:
        """Conditionally move a job to `target` (see DynamoRepository.transition_job)."""
        changes, sources = job_update(target, fields)
        assignments = ", ".join(f"{name} = ?" for name in changes)
        where = f"tenant = ? AND session_id = ? AND job_id = ? AND status IN ({', '.join('?' * len(sources))})"
        with self._db.write() as db:
            row = db.execute(
                f"UPDATE jobs SET {assignments} WHERE {where} RETURNING *",
                (*changes.values(), tenant, session_id, job_id, *sources),
            ).fetchone()
            if row is not None:
                return job_from_record(dict(row))
            current = db.execute(
                "SELECT status FROM jobs WHERE tenant = ? AND session_id = ? AND job_id = ?",
                (tenant, session_id, job_id),
            ).fetchone()
        if current is None:
            raise NotFound("job not found")
        check_job_transition(Status(current[0]), target)  # raises with a message
        raise InvalidTransition("the job changed meanwhile; try again")

    # -- experiments ------------------------------------------------------------------
    def create_experiment(self, tenant: str, session_id: str, record: Mapping[str, Any]) -> None:
        with self._db.write() as db:
            if not _session_exists(db, tenant, session_id):
                raise NotFound("session not found")
            db.execute(
                "INSERT INTO experiments VALUES (?, ?, ?, ?)",
                (tenant, session_id, record["id"], orjson.dumps(record).decode()),
            )

    def get_experiment(self, tenant: str, session_id: str, experiment_id: str) -> dict[str, Any] | None:
        row = self._db.read_one(
            "SELECT body FROM experiments WHERE tenant = ? AND session_id = ? AND id = ?",
            (tenant, session_id, experiment_id),
        )
        return None if row is None else orjson.loads(row[0])

    def list_experiments(self, tenant: str, session_id: str) -> list[dict[str, Any]]:
        rows = self._db.read(
            "SELECT body FROM experiments WHERE tenant = ? AND session_id = ? ORDER BY id", (tenant, session_id)
        )
        return [orjson.loads(row[0]) for row in rows]

    def replace_experiment(self, tenant: str, session_id: str, record: Mapping[str, Any]) -> None:
        with self._db.write() as db:
            changed = db.execute(
                "UPDATE experiments SET body = ? WHERE tenant = ? AND session_id = ? AND id = ?",
                (orjson.dumps(record).decode(), tenant, session_id, record["id"]),
            ).rowcount
        if not changed:
            raise NotFound(f"experiment '{record['id']}' not found")

    def delete_experiment(self, tenant: str, session_id: str, experiment_id: str) -> None:
        with self._db.write() as db:
            db.execute(
                "DELETE FROM experiments WHERE tenant = ? AND session_id = ? AND id = ?",
                (tenant, session_id, experiment_id),
            )

    # -- processing -------------------------------------------------------------------------
    def processing_scenario_id(self, tenant: str, session_id: str) -> str | None:
        row = self._db.read_one(
            "SELECT scenario_id FROM processing WHERE tenant = ? AND session_id = ?", (tenant, session_id)
        )
        return None if row is None else row[0]

    def set_processing(self, tenant: str, session_id: str, scenario_id: str, run_id: str) -> None:
        """Only while the session exists, so a deleted session gets no stray marker."""
        with self._db.write() as db:
            if not _session_exists(db, tenant, session_id):
                raise NotFound("session not found")
            db.execute(
                "INSERT OR REPLACE INTO processing VALUES (?, ?, ?, ?, ?)",
                (tenant, session_id, scenario_id, run_id, now_iso()),
            )

    def clear_processing(self, tenant: str, session_id: str, run_id: str) -> None:
        with self._db.write() as db:
            db.execute(
                "DELETE FROM processing WHERE tenant = ? AND session_id = ? AND run_id = ?",
                (tenant, session_id, run_id),
            )

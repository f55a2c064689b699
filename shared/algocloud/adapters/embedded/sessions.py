"""Sessions in the local database, the tenants' markers, the processing marker and the secrets."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace

from ...domain.errors import Conflict, NotFound
from ...domain.scenario import IN_FLIGHT, RUN_FIELDS, Status, now_iso
from ...domain.stores import DatasetRecord, Position, SessionRecord
from .datasets import _DATASET_COLUMNS, _INSERT_DATASET, _dataset_from, _dataset_values
from .scenarios import _INSERT_SCENARIO, _SELECT_SCENARIO, _scenario_from, _scenario_values
from .sqlite import Database
from .store_db import _after, _limit, _session_exists

_SESSION = "id, display_name, created_at, created_by, private"


def _session(row) -> SessionRecord:
    return SessionRecord(row[0], row[1], row[2], row[3], bool(row[4]))


class SqliteSecrets:
    def __init__(self, database: Database):
        self._db = database
        self._secrets: dict[str, bytes] = {}

    def secret(self, name: str) -> bytes:
        if name not in self._secrets:
            with self._db.write() as db:
                db.execute("INSERT OR IGNORE INTO secrets VALUES (?, ?)", (name, secrets.token_bytes(32)))
            row = self._db.read_one("SELECT value FROM secrets WHERE name = ?", (name,))
            assert row is not None
            self._secrets[name] = bytes(row["value"])
        return self._secrets[name]


class SqliteSessions:
    """Sessions and the processing marker."""

    def __init__(self, database: Database):
        self._db = database

    def tenant_exists(self, tenant: str) -> bool:
        return self._db.read_one("SELECT 1 FROM tenants WHERE tenant = ?", (tenant,)) is not None

    def create_session(
        self, tenant: str, session: SessionRecord, datasets: Sequence[DatasetRecord] = (), mark_tenant: bool = False
    ) -> bool:
        """Create a session (and its datasets) atomically; see domain.stores.SessionStore."""
        with self._db.write() as db:
            if mark_tenant:
                marked = db.execute("INSERT OR IGNORE INTO tenants VALUES (?, ?)", (tenant, now_iso()))
                if marked.rowcount == 0:
                    return False
            try:
                db.execute(
                    "INSERT INTO sessions (tenant, id, display_name, created_at, created_by, private) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        tenant,
                        session.id,
                        session.display_name,
                        session.created_at,
                        session.created_by,
                        "1" if session.private else None,
                    ),
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
            f"SELECT {_SESSION} FROM sessions WHERE {where} ORDER BY created_at, id{_limit(limit)}",
            params,
        )
        return [_session(row) for row in rows]

    def find_session(self, tenant: str, id_or_name: str) -> SessionRecord | None:
        """By id first, else by current display name: one read."""
        row = self._db.read_one(
            f"SELECT {_SESSION} FROM sessions WHERE tenant = ? AND (id = ? OR display_name = ?) "
            "ORDER BY id = ? DESC LIMIT 1",
            (tenant, id_or_name, id_or_name, id_or_name),
        )
        return None if row is None else _session(row)

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
        return replace(session, display_name=new_name)

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
        rows = self._db.read(
            f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE tenant = ? AND session_id = ?", (tenant, source_id)
        )
        datasets = [_dataset_from(row) for row in rows]
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

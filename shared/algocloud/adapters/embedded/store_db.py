"""The local database file every embedded store shares (store.db): its schema, brought up to date
when it is opened, and the helpers the stores' queries share."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ...domain.stores import Position
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

# Columns added since a table was first made: added to older state folders when they are opened.
_ADDED_COLUMNS = {
    "sessions": ("created_by", "private"),
    "datasets": ("created_by",),
    "scenarios": ("tier", "executor", "task_id", "receipt", "provenance", "created_by"),
    "jobs": ("executor", "task_id", "receipt"),
}


def open_store_database(path: Path, synchronous: str = "normal") -> Database:
    database = Database(path, SCHEMA, synchronous)
    database.add_columns(_ADDED_COLUMNS)
    _move_results(database)
    return database


def _move_results(database: Database) -> None:
    """Results kept in scenario rows by older versions move to the results table (once)."""
    if database.read_one("SELECT 1 FROM scenarios WHERE result IS NOT NULL LIMIT 1") is None:
        return
    with database.write() as db:
        db.execute(
            "INSERT OR REPLACE INTO results SELECT tenant, session_id, id, result FROM scenarios "
            "WHERE result IS NOT NULL"
        )
        db.execute("UPDATE scenarios SET result = NULL WHERE result IS NOT NULL")


def _session_exists(connection: sqlite3.Connection, tenant: str, session_id: str) -> bool:
    return (
        connection.execute("SELECT 1 FROM sessions WHERE tenant = ? AND id = ?", (tenant, session_id)).fetchone()
        is not None
    )


def _after(where: str, params: tuple[Any, ...], after: Position | None) -> tuple[str, tuple[Any, ...]]:
    """Keyset pagination: the items after a page's last (created_at, id)."""
    if after is None:
        return where, params
    return f"{where} AND (created_at, id) > (?, ?)", (*params, *after)


def _limit(limit: int | None) -> str:
    return "" if limit is None else f" LIMIT {int(limit)}"

"""Experiments in the local database: one row per experiment holding its record's JSON document."""

from __future__ import annotations

import orjson

from ...domain.errors import NotFound
from ...domain.experiments import ExperimentRecord, ExperimentSummary
from .sqlite import Database
from .store_db import _session_exists


class SqliteExperiments:
    def __init__(self, database: Database):
        self._db = database

    def create_experiment(self, tenant: str, session_id: str, record: ExperimentRecord) -> None:
        with self._db.write() as db:
            if not _session_exists(db, tenant, session_id):
                raise NotFound("session not found")
            db.execute(
                "INSERT INTO experiments VALUES (?, ?, ?, ?)",
                (tenant, session_id, record.summary.id, orjson.dumps(record.to_document()).decode()),
            )

    def get_experiment(self, tenant: str, session_id: str, experiment_id: str) -> ExperimentRecord | None:
        row = self._db.read_one(
            "SELECT body FROM experiments WHERE tenant = ? AND session_id = ? AND id = ?",
            (tenant, session_id, experiment_id),
        )
        return None if row is None else ExperimentRecord.from_document(orjson.loads(row[0]))

    def list_experiments(self, tenant: str, session_id: str) -> list[ExperimentSummary]:
        rows = self._db.read(
            "SELECT body FROM experiments WHERE tenant = ? AND session_id = ? ORDER BY id", (tenant, session_id)
        )
        return [ExperimentSummary.from_record(orjson.loads(row[0])) for row in rows]

    def replace_experiment(self, tenant: str, session_id: str, record: ExperimentRecord) -> None:
        with self._db.write() as db:
            changed = db.execute(
                "UPDATE experiments SET body = ? WHERE tenant = ? AND session_id = ? AND id = ?",
                (orjson.dumps(record.to_document()).decode(), tenant, session_id, record.summary.id),
            ).rowcount
        if not changed:
            raise NotFound(f"experiment '{record.summary.id}' not found")

    def delete_experiment(self, tenant: str, session_id: str, experiment_id: str) -> None:
        with self._db.write() as db:
            db.execute(
                "DELETE FROM experiments WHERE tenant = ? AND session_id = ? AND id = ?",
                (tenant, session_id, experiment_id),
            )

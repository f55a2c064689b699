"""Ingestion jobs in the local database (domain.jobs)."""

from __future__ import annotations

import sqlite3

from ...domain.errors import Conflict, InvalidTransition, NotFound
from ...domain.jobs import Fields, IngestJob, check_job_transition, job_from_record, job_record, job_update
from ...domain.scenario import Status
from .sqlite import Database
from .store_db import _session_exists


class SqliteJobs:
    """Ingestion jobs."""

    def __init__(self, database: Database):
        self._db = database

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
        """Conditionally move a job to `target` (see domain.stores.JobStore)."""
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

"""The audit log in the local database (domain.audit); expired rows are swept as entries arrive
(DynamoDB's TTL does it on AWS)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import orjson

from ...domain.audit import AuditDigest, AuditEntry
from ...domain.errors import Conflict
from .sqlite import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_entries (
    tenant TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_digests (
    tenant TEXT NOT NULL, number INTEGER NOT NULL, body TEXT NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_entries_expiry ON audit_entries (expires_at);
"""
SWEEP_SECONDS = 3600.0  # how often a process sweeps expired rows


class SqliteAudit:
    def __init__(self, path: Path, synchronous: str = "normal"):
        self._db = Database(path, SCHEMA, synchronous)
        self._swept = 0.0

    def append(self, entry: AuditEntry, expires_at: int) -> None:
        now = time.time()
        with self._db.write() as db:
            db.execute(
                "INSERT INTO audit_entries VALUES (?, ?, ?, ?)",
                (entry.tenant, entry.id, orjson.dumps(entry.to_record()).decode(), expires_at),
            )
            if now - self._swept > SWEEP_SECONDS:
                db.execute("DELETE FROM audit_entries WHERE expires_at < ?", (int(now),))
                db.execute("DELETE FROM audit_digests WHERE expires_at < ?", (int(now),))
                self._swept = now

    def entries(
        self, tenant: str, after: str | None = None, limit: int | None = None, newest_first: bool = False
    ) -> list[AuditEntry]:
        where, parameters = "tenant = ?", [tenant]
        if after is not None:
            where += " AND id < ?" if newest_first else " AND id > ?"
            parameters.append(after)
        order = "DESC" if newest_first else "ASC"
        rows = self._db.read(
            f"SELECT body FROM audit_entries WHERE {where} ORDER BY id {order}"
            + ("" if limit is None else f" LIMIT {int(limit)}"),
            tuple(parameters),
        )
        return [AuditEntry.from_record(orjson.loads(row[0])) for row in rows]

    def digests(self, tenant: str) -> list[AuditDigest]:
        rows = self._db.read("SELECT body FROM audit_digests WHERE tenant = ? ORDER BY number", (tenant,))
        return [AuditDigest.from_record(orjson.loads(row[0])) for row in rows]

    def add_digest(self, digest: AuditDigest, number: int, expires_at: int) -> None:
        try:
            with self._db.write() as db:
                db.execute(
                    "INSERT INTO audit_digests VALUES (?, ?, ?, ?)",
                    (digest.tenant, number, orjson.dumps(digest.to_record()).decode(), expires_at),
                )
        except sqlite3.IntegrityError:
            raise Conflict(f"digest {number} of this tenant exists") from None

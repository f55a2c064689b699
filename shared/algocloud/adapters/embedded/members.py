"""Tenant members in the embedded SQLite store (the DynamoDB ones' semantics)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ...domain.accounts import MemberRecord, checked_tenant_id
from ...domain.errors import NotFound
from ...domain.identity import Role
from .sqlite import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    issuer TEXT NOT NULL, subject TEXT NOT NULL, tenant_id TEXT NOT NULL, role TEXT NOT NULL,
    email TEXT, created_at TEXT NOT NULL, created_by TEXT,
    PRIMARY KEY (issuer, subject, tenant_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_of_tenant ON members (tenant_id, created_at);
"""


def _member(row: sqlite3.Row) -> MemberRecord:
    return MemberRecord(
        row["tenant_id"], row["issuer"], row["subject"], Role(row["role"]), row["email"], row["created_at"],
        row["created_by"],
    )  # fmt: skip


class SqliteMembers:
    def __init__(self, path: Path, synchronous: str = "normal"):
        self._db = Database(path, SCHEMA, synchronous)

    def put_member(self, member: MemberRecord) -> None:
        checked_tenant_id(member.tenant_id)
        with self._db.write() as db:
            if db.execute("SELECT 1 FROM accounts WHERE id = ?", (member.tenant_id,)).fetchone() is None:
                raise NotFound(f"tenant '{member.tenant_id}' not found")
            db.execute(
                "INSERT INTO members VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (issuer, subject, tenant_id) "
                "DO UPDATE SET role = excluded.role, email = excluded.email",
                (member.issuer, member.subject, member.tenant_id, str(member.role), member.email,
                 member.created_at, member.created_by),
            )  # fmt: skip

    def memberships(self, issuer: str, subject: str) -> list[MemberRecord]:
        rows = self._db.read("SELECT * FROM members WHERE issuer = ? AND subject = ? ORDER BY tenant_id",
                             (issuer, subject))  # fmt: skip
        return [_member(row) for row in rows]

    def members_of(self, tenant_id: str) -> list[MemberRecord]:
        rows = self._db.read(
            "SELECT * FROM members WHERE tenant_id = ? ORDER BY created_at, issuer, subject", (tenant_id,)
        )
        return [_member(row) for row in rows]

    def remove_member(self, tenant_id: str, issuer: str, subject: str) -> bool:
        with self._db.write() as db:
            return bool(
                db.execute(
                    "DELETE FROM members WHERE issuer = ? AND subject = ? AND tenant_id = ?",
                    (issuer, subject, tenant_id),
                ).rowcount
            )

"""Tenants, API keys and usage counters in the embedded SQLite store (the DynamoDB ones' semantics)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path

from ...domain.accounts import (
    COUNTERS,
    EVENT_RETENTION_DAYS,
    ApiKeyRecord,
    TenantRecord,
    UsageDay,
    checked_counters,
    checked_key_id,
    checked_tenant_id,
)
from ...domain.errors import Conflict, NotFound
from ...domain.identity import Role
from .sqlite import Database

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tenant_limits (
    tenant_id TEXT PRIMARY KEY REFERENCES accounts (id), max_parallel_runs INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES accounts (id), created_at TEXT NOT NULL,
    revoked_at TEXT, role TEXT, expires_at TEXT, created_by TEXT, value_digest TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_days (
    tenant_id TEXT NOT NULL, day TEXT NOT NULL,
    {", ".join(f"{name} REAL NOT NULL DEFAULT 0" for name in COUNTERS)},
    PRIMARY KEY (tenant_id, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_events (
    tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_events_expiry ON usage_events (expires_at);
"""


def _tenant(row: sqlite3.Row) -> TenantRecord:
    return TenantRecord(row["id"], row["name"], row["created_at"], row["max_parallel_runs"])


_SELECT_TENANT = "SELECT accounts.*, max_parallel_runs FROM accounts LEFT JOIN tenant_limits ON tenant_id = id"


def _key(row: sqlite3.Row) -> ApiKeyRecord:
    # a key made before keys had roles is its tenant's admin key
    role = Role(row["role"]) if row["role"] else Role.ADMIN
    return ApiKeyRecord(
        row["key_id"],
        row["tenant_id"],
        row["created_at"],
        row["revoked_at"],
        role,
        row["expires_at"],
        row["created_by"],
        row["value_digest"],
    )


class SqliteAccounts:
    def __init__(self, path: Path, synchronous: str = "normal"):
        self._db = Database(path, SCHEMA, synchronous)
        self._db.add_columns({"api_keys": ("role", "expires_at", "created_by", "value_digest")})
        with self._db.write() as db:
            db.execute("CREATE UNIQUE INDEX IF NOT EXISTS api_key_digests ON api_keys (value_digest)")

    def create_tenant(self, tenant: TenantRecord) -> None:
        checked_tenant_id(tenant.id)
        try:
            with self._db.write() as db:
                db.execute(
                    "INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)",
                    (tenant.id, tenant.name, tenant.created_at),
                )
        except sqlite3.IntegrityError:
            raise Conflict(f"a tenant named '{tenant.name}' already exists") from None

    def get_tenant(self, tenant_id: str) -> TenantRecord | None:
        row = self._db.read_one(f"{_SELECT_TENANT} WHERE id = ?", (tenant_id,))
        return None if row is None else _tenant(row)

    def find_tenant(self, id_or_name: str) -> TenantRecord | None:
        row = self._db.read_one(
            f"{_SELECT_TENANT} WHERE id = ? OR name = ? ORDER BY id = ? DESC", (id_or_name, id_or_name, id_or_name)
        )
        return None if row is None else _tenant(row)

    def list_tenants(self) -> list[TenantRecord]:
        return [_tenant(row) for row in self._db.read(f"{_SELECT_TENANT} ORDER BY created_at, name")]

    def set_max_parallel_runs(self, tenant_id: str, runs: int | None) -> TenantRecord:
        with self._db.write() as db:
            if db.execute("SELECT 1 FROM accounts WHERE id = ?", (tenant_id,)).fetchone() is None:
                raise NotFound(f"tenant '{tenant_id}' not found")
            db.execute("INSERT OR REPLACE INTO tenant_limits VALUES (?, ?)", (tenant_id, runs))
        found = self.get_tenant(tenant_id)
        assert found is not None
        return found

    def add_key(self, key: ApiKeyRecord) -> None:
        checked_key_id(key.key_id)
        with self._db.write() as db:
            if db.execute("SELECT 1 FROM accounts WHERE id = ?", (key.tenant_id,)).fetchone() is None:
                raise NotFound(f"tenant '{key.tenant_id}' not found")
            try:
                db.execute(
                    "INSERT INTO api_keys (key_id, tenant_id, created_at, role, expires_at, created_by, value_digest) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        key.key_id,
                        key.tenant_id,
                        key.created_at,
                        str(key.role),
                        key.expires_at,
                        key.created_by,
                        key.value_digest,
                    ),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"API key '{key.key_id}' is already registered") from None

    def get_key(self, key_id: str) -> ApiKeyRecord | None:
        row = self._db.read_one("SELECT * FROM api_keys WHERE key_id = ?", (checked_key_id(key_id),))
        return None if row is None else _key(row)

    def key_by_digest(self, value_digest: str) -> ApiKeyRecord | None:
        row = self._db.read_one("SELECT * FROM api_keys WHERE value_digest = ?", (value_digest,))
        return None if row is None else _key(row)

    def revoke_key(self, key_id: str, revoked_at: str) -> ApiKeyRecord:
        with self._db.write() as db:
            db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (revoked_at, key_id)
            )
            row = db.execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        if row is None:
            raise NotFound(f"API key '{key_id}' not found")
        return _key(row)

    def keys_of(self, tenant_id: str) -> list[ApiKeyRecord]:
        return [
            _key(row)
            for row in self._db.read(
                "SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, key_id", (tenant_id,)
            )
        ]

    def count(self, tenant_id: str, day: str, event_id: str, increments: Mapping[str, float]) -> bool:
        checked_counters(increments)
        now = int(time.time())
        with self._db.write() as db:
            db.execute("DELETE FROM usage_events WHERE expires_at < ?", (now,))
            added = db.execute(
                "INSERT OR IGNORE INTO usage_events (tenant_id, event_id, expires_at) VALUES (?, ?, ?)",
                (tenant_id, event_id, now + EVENT_RETENTION_DAYS * 86400),
            ).rowcount
            if not added:
                return False
            db.execute("INSERT OR IGNORE INTO usage_days (tenant_id, day) VALUES (?, ?)", (tenant_id, day))
            db.execute(
                f"UPDATE usage_days SET {', '.join(f'{name} = {name} + ?' for name in increments)} "
                "WHERE tenant_id = ? AND day = ?",
                (*increments.values(), tenant_id, day),
            )
        return True

    def usage(self, tenant_id: str, first_day: str, last_day: str) -> list[UsageDay]:
        rows = self._db.read(
            "SELECT * FROM usage_days WHERE tenant_id = ? AND day BETWEEN ? AND ? ORDER BY day",
            (tenant_id, first_day, last_day),
        )
        return [UsageDay(tenant_id, row["day"], {name: row[name] for name in COUNTERS}) for row in rows]

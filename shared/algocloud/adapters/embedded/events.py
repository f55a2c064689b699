"""WebSocket subscriptions and webhooks in the embedded SQLite store (the DynamoDB ones' semantics)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import orjson

from ... import limits
from ...domain.errors import Conflict, NotFound
from ...domain.webhooks import DELIVERIES_KEPT_SECONDS, DeliveryAttempt, Webhook
from .sqlite import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS ws_connections (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, expires_at INTEGER NOT NULL, holder TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ws_subscriptions (
    tenant TEXT NOT NULL, session_id TEXT NOT NULL, topic TEXT NOT NULL, connection_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL, PRIMARY KEY (tenant, session_id, topic, connection_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ws_subscriptions_of ON ws_subscriptions (connection_id);
CREATE TABLE IF NOT EXISTS webhooks (
    tenant TEXT NOT NULL, id TEXT NOT NULL, record BLOB NOT NULL, PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    tenant TEXT NOT NULL, hook_id TEXT NOT NULL, seq INTEGER NOT NULL, record BLOB NOT NULL,
    expires_at INTEGER NOT NULL, PRIMARY KEY (tenant, hook_id, seq)
) WITHOUT ROWID;
"""


def _hook(raw: bytes) -> Webhook:
    data = orjson.loads(raw)
    return Webhook(**{**data, "events": tuple(data["events"])})


class SqliteSubscriptions:
    def __init__(self, path: Path, synchronous: str = "normal"):
        self._db = Database(path, SCHEMA, synchronous)
        self._db.add_columns({"ws_connections": ("holder",)})

    def connect(self, connection_id: str, tenant: str, expires_at: int, holder: str = "") -> None:
        with self._db.write() as db:
            db.execute("DELETE FROM ws_connections WHERE expires_at < ?", (int(time.time()),))
            db.execute("DELETE FROM ws_subscriptions WHERE expires_at < ?", (int(time.time()),))
            db.execute(
                "INSERT OR REPLACE INTO ws_connections (id, tenant, expires_at, holder) VALUES (?, ?, ?, ?)",
                (connection_id, tenant, expires_at, holder),
            )

    def connections(self) -> list[tuple[str, str, str]]:
        rows = self._db.read("SELECT id, tenant, holder FROM ws_connections WHERE expires_at >= ?", (int(time.time()),))
        return [(row[0], row[1], row[2] or "") for row in rows]

    def connection(self, connection_id: str) -> tuple[str, str] | None:
        row = self._db.read_one(
            "SELECT tenant, holder FROM ws_connections WHERE id = ? AND expires_at >= ?",
            (connection_id, int(time.time())),
        )
        return None if row is None else (row[0], row[1] or "")

    def subscribe(self, connection_id: str, tenant: str, session_id: str, topic: str, expires_at: int) -> None:
        with self._db.write() as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM ws_subscriptions WHERE connection_id = ? "
                "AND NOT (tenant = ? AND session_id = ? AND topic = ?)",  # following one again is fine
                (connection_id, tenant, session_id, topic),
            ).fetchone()
            if count >= limits.MAX_SUBSCRIPTIONS:
                raise Conflict(f"a connection follows at most {limits.MAX_SUBSCRIPTIONS} topics: open another")
            db.execute(
                "INSERT OR REPLACE INTO ws_subscriptions VALUES (?, ?, ?, ?, ?)",
                (tenant, session_id, topic, connection_id, expires_at),
            )

    def unsubscribe(self, connection_id: str, tenant: str, session_id: str, topic: str) -> None:
        with self._db.write() as db:
            db.execute(
                "DELETE FROM ws_subscriptions WHERE tenant = ? AND session_id = ? AND topic = ? AND connection_id = ?",
                (tenant, session_id, topic, connection_id),
            )

    def subscribers(self, tenant: str, session_id: str, topics: Sequence[str]) -> set[str]:
        if not topics:
            return set()
        marks = ", ".join("?" * len(topics))
        rows = self._db.read(
            "SELECT connection_id FROM ws_subscriptions "
            f"WHERE tenant = ? AND session_id = ? AND topic IN ({marks}) AND expires_at >= ?",
            (tenant, session_id, *topics, int(time.time())),
        )
        return {row[0] for row in rows}

    def disconnect(self, connection_id: str) -> None:
        with self._db.write() as db:
            db.execute("DELETE FROM ws_subscriptions WHERE connection_id = ?", (connection_id,))
            db.execute("DELETE FROM ws_connections WHERE id = ?", (connection_id,))


class SqliteWebhooks:
    def __init__(self, path: Path, synchronous: str = "normal"):
        self._db = Database(path, SCHEMA, synchronous)

    def add_webhook(self, tenant: str, hook: Webhook) -> None:
        with self._db.write() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM webhooks WHERE tenant = ?", (tenant,)).fetchone()
            if count >= limits.MAX_WEBHOOKS:
                raise Conflict(f"a tenant has at most {limits.MAX_WEBHOOKS} webhooks: remove one first")
            rows = db.execute("SELECT record FROM webhooks WHERE tenant = ?", (tenant,)).fetchall()
            if any(_hook(row[0]).url == hook.url for row in rows):
                raise Conflict("a webhook with this URL exists already")
            try:
                db.execute("INSERT INTO webhooks VALUES (?, ?, ?)", (tenant, hook.id, orjson.dumps(asdict(hook))))
            except sqlite3.IntegrityError:
                raise Conflict("a webhook with this id exists") from None

    def webhooks(self, tenant: str) -> list[Webhook]:
        rows = self._db.read("SELECT record FROM webhooks WHERE tenant = ? ORDER BY id", (tenant,))
        return [_hook(row[0]) for row in rows]

    def get_webhook(self, tenant: str, hook_id: str) -> Webhook | None:
        row = self._db.read_one("SELECT record FROM webhooks WHERE tenant = ? AND id = ?", (tenant, hook_id))
        return None if row is None else _hook(row[0])

    def put_webhook(self, tenant: str, hook: Webhook) -> None:
        with self._db.write() as db:
            changed = db.execute(
                "UPDATE webhooks SET record = ? WHERE tenant = ? AND id = ?",
                (orjson.dumps(asdict(hook)), tenant, hook.id),
            ).rowcount
        if not changed:
            raise NotFound(f"no webhook '{hook.id}'")

    def remove_webhook(self, tenant: str, hook_id: str) -> None:
        with self._db.write() as db:
            removed = db.execute("DELETE FROM webhooks WHERE tenant = ? AND id = ?", (tenant, hook_id)).rowcount
            db.execute("DELETE FROM webhook_deliveries WHERE tenant = ? AND hook_id = ?", (tenant, hook_id))
        if not removed:
            raise NotFound(f"no webhook '{hook_id}'")

    def record_attempt(self, tenant: str, hook_id: str, attempt: DeliveryAttempt, disable_after: int) -> Webhook | None:
        now = int(time.time())
        with self._db.write() as db:
            row = db.execute("SELECT record FROM webhooks WHERE tenant = ? AND id = ?", (tenant, hook_id)).fetchone()
            if row is None:
                return None
            hook = _hook(row[0]).counted(attempt, disable_after)
            db.execute(
                "UPDATE webhooks SET record = ? WHERE tenant = ? AND id = ?",
                (orjson.dumps(asdict(hook)), tenant, hook_id),
            )
            db.execute(
                "DELETE FROM webhook_deliveries WHERE tenant = ? AND hook_id = ? AND expires_at < ?",
                (tenant, hook_id, now),
            )
            db.execute(
                "INSERT INTO webhook_deliveries VALUES (?, ?, "
                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM webhook_deliveries WHERE tenant = ? AND hook_id = ?), ?, ?)",
                (tenant, hook_id, tenant, hook_id, orjson.dumps(asdict(attempt)), now + DELIVERIES_KEPT_SECONDS),
            )
        return hook

    def deliveries(self, tenant: str, hook_id: str, limit: int) -> list[DeliveryAttempt]:
        rows = self._db.read(
            "SELECT record FROM webhook_deliveries WHERE tenant = ? AND hook_id = ? ORDER BY seq DESC LIMIT ?",
            (tenant, hook_id, limit),
        )
        return [DeliveryAttempt(**orjson.loads(row[0])) for row in rows]

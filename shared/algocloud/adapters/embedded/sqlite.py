"""SQLite connections: one per thread, WAL, durable commits, explicit write transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 30.0


class Database:
    """A SQLite file shared by threads and processes.

    WAL lets readers run beside the one writer; `synchronous=FULL` syncs the
    log on every commit, so a committed write survives a crash of the process
    (and of the machine). Writes take the lock up front (BEGIN IMMEDIATE), so
    a read-then-write transaction is never overtaken by another writer.
    """

    def __init__(self, path: Path, schema: str):
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection().executescript(f"BEGIN IMMEDIATE; {schema} COMMIT;")

    def connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None,
                                         check_same_thread=False)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            self._local.connection = connection
        return connection

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction; rolled back if the block raises."""
        connection = self.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def read(self, sql: str, parameters: tuple = ()) -> list[sqlite3.Row]:
        return self.connection().execute(sql, parameters).fetchall()

    def read_one(self, sql: str, parameters: tuple = ()) -> sqlite3.Row | None:
        return self.connection().execute(sql, parameters).fetchone()

"""SQLite connections: one per thread, WAL, durable commits, explicit write transactions."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 30.0


def _use_wal(connection: sqlite3.Connection) -> None:
    """Switch the file to WAL (it stays so). Switching needs the file to itself and SQLite does
    not wait for that (no busy handler), so connections opened at once on a new file retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


class Database:
    """A SQLite file shared by threads and processes.

    WAL lets readers run beside the one writer. A commit has written its
    transaction to the log before it returns, so it survives any crash of the
    process (kill -9). `synchronous="normal"` (the default) leaves syncing the
    log to the disk to checkpoints: an operating-system crash or power cut may
    then roll back the last commits, never corrupt the file. `"full"` syncs on
    every commit (about 0.5 ms each on the development machine) for
    durability against power loss too. Writes take the lock up front
    (BEGIN IMMEDIATE), so a read-then-write transaction is never overtaken by
    another writer.
    """

    def __init__(self, path: Path, schema: str, synchronous: str = "normal"):
        self.path = path
        if synchronous.lower() not in ("normal", "full"):
            raise ValueError(f"synchronous must be 'normal' or 'full', not {synchronous!r}")
        self._synchronous = synchronous.upper()
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection().executescript(f"BEGIN IMMEDIATE; {schema} COMMIT;")

    def connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
            connection.row_factory = sqlite3.Row
            _use_wal(connection)
            connection.execute(f"PRAGMA synchronous={self._synchronous}")
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

    def add_columns(self, added: Mapping[str, Sequence[str]]) -> None:
        """Bring a file of an older version up to its schema (`added`: the columns each table got
        since it was first made, nullable text); a write lock only when one is missing."""
        missing = [
            (table, column)
            for table, columns in added.items()
            for column in set(columns) - {row[1] for row in self.read(f"PRAGMA table_info({table})")}
        ]
        if missing:
            with self.write() as db:
                for table, column in missing:
                    present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                    if column not in present:  # another process may have added it meanwhile
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    def read(self, sql: str, parameters: tuple = ()) -> list[sqlite3.Row]:
        return self.connection().execute(sql, parameters).fetchall()

    def read_one(self, sql: str, parameters: tuple = ()) -> sqlite3.Row | None:
        return self.connection().execute(sql, parameters).fetchone()

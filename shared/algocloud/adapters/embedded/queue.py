"""The embedded run queue: SQS FIFO semantics on SQLite, durable across restarts.

What we rely on from SQS FIFO, kept here:

- message group = session: a group hands out its next message only once the
  one before it is deleted or its visibility timeout ran out; groups are
  independent, so sessions run in parallel;
- order within a group is send order (a sequence number), also after a restart;
- deduplication: the same deduplication id within 5 minutes is accepted once;
- visibility timeout, extended while a consumer works (heartbeat), and a
  receive count; a message received `max_receives` times goes to the
  dead-letter queue on its next receive, as a redrive policy does.

Consumers sleep on a doorbell (a named pipe rung by every send) instead of
polling, so an idle stack uses no CPU.
"""

from __future__ import annotations

import errno
import os
import select
import stat
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

from ... import limits
from ...domain.ports import ReceivedMessage
from ...run_message import QueueMessage
from .sqlite import Database

DEDUPLICATION_SECONDS = 300
DEFAULT_VISIBILITY_SECONDS = 30

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, message_id TEXT NOT NULL,
    group_id TEXT NOT NULL, body TEXT NOT NULL, sent_at_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0, visible_at REAL NOT NULL, receipt TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_group ON messages (queue, group_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_receipt ON messages (receipt) WHERE receipt IS NOT NULL;
CREATE TABLE IF NOT EXISTS deduplication (
    queue TEXT NOT NULL, deduplication_id TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (queue, deduplication_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deduplication_by_expiry ON deduplication (queue, expires_at);
"""

# A message that is the first of its group (only it can be handed out or be in flight).
_GROUP_HEAD = "seq = (SELECT MIN(seq) FROM messages WHERE queue = m.queue AND group_id = m.group_id)"
# The group heads that may be handed out now.
_HEADS = f"""
SELECT seq, message_id, group_id, body, sent_at_ms, receive_count FROM messages AS m
WHERE queue = ? AND visible_at <= ? AND {_GROUP_HEAD}
ORDER BY seq LIMIT ?
"""


class Doorbell:
    """A named pipe: senders write a byte, idle consumers wait for one (no polling)."""

    def __init__(self, path: Path):
        self.path = path
        self._reader: int | None = None
        self._keepalive: int | None = None
        try:
            os.mkfifo(path, 0o600)
        except FileExistsError:
            if not stat.S_ISFIFO(path.stat().st_mode):
                raise

    def ring(self) -> None:
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno in (errno.ENXIO, errno.ENOENT):  # nobody is waiting: nothing to wake
                return
            raise
        try:
            os.write(descriptor, b"\x01")
        except BlockingIOError:  # the pipe is full of rings already
            pass
        finally:
            os.close(descriptor)

    def fileno(self) -> int:
        if self._reader is None:
            self._reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
            # Holding a writer end too: without one, poll() reports hang-up forever.
            self._keepalive = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        return self._reader

    def take(self) -> bool:
        """Consume one ring if there is one (leave the rest for other consumers)."""
        try:
            return bool(os.read(self.fileno(), 1))
        except BlockingIOError:
            return False

    def wait(self, timeout: float | None) -> bool:
        readable, _, _ = select.select([self.fileno()], [], [], timeout)
        return bool(readable) and self.take()


class SqliteQueue:
    """One named FIFO queue in a SQLite file; implements RunQueue and QueueConsumer."""

    def __init__(
        self,
        path: Path,
        name: str,
        dead_letter_queue: str | None = None,
        max_receives: int = limits.MAX_RECEIVE_COUNT,
        visibility_timeout: int = DEFAULT_VISIBILITY_SECONDS,
        doorbell: bool = True,
        synchronous: str = "normal",
    ):
        self._db = Database(path, SCHEMA, synchronous)
        self.name = name
        self.dead_letter_queue = dead_letter_queue
        self.max_receives = max_receives
        self.visibility_timeout = visibility_timeout
        self.doorbell = Doorbell(path.with_name(f"{name}.doorbell")) if doorbell else None

    def arn(self) -> str:
        return f"arn:aws:sqs:local:000000000000:{self.name}"

    # -- producer -----------------------------------------------------------------------
    def send(self, message: QueueMessage) -> None:
        self.send_body(message.to_body(), message.group_id, message.deduplication_id)

    def send_many(self, messages: Sequence[QueueMessage]) -> None:
        for message in messages:
            self.send(message)

    def send_delivery(self, body: str, delay_seconds: int = 0) -> None:
        """A message of its own group (the webhook queue is not ordered), visible after the delay."""
        ident = uuid.uuid4().hex
        self.send_body(body, ident, ident, delay_seconds)

    def send_body(self, body: str, group_id: str, deduplication_id: str, delay_seconds: float = 0) -> bool:
        """Enqueue at the end of its group; False when it was a duplicate within 5 minutes."""
        now = time.time()
        with self._db.write() as db:
            db.execute("DELETE FROM deduplication WHERE queue = ? AND expires_at < ?", (self.name, now))
            fresh = db.execute(
                "INSERT OR IGNORE INTO deduplication VALUES (?, ?, ?)",
                (self.name, deduplication_id, now + DEDUPLICATION_SECONDS),
            ).rowcount
            if fresh:
                db.execute(
                    "INSERT INTO messages (queue, message_id, group_id, body, sent_at_ms, visible_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (self.name, str(uuid.uuid4()), group_id, body, int(now * 1000), now + delay_seconds),
                )
        if fresh and self.doorbell is not None:
            self.doorbell.ring()
        return bool(fresh)

    # -- consumer -------------------------------------------------------------------------
    def receive(
        self, max_messages: int = 1, visibility_timeout: int | None = None, wait_seconds: float = 0
    ) -> list[ReceivedMessage]:
        """Up to `max_messages` group heads, each hidden for the visibility timeout."""
        deadline = time.monotonic() + wait_seconds
        while True:
            timeout = self.visibility_timeout if visibility_timeout is None else visibility_timeout
            received = self._receive_now(max_messages, timeout)
            remaining = deadline - time.monotonic()
            if received or remaining <= 0 or self.doorbell is None:
                return received
            self.doorbell.wait(min(remaining, self.seconds_until_visible() or remaining))

    def _receive_now(self, max_messages: int, visibility_timeout: int) -> list[ReceivedMessage]:
        if self._db.read_one(_HEADS, (self.name, time.time(), 1)) is None:
            return []  # nothing to hand out: no need for the write lock the senders use
        received: list[ReceivedMessage] = []
        moved = False
        with self._db.write() as db:
            redriven = True
            while redriven and len(received) < max_messages:  # a redrive may expose the group's next
                redriven = False
                now = time.time()
                taken = {r.message_id for r in received}
                heads = db.execute(_HEADS, (self.name, now, max_messages)).fetchall()
                for seq, message_id, group_id, body, sent_at_ms, count in heads:
                    if message_id in taken or len(received) >= max_messages:
                        continue
                    if count >= self.max_receives and self.dead_letter_queue:
                        # Redrive: the message moves, keeping its group and order there.
                        db.execute(
                            "UPDATE messages SET queue = ?, receive_count = 0, visible_at = ?, "
                            "receipt = NULL, seq = (SELECT MAX(seq) + 1 FROM messages) WHERE seq = ?",
                            (self.dead_letter_queue, now, seq),
                        )
                        moved = redriven = True
                        continue
                    receipt = uuid.uuid4().hex
                    db.execute(
                        "UPDATE messages SET receive_count = receive_count + 1, visible_at = ?, "
                        "receipt = ? WHERE seq = ?",
                        (now + visibility_timeout, receipt, seq),
                    )
                    received.append(ReceivedMessage(message_id, body, receipt, group_id, count + 1, sent_at_ms))
        if moved and self.dead_letter_queue and self.doorbell is not None:
            Doorbell(self.doorbell.path.with_name(f"{self.dead_letter_queue}.doorbell")).ring()
        return received

    def delete(self, receipts: Iterable[str]) -> None:
        receipts = list(receipts)
        if not receipts:
            return
        with self._db.write() as db:
            db.executemany(
                "DELETE FROM messages WHERE queue = ? AND receipt = ?", [(self.name, receipt) for receipt in receipts]
            )
        if self.doorbell is not None:
            self.doorbell.ring()  # the group's next message may be handed out now

    def change_visibility(self, receipt: str, seconds: int) -> None:
        """Hide an in-flight message for `seconds` from now (0: hand it out again)."""
        with self._db.write() as db:
            db.execute(
                "UPDATE messages SET visible_at = ? WHERE queue = ? AND receipt = ?",
                (time.time() + seconds, self.name, receipt),
            )
        if seconds == 0 and self.doorbell is not None:
            self.doorbell.ring()

    def release_in_flight(self) -> int:
        """Make every in-flight message visible now: at a start, when no consumer of the
        previous run is alive, so interrupted runs resume at once and in order."""
        with self._db.write() as db:
            released = db.execute(
                "UPDATE messages SET visible_at = ? WHERE queue = ? AND receipt IS NOT NULL AND visible_at > ?",
                (time.time(), self.name, time.time()),
            ).rowcount
        return released

    def seconds_until_visible(self) -> float | None:
        """When the next group head becomes visible (an in-flight message timing out)."""
        row = self._db.read_one(
            f"SELECT MIN(visible_at) FROM messages AS m WHERE queue = ? AND {_GROUP_HEAD}", (self.name,)
        )
        if row is None or row[0] is None:
            return None
        return max(0.0, row[0] - time.time())

    def pending_run_ids(self) -> set[str]:
        """The run ids of the messages waiting or in flight (for recovery after a crash)."""
        rows = self._db.read("SELECT json_extract(body, '$.run_id') FROM messages WHERE queue = ?", (self.name,))
        return {row[0] for row in rows if row[0]}

    def counts(self) -> dict[str, int]:
        """Approximate numbers as SQS reports them: visible and in flight."""
        now = time.time()
        row = self._db.read_one(
            "SELECT SUM(visible_at <= ?), SUM(visible_at > ?) FROM messages WHERE queue = ?", (now, now, self.name)
        )
        return {"visible": int(row[0] or 0), "in_flight": int(row[1] or 0)} if row else {}

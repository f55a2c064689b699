"""The embedded backend: the ports on SQLite (WAL) and files, for one machine.

    <state dir>/store.db     sessions, scenarios, datasets, jobs...   (stores.sqlite_stores)
    <state dir>/queue.db     the run queue and its dead-letter queue, the webhook queue (SqliteQueue)
    <state dir>/blobs/       dataset content and large results       (FileBlobStore)

Every write is committed before the call returns, so a response sent after
it can never be lost to a crash of any process (see sqlite.Database for the
power-loss setting, ALGOCLOUD_SQLITE_SYNCHRONOUS). Several processes share the files
(the API and the worker processes), as several Lambdas share the AWS services.
"""

from __future__ import annotations

from pathlib import Path

from ... import limits

STORE_DB = "store.db"
QUEUE_DB = "queue.db"
BLOBS_DIR = "blobs"
RUN_QUEUE = "runs"
DEAD_LETTER_QUEUE = "runs-dead-letter"
WEBHOOK_QUEUE = "webhooks"
WEBHOOK_DEAD_LETTER_QUEUE = "webhooks-dead-letters"


def state_paths(state_dir: Path) -> dict[str, Path]:
    return {"store": state_dir / STORE_DB, "queue": state_dir / QUEUE_DB, "blobs": state_dir / BLOBS_DIR}


def open_queues(
    state_dir: Path,
    visibility_timeout: int | None = None,
    synchronous: str = "normal",
    max_receives: int = limits.MAX_RECEIVE_COUNT,
):
    """(run queue, its dead-letter queue) in `state_dir`; the local stacks pass the template's
    maxReceiveCount."""
    from .queue import DEFAULT_VISIBILITY_SECONDS, SqliteQueue

    path = state_paths(state_dir)["queue"]
    timeout = visibility_timeout or DEFAULT_VISIBILITY_SECONDS
    return (
        SqliteQueue(
            path,
            RUN_QUEUE,
            dead_letter_queue=DEAD_LETTER_QUEUE,
            max_receives=max_receives,
            visibility_timeout=timeout,
            synchronous=synchronous,
        ),
        SqliteQueue(path, DEAD_LETTER_QUEUE, visibility_timeout=timeout, synchronous=synchronous),
    )


def open_delivery_queue(state_dir: Path, synchronous: str = "normal", max_receives: int = limits.MAX_RECEIVE_COUNT):
    """The webhook deliveries' queue in `state_dir` (each delivery its own group: none waits for another)."""
    from .queue import SqliteQueue

    return SqliteQueue(
        state_paths(state_dir)["queue"],
        WEBHOOK_QUEUE,
        dead_letter_queue=WEBHOOK_DEAD_LETTER_QUEUE,
        max_receives=max_receives,
        synchronous=synchronous,
    )

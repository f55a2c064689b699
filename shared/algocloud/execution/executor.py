"""The worker's dispatch: one handler per message kind, behind one executor interface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from .. import limits
from ..run_message import QueueMessage


class Outcome(StrEnum):
    COMPLETE = "complete"
    FAILED = "failed"
    STALE = "stale"  # duplicate, or the job moved on (another run, cancelled, already done)
    GONE = "gone"  # the job's scenario or session was deleted
    HANDED_OVER = "handed over"  # a container task runs it: the message stays in flight, held by the task


@dataclass(frozen=True)
class Delivery:
    """One delivery of a message, as the process that received it sees it."""

    deadline: float | None = None  # time.monotonic() by which this invocation must end (None: no limit)
    time_limit: float | None = None  # the invocation's whole time limit, in seconds
    memory_mb: int | None = None  # the invocation's memory (None: no limit)
    receipt: str | None = None  # this delivery's receipt: a container task holds it while it runs the job

    def seconds_left(self, now: float) -> float | None:
        return None if self.deadline is None else self.deadline - now

    @property
    def margin(self) -> float:
        """How long before the deadline a run stops to be handed over: a fifth of the limit, 2 to 30 s
        (the hand-over itself, a few writes and a task launch, took over a second on a loaded machine)."""
        return max(limits.HANDOVER_MARGIN_MIN_SECONDS, min(30.0, 0.2 * (self.time_limit or 0.0)))


class JobHandler[M: QueueMessage](Protocol):
    """Executes the jobs of one message kind, at most once to completion per message."""

    def handle(self, message: M, delivery: Delivery | None = None) -> Outcome:
        """Do the job; infrastructure errors propagate (the queue delivers the message again)."""
        ...

    def give_up(self, message: M, receive_count: int | None) -> Outcome:
        """The message exhausted its deliveries (the dead-letter queue): end the job failed."""
        ...

    def held(self, message: M) -> tuple[str | None, bool]:
        """In a container task: the receipt of the message its job holds, and whether the job is
        still the task's to run (False: cancelled, ended or gone)."""
        ...

    def task_stopped(self, message: M, task_id: str, error: str) -> bool:
        """The container task `task_id` stopped: fail the job if it still ran there, and free its
        session (its held message); whether it did."""
        ...


class Executor(Protocol):
    """Where the work of a queued message is done: here in this process (InProcessExecutor, in
    the worker Lambda and the local worker processes), or launched elsewhere (a container)."""

    def handle(self, message: QueueMessage, delivery: Delivery | None = None) -> Outcome: ...

    def give_up(self, message: QueueMessage, receive_count: int | None) -> Outcome: ...


@dataclass
class InProcessExecutor:
    """Runs each message here, by the handler registered for its kind (execution.registry): the
    only place a message's kind decides what is done with it, in the worker, in a container task
    and when a task stopped."""

    handlers: Mapping[type[QueueMessage], JobHandler] = field(default_factory=dict)

    def handle(self, message: QueueMessage, delivery: Delivery | None = None) -> Outcome:
        return self.handlers[type(message)].handle(message, delivery)

    def give_up(self, message: QueueMessage, receive_count: int | None) -> Outcome:
        return self.handlers[type(message)].give_up(message, receive_count)

    def held(self, message: QueueMessage) -> tuple[str | None, bool]:
        return self.handlers[type(message)].held(message)

    def task_stopped(self, message: QueueMessage, task_id: str, reason: str) -> bool:
        error = f"the container task running it stopped before the end ({reason})"
        return self.handlers[type(message)].task_stopped(message, task_id, error)

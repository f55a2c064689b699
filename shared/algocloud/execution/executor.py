"""The worker's dispatch: one handler per message kind, behind one executor interface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from ..run_message import QueueMessage


class Outcome(StrEnum):
    COMPLETE = "complete"
    FAILED = "failed"
    STALE = "stale"  # duplicate, or the job moved on (another run, cancelled, already done)
    GONE = "gone"  # the job's scenario or session was deleted


class JobHandler[M: QueueMessage](Protocol):
    """Executes the jobs of one message kind, at most once to completion per message."""

    def handle(self, message: M) -> Outcome:
        """Do the job; infrastructure errors propagate (the queue delivers the message again)."""
        ...

    def give_up(self, message: M, receive_count: int | None) -> Outcome:
        """The message exhausted its deliveries (the dead-letter queue): end the job failed."""
        ...


class Executor(Protocol):
    """Where the work of a queued message is done: here in this process (InProcessExecutor, in
    the worker Lambda and the local worker processes), or launched elsewhere (a container)."""

    def handle(self, message: QueueMessage) -> Outcome: ...

    def give_up(self, message: QueueMessage, receive_count: int | None) -> Outcome: ...


@dataclass
class InProcessExecutor:
    """Runs each message here, by the handler registered for its kind."""

    handlers: Mapping[type[QueueMessage], JobHandler] = field(default_factory=dict)

    def handle(self, message: QueueMessage) -> Outcome:
        return self.handlers[type(message)].handle(message)

    def give_up(self, message: QueueMessage, receive_count: int | None) -> Outcome:
        return self.handlers[type(message)].give_up(message, receive_count)

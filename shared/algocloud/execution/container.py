"""The container tier as the job handlers see it: where this process runs jobs, how to launch a
task elsewhere, and the queue message a task holds while it runs a job.

A job handed to the container tier keeps its queue message in flight: the receiving worker does
not acknowledge it, and the task keeps it hidden (a heartbeat) and deletes it when the job ends.
So the session's FIFO message group stays blocked, and the session still runs one job at a time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .. import limits
from ..domain.jobs import Executor
from ..domain.ports import QueueConsumer, TaskLauncher

logger = logging.getLogger(__name__)


@dataclass
class ContainerTier:
    executor: str = Executor.LOCAL  # where this process runs the jobs it receives
    launcher: TaskLauncher | None = None  # None: this deployment has no container tier
    held: QueueConsumer | None = None  # the run queue, in a container task: to keep and release its message

    @property
    def is_here(self) -> bool:
        return self.executor == Executor.CONTAINER

    def keep(self, receipt: str | None, seconds: int = limits.HEARTBEAT_VISIBILITY_SECONDS) -> None:
        """Keep the held message hidden `seconds` more (a task's heartbeat)."""
        if receipt and self.held is not None:
            self.held.change_visibility(receipt, seconds)

    def release(self, receipt: str | None) -> None:
        """The job is over: the held message goes, and the session's next message may be received."""
        if not receipt or self.held is None:
            return
        try:
            self.held.delete([receipt])
        except Exception:  # noqa: BLE001 - a stale receipt: the message comes back and is found done
            logger.warning("the held message could not be deleted; it will come back and be dropped")

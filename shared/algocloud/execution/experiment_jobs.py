"""Experiment endings: the handler of ExperimentMessage (a cancel or delete too large for a request).

The runs in flight end cancelled by the same use case a request uses (usecases.experiments), each
a conditional write, so a redelivered message does only what is left. An invocation that runs out
of time stops there: the message comes back (its heartbeat lapses) and the next delivery goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..domain.config import AppConfig
from ..domain.errors import NotFound
from ..domain.identity import Principal
from ..domain.ports import Accounts, BlobStore
from ..domain.stores import Stores
from ..run_message import ExperimentMessage, QueueMessage
from ..usecases.experiments import Experiments
from ..usecases.scenarios import Scenarios
from ..usecases.scope import TenantScope
from .container import ContainerTier
from .executor import Delivery, Outcome

logger = logging.getLogger(__name__)


class _NoRuns:
    """The worker queues no runs: ending an experiment only cancels and deletes."""

    def send(self, message: QueueMessage) -> None:
        raise RuntimeError("an experiment's ending queues nothing")

    def send_many(self, messages: object) -> None:
        raise RuntimeError("an experiment's ending queues nothing")


@dataclass
class ExperimentEndings:
    config: AppConfig
    stores: Stores
    blobs: BlobStore
    accounts: Accounts
    tier: ContainerTier = field(default_factory=ContainerTier)

    def _experiments(self, tenant: str) -> Experiments:
        scope = TenantScope(self.config, self.stores, self.blobs, self.accounts, Principal.system(tenant))
        runs = Scenarios(scope, _NoRuns(), launcher=self.tier.launcher)
        return Experiments(scope, _NoRuns(), default_lanes=1, runs=runs)

    def handle(self, message: ExperimentMessage, delivery: Delivery | None = None) -> Outcome:
        delivery = delivery or Delivery()
        deadline = None if delivery.deadline is None else delivery.deadline - delivery.margin
        try:
            self._experiments(message.tenant).finish_ending(message.session_id, message.experiment_id, deadline)
        except NotFound:
            return Outcome.GONE  # deleted already, or its session was
        return Outcome.COMPLETE  # (OutOfTime propagates: the message comes back, and goes on)

    def give_up(self, message: ExperimentMessage, receive_count: int | None) -> Outcome:
        """Left as it is: what was cancelled stays cancelled; cancel or delete again to go on."""
        logger.error("%s given up after %s deliveries", message.log_id, receive_count)
        return Outcome.FAILED

    def held(self, message: ExperimentMessage) -> tuple[str | None, bool]:
        return None, False  # never on the container tier

    def task_stopped(self, message: ExperimentMessage, task_id: str, error: str) -> bool:
        return False

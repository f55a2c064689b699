"""A container task that stopped before its job ended: the job fails, and its session is freed.

Called with the stopped task's message (ids only) when ECS reports the task STOPPED (an
EventBridge rule, on AWS) or the local stack sees the task's process gone. Every write is
conditional on the job still running on that task, so a task that ended its job normally, or a
job that moved on, is left as it is.
"""

from __future__ import annotations

import functools
import logging

from ..domain.errors import InvalidTransition, NotFound
from ..domain.jobs import Executor, Status, now_iso
from ..domain.ports import Accounts, Repository
from ..domain.scenario import RunEnd
from ..run_message import ContainerMessage, IngestMessage
from ..usecases.scenarios import ScenarioIds, end_run
from .container import ContainerTier

logger = logging.getLogger(__name__)


def reconcile_stopped_task(
    repo: Repository, accounts: Accounts, tier: ContainerTier, message: ContainerMessage, task_id: str, reason: str
) -> bool:
    """Fail the job if it still runs on the stopped task; whether it did."""
    error = f"the container task running it stopped before the end ({reason})"
    try:
        if isinstance(message, IngestMessage):
            job = repo.get_job(message.tenant, message.session_id, message.job_id)
            if job is None or job.executor != Executor.CONTAINER or job.task_id not in (task_id, None):
                return False
            repo.transition_job(
                message.tenant, message.session_id, message.job_id, Status.FAILED,
                {"detail": error, "finished_at": now_iso(), "progress": 1.0},
            )  # fmt: skip
            tier.release(job.receipt)
            return True
        scenario = repo.get_scenario(message.tenant, message.session_id, message.scenario_id)
        if scenario is None or scenario.executor != Executor.CONTAINER or scenario.task_id not in (task_id, None):
            return False
        scope = (message.tenant, message.session_id)
        meter = functools.partial(accounts.count, message.tenant)
        end_run(repo, meter, *scope, ScenarioIds(message.scenario_id, message.run_id), RunEnd.TASK_LOST, error)
    except (NotFound, InvalidTransition):  # it ended, or moved on, meanwhile
        return False
    repo.clear_processing(message.tenant, message.session_id, message.run_id)
    tier.release(scenario.receipt)
    logger.warning("%s failed: %s", message.log_id, error)
    return True

"""The container tier's reconciler (Lambda): ECS task state changes, from an EventBridge rule.

A task that stopped with a non-zero exit code (a crash, an out-of-memory kill, a stop) while its
job still ran on it: the job fails with the reason ECS gives, and the session's next job goes.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from algocloud.adapters.factory import build_adapters, run_queue_consumer
from algocloud.adapters.settings import backend_settings
from algocloud.appconfig import load_app_config
from algocloud.domain.jobs import Executor
from algocloud.execution.container import ContainerTier
from algocloud.execution.registry import in_process_executor
from algocloud.run_message import TASK_MESSAGE_VARIABLE, parse_container_message
from algocloud.telemetry import instrumented, logger, metrics

_settings = backend_settings()
_adapters = build_adapters(_settings)
_tier = ContainerTier(Executor.LAMBDA, _adapters.launcher, run_queue_consumer(_settings))
# the job handlers by message kind: each knows what a stopped task means for its jobs
_jobs = in_process_executor(load_app_config(), _adapters.stores, _adapters.blobs, _adapters.accounts, tier=_tier)


def task_message(detail: dict[str, Any]) -> str | None:
    for container in (detail.get("overrides") or {}).get("containerOverrides", []):
        for variable in container.get("environment", []):
            if variable.get("name") == TASK_MESSAGE_VARIABLE:
                return variable.get("value")
    return None


def reconcile(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    detail = event.get("detail") or {}
    body = task_message(detail)
    if detail.get("lastStatus") != "STOPPED" or body is None:
        return {"reconciled": False}
    exit_codes = [c.get("exitCode") for c in detail.get("containers", [])]
    if exit_codes and all(code == 0 for code in exit_codes):
        return {"reconciled": False}  # the task ended its job itself
    reason = detail.get("stoppedReason") or detail.get("stopCode") or "no reason given"
    if exit_codes and exit_codes[0] is not None:
        reason = f"{reason}; exit code {exit_codes[0]}"
    failed = _jobs.task_stopped(parse_container_message(body), detail.get("taskArn", ""), reason)
    if failed:
        metrics.add_metric(name="ContainerTasksFailed", unit=MetricUnit.Count, value=1)
        logger.warning("a container task stopped before its job ended", extra={"reason": reason})
    return {"reconciled": failed}


handler = instrumented(reconcile)

"""Logs, metrics and traces of both Lambda functions (AWS Lambda Powertools), under one service name.

- Logger: JSON lines with the Lambda context and a correlation id: API Gateway's request id in
  the API, carried in every queue message (`correlation_id`) into the worker's logs. The
  standard-library loggers of the core (`algocloud.*`) write through the same formatter.
- Metrics (CloudWatch EMF, namespace `algocloud`): every usage event as it is first counted
  (RunsStarted, RunsCompleted, RunsFailed, ComputeSeconds, IngestedBytes, IngestedRows,
  StoredBytes; a redelivery adds nothing here either), and from the worker Runs by Outcome,
  RunDuration and QueueWait (enqueued -> processing).
- Tracer (X-Ray): the handlers and every boto3 call, when the function has tracing on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit

from .domain import accounts as usage
from .domain.accounts import ApiKeyRecord, TenantRecord, UsageDay
from .domain.ports import Accounts

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "algocloud")
NAMESPACE = "algocloud"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# The X-Ray SDK costs ~150 ms of cold start to import: only where traces go (on Lambda, unless
# POWERTOOLS_TRACE_DISABLED), not in tests or the local stack.
TRACING = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and os.environ.get(
    "POWERTOOLS_TRACE_DISABLED", ""
).lower() not in ("1", "true")
copy_config_to_registered_loggers(source_logger=logger, include={"algocloud"})

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def instrumented(handler: LambdaHandler, correlation_id_path: str | None = None) -> LambdaHandler:
    """A Lambda handler with Powertools around it: logs with the Lambda context (and the
    correlation id at `correlation_id_path` of the event, if given), its metrics flushed (EMF)
    at the end of the invocation, the invocation and its AWS calls traced (X-Ray)."""

    @logger.inject_lambda_context(correlation_id_path=correlation_id_path)
    @metrics.log_metrics
    def instrumented_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return handler(event, context)

    if not TRACING:
        return instrumented_handler
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service=SERVICE, patch_modules=("botocore",))  # every AWS call a subsegment; nothing else
    return tracer.capture_lambda_handler(instrumented_handler, capture_response=False)  # answers can be MBs


_USAGE_METRICS = {
    usage.RUNS_STARTED: ("RunsStarted", MetricUnit.Count),
    usage.RUNS_COMPLETED: ("RunsCompleted", MetricUnit.Count),
    usage.RUNS_FAILED: ("RunsFailed", MetricUnit.Count),
    usage.COMPUTE_SECONDS: ("ComputeSeconds", MetricUnit.Seconds),
    usage.BYTES_INGESTED: ("IngestedBytes", MetricUnit.Bytes),
    usage.ROWS_INGESTED: ("IngestedRows", MetricUnit.Count),
    usage.BYTES_STORED: ("StoredBytes", MetricUnit.Bytes),
}


class MeteredAccounts:
    """Accounts whose newly counted usage events are also metrics."""

    def __init__(self, inner: Accounts):
        self._inner = inner

    def count(self, tenant_id: str, day: str, event_id: str, increments: Mapping[str, float]) -> bool:
        counted = self._inner.count(tenant_id, day, event_id, increments)
        if counted:
            for name, value in increments.items():
                metric, unit = _USAGE_METRICS[name]
                metrics.add_metric(name=metric, unit=unit, value=value)
        return counted

    # the rest as is
    def create_tenant(self, tenant: TenantRecord) -> None:
        self._inner.create_tenant(tenant)

    def get_tenant(self, tenant_id: str) -> TenantRecord | None:
        return self._inner.get_tenant(tenant_id)

    def find_tenant(self, id_or_name: str) -> TenantRecord | None:
        return self._inner.find_tenant(id_or_name)

    def list_tenants(self) -> list[TenantRecord]:
        return self._inner.list_tenants()

    def set_max_parallel_runs(self, tenant_id: str, runs: int | None) -> TenantRecord:
        return self._inner.set_max_parallel_runs(tenant_id, runs)

    def key_by_digest(self, value_digest: str) -> ApiKeyRecord | None:
        return self._inner.key_by_digest(value_digest)

    def add_key(self, key: ApiKeyRecord) -> None:
        self._inner.add_key(key)

    def get_key(self, key_id: str) -> ApiKeyRecord | None:
        return self._inner.get_key(key_id)

    def revoke_key(self, key_id: str, revoked_at: str) -> ApiKeyRecord:
        return self._inner.revoke_key(key_id, revoked_at)

    def keys_of(self, tenant_id: str) -> list[ApiKeyRecord]:
        return self._inner.keys_of(tenant_id)

    def usage(self, tenant_id: str, first_day: str, last_day: str) -> list[UsageDay]:
        return self._inner.usage(tenant_id, first_day, last_day)

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

import contextvars
import os
from collections.abc import Mapping

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit

from .domain import accounts as usage
from .domain.accounts import ApiKeyRecord, TenantRecord, UsageDay
from .domain.ports import Accounts

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "algocloud")
NAMESPACE = "algocloud"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)
copy_config_to_registered_loggers(source_logger=logger, include={"algocloud"})

# The request's correlation id while a request is served (the service puts it into queue messages).
correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

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

"""Settings shared by both Lambdas and the local stack, from environment variables.

`ALGOCLOUD_BACKEND` picks the adapter set (`ALGOCLOUD_HOSTING` how the code runs, below): `aws` (the default on Lambda:
TABLE_NAME, BUCKET_NAME and QUEUE_URL required; AWS_ENDPOINT_URL points every
client at a local AWS) or `embedded` (SQLite and files under
ALGOCLOUD_STATE_DIR; presigned URLs are served by the API at
ALGOCLOUD_PUBLIC_URL; ALGOCLOUD_SQLITE_SYNCHRONOUS=full syncs every commit
to disk, for durability against power loss as well as crashes).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .. import limits


class BackendSettings(BaseSettings):
    """Where state lives."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", frozen=True)

    backend: Literal["aws", "embedded"] = Field("aws", validation_alias=AliasChoices("algocloud_backend", "backend"))
    # ALGOCLOUD_HOSTING: how the code runs, apart from where state lives: `lambda` (behind API
    # Gateway and SQS event sources, whose limits then apply) or `process` (uvicorn and local worker
    # processes). Unset: Lambda for the aws backend, processes for the embedded one.
    hosting: Literal["lambda", "process"] | None = Field(
        None, validation_alias=AliasChoices("algocloud_hosting", "hosting")
    )
    # aws
    table_name: str | None = None
    bucket_name: str | None = None
    queue_url: str | None = None
    aws_endpoint_url: str | None = Field(
        None, validation_alias=AliasChoices("algocloud_aws_endpoint_url", "aws_endpoint_url")
    )
    aws_region: str = "us-east-1"
    usage_plan_id: str | None = None  # API Gateway's usage plan of the consumers' keys (USAGE_PLAN_ID)
    # counted usage also as CloudWatch metrics (EMF, in the Lambda functions' logs)
    emit_metrics: bool = Field(False, validation_alias=AliasChoices("algocloud_metrics", "emit_metrics"))
    # a live run's message stays hidden this long at a time (renewed by a heartbeat): a crashed
    # worker's run is taken over within it
    run_visibility_seconds: int = Field(limits.HEARTBEAT_VISIBILITY_SECONDS, ge=2, le=900)
    # EXPERIMENT_CONCURRENCY: a tenant's experiment runs in flight at once, unless the tenant has its
    # own limit (algocloud-admin tenants limit); keep it below the worker's concurrency
    experiment_concurrency: int = Field(4, ge=1, le=limits.MAX_PARALLEL_RUNS)
    # AUDIT_RETENTION_DAYS: how long audit entries and their digests are kept (domain.audit)
    audit_retention_days: int = Field(limits.AUDIT_RETENTION_DAYS, ge=1, le=3650)
    # APP_VERSION: the application's version, recorded in every run's provenance
    app_version: str = "dev"
    # events (domain.events): the WebSocket API's URL for clients (EVENTS_URL, wss://…) and its
    # @connections endpoint (EVENTS_ENDPOINT, https://…/<stage>); without them no events are pushed
    events_url: str | None = None
    events_endpoint: str | None = None
    connections_table: str | None = None  # CONNECTIONS_TABLE (aws): who follows what
    # webhooks (domain.webhooks): the delivery queue (WEBHOOK_QUEUE_URL, aws), the retry schedule's
    # base (WEBHOOK_RETRY_SECONDS: 10 s, then 1, 5, 15, 15 minutes), failures in a row that disable
    # one, and plain http to loopback (WEBHOOK_ALLOW_LOOPBACK: the local stack only)
    webhook_queue_url: str | None = None
    webhook_retry_seconds: float = Field(10.0, gt=0, le=900)
    webhook_disable_after: int = Field(20, ge=1)
    webhook_allow_loopback: bool = False
    # the container tier (ECS Fargate): a deployment without these has none
    container_cluster: str | None = None
    container_task_definition: str | None = None
    container_subnets: str | None = None  # comma-separated
    container_security_groups: str | None = None  # comma-separated
    container_assign_public_ip: bool = False
    # embedded
    state_dir: Path | None = Field(None, validation_alias=AliasChoices("algocloud_state_dir", "state_dir"))
    sqlite_synchronous: Literal["normal", "full"] = Field(
        "normal", validation_alias=AliasChoices("algocloud_sqlite_synchronous", "sqlite_synchronous")
    )
    public_url: str = Field(
        "http://127.0.0.1:8051", validation_alias=AliasChoices("algocloud_public_url", "public_url")
    )

    @property
    def on_lambda(self) -> bool:
        return (self.hosting or ("lambda" if self.backend == "aws" else "process")) == "lambda"

    @property
    def has_container_tier(self) -> bool:
        return self.backend == "embedded" or bool(
            self.container_cluster and self.container_task_definition and self.container_subnets
        )

    @field_validator(
        "aws_endpoint_url",
        "container_cluster",
        "container_task_definition",
        "events_url",
        "events_endpoint",
        "connections_table",
        "webhook_queue_url",
        mode="before",
    )
    @classmethod
    def _unset_when_empty(cls, value):
        return value or None  # the template declares it empty on AWS

    @model_validator(mode="after")
    def _complete(self):
        if self.backend == "aws":
            missing = [n for n in ("table_name", "bucket_name", "queue_url") if not getattr(self, n)]
        else:
            missing = [] if self.state_dir else ["algocloud_state_dir"]
        if missing:
            raise ValueError(
                f"set the environment variables {', '.join(m.upper() for m in missing)} "
                f"(the {self.backend} backend needs them)"
            )
        return self


def load_settings[T: BaseSettings](cls: type[T]) -> T:
    """Build settings, turning pydantic's error into one clear start-up message."""
    try:
        return cls()
    except ValidationError as exc:
        problems = ", ".join(
            (
                f"{'_'.join(str(p) for p in error['loc']).upper()} ({error['msg'].lower()})"
                if error["loc"]
                else error["msg"].removeprefix("Value error, ")
            )
            for error in exc.errors()
        )
        raise RuntimeError(f"configuration error: {problems}") from None


@cache
def backend_settings() -> BackendSettings:
    return load_settings(BackendSettings)

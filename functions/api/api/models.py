"""Response bodies, as the OpenAPI document describes them (request bodies: schemas.py).

The hot endpoints return their JSON directly (responses.OrjsonResponse), so
these models document the shapes and let schemathesis check every answer
against them, at no cost per request. Extra fields are allowed: the
reference's clients ignore what they do not know.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from algocloud.domain.jobs import Executor, Tier
from algocloud.domain.kpis import Direction
from algocloud.domain.scenario import Status


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class MessageLevel(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class JobKind(StrEnum):
    etl = "etl"
    from_json = "from-json"


class JobStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    complete = "complete"
    failed = "failed"


class UploadMethod(StrEnum):
    """POST: one form upload; PUT: parts, then complete."""

    POST = "POST"
    PUT = "PUT"


class ErrorBody(_Out):
    detail: str | list[dict[str, Any]] = Field(description="what is wrong; a list for request validation (422)")


class Health(_Out):
    status: Literal["ok"]
    title: str
    sessions: list[str] = Field(description="display names")


class Me(_Out):
    tenant: str
    subject: str = Field(description="a user's stable id, an API key's id, or `anonymous` on an open deployment")
    kind: Literal["user", "key", "anonymous"]
    email: str | None = Field(description="a signed-in user's, where the provider gives it")
    role: Literal["viewer", "runner", "editor", "admin"]
    allowed: list[str] = Field(description="the operations (ids of this document) the role may do")


class ApiKey(_Out):
    key_id: str
    role: Literal["viewer", "runner", "editor", "admin"]
    created_at: str
    created_by: str | None = Field(description="the subject that made it; null: the operator")
    expires_at: str | None
    revoked_at: str | None
    active: bool


class IssuedKey(ApiKey):
    value: str = Field(
        description="the key itself (x-api-key, or the bearer value where sign-in is on): shown in this answer only"
    )


class AuditEntry(_Out):
    id: str = Field(description="UUIDv7: entries sort by time")
    at: str
    tenant: str
    actor: str = Field(description="an API key's id, a user's id, `anonymous`, or what a refused caller claimed")
    actor_kind: str
    email: str | None
    operation: str = Field(description="the operation id, or the method and path of a request refused before it")
    status: int
    ip: str | None
    user_agent: str | None
    request_id: str | None = Field(description="the X-Correlation-Id the request was answered with")
    target: dict[str, str] = Field(description="the ids the request named in its path")


class SessionRef(_Out):
    id: str
    display_name: str


class SessionList(_Out):
    sessions: list[SessionRef]
    default: str = Field(description="the id of the default session")


class AlgorithmNames(_Out):
    algorithms: list[str]


class KpiNames(_Out):
    kpis: list[str]


class ParameterDescriptor(_Out):
    name: str
    type: str = Field(description="integer, float, string, boolean, enum, multi_enum, date, time_range, …")
    required: bool
    value: Any = None
    default: Any = None
    description: str = ""


class AlgorithmParameters(_Out):
    name: str
    parameters: list[ParameterDescriptor]


class DataParameters(_Out):
    key: str
    parameters: list[ParameterDescriptor]


class KpiValue(_Out):
    name: str
    value: float | None
    unit: str
    better_when: Direction
    threshold: float | None


class AlgorithmRef(_Out):
    name: str
    parameters: list[ParameterDescriptor]


class Provenance(_Out):
    app_version: str = Field(description="the version the deployment declares (APP_VERSION)")
    code_hash: str = Field(description="sha256 of the algorithm's module and the application's module")
    dataset_hash: str = Field(description="sha256 of the dataset's stored content")
    parameters: dict[str, Any]
    data_parameters: dict[str, Any]
    executor: str | None
    runtime: dict[str, str] = Field(description="the worker's Python and pandas versions")


class Scenario(_Out):
    id: str
    tag: str
    input_data_id: str = Field(description="the dataset key")
    algorithm: AlgorithmRef
    data_parameters: dict[str, Any]
    kpis: dict[str, KpiValue]
    status: Status
    progress: float
    result: Any = None
    result_url: str | None = Field(None, description="where to read a result left out of this answer")
    error: str | None = None
    created_at: str | None = None
    run_started_at: str | None = None
    run_finished_at: str | None = None
    tier: Tier | None = Field(None, description="the tier asked for at creation")
    executor: Executor | None = Field(
        None, description="where the last run executes: lambda, container (ECS Fargate) or local (the embedded backend)"
    )
    provenance: Provenance | None = Field(None, description="what produced the result (once the run ended)")


class AlgorithmValues(_Out):
    name: str
    parameters: dict[str, Any] = Field(description="the values chosen, by parameter name")


class ScenarioSummary(_Out):
    """A scenario in `GET …/scenarios?view=summary`: the upstream 0.10 summary (no result)."""

    id: str
    tag: str
    input_data_key: str = Field(description="the dataset key")
    algorithm: AlgorithmValues
    data_parameters: dict[str, Any]
    status: Status
    progress: float
    created_at: str
    run_started_at: str | None = None
    run_finished_at: str | None = None
    result_available: bool = Field(description="the scenario is complete: GET …/scenarios/{id} has its result")
    kpis: dict[str, KpiValue]
    error: str | None = None


class ExperimentRef(_Out):
    id: str
    name: str
    algorithm: str
    runs: int
    run_session_id: str = Field(description="the session the runs live in (ordinary scenarios: get, compare, delete)")
    created_at: str
    ending: Literal["cancelling", "deleting"] | None = Field(
        None, description="while a job cancels or deletes it (answered 202): `cancelling` or `deleting`"
    )


class KpiStatistics(_Out):
    n: int
    mean: float | None
    min: float | None
    max: float | None
    stdev: float | None


class Acceptance(_Out):
    criteria: dict[str, bool | None] = Field(description="per criterion's KPI: within tolerance of the baseline")
    passed: bool | None = Field(description="every criterion passed (null: no criteria, no baseline, or no value)")


class ParameterSetReport(_Out):
    index: int
    parameters: dict[str, Any]
    kpis: dict[str, KpiStatistics] = Field(description="per KPI, over the set's complete runs")
    rank: float | None = Field(description="mean rank over the KPIs (1 is best)")
    acceptance: Acceptance


class CriterionOut(_Out):
    kpi: str
    tolerance: float
    relative: bool


class ExperimentBaseline(_Out):
    scenario_id: str | None
    parameter_set: int | None
    kpis: dict[str, float | None]


class FailedRun(_Out):
    scenario_id: str
    parameter_set: int
    error: str | None


class Experiment(ExperimentRef):
    datasets: list[str]
    repetitions: int
    parallel_runs: int = Field(description="the tenant's runs in flight at once when it was created")
    run_ids: list[str]
    counts: dict[str, int] = Field(description="runs by status")
    done: bool
    progress: float
    baseline: ExperimentBaseline
    criteria: list[CriterionOut]
    parameter_sets: list[ParameterSetReport]
    ranking: list[int] = Field(description="parameter set indexes, best first")
    failed: list[FailedRun]


class ScenarioStatus(_Out):
    id: str
    tag: str
    status: Status
    progress: float


class DatasetKeys(_Out):
    keys: list[str]


class DataSourcePayload(_Out):
    metadata: dict[str, Any]
    tables: dict[str, Any]


class EtlMessage(_Out):
    level: MessageLevel
    text: str
    file: str | None = None
    column: str | None = None
    row: int | None = None


class EtlResponse(_Out):
    dataset_name: str
    success: bool
    keys: list[str]
    messages: list[EtlMessage]


class Job(_Out):
    job_id: str
    kind: JobKind
    status: JobStatus
    progress: float
    dataset_name: str | None = None
    uploads: list[str]
    result: dict[str, Any] | None = Field(None, description="the response the request would have given")
    detail: str | None = Field(None, description="why it failed, when no result says it")
    created_at: str
    finished_at: str | None = None
    executor: Executor | None = Field(None, description="where it runs: lambda, container or local")


class UploadPart(_Out):
    part_number: int
    url: str


class UploadTarget(_Out):
    upload_id: str
    filename: str
    size: int
    expires_at: str
    method: UploadMethod
    url: str | None = None
    fields: dict[str, str] | None = None
    part_size: int | None = None
    parts: list[UploadPart] | None = None


class UploadStatus(_Out):
    upload_id: str
    filename: str
    size: int
    received: bool
    received_bytes: int | None


class Column(_Out):
    name: str
    dtype: str | None


class TableInfo(_Out):
    name: str
    rows: int
    columns: list[Column]


class DatasetTables(_Out):
    key: str
    tables: list[TableInfo]


class RowsPage(_Out):
    key: str
    table: str
    offset: int
    limit: int
    total: int
    rows: list[dict[str, Any]]
    next_offset: int | None


class ComparedScenario(_Out):
    id: str
    tag: str
    status: Status


class KpiComparison(_Out):
    name: str
    unit: str
    better_when: Direction
    threshold: float | None
    values: dict[str, float | None]
    best: list[str]
    passes: dict[str, bool | None]
    vs_baseline: dict[str, dict[str, float | None] | None] | None = None


class RankingRow(_Out):
    id: str
    tag: str
    rank: int
    mean_rank: float | None
    best_in: int
    thresholds_failed: int


class ProvenanceMix(_Out):
    versions: list[str] = Field(description="each app version (code hash) that produced a compared result")
    mixed_versions: bool = Field(description="the results came from different code")
    mixed_data: bool = Field(description="the results came from different dataset contents")
    without_provenance: list[str] = Field(description="compared scenarios run before provenance was recorded")


class Comparison(_Out):
    scenarios: list[ComparedScenario]
    baseline: str | None
    not_compared: list[ComparedScenario]
    kpis: list[KpiComparison]
    ranking: list[RankingRow]
    provenance: ProvenanceMix


class UsageCounters(_Out):
    runs_started: int
    runs_completed: int
    runs_failed: int = Field(description="cancelled runs included")
    compute_seconds: float = Field(description="processing time of the runs that ended")
    bytes_ingested: int = Field(description="files read by ETL and from-json")
    rows_ingested: int
    bytes_stored: int = Field(description="dataset bytes written")
    api_requests: int | None = Field(description="counted by API Gateway; null where it does not count")


class UsageDay(UsageCounters):
    day: str = Field(description="YYYY-MM-DD (UTC)")


class Usage(_Out):
    tenant: str
    from_: str = Field(alias="from")
    to: str
    days: list[UsageDay] = Field(description="the days with anything counted")
    totals: UsageCounters


class EventsToken(_Out):
    token: str = Field(description="open the WebSocket with `url?token=<token>` before it expires")
    url: str = Field(description="the WebSocket API's URL (wss:// on AWS)")
    expires_at: int = Field(description="when the token stops opening connections (epoch seconds)")
    connection_seconds: int = Field(description="how long a connection lives before it must reconnect")
    idle_seconds: int = Field(description="a connection with no message from the client this long is closed")


class Webhook(_Out):
    id: str
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None = None
    failures: int = Field(description="failed attempts in a row")
    created_at: str


class WebhookWithSecret(Webhook):
    secret: str = Field(description="signs every delivery (shown only here and on rotate)")


class WebhookList(_Out):
    webhooks: list[Webhook]


class DeliveryAttempt(_Out):
    delivery_id: str = Field(description="the same for each attempt of one delivery (the Webhook-Id header)")
    event_id: str
    event_type: str
    attempt: int
    at: str
    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: int
    next_attempt_in: float | None = None


class DeliveryLog(_Out):
    deliveries: list[DeliveryAttempt] = Field(description="the latest attempts, newest first")

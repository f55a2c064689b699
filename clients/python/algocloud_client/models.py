"""The API's request and response models, generated from its OpenAPI document by
scripts/make_client_models.py (datamodel-code-generator): do not edit."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class Acceptance(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    criteria: dict[str, bool | None] = Field(..., title="Criteria")
    """
    per criterion's KPI: within tolerance of the baseline
    """
    passed: bool | None = Field(..., title="Passed")
    """
    every criterion passed (null: no criteria, no baseline, or no value)
    """


class AlgorithmNames(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    algorithms: list[str] = Field(..., title="Algorithms")


class AlgorithmValues(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., title="Name")
    parameters: dict[str, Any] = Field(..., title="Parameters")
    """
    the values chosen, by parameter name
    """


class Role(StrEnum):
    VIEWER = "viewer"
    RUNNER = "runner"
    EDITOR = "editor"
    ADMIN = "admin"


class ApiKey(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    key_id: str = Field(..., title="Key Id")
    role: Role = Field(..., title="Role")
    created_at: str = Field(..., title="Created At")
    created_by: str | None = Field(..., title="Created By")
    """
    the subject that made it; null: the operator
    """
    expires_at: str | None = Field(..., title="Expires At")
    revoked_at: str | None = Field(..., title="Revoked At")
    active: bool = Field(..., title="Active")


class AuditEntry(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    """
    UUIDv7: entries sort by time
    """
    at: str = Field(..., title="At")
    tenant: str = Field(..., title="Tenant")
    actor: str = Field(..., title="Actor")
    """
    an API key's id, a user's id, `anonymous`, or what a refused caller claimed
    """
    actor_kind: str = Field(..., title="Actor Kind")
    email: str | None = Field(..., title="Email")
    operation: str = Field(..., title="Operation")
    """
    the operation id, or the method and path of a request refused before it
    """
    status: int = Field(..., title="Status")
    ip: str | None = Field(..., title="Ip")
    user_agent: str | None = Field(..., title="User Agent")
    request_id: str | None = Field(..., title="Request Id")
    """
    the X-Correlation-Id the request was answered with
    """
    target: dict[str, str] = Field(..., title="Target")
    """
    the ids the request named in its path
    """


class Column(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., title="Name")
    dtype: str | None = Field(..., title="Dtype")


class CopyBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    new_display_name: str = Field(..., min_length=1, pattern="\\S", title="New Display Name")


class CriterionOut(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    kpi: str = Field(..., title="Kpi")
    tolerance: float = Field(..., title="Tolerance")
    relative: bool = Field(..., title="Relative")


class DataSourcePayload(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    metadata: dict[str, Any] = Field(..., title="Metadata")
    tables: dict[str, Any] = Field(..., title="Tables")


class DatasetKeys(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    keys: list[str] = Field(..., title="Keys")


class DeliveryAttempt(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    delivery_id: str = Field(..., title="Delivery Id")
    """
    the same for each attempt of one delivery (the Webhook-Id header)
    """
    event_id: str = Field(..., title="Event Id")
    event_type: str = Field(..., title="Event Type")
    attempt: int = Field(..., title="Attempt")
    at: str = Field(..., title="At")
    ok: bool = Field(..., title="Ok")
    status_code: int | None = Field(None, title="Status Code")
    error: str | None = Field(None, title="Error")
    duration_ms: int = Field(..., title="Duration Ms")
    next_attempt_in: float | None = Field(None, title="Next Attempt In")


class DeliveryLog(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    deliveries: list[DeliveryAttempt] = Field(..., title="Deliveries")
    """
    the latest attempts, newest first
    """


class DeriveBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    new_key: str = Field(..., min_length=1, pattern="\\S", title="New Key")


class Direction(StrEnum):
    """
    Which values are better; the last two compare against a threshold.
    """

    HIGHER = "higher"
    LOWER = "lower"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


class DisplayNameBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    display_name: str = Field(..., min_length=1, pattern="\\S", title="Display Name")


class EventsToken(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    token: str = Field(..., title="Token")
    """
    open the WebSocket with `url?token=<token>` before it expires
    """
    url: str = Field(..., title="Url")
    """
    the WebSocket API's URL (wss:// on AWS)
    """
    expires_at: int = Field(..., title="Expires At")
    """
    when the token stops opening connections (epoch seconds)
    """
    connection_seconds: int = Field(..., title="Connection Seconds")
    """
    how long a connection lives before it must reconnect
    """
    idle_seconds: int = Field(..., title="Idle Seconds")
    """
    a connection with no message from the client this long is closed
    """


class Executor(StrEnum):
    """
    Where a job's work runs (a scenario's `executor`): the worker Lambda, a container task,
    or, on the embedded backend, a local worker process.
    """

    LAMBDA = "lambda"
    CONTAINER = "container"
    LOCAL = "local"


class Ending(StrEnum):
    """
    while a job cancels or deletes it (answered 202): `cancelling` or `deleting`
    """

    CANCELLING = "cancelling"
    DELETING = "deleting"


class ExperimentBaseline(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    scenario_id: str | None = Field(..., title="Scenario Id")
    parameter_set: int | None = Field(..., title="Parameter Set")
    kpis: dict[str, float | None] = Field(..., title="Kpis")


class DatasetKey(RootModel[str]):
    root: str = Field(..., min_length=1, pattern="\\S")


class ParameterSets(RootModel[list[dict[str, Any]]]):
    root: list[dict[str, Any]] = Field(..., max_length=1000, title="Parameter Sets")


class BaselineSet(RootModel[int]):
    root: int = Field(..., ge=0, title="Baseline Set")
    """
    or the index of one of the parameter sets
    """


class ExperimentBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., min_length=1, pattern="\\S", title="Name")
    dataset_keys: list[DatasetKey] = Field(..., max_length=20, min_length=1, title="Dataset Keys")
    algo_name: str = Field(..., min_length=1, pattern="\\S", title="Algo Name")
    algo_params: dict[str, Any] | None = Field(None, title="Algo Params")
    """
    base parameter values of every run
    """
    grid: dict[str, list[Any]] | None = Field(None, title="Grid")
    """
    parameter -> values: every combination is a parameter set (or give `parameter_sets`)
    """
    parameter_sets: ParameterSets | None = Field(None, title="Parameter Sets")
    repetitions: int | None = Field(1, ge=1, le=1000, title="Repetitions")
    """
    runs per set; `seed` varies per one
    """
    baseline_scenario: str | None = Field(None, title="Baseline Scenario")
    """
    a complete scenario of this session
    """
    baseline_set: BaselineSet | None = Field(None, title="Baseline Set")
    """
    or the index of one of the parameter sets
    """
    accept: list[str] | None = Field(None, max_length=50, title="Accept")
    """
    acceptance criteria against the baseline, e.g. `Travel distance<=+2%` or `Fill rate>=-0.5`
    """


class ExperimentRef(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    name: str = Field(..., title="Name")
    algorithm: str = Field(..., title="Algorithm")
    runs: int = Field(..., title="Runs")
    run_session_id: str = Field(..., title="Run Session Id")
    """
    the session the runs live in (ordinary scenarios: get, compare, delete)
    """
    created_at: str = Field(..., title="Created At")
    ending: Ending | None = Field(None, title="Ending")
    """
    while a job cancels or deletes it (answered 202): `cancelling` or `deleting`
    """


class FailedRun(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    scenario_id: str = Field(..., title="Scenario Id")
    parameter_set: int = Field(..., title="Parameter Set")
    error: str | None = Field(..., title="Error")


class Health(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    status: Literal["ok"] = Field(..., title="Status")
    title: str = Field(..., title="Title")
    sessions: list[str] = Field(..., title="Sessions")
    """
    display names
    """


class IssuedKey(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    key_id: str = Field(..., title="Key Id")
    role: Role = Field(..., title="Role")
    created_at: str = Field(..., title="Created At")
    created_by: str | None = Field(..., title="Created By")
    """
    the subject that made it; null: the operator
    """
    expires_at: str | None = Field(..., title="Expires At")
    revoked_at: str | None = Field(..., title="Revoked At")
    active: bool = Field(..., title="Active")
    value: str = Field(..., title="Value")
    """
    the key itself (x-api-key, or the bearer value where sign-in is on): shown in this answer only
    """


class JobKind(StrEnum):
    ETL = "etl"
    FROM_JSON = "from-json"


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETE = "complete"
    FAILED = "failed"


class ExpiresInDays(RootModel[int]):
    root: int = Field(..., ge=1, le=3650, title="Expires In Days")
    """
    it stops working then; none: when revoked
    """


class KpiComparison(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., title="Name")
    unit: str = Field(..., title="Unit")
    better_when: Direction
    threshold: float | None = Field(..., title="Threshold")
    values: dict[str, float | None] = Field(..., title="Values")
    best: list[str] = Field(..., title="Best")
    passes: dict[str, bool | None] = Field(..., title="Passes")
    vs_baseline: dict[str, dict[str, float | None] | None] | None = Field(None, title="Vs Baseline")


class KpiNames(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    kpis: list[str] = Field(..., title="Kpis")


class KpiStatistics(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    n: int = Field(..., title="N")
    mean: float | None = Field(..., title="Mean")
    min: float | None = Field(..., title="Min")
    max: float | None = Field(..., title="Max")
    stdev: float | None = Field(..., title="Stdev")


class KpiValue(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., title="Name")
    value: float | None = Field(..., title="Value")
    unit: str = Field(..., title="Unit")
    better_when: Direction
    threshold: float | None = Field(..., title="Threshold")


class Kind(StrEnum):
    USER = "user"
    KEY = "key"
    ANONYMOUS = "anonymous"


class Me(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    tenant: str = Field(..., title="Tenant")
    subject: str = Field(..., title="Subject")
    """
    a user's stable id, an API key's id, or `anonymous` on an open deployment
    """
    kind: Kind = Field(..., title="Kind")
    email: str | None = Field(..., title="Email")
    """
    a signed-in user's, where the provider gives it
    """
    role: Role = Field(..., title="Role")
    allowed: list[str] = Field(..., title="Allowed")
    """
    the operations (ids of this document) the role may do
    """


class MessageLevel(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Visibility(StrEnum):
    """
    tenant (the default): every member sees it (by role); private: its maker and the tenant's admins only (to everyone else it does not exist)
    """

    TENANT = "tenant"
    PRIVATE = "private"


class NewSessionBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    display_name: str = Field(..., min_length=1, pattern="\\S", title="Display Name")
    visibility: Visibility | None = Field(None, title="Visibility")
    """
    tenant (the default): every member sees it (by role); private: its maker and the tenant's admins only (to everyone else it does not exist)
    """


class ParameterDescriptor(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., title="Name")
    type: str = Field(..., title="Type")
    """
    integer, float, string, boolean, enum, multi_enum, date, time_range, …
    """
    required: bool = Field(..., title="Required")
    value: Any | None = Field(None, title="Value")
    default: Any | None = Field(None, title="Default")
    description: str | None = Field("", title="Description")


class ParameterSetReport(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    index: int = Field(..., title="Index")
    parameters: dict[str, Any] = Field(..., title="Parameters")
    kpis: dict[str, KpiStatistics] = Field(..., title="Kpis")
    """
    per KPI, over the set's complete runs
    """
    rank: float | None = Field(..., title="Rank")
    """
    mean rank over the KPIs (1 is best)
    """
    acceptance: Acceptance


class PartBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    part_number: int = Field(..., ge=1, le=10000, title="Part Number")
    etag: str = Field(..., max_length=200, min_length=1, title="Etag")


class Provenance(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    app_version: str = Field(..., title="App Version")
    """
    the version the deployment declares (APP_VERSION)
    """
    code_hash: str = Field(..., title="Code Hash")
    """
    sha256 of the algorithm's module and the application's module
    """
    dataset_hash: str = Field(..., title="Dataset Hash")
    """
    sha256 of the dataset's stored content
    """
    parameters: dict[str, Any] = Field(..., title="Parameters")
    data_parameters: dict[str, Any] = Field(..., title="Data Parameters")
    executor: str | None = Field(..., title="Executor")
    runtime: dict[str, str] = Field(..., title="Runtime")
    """
    the worker's Python and pandas versions
    """


class ProvenanceMix(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    versions: list[str] = Field(..., title="Versions")
    """
    each app version (code hash) that produced a compared result
    """
    mixed_versions: bool = Field(..., title="Mixed Versions")
    """
    the results came from different code
    """
    mixed_data: bool = Field(..., title="Mixed Data")
    """
    the results came from different dataset contents
    """
    without_provenance: list[str] = Field(..., title="Without Provenance")
    """
    compared scenarios run before provenance was recorded
    """


class RankingRow(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    tag: str = Field(..., title="Tag")
    rank: int = Field(..., title="Rank")
    mean_rank: float | None = Field(..., title="Mean Rank")
    best_in: int = Field(..., title="Best In")
    thresholds_failed: int = Field(..., title="Thresholds Failed")


class RoleModel(StrEnum):
    """
    Each role may do what the one before it may, and more.
    """

    VIEWER = "viewer"
    RUNNER = "runner"
    EDITOR = "editor"
    ADMIN = "admin"


class RowsPage(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    key: str = Field(..., title="Key")
    table: str = Field(..., title="Table")
    offset: int = Field(..., title="Offset")
    limit: int = Field(..., title="Limit")
    total: int = Field(..., title="Total")
    rows: list[dict[str, Any]] = Field(..., title="Rows")
    next_offset: int | None = Field(..., title="Next Offset")


class SessionRef(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    display_name: str = Field(..., title="Display Name")


class Status(StrEnum):
    """
    The status of every job (lowercase, as the reference's polling loop expects).
    """

    CREATED = "created"
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETE = "complete"
    FAILED = "failed"


class TableInfo(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., title="Name")
    rows: int = Field(..., title="Rows")
    columns: list[Column] = Field(..., title="Columns")


class Tier(StrEnum):
    """
    Where a job may be asked to run: the worker Lambda, or the container tier (ECS Fargate).
    """

    LAMBDA = "lambda"
    CONTAINER = "container"


class UploadBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    filename: str = Field(..., min_length=1, pattern="\\S", title="Filename")
    size: int = Field(..., gt=0, le=1073741824, title="Size")


class UploadMethod(StrEnum):
    """
    POST: one form upload; PUT: parts, then complete.
    """

    POST = "POST"
    PUT = "PUT"


class UploadPart(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    part_number: int = Field(..., title="Part Number")
    url: str = Field(..., title="Url")


class UploadStatus(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    upload_id: str = Field(..., title="Upload Id")
    filename: str = Field(..., title="Filename")
    size: int = Field(..., title="Size")
    received: bool = Field(..., title="Received")
    received_bytes: int | None = Field(..., title="Received Bytes")


class UploadTarget(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    upload_id: str = Field(..., title="Upload Id")
    filename: str = Field(..., title="Filename")
    size: int = Field(..., title="Size")
    expires_at: str = Field(..., title="Expires At")
    method: UploadMethod
    url: str | None = Field(None, title="Url")
    fields: dict[str, str] | None = Field(None, title="Fields")
    part_size: int | None = Field(None, title="Part Size")
    parts: list[UploadPart] | None = Field(None, title="Parts")


class UsageCounters(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    runs_started: int = Field(..., title="Runs Started")
    runs_completed: int = Field(..., title="Runs Completed")
    runs_failed: int = Field(..., title="Runs Failed")
    """
    cancelled runs included
    """
    compute_seconds: float = Field(..., title="Compute Seconds")
    """
    processing time of the runs that ended
    """
    bytes_ingested: int = Field(..., title="Bytes Ingested")
    """
    files read by ETL and from-json
    """
    rows_ingested: int = Field(..., title="Rows Ingested")
    bytes_stored: int = Field(..., title="Bytes Stored")
    """
    dataset bytes written
    """
    api_requests: int | None = Field(..., title="Api Requests")
    """
    counted by API Gateway; null where it does not count
    """


class UsageDay(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    runs_started: int = Field(..., title="Runs Started")
    runs_completed: int = Field(..., title="Runs Completed")
    runs_failed: int = Field(..., title="Runs Failed")
    """
    cancelled runs included
    """
    compute_seconds: float = Field(..., title="Compute Seconds")
    """
    processing time of the runs that ended
    """
    bytes_ingested: int = Field(..., title="Bytes Ingested")
    """
    files read by ETL and from-json
    """
    rows_ingested: int = Field(..., title="Rows Ingested")
    bytes_stored: int = Field(..., title="Bytes Stored")
    """
    dataset bytes written
    """
    api_requests: int | None = Field(..., title="Api Requests")
    """
    counted by API Gateway; null where it does not count
    """
    day: str = Field(..., title="Day")
    """
    YYYY-MM-DD (UTC)
    """


class ValidationError(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    loc: list[str | int] = Field(..., title="Location")
    msg: str = Field(..., title="Message")
    type: str = Field(..., title="Error Type")
    input: Any | None = Field(None, title="Input")
    ctx: dict[str, Any] | None = Field(None, title="Context")


class View(StrEnum):
    FULL = "full"
    SUMMARY = "summary"


class Webhook(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    url: str = Field(..., title="Url")
    events: list[str] = Field(..., title="Events")
    enabled: bool = Field(..., title="Enabled")
    disabled_reason: str | None = Field(None, title="Disabled Reason")
    failures: int = Field(..., title="Failures")
    """
    failed attempts in a row
    """
    created_at: str = Field(..., title="Created At")


class Events(RootModel[list[str]]):
    root: list[str] = Field(..., max_length=20, min_length=1, title="Events")
    """
    event types to deliver (leave it out: every type)
    """


class WebhookBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    url: str = Field(..., title="Url")
    """
    where events are POSTed: https (the local stack also takes http to loopback)
    """
    events: Events | None = Field(None, title="Events")
    """
    event types to deliver (leave it out: every type)
    """


class WebhookList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    webhooks: list[Webhook] = Field(..., title="Webhooks")


class WebhookWithSecret(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    url: str = Field(..., title="Url")
    events: list[str] = Field(..., title="Events")
    enabled: bool = Field(..., title="Enabled")
    disabled_reason: str | None = Field(None, title="Disabled Reason")
    failures: int = Field(..., title="Failures")
    """
    failed attempts in a row
    """
    created_at: str = Field(..., title="Created At")
    secret: str = Field(..., title="Secret")
    """
    signs every delivery (shown only here and on rotate)
    """


class ErrorBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    detail: str | list[dict[str, Any]] = Field(..., title="Detail")
    """
    what is wrong; a list for request validation (422)
    """


class AlgorithmParameters(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., title="Name")
    parameters: list[ParameterDescriptor] = Field(..., title="Parameters")


class AlgorithmRef(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str = Field(..., title="Name")
    parameters: list[ParameterDescriptor] = Field(..., title="Parameters")


class ComparedScenario(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    tag: str = Field(..., title="Tag")
    status: Status


class Comparison(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    scenarios: list[ComparedScenario] = Field(..., title="Scenarios")
    baseline: str | None = Field(..., title="Baseline")
    not_compared: list[ComparedScenario] = Field(..., title="Not Compared")
    kpis: list[KpiComparison] = Field(..., title="Kpis")
    ranking: list[RankingRow] = Field(..., title="Ranking")
    provenance: ProvenanceMix


class CompleteUploadBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    parts: list[PartBody] = Field(..., max_length=10000, min_length=1, title="Parts")


class DataParameters(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    key: str = Field(..., title="Key")
    parameters: list[ParameterDescriptor] = Field(..., title="Parameters")


class DatasetTables(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    key: str = Field(..., title="Key")
    tables: list[TableInfo] = Field(..., title="Tables")


class EtlMessage(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    level: MessageLevel
    text: str = Field(..., title="Text")
    file: str | None = Field(None, title="File")
    column: str | None = Field(None, title="Column")
    row: int | None = Field(None, title="Row")


class EtlResponse(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    dataset_name: str = Field(..., title="Dataset Name")
    success: bool = Field(..., title="Success")
    keys: list[str] = Field(..., title="Keys")
    messages: list[EtlMessage] = Field(..., title="Messages")


class Experiment(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    name: str = Field(..., title="Name")
    algorithm: str = Field(..., title="Algorithm")
    runs: int = Field(..., title="Runs")
    run_session_id: str = Field(..., title="Run Session Id")
    """
    the session the runs live in (ordinary scenarios: get, compare, delete)
    """
    created_at: str = Field(..., title="Created At")
    ending: Ending | None = Field(None, title="Ending")
    """
    while a job cancels or deletes it (answered 202): `cancelling` or `deleting`
    """
    datasets: list[str] = Field(..., title="Datasets")
    repetitions: int = Field(..., title="Repetitions")
    parallel_runs: int = Field(..., title="Parallel Runs")
    """
    the tenant's runs in flight at once when it was created
    """
    run_ids: list[str] = Field(..., title="Run Ids")
    counts: dict[str, int] = Field(..., title="Counts")
    """
    runs by status
    """
    done: bool = Field(..., title="Done")
    progress: float = Field(..., title="Progress")
    baseline: ExperimentBaseline
    criteria: list[CriterionOut] = Field(..., title="Criteria")
    parameter_sets: list[ParameterSetReport] = Field(..., title="Parameter Sets")
    ranking: list[int] = Field(..., title="Ranking")
    """
    parameter set indexes, best first
    """
    failed: list[FailedRun] = Field(..., title="Failed")


class HTTPValidationError(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    detail: list[ValidationError] | None = Field(None, title="Detail")


class Job(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    job_id: str = Field(..., title="Job Id")
    kind: JobKind
    status: JobStatus
    progress: float = Field(..., title="Progress")
    dataset_name: str | None = Field(None, title="Dataset Name")
    uploads: list[str] = Field(..., title="Uploads")
    result: dict[str, Any] | None = Field(None, title="Result")
    """
    the response the request would have given
    """
    detail: str | None = Field(None, title="Detail")
    """
    why it failed, when no result says it
    """
    created_at: str = Field(..., title="Created At")
    finished_at: str | None = Field(None, title="Finished At")
    executor: Executor | None = None
    """
    where it runs: lambda, container or local
    """


class KeyBody(BaseModel):
    """
    A new API key of the caller's tenant (POST /keys).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    role: RoleModel
    """
    what the key may do; at most the caller's own role
    """
    expires_in_days: ExpiresInDays | None = Field(None, title="Expires In Days")
    """
    it stops working then; none: when revoked
    """


class Scenario(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    tag: str = Field(..., title="Tag")
    input_data_id: str = Field(..., title="Input Data Id")
    """
    the dataset key
    """
    algorithm: AlgorithmRef
    data_parameters: dict[str, Any] = Field(..., title="Data Parameters")
    kpis: dict[str, KpiValue] = Field(..., title="Kpis")
    status: Status
    progress: float = Field(..., title="Progress")
    result: Any | None = Field(None, title="Result")
    result_url: str | None = Field(None, title="Result Url")
    """
    where to read a result left out of this answer
    """
    error: str | None = Field(None, title="Error")
    created_at: str | None = Field(None, title="Created At")
    run_started_at: str | None = Field(None, title="Run Started At")
    run_finished_at: str | None = Field(None, title="Run Finished At")
    tier: Tier | None = None
    """
    the tier asked for at creation
    """
    executor: Executor | None = None
    """
    where the last run executes: lambda, container (ECS Fargate) or local (the embedded backend)
    """
    provenance: Provenance | None = None
    """
    what produced the result (once the run ended)
    """


class ScenarioBody(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    tag: str = Field(..., min_length=1, pattern="\\S", title="Tag")
    dataset_key: str = Field(..., min_length=1, pattern="\\S", title="Dataset Key")
    algo_name: str = Field(..., min_length=1, pattern="\\S", title="Algo Name")
    algo_params: dict[str, Any] | None = Field(None, title="Algo Params")
    data_params: dict[str, Any] | None = Field(None, title="Data Params")
    tier: Tier | None = None
    """
    where its runs execute: `lambda` (the worker Lambda, handed to the container tier if a run would pass its time limit) or `container` (ECS Fargate, no time limit); unset: the algorithm's choice, else lambda
    """


class ScenarioStatus(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    tag: str = Field(..., title="Tag")
    status: Status
    progress: float = Field(..., title="Progress")


class ScenarioSummary(BaseModel):
    """
    A scenario in `GET …/scenarios?view=summary`: the upstream 0.10 summary (no result).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: str = Field(..., title="Id")
    tag: str = Field(..., title="Tag")
    input_data_key: str = Field(..., title="Input Data Key")
    """
    the dataset key
    """
    algorithm: AlgorithmValues
    data_parameters: dict[str, Any] = Field(..., title="Data Parameters")
    status: Status
    progress: float = Field(..., title="Progress")
    created_at: str = Field(..., title="Created At")
    run_started_at: str | None = Field(None, title="Run Started At")
    run_finished_at: str | None = Field(None, title="Run Finished At")
    result_available: bool = Field(..., title="Result Available")
    """
    the scenario is complete: GET …/scenarios/{id} has its result
    """
    kpis: dict[str, KpiValue] = Field(..., title="Kpis")
    error: str | None = Field(None, title="Error")


class SessionList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    sessions: list[SessionRef] = Field(..., title="Sessions")
    default: str = Field(..., title="Default")
    """
    the id of the default session
    """


class Usage(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    tenant: str = Field(..., title="Tenant")
    from_: str = Field(..., alias="from", title="From")
    to: str = Field(..., title="To")
    days: list[UsageDay] = Field(..., title="Days")
    """
    the days with anything counted
    """
    totals: UsageCounters

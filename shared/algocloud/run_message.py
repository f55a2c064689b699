"""The run message: the one contract between `POST .../run` and the worker.

A message names one run of one scenario. `run_id` is new for every run, so a
stale or duplicated message (the scenario was reset and queued again, or
deleted) is recognised by the worker and dropped.

The queue is FIFO with one message group per session: SQS hands out a
group's next message only once the previous one is done, which is what keeps
at most one scenario per session processing, while sessions run in parallel.
"""

from __future__ import annotations

import contextvars
from typing import ClassVar, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

# The id of the request being served (API Gateway's request id): every message queued while
# serving it carries it, so the worker's logs of that run can be found from the request.
correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)


class _SessionMessage(BaseModel):
    """What every message on the run queue has: its session's FIFO group, and its body."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    tenant: str
    session_id: str
    correlation_id: str | None = Field(default_factory=lambda: correlation_id.get())
    # An experiment's run goes in one of its tenant's experiment lanes instead of its session's
    # group (usecases/experiments.py): as many in flight at once as the tenant has lanes.
    lane: str | None = None
    # The metrics of this kind's outcomes (count by outcome, duration of those that ended), if any.
    outcome_metrics: ClassVar[tuple[str, str] | None] = None

    @property
    def group_id(self) -> str:
        """FIFO message group: a session's work goes one at a time, in order; a lane's too."""
        return f"{self.tenant}/{self.lane or self.session_id}"

    def to_body(self) -> str:
        return self.model_dump_json()


class RunMessage(_SessionMessage):
    outcome_metrics: ClassVar[tuple[str, str] | None] = ("Runs", "RunDuration")
    scenario_id: str
    run_id: str
    # An experiment's run: (the session the experiment is in, its id). A run of an experiment
    # being cancelled ends cancelled when its message comes, without running.
    experiment: tuple[str, str] | None = None

    @property
    def deduplication_id(self) -> str:
        """FIFO deduplication: the same run is never enqueued twice."""
        return self.run_id

    @property
    def log_id(self) -> str:
        return f"run {self.run_id}"

    @classmethod
    def from_body(cls, body: str | bytes) -> RunMessage:
        return cls.model_validate_json(body)


class IngestMessage(_SessionMessage):
    """A dataset ingestion too large for a request: the job `job_id` of a session.

    It travels on the run queue in the session's message group, so it keeps
    its place among the session's runs (a run queued after an upload sees
    the dataset), and the one worker, its heartbeat and its dead-letter queue
    serve both kinds of work.
    """

    kind: Literal["ingest"] = "ingest"
    job_id: str

    @property
    def deduplication_id(self) -> str:
        return self.job_id

    @property
    def log_id(self) -> str:
        return f"ingest {self.job_id}"


class ExperimentMessage(_SessionMessage):
    """Cancel (or delete) an experiment too large to end within a request: the runs in flight
    of experiment `experiment_id` (of session `session_id`) end cancelled, then, for `delete`,
    its run session and plan go. It travels in a group of its own (`lane`), behind no run."""

    kind: Literal["experiment"] = "experiment"
    experiment_id: str
    action: Literal["cancel", "delete"]
    round: int = 0  # a new round (after an invocation ran out of time) is a new message

    @property
    def deduplication_id(self) -> str:
        return f"{self.experiment_id}:{self.action}:{self.round}"

    @property
    def log_id(self) -> str:
        return f"experiment {self.experiment_id} ({self.action})"


QueueMessage = RunMessage | IngestMessage | ExperimentMessage
ContainerMessage = RunMessage | IngestMessage  # the kinds the container tier may run

# A container-tier task gets its message (ids only) in this environment variable.
TASK_MESSAGE_VARIABLE = "ALGOCLOUD_TASK_MESSAGE"


def parse_container_message(body: str | bytes) -> ContainerMessage:
    """A container task's message (ValueError for a kind the container tier never runs)."""
    message = parse_message(body)
    if isinstance(message, ExperimentMessage):
        raise ValueError(  # noqa: TRY004 - a message of the wrong kind is a bad value
            "the container tier runs scenario runs and ingestion jobs only"
        )
    return message


def parse_message(body: str | bytes) -> QueueMessage:
    """A message from the run queue, of either kind (ValueError when it is neither)."""
    data = orjson.loads(body)
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind == "ingest":
        return IngestMessage.model_validate(data)
    if kind == "experiment":
        return ExperimentMessage.model_validate(data)
    return RunMessage.model_validate(data)

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
from typing import Literal

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

    @property
    def group_id(self) -> str:
        """FIFO message group: a session's work goes one at a time, in order; a lane's too."""
        return f"{self.tenant}/{self.lane or self.session_id}"

    def to_body(self) -> str:
        return self.model_dump_json()


class RunMessage(_SessionMessage):
    scenario_id: str
    run_id: str

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


QueueMessage = RunMessage | IngestMessage

# A container-tier task gets its message (ids only) in this environment variable.
TASK_MESSAGE_VARIABLE = "ALGOCLOUD_TASK_MESSAGE"


def parse_message(body: str | bytes) -> QueueMessage:
    """A message from the run queue, of either kind (ValueError when it is neither)."""
    data = orjson.loads(body)
    if isinstance(data, dict) and data.get("kind") == "ingest":
        return IngestMessage.model_validate(data)
    return RunMessage.model_validate(data)

"""Jobs: the queued work the worker executes, with one status enum and one transition table.

A job is a scenario run (its record is the scenario: domain.scenario adds `created` and
reset around the same lifecycle) or an ingestion of uploaded files (`IngestJob`), and next
the container tier's launches and experiments. Every job goes

    queued -> processing -> complete
                  \\-----> failed      (queued -> failed too: given up, or never queued)

and `processing -> processing` is a redelivered message taking over an attempt that was cut
off. Both repositories build their conditional writes from these tables, so two writers can
never both move a job: this module is the one place the rules live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .errors import InvalidTransition


class Status(StrEnum):
    """The status of every job (lowercase, as the reference's polling loop expects)."""

    CREATED = "created"  # scenarios only: made, not yet queued
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETE = "complete"
    FAILED = "failed"


class JobKind(StrEnum):
    """What a queue message asks the worker to do."""

    RUN = "run"  # run a scenario
    ETL = "etl"  # ETL of uploaded files into a dataset
    FROM_JSON = "from-json"  # an uploaded DataSource JSON into a dataset


JOB_TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    Status.QUEUED: frozenset({Status.PROCESSING, Status.FAILED}),
    Status.PROCESSING: frozenset({Status.PROCESSING, Status.COMPLETE, Status.FAILED}),
    Status.COMPLETE: frozenset(),
    Status.FAILED: frozenset(),
}
IN_FLIGHT = frozenset({Status.QUEUED, Status.PROCESSING})
TERMINAL = frozenset({Status.COMPLETE, Status.FAILED})


def sources_in(table: Mapping[Status, frozenset[Status]], target: Status) -> frozenset[Status]:
    """The statuses from which `target` may be entered, by `table`."""
    return frozenset(source for source, targets in table.items() if target in targets)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class IngestJob:
    """Uploaded files read into a dataset by the worker (too large to ingest within a request).

    `result` is the answer the request would have given (the ETL response, or the dataset
    keys of from-json); `detail` says why a job failed when no result says it.
    """

    job_id: str
    kind: JobKind
    upload_ids: list[str]
    dataset_name: str | None = None
    status: Status = Status.QUEUED
    progress: float = 0.0
    result: dict[str, Any] | None = None
    detail: str | None = None
    created_at: str = field(default_factory=now_iso)
    finished_at: str | None = None


def check_job_transition(current: Status, target: Status) -> None:
    if target not in JOB_TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(f"the job is {current}; it cannot become {target}")


# What the fields of a job may be set to by a transition (the rest are fixed at creation).
JOB_MUTABLE_FIELDS = frozenset({"progress", "result", "detail", "finished_at"})

"""Jobs: the queued work the worker executes, with one status enum and one transition table.

A job is a scenario run (its record is the scenario: domain.scenario adds `created` and
reset around the same lifecycle) or an ingestion of uploaded files (`IngestJob`), and next
the container tier's launches and experiments. Every job goes

    queued -> processing -> complete
                  \\-----> failed      (queued -> failed too: given up, or never queued)

and `processing -> processing` is a redelivered message taking over an attempt that was cut
off. Both backends' job stores build their conditional writes from these tables, so two writers can
never both move a job: this module is the one place the rules live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

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


class Tier(StrEnum):
    """Where a job may be asked to run: the worker Lambda, or the container tier (ECS Fargate)."""

    LAMBDA = "lambda"
    CONTAINER = "container"


class Executor(StrEnum):
    """Where a job's work runs (a scenario's `executor`): the worker Lambda, a container task,
    or, on the embedded backend, a local worker process."""

    LAMBDA = "lambda"
    CONTAINER = "container"
    LOCAL = "local"


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


def seconds_since(iso: str) -> float:
    return (datetime.now(UTC) - datetime.fromisoformat(iso)).total_seconds()


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
    executor: str | None = None  # where it runs (Executor)
    task_id: str | None = None  # the container task running it
    receipt: str | None = None  # the queue message it holds while a container runs it


def check_job_transition(current: Status, target: Status) -> None:
    if target not in JOB_TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(f"the job is {current}; it cannot become {target}")


type Fields = Mapping[str, Any] | None  # what a transition sets besides the status

# What a transition may set on a job (the rest is fixed at creation).
JOB_MUTABLE_FIELDS = frozenset({"progress", "result", "detail", "finished_at", "executor", "task_id", "receipt"})


def job_record(job: IngestJob) -> dict[str, Any]:
    """A job as both backends store it: plain values, its lists and documents as JSON text."""
    return {
        "job_id": job.job_id,
        "job_kind": str(job.kind),
        "upload_ids": orjson.dumps(job.upload_ids).decode(),
        "dataset_name": job.dataset_name,
        "status": str(job.status),
        "progress": float(job.progress),
        "result": None if job.result is None else orjson.dumps(job.result).decode(),
        "detail": job.detail,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "executor": job.executor,
        "task_id": job.task_id,
        "receipt": job.receipt,
    }


def job_from_record(record: Mapping[str, Any]) -> IngestJob:
    return IngestJob(
        job_id=record["job_id"],
        kind=JobKind(record["job_kind"]),
        upload_ids=orjson.loads(record["upload_ids"]),
        dataset_name=record.get("dataset_name"),
        status=Status(record["status"]),
        progress=float(record.get("progress") or 0.0),
        result=None if record.get("result") is None else orjson.loads(record["result"]),
        detail=record.get("detail"),
        created_at=record["created_at"],
        finished_at=record.get("finished_at"),
        executor=record.get("executor"),
        task_id=record.get("task_id"),
        receipt=record.get("receipt"),
    )


def job_update(target: Status, set_fields: Fields) -> tuple[dict[str, Any], list[str]]:
    """What a conditional job transition writes (the status first, then `set_fields` as stored),
    and the statuses it may start from; InvalidTransition when none can reach `target`."""
    changes = {name: value for name, value in (set_fields or {}).items() if value is not None}  # None: unchanged
    if not set(changes) <= JOB_MUTABLE_FIELDS:
        raise ValueError(f"not changeable job fields: {sorted(set(changes) - JOB_MUTABLE_FIELDS)}")
    sources = sorted(str(source) for source in sources_in(JOB_TRANSITIONS, target))
    if not sources:
        raise InvalidTransition(f"a job never becomes {target}")
    if changes.get("result") is not None:
        changes["result"] = orjson.dumps(changes["result"]).decode()  # as job_record stores it
    return {"status": str(target), **changes}, sources

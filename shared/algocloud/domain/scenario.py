"""Scenarios and their status state machine (a scenario's run is a job: domain.jobs).

    created -> queued -> processing -> complete
       ^          \\           \\-----> failed
       +--- reset (from complete or failed) ---+

`queued -> failed` is for a run whose message is given up on (dead-letter
queue). `processing -> processing` is a redelivered message taking over a run
cut off by a timeout. Storage adapters build their conditional writes from
`TRANSITIONS`, so this table is the one place the rules live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from .errors import InvalidTransition
from .ids import created_at_of, new_id
from .jobs import IN_FLIGHT, JOB_TRANSITIONS, TERMINAL, Status, now_iso, sources_in

__all__ = [
    "CANCELLED",
    "IN_FLIGHT",
    "MAX_ERROR_CHARS",
    "RUN_FIELDS",
    "STORED_FIELDS",
    "TERMINAL",
    "TRANSITIONS",
    "RunEnd",
    "Scenario",
    "ScenarioStatus",
    "Status",
    "now_iso",
    "run_end",
    "sources_of",
]


# A scenario's run is a job (domain.jobs): the same lifecycle, with `created` before it and reset after.
TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    Status.CREATED: frozenset({Status.QUEUED}),
    Status.QUEUED: JOB_TRANSITIONS[Status.QUEUED],
    Status.PROCESSING: JOB_TRANSITIONS[Status.PROCESSING],
    Status.COMPLETE: frozenset({Status.CREATED}),  # reset
    Status.FAILED: frozenset({Status.CREATED}),  # reset
}
# What a run leaves on a scenario; reset clears exactly these (and progress).
RUN_FIELDS = (
    "result",
    "kpi_values",
    "error",
    "run_id",
    "run_started_at",
    "run_finished_at",
    "result_ref",
    "executor",
    "task_id",
    "receipt",
    "provenance",
)


CANCELLED = "cancelled"  # the error of a cancelled run (no new status: polling loops still end)
MAX_ERROR_CHARS = 2000


class RunEnd(StrEnum):
    """Every way a run ends. Each ends `complete` or `failed` with the same fields (run_end)."""

    COMPLETE = "complete"
    FAILED = "failed"  # the algorithm, its result or a KPI failed; or it could not run here
    CANCELLED = "cancelled"  # POST …/cancel, an experiment's cancel, or its run found it cancelling
    GIVEN_UP = "given up"  # its message reached the dead-letter queue (timed out or crashed 5 times)
    TASK_LOST = "task lost"  # the container task running it stopped before the end
    NOT_QUEUED = "not queued"  # its message could not be sent


def run_end(how: RunEnd, error: str | None = None) -> tuple[Status, dict[str, Any]]:
    """What ending a run writes, whichever way it ends: the status, when it finished, and (unless
    complete) why, the reason bounded. The caller adds what the run produced (result, KPIs)."""
    if how == RunEnd.COMPLETE:
        return Status.COMPLETE, {"run_finished_at": now_iso(), "progress": 1.0}
    reason = CANCELLED if how == RunEnd.CANCELLED else (error or str(how))
    return Status.FAILED, {"run_finished_at": now_iso(), "error": reason[:MAX_ERROR_CHARS]}


def sources_of(target: Status) -> frozenset[Status]:
    """The statuses from which a scenario may enter `target`."""
    return sources_in(TRANSITIONS, target)


def check_transition(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        if target == Status.CREATED and current in IN_FLIGHT:
            raise InvalidTransition(f"scenario is {current}; wait for it to complete or fail before resetting")
        if target == Status.QUEUED:
            raise InvalidTransition(f"scenario is {current}, only a created scenario can run; reset it first")
        raise InvalidTransition(f"scenario cannot go from {current} to {target}")


@dataclass
class Scenario:
    """A scenario: an algorithm with parameter values bound to a dataset.

    Parameter values are canonical JSON (see ParameterSet.validate); `result`
    is the run's plain-JSON result and `kpi_values` maps KPI name to value,
    both None until the scenario is complete.
    """

    tag: str
    input_data_id: str
    algorithm: str
    parameters: dict[str, Any]
    data_parameters: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_id)  # a UUIDv7: ids sort in creation order (domain.ids)
    status: Status = Status.CREATED
    progress: float = 0.0
    result: Any = None
    kpi_values: dict[str, float] | None = None
    error: str | None = None
    created_at: str = ""  # by default the id's own creation time
    run_id: str | None = None
    run_started_at: str | None = None
    run_finished_at: str | None = None
    result_ref: str | None = None  # where storage keeps a result too large to inline
    tier: str | None = None  # the tier asked for at creation (jobs.Tier); None: chosen per run
    executor: str | None = None  # where the run executes (jobs.Executor)
    task_id: str | None = None  # the container task running it
    receipt: str | None = None  # the queue message the run holds while a container runs it
    provenance: dict[str, Any] | None = None  # what produced the result (domain.provenance)
    created_by: str | None = None  # who made it (domain.identity.Principal.actor); None: before owners

    def __post_init__(self) -> None:
        if not self.created_at:
            self.created_at = created_at_of(self.id) or now_iso()


# Every field a scenario store keeps of a scenario (the SQLite columns; the DynamoDB attributes).
STORED_FIELDS = tuple(f.name for f in fields(Scenario))


@dataclass(frozen=True)
class ScenarioStatus:
    """The few fields a poll reads (one small read, however large the scenario)."""

    id: str
    tag: str
    status: Status
    progress: float

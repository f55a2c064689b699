"""Scenarios and their status state machine.

    created -> queued -> processing -> complete
       ^          \\           \\-----> failed
       +--- reset (from complete or failed) ---+

`queued -> failed` is for a run whose message is given up on (dead-letter
queue). `processing -> processing` is a redelivered message taking over a run
cut off by a timeout. Storage adapters build their conditional writes from
`TRANSITIONS`, so this table is the one place the rules live.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .errors import InvalidTransition
from .kpis import Kpi
from .parameters import ParameterSet


class Status(StrEnum):
    """A scenario's status (lowercase, as the reference's polling loop expects)."""

    CREATED = "created"
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETE = "complete"
    FAILED = "failed"


TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    Status.CREATED: frozenset({Status.QUEUED}),
    Status.QUEUED: frozenset({Status.PROCESSING, Status.FAILED}),
    Status.PROCESSING: frozenset({Status.PROCESSING, Status.COMPLETE, Status.FAILED}),
    Status.COMPLETE: frozenset({Status.CREATED}),
    Status.FAILED: frozenset({Status.CREATED}),
}
# What a run leaves on a scenario; reset clears exactly these (and progress).
RUN_FIELDS = ("result", "kpi_values", "error", "run_id", "run_started_at", "run_finished_at", "result_ref")
IN_FLIGHT = frozenset({Status.QUEUED, Status.PROCESSING})
TERMINAL = frozenset({Status.COMPLETE, Status.FAILED})


def sources_of(target: Status) -> frozenset[Status]:
    """The statuses from which `target` may be entered."""
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)


def check_transition(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        if target == Status.CREATED and current in IN_FLIGHT:
            raise InvalidTransition(f"scenario is {current}; wait for it to complete or fail before resetting")
        if target == Status.QUEUED:
            raise InvalidTransition(f"scenario is {current}, only a created scenario can run; reset it first")
        raise InvalidTransition(f"scenario cannot go from {current} to {target}")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


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
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: Status = Status.CREATED
    progress: float = 0.0
    result: Any = None
    kpi_values: dict[str, float] | None = None
    error: str | None = None
    created_at: str = field(default_factory=now_iso)
    run_id: str | None = None
    run_started_at: str | None = None
    run_finished_at: str | None = None
    result_ref: str | None = None  # where storage keeps a result too large to inline

    def transition(self, target: Status) -> None:
        check_transition(self.status, target)
        self.status = target

    def queue(self) -> str:
        """created -> queued under a fresh run id, which every later step must carry."""
        self.transition(Status.QUEUED)
        self.run_id = str(uuid.uuid4())
        self.progress = 0.0
        return self.run_id

    def reset(self) -> None:
        """complete/failed -> created, clearing the previous run. No-op when created."""
        if self.status == Status.CREATED:
            return
        self.transition(Status.CREATED)
        self.progress = 0.0
        for name in RUN_FIELDS:
            setattr(self, name, None)

    def status_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tag": self.tag, "status": str(self.status), "progress": self.progress}

    def to_dict(self, parameters: ParameterSet | None, kpis: Sequence[Kpi]) -> dict[str, Any]:
        """The wire shape (Scenario.to_dict() of the HTTP contract).

        `parameters` is the algorithm's parameter set, or None when the
        deployment no longer offers the algorithm (values are then shown bare).
        """
        if parameters is not None:
            descriptors = parameters.describe(self.parameters)
        else:
            descriptors = [{"name": name, "value": value} for name, value in self.parameters.items()]
        values = self.kpi_values if self.status == Status.COMPLETE and self.kpi_values else {}
        return {
            "id": self.id,
            "tag": self.tag,
            "input_data_id": self.input_data_id,
            "algorithm": {"name": self.algorithm, "parameters": descriptors},
            "data_parameters": self.data_parameters,
            "kpis": {kpi.name: kpi.to_dict(values.get(kpi.name)) for kpi in kpis},
            "status": str(self.status),
            "progress": self.progress,
            "result": self.result if self.status == Status.COMPLETE else None,
            "error": self.error,
            "created_at": self.created_at,
            "run_started_at": self.run_started_at,
            "run_finished_at": self.run_finished_at,
        }

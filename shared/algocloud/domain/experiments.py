"""Experiments: one algorithm run over a sweep of parameter sets, datasets and repetitions, then
summarised per parameter set and judged against a baseline.

An experiment's runs are ordinary scenarios in a session of their own (the run session), so
get, compare and delete work on each. The report is computed from those scenarios whenever it
is asked for, so it is never out of date and nothing but the plan is stored.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import limits
from .errors import InvalidRequest
from .jobs import now_iso
from .kpis import Direction, Kpi

_HIGHER_IS_BETTER = (Direction.HIGHER, Direction.AT_LEAST)
_DIGITS = frozenset("0123456789")


def _bound(text: str) -> float | None:
    """'+2', '-0.5', '3': an optional sign, digits, an optional fraction (None otherwise). Read
    by hand in one pass, never by a backtracking pattern; only finite values."""
    unsigned = text[1:] if text.startswith(("+", "-")) else text
    whole, dot, fraction = unsigned.partition(".")
    if not whole or not set(whole) <= _DIGITS or (dot and (not fraction or not set(fraction) <= _DIGITS)):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Criterion:
    """A KPI may be worse than the baseline by at most `tolerance` (a fraction of the baseline's
    value when `relative`, else in the KPI's unit); which way is worse comes from `better_when`."""

    kpi: str
    tolerance: float
    relative: bool = True

    @classmethod
    def parse(cls, text: str) -> Criterion:
        """'Travel distance<=+2%' (at most 2 % more: for a KPI where lower is better) or
        'Fill rate>=-1%' (at most 1 % less); without % the bound is absolute. Linear in the
        text, which is bounded (limits.MAX_CRITERION_CHARS) before it is read."""
        if len(text) > limits.MAX_CRITERION_CHARS:
            raise InvalidRequest(
                f"acceptance criterion of {len(text):,} characters: at most {limits.MAX_CRITERION_CHARS}"
            )
        shown = text[: limits.ECHO_LIMIT]
        at = max(text.rfind("<="), text.rfind(">="))  # the last operator: a KPI name may hold one
        kpi, op, rest = text[:at].strip(), text[at : at + 2], text[at + 2 :].strip()
        relative = rest.endswith("%")
        value = _bound(rest.removesuffix("%").rstrip()) if at >= 0 and kpi else None
        if value is None:
            raise InvalidRequest(
                f"acceptance criterion {shown!r}: write it as 'KPI<=+2%' or 'KPI>=-0.5' (a finite number)"
            )
        if (op == "<=" and value < 0) or (op == ">=" and value > 0):
            raise InvalidRequest(f"acceptance criterion {shown!r}: '<=' takes a bound of 0 or more, '>=' of 0 or less")
        tolerance = abs(value) / 100 if relative else abs(value)
        return cls(kpi, tolerance, relative)

    def judge(self, kpi: Kpi, candidate: float | None, baseline: float | None) -> bool | None:
        if candidate is None or baseline is None:
            return None
        if not math.isfinite(self.tolerance):  # stored before bounds were finite: anything is within
            return True
        allowed = self.tolerance * abs(baseline) if self.relative else self.tolerance
        if kpi.better_when in _HIGHER_IS_BETTER:
            return candidate >= baseline - allowed
        return candidate <= baseline + allowed


@dataclass
class PlannedRun:
    scenario_id: str
    parameter_set: int
    dataset: str
    repetition: int


class Ending:
    """What a job is doing to an experiment (it is cancelled, or deleted, on the worker)."""

    CANCELLING = "cancelling"
    DELETING = "deleting"


@dataclass(frozen=True)
class ExperimentSummary:
    """An experiment in a list: what it is, not how it went. Its stored record holds these
    fields; a plan too large for the record is an object named by `plan_ref` beside them."""

    id: str
    name: str
    algorithm: str
    runs: int
    run_session_id: str
    created_at: str
    ending: str | None = None
    created_by: str | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ExperimentSummary:
        runs = record["run_count"] if "plan_ref" in record else len(record["runs"])
        return cls(record["id"], record["name"], record["algorithm"], int(runs), record["run_session_id"],
                   record["created_at"], record.get("ending"), record.get("created_by"))  # fmt: skip


@dataclass
class Experiment:
    id: str
    name: str
    session_id: str  # the session it was created in
    run_session_id: str  # the session its runs live in (runs there go in parallel)
    algorithm: str
    datasets: list[str]
    parameter_sets: list[dict[str, Any]]  # validated, canonical values
    repetitions: int
    criteria: list[Criterion]
    baseline_scenario: str | None = None  # an existing complete scenario (in `session_id`)
    baseline_set: int | None = None  # or one of the parameter sets
    runs: list[PlannedRun] = field(default_factory=list)
    lanes: int = 1
    created_at: str = field(default_factory=now_iso)
    ending: str | None = None  # "cancelling" | "deleting" while a job ends it (Ending)
    created_by: str | None = None  # who made it (domain.identity.Principal.actor); None: before owners

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> ExperimentSummary:
        return ExperimentSummary(
            self.id, self.name, self.algorithm, len(self.runs), self.run_session_id, self.created_at, self.ending,
            self.created_by,
        )  # fmt: skip

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Experiment:
        values = dict(record)
        # a tolerance stored as null was infinite (JSON has no infinity; new ones are refused)
        values["criteria"] = [
            Criterion(c["kpi"], math.inf if c.get("tolerance") is None else float(c["tolerance"]), c["relative"])
            for c in values["criteria"]
        ]
        values["runs"] = [PlannedRun(**r) for r in values["runs"]]
        return cls(**values)


@dataclass(frozen=True)
class ExperimentRecord:
    """An experiment as its store keeps it: the whole plan, or (past limits.INLINE_PLAN_BYTES, as
    a DynamoDB item holds 400 KB) its summary and the object the plan was written to."""

    summary: ExperimentSummary
    session_id: str
    plan: Experiment | None = None
    plan_ref: str | None = None

    @classmethod
    def inline(cls, experiment: Experiment) -> ExperimentRecord:
        return cls(experiment.summary(), experiment.session_id, plan=experiment)

    @classmethod
    def elsewhere(cls, experiment: Experiment, plan_ref: str) -> ExperimentRecord:
        return cls(experiment.summary(), experiment.session_id, plan_ref=plan_ref)

    def to_document(self) -> dict[str, Any]:
        """The stored JSON document (one shape since experiments were first stored)."""
        if self.plan is not None:
            return self.plan.to_record()
        fields = {name: value for name, value in asdict(self.summary).items() if name != "runs"}
        return {**fields, "session_id": self.session_id, "run_count": self.summary.runs, "plan_ref": self.plan_ref}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ExperimentRecord:
        summary = ExperimentSummary.from_record(document)
        if "plan_ref" in document:
            return cls(summary, document["session_id"], plan_ref=document["plan_ref"])
        return cls(summary, document["session_id"], plan=Experiment.from_record(document))


def parameter_sets(
    base: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]] | None,
    sets: Sequence[Mapping[str, Any]] | None,
    datasets: int,
    repetitions: int,
) -> list[dict[str, Any]]:
    """The sweep's parameter sets: the grid's product, or the explicit sets, over `base`; the
    size is checked before the product is made (a grid of 20 parameters x 10 values is 10^20)."""
    if grid and sets:
        raise InvalidRequest("give a grid or a list of parameter sets, not both")
    if grid:
        if any(not isinstance(v, list) or not v for v in grid.values()):
            raise InvalidRequest("each grid parameter needs a non-empty list of values")
        check_size(math.prod(len(v) for v in grid.values()), datasets, repetitions)
        names = list(grid)
        return [{**base, **dict(zip(names, values, strict=True))} for values in itertools.product(*grid.values())]
    check_size(len(sets) if sets else 1, datasets, repetitions)
    if sets:
        return [{**base, **s} for s in sets]
    return [dict(base)]


def check_size(sets: int, datasets: int, repetitions: int) -> int:
    runs = sets * datasets * repetitions
    if runs > limits.MAX_EXPERIMENT_RUNS:
        raise InvalidRequest(
            f"this experiment would make {runs:,} runs ({sets} parameter sets x {datasets} datasets x "
            f"{repetitions} repetitions); at most {limits.MAX_EXPERIMENT_RUNS:,} per experiment"
        )
    return runs

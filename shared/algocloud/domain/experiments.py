"""Experiments: one algorithm run over a sweep of parameter sets, datasets and repetitions, then
summarised per parameter set and judged against a baseline.

An experiment's runs are ordinary scenarios in a session of their own (the run session), so
get, compare and delete work on each. The report is computed from those scenarios whenever it
is asked for, so it is never out of date and nothing but the plan is stored.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import limits
from .errors import InvalidRequest
from .jobs import TERMINAL, Status, now_iso
from .kpis import Direction, Kpi
from .scenario import Scenario

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

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ExperimentSummary:
        runs = record["run_count"] if "plan_ref" in record else len(record["runs"])
        return cls(record["id"], record["name"], record["algorithm"], int(runs), record["run_session_id"],
                   record["created_at"], record.get("ending"))  # fmt: skip


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

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> ExperimentSummary:
        return ExperimentSummary(
            self.id, self.name, self.algorithm, len(self.runs), self.run_session_id, self.created_at, self.ending
        )

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


# -- the report ---------------------------------------------------------------------------------
def _stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "mean": None, "min": None, "max": None, "stdev": None}
    return {
        "n": len(values),
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
    }


def report(
    experiment: Experiment,
    runs: Mapping[str, Scenario],
    kpis: Sequence[Kpi],
    baseline: Scenario | None,
    criteria: Sequence[Criterion] | None = None,
) -> dict[str, Any]:
    """Counts by status and progress; per parameter set the KPI statistics over its runs, its
    rank (mean rank over the KPIs by their direction), and the verdict per criterion against the
    baseline (a complete scenario, or one set's means); the failed runs with their errors."""
    criteria = list(experiment.criteria if criteria is None else criteria)
    planned = [(plan, runs.get(plan.scenario_id)) for plan in experiment.runs]
    counts: dict[str, int] = {}
    for _, scenario in planned:
        key = str(scenario.status) if scenario else "deleted"
        counts[key] = counts.get(key, 0) + 1
    done = sum(1 for _, s in planned if s is None or s.status in TERMINAL)
    progress = sum(1.0 if s is None or s.status in TERMINAL else s.progress for _, s in planned)
    sets: list[dict[str, Any]] = []
    for index, parameters in enumerate(experiment.parameter_sets):
        mine = [s for plan, s in planned if plan.parameter_set == index and s and s.status == Status.COMPLETE]
        values = {k.name: [v for s in mine if (v := (s.kpi_values or {}).get(k.name)) is not None] for k in kpis}
        sets.append({"index": index, "parameters": parameters, "kpis": {n: _stats(v) for n, v in values.items()}})
    _rank(sets, kpis)
    by_name = {k.name: k for k in kpis}
    baseline_values: dict[str, float | None] = {}
    if baseline is not None and baseline.status == Status.COMPLETE:
        baseline_values = dict(baseline.kpi_values or {})
    elif experiment.baseline_set is not None and experiment.baseline_set < len(sets):
        baseline_values = {n: s["mean"] for n, s in sets[experiment.baseline_set]["kpis"].items()}
    has_baseline = bool(baseline_values)
    for entry in sets:
        verdicts = {}
        for criterion in criteria:
            kpi = by_name.get(criterion.kpi)
            mean = entry["kpis"].get(criterion.kpi, {}).get("mean") if kpi else None
            verdicts[criterion.kpi] = None if kpi is None else criterion.judge(kpi, mean, baseline_values.get(kpi.name))
        entry["acceptance"] = {
            "criteria": verdicts,
            "passed": None if not criteria or not has_baseline or None in verdicts.values() else all(verdicts.values()),
        }
    failed = [
        {"scenario_id": plan.scenario_id, "parameter_set": plan.parameter_set, "error": s.error}
        for plan, s in planned
        if s is not None and s.status == Status.FAILED
    ]
    return {
        "counts": counts,
        "runs": len(planned),
        "done": done == len(planned),
        "progress": progress / len(planned) if planned else 1.0,
        "baseline": {"scenario_id": baseline.id if baseline else None, "parameter_set": experiment.baseline_set,
                     "kpis": baseline_values},
        "criteria": [asdict(c) for c in criteria],
        "parameter_sets": sets,
        "ranking": [s["index"] for s in sorted(sets, key=lambda s: (s["rank"] is None, s["rank"] or 0))],
        "failed": failed,
    }  # fmt: skip


def _rank(sets: list[dict[str, Any]], kpis: Sequence[Kpi]) -> None:
    """Each set's `rank`: its mean rank over the KPIs (by the mean, in the KPI's direction)."""
    ranks: dict[int, list[int]] = {s["index"]: [] for s in sets}
    for kpi in kpis:
        present = [(s["index"], s["kpis"][kpi.name]["mean"]) for s in sets if s["kpis"][kpi.name]["mean"] is not None]
        ordered = sorted((v for _, v in present), reverse=kpi.better_when in _HIGHER_IS_BETTER)
        for index, value in present:
            ranks[index].append(ordered.index(value) + 1)
    for entry in sets:
        mine = ranks[entry["index"]]
        entry["rank"] = statistics.fmean(mine) if mine else None
        if entry["rank"] is not None and math.isnan(entry["rank"]):
            entry["rank"] = None

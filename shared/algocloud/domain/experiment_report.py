"""An experiment's report, computed from its runs whenever it is asked for: counts and progress,
per parameter set the KPI statistics, a rank and the verdict per acceptance criterion against the
baseline, and the failed runs with their errors."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .experiments import _HIGHER_IS_BETTER, Criterion, Experiment
from .jobs import TERMINAL, Status
from .kpis import Kpi
from .scenario import Scenario


@dataclass(frozen=True)
class KpiStats:
    n: int
    mean: float | None
    min: float | None
    max: float | None
    stdev: float | None

    @classmethod
    def of(cls, values: list[float]) -> KpiStats:
        if not values:
            return cls(0, None, None, None, None)
        stdev = statistics.stdev(values) if len(values) > 1 else 0.0
        return cls(len(values), statistics.fmean(values), min(values), max(values), stdev)


@dataclass(frozen=True)
class Acceptance:
    criteria: dict[str, bool | None]  # by KPI: within its bound of the baseline (None: not judged)
    passed: bool | None  # every criterion met (None: no criteria, no baseline, or one not judged)


@dataclass(frozen=True)
class SetReport:
    index: int
    parameters: dict
    kpis: dict[str, KpiStats]
    rank: float | None  # mean rank over the KPIs (by the mean, in the KPI's direction)
    acceptance: Acceptance


@dataclass(frozen=True)
class FailedRun:
    scenario_id: str
    parameter_set: int
    error: str | None


@dataclass(frozen=True)
class ExperimentReport:
    counts: dict[str, int]  # by status ("deleted" for a run gone)
    runs: int
    done: bool
    progress: float
    baseline_scenario: str | None
    baseline_set: int | None
    baseline_kpis: dict[str, float | None]
    criteria: list[Criterion]
    parameter_sets: list[SetReport]
    ranking: list[int]  # set indexes, best first
    failed: list[FailedRun]


def report(
    experiment: Experiment,
    runs: Mapping[str, Scenario],
    kpis: Sequence[Kpi],
    baseline: Scenario | None,
    criteria: Sequence[Criterion] | None = None,
) -> ExperimentReport:
    """The report of `experiment` from its runs (by id), judged by its own criteria or others."""
    criteria = list(experiment.criteria if criteria is None else criteria)
    planned = [(plan, runs.get(plan.scenario_id)) for plan in experiment.runs]
    counts: dict[str, int] = {}
    for _, scenario in planned:
        key = str(scenario.status) if scenario else "deleted"
        counts[key] = counts.get(key, 0) + 1
    done = sum(1 for _, s in planned if s is None or s.status in TERMINAL)
    progress = sum(1.0 if s is None or s.status in TERMINAL else s.progress for _, s in planned)
    stats: list[dict[str, KpiStats]] = []
    for index in range(len(experiment.parameter_sets)):
        mine = [s for plan, s in planned if plan.parameter_set == index and s and s.status == Status.COMPLETE]
        values = {k.name: [v for s in mine if (v := (s.kpi_values or {}).get(k.name)) is not None] for k in kpis}
        stats.append({name: KpiStats.of(found) for name, found in values.items()})
    ranks = _ranks(stats, kpis)
    baseline_values: dict[str, float | None] = {}
    if baseline is not None and baseline.status == Status.COMPLETE:
        baseline_values = dict(baseline.kpi_values or {})
    elif experiment.baseline_set is not None and experiment.baseline_set < len(stats):
        baseline_values = {name: s.mean for name, s in stats[experiment.baseline_set].items()}
    by_name = {k.name: k for k in kpis}
    sets = []
    for index, parameters in enumerate(experiment.parameter_sets):
        verdicts: dict[str, bool | None] = {}
        for criterion in criteria:
            kpi = by_name.get(criterion.kpi)
            mean = stats[index][criterion.kpi].mean if kpi and criterion.kpi in stats[index] else None
            verdicts[criterion.kpi] = None if kpi is None else criterion.judge(kpi, mean, baseline_values.get(kpi.name))
        judged = bool(criteria) and bool(baseline_values) and None not in verdicts.values()
        acceptance = Acceptance(verdicts, all(verdicts.values()) if judged else None)
        sets.append(SetReport(index, parameters, stats[index], ranks[index], acceptance))
    failed = [
        FailedRun(plan.scenario_id, plan.parameter_set, s.error)
        for plan, s in planned
        if s is not None and s.status == Status.FAILED
    ]
    ranking = [s.index for s in sorted(sets, key=lambda s: (s.rank is None, s.rank or 0))]
    return ExperimentReport(
        counts=counts,
        runs=len(planned),
        done=done == len(planned),
        progress=progress / len(planned) if planned else 1.0,
        baseline_scenario=baseline.id if baseline else None,
        baseline_set=experiment.baseline_set,
        baseline_kpis=baseline_values,
        criteria=criteria,
        parameter_sets=sets,
        ranking=ranking,
        failed=failed,
    )


def _ranks(stats: list[dict[str, KpiStats]], kpis: Sequence[Kpi]) -> list[float | None]:
    """Each set's mean rank over the KPIs (by the mean, in the KPI's direction)."""
    ranks: list[list[int]] = [[] for _ in stats]
    for kpi in kpis:
        present = [(index, mean) for index, s in enumerate(stats) if (mean := s[kpi.name].mean) is not None]
        ordered = sorted((v for _, v in present), reverse=kpi.better_when in _HIGHER_IS_BETTER)
        for index, value in present:
            ranks[index].append(ordered.index(value) + 1)
    means = [statistics.fmean(mine) if mine else None for mine in ranks]
    return [None if mean is None or math.isnan(mean) else mean for mean in means]

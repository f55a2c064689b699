"""Scenarios side by side by KPI: per KPI the values, the best by its direction, threshold
pass/fail and the difference to a baseline; a ranking by mean rank over the KPIs; and whether
the results came from different code or data (domain.provenance).

Only complete scenarios have KPI values; the others are reported as not compared.
A KPI whose computation failed (value None) ranks last for that KPI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .kpis import Direction, Kpi
from .provenance import mix
from .scenario import Scenario, Status

MIN_SCENARIOS, MAX_SCENARIOS = 2, 20
_HIGHER_IS_BETTER = (Direction.HIGHER, Direction.AT_LEAST)


def _passes(kpi: Kpi, value: float | None) -> bool | None:
    if kpi.threshold is None or value is None:
        return None
    return value >= kpi.threshold if kpi.better_when in _HIGHER_IS_BETTER else value <= kpi.threshold


def _ranks(kpi: Kpi, values: dict[str, float | None]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4) by the KPI's direction; missing values last."""
    present = [v for v in values.values() if v is not None]
    ordered = sorted(present, reverse=kpi.better_when in _HIGHER_IS_BETTER)
    worst = len(values)
    return {sid: (ordered.index(v) + 1 if v is not None else worst) for sid, v in values.items()}


@dataclass(frozen=True)
class Difference:
    difference: float
    relative: float | None  # None against a baseline of 0


@dataclass(frozen=True)
class KpiComparison:
    kpi: Kpi
    values: dict[str, float | None]  # by scenario id
    best: list[str]
    passes: dict[str, bool | None]
    vs_baseline: dict[str, Difference | None] | None  # None without a baseline value


@dataclass(frozen=True)
class Ranked:
    scenario: Scenario
    mean_rank: float | None
    best_in: int
    thresholds_failed: int
    rank: int = 0


@dataclass(frozen=True)
class Comparison:
    scenarios: list[Scenario]
    baseline: str | None
    kpis: list[KpiComparison]
    ranking: list[Ranked]
    provenance: dict[str, Any]

    @property
    def not_compared(self) -> list[Scenario]:
        return [s for s in self.scenarios if s.status != Status.COMPLETE]


def compare(scenarios: Sequence[Scenario], kpis: Sequence[Kpi], baseline: str | None) -> Comparison:
    complete = [s for s in scenarios if s.status == Status.COMPLETE]
    base = next((s for s in complete if s.id == baseline), None)
    table: list[KpiComparison] = []
    ranks_by_kpi = []
    for kpi in kpis:
        values = {s.id: (s.kpi_values or {}).get(kpi.name) for s in complete}
        present = {sid: v for sid, v in values.items() if v is not None}
        best_value = (max if kpi.better_when in _HIGHER_IS_BETTER else min)(present.values()) if present else None
        base_value = values.get(base.id) if base is not None else None
        vs_baseline = None
        if base_value is not None:
            vs_baseline = {
                sid: None
                if v is None
                else Difference(v - base_value, (v - base_value) / abs(base_value) if base_value else None)
                for sid, v in values.items()
            }
        best = [sid for sid, v in present.items() if v == best_value]
        passes = {sid: _passes(kpi, v) for sid, v in values.items()}
        table.append(KpiComparison(kpi, values, best, passes, vs_baseline))
        ranks_by_kpi.append(_ranks(kpi, values))
    ranking = []
    for scenario in complete:
        ranks = [ranks[scenario.id] for ranks in ranks_by_kpi]
        failed = sum(1 for entry in table if entry.passes[scenario.id] is False)
        best_in = sum(1 for entry in table if scenario.id in entry.best)
        ranking.append(Ranked(scenario, sum(ranks) / len(ranks) if ranks else None, best_in, failed))
    ranking.sort(key=lambda r: (r.mean_rank if r.mean_rank is not None else 0, r.thresholds_failed, r.scenario.tag))
    ranked = [replace(row, rank=position) for position, row in enumerate(ranking, start=1)]
    return Comparison(list(scenarios), base.id if base is not None else None, table, ranked, mix(complete))

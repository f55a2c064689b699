"""Scenarios side by side by KPI: per KPI the values, the best by its direction, threshold
pass/fail and the difference to a baseline; a ranking by mean rank over the KPIs; and whether
the results came from different code or data (domain.provenance).

Only complete scenarios have KPI values; the others are reported as not compared.
A KPI whose computation failed (value None) ranks last for that KPI.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def compare(scenarios: Sequence[Scenario], kpis: Sequence[Kpi], baseline: str | None) -> dict[str, Any]:
    complete = [s for s in scenarios if s.status == Status.COMPLETE]
    base = next((s for s in complete if s.id == baseline), None)
    table, ranks_by_kpi = [], []
    for kpi in kpis:
        values = {s.id: (s.kpi_values or {}).get(kpi.name) for s in complete}
        present = {sid: v for sid, v in values.items() if v is not None}
        best_value = (max if kpi.better_when in _HIGHER_IS_BETTER else min)(present.values()) if present else None
        entry: dict[str, Any] = {
            "name": kpi.name,
            "unit": kpi.unit,
            "better_when": str(kpi.better_when),
            "threshold": kpi.threshold,
            "values": values,
            "best": [sid for sid, v in present.items() if v == best_value],
            "passes": {sid: _passes(kpi, v) for sid, v in values.items()},
        }
        base_value = values.get(base.id) if base is not None else None
        if base_value is not None:
            entry["vs_baseline"] = {
                sid: None
                if v is None
                else {
                    "difference": v - base_value,
                    "relative": (v - base_value) / abs(base_value) if base_value else None,
                }
                for sid, v in values.items()
            }
        table.append(entry)
        ranks_by_kpi.append(_ranks(kpi, values))
    ranking = []
    for scenario in complete:
        ranks = [ranks[scenario.id] for ranks in ranks_by_kpi]
        failed = sum(1 for entry in table if entry["passes"][scenario.id] is False)
        ranking.append(
            {
                "id": scenario.id,
                "tag": scenario.tag,
                "mean_rank": sum(ranks) / len(ranks) if ranks else None,
                "best_in": sum(1 for entry in table if scenario.id in entry["best"]),
                "thresholds_failed": failed,
            }
        )
    ranking.sort(key=lambda r: (r["mean_rank"] if r["mean_rank"] is not None else 0, r["thresholds_failed"], r["tag"]))
    for position, row in enumerate(ranking, start=1):
        row["rank"] = position
    return {
        "scenarios": [{"id": s.id, "tag": s.tag, "algorithm": s.algorithm, "status": str(s.status)} for s in scenarios],
        "baseline": base.id if base is not None else None,
        "not_compared": [
            {"id": s.id, "tag": s.tag, "status": str(s.status)} for s in scenarios if s.status != Status.COMPLETE
        ],
        "kpis": table,
        "ranking": ranking,
        "provenance": mix(complete),
    }

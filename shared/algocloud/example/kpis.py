"""The example's KPIs, computed from the allocation result shape."""

from __future__ import annotations

from collections import Counter

from ..domain.kpis import Direction, Kpi
from .warehouse import daily_travel_m


def _assignments(result) -> list[dict]:
    assignments = result["assignments"]
    if not isinstance(assignments, list):
        raise TypeError(f"'assignments' must be a list, got {type(assignments).__name__}")
    return assignments


class TravelDistance(Kpi):
    name = "Travel distance"
    unit = "km/day"
    better_when = Direction.LOWER
    description = "distance walked per day, dock to slot and back for every pick"

    def compute(self, result):
        return round(daily_travel_m(_assignments(result)) / 1000, 3)


class ZoneBalance(Kpi):
    name = "Zone balance"
    unit = "%"
    better_when = Direction.HIGHER
    description = "mean pick load of the used aisles as a share of the busiest one (100% is even)"

    def compute(self, result):
        load: Counter[str] = Counter()
        for assignment in _assignments(result):
            load[assignment["aisle"]] += assignment["daily_picks"]
        if not load or max(load.values()) == 0:
            return 100.0
        return round(100 * (sum(load.values()) / len(load)) / max(load.values()), 2)


class ReslotMoves(Kpi):
    name = "Reslot moves"
    unit = "moves"
    better_when = Direction.LOWER
    description = "items that must be moved to a new slot"

    def compute(self, result):
        return float(sum(a["slot_id"] != a["previous_slot"] for a in _assignments(result)))


class AllItemsPlaced(Kpi):
    name = "All items placed"
    unit = ""
    better_when = Direction.AT_LEAST
    threshold = 1.0
    description = "1 when every item has an allowed slot, else 0"

    def compute(self, result):
        _assignments(result)
        return 0.0 if result["unplaced"] else 1.0


KPIS = [TravelDistance(), ZoneBalance(), ReslotMoves(), AllItemsPlaced()]

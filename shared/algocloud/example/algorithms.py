"""The example's algorithms. Every one returns the result shape of Warehouse.result."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

from ..domain.algorithms import Algorithm
from ..domain.parameters import (
    BooleanParameter,
    EnumParameter,
    FloatParameter,
    IntegerParameter,
    IntervalParameter,
    MultiEnumParameter,
    ParameterSet,
    StringParameter,
    TimeParameter,
)
from .generate import CATEGORY_WEIGHTS
from .warehouse import Warehouse, as_is_placement, daily_travel_m, greedy_placement


class Slow(Algorithm):
    name = "Slow"
    description = "Waits `duration` seconds (reporting progress each second), then returns the as-is allocation."
    parameters = ParameterSet(
        [
            IntegerParameter(name="duration", default=1, min=1, max=60, description="seconds to run"),
        ]
    )

    def run(self, data, params, data_params, progress):
        warehouse = Warehouse.from_data(data, data_params)
        duration = params["duration"]
        for second in range(1, duration + 1):
            time.sleep(1)
            progress(second / duration)
        return warehouse.result(self.name, as_is_placement(warehouse))


class Long(Algorithm):
    name = "Long"
    description = (
        "Works `minutes` minutes (reporting progress each second), then returns the as-is allocation. "
        "Starts in the worker Lambda and continues on the container tier when it would pass the Lambda's time limit."
    )
    parameters = ParameterSet(
        [
            FloatParameter(name="minutes", default=20.0, min=0.05, max=24 * 60, description="minutes to run"),
        ]
    )

    def run(self, data, params, data_params, progress):
        warehouse = Warehouse.from_data(data, data_params)
        seconds = params["minutes"] * 60
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            progress(elapsed / seconds)
            time.sleep(min(1.0, seconds - elapsed))
        return warehouse.result(self.name, as_is_placement(warehouse))


class LongOnContainer(Long):
    name = "Long (container)"
    description = "Like Long, declared for the container tier: every run goes straight there."
    tier = "container"


class AsIs(Algorithm):
    name = "As-is"
    description = "Keeps every item in its current slot: the baseline to compare against."

    def run(self, data, params, data_params, progress):
        warehouse = Warehouse.from_data(data, data_params)
        progress(1.0)
        return warehouse.result(self.name, as_is_placement(warehouse))


class Instant(AsIs):
    """The as-is allocation under the name the reference's examples use for an immediate run."""

    name = "Instant"
    description = "Returns the as-is allocation at once."


class Greedy(Algorithm):
    name = "Greedy"
    description = "Most-picked items to the free allowed slots nearest the dock."
    parameters = ParameterSet(
        [
            IntegerParameter(
                name="max_moves",
                required=False,
                min=0,
                description="move at most this many of the most-picked items (empty: no limit)",
            ),
            BooleanParameter(
                name="respect_zones", default=True, description="keep chilled and hazardous items in their zones"
            ),
        ]
    )

    def run(self, data, params, data_params, progress):
        warehouse = Warehouse.from_data(data, data_params)
        placement = greedy_placement(warehouse, progress, params["max_moves"], params["respect_zones"])
        return warehouse.result(self.name, placement)


class PickSimulation(Algorithm):
    """Simulates a number of days of picking under an allocation policy.

    Its parameters cover every parameter type, so it doubles as a form demo.
    """

    name = "Pick Simulation"
    description = "Simulates daily picking with random demand under a slotting policy."
    parameters = ParameterSet(
        [
            IntegerParameter(name="days", default=7, min=1, max=365, description="days to simulate"),
            FloatParameter(
                name="demand_factor", default=1.0, min=0.1, max=5.0, description="scales the mean daily demand"
            ),
            StringParameter(name="label", required=False, max_length=80, description="free text shown in the result"),
            BooleanParameter(name="weekends", default=False, description="also pick on Saturdays and Sundays"),
            EnumParameter(name="policy", choices=("as-is", "greedy"), default="greedy"),
            MultiEnumParameter(
                name="categories",
                choices=tuple(CATEGORY_WEIGHTS),
                default=list(CATEGORY_WEIGHTS),
                description="item categories to simulate",
            ),
            TimeParameter(name="start", default=datetime(2026, 1, 5, 0, 0), description="first day simulated"),
            IntervalParameter(
                name="shift",
                default=(datetime(2026, 1, 5, 8, 0), datetime(2026, 1, 5, 16, 0)),
                description="daily picking shift (only the time of day is used)",
            ),
            IntegerParameter(name="seed", default=1, min=0, description="random seed (same seed, same result)"),
        ]
    )

    def run(self, data, params, data_params, progress):
        warehouse = Warehouse.from_data(data, data_params)
        if params["policy"] == "greedy":
            placement = greedy_placement(warehouse, lambda f: progress(f / 2))
        else:
            placement = as_is_placement(warehouse)
        result = warehouse.result(self.name, placement)
        chosen = set(params["categories"])
        active = [a for a in result["assignments"] if a["category"] in chosen]
        shift_start, shift_end = params["shift"]
        shift_hours = (shift_end - shift_start).total_seconds() / 3600 or 24.0
        rng = random.Random(params["seed"])
        days: list[Any] = []
        day = params["start"]
        while len(days) < params["days"]:
            if params["weekends"] or day.weekday() < 5:
                picks = travel = 0.0
                for a in active:
                    demand = rng.gauss(a["daily_picks"] * params["demand_factor"], a["daily_picks"] * 0.2)
                    picks += max(0.0, demand)
                    travel += 2 * a["distance_m"] * max(0.0, demand)
                days.append(
                    {
                        "date": day.date().isoformat(),
                        "picks": round(picks),
                        "travel_km": round(travel / 1000, 3),
                        "picks_per_hour": round(picks / shift_hours, 1),
                    }
                )
                progress(0.5 + 0.5 * len(days) / params["days"])
            day += timedelta(days=1)
        result["simulation"] = {
            "label": params["label"],
            "days": days,
            "total_picks": sum(d["picks"] for d in days),
            "mean_travel_km": round(sum(d["travel_km"] for d in days) / len(days), 3),
            "baseline_travel_km": round(daily_travel_m(active) / 1000, 3),
        }
        return result


class _NotSerialisable:
    """A value JSON cannot represent (used by Failure Modes)."""


class FailureModes(Algorithm):
    name = "Failure Modes"
    description = "Succeeds or fails in a chosen way, to see how failures surface."
    parameters = ParameterSet(
        [
            EnumParameter(
                name="mode", default="success", choices=("success", "exception", "non-serialisable", "kpi-failure")
            ),
        ]
    )

    def run(self, data, params, data_params, progress) -> Any:
        warehouse = Warehouse.from_data(data, data_params)
        result = warehouse.result(self.name, as_is_placement(warehouse))
        mode = params["mode"]
        if mode == "exception":
            raise RuntimeError("Failure Modes was asked to raise")
        if mode == "non-serialisable":
            result["extra"] = _NotSerialisable()
        if mode == "kpi-failure":
            result["assignments"] = "not a list"  # every assignment-based KPI trips on this
        return result


ALGORITHMS = [Slow, Instant, AsIs, Greedy, PickSimulation, FailureModes, Long, LongOnContainer]

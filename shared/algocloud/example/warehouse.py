"""The warehouse model behind the example algorithms and KPIs.

Rules: one item per slot; chilled items only in cooled slots, hazardous items
only in hazmat slots, everything else in ambient slots. A picker walks from
the dock to the slot and back (rectilinear distance), once per pick.
Demand can be scaled and the dock moved through the dataset's data parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..domain.algorithms import Progress
from ..domain.datasource import DataSource
from ..domain.parameters import FloatParameter, ParameterSet
from .generate import ZONE_OF_CATEGORY


class WarehouseData(DataSource):
    """The example's data source: tables `sku_data` and `warehouse_layout`."""

    data_parameters = ParameterSet(
        [
            FloatParameter(
                name="demand_scale", default=1.0, min=0.1, max=10.0, description="multiplies every item's daily picks"
            ),
            FloatParameter(
                name="dock_x", default=0.0, min=0.0, max=100.0, description="dock position along the aisles, in metres"
            ),
            FloatParameter(
                name="dock_y", default=0.0, min=0.0, max=100.0, description="dock position along an aisle, in metres"
            ),
        ]
    )


class Slot(NamedTuple):  # immutable and quick to make (thousands per run)
    slot_id: str
    x: float
    y: float
    zone: str

    @property
    def aisle(self) -> str:
        return self.slot_id.split("-")[0]


class Item(NamedTuple):
    item_id: int
    sku: str
    category: str
    daily_picks: float
    current_slot: str | None

    @property
    def zone(self) -> str:
        return ZONE_OF_CATEGORY.get(self.category, "ambient")


@dataclass
class Warehouse:
    items: list[Item]
    slots: dict[str, Slot]
    dock: tuple[float, float]

    @classmethod
    def from_data(cls, data: DataSource, data_params: Mapping[str, Any]) -> Warehouse:
        scale = data_params.get("demand_scale") or 1.0
        layout = data.get_table("warehouse_layout")
        skus = data.get_table("sku_data")

        def column(table, name: str) -> list:  # plain Python values: iterating a Series is slow
            return table[name].tolist()

        slots = {
            str(s): Slot(str(s), float(x), float(y), str(z))
            for s, x, y, z in zip(*(column(layout, c) for c in ("slot_id", "x", "y", "zone")), strict=True)
        }
        items = [
            Item(int(i), str(sku), str(cat), float(picks) * scale, None if _missing(slot) else str(slot))
            for i, sku, cat, picks, slot in zip(
                *(column(skus, c) for c in ("item_id", "sku", "category", "daily_picks", "current_slot")),
                strict=True,
            )
        ]
        dock = (data_params.get("dock_x") or 0.0, data_params.get("dock_y") or 0.0)
        return cls(items, slots, dock)

    def distance(self, slot: Slot) -> float:
        return abs(slot.x - self.dock[0]) + abs(slot.y - self.dock[1])

    def allowed(self, item: Item, slot: Slot, respect_zones: bool = True) -> bool:
        return not respect_zones or slot.zone == item.zone

    def result(self, algorithm: str, placement: Mapping[int, str], **extra: Any) -> dict[str, Any]:
        """The common result shape every example algorithm returns (KPIs read it)."""
        assignments, unplaced = [], []
        for item in self.items:
            slot_id = placement.get(item.item_id)
            if slot_id is None:
                unplaced.append(item.item_id)
                continue
            slot = self.slots[slot_id]
            assignments.append(
                {
                    "item_id": item.item_id,
                    "sku": item.sku,
                    "category": item.category,
                    "daily_picks": round(item.daily_picks, 3),
                    "slot_id": slot_id,
                    "previous_slot": item.current_slot,
                    "zone": slot.zone,
                    "aisle": slot.aisle,
                    "distance_m": round(self.distance(slot), 3),
                }
            )
        return {
            "algorithm": algorithm,
            "dock": {"x": self.dock[0], "y": self.dock[1]},
            "assignments": assignments,
            "unplaced": unplaced,
            **extra,
        }


def _missing(value: Any) -> bool:
    return value is None or value != value or value == ""  # noqa: PLR0124 - None, NaN (not equal to itself) or empty


def as_is_placement(warehouse: Warehouse) -> dict[int, str]:
    """Items where they are now; an item whose slot is unknown is unplaced."""
    return {item.item_id: item.current_slot for item in warehouse.items if item.current_slot in warehouse.slots}


def greedy_placement(
    warehouse: Warehouse,
    progress: Progress,
    max_moves: int | None = None,
    respect_zones: bool = True,
) -> dict[int, str]:
    """Most-picked items first, each to the nearest free allowed slot.

    With `max_moves`, only that many of the most-picked items may move; the
    rest keep their slots (and those slots are not free for others).
    """
    ranked = sorted(warehouse.items, key=lambda item: (-item.daily_picks, item.item_id))
    movable = ranked if max_moves is None else ranked[:max_moves]
    movable_ids = {item.item_id for item in movable}
    placement = {
        item.item_id: item.current_slot
        for item in warehouse.items
        if item.item_id not in movable_ids and item.current_slot in warehouse.slots
    }
    taken = set(placement.values())
    nearest_first = sorted(warehouse.slots.values(), key=lambda s: (warehouse.distance(s), s.slot_id))
    # One cursor per zone over the nearest-first slot list keeps this O(n log n).
    queues: dict[str | None, list[Slot]] = {}
    cursors: dict[str | None, int] = {}
    for slot in nearest_first:
        key = slot.zone if respect_zones else None
        queues.setdefault(key, []).append(slot)
    step = max(1, len(movable) // 20)
    for done, item in enumerate(movable, start=1):
        key = item.zone if respect_zones else None
        queue, cursor = queues.get(key, []), cursors.get(key, 0)
        while cursor < len(queue) and queue[cursor].slot_id in taken:
            cursor += 1
        cursors[key] = cursor
        if cursor < len(queue):
            placement[item.item_id] = queue[cursor].slot_id
            taken.add(queue[cursor].slot_id)
        if done % step == 0:
            progress(done / len(movable))
    return placement


def daily_travel_m(assignments: Iterable[Mapping[str, Any]]) -> float:
    """Metres walked per day: there and back for every pick."""
    return sum(2 * a["distance_m"] * a["daily_picks"] for a in assignments)

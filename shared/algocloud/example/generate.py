"""Seeded generator of the example warehouse data (pure Python, no pandas).

    python -m algocloud.example.generate          # rewrites example/data/*.csv

The layout is 25 aisles x 40 positions = 1,000 slots; aisles 1-3 are cooled,
aisle 25 is for hazardous goods, the rest ambient. The dock is at (0, 0).
Items get picks from a long-tailed distribution and a random compatible
current slot, so the as-is allocation has plenty of room for improvement.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
SEPARATOR = ";"
AISLES, POSITIONS = 25, 40
AISLE_PITCH_M, POSITION_PITCH_M = 3.5, 1.4
ZONE_OF_CATEGORY = {"general": "ambient", "food": "ambient", "chilled": "cooled", "hazardous": "hazmat"}
CATEGORY_WEIGHTS = {"general": 0.64, "food": 0.14, "chilled": 0.15, "hazardous": 0.07}
LAYOUT_COLUMNS = ["slot_id", "x", "y", "zone"]
SKU_COLUMNS = ["item_id", "sku", "description", "category", "daily_picks", "volume", "weight", "current_slot"]

_NOUNS = {
    "general": ["bolts", "cable ties", "gloves", "tape", "batteries", "light bulbs", "brushes", "hinges"],
    "food": ["pasta", "rice", "coffee beans", "canned tomatoes", "olive oil", "crackers", "tea"],
    "chilled": ["yoghurt", "butter", "cheese", "fresh juice", "salad mix", "cream", "tofu"],
    "hazardous": ["solvent", "aerosol paint", "lamp oil", "bleach", "lithium cells"],
}
_ADJECTIVES = ["small", "large", "value", "premium", "bulk", "organic", "compact", "heavy-duty"]
_SUPPLIERS = ["Northwind Supply", "Baltic Trading", "Rijn Logistics", "Alpine Goods", "Delta Wholesale"]


def zone_of_aisle(aisle: int) -> str:
    return "cooled" if aisle <= 3 else "hazmat" if aisle == AISLES else "ambient"


def layout_rows() -> list[dict]:
    return [
        {
            "slot_id": f"A{aisle:02d}-{position:02d}",
            "x": round(2.0 + (aisle - 1) * AISLE_PITCH_M, 2),
            "y": round(1.0 + (position - 1) * POSITION_PITCH_M, 2),
            "zone": zone_of_aisle(aisle),
        }
        for aisle in range(1, AISLES + 1)
        for position in range(1, POSITIONS + 1)
    ]


def sku_rows(count: int, layout: list[dict], seed: int = 7, unique_slots: bool = True) -> list[dict]:
    """`count` items; with unique_slots each occupies its own compatible slot."""
    rng = random.Random(seed)
    free = {zone: [s["slot_id"] for s in layout if s["zone"] == zone] for zone in ("ambient", "cooled", "hazmat")}
    for slots in free.values():
        rng.shuffle(slots)
    categories = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()), k=count)
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    skus = rng.sample(range(10_000, 100_000), count) if count <= 90_000 else range(10_000, 10_000 + count)
    rows = []
    for item_id, (category, rank, sku) in enumerate(zip(categories, ranks, skus, strict=True), start=1):
        zone_slots = free[ZONE_OF_CATEGORY[category]]
        slot = zone_slots.pop() if unique_slots else rng.choice(zone_slots)
        rows.append(
            {
                "item_id": item_id,
                "sku": f"SKU-{sku}",
                "description": f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS[category])}, "
                f"pack of {rng.choice((1, 2, 4, 6, 12, 24))} ({rng.choice(_SUPPLIERS)})",
                "category": category,
                "daily_picks": max(1, round(400 / rank**0.9 * rng.uniform(0.8, 1.2))),
                "volume": round(rng.uniform(0.2, 60.0), 2),
                "weight": round(rng.lognormvariate(1.0, 0.9), 2),
                "current_slot": slot,
            }
        )
    return rows


def to_csv(rows: list[dict], columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, delimiter=SEPARATOR, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def example_files(items: int = 150, seed: int = 7) -> dict[str, bytes]:
    """File name -> CSV bytes of the example dataset."""
    layout = layout_rows()
    return {
        "sku_data.csv": to_csv(sku_rows(items, layout, seed), SKU_COLUMNS),
        "warehouse_layout.csv": to_csv(layout, LAYOUT_COLUMNS),
    }


def main() -> None:
    DATA_DIR.mkdir(exist_ok=True)
    for name, content in example_files().items():
        (DATA_DIR / name).write_bytes(content)
        print(f"wrote {DATA_DIR / name} ({len(content)} bytes)")


if __name__ == "__main__":
    main()

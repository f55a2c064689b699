"""Hand-written DynamoDB attribute marshalling vs boto3's TypeSerializer/TypeDeserializer, on the
items the hot paths write and read (a scenario: create, get, list of 300).

    .venv/bin/python bench/marshalling_bench.py
"""

from __future__ import annotations

import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from algocloud.adapters.aws.scenarios import _scenario_item
from algocloud.adapters.aws.table import _item, _plain_item
from algocloud.domain.scenario import Scenario, Status

SERIALIZER, DESERIALIZER = TypeSerializer(), TypeDeserializer()


def library_item(plain: dict) -> dict:
    # TypeSerializer refuses floats: they must be Decimals first.
    return {k: SERIALIZER.serialize(Decimal(repr(v)) if isinstance(v, float) else v) for k, v in plain.items()}


def library_plain(item: dict) -> dict:
    values = {k: DESERIALIZER.deserialize(v) for k, v in item.items()}
    # ... and it answers Decimals, which the records then have to turn back into int/float.
    return {
        k: (int(v) if v == v.to_integral_value() else float(v)) if isinstance(v, Decimal) else v
        for k, v in values.items()
    }


def timed(function, argument, repeats: int = 20000) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            function(argument)
        samples.append((time.perf_counter() - start) / repeats * 1e6)
    return statistics.median(samples)


def main() -> None:
    scenario = Scenario(
        id="0" * 32,
        tag="my-run",
        input_data_id="Master data",
        algorithm="Slow",
        parameters={"duration": 5},
        data_parameters={},
        status=Status.COMPLETE,
        progress=1.0,
        kpi_values={"a": 1.5, "b": 2.0},
        created_at="2026-11-23T00:00:00.000+00:00",
        run_id="1" * 32,
        run_started_at="2026-11-23T00:00:01.000+00:00",
        run_finished_at="2026-11-23T00:00:06.000+00:00",
    )
    item = _scenario_item("default", "s" * 36, scenario)
    plain = _plain_item(item)
    assert library_plain(item) == plain and library_item(plain) == item  # the same items either way
    ours_write = timed(lambda p: _item(**p), plain)
    lib_write = timed(library_item, plain)
    ours_read = timed(_plain_item, item)
    lib_read = timed(library_plain, item)
    print(f"scenario item ({len(item)} attributes), µs per item, median of 5 x 20,000")
    print(
        f"  write  hand-written {ours_write:6.1f}   TypeSerializer   {lib_write:6.1f}   ratio {lib_write / ours_write:.1f}x"
    )
    print(
        f"  read   hand-written {ours_read:6.1f}   TypeDeserializer {lib_read:6.1f}   ratio {lib_read / ours_read:.1f}x"
    )
    print(f"  list of 300 scenarios, read: +{(lib_read - ours_read) * 300 / 1000:.2f} ms with the library")


if __name__ == "__main__":
    main()

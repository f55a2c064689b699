"""Domain-core figures: ETL throughput, DataSource JSON speed and size, greedy run time.

    make bench        (or: .venv/bin/python bench/domain_bench.py [rows])

Reference, the original in-process product on these machines: ETL of this
100,000-row sku_data.csv about 150 ms; to_json of that dataset 880 ms, 20.5 MB.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from algocloud.appconfig import load_app_config
from algocloud.domain.etl import Etl, UploadedFile
from algocloud.domain.runner import execute
from algocloud.example import generate
from algocloud.example.app import SCHEMAS
from algocloud.example.warehouse import WarehouseData


def timed(fn, repeats=5):
    """(median seconds, last result) over `repeats` runs after one warm-up."""
    result = fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def main(rows: int = 100_000) -> None:
    csv_bytes = generate.to_csv(
        generate.sku_rows(rows, generate.layout_rows(), seed=11, unique_slots=False), generate.SKU_COLUMNS
    )
    sku_schema = next(s for s in SCHEMAS if s.name == "sku_data")
    etl = Etl([sku_schema], WarehouseData)
    upload = [UploadedFile("sku_data.csv", csv_bytes)]

    seconds, result = timed(lambda: etl.run(upload, "bench"))
    assert result.success, result.messages
    mb = len(csv_bytes) / 1e6
    print(f"ETL sku_data.csv       {rows:>7} rows  {mb:6.1f} MB  {seconds * 1000:7.0f} ms  {mb / seconds:6.1f} MB/s")

    datasource = result.datasource
    seconds, payload = timed(datasource.to_json_bytes)
    print(f"DataSource.to_json     {rows:>7} rows  {len(payload) / 1e6:6.1f} MB  {seconds * 1000:7.0f} ms")
    seconds, _ = timed(lambda: WarehouseData.from_json(payload))
    print(f"DataSource.from_json   {rows:>7} rows  {len(payload) / 1e6:6.1f} MB  {seconds * 1000:7.0f} ms")

    import resource

    from algocloud.domain.datasource import stored_to_json

    seconds, stored = timed(datasource.to_stored_bytes)
    print(
        f"to_stored_bytes        {rows:>7} rows  {len(stored) / 1e6:6.1f} MB  {seconds * 1000:7.0f} ms  "
        "(the stored form, by column)"
    )
    seconds, _ = timed(lambda: WarehouseData.from_stored(stored))
    print(f"from_stored            {rows:>7} rows  {len(stored) / 1e6:6.1f} MB  {seconds * 1000:7.0f} ms")
    seconds, _ = timed(lambda: stored_to_json(stored))
    print(
        f"stored_to_json         {rows:>7} rows  {len(payload) / 1e6:6.1f} MB  {seconds * 1000:7.0f} ms  "
        "(GET …/data/{key}, no pandas)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process so far {peak:.0f} MiB (sizes the Lambda memory)")

    config = load_app_config()
    master = config.seed_datasets()[0]
    scenario = config.new_scenario("bench", "Master data", "Greedy")
    seconds, outcome = timed(lambda: execute(config, scenario, master, lambda f: None), repeats=20)
    print(
        f"Greedy on example data {len(master.get_table('sku_data'))} items, "
        f"{len(master.get_table('warehouse_layout'))} slots: {seconds * 1000:.1f} ms "
        f"(run + result JSON + 4 KPIs; travel {outcome.kpi_values['Travel distance']} km/day)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

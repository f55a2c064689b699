"""Latency and throughput of the local stack over real HTTP.

    .venv/bin/python bench/local_bench.py            # starts its own stack on free ports (clean state)
    .venv/bin/python bench/local_bench.py --url http://127.0.0.1:8051 --aws-port 5051   # a running one

Prints p50/p95 of GET .../status, GET .../scenarios with 1 and 200 scenarios
and POST .../run; POST run -> complete for Instant; 20 Slow(1 s) runs over 4
sessions; and GET .../status latency while a CPU-heavy Greedy run (200,000
items and slots) is processing, as a ratio to idle.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.test_local_stack import Stack, free_port  # noqa: E402


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   (n={len(ordered)})"


def timed(http: httpx.Client, method: str, url: str, **kwargs) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = http.request(method, url, **kwargs)
    return time.perf_counter() - start, response


def create(http, base, session, tag, algorithm="Instant", params=None, dataset="Master data"):
    response = http.post(f"{base}/sessions/{session}/scenarios", json={
        "tag": tag, "dataset_key": dataset, "algo_name": algorithm, "algo_params": params})
    response.raise_for_status()
    return response.json()


def wait_complete(http, base, session, scenario_id, interval=0.02, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = http.get(f"{base}/sessions/{session}/scenarios/{scenario_id}/status").json()
        if status["status"] in ("complete", "failed"):
            return status
        time.sleep(interval)
    raise TimeoutError(scenario_id)


def store_big_dataset(aws_port: int, session: str, items: int) -> str:
    """Write a large dataset straight into the local AWS (over the 6 MB request limit)."""
    os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}", "AWS_ACCESS_KEY_ID": "local",
                       "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"})
    import boto3
    import pandas as pd

    from algocloud.adapters.dynamodb import DynamoRepository
    from algocloud.adapters.s3 import S3BlobStore
    from algocloud.adapters.sqs import SqsRunQueue
    from algocloud.appconfig import load_app_config
    from algocloud.example import generate
    from algocloud.example.warehouse import WarehouseData
    from algocloud.service import ScenarioService
    from devstack.stack import NAMES

    aisles = items // generate.POSITIONS
    layout = [{"slot_id": f"B{a:04d}-{p:02d}", "x": 2.0 + a * 3.5, "y": 1.0 + p * 1.4,
               "zone": "cooled" if a < aisles // 5 else "hazmat" if a >= aisles - aisles // 10 else "ambient"}
              for a in range(aisles) for p in range(generate.POSITIONS)]
    skus = generate.sku_rows(len(layout) * 8 // 10, layout, seed=3)
    data = WarehouseData("Big warehouse", tables={"sku_data": pd.DataFrame(skus),
                                                   "warehouse_layout": pd.DataFrame(layout)})
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    service = ScenarioService(
        load_app_config(), DynamoRepository(boto3.client("dynamodb", endpoint_url=endpoint), NAMES["Table"]),
        S3BlobStore(boto3.client("s3", endpoint_url=endpoint), NAMES["Bucket"]),
        SqsRunQueue(boto3.client("sqs", endpoint_url=endpoint), "unused"), "default")
    service.import_dataset(session, data.to_json_bytes())
    return data.name


def run(base: str, aws_port: int) -> None:
    http = httpx.Client(timeout=60)
    http.get(f"{base}/health").raise_for_status()
    http.post(f"{base}/sessions/main/copy", json={"new_display_name": "bench"}).raise_for_status()
    one = create(http, base, "bench", "first")
    status_url = f"{base}/sessions/bench/scenarios/{one['id']}/status"

    idle = [timed(http, "GET", status_url)[0] for _ in range(300)]
    print(f"GET .../status (idle)              {percentiles(idle)}")
    list_one = [timed(http, "GET", f"{base}/sessions/bench/scenarios")[0] for _ in range(100)]
    print(f"GET .../scenarios,   1 scenario     {percentiles(list_one)}")
    for index in range(199):
        create(http, base, "bench", f"s{index}")
    list_200 = [timed(http, "GET", f"{base}/sessions/bench/scenarios")[0] for _ in range(30)]
    print(f"GET .../scenarios, 200 scenarios    {percentiles(list_200)}")

    http.post(f"{base}/sessions/main/copy", json={"new_display_name": "runs"}).raise_for_status()
    run_times = []
    for index in range(30):
        scenario = create(http, base, "runs", f"instant-{index}")
        elapsed, response = timed(http, "POST", f"{base}/sessions/runs/scenarios/{scenario['id']}/run")
        response.raise_for_status()
        run_times.append(elapsed)
        wait_complete(http, base, "runs", scenario["id"], interval=0.01)
    print(f"POST .../run                        {percentiles(run_times)}")

    samples = []
    for index in range(10):
        scenario = create(http, base, "runs", f"instant-timed-{index}")
        start = time.perf_counter()
        http.post(f"{base}/sessions/runs/scenarios/{scenario['id']}/run").raise_for_status()
        wait_complete(http, base, "runs", scenario["id"], interval=0.01)
        samples.append(time.perf_counter() - start)
    print(f"POST run -> complete, Instant       {percentiles(samples)}")

    sessions = [f"par-{i}" for i in range(4)]
    for name in sessions:
        http.post(f"{base}/sessions/main/copy", json={"new_display_name": name}).raise_for_status()
    slow = [(name, create(http, base, name, f"slow-{i}", "Slow", {"duration": 1})) for name in sessions for i in range(5)]
    start = time.perf_counter()
    for name, scenario in slow:
        http.post(f"{base}/sessions/{name}/scenarios/{scenario['id']}/run").raise_for_status()
    for name, scenario in slow:
        wait_complete(http, base, name, scenario["id"], interval=0.1)
    print(f"20 x Slow(1 s) over 4 sessions      {time.perf_counter() - start:6.1f} s to all complete")

    key = store_big_dataset(aws_port, "bench", 200_000)
    heavy = create(http, base, "bench", "heavy-greedy", "Greedy", dataset=key)
    http.post(f"{base}/sessions/bench/scenarios/{heavy['id']}/run").raise_for_status()
    busy, started = [], time.perf_counter()
    while True:
        elapsed, response = timed(http, "GET", status_url)
        state = http.get(f"{base}/sessions/bench/scenarios/{heavy['id']}/status").json()["status"]
        if state == "processing":
            busy.append(elapsed)
        elif state in ("complete", "failed"):
            break
        time.sleep(0.01)
    duration = time.perf_counter() - started
    print(f"GET .../status during Greedy run    {percentiles(busy)}   "
          f"(run took {duration:.1f} s, ended {state})")
    if busy:
        print(f"  busy / idle p50 ratio: {statistics.median(busy) / statistics.median(idle):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="base URL of a running stack (default: start one)")
    parser.add_argument("--aws-port", type=int, default=5051)
    args = parser.parse_args()
    if args.url:
        run(args.url.rstrip("/") + "/api/v1", args.aws_port)
        return
    with tempfile.TemporaryDirectory() as state:
        port, aws_port = free_port(), free_port()
        stack = Stack(Path(state), port, aws_port)
        stack.args[stack.args.index("--workers") + 1] = "4"
        stack.start()
        try:
            run(stack.base, aws_port)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()

"""Parallel efficiency of experiments on the embedded `make local` with 4 worker slots: 40 x
Slow(1 s) as one experiment (the tenant's 4 lanes) beside the same 40 runs through the contract
in one session (one at a time, as the reference requires).

    .venv/bin/python bench/experiment_bench.py            # 40 runs
    .venv/bin/python bench/experiment_bench.py --runs 20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from tests.test_local_stack import Stack, free_port


def experiment(http: httpx.Client, runs: int) -> float:
    body = {"name": "slow", "dataset_keys": ["Master data"], "algo_name": "Slow", "repetitions": runs}
    started = time.perf_counter()
    made = http.post("/sessions/main/experiments", json=body)
    made.raise_for_status()
    while not (report := http.get(f"/sessions/main/experiments/{made.json()['id']}").json())["done"]:
        time.sleep(0.1)
    assert report["counts"] == {"complete": runs}, report["counts"]
    return time.perf_counter() - started


def one_session(http: httpx.Client, runs: int) -> float:
    http.post("/sessions/main/copy", json={"new_display_name": "serial"}).raise_for_status()
    url = "/sessions/serial/scenarios"
    started = time.perf_counter()
    made = []
    for index in range(runs):
        body = {"tag": f"slow-{index}", "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {}}
        scenario = http.post(url, json=body).json()["id"]
        http.post(f"{url}/{scenario}/run").raise_for_status()
        made.append(scenario)
    for scenario in made:
        while http.get(f"{url}/{scenario}/status").json()["status"] != "complete":
            time.sleep(0.1)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        stack = Stack(Path(state), free_port(), free_port())
        stack.args[stack.args.index("--workers") + 1] = "4"
        stack.start()
        time.sleep(3)  # the workers' warm-up imports
        try:
            http = httpx.Client(base_url=stack.base, timeout=60)
            parallel = experiment(http, args.runs)
            serial = one_session(http, args.runs)
        finally:
            stack.stop()
    ideal = args.runs / 4
    print(f"{args.runs} x Slow(1 s), 4 worker slots, create -> all complete")
    print(f"  one experiment (4 lanes)      {parallel:6.1f} s  ({parallel / ideal:.2f} x the ideal {ideal:.0f} s)")
    print(f"  one session (the contract)    {serial:6.1f} s")


if __name__ == "__main__":
    main()

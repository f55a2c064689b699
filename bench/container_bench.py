"""The container tier on the local stack: from `POST …/run` to the task running the job.

    .venv/bin/python bench/container_bench.py            # embedded: tasks are local processes
    .venv/bin/python bench/container_bench.py --aws      # the AWS emulation: moto's ECS, tasks as processes

Prints, over --runs runs of `Long (container)` (declared for the container tier, so each run is
launched at once): p50 and max of run -> handed over (`executor: container`), run -> the task's
`processing` (its run_started_at), run -> its first progress. Goal on the local stack: the task's
`processing` within 3 s p50. On AWS, Fargate's own start (image pull, ENI: typically 30-60 s)
comes on top and is not emulated.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.test_local_stack import Stack, free_port


def one_run(http: httpx.Client, tag: str) -> tuple[float, float, float]:
    body = {"tag": tag, "dataset_key": "Master data", "algo_name": "Long (container)", "algo_params": {"minutes": 0.05}}
    scenario = http.post("/scenarios", json=body).json()
    started = time.monotonic()
    assert http.post(f"/scenarios/{scenario['id']}/run").status_code == 202
    handed = processing = progressing = None
    while True:
        now, current = time.monotonic() - started, http.get(f"/scenarios/{scenario['id']}").json()
        if handed is None and current["executor"] == "container":
            handed = now
        if processing is None and current["run_started_at"]:
            processing = now
        if progressing is None and current["progress"] > 0:
            progressing = now
        if current["status"] in ("complete", "failed"):
            assert current["status"] == "complete", current
            return handed or now, processing or now, progressing or now
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aws", action="store_true")
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    mode = "aws" if args.aws else "embedded"
    with tempfile.TemporaryDirectory() as state:
        stack = Stack(Path(state), free_port(), free_port(), mode=mode).start()
        try:
            http = httpx.Client(base_url=f"{stack.base}/sessions/main", timeout=30)
            samples = [one_run(http, f"bench-{i}") for i in range(args.runs)]
        finally:
            stack.stop()
    print(f"container tier, {mode} local stack, {args.runs} runs of Long (container):")
    for index, label in enumerate(("run -> handed over", "run -> task processing", "run -> first progress")):
        values = [sample[index] for sample in samples]
        print(f"  {label:<24} p50 {statistics.median(values):5.2f} s   max {max(values):5.2f} s")


if __name__ == "__main__":
    main()

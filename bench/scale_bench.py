"""What a request costs as one session grows: 100, 1,000 and 10,000 complete scenarios on the
embedded `make local`, 100 and 2,000 on `--aws` (moto behind the gateway emulator).

    .venv/bin/python bench/scale_bench.py                 # embedded: 100, 1,000, 10,000
    .venv/bin/python bench/scale_bench.py --aws           # --aws: 100, 2,000
    .venv/bin/python bench/scale_bench.py --sizes 100,500

One real Instant run completes over HTTP; the session is then filled with copies of that
scenario (same result, KPIs and timestamps) written through the scenario store into the
stack's own store, which is quicker than running thousands of runs and gives the same items.
At each size, over HTTP (p50 of repeated requests): create; the first page of 50
(`?limit=50`) and a page of 50 deep in the list (by its cursor); `view=summary` of the whole
session; the whole list (the reference's full objects) and its bytes; status; one scenario.
On --aws it also counts the DynamoDB items a page of 50 reads (a botocore hook on the API's
client, in process against the same moto server).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "shared"), str(ROOT / "functions" / "api")]

from tests.test_local_stack import Stack, free_port

TENANT = "default"  # the stack's tenant without API keys


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(call: Callable[[], httpx.Response], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call().raise_for_status()
        samples.append(time.perf_counter() - started)
    return samples


class Scale:
    def __init__(self, stack: Stack, aws: bool, aws_port: int):
        self.stack, self.aws, self.aws_port = stack, aws, aws_port
        self.http = httpx.Client(base_url=stack.base, timeout=300)
        self.http.post("/sessions/main/copy", json={"new_display_name": "scale"}).raise_for_status()
        sessions = self.http.get("/sessions").json()["sessions"]
        self.sid = next(s["id"] for s in sessions if s["display_name"] == "scale")
        self.url = f"/sessions/{self.sid}/scenarios"
        self.stores = self._stores()
        probe = self.create("probe")
        self.http.post(f"{self.url}/{probe}/run").raise_for_status()
        while self.http.get(f"{self.url}/{probe}/status").json()["status"] != "complete":
            time.sleep(0.05)
        self.template = self.stores.scenarios.get_scenario(TENANT, self.sid, probe)
        self.probe, self.count, self.created = probe, 1, 0

    def _settings(self):
        from algocloud.adapters.settings import BackendSettings

        if self.aws:
            return BackendSettings(
                backend="aws",
                table_name="algocloud-local",
                bucket_name="algocloud-local",
                queue_url="unused",
                aws_endpoint_url=f"http://127.0.0.1:{self.aws_port}",
            )
        return BackendSettings(backend="embedded", state_dir=self.stack.state_dir)

    def _stores(self):
        from algocloud.adapters.factory import build_adapters

        os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1")
        return build_adapters(self._settings()).stores

    def create(self, tag: str) -> str:
        body = {"tag": tag, "dataset_key": "Master data", "algo_name": "Instant"}
        response = self.http.post(self.url, json=body)
        response.raise_for_status()
        return response.json()["id"]

    def fill(self, size: int) -> None:
        from algocloud.domain.scenario import Scenario

        t = self.template
        while self.count < size:
            copy = Scenario(
                tag=f"fill-{self.count}",
                input_data_id=t.input_data_id,
                algorithm=t.algorithm,
                parameters=t.parameters,
                data_parameters=t.data_parameters,
                status=t.status,
                progress=t.progress,
                result=t.result,
                kpi_values=t.kpi_values,
                run_id=t.run_id,
                run_started_at=t.run_started_at,
                run_finished_at=t.run_finished_at,
                executor=t.executor,
            )
            self.stores.scenarios.create_scenario(TENANT, self.sid, copy)
            self.count += 1

    def deep_cursor(self) -> str | None:
        """The cursor of a page about halfway through the list."""
        cursor, walked, target = None, 0, max(1, self.count // 2 - 25)
        while walked < target:
            step = min(1000, target - walked)
            params = {"limit": step, "view": "summary"} | ({"cursor": cursor} if cursor else {})
            response = self.http.get(self.url, params=params)
            cursor, walked = response.headers.get("x-next-cursor"), walked + step
        return cursor

    def measure(self) -> dict[str, str]:
        """The small requests first (30 samples each), the whole lists last (they churn memory)."""
        size = self.count
        status = timed(lambda: self.http.get(f"{self.url}/{self.probe}/status"), 50)
        one = timed(lambda: self.http.get(f"{self.url}/{self.probe}"), 50)
        first = timed(lambda: self.http.get(self.url, params={"limit": 50}), 30)
        cursor = self.deep_cursor()
        deep = timed(lambda: self.http.get(self.url, params={"limit": 50, "cursor": cursor}), 30)
        summary_page = timed(lambda: self.http.get(self.url, params={"limit": 50, "view": "summary"}), 30)
        creates = []  # scenarios added here are counted in the next size's fill
        for _ in range(30):
            started = time.perf_counter()
            self.create(f"created-{self.created}")
            creates.append(time.perf_counter() - started)
            self.created += 1
            self.count += 1
        summaries = timed(lambda: self.http.get(self.url, params={"view": "summary"}), 3)
        started = time.perf_counter()
        whole = self.http.get(self.url)
        whole_ms = (time.perf_counter() - started) * 1000
        row = {
            "scenarios": f"{size:,}",
            "create": f"{p50(creates):.1f} ms",
            "page of 50": f"{p50(first):.1f} ms",
            "page of 50, halfway": f"{p50(deep):.1f} ms",
            "summary page of 50": f"{p50(summary_page):.1f} ms",
            "view=summary, all": f"{p50(summaries):.0f} ms",
            "full list": f"{whole_ms:.0f} ms",
            "full list bytes": f"{len(whole.content) / 1e6:.1f} MB",
            "status": f"{p50(status):.1f} ms",
            "one scenario": f"{p50(one):.1f} ms",
        }
        if self.aws:
            row["DynamoDB items read per page of 50"] = str(self.items_per_page())
        return row

    def items_per_page(self) -> int:
        """The API in this process against the same moto server, its DynamoDB calls counted."""
        from fastapi.testclient import TestClient

        from api import deps
        from api.main import create_app
        from api.settings import ApiSettings

        settings = ApiSettings(**self._settings().model_dump(exclude={"state_dir"}))
        app = create_app(settings)
        read = []

        def count(parsed, **_):
            read.append(len(parsed.get("Items", [])) + ("Item" in parsed))

        with TestClient(app) as client:
            client.get(f"/api/v1{self.url}", params={"limit": 1})  # adapters built, tenant bootstrapped
            deps.adapters(settings).stores.scenarios._db.meta.events.register("after-call.dynamodb", count)
            client.get(f"/api/v1{self.url}", params={"limit": 50}).raise_for_status()
        return sum(read)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aws", action="store_true", help="measure the --aws mode instead")
    parser.add_argument("--sizes", help="comma-separated session sizes (default: 100,1000,10000; --aws 100,2000)")
    args = parser.parse_args()
    sizes = [int(s) for s in (args.sizes or ("100,2000" if args.aws else "100,1000,10000")).split(",")]
    with tempfile.TemporaryDirectory() as state:
        aws_port = free_port()
        stack = Stack(Path(state), free_port(), aws_port, mode="aws" if args.aws else "embedded")
        stack.state_dir = Path(state)
        stack.start()
        try:
            scale = Scale(stack, args.aws, aws_port)
            rows = []
            for size in sizes:
                started = time.perf_counter()
                scale.fill(size)
                print(f"filled to {size:,} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
                rows.append(scale.measure())
                print(rows[-1], file=sys.stderr)
        finally:
            stack.stop()
    print(f"| {' | '.join(rows[0])} |")
    print(f"|{'---|' * len(rows[0])}")
    for row in rows:
        print(f"| {' | '.join(row.values())} |")


if __name__ == "__main__":
    main()

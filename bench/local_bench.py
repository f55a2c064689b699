"""The local stack's figures over real HTTP (the table of issue 9, ours alone).

    .venv/bin/python bench/local_bench.py             # embedded `make local` on free ports, clean state
    .venv/bin/python bench/local_bench.py --aws       # the moto-based AWS emulation instead
    .venv/bin/python bench/local_bench.py --skip cold,heavy

Prints: cold start to the first 200 on /health; GET status and GET /sessions
p50; mean create while filling a session to 300 and GET of the 300-scenario
list; 50 Instant runs first create -> all complete; 20 x Slow(1 s) over 4
sessions; ETL of a 100k-row CSV; RSS of all the stack's processes after 3
ETLs; status p50 during a CPU-heavy run / idle; 600 creates: RSS and create
time at the start and the end. For the same figures beside the original
product in one interleaved run, see ../shared/peer/README.md.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.test_local_stack import Stack, free_port


def p50(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.2f} ms"


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def process_tree(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(_read(f"/proc/{entry}/stat").rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def cpu_seconds(root_pid: int) -> float:
    ticks = 0
    for pid in process_tree(root_pid):
        try:
            fields = _read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mib(root_pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    total = 0
    for pid in process_tree(root_pid):
        try:
            total += next(
                int(line.split()[1]) for line in _read(f"/proc/{pid}/status").splitlines() if line.startswith("VmRSS")
            )
        except (OSError, StopIteration):
            pass
    return total / 1024


def sku_csv(rows: int) -> bytes:
    """`rows` items in the example's sku_data shape (one-word descriptions: under 6 MB)."""
    from algocloud.example.generate import DATA_DIR

    layout = (DATA_DIR / "warehouse_layout.csv").read_text().splitlines()[1:]
    slots = [line.split(";")[0] for line in layout]
    header = (DATA_DIR / "sku_data.csv").read_text().splitlines()[0]
    rng = random.Random(7)
    out = io.StringIO()
    out.write(header + "\n")
    columns = header.split(";")
    for i in range(1, rows + 1):
        values = {
            "item_id": i,
            "sku": f"SKU-{10000 + i}",
            "description": rng.choice(["tape", "bolts", "rice"]),
            "category": rng.choice(["food", "tools", "chemicals", "office"]),
            "daily_picks": rng.randrange(1, 400),
            "volume": round(rng.uniform(0.2, 60), 2),
            "weight": round(rng.uniform(0.1, 30), 2),
            "current_slot": rng.choice(slots),
        }
        out.write(";".join(str(values.get(c, "")) for c in columns) + "\n")
    return out.getvalue().encode()


class Bench:
    def __init__(self, base: str, pid: int):
        self.base, self.pid = base, pid
        self.http = httpx.Client(timeout=120)

    def create(self, session: str, tag: str, algorithm="Instant", params=None, dataset="Master data") -> str:
        response = self.http.post(
            f"{self.base}/sessions/{session}/scenarios",
            json={"tag": tag, "dataset_key": dataset, "algo_name": algorithm, "algo_params": params},
        )
        response.raise_for_status()
        return response.json()["id"]

    def run(self, session: str, scenario: str) -> None:
        self.http.post(f"{self.base}/sessions/{session}/scenarios/{scenario}/run").raise_for_status()

    def status(self, session: str, scenario: str) -> str:
        return self.http.get(f"{self.base}/sessions/{session}/scenarios/{scenario}/status").json()["status"]

    def wait(self, pending: list[tuple[str, str]], interval: float) -> None:
        for session, scenario in pending:
            while self.status(session, scenario) not in ("complete", "failed"):
                time.sleep(interval)

    def session(self, name: str) -> str:
        self.http.post(f"{self.base}/sessions/main/copy", json={"new_display_name": name}).raise_for_status()
        return name

    def latency(self, url: str, n: int = 200) -> list[float]:
        samples = []
        for _ in range(n):
            start = time.perf_counter()
            self.http.get(url).raise_for_status()
            samples.append(time.perf_counter() - start)
        return samples

    # -- the figures ---------------------------------------------------------------------
    def floor(self) -> None:
        scenario = self.create(self.session("floor"), "probe")
        status = self.latency(f"{self.base}/sessions/floor/scenarios/{scenario}/status")
        sessions = self.latency(f"{self.base}/sessions")
        print(f"GET …/status p50                          {p50(status)}")
        print(f"GET /sessions p50                         {p50(sessions)}")

    def list(self) -> None:
        session = self.session("list")
        started = time.perf_counter()
        for index in range(300):
            self.create(session, f"list-{index}")
        create_ms = (time.perf_counter() - started) / 300 * 1000
        listing = self.latency(f"{self.base}/sessions/{session}/scenarios", 30)
        print(f"POST …/scenarios mean, filling to 300     {create_ms:7.2f} ms")
        print(f"GET …/scenarios p50, 300 scenarios        {p50(listing)}")

    def instant(self) -> None:
        session = self.session("instant")
        started = time.perf_counter()
        pending = []
        for index in range(50):
            scenario = self.create(session, f"instant-{index}")
            self.run(session, scenario)
            pending.append((session, scenario))
        self.wait(pending, 0.01)
        print(f"50 Instant: first create -> all complete  {time.perf_counter() - started:7.2f} s")

    def slow(self) -> None:
        sessions = [self.session(f"slow-{k}") for k in range(4)]
        started = time.perf_counter()
        pending = []
        for index in range(20):
            session = sessions[index % 4]
            scenario = self.create(session, f"slow-{index}", "Slow", {"duration": 1})
            self.run(session, scenario)
            pending.append((session, scenario))
        self.wait(pending, 0.05)
        print(f"20 x Slow(1 s) over 4 sessions            {time.perf_counter() - started:7.2f} s")

    def etl(self) -> str:
        from algocloud.example.generate import DATA_DIR

        files = [
            ("files", ("sku_data.csv", sku_csv(100_000))),
            ("files", ("warehouse_layout.csv", (DATA_DIR / "warehouse_layout.csv").read_bytes())),
        ]
        walls = []
        for index in range(3):
            started = time.perf_counter()
            response = self.http.post(
                f"{self.base}/sessions/main/etl", files=files, data={"dataset_name": f"big-{index}"}
            )
            walls.append(time.perf_counter() - started)
            assert response.status_code == 200 and response.json()["success"], response.text[:300]
        print(
            f"ETL 100k rows (sku_data.csv {len(files[0][1][1]) / 1e6:.1f} MB) median  {statistics.median(walls):7.2f} s"
        )
        print(f"RSS after 3 x 100k ETL (all processes)    {rss_mib(self.pid):7.0f} MiB")
        return "big-0"

    def heavy(self, dataset: str) -> None:
        probe = self.create("main", "probe")
        url = f"{self.base}/sessions/main/scenarios/{probe}/status"
        idle = self.latency(url, 100)
        heavy = self.create("main", "heavy", "Greedy", dataset=dataset)
        self.run("main", heavy)
        during, started = [], time.perf_counter()
        while (state := self.status("main", heavy)) not in ("complete", "failed"):
            if state == "processing" and time.perf_counter() - started < 15:
                during += self.latency(url, 1)
            time.sleep(0.01)
        ratio = statistics.median(during) / statistics.median(idle) if during else float("nan")
        print(
            f"GET status during a heavy run / idle      {ratio:7.2f} x  "
            f"({p50(during) if during else 'n/a'} / {p50(idle)}, run {time.perf_counter() - started:.1f} s)"
        )

    def growth(self) -> None:
        session = self.session("growth")
        first_rss, times = rss_mib(self.pid), []
        for index in range(600):
            started = time.perf_counter()
            self.create(session, f"g-{index}")
            times.append(time.perf_counter() - started)
        print(
            f"600 creates: RSS {first_rss:.0f} -> {rss_mib(self.pid):.0f} MiB, create p50 first 100 "
            f"{p50(times[:100])}, last 100 {p50(times[-100:])}"
        )


def cold_start(extra: list[str]) -> None:
    with tempfile.TemporaryDirectory() as state:
        port = free_port()
        started = time.perf_counter()
        stack = Stack(Path(state), port, free_port())
        stack.args += extra
        stack.start()
        elapsed = time.perf_counter() - started
        stack.stop()
    print(f"cold start: spawn -> first 200 /health    {elapsed:7.2f} s")


FIGURES = ("cold", "idle", "floor", "list", "etl", "heavy", "instant", "slow", "growth")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aws", action="store_true", help="measure the --aws mode instead")
    parser.add_argument("--skip", default="", help=f"comma-separated: {','.join(FIGURES)}")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    extra = ["--aws"] if args.aws else []
    if "cold" not in skip:
        cold_start(extra)
    with tempfile.TemporaryDirectory() as state:
        stack = Stack(Path(state), free_port(), free_port())
        stack.args[stack.args.index("--workers") + 1] = "4"
        stack.args += extra
        stack.start()
        time.sleep(3)  # the workers' warm-up imports
        try:
            bench = Bench(stack.base, stack.process.pid)
            print(f"RSS at start (all processes)              {rss_mib(stack.process.pid):7.0f} MiB")
            if "idle" not in skip:
                before = cpu_seconds(stack.process.pid)
                time.sleep(10)
                idle = (cpu_seconds(stack.process.pid) - before) / 10 * 100
                print(f"idle CPU of the whole stack               {idle:7.2f} % of a core")
            for name in ("floor", "list"):
                if name not in skip:
                    getattr(bench, name)()
            dataset = bench.etl() if "etl" not in skip else None
            if dataset and "heavy" not in skip:
                bench.heavy(dataset)
            for name in ("instant", "slow", "growth"):
                if name not in skip:
                    getattr(bench, name)()
        finally:
            stack.stop()


if __name__ == "__main__":
    main()

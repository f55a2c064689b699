"""Cancel on the local stack, both modes: from POST …/cancel to the scenario failed, and to
the next run of the session starting (the worker stops a run at its next progress report;
Slow reports each second).

    .venv/bin/python bench/cancel_bench.py
"""

import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.test_local_stack import Stack, free_port


def create(base: str, tag: str, duration: int) -> dict:
    body = {"tag": tag, "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {"duration": duration}}
    return httpx.post(base, json=body).json()


def status(base: str, scenario: dict) -> str:
    return httpx.get(f"{base}/{scenario['id']}/status").json()["status"]


def measure(base: str, delay: float) -> tuple[float, float]:
    """(seconds to failed, seconds to the next run starting) for a cancel `delay` s into a run."""
    slow, following = create(base, f"slow-{delay}", 30), create(base, f"next-{delay}", 1)
    for scenario in (slow, following):
        httpx.post(f"{base}/{scenario['id']}/run")
    while status(base, slow) != "processing":
        time.sleep(0.02)
    time.sleep(delay)
    started = time.perf_counter()
    assert httpx.post(f"{base}/{slow['id']}/cancel").json()["error"] == "cancelled"
    failed = time.perf_counter() - started
    while status(base, following) == "queued":
        time.sleep(0.02)
    freed = time.perf_counter() - started
    while status(base, following) != "complete":
        time.sleep(0.05)
    return failed, freed


def main() -> None:
    for mode in ("embedded", "aws"):
        with tempfile.TemporaryDirectory() as state:
            stack = Stack(Path(state) / "state", free_port(), free_port(), mode=mode).start()
            try:
                base = stack.base + "/sessions/main/scenarios"
                figures = [measure(base, delay) for delay in (0.3, 0.6, 0.9)]
            finally:
                stack.stop()
        print(
            f"{mode:>8}: cancel -> failed "
            + ", ".join(f"{f * 1000:.0f} ms" for f, _ in figures)
            + "; cancel -> next run started "
            + ", ".join(f"{n:.2f} s" for _, n in figures)
        )


if __name__ == "__main__":
    main()

"""Event latency: from the worker's progress write to the subscribed WebSocket, on both local
stacks, beside the reference's polling of `…/status` every 0.5 s in the same runs.

    .venv/bin/python bench/events_bench.py [--runs 2] [--duration 15]

Each run is a Slow scenario (one progress write a second). An event's `at` is stamped when the
worker's write has committed; its latency is when the socket received it, minus `at` (one
machine, one clock). The poller's latency for the same progress value is when its first
answer showed it, minus the same `at`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from websockets.sync.client import connect

from tests.test_local_stack import Stack, free_port

KEY = "events-bench-key-0123456789"


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def one_run(http: httpx.Client, sid: str, duration: int) -> tuple[list[float], list[float], int]:
    scenario = http.post(
        f"/sessions/{sid}/scenarios",
        json={
            "tag": f"bench-{time.time()}",
            "dataset_key": "Master data",
            "algo_name": "Slow",
            "algo_params": {"duration": duration},
        },
    ).json()
    token = http.post("/events/token").json()
    polled: list[tuple[float, float]] = []
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=str(http.base_url), headers=http.headers) as poller:
            while not stop.is_set():
                progress = poller.get(f"/sessions/{sid}/scenarios/{scenario['id']}/status").json()["progress"]
                polled.append((time.time(), progress))
                stop.wait(0.5)

    pushed: list[tuple[float, dict]] = []
    with connect(f"{token['url']}?token={token['token']}") as socket:
        socket.send(json.dumps({"action": "subscribe", "session_id": sid, "scenario_id": scenario["id"]}))
        socket.recv(timeout=10)
        poller = threading.Thread(target=poll)
        poller.start()
        http.post(f"/sessions/{sid}/scenarios/{scenario['id']}/run").raise_for_status()
        while True:
            event = json.loads(socket.recv(timeout=duration + 30))
            pushed.append((time.time(), event))
            if event["type"] in ("scenario.complete", "scenario.failed"):
                break
        stop.set()
        poller.join()
    progress = [(received, event) for received, event in pushed if event["type"] == "scenario.progress"]
    push_latency = [received - epoch(event["at"]) for received, event in progress]
    poll_latency = []
    for _received, event in progress:
        seen = next((t for t, value in polled if value >= event["progress"]), None)
        if seen is not None:
            poll_latency.append(seen - epoch(event["at"]))
    return push_latency, poll_latency, len(polled)


def quantiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"p50 {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15)
    args = parser.parse_args()
    import tempfile

    for mode in ("embedded", "aws"):
        with tempfile.TemporaryDirectory() as state:
            extra = ["--api-key", KEY] if mode == "aws" else []
            stack = Stack(Path(state), free_port(), free_port(), mode=mode, extra=extra)
            stack.start_with({"x-api-key": KEY} if mode == "aws" else {})
            try:
                headers = {"x-api-key": KEY} if mode == "aws" else {}
                with httpx.Client(base_url=stack.base, headers=headers, timeout=60) as http:
                    sid = http.get("/sessions").json()["default"]
                    pushed, polled, requests = [], [], 0
                    for _ in range(args.runs):
                        push, poll, count = one_run(http, sid, args.duration)
                        pushed += push
                        polled += poll
                        requests += count
            finally:
                stack.stop()
        print(f"{mode:>8}  pushed (WebSocket)     {quantiles(pushed)}")
        print(f"{mode:>8}  polled every 0.5 s     {quantiles(polled)}  {requests} status requests")


if __name__ == "__main__":
    main()

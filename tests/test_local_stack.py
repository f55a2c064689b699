"""The local stack as a user runs it: a subprocess on free ports, over real HTTP."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    def __init__(self, state_dir: Path, port: int, aws_port: int):
        self.args = [sys.executable, "-m", "devstack", "--port", str(port), "--aws-port", str(aws_port),
                     "--state-dir", str(state_dir), "--workers", "2"]
        self.base = f"http://127.0.0.1:{port}/api/v1"

    def start(self) -> "Stack":
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
            if self.process.poll() is not None:
                break
        self.process.kill()
        pytest.fail(f"the stack did not start: {self.process.communicate()}")

    def stop(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err


def polling_example(base: str) -> dict:
    """The reference's example, verbatim but for the base URL and a 1-second run."""
    session = httpx.get(f"{base}/sessions").json()["default"]
    scenario = httpx.post(
        f"{base}/sessions/{session}/scenarios",
        json={"tag": "my-run", "dataset_key": "Master data",
              "algo_name": "Slow", "algo_params": {"duration": 1}},
    ).json()
    httpx.post(f"{base}/sessions/{session}/scenarios/{scenario['id']}/run")
    while True:
        s = httpx.get(f"{base}/sessions/{session}/scenarios/{scenario['id']}/status").json()
        if s["status"] in ("complete", "failed"):
            break
        time.sleep(0.5)
    return httpx.get(f"{base}/sessions/{session}/scenarios/{scenario['id']}").json()


def test_the_local_stack_runs_the_reference_example_and_keeps_state_across_restarts(tmp_path):
    ports = free_port(), free_port()
    stack = Stack(tmp_path / "state", *ports).start()
    try:
        result = polling_example(stack.base)
        assert result["status"] == "complete"
        assert all(kpi["value"] is not None for kpi in result["kpis"].values())
        docs = httpx.get(stack.base.removesuffix("/api/v1") + "/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
    finally:
        code, out, err = stack.stop()
    assert code == 0 and "Traceback" not in err + out, err
    assert "state saved" in out

    stack = Stack(tmp_path / "state", *ports).start()
    try:
        sessions = httpx.get(f"{stack.base}/sessions").json()
        assert [s["display_name"] for s in sessions["sessions"]] == ["main"]
        [again] = httpx.get(f"{stack.base}/sessions/main/scenarios").json()
        assert again["id"] == result["id"] and again["status"] == "complete"
        assert again["kpis"] == result["kpis"]
        assert httpx.get(f"{stack.base}/sessions/main/data/Master data").status_code == 200
    finally:
        code, _out, err = stack.stop()
    assert code == 0 and "Traceback" not in err


def test_a_run_interrupted_by_a_stop_runs_again_at_the_next_start(tmp_path):
    ports = free_port(), free_port()
    stack = Stack(tmp_path / "state", *ports).start()
    base = stack.base
    try:
        scenario = httpx.post(f"{base}/sessions/main/scenarios", json={
            "tag": "long", "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {"duration": 4}}).json()
        httpx.post(f"{base}/sessions/main/scenarios/{scenario['id']}/run")
        deadline = time.monotonic() + 20
        while httpx.get(f"{base}/sessions/main/scenarios/{scenario['id']}/status").json()["status"] != "processing":
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        stack.stop()
    stack = Stack(tmp_path / "state", *ports).start()
    try:
        deadline = time.monotonic() + 30
        while (status := httpx.get(f"{base}/sessions/main/scenarios/{scenario['id']}/status").json())["status"] \
                not in ("complete", "failed"):
            assert time.monotonic() < deadline, status
            time.sleep(0.3)
        assert status["status"] == "complete"
    finally:
        stack.stop()


def test_a_busy_port_gives_a_clear_message(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "devstack", "--port", str(port), "--aws-port",
                               str(free_port()), "--state-dir", str(tmp_path)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"port {port}" in done.stderr and "--port" in done.stderr and "ALGOCLOUD_PORT" in done.stderr
    assert "Traceback" not in done.stderr

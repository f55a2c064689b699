"""The local stack as a user runs it: a subprocess on free ports, over real HTTP."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


MODES = {"embedded": [], "aws": ["--aws"]}


@pytest.fixture(params=list(MODES))
def mode(request):
    return request.param


class Stack:
    def __init__(
        self, state_dir: Path, port: int, aws_port: int, mode: str = "embedded", extra=(), api_key=None, env=None
    ):
        self.env = env or {}
        self.args = [
            sys.executable,
            "-m",
            "devstack",
            "--port",
            str(port),
            "--aws-port",
            str(aws_port),
            "--state-dir",
            str(state_dir),
            "--workers",
            "2",
            *MODES[mode],
            *extra,
        ]
        self.base = f"http://127.0.0.1:{port}{'/Prod' if mode == 'aws' else ''}/api/v1"
        self.ready_url = f"{self.base}/health"  # answers 200 once the stack is up
        self.headers = {"x-api-key": api_key} if api_key else {}
        if api_key:
            self.args += ["--api-key", api_key]

    def start_with(self, headers: dict[str, str]) -> "Stack":
        self.headers = headers
        return self.start()

    def start(self) -> "Stack":
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **self.env}
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=env,
            text=True,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.ready_url, headers=self.headers, timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
            if self.process.poll() is not None:
                break
        self.process.kill()
        pytest.fail(f"the stack did not start: {self.process.communicate()}")

    def kill(self) -> None:
        """SIGKILL to the whole stack at once: nothing gets to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.communicate(timeout=30)

    def stop(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err


def polling_example(base: str) -> dict:
    """The reference's example, verbatim but for the base URL and a 1-second run."""
    session = httpx.get(f"{base}/sessions").json()["default"]
    scenario = httpx.post(
        f"{base}/sessions/{session}/scenarios",
        json={"tag": "my-run", "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {"duration": 1}},
    ).json()
    httpx.post(f"{base}/sessions/{session}/scenarios/{scenario['id']}/run")
    while True:
        s = httpx.get(f"{base}/sessions/{session}/scenarios/{scenario['id']}/status").json()
        if s["status"] in ("complete", "failed"):
            break
        time.sleep(0.5)
    return httpx.get(f"{base}/sessions/{session}/scenarios/{scenario['id']}").json()


def test_the_local_stack_runs_the_reference_example_and_keeps_state_across_restarts(tmp_path, mode):
    ports = free_port(), free_port()
    stack = Stack(tmp_path / "state", *ports, mode=mode).start()
    try:
        result = polling_example(stack.base)
        assert result["status"] == "complete"
        assert all(kpi["value"] is not None for kpi in result["kpis"].values())
        docs = httpx.get(stack.base.removesuffix("/api/v1") + "/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
    finally:
        code, out, err = stack.stop()
    assert code == 0 and "Traceback" not in err + out, err
    assert ("state saved" if mode == "aws" else "state is kept") in out

    stack = Stack(tmp_path / "state", *ports, mode=mode).start()
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


def test_a_run_interrupted_by_a_stop_runs_again_at_the_next_start(tmp_path, mode):
    ports = free_port(), free_port()
    stack = Stack(tmp_path / "state", *ports, mode=mode).start()
    base = stack.base
    try:
        scenario = httpx.post(
            f"{base}/sessions/main/scenarios",
            json={"tag": "long", "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {"duration": 4}},
        ).json()
        httpx.post(f"{base}/sessions/main/scenarios/{scenario['id']}/run")
        deadline = time.monotonic() + 20
        while httpx.get(f"{base}/sessions/main/scenarios/{scenario['id']}/status").json()["status"] != "processing":
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        stack.stop()
    stack = Stack(tmp_path / "state", *ports, mode=mode).start()
    try:
        deadline = time.monotonic() + 30
        while (status := httpx.get(f"{base}/sessions/main/scenarios/{scenario['id']}/status").json())["status"] not in (
            "complete",
            "failed",
        ):
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
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "devstack",
                "--port",
                str(port),
                "--aws-port",
                str(free_port()),
                "--state-dir",
                str(tmp_path),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert f"port {port}" in done.stderr and "--port" in done.stderr and "ALGOCLOUD_PORT" in done.stderr
    assert "Traceback" not in done.stderr


def wait_until_terminal(base: str, session: str, scenario_ids: list[str], timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        listed = {s["id"]: s for s in httpx.get(f"{base}/sessions/{session}/scenarios", timeout=30).json()}
        if all(listed[i]["status"] in ("complete", "failed") for i in scenario_ids):
            return [listed[i] for i in scenario_ids]
        assert time.monotonic() < deadline, [listed[i]["status"] for i in scenario_ids]
        time.sleep(0.2)


def test_sigkill_during_a_burst_loses_no_acknowledged_write_or_run(tmp_path):
    """kill -9 of the embedded stack mid-burst: every 2xx is there after a restart, and
    every acknowledged run completes, in each session in the order it was queued."""
    ports = free_port(), free_port()
    stack = Stack(tmp_path / "state", *ports).start()
    base = stack.base
    sessions = ["main", "other"]
    assert httpx.post(f"{base}/sessions/main/copy", json={"new_display_name": "other"}).status_code == 201
    acknowledged: dict[str, list[str]] = {name: [] for name in sessions}  # runs queued, in order
    created: dict[str, list[str]] = {name: [] for name in sessions}
    stop = threading.Event()

    def burst(session: str) -> None:
        # Mostly Instant runs, a few 1-second ones: what piles up in 3 s stays bounded in time
        # however fast the requests are (each session's runs go one at a time).
        with httpx.Client(timeout=10) as http:
            for i in range(10_000):
                if stop.is_set():
                    return
                try:
                    made = http.post(
                        f"{base}/sessions/{session}/scenarios",
                        json={
                            "tag": f"t{i}",
                            "dataset_key": "Master data",
                            "algo_name": "Slow",
                            "algo_params": {"duration": 1},
                        }
                        if i % 50 == 0
                        else {"tag": f"t{i}", "dataset_key": "Master data", "algo_name": "Instant"},
                    )
                    if made.status_code != 201:
                        return
                    created[session].append(made.json()["id"])
                    ran = http.post(f"{base}/sessions/{session}/scenarios/{made.json()['id']}/run")
                    if ran.status_code == 202:
                        acknowledged[session].append(made.json()["id"])
                except httpx.HTTPError:
                    return  # the stack is gone

    threads = [threading.Thread(target=burst, args=(name,)) for name in sessions]
    for thread in threads:
        thread.start()
    time.sleep(3)
    stack.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert all(acknowledged.values()), acknowledged

    stack = Stack(tmp_path / "state", *ports).start()
    try:
        for session in sessions:
            listed = {s["id"] for s in httpx.get(f"{base}/sessions/{session}/scenarios").json()}
            assert set(created[session]) <= listed
            runs = wait_until_terminal(base, session, acknowledged[session], timeout=120)
            assert all(run["status"] == "complete" for run in runs), [r["status"] for r in runs]
            finished = [run["run_finished_at"] for run in runs]
            assert finished == sorted(finished), "runs of a session finished out of queue order"
    finally:
        code, _out, err = stack.stop()
    assert code == 0 and "Traceback" not in err, err


def worker_pids(stack: Stack, mode: str, state_dir: Path) -> list[int]:
    if mode == "aws":  # the stack's spawned worker processes
        found = subprocess.run(
            ["pgrep", "-P", str(stack.process.pid), "-f", "spawn_main"], capture_output=True, text=True, check=False
        ).stdout.split()
    else:
        found = subprocess.run(
            ["pgrep", "-f", f"devstack.worker --state-dir {state_dir}"], capture_output=True, text=True, check=False
        ).stdout.split()
    return [int(pid) for pid in found]


def test_a_killed_worker_is_replaced_and_its_run_taken_over(tmp_path, mode):
    ports = free_port(), free_port()
    stack = Stack(tmp_path / "state", *ports, mode=mode, extra=["--visibility-timeout", "3"]).start()
    base = stack.base
    try:
        first, second = (
            httpx.post(
                f"{base}/sessions/main/scenarios",
                json={"tag": tag, "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {"duration": 2}},
            ).json()
            for tag in ("first", "second")
        )
        for scenario in (first, second):
            httpx.post(f"{base}/sessions/main/scenarios/{scenario['id']}/run")
        deadline = time.monotonic() + 20
        while httpx.get(f"{base}/sessions/main/scenarios/{first['id']}/status").json()["status"] != "processing":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        workers = worker_pids(stack, mode, tmp_path / "state")
        assert workers
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        runs = wait_until_terminal(base, "main", [first["id"], second["id"]], timeout=60)
        assert [run["status"] for run in runs] == ["complete", "complete"]
        assert time.monotonic() - started < 30
    finally:
        code, _out, _err = stack.stop()
    assert code == 0


def test_options_of_the_aws_emulation_are_refused_on_the_embedded_stack(capsys):
    """`make local --api-key K` once started an open stack with one tenant, silently."""
    from devstack.stack import parse_args

    for flags in (["--api-key", "k-0123456789abcdef"], ["--worker-timeout", "3"], ["--worker-memory", "512"]):
        with pytest.raises(SystemExit):
            parse_args(flags)
        assert "AWS emulation only (add --aws)" in capsys.readouterr().err
        assert parse_args(["--aws", *flags]).aws

"""The container tier on the local stack, over real HTTP: the worker Lambda's limits enforced by the
AWS emulation, runs and ingestions handed to container tasks (moto's ECS, tasks as local processes;
on the embedded backend, local processes), cancel and a killed task. (A deployment without one:
tests/worker/test_lambda_limits.py and test_client.py, in process.)"""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.test_local_stack import Stack, free_port

TERMINAL = ("complete", "failed")


def task_pids(scenario_id: str) -> list[int]:
    """The container tasks (local processes) running this scenario's message."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environment = (entry / "environ").read_bytes()
            except OSError:
                continue
            if b"ALGOCLOUD_TASK_MESSAGE=" in environment and scenario_id.encode() in environment:
                pids.append(int(entry.name))
    return pids


class Session:
    def __init__(self, base: str, name: str):
        self.http = httpx.Client(base_url=f"{base}/sessions/{name}", timeout=30)
        copied = httpx.post(f"{base}/sessions/main/copy", json={"new_display_name": name}, timeout=30)
        assert copied.status_code == 201, copied.text  # with the seed dataset

    def run(self, algo: str, params: dict | None = None, tier: str | None = None) -> dict:
        body = {"tag": f"{algo}-{time.monotonic_ns()}", "dataset_key": "Master data", "algo_name": algo}
        body |= {"algo_params": params} if params else {}
        body |= {"tier": tier} if tier else {}
        created = self.http.post("/scenarios", json=body)
        assert created.status_code == 201, created.text
        assert self.http.post(f"/scenarios/{created.json()['id']}/run").status_code == 202
        return created.json()

    def get(self, scenario: dict) -> dict:
        return self.http.get(f"/scenarios/{scenario['id']}").json()

    def wait(self, scenario: dict, timeout: float = 90, seen: list | None = None) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.get(scenario)
            if seen is not None:
                seen.append((current["executor"], current["progress"]))
            if current["status"] in TERMINAL:
                return current
            time.sleep(0.3)
        raise AssertionError(f"{scenario['tag']} did not end: {current}")

    def wait_on_container(self, scenario: dict) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            current = self.get(scenario)
            if current["executor"] == "container" and current["progress"] > 0:
                return
            time.sleep(0.3)
        raise AssertionError(f"{scenario['tag']} never ran on the container tier: {current}")


def test_on_aws_runs_past_the_worker_lambda_go_to_the_container_tier(tmp_path):
    extra = ["--worker-timeout", "4", "--worker-memory", "330", "--visibility-timeout", "3"]
    stack = Stack(tmp_path / "state", free_port(), free_port(), mode="aws", extra=extra).start()
    try:
        ingestion = ThreadPoolExecutor(1).submit(ingest_large_csv, stack.base)  # meanwhile, in session main
        handed, declared, cancelled, killed, early = (Session(stack.base, n) for n in ("a", "b", "c", "d", "e"))
        slow = handed.run("Slow", {"duration": 8})  # 8 s of work, a 4 s Lambda
        straight = declared.run("Long (container)", {"minutes": 0.1})
        to_cancel, after_cancel = cancelled.run("Long (container)", {"minutes": 1}), cancelled.run("Instant")
        to_kill, after_kill = killed.run("Long (container)", {"minutes": 1}), killed.run("Instant")

        seen: list = []
        done = handed.wait(slow, seen=seen)
        assert done["status"] == "complete" and done["executor"] == "container", done
        on_container = {progress for executor, progress in seen if executor == "container"}
        assert len(on_container) >= 3, seen  # its progress moves while the task runs it
        assert any(executor == "lambda" for executor, _ in seen)  # it started in the Lambda

        seen = []
        done = declared.wait(straight, seen=seen)
        assert done["status"] == "complete" and {executor for executor, _ in seen} <= {None, "container"}, seen

        cancelled.wait_on_container(to_cancel)
        answer = cancelled.http.post(f"/scenarios/{to_cancel['id']}/cancel").json()
        assert (answer["status"], answer["error"]) == ("failed", "cancelled")
        assert cancelled.wait(after_cancel, timeout=15)["status"] == "complete"  # the session is free again

        cancel_before_start(early)

        killed.wait_on_container(to_kill)
        for pid in task_pids(to_kill["id"]):
            os.kill(pid, signal.SIGKILL)
        failed = killed.wait(to_kill, timeout=120)
        assert failed["status"] == "failed" and "container task" in failed["error"] and "137" in failed["error"]
        assert killed.wait(after_kill, timeout=30)["status"] == "complete"
        assert not task_pids(to_cancel["id"]) and not task_pids(to_kill["id"])

        ingested = ingestion.result(timeout=180)  # about 340 MB estimated, over the 330 MB worker
        assert (ingested["status"], ingested["executor"]) == ("complete", "container"), ingested
    finally:
        code, out, err = stack.stop()
        Path(os.environ.get("ALGOCLOUD_TEST_STACK_ERR", "/dev/null")).write_text(err)
    assert code == 0, err
    assert "Task timed out" not in err  # handed over before the deadline, never killed at it
    assert out.count("container task stopped") >= 5, out  # every task ended (and was reported to the reconciler)


def cancel_before_start(session: Session) -> None:
    """A container run cancelled while its task is still starting frees its session at once (it
    held the session until the task started: 600 s on the embedded stack, 30 s or more on AWS)."""
    to_cancel = session.run("Long (container)", {"minutes": 1})
    deadline = time.monotonic() + 30
    while session.get(to_cancel)["executor"] != "container":  # handed over; the task is starting
        assert time.monotonic() < deadline
        time.sleep(0.05)
    answer = session.http.post(f"/scenarios/{to_cancel['id']}/cancel").json()
    assert (answer["status"], answer["error"]) == ("failed", "cancelled")
    after = session.run("Instant")
    assert session.wait(after, timeout=15)["status"] == "complete"
    deadline = time.monotonic() + 20
    while task_pids(to_cancel["id"]):  # its task, if it started, is stopped (or stops itself)
        assert time.monotonic() < deadline
        time.sleep(0.2)


def ingest_large_csv(base: str) -> dict:
    """A 20 MB sku_data.csv (and the layout) through direct uploads: an ingestion job, whose end state is returned."""
    from algocloud.example import generate

    layout = generate.layout_rows()
    files = {
        "sku_data.csv": generate.to_csv(
            generate.sku_rows(230_000, layout, seed=3, unique_slots=False), generate.SKU_COLUMNS
        ),
        "warehouse_layout.csv": generate.to_csv(layout, generate.LAYOUT_COLUMNS),
    }
    http = httpx.Client(base_url=f"{base}/sessions/main", timeout=60)
    uploads = []
    for name, content in files.items():
        target = http.post("/uploads", json={"filename": name, "size": len(content)}).json()
        sent = httpx.post(target["url"], data=target["fields"], files={"file": (name, content)}, timeout=60)
        assert sent.status_code in (200, 201, 204), sent.text
        uploads.append(target["upload_id"])
    job = http.post("/etl", json={"dataset_name": "big", "uploads": uploads})
    assert job.status_code == 202, job.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = http.get(f"/etl/{job.json()['job_id']}").json()
        if state["status"] in TERMINAL:
            return state
        time.sleep(0.5)
    raise AssertionError(f"the ingestion did not end: {state}")


def test_on_the_embedded_backend_container_runs_are_local_processes(tmp_path):
    stack = Stack(tmp_path / "state", free_port(), free_port()).start()
    try:
        session = Session(stack.base, "a")
        done = session.wait(session.run("Long (container)", {"minutes": 0.05}))
        assert (done["status"], done["executor"]) == ("complete", "container")
        assert session.wait(session.run("Slow", {"duration": 1}))["executor"] == "local"
        asked = session.wait(session.run("Slow", {"duration": 1}, tier="container"))
        assert (asked["status"], asked["executor"]) == ("complete", "container")

        to_kill, after = session.run("Long (container)", {"minutes": 1}), session.run("Instant")
        session.wait_on_container(to_kill)
        assert session.http.get("/processing").json()["id"] == to_kill["id"]
        for pid in task_pids(to_kill["id"]):
            os.kill(pid, signal.SIGKILL)
        failed = session.wait(to_kill, timeout=30)
        assert failed["status"] == "failed" and "container task" in failed["error"]
        assert session.wait(after)["status"] == "complete"

        cancel_before_start(Session(stack.base, "early"))
    finally:
        code, _out, err = stack.stop()
    assert code == 0, err

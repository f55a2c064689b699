"""The container tier of the embedded backend: each handed-over job runs in a local process of
the same entrypoint as an ECS task (`python -m worker.task`), with the message in its environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ...run_message import TASK_MESSAGE_VARIABLE, QueueMessage

TASK_PREFIX = "local-process:"
ROOT = Path(__file__).resolve().parents[4]  # the repository, when run from it


class ProcessLauncher:
    def __init__(self, log_dir: Path):
        self.log_dir = log_dir

    def launch(self, message: QueueMessage) -> str:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        environment = {**os.environ, TASK_MESSAGE_VARIABLE: message.to_body()}
        paths = [str(ROOT / p) for p in ("shared", "functions/worker", ".")]
        environment["PYTHONPATH"] = os.pathsep.join([*paths, environment.get("PYTHONPATH", "")])
        with open(self.log_dir / "tasks.log", "ab") as log:
            process = subprocess.Popen(  # its own session: it outlives the worker that launched it
                [sys.executable, "-m", "worker.task"], env=environment, stdout=log, stderr=log, start_new_session=True
            )
        return f"{TASK_PREFIX}{process.pid}"

    def stop(self, task_id: str, reason: str) -> None:
        pid = process_id(task_id)
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def process_id(task_id: str | None) -> int | None:
    if not task_id or not task_id.startswith(TASK_PREFIX):
        return None
    return int(task_id.removeprefix(TASK_PREFIX))


def task_alive(task_id: str | None) -> bool:
    """Whether the local task process still runs (a zombie, exited but not reaped, does not)."""
    pid = process_id(task_id)
    if pid is None:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False

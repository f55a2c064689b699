"""Lambda's limits on one invocation, enforced on the local worker processes as Lambda enforces them.

An invocation that runs past the function's `Timeout`, or whose execution environment uses more
than its `MemorySize`, is killed: the process exits at once, nothing of the invocation is
acknowledged, its heartbeat stops, and the queue delivers the message again after its
visibility timeout (then to the dead-letter queue after `maxReceiveCount`). The supervisor
starts a new process, as Lambda starts a new execution environment. Without this, a run or an
ingestion that cannot finish inside the worker Lambda would pass every local test.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devstack.template import load_template, resources_of_type

KILLED_EXIT_CODE = 137  # as after SIGKILL
WATCH_SECONDS = 0.05


@dataclass(frozen=True)
class FunctionLimits:
    timeout_seconds: float
    memory_mb: int


def function_limits(logical_id: str = "WorkerFunction", timeout: float | None = None, memory: int | None = None):
    """The function's Timeout and MemorySize from template.yaml (Globals as the fallback), or the overrides."""
    template = load_template()
    properties = resources_of_type(template, "AWS::Serverless::Function")[logical_id]
    defaults = template.get("Globals", {}).get("Function", {})
    return FunctionLimits(
        float(timeout if timeout is not None else properties.get("Timeout", defaults.get("Timeout", 3))),
        int(memory if memory is not None else properties.get("MemorySize", defaults.get("MemorySize", 128))),
    )


def resident_mb(pid: int | str = "self") -> float:
    """A process's resident memory (Lambda counts the whole execution environment's); 0 when gone."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def guarded(
    handler: Callable[[dict[str, Any], Any], Any], limits: FunctionLimits, kill: Callable[[int], None] = os._exit
) -> Callable[[dict[str, Any], Any], Any]:
    """`handler` under `limits`: a watchdog kills the process when an invocation passes either."""

    def invoke(event: dict[str, Any], context: Any) -> Any:
        started, done = time.monotonic(), threading.Event()

        def watch() -> None:
            while not done.wait(WATCH_SECONDS):
                elapsed, used = time.monotonic() - started, resident_mb()
                if elapsed > limits.timeout_seconds:
                    reason = f"Task timed out after {limits.timeout_seconds:.2f} seconds"
                elif used > limits.memory_mb:
                    reason = f"Runtime exited with error: signal: killed (Max Memory Used: {used:.0f} MB)"
                else:
                    continue
                print(f"worker {os.getpid()}: {reason}", file=sys.stderr, flush=True)
                kill(KILLED_EXIT_CODE)
                return

        threading.Thread(target=watch, name="lambda-limits", daemon=True).start()
        try:
            return handler(event, context)
        finally:
            done.set()

    return invoke

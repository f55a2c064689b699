"""The container tier's entrypoint: `python -m worker.task` runs one handed-over job to its end.

Started by ECS (Fargate) or, locally, as a process, from the same code as the worker Lambda; the
message (ids only) is in ALGOCLOUD_TASK_MESSAGE, the adapters come from the same settings as the
Lambda's. No time limit here: the job runs as long as it takes. While it runs, a heartbeat keeps
the queue message it holds hidden (so the session's next job waits), and a watchdog ends the task
when the job was cancelled and did not stop by itself within the grace period.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

from algocloud import limits
from algocloud.adapters.factory import build_adapters, run_queue_consumer
from algocloud.adapters.settings import backend_settings
from algocloud.appconfig import load_app_config
from algocloud.domain.jobs import Executor
from algocloud.execution.container import ContainerTier
from algocloud.execution.executor import InProcessExecutor
from algocloud.execution.registry import in_process_executor
from algocloud.run_message import TASK_MESSAGE_VARIABLE, ContainerMessage, parse_container_message

logger = logging.getLogger("algocloud.task")
CANCELLED_EXIT_CODE = 3


def watch(
    jobs: InProcessExecutor, tier: ContainerTier, message: ContainerMessage, done: threading.Event, seconds: int
) -> None:
    """Heartbeat of the held message (hidden `seconds` at a time, as the worker's own heartbeat
    keeps it), and the cancel watchdog."""
    stopped_since: float | None = None
    interval = min(seconds / 3, limits.CANCEL_GRACE_SECONDS / 2)
    while True:
        try:
            receipt, ours = jobs.held(message)
            tier.keep(receipt, seconds)
        except Exception:
            logger.warning("heartbeat failed", exc_info=True)
            receipt, ours = None, True
        if ours:
            stopped_since = None
        elif stopped_since is None:
            stopped_since = time.monotonic()
        elif time.monotonic() - stopped_since > limits.CANCEL_GRACE_SECONDS:
            logger.warning("%s was cancelled and did not stop within %s s: stopping the task", message.log_id,
                           limits.CANCEL_GRACE_SECONDS)  # fmt: skip
            tier.release(receipt)
            os._exit(CANCELLED_EXIT_CODE)
        if done.wait(interval):
            return


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s task %(process)d %(levelname)s %(message)s")
    message = parse_container_message(os.environ[TASK_MESSAGE_VARIABLE])
    settings = backend_settings()
    adapters = build_adapters(settings)
    tier = ContainerTier(Executor.CONTAINER, adapters.launcher, run_queue_consumer(settings))
    worker = in_process_executor(
        load_app_config(),
        adapters.stores,
        adapters.blobs,
        adapters.accounts,
        tier=tier,
        app_version=settings.app_version,
    )
    done = threading.Event()
    beat = settings.run_visibility_seconds
    threading.Thread(target=watch, args=(worker, tier, message, done, beat), daemon=True).start()
    try:
        outcome = worker.handle(message)
    finally:
        done.set()
    logger.info("%s: %s", message.log_id, outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())

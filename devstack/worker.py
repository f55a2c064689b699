"""A local worker process on the embedded backend: the worker core fed by the queue.

    python -m devstack.worker --state-dir DIR [--slots N]

Runs up to `--slots` runs at a time (threads), like a Lambda worker
concurrency; the API lives in another process, so runs never slow it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in ("shared", "."):
    if str(ROOT / _path) not in sys.path:
        sys.path.insert(0, str(ROOT / _path))

from algocloud.adapters.embedded import open_queues
from algocloud.adapters.factory import build_adapters
from algocloud.adapters.settings import BackendSettings
from algocloud.appconfig import load_app_config
from algocloud.domain.jobs import Executor
from algocloud.domain.ports import ReceivedMessage
from algocloud.execution.container import ContainerTier
from algocloud.execution.executor import Delivery, Outcome
from algocloud.execution.registry import in_process_executor
from algocloud.run_message import QueueMessage, parse_message
from devstack.consumer import Consumer
from devstack.template import max_receive_count

logger = logging.getLogger("algocloud.worker")
# Runs yield the CPU to the API process when both want it: requests stay quick under load.
NICENESS = 10


def _message(received: ReceivedMessage) -> QueueMessage | None:
    try:
        return parse_message(received.body)
    except ValueError as exc:  # retrying cannot fix it: log and drop, as the Lambda does
        logger.error("dropping a malformed run message %s: %s", received.message_id, exc)
        return None


def build_consumer(
    state_dir: Path, slots: int, visibility_timeout: int | None = None, progress_interval: float | None = None
) -> Consumer:
    settings = BackendSettings(
        backend="embedded",
        state_dir=state_dir,
        public_url=os.environ.get("ALGOCLOUD_PUBLIC_URL", "http://127.0.0.1:8051"),
    )
    adapters = build_adapters(settings)
    tier = ContainerTier(Executor.LOCAL, adapters.launcher)
    worker = in_process_executor(
        load_app_config(),
        adapters.stores,
        adapters.blobs,
        adapters.accounts,
        progress_interval,
        tier,
        settings.app_version,
    )
    runs, dead_letters = open_queues(
        state_dir, visibility_timeout, settings.sqlite_synchronous, max_receives=max_receive_count("RunQueue")
    )

    def run(received: ReceivedMessage) -> bool:
        message = _message(received)
        if message is None:
            return True
        outcome = worker.handle(message, Delivery(receipt=received.receipt))
        logger.info("%s: %s (delivery %d)", message.log_id, outcome, received.receive_count)
        return outcome != Outcome.HANDED_OVER  # a container task holds the message

    def give_up(received: ReceivedMessage) -> None:
        message = _message(received)
        if message is not None:
            outcome = worker.give_up(message, received.receive_count or None)
            logger.warning("%s given up: %s", message.log_id, outcome)

    return Consumer(runs, run, dead_letters, give_up, slots=slots)


def _warm_up() -> None:
    """Lambda pays these imports once per container; a worker pays them before its first run."""
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401


def die_with_parent(parent_pid: int) -> None:
    """A stack killed outright (SIGKILL) must not leave workers holding its runs."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.worker", description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--slots", type=int, default=4, help="runs at a time (default 4)")
    parser.add_argument("--visibility-timeout", type=int, default=None)
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    args = parser.parse_args(argv)
    if args.parent_pid:
        die_with_parent(args.parent_pid)
    logging.basicConfig(level=logging.WARNING, format="worker %(process)d: %(levelname)s %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the stack, which stops us
    os.nice(NICENESS)
    consumer = build_consumer(args.state_dir, args.slots, args.visibility_timeout)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # in-flight messages come back at the next start
    threading.Thread(target=_warm_up, daemon=True).start()
    consumer.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())

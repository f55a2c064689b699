"""The whole product on one machine: `make local` (python -m devstack).

    local AWS   moto server on 127.0.0.1:<aws-port>; table, bucket and queues
                created from template.yaml; state kept in --state-dir
    API         the same FastAPI app as the Lambda, on 127.0.0.1:<port> (uvicorn)
    workers     --workers processes running the worker Lambda's handler on
                batches from the run queue, as the event source mapping would
                (the concurrency cap), plus one for the dead-letter queue

Ctrl-C stops everything and saves the state. Runs that were queued or
processing when the stack stopped are queued again at the next start.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMES = {"Table": "algocloud-local", "Bucket": "algocloud-local", "RunQueue": "algocloud-runs.fifo",
         "RunDeadLetterQueue": "algocloud-runs-dlq.fifo"}
SNAPSHOT_SECONDS = 5.0
IDLE_POLL_SECONDS = 0.1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make local", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("ALGOCLOUD_PORT", 8051)),
                        help="API port (env ALGOCLOUD_PORT; default 8051)")
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("ALGOCLOUD_AWS_PORT", 5051)),
                        help="local AWS (moto) port (env ALGOCLOUD_AWS_PORT; default 5051)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("ALGOCLOUD_WORKERS", 4)),
                        help="worker processes, i.e. runs in parallel (env ALGOCLOUD_WORKERS; default 4)")
    parser.add_argument("--batch-size", type=int, default=1, help="messages per worker invocation (default 1)")
    parser.add_argument("--state-dir", type=Path, default=Path(os.environ.get("ALGOCLOUD_STATE_DIR",
                                                                               ROOT / ".local-state")),
                        help="where the local AWS state is kept (env ALGOCLOUD_STATE_DIR)")
    parser.add_argument("--clean", action="store_true", help="start from an empty state (deletes --state-dir)")
    return parser.parse_args(argv)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def local_environment(aws_port: int) -> dict[str, str]:
    """What both the API and the workers see: the Lambda settings, pointed at moto."""
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
        "TABLE_NAME": NAMES["Table"], "BUCKET_NAME": NAMES["Bucket"],
    }


def _worker_main(environment: dict[str, str], queue_url: str, dead_letters: bool, batch_size: int) -> None:
    """A worker process: the Lambda handler fed by the queue, until terminated."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    os.environ.update(environment)
    for path in ("shared", "functions/worker", "."):
        sys.path.insert(0, str(ROOT / path))
    import boto3

    from devstack.driver import QueueDriver
    from worker import handler as lambda_module

    handler = lambda_module.dead_letter_handler if dead_letters else lambda_module.handler
    if not dead_letters:
        import openpyxl  # noqa: F401 - warm start: Lambda pays these imports once per container,
        import pandas  # noqa: F401    here once per worker process, before the first run
    sqs = boto3.client("sqs", endpoint_url=environment["AWS_ENDPOINT_URL"])
    driver = QueueDriver(sqs, queue_url, handler, batch_size=batch_size)
    while True:
        try:
            if not driver.poll_once():  # short polls: see devstack.atomic_moto
                time.sleep(IDLE_POLL_SECONDS)
        except Exception as exc:  # noqa: BLE001 - keep polling, like the event source mapping
            print(f"worker: {type(exc).__name__}: {exc}", file=sys.stderr)
            time.sleep(1)


class LocalStack:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.environment = local_environment(args.aws_port)
        self.processes: list[multiprocessing.Process] = []
        self.stopping = threading.Event()

    def start_aws(self) -> dict[str, str]:
        from moto.server import ThreadedMotoServer

        from devstack.atomic_moto import serialise_server

        serialise_server()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per AWS call
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.args.aws_port, verbose=False)
        self.moto.start()
        os.environ.update(self.environment)
        import boto3

        from devstack.state import StateStore
        from devstack.template import create_stateful_resources

        endpoint = self.environment["AWS_ENDPOINT_URL"]
        self.dynamodb, self.s3, self.sqs = (boto3.client(s, endpoint_url=endpoint) for s in ("dynamodb", "s3", "sqs"))
        created = create_stateful_resources(self.dynamodb, self.s3, self.sqs, NAMES)
        self.environment["QUEUE_URL"] = created["RunQueue"]
        os.environ["QUEUE_URL"] = created["RunQueue"]
        self.state = StateStore(self.args.state_dir, self.dynamodb, self.s3, NAMES["Table"], NAMES["Bucket"])
        return created

    def restore(self) -> None:
        items, objects = self.state.restore()
        if items:
            print(f"  restored {items} items and {objects} objects from {self.args.state_dir}")
        from algocloud.adapters.dynamodb import DynamoRepository
        from algocloud.adapters.sqs import SqsRunQueue
        from algocloud.run_message import RunMessage

        repo, queue = DynamoRepository(self.dynamodb, NAMES["Table"]), SqsRunQueue(self.sqs, os.environ["QUEUE_URL"])
        requeued = 0
        for tenant, session_id, scenario in repo.in_flight_runs():
            queue.send(RunMessage(tenant=tenant, session_id=session_id, scenario_id=scenario.id,
                                  run_id=scenario.run_id))
            requeued += 1
        if requeued:
            print(f"  re-queued {requeued} run(s) interrupted by the last stop")

    def start_workers(self, queues: dict[str, str]) -> None:
        context = multiprocessing.get_context("spawn")
        jobs = [(queues["RunQueue"], False)] * self.args.workers + [(queues["RunDeadLetterQueue"], True)]
        for queue_url, dead_letters in jobs:
            process = context.Process(target=_worker_main, daemon=True,
                                      args=(self.environment, queue_url, dead_letters, self.args.batch_size))
            process.start()
            self.processes.append(process)

    def snapshot_loop(self) -> None:
        while not self.stopping.wait(SNAPSHOT_SECONDS):
            try:
                self.state.save()
            except Exception as exc:  # noqa: BLE001 - try again next time
                print(f"state snapshot failed: {exc}", file=sys.stderr)

    def serve_api(self) -> None:
        import uvicorn

        from api.main import create_app

        app = create_app()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.args.port, log_level="warning",
                                lifespan="off")
        server = uvicorn.Server(config)
        threading.Thread(target=self._announce, args=(app,), daemon=True).start()
        server.run()  # returns on Ctrl-C / SIGTERM (uvicorn handles the signal)

    def _announce(self, app) -> None:
        import httpx

        base = f"http://127.0.0.1:{self.args.port}"
        for _ in range(200):
            try:
                health = httpx.get(f"{base}/health", timeout=30).json()  # also seeds session main
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            return
        print(f"\nalgocloud is running: {health['title']}, sessions {health['sessions']}\n"
              f"  API        {base}/api/v1   (docs: {base}/docs)\n"
              f"  local AWS  {self.environment['AWS_ENDPOINT_URL']}  (state: {self.args.state_dir})\n"
              f"  workers    {self.args.workers} processes\n"
              f"Press Ctrl-C to stop.", flush=True)

    def stop(self) -> None:
        self.stopping.set()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join(timeout=5)
        try:
            self.state.save()
            print(f"state saved to {self.args.state_dir}")
        finally:
            self.moto.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for port, flag, variable in ((args.port, "--port", "ALGOCLOUD_PORT"),
                                 (args.aws_port, "--aws-port", "ALGOCLOUD_AWS_PORT")):
        if port_in_use(port):
            print(f"error: port {port} on 127.0.0.1 is already in use (is the stack already running?).\n"
                  f"Choose another with `{flag} N` (make local ARGS=\"{flag} N\") or {variable}=N.",
                  file=sys.stderr)
            return 2
    if args.clean and args.state_dir.exists():
        shutil.rmtree(args.state_dir)
    for path in ("shared", "functions/api"):
        sys.path.insert(0, str(ROOT / path))

    stack = LocalStack(args)
    print("starting the local stack ...")
    queues = stack.start_aws()
    try:
        stack.restore()
        stack.start_workers(queues)
        threading.Thread(target=stack.snapshot_loop, daemon=True).start()
        stack.serve_api()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    print("stopped.")
    return 0

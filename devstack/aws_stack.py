"""`make local ARGS="--aws"`: the product on a local emulation of its AWS deployment.

    local AWS   moto server on 127.0.0.1:<aws-port>; table, bucket and queues
                created from template.yaml; state kept in --state-dir
    API         the API Lambda's handler behind an API Gateway emulation
                (devstack.apigateway), on 127.0.0.1:<port>/Prod: the stage,
                base64 bodies, payload limits, timeout, API keys, throttling
    workers     --workers processes running the worker Lambda's handler on
                batches from the run queue, as the event source mapping would
                (the concurrency cap), plus one for the dead-letter queue; each
                invocation within the function's Timeout and MemorySize
                (devstack.lambda_limits; --worker-timeout, --worker-memory)
    containers  the container tier: moto's ECS, each task run as a local process
                (devstack.fargate), the reconciler fed its stop events

Ctrl-C stops everything and saves the state. Runs that were queued or
processing when the stack stopped are queued again at the next start. This
mode checks AWS behaviour (moto keeps everything in memory and snapshots it
every few seconds); the default `make local` runs on the embedded backend.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devstack.lambda_limits import FunctionLimits

ROOT = Path(__file__).resolve().parents[1]
NAMES = {
    "Table": "algocloud-local",
    "Bucket": "algocloud-local",
    "RunQueue": "algocloud-runs.fifo",
    "RunDeadLetterQueue": "algocloud-runs-dlq.fifo",
    "ConnectionsTable": "algocloud-local-connections",
    "WebhookQueue": "algocloud-webhooks",
    "WebhookDeadLetterQueue": "algocloud-webhooks-dlq",
}
SNAPSHOT_SECONDS = 5.0
IDLE_POLL_SECONDS = 0.1


def local_environment(aws_port: int) -> dict[str, str]:
    """What both the API and the workers see: the Lambda settings, pointed at moto."""
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "TABLE_NAME": NAMES["Table"],
        "BUCKET_NAME": NAMES["Bucket"],
        "CONNECTIONS_TABLE": NAMES["ConnectionsTable"],
    }


def _worker_main(
    environment: dict[str, str],
    queue_url: str,
    kind: str,
    batch_size: int,
    parent_pid: int,
    limits: FunctionLimits,
) -> None:
    """A worker process: the Lambda handler fed by the queue, until terminated."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    from devstack.worker import die_with_parent

    die_with_parent(parent_pid)  # even a kill -9 of the stack leaves no worker behind
    os.environ.update(environment)
    for path in ("shared", "functions/worker", "."):
        sys.path.insert(0, str(ROOT / path))
    from algocloud.adapters.factory import sqs_consumer
    from algocloud.adapters.settings import backend_settings
    from devstack.driver import QueueDriver
    from devstack.lambda_limits import guarded

    handler: Callable[[dict[str, Any], Any], dict[str, Any]]
    if kind == "webhooks":
        from worker import webhooks

        handler = webhooks.handler
    else:
        from worker import handler as lambda_module

        handler = lambda_module.dead_letter_handler if kind == "dead-letters" else lambda_module.handler
    if kind == "runs":
        import openpyxl  # noqa: F401 - warm start: Lambda pays these imports once per container,
        import pandas  # noqa: F401    here once per worker process, before the first run
    driver = QueueDriver(
        sqs_consumer(backend_settings(), queue_url),
        guarded(handler, limits),  # past the Timeout or the MemorySize, this process is killed
        batch_size=batch_size,
        timeout_seconds=limits.timeout_seconds,
        memory_mb=limits.memory_mb,
    )
    while True:
        try:
            if not driver.poll_once():  # short polls: see devstack.atomic_moto
                time.sleep(IDLE_POLL_SECONDS)
        except Exception as exc:  # noqa: BLE001 - keep polling, like the event source mapping
            print(f"worker: {type(exc).__name__}: {exc}", file=sys.stderr)
            time.sleep(1)


class AwsLocalStack:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.environment = local_environment(args.aws_port)
        # a crashed worker's run reappears this soon (the heartbeat renews it while the run lives)
        self.environment["RUN_VISIBILITY_SECONDS"] = str(args.visibility_timeout)
        from devstack.serving import events_environment

        self.environment.update(events_environment(args.port), CORS_ORIGINS=",".join(args.cors_origin))
        self.processes: list[BaseProcess] = []
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
        self.dynamodb, self.s3, self.sqs, self.apigateway, self.ecs = (
            boto3.client(s, endpoint_url=endpoint) for s in ("dynamodb", "s3", "sqs", "apigateway", "ecs")
        )
        created = create_stateful_resources(self.dynamodb, self.s3, self.sqs, NAMES)
        self.environment.update(QUEUE_URL=created["RunQueue"], WEBHOOK_QUEUE_URL=created["WebhookQueue"])
        os.environ.update(self.environment)
        if self.args.cors_origin:  # the template's CorsConfiguration, with these origins
            from devstack.template import bucket_cors

            self.s3.put_bucket_cors(Bucket=NAMES["Bucket"], CORSConfiguration=bucket_cors(self.args.cors_origin))
        self.state = StateStore(self.args.state_dir, self.dynamodb, self.s3, NAMES["Table"], NAMES["Bucket"])
        if not self.args.no_container_tier:
            from devstack.fargate import create_container_tier

            tier = create_container_tier(boto3.client("ec2", endpoint_url=endpoint), self.ecs)
            self.environment.update(tier)
            os.environ.update(tier)
        return created

    @property
    def _keys_file(self) -> Path:
        return self.args.state_dir / "api-keys.json"

    def save(self) -> None:
        from devstack.local_keys import save_keys

        self.state.save()
        save_keys(self.apigateway, self.usage_plan_id, self._keys_file)

    def restore_keys(self) -> None:
        """The usage plan and its keys (as the operator CLI left them); `--api-key` values become
        keys of a tenant named "local"."""
        from algocloud.adapters.factory import operator_ports
        from algocloud.usecases.operator import Operator
        from devstack.apigateway import config_from_template
        from devstack.local_keys import ensure_usage_plan, plan_keys, restore_keys

        plan = config_from_template().usage_plan
        assert plan is not None
        self.usage_plan_id = ensure_usage_plan(self.apigateway, plan.rate, plan.burst, plan.daily_quota)
        restore_keys(self.apigateway, self.usage_plan_id, self._keys_file)
        endpoint = self.environment["AWS_ENDPOINT_URL"]
        operator = Operator(*operator_ports("us-east-1", endpoint, NAMES["Table"], self.usage_plan_id))
        known = plan_keys(self.apigateway, self.usage_plan_id)
        for index, value in enumerate(self.args.api_key):  # one tenant each, as --help says
            if value not in known:
                name = "local" if index == 0 else f"local-{index + 1}"
                if operator.accounts.find_tenant(name) is None:
                    operator.create_tenant(name)
                operator.issue_key(name, value)

    def restore(self) -> None:
        items, objects = self.state.restore()
        if items:
            print(f"  restored {items} items and {objects} objects from {self.args.state_dir}")
        from algocloud.adapters.factory import build_adapters
        from algocloud.adapters.settings import BackendSettings
        from algocloud.run_message import RunMessage

        built = build_adapters(
            BackendSettings(
                backend="aws",
                table_name=NAMES["Table"],
                bucket_name=NAMES["Bucket"],
                queue_url=os.environ["QUEUE_URL"],
                aws_endpoint_url=self.environment["AWS_ENDPOINT_URL"],
            )
        )
        stores, queue = built.stores, built.queue
        requeued = 0
        for tenant, session_id, scenario in stores.scenarios.in_flight_runs():
            if scenario.run_id is None:
                continue
            queue.send(
                RunMessage(tenant=tenant, session_id=session_id, scenario_id=scenario.id, run_id=scenario.run_id)
            )
            requeued += 1
        if requeued:
            print(f"  re-queued {requeued} run(s) interrupted by the last stop")

    def start_workers(self, queues: dict[str, str]) -> None:
        from devstack.lambda_limits import function_limits

        self.limits = {
            "runs": function_limits("WorkerFunction", self.args.worker_timeout, self.args.worker_memory),
            "dead-letters": function_limits("DeadLetterFunction"),
            "webhooks": function_limits("WebhookFunction"),
        }
        self.jobs = [(queues["RunQueue"], "runs")] * self.args.workers + [
            (queues["RunDeadLetterQueue"], "dead-letters"),
            (queues["WebhookQueue"], "webhooks"),
        ]
        self.processes = [self._start_worker(job) for job in self.jobs]

    def start_containers(self) -> None:
        """The container tier's tasks, as local processes; their stops go to the reconciler."""
        if self.args.no_container_tier:
            return
        from devstack.fargate import FargateEmulation
        from worker import reconciler  # the reconciler Lambda's module, built from the environment

        self.fargate = FargateEmulation(self.ecs, self.environment, reconciler.reconcile)
        threading.Thread(target=self.fargate.run, args=(self.stopping,), daemon=True).start()

    def _start_worker(self, job: tuple[str, str]) -> BaseProcess:
        queue_url, kind = job
        process = multiprocessing.get_context("spawn").Process(
            target=_worker_main,
            daemon=True,
            args=(
                self.environment,
                queue_url,
                kind,
                self.args.batch_size if kind == "runs" else 10,
                os.getpid(),
                self.limits[kind],
            ),
        )
        process.start()
        return process

    def supervise(self) -> None:
        """A worker that dies is replaced, as Lambda starts a new execution environment."""
        while not self.stopping.wait(0.5):
            for index, process in enumerate(self.processes):
                if not process.is_alive() and not self.stopping.is_set():
                    print(
                        f"worker process {process.pid} ended ({process.exitcode}); starting another",
                        file=sys.stderr,
                        flush=True,
                    )
                    self.processes[index] = self._start_worker(self.jobs[index])

    def snapshot_loop(self) -> None:
        while not self.stopping.wait(SNAPSHOT_SECONDS):
            try:
                self.save()
            except Exception as exc:  # noqa: BLE001 - try again next time
                print(f"state snapshot failed: {exc}", file=sys.stderr)

    def serve_api(self) -> None:
        from devstack.apigateway import RestApiGateway, config_from_template
        from devstack.local_keys import KeySource
        from devstack.serving import serve_api

        keys = self.args.api_key
        overrides: dict[str, Any] = {
            "api_keys": KeySource(self.apigateway, self.usage_plan_id),
            "require_api_key": bool(keys) and not self.args.auth,
        }
        if self.args.no_throttle:
            overrides["stage_throttle"] = None
        signin = self.start_signin()
        if self.args.auth:
            from api.authorizer import handler as authorizer  # AuthMode=signin: the template's authorizer

            overrides["authorizer"] = authorizer
        config = config_from_template(**overrides)
        os.environ["REQUIRE_API_KEY"] = "true" if overrides["require_api_key"] else "false"
        os.environ["USAGE_PLAN_ID"] = self.usage_plan_id  # as the template gives the API function
        # links in answers name this emulated deployment's address (on AWS: API Gateway's domain)
        os.environ["API_PUBLIC_URL"] = f"http://127.0.0.1:{self.args.port}/{config.stage}"
        from api.handler import handler  # the Lambda's module, built from the environment above

        self.gateway = RestApiGateway(handler, config)
        throttle = "off" if config.stage_throttle is None else "{:g}/s, burst {}".format(*config.stage_throttle)
        keys_line = (
            f'\n  API keys   required: {", ".join(keys)} (tenant "local"), and any the operator issues; '
            f"per key {config.usage_plan.rate:g}/s, burst {config.usage_plan.burst}, "
            f"{config.usage_plan.daily_quota}/day"
            if keys and config.usage_plan and not self.args.auth
            else ""
        )
        if keys and self.args.auth:
            keys_line = f'\n  API keys   {", ".join(keys)} (tenant "local") as Authorization: Bearer <key>'
        issuer = f" ALGOCLOUD_LOCAL_ISSUER={self.args.state_dir.resolve() / 'issuer'}" if self.args.auth else ""
        operator_line = (
            f"{signin}\n  operator   TABLE_NAME={NAMES['Table']} USAGE_PLAN_ID={self.usage_plan_id}{issuer} "
            f"ALGOCLOUD_AWS_ENDPOINT_URL={self.environment['AWS_ENDPOINT_URL']} "
            "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local .venv/bin/algocloud-admin …"
        )
        worker = self.limits["runs"]
        containers = (
            "none (--no-container-tier): runs past the worker's limits fail"
            if self.args.no_container_tier
            else "the container tier on moto's ECS, each task a local process"
        )
        from devstack.serving import with_events

        serve_api(
            self.args.port,
            describe=f"  gateway    API Gateway emulation: stage /{config.stage}, throttle {throttle}{keys_line}\n"
            f"  local AWS  {self.environment['AWS_ENDPOINT_URL']}  (state: {self.args.state_dir})\n"
            f"  workers    {self.args.workers} processes, each invocation within {worker.timeout_seconds:g} s and "
            f"{worker.memory_mb} MB (the worker Lambda's limits)\n"
            f"  containers {containers}\n"
            f"  events     ws://127.0.0.1:{self.args.port}/events (the WebSocket API's emulation); "
            f"webhooks by the webhook Lambda's handler{operator_line}",
            app=with_events(self.gateway, self.args.port),
            root=f"/{config.stage}",
            headers={"x-api-key": next(iter(keys))} if keys else None,
            signed_in=self.args.auth,
        )

    def start_signin(self) -> str:
        """--auth: the local sign-in provider, trusted by the API and its authorizer (AuthMode=signin)."""
        if not self.args.auth:
            return ""
        from algocloud.adapters.factory import operator_ports
        from algocloud.usecases.operator import Operator
        from devstack.issuer import signin_lines, start_local_signin

        endpoint = self.environment["AWS_ENDPOINT_URL"]
        operator = Operator(*operator_ports("us-east-1", endpoint, NAMES["Table"], self.usage_plan_id))
        folder = self.args.state_dir.resolve() / "issuer"
        self.issuer, environment = start_local_signin(folder, self.args.issuer_port, operator)
        os.environ.update(environment)
        return signin_lines(folder, self.args.issuer_port)

    def stop(self) -> None:
        self.stopping.set()
        if getattr(self, "gateway", None) is not None:
            self.gateway.close()
        if getattr(self, "issuer", None) is not None:
            self.issuer.shutdown()
        for process in self.processes:
            process.terminate()
        if getattr(self, "fargate", None) is not None:
            self.fargate.stop_all()
        for process in self.processes:
            process.join(timeout=5)
        try:
            self.save()
            print(f"state saved to {self.args.state_dir}")
        finally:
            self.moto.stop()


def run(args: argparse.Namespace) -> int:
    stack = AwsLocalStack(args)
    print("starting the local stack (AWS emulation) ...")
    # SIGTERM stops it like Ctrl-C (uvicorn re-raises the signal after its own shutdown)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    queues = stack.start_aws()
    try:
        stack.restore()
        stack.restore_keys()
        stack.start_workers(queues)
        stack.start_containers()
        threading.Thread(target=stack.snapshot_loop, daemon=True).start()
        threading.Thread(target=stack.supervise, daemon=True).start()
        stack.serve_api()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    print("stopped.")
    return 0

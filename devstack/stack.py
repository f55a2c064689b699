"""The whole product on one machine: `make local` (python -m devstack).

Default: the embedded backend (SQLite and files in --state-dir).

    API         the same FastAPI app as the Lambda, on 127.0.0.1:<port> (uvicorn),
                also serving the presigned URLs of the file blob store
    workers     --processes worker processes (default 1) running the worker
                core on the run queue, --workers runs at a time in all; a
                worker that dies is replaced and its run taken over
    containers  the container tier's runs (declared for it, or asking for it) as
                local processes of `python -m worker.task`; one whose process
                is gone fails within 2 s and frees its session
    state       --state-dir: every acknowledged write is on disk before its
                response leaves; a restart resumes interrupted runs in order

`--aws`: the moto-based emulation of the AWS deployment instead (see
devstack.aws_stack), for checking AWS behaviour.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from devstack.serving import deliver_webhooks, embedded_app, events_environment, serve_api, with_events

ROOT = Path(__file__).resolve().parents[1]
RESTART_DELAY_SECONDS = 1.0
TASK_CHECK_SECONDS = 2.0  # how soon a container-tier run whose task died is failed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make local", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("ALGOCLOUD_PORT", "8051")),
        help="API port (env ALGOCLOUD_PORT; default 8051)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("ALGOCLOUD_WORKERS", "4")),
        help="runs in parallel (env ALGOCLOUD_WORKERS; default 4)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=int(os.environ.get("ALGOCLOUD_WORKER_PROCESSES", "1")),
        help="worker processes sharing those runs; more use more cores for CPU-heavy "
        "algorithms, and more memory (env ALGOCLOUD_WORKER_PROCESSES; default 1)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("ALGOCLOUD_STATE_DIR", ROOT / ".local-state")),
        help="where the state is kept (env ALGOCLOUD_STATE_DIR; default .local-state/)",
    )
    parser.add_argument("--clean", action="store_true", help="start from an empty state (deletes --state-dir)")
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=30,
        help="seconds before a crashed worker's run is taken over (default 30)",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[o for o in os.environ.get("ALGOCLOUD_CORS_ORIGINS", "").split(",") if o],
        metavar="ORIGIN",
        help="let a browser app on this origin call the API and upload to storage (repeat for more; "
        "env ALGOCLOUD_CORS_ORIGINS, comma-separated; the template's CorsOrigins)",
    )
    parser.add_argument(
        "--auth",
        action="store_true",
        help="sign-in required: a local OpenID Connect provider, people added with `algocloud-admin users add`",
    )
    parser.add_argument(
        "--issuer-port",
        type=int,
        default=int(os.environ.get("ALGOCLOUD_ISSUER_PORT", "8053")),
        help="with --auth: the local sign-in provider's port (env ALGOCLOUD_ISSUER_PORT; default 8053)",
    )
    aws = parser.add_argument_group("AWS emulation")
    aws.add_argument(
        "--aws", action="store_true", help="run on a moto-based emulation of the AWS deployment instead of SQLite"
    )
    aws.add_argument(
        "--aws-port",
        type=int,
        default=int(os.environ.get("ALGOCLOUD_AWS_PORT", "5051")),
        help="with --aws: the local AWS (moto) port (env ALGOCLOUD_AWS_PORT; default 5051)",
    )
    aws.add_argument("--batch-size", type=int, default=1, help="with --aws: messages per worker invocation")
    aws.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="VALUE",
        help="with --aws: require API keys, and accept this one (repeat for more: one tenant each)",
    )
    aws.add_argument(
        "--worker-timeout",
        type=float,
        metavar="SECONDS",
        help="with --aws: the worker Lambda's timeout per invocation (default: the template's Timeout)",
    )
    aws.add_argument(
        "--worker-memory",
        type=int,
        metavar="MB",
        help="with --aws: the worker Lambda's memory per invocation (default: the template's MemorySize)",
    )
    aws.add_argument(
        "--no-container-tier",
        action="store_true",
        help="with --aws: deploy without the container tier (runs past the worker's limits then fail plainly)",
    )
    aws.add_argument(
        "--no-throttle",
        action="store_true",
        help="with --aws: leave out the stage's throttle (the template's 50 requests/s, burst 100)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1 or args.processes < 1:
        parser.error("--workers and --processes must be at least 1")
    args.processes = min(args.processes, args.workers)
    if not args.aws:  # options of the AWS emulation only: refused, not silently ignored
        given = [flag for flag, value in (("--api-key", args.api_key), ("--worker-timeout", args.worker_timeout),
                 ("--worker-memory", args.worker_memory)) if value]  # fmt: skip
        if given:
            parser.error(
                f"{given[0]} applies to the AWS emulation only (add --aws); the embedded stack is open, "
                "with one tenant, as the reference contract is (or asks for sign-in: --auth)"
            )
    return args


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


class EmbeddedStack:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.state_dir: Path = args.state_dir.resolve()
        self.stopping = threading.Event()
        self.workers: list[subprocess.Popen] = []
        self.environment = {
            "ALGOCLOUD_BACKEND": "embedded",
            "ALGOCLOUD_STATE_DIR": str(self.state_dir),
            "ALGOCLOUD_PUBLIC_URL": f"http://127.0.0.1:{args.port}",
            "CORS_ORIGINS": ",".join(args.cors_origin),
            **events_environment(args.port),
        }

    def start_signin(self) -> str:
        """--auth: the local provider, trusted by the API; its line for the banner."""
        if not self.args.auth:
            return ""
        from algocloud.adapters.factory import embedded_operator_ports
        from algocloud.usecases.operator import Operator
        from devstack.issuer import signin_lines, start_local_signin

        accounts, keys, members, _log, _secrets = embedded_operator_ports(self.state_dir)
        folder = self.state_dir / "issuer"
        self.issuer, environment = start_local_signin(folder, self.args.issuer_port, Operator(accounts, keys, members))
        self.environment.update(environment)
        os.environ.update(environment)
        return signin_lines(folder, self.args.issuer_port)

    def operator_line(self) -> str:
        issuer = f" ALGOCLOUD_LOCAL_ISSUER={self.state_dir / 'issuer'}" if self.args.auth else ""
        return (
            f"\n  operator   ALGOCLOUD_BACKEND=embedded ALGOCLOUD_STATE_DIR={self.state_dir}{issuer} "
            ".venv/bin/algocloud-admin …"
        )

    def lock_state(self) -> bool:
        """One stack per state folder: the queue's in-flight messages belong to its workers."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.state_dir / "stack.lock", "w")  # noqa: SIM115 - held while the stack runs
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def recover(self) -> None:
        """Runs interrupted by the last stop resume now, in their original order."""
        from algocloud.adapters.embedded import open_queues
        from algocloud.adapters.factory import build_adapters
        from algocloud.adapters.settings import BackendSettings
        from algocloud.run_message import RunMessage

        runs, dead_letters = open_queues(self.state_dir, self.args.visibility_timeout)
        released = runs.release_in_flight() + dead_letters.release_in_flight()
        # A run whose queued state was committed but whose message never got
        # sent (the process died in between; its client got no 2xx) is sent now.
        pending = runs.pending_run_ids() | dead_letters.pending_run_ids()
        stores = build_adapters(BackendSettings(backend="embedded", state_dir=self.state_dir)).stores
        orphans = [
            RunMessage(tenant=tenant, session_id=session_id, scenario_id=s.id, run_id=s.run_id)
            for tenant, session_id, s in stores.scenarios.in_flight_runs()
            if s.run_id and s.run_id not in pending
        ]
        for message in orphans:
            runs.send(message)
        if released or orphans:
            print(f"  resumed {released} interrupted run(s), re-sent {len(orphans)} unsent", flush=True)
        self.expire_uploads()

    def expire_uploads(self) -> None:
        """The bucket's lifecycle rules, locally: uploads never used and unfinished multipart
        uploads go after a day."""
        from algocloud.adapters.factory import expire_local_uploads
        from algocloud.adapters.settings import BackendSettings
        from algocloud.limits import UPLOAD_RETENTION_SECONDS

        removed = expire_local_uploads(
            BackendSettings(backend="embedded", state_dir=self.state_dir), UPLOAD_RETENTION_SECONDS
        )
        if removed:
            print(f"  removed {removed} upload(s) never used", flush=True)

    def start_workers(self) -> None:
        processes = self.args.processes
        shares = [self.args.workers // processes + (i < self.args.workers % processes) for i in range(processes)]
        for slots in shares:
            threading.Thread(target=self._supervise, args=(slots,), daemon=True).start()

    def _spawn(self, slots: int) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "devstack.worker",
            "--state-dir",
            str(self.state_dir),
            "--slots",
            str(slots),
            "--visibility-timeout",
            str(self.args.visibility_timeout),
            "--parent-pid",
            str(os.getpid()),
        ]
        return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **self.environment})

    def _supervise(self, slots: int) -> None:
        """Keep one worker process alive: a worker that dies is replaced."""
        while not self.stopping.is_set():
            process = self._spawn(slots)
            self.workers.append(process)
            code = process.wait()
            self.workers.remove(process)
            if self.stopping.wait(RESTART_DELAY_SECONDS):  # a stop signal may reach workers first
                return
            print(f"worker {process.pid} exited ({code}); starting a new one", file=sys.stderr, flush=True)

    def watch_tasks(self) -> None:
        """The container tier's reconciler, locally: a run whose task process is gone fails, and its
        session's next run goes (on AWS: ECS's task state change, through EventBridge)."""
        threading.Thread(target=self._reconcile_loop, name="tasks", daemon=True).start()

    def _reconcile_loop(self) -> None:
        from algocloud.adapters.embedded.tasks import task_alive
        from algocloud.adapters.factory import build_adapters, run_queue_consumer
        from algocloud.adapters.settings import BackendSettings
        from algocloud.appconfig import load_app_config
        from algocloud.domain.jobs import Executor
        from algocloud.execution.container import ContainerTier
        from algocloud.execution.registry import in_process_executor
        from algocloud.run_message import RunMessage

        settings = BackendSettings(backend="embedded", state_dir=self.state_dir)
        adapters = build_adapters(settings)
        tier = ContainerTier(Executor.LOCAL, adapters.launcher, run_queue_consumer(settings))
        jobs = in_process_executor(load_app_config(), adapters.stores, adapters.blobs, adapters.accounts, tier=tier)
        while not self.stopping.wait(TASK_CHECK_SECONDS):
            for tenant, session_id, scenario in adapters.stores.scenarios.in_flight_runs():
                if scenario.executor != Executor.CONTAINER or not scenario.task_id or not scenario.run_id:
                    continue
                if not task_alive(scenario.task_id):
                    message = RunMessage(
                        tenant=tenant, session_id=session_id, scenario_id=scenario.id, run_id=scenario.run_id
                    )
                    reason = "the task's process ended"
                    jobs.task_stopped(message, scenario.task_id, reason)

    def start_webhooks(self) -> None:
        from algocloud.adapters.embedded import open_delivery_queue
        from devstack.template import max_receive_count

        consumer = open_delivery_queue(self.state_dir, max_receives=max_receive_count("WebhookQueue"))
        threading.Thread(target=deliver_webhooks, args=(consumer, self.stopping), name="webhooks", daemon=True).start()

    def stop_tasks(self) -> None:
        """The container tier's local processes end with the stack (their runs fail at the next start)."""
        from algocloud.adapters.embedded.tasks import process_id
        from algocloud.adapters.factory import build_adapters
        from algocloud.adapters.settings import BackendSettings

        stores = build_adapters(BackendSettings(backend="embedded", state_dir=self.state_dir)).stores
        for _tenant, _session, scenario in stores.scenarios.in_flight_runs():
            pid = process_id(scenario.task_id)
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def stop(self) -> None:
        self.stopping.set()
        self.stop_tasks()
        for process in list(self.workers):
            process.terminate()
        for process in list(self.workers):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def run_embedded(args: argparse.Namespace) -> int:
    stack = EmbeddedStack(args)
    if not stack.lock_state():
        print(f"error: another local stack is using {stack.state_dir}; stop it or pass --state-dir", file=sys.stderr)
        return 2
    os.environ.update(stack.environment)
    print("starting the local stack ...", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops it like Ctrl-C
    try:
        signin = stack.start_signin()
        stack.recover()
        stack.start_workers()
        stack.watch_tasks()
        stack.start_webhooks()
        serve_api(
            args.port,
            app=with_events(embedded_app(), args.port),
            describe=f"  state      {stack.state_dir} (SQLite and files)\n"
            f"  workers    {args.workers} runs at a time in {args.processes} process(es), no time limit\n"
            "  containers the container tier's runs as local processes (python -m worker.task)\n"
            f"  events     ws://127.0.0.1:{args.port}/events (the WebSocket API's emulation); webhooks delivered"
            f"{signin}{stack.operator_line()}",
            signed_in=args.auth,
        )
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        if getattr(stack, "issuer", None) is not None:
            stack.issuer.shutdown()
    print("stopped; the state is kept in", stack.state_dir, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ports = [(args.port, "--port", "ALGOCLOUD_PORT")]
    if args.auth:
        ports.append((args.issuer_port, "--issuer-port", "ALGOCLOUD_ISSUER_PORT"))
    if args.aws:
        ports.append((args.aws_port, "--aws-port", "ALGOCLOUD_AWS_PORT"))
    for port, flag, variable in ports:
        if port_in_use(port):
            print(
                f"error: port {port} on 127.0.0.1 is already in use (is the stack already running?).\n"
                f'Choose another with `{flag} N` (make local ARGS="{flag} N") or {variable}=N.',
                file=sys.stderr,
            )
            return 2
    if args.clean and args.state_dir.exists():
        shutil.rmtree(args.state_dir)
    for path in ("shared", "functions/api", "functions/worker"):
        sys.path.insert(0, str(ROOT / path))
    if args.aws:
        from devstack.aws_stack import run

        return run(args)
    return run_embedded(args)

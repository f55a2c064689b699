"""What sign-in costs a request on the local stacks, over HTTP: `make local` against
`make local ARGS="--auth"` (and both with `--aws`), started side by side, requests interleaved.

    .venv/bin/python bench/signin_bench.py [samples] [embedded|aws ...]

With sign-in on, a request carries a person's token: checked by the API (embedded; remembered until
it expires) or by the Lambda authorizer (aws; API Gateway keeps its answer per token for a minute),
and the person's membership is read on every request. Prints the p50 of a status read and of a
scenario's create on each stack, and the ratio (goal: at most 1.1).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
for path in ("shared", "functions/api", "functions/worker", "."):
    sys.path.insert(0, str(ROOT / path))

from tests.test_local_stack import Stack, free_port


def _member(stack: Stack, mode: str, state: Path) -> dict[str, str]:
    """An editor of the stack's tenant "local", and the Authorization header of their token."""
    from algocloud.adapters.factory import embedded_operator_ports, operator_ports
    from algocloud.domain.identity import Role
    from algocloud.usecases.operator import Operator
    from devstack.issuer import LOCAL_TENANT, IssuerFiles

    if mode == "embedded":
        accounts, keys, members, _log, _secrets = embedded_operator_ports(state)
        operator = Operator(accounts, keys, members)
    else:
        import os

        os.environ.update({"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"})
        endpoint = f"http://127.0.0.1:{stack.args[stack.args.index('--aws-port') + 1]}"
        operator = Operator(*operator_ports("us-east-1", endpoint, "algocloud-local", "localplan1"))
    files = IssuerFiles(state / "issuer")
    user = files.add_user("bench@local.example")
    operator.add_member(LOCAL_TENANT, files.issuer, user.subject, Role.EDITOR, user.email)
    return {"Authorization": f"Bearer {files.mint(user, 3600)}"}


def _requests(http: httpx.Client, base: str, headers: dict[str, str]):
    session = http.get(f"{base}/sessions", headers=headers).raise_for_status().json()["default"]
    body = {"tag": "probe", "dataset_key": "Master data", "algo_name": "Instant"}
    made = http.post(f"{base}/sessions/{session}/scenarios", json=body, headers=headers).raise_for_status().json()
    counter = iter(range(10**9))

    def status() -> None:
        http.get(f"{base}/sessions/{session}/scenarios/{made['id']}/status", headers=headers).raise_for_status()

    def create() -> None:
        body = {"tag": f"t{next(counter)}", "dataset_key": "Master data", "algo_name": "Instant"}
        http.post(f"{base}/sessions/{session}/scenarios", json=body, headers=headers).raise_for_status()

    return {"status": status, "create": create}


def _timed(request) -> float:
    started = time.perf_counter()
    request()
    return (time.perf_counter() - started) * 1000


def bench(mode: str, samples: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix=f"signin-bench-{mode}-"))
    extra = ["--no-throttle"] if mode == "aws" else []
    off = Stack(folder / "off", free_port(), free_port(), mode=mode, extra=extra)
    on = Stack(
        folder / "on", free_port(), free_port(), mode=mode, extra=[*extra, "--auth", "--issuer-port", str(free_port())]
    )
    on.ready_url = on.base.rsplit("/api/v1", 1)[0] + "/openapi.json"
    off.start()
    on.start()
    try:
        with httpx.Client(timeout=60) as http:
            plain = _requests(http, off.base, {})
            signed = _requests(http, on.base, _member(on, mode, folder / "on"))
            for what in ("status", "create"):
                for _ in range(10):  # warm both (the first token check, the containers)
                    plain[what]()
                    signed[what]()
                a, b = [], []
                for _ in range(samples):
                    a.append(_timed(plain[what]))
                    b.append(_timed(signed[what]))
                p50a, p50b = statistics.median(a), statistics.median(b)
                print(f"{mode:9} {what:7} sign-in off {p50a:7.2f} ms   on {p50b:7.2f} ms   ratio {p50b / p50a:4.2f}",
                      flush=True)  # fmt: skip
    finally:
        for stack in (off, on):
            stack.stop()


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    for chosen in sys.argv[2:] or ["embedded", "aws"]:
        bench(chosen, count)

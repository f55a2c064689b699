"""What knowing who calls costs a request: the principal, the policy check and the audit entry.

    .venv/bin/python bench/identity_bench.py [samples]

In-process (TestClient), interleaved sample by sample so both sides see the same machine:
- embedded (SQLite): the status read and a scenario's create, with the audit log on and off;
- aws (moto, through the API Gateway emulation): the same with API keys required (one key read
  per request, the policy, the audit entry) against an open deployment with no audit log;
- sign-in on against off, on both: a person's token (checked in the API on embedded; by the Lambda
  authorizer, its answer cached per token, on aws) and their membership read, against the open
  deployment (both with the audit log).
Prints the p50 of each and the ratio (goal: at most 1.1).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in ("shared", "functions/api", "functions/worker", "."):
    sys.path.insert(0, str(ROOT / path))
os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"})
warnings.filterwarnings("ignore", message="Using `httpx`")

from fastapi.testclient import TestClient
from moto import mock_aws

from tests.support import BUCKET, REGION, TABLE, create_resources

Request = Callable[[], object]


def _timed(request: Request) -> float:
    started = time.perf_counter()
    request()
    return (time.perf_counter() - started) * 1000


def _compare(
    name: str,
    samples: int,
    plain: dict[str, Request],
    known: dict[str, Request],
    labels: tuple[str, str] = ("open", "with identity"),
) -> None:
    for what, open_request in plain.items():
        a, b = [], []
        for _ in range(samples):
            a.append(_timed(open_request))
            b.append(_timed(known[what]))
        p50a, p50b = statistics.median(a), statistics.median(b)
        print(f"{name:9} {what:7} {labels[0]} {p50a:6.2f} ms   {labels[1]} {p50b:6.2f} ms   ratio {p50b / p50a:4.2f}")


def _without_audit(request: Request) -> Request:
    """The request on a deployment that keeps no audit log (deps.auditing answers None)."""
    from api import deps

    auditing = deps.auditing

    def call() -> object:
        deps.auditing = lambda settings: None  # type: ignore[assignment]
        try:
            return request()
        finally:
            deps.auditing = auditing

    return call


def _requests(client: TestClient, base: str, headers: dict[str, str]) -> dict[str, Request]:
    session = client.get(f"{base}/sessions", headers=headers).json()["default"]
    made = client.post(f"{base}/sessions/{session}/scenarios", headers=headers,
                       json={"tag": "probe", "dataset_key": "Master data", "algo_name": "Instant"}).json()  # fmt: skip
    counter = iter(range(10**9))

    def status() -> object:
        return client.get(f"{base}/sessions/{session}/scenarios/{made['id']}/status", headers=headers)

    def create() -> object:
        body = {"tag": f"t{next(counter)}", "dataset_key": "Master data", "algo_name": "Instant"}
        return client.post(f"{base}/sessions/{session}/scenarios", json=body, headers=headers)

    return {"status": status, "create": create}


def embedded(samples: int) -> None:
    from api.main import create_app
    from api.settings import ApiSettings

    clients = {}
    for name in ("open", "audited"):
        state = Path(tempfile.mkdtemp(prefix=f"identity-bench-{name}-"))
        clients[name] = TestClient(create_app(ApiSettings(backend="embedded", state_dir=state)))
    plain = {k: _without_audit(r) for k, r in _requests(clients["open"], "/api/v1", {}).items()}
    _compare("embedded", samples, plain, _requests(clients["audited"], "/api/v1", {}))


def aws(samples: int) -> None:
    import boto3

    from algocloud.adapters.aws.apigateway import ApiGatewayKeys
    from algocloud.usecases.operator import Operator
    from api import deps
    from api.lambda_adapter import build_handler
    from api.main import create_app
    from api.settings import ApiSettings
    from devstack.apigateway import RestApiGateway, config_from_template
    from devstack.local_keys import KeySource, ensure_usage_plan

    with mock_aws():
        queue_url, _ = create_resources()
        settings = ApiSettings(table_name=TABLE, bucket_name=BUCKET, queue_url=queue_url)
        apigateway = boto3.client("apigateway", region_name=REGION)
        plan = ensure_usage_plan(apigateway, rate=10_000, burst=10_000, daily_quota=10_000_000)
        keyed_settings = settings.model_copy(update={"require_api_key": True, "usage_plan_id": plan})
        operator = Operator(deps.adapters(keyed_settings).accounts, ApiGatewayKeys(lambda: apigateway, plan))
        operator.create_tenant("bench")
        key = operator.issue_key("bench").value
        open_gateway = config_from_template(stage="Prod", stage_throttle=None)
        keyed_gateway = config_from_template(stage="Prod", stage_throttle=None, require_api_key=True,
                                             api_keys=KeySource(apigateway, plan))  # fmt: skip
        open_client = TestClient(RestApiGateway(build_handler(create_app(settings)), open_gateway))
        keyed_client = TestClient(RestApiGateway(build_handler(create_app(keyed_settings)), keyed_gateway))
        plain = {k: _without_audit(r) for k, r in _requests(open_client, "/Prod/api/v1", {}).items()}
        _compare("aws", samples, plain, _requests(keyed_client, "/Prod/api/v1", {"x-api-key": key}))


def _issuer():
    """The local OpenID Connect provider (devstack.issuer) on a free port, and a member's token."""
    import socket

    from devstack.issuer import IssuerFiles, serve_issuer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    files = IssuerFiles(Path(tempfile.mkdtemp(prefix="identity-bench-issuer-")))
    files.create(f"http://127.0.0.1:{port}")
    return files, serve_issuer(files, port)


def _member(settings, files) -> dict[str, str]:
    """A member (editor) of a new tenant, and the Authorization header of their token."""
    from algocloud.domain.accounts import MemberRecord, TenantRecord
    from algocloud.domain.identity import Role
    from api import deps

    built = deps.adapters(settings)
    tenant = TenantRecord.new(f"bench {time.time()}")
    built.accounts.create_tenant(tenant)
    user = files.add_user(f"bench-{time.time()}@example.com")
    built.members.put_member(MemberRecord(tenant.id, files.issuer, user.subject, Role.EDITOR))
    return {"Authorization": f"Bearer {files.mint(user, 3600)}"}


def signin_embedded(samples: int) -> None:
    from api.main import create_app
    from api.settings import ApiSettings
    from devstack.issuer import CLIENT_ID

    files, server = _issuer()
    try:
        off = ApiSettings(backend="embedded", state_dir=Path(tempfile.mkdtemp(prefix="identity-bench-off-")))
        on = ApiSettings(backend="embedded", state_dir=Path(tempfile.mkdtemp(prefix="identity-bench-on-")),
                         oidc_issuer=files.issuer, oidc_audience=CLIENT_ID, oidc_jwks_url=f"{files.issuer}/jwks.json")  # fmt: skip
        off_client, on_client = TestClient(create_app(off)), TestClient(create_app(on))
        headers = _member(on, files)
        _compare("embedded", samples, _requests(off_client, "/api/v1", {}), _requests(on_client, "/api/v1", headers),
                 ("sign-in off", "on"))  # fmt: skip
    finally:
        server.shutdown()


def signin_aws(samples: int) -> None:
    from api import authorizer
    from api.lambda_adapter import build_handler
    from api.main import create_app
    from api.settings import ApiSettings, get_settings
    from devstack.apigateway import RestApiGateway, config_from_template
    from devstack.issuer import CLIENT_ID

    files, server = _issuer()
    try:
        with mock_aws():
            queue_url, _ = create_resources()
            oidc = {
                "oidc_issuer": files.issuer,
                "oidc_audience": CLIENT_ID,
                "oidc_jwks_url": f"{files.issuer}/jwks.json",
            }
            os.environ.update({"TABLE_NAME": TABLE, "BUCKET_NAME": BUCKET, "QUEUE_URL": queue_url,
                               **{k.upper(): v for k, v in oidc.items()}})  # fmt: skip
            get_settings.cache_clear()
            off = ApiSettings(
                table_name=TABLE, bucket_name=BUCKET, queue_url=queue_url, oidc_issuer=None, oidc_audience=None
            )
            on = off.model_copy(update=oidc)
            gateway = config_from_template(stage="Prod", stage_throttle=None)
            with_authorizer = config_from_template(stage="Prod", stage_throttle=None, authorizer=authorizer.handler)
            off_client = TestClient(RestApiGateway(build_handler(create_app(off)), gateway))
            on_client = TestClient(RestApiGateway(build_handler(create_app(on)), with_authorizer))
            headers = _member(on, files)
            _compare("aws", samples, _requests(off_client, "/Prod/api/v1", {}),
                     _requests(on_client, "/Prod/api/v1", headers), ("sign-in off", "on"))  # fmt: skip
    finally:
        server.shutdown()


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    embedded(count)
    aws(count)
    signin_embedded(count)
    signin_aws(count)

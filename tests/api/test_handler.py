"""The Lambda handler fed API Gateway REST events (events/), tenants, and import hygiene."""

import base64
import copy
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


def event(name, **changes):
    loaded = json.loads((EVENTS / name).read_text())
    path = changes.pop("path", None)
    if path is not None:
        loaded["path"] = path
        loaded["requestContext"]["path"] = f"/Prod{path}"
    if "api_key_id" in changes:
        loaded["requestContext"]["identity"]["apiKeyId"] = changes.pop("api_key_id")
    loaded.update(changes)
    return copy.deepcopy(loaded)


def raw_body(response) -> bytes:
    """The body as the client sees it: API Gateway base64-decodes, the client un-gzips."""
    raw = response["body"]
    data = base64.b64decode(raw) if response["isBase64Encoded"] else raw.encode()
    encoding = {k.lower(): v for k, v in response["headers"].items()}.get("content-encoding")
    return gzip.decompress(data) if encoding == "gzip" else data


def body_of(response):
    return json.loads(raw_body(response))


@pytest.fixture
def invoke(settings):
    from api.lambda_adapter import build_handler
    from api.main import create_app

    def make(**overrides):
        handler = build_handler(create_app(settings.model_copy(update=overrides)))
        return lambda evt: handler(evt, None)

    return make


def test_rest_events_drive_the_api(invoke):
    call = invoke()
    health = call(event("api-get-health.json"))
    assert health["statusCode"] == 200 and body_of(health)["sessions"] == ["main"]
    sessions = call(event("api-get-sessions.json"))
    assert sessions["statusCode"] == 200 and body_of(sessions)["sessions"][0]["display_name"] == "main"
    created = call(event("api-create-scenario.json"))
    assert created["statusCode"] == 201 and body_of(created)["status"] == "created"
    dataset = call(event("api-get-dataset.json"))
    assert dataset["statusCode"] == 200 and body_of(dataset)["metadata"]["name"] == "Master data"


def test_base64_multipart_upload_event_runs_etl(invoke):
    response = invoke()(event("api-etl-upload.json"))
    assert response["statusCode"] == 200, response["body"]
    body = body_of(response)
    assert body["success"] is True and body["keys"] == ["Master data", "uploaded"]


def test_docs_behind_the_prod_stage_load_the_staged_openapi(invoke):
    call = invoke()
    docs = call(event("api-docs.json"))
    assert docs["statusCode"] == 200
    html = raw_body(docs).decode()
    assert "'/Prod/openapi.json'" in html or '"/Prod/openapi.json"' in html
    schema = body_of(call(event("api-openapi.json")))
    assert schema["servers"] == [{"url": "/Prod"}]
    assert "/api/v1/sessions/{sid}/scenarios/{scenario_id}/run" in schema["paths"]


def test_docs_point_at_the_openapi_beside_them(client, root):
    html = client.get(f"{root}/docs").text
    assert f"'{root}/openapi.json'" in html or f'"{root}/openapi.json"' in html


def test_tenants_are_isolated(invoke, accounts):
    from algocloud.domain.accounts import ApiKeyRecord, TenantRecord

    call = invoke(require_api_key=True)
    key_ids = {}
    for name in ("tenant-a", "tenant-b"):
        tenant = TenantRecord.new(name)
        accounts.create_tenant(tenant)
        key_ids[name] = f"key{name[-1]}0000001"
        accounts.add_key(ApiKeyRecord(key_ids[name], tenant.id))

    def as_tenant(tenant, name, **changes):
        return call(event(name, api_key_id=key_ids[tenant], **changes))

    a_sessions = body_of(as_tenant("tenant-a", "api-get-sessions.json"))
    b_sessions = body_of(as_tenant("tenant-b", "api-get-sessions.json"))
    assert a_sessions["default"] != b_sessions["default"]
    assert [s["display_name"] for s in b_sessions["sessions"]] == ["main"]

    created = as_tenant("tenant-a", "api-create-scenario.json")
    assert created["statusCode"] == 201
    scenario_id = body_of(created)["id"]
    a_main = a_sessions["default"]
    a_list = as_tenant("tenant-a", "api-get-sessions.json", path=f"/api/v1/sessions/{a_main}/scenarios")
    assert [s["id"] for s in body_of(a_list)] == [scenario_id]
    # tenant b: a's session and scenario do not exist
    for path in (
        f"/api/v1/sessions/{a_main}/scenarios",
        f"/api/v1/sessions/{a_main}/scenarios/{scenario_id}",
        f"/api/v1/sessions/{a_main}/data",
    ):
        assert as_tenant("tenant-b", "api-get-sessions.json", path=path)["statusCode"] == 404, path
    b_main_list = as_tenant("tenant-b", "api-get-sessions.json", path="/api/v1/sessions/main/scenarios")
    assert body_of(b_main_list) == []
    b_delete = as_tenant("tenant-b", "api-get-sessions.json", path=f"/api/v1/sessions/{a_main}", httpMethod="DELETE")
    assert b_delete["statusCode"] == 404
    assert body_of(as_tenant("tenant-a", "api-get-sessions.json"))["default"] == a_main
    # no key, no access; nor with a key of no tenant, a revoked one, or an id no key has
    assert call(event("api-get-sessions.json"))["statusCode"] == 403
    for unknown in ("nokey00001", "T#x/../y", ""):
        refused = call(event("api-get-sessions.json", api_key_id=unknown))
        assert refused["statusCode"] == 403 and "detail" in body_of(refused), unknown
    accounts.revoke_key(key_ids["tenant-b"], "2026-11-23T00:00:00+00:00")
    refused = as_tenant("tenant-b", "api-get-sessions.json")
    assert refused["statusCode"] == 403 and "revoked" in body_of(refused)["detail"]


def test_importing_the_handler_does_not_import_pandas_or_openpyxl():
    probe = (
        "import sys; import api.handler; "
        "print(','.join(m for m in ('pandas', 'openpyxl', 'numpy') if m in sys.modules))"
    )
    env = {
        **os.environ,
        "TABLE_NAME": "t",
        "BUCKET_NAME": "b",
        "QUEUE_URL": "q",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(ROOT / "functions" / "api")]),
    }
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_missing_settings_fail_at_start_with_a_clear_message():
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "BUCKET_NAME", "QUEUE_URL")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "shared"), str(ROOT / "functions" / "api")])
    out = subprocess.run(
        [sys.executable, "-c", "import api.handler"], env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode != 0
    assert "set the environment variables TABLE_NAME" in out.stderr and "QUEUE_URL" in out.stderr


@pytest.mark.parametrize("page", ["docs", "redoc"])
def test_the_docs_load_only_local_assets(client, root, page):
    """Swagger UI and ReDoc work without internet: every script, style and icon is the app's own."""
    import re

    html = client.get(f"{root}/{page}").text
    assets = re.findall(r"""(?:src|href)\s*[=:]\s*["']([^"']+)["']""", html)
    assets += re.findall(r"""url:\s*["']([^"']+)["']""", html)
    assert assets and not [a for a in assets if "://" in a or a.startswith("//")], assets
    for asset in assets:
        assert asset.startswith(f"{root}/"), asset
        assert client.get(asset).status_code == 200, asset


def test_the_openapi_document_reads_well(make_client, root):
    schema = make_client().get(f"{root}/openapi.json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids)) and "list_scenarios" in ids and "create_upload" in ids
    assert all(op.get("tags") for op in operations)
    assert {t["name"] for t in schema["tags"]} >= {tag for op in operations for tag in op["tags"]}
    undescribed = [
        (op["operationId"], p["name"])
        for op in operations
        for p in op.get("parameters", [])
        if not p.get("description")
    ]
    assert not undescribed
    bodies = {
        media["schema"]["$ref"].rsplit("/", 1)[1]
        for op in operations
        for media in op.get("requestBody", {}).get("content", {}).values()
        if "$ref" in media["schema"]
    }
    components = schema["components"]["schemas"]
    assert bodies and not [name for name in bodies if not components[name].get("examples")]
    scenario = schema["paths"]["/api/v1/sessions/{sid}/scenarios/{scenario_id}"]["get"]
    assert scenario["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Scenario")
    assert scenario["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "security" not in schema
    keyed = make_client(require_api_key=True).get(f"{root}/openapi.json").json()
    assert keyed["security"] == [{"ApiKey": []}]
    assert keyed["components"]["securitySchemes"]["ApiKey"]["name"] == "x-api-key"


def test_every_answer_carries_a_correlation_id(client, base):
    first, second = client.get(f"{base}/sessions"), client.get(f"{base}/sessions")
    assert first.headers["x-correlation-id"] != second.headers["x-correlation-id"]
    assert client.get(f"{base}/nope").headers["x-correlation-id"]  # refusals too
    if "Prod" not in base:  # locally a caller's own id is kept (if it is a plain token)
        assert (
            client.get(f"{base}/sessions", headers={"x-request-id": "abc-123"}).headers["x-correlation-id"] == "abc-123"
        )
        odd = client.get(f"{base}/sessions", headers={"x-request-id": "a b<script>"}).headers["x-correlation-id"]
        assert odd != "a b<script>" and len(odd) == 32

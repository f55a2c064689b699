"""Tenants and their API keys, through API Gateway (the emulator reading moto's usage plan) and the
operator CLI: keys rotate and revoke without touching the tenant's data."""

import json

import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.parametrize("backend_name", ["aws"])  # API Gateway keys: the AWS path


@pytest.fixture
def keyed(make_client, operator):
    from devstack.apigateway import config_from_template

    gateway = config_from_template(
        stage="Prod", stage_throttle=None, require_api_key=True, api_keys=operator.gateway_keys
    )
    return make_client(gateway=gateway, require_api_key=True)


def as_key(value: str) -> dict[str, str]:
    return {"x-api-key": value}


def test_rotation_keeps_the_data_two_keys_share_it_and_a_revoked_key_is_refused(keyed, operator, base):
    operator.create_tenant("acme")
    first = operator.issue_key("acme")
    second = operator.issue_key("acme")
    made = keyed.post(f"{base}/sessions", json={"display_name": "plans"}, headers=as_key(first.value))
    assert made.status_code == 201
    # two keys of one tenant see the same data
    names = [s["display_name"] for s in keyed.get(f"{base}/sessions", headers=as_key(second.value)).json()["sessions"]]
    assert names == ["main", "plans"]

    rotated, old = operator.rotate_key(first.record.key_id)
    assert old.revoked_at and rotated.record.tenant_id == first.record.tenant_id
    listed = keyed.get(f"{base}/sessions", headers=as_key(rotated.value))
    assert [s["display_name"] for s in listed.json()["sessions"]] == ["main", "plans"]
    refused = keyed.get(f"{base}/sessions", headers=as_key(first.value))
    assert refused.status_code == 403 and refused.json()["detail"]

    # another tenant sees none of it
    operator.create_tenant("globex")
    other = operator.issue_key("globex")
    assert [
        s["display_name"] for s in keyed.get(f"{base}/sessions", headers=as_key(other.value)).json()["sessions"]
    ] == ["main"]
    # API Gateway disabled the old key too (not only the API's check)
    assert first.value not in operator.gateway_keys and rotated.value in operator.gateway_keys


def test_a_tenants_data_is_stored_under_its_own_id_never_a_key_id(operator, keyed, base):
    import boto3

    from tests.support import REGION, TABLE

    operator.create_tenant("acme")
    issued = operator.issue_key("acme")
    assert keyed.get(f"{base}/sessions", headers=as_key(issued.value)).status_code == 200
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=TABLE)["Items"]
    data_keys = {item["pk"]["S"] for item in items if item["pk"]["S"].startswith("T#")}
    assert data_keys and all(key.startswith(f"T#{issued.record.tenant_id}") for key in data_keys)
    assert issued.record.tenant_id.startswith("t-") and issued.record.key_id not in str(data_keys)


def test_the_operator_cli_creates_tenants_issues_rotates_revokes_and_reports(operator, monkeypatch, keyed, base):
    from algocloud import admin

    monkeypatch.setattr(admin.context, "operator", operator)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(admin.app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    tenant = json.loads(run("tenants", "create", "Acme Logistics"))
    assert "already exists" in run("tenants", "create", "Acme Logistics", code=1)
    issued = json.loads(run("keys", "issue", "Acme Logistics"))
    assert issued["tenant_id"] == tenant["id"] and len(issued["value"]) >= 20
    assert keyed.get(f"{base}/sessions", headers=as_key(issued["value"])).status_code == 200
    rotated = json.loads(run("keys", "rotate", issued["key_id"]))
    assert rotated["revoked"] == issued["key_id"] and rotated["value"] != issued["value"]
    assert json.loads(run("keys", "revoke", rotated["key_id"]))["revoked_at"]
    assert keyed.get(f"{base}/sessions", headers=as_key(rotated["value"])).status_code == 403
    assert [k["key_id"] for k in json.loads(run("keys", "list", tenant["id"]))] == [issued["key_id"], rotated["key_id"]]
    assert "no tenant" in run("keys", "issue", "nobody", code=1)
    report = json.loads(run("usage"))
    assert [row["name"] for row in report] == ["Acme Logistics"] and report[0]["totals"]["bytes_stored"] == 0

"""The audit log: one entry per mutating or refused request (and none per status read), read back
by admins, and a digest chain that names the entry removed or changed in storage afterwards, on
both backends."""

import json

import pytest

from algocloud.domain.audit import AuditEntry
from algocloud.domain.identity import Principal, PrincipalKind, Role


def recorder(client):
    from api import deps

    return deps.auditing(client.api.state.settings)


def entries(client):
    return recorder(client).log.entries("default")


def test_each_mutating_or_refused_request_is_one_entry_and_reads_of_status_none(client, base):
    sid = client.get(f"{base}/sessions").json()["default"]
    before = len(entries(client))
    made = client.post(f"{base}/sessions/main/scenarios", json={"tag": "audited", "dataset_key": "Master data",
                                                               "algo_name": "Instant"})  # fmt: skip
    assert made.status_code == 201
    scenario_id = made.json()["id"]
    assert client.post(f"{base}/sessions/main/scenarios/{scenario_id}/run").status_code == 202
    for _ in range(3):
        client.get(f"{base}/sessions/main/scenarios/{scenario_id}/status")  # reads of status: nothing
    client.get(f"{base}/sessions")
    refused = client.post(f"{base}/sessions/main/scenarios", json={"tag": "audited", "dataset_key": "Master data",
                                                                  "algo_name": "Instant"})  # fmt: skip
    assert refused.status_code == 409
    assert client.delete(f"{base}/sessions/nope").status_code == 404
    recorded = entries(client)[before:]
    assert [(e.operation, e.status) for e in recorded] == [
        ("create_scenario", 201),
        ("run_scenario", 202),
        ("create_scenario", 409),
        ("delete_session", 404),
    ]
    first = recorded[0]
    assert (first.tenant, first.actor, first.actor_kind) == ("default", "anonymous", "anonymous")
    assert first.target == {"sid": "main"} and first.request_id and first.user_agent
    assert recorded[1].target == {"sid": "main", "scenario_id": scenario_id}
    assert sid  # the default session exists


def test_a_denied_request_is_recorded_and_admins_read_the_log(client, base):
    from api.deps import principal

    client.api.dependency_overrides[principal] = lambda: Principal(
        "default", "k-viewer", PrincipalKind.KEY, Role.VIEWER
    )
    try:
        assert client.delete(f"{base}/sessions/main").status_code == 403
        assert client.get(f"{base}/audit").status_code == 403
    finally:
        client.api.dependency_overrides.clear()
    log = client.get(f"{base}/audit", params={"actor": "k-viewer"})
    assert log.status_code == 200, log.text
    assert [(e["operation"], e["status"]) for e in log.json()] == [("audit_log", 403), ("delete_session", 403)]
    page = client.get(f"{base}/audit", params={"limit": 1})
    assert len(page.json()) == 1 and page.headers["x-next-cursor"]
    following = client.get(f"{base}/audit", params={"limit": 1, "cursor": page.headers["x-next-cursor"]})
    assert following.json()[0]["id"] < page.json()[0]["id"]  # newest first
    assert client.get(f"{base}/audit", params={"cursor": "forged"}).status_code == 400


def test_verify_names_the_entry_removed_or_changed_after_it_was_sealed(client, base, backend_name, settings):
    for name in ("a", "b", "c"):
        assert client.post(f"{base}/sessions", json={"display_name": name}).status_code == 201
    auditing = recorder(client)
    verdict = auditing.verify("default", margin_seconds=0)
    assert verdict.ok and verdict.entries >= 3 and verdict.unsealed == 0, verdict
    created = [e for e in auditing.log.entries("default") if e.operation == "create_session"]
    removed, changed = created[0], created[1]
    _tamper(backend_name, settings, auditing, removed, changed)
    verdict = auditing.verify("default", margin_seconds=0)
    assert not verdict.ok
    assert f"entry {removed.id} (sealed at" in verdict.problems[0] and "removed" in verdict.problems[0]
    assert any(f"entry {changed.id} (create_session" in p and "changed" in p for p in verdict.problems)
    # a digest of another deployment's key does not pass either
    from algocloud.usecases.audit import Auditing

    assert not Auditing(auditing.log, b"another key").verify("default", margin_seconds=0).ok


def _tamper(backend_name, settings, auditing, removed: AuditEntry, changed: AuditEntry) -> None:
    """Straight in storage, as someone with write access to the table or file would."""
    forged = json.dumps({**changed.to_record(), "actor": "someone-else"})
    if backend_name == "embedded":
        with auditing.log._db.write() as db:
            db.execute("DELETE FROM audit_entries WHERE id = ?", (removed.id,))
            db.execute("UPDATE audit_entries SET body = ? WHERE id = ?", (forged, changed.id))
        return
    import boto3

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.delete_item(
        TableName=settings.table_name, Key={"pk": {"S": "AUDIT#default"}, "sk": {"S": f"E#{removed.id}"}}
    )
    dynamodb.update_item(
        TableName=settings.table_name,
        Key={"pk": {"S": "AUDIT#default"}, "sk": {"S": f"E#{changed.id}"}},
        UpdateExpression="SET body = :body",
        ExpressionAttributeValues={":body": {"S": forged}},
    )


@pytest.mark.parametrize("backend_name", ["aws"])
def test_the_operator_verifies_a_tenants_chain(client, base, operator, monkeypatch):
    from typer.testing import CliRunner

    from algocloud import admin
    from tests.support import TABLE

    assert client.post(f"{base}/sessions", json={"display_name": "kept"}).status_code == 201
    monkeypatch.setattr(admin.context, "operator", operator)
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("USAGE_PLAN_ID", "plan")
    result = CliRunner().invoke(admin.app, ["audit", "verify", "default", "--margin", "0"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True


def test_the_client_and_the_cli_read_the_log_since_a_moment(client, base, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from typer.testing import CliRunner

    from algocloud_client import Client, cli

    api = Client(f"http://testserver{base}", http=client)
    assert client.post(f"{base}/sessions", json={"display_name": "watched"}).status_code == 201
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert [e.operation for e in api.audit(operation="create_session")] == ["create_session"]
    assert api.audit(since=later) == []
    assert client.get(f"{base}/audit", params={"since": "yesterday"}).status_code == 422
    # moments whose offset takes them past the calendar's edge are the edge, not a 500
    assert len(client.get(f"{base}/audit", params={"since": "0001-01-01T00:00:00+01:00"}).json()) >= 1
    assert client.get(f"{base}/audit", params={"since": "9999-12-31T23:59:59-01:00"}).json() == []
    monkeypatch.setattr(cli, "Client", lambda url, **credentials: api)
    result = CliRunner().invoke(cli.app, ["--json", "audit", "--since", "5m", "--operation", "create_session"])
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.output)
    assert entry["target"] == {} and entry["status"] == 201

"""Who may do what: every operation of the OpenAPI document (and every WebSocket action) has one
policy entry, each role is refused what is above it with a 403 that names the role needed (and
nothing changes), and an API key acts with its own role."""

import re

import pytest

from algocloud.domain.identity import POLICY, Principal, PrincipalKind, Role

WEBSOCKET_ACTIONS = {"ws:connect", "ws:subscribe", "ws:unsubscribe", "ws:ping"}
ROLES = list(Role)


def operations(client) -> dict[str, tuple[str, str]]:
    """operation id -> (method, path) of every operation the app serves."""
    found = {}
    for path, methods in client.api.openapi()["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (method.upper(), path)
    return found


def test_every_operation_has_exactly_one_policy_entry(client):
    served = set(operations(client)) | WEBSOCKET_ACTIONS
    assert served - set(POLICY) == set(), "operations without a policy entry"
    assert set(POLICY) - served == set(), "policy entries of no operation"


def as_role(client, role: Role):
    """The app's caller replaced by a member of `default` with `role` (the dependency the policy
    checks; how a caller is identified is tested below and in test_tenants)."""
    from api.deps import principal

    client.api.dependency_overrides[principal] = lambda: Principal("default", "tester", PrincipalKind.KEY, role)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


@pytest.mark.parametrize("backend_name", ["embedded"])
def test_each_role_is_refused_exactly_what_is_above_it(client, root):
    """For every operation: the role below the one it needs gets a 403 naming both (before the
    request is read any further); the role it needs is not refused."""
    listed = client.get(f"{root}/api/v1/sessions").json()
    for operation_id, (method, path) in operations(client).items():
        needed = POLICY[operation_id]
        url = root + _concrete(path)
        if needed.rank > 0:
            as_role(client, ROLES[needed.rank - 1])
            refused = client.request(method, url, json={})
            assert refused.status_code == 403, (operation_id, refused.text)
            detail = refused.json()["detail"]
            assert operation_id in detail and f"needs the {needed} role" in detail, detail
        as_role(client, needed)
        allowed = client.request(method, url, json={})
        assert allowed.status_code != 403, (operation_id, allowed.text)
    client.api.dependency_overrides.clear()
    assert client.get(f"{root}/api/v1/sessions").json() == listed  # the refusals changed nothing


@pytest.mark.parametrize("backend_name", ["embedded"])
def test_me_answers_the_caller_and_what_its_role_allows(client, base):
    me = client.get(f"{base}/me").json()  # an open deployment: everyone is the tenant's admin
    assert (me["tenant"], me["kind"], me["role"]) == ("default", "anonymous", "admin")
    assert set(me["allowed"]) == set(POLICY)
    as_role(client, Role.RUNNER)
    runner = client.get(f"{base}/me").json()
    assert "run_scenario" in runner["allowed"] and "delete_session" not in runner["allowed"]
    assert "add_webhook" not in runner["allowed"] and "list_sessions" in runner["allowed"]
    client.api.dependency_overrides.clear()


@pytest.mark.parametrize("backend_name", ["aws"])
def test_an_api_key_acts_with_its_role_and_keeps_it_when_rotated(make_client, operator, base):
    from devstack.apigateway import config_from_template

    gateway = config_from_template(stage="Prod", stage_throttle=None, require_api_key=True,
                                   api_keys=operator.gateway_keys)  # fmt: skip
    keyed = make_client(gateway=gateway, require_api_key=True)
    operator.create_tenant("acme")
    viewer = operator.issue_key("acme", role=Role.VIEWER)
    headers = {"x-api-key": viewer.value}
    me = keyed.get(f"{base}/me", headers=headers).json()
    assert (me["kind"], me["subject"], me["role"]) == ("key", viewer.record.key_id, "viewer")
    assert keyed.get(f"{base}/sessions", headers=headers).status_code == 200
    refused = keyed.post(f"{base}/sessions", json={"display_name": "plans"}, headers=headers)
    assert refused.status_code == 403 and "needs the editor role" in refused.json()["detail"]
    assert [s["display_name"] for s in keyed.get(f"{base}/sessions", headers=headers).json()["sessions"]] == ["main"]
    rotated, _old = operator.rotate_key(viewer.record.key_id)
    assert rotated.record.role == Role.VIEWER
    assert operator.accounts.get_key(rotated.record.key_id).role == Role.VIEWER
    admin = operator.issue_key("acme")  # a key without a role is its tenant's admin, as keys were
    made = keyed.post(f"{base}/sessions", json={"display_name": "plans"}, headers={"x-api-key": admin.value})
    assert made.status_code == 201


@pytest.mark.parametrize("backend_name", ["aws"])
def test_tenant_admins_manage_their_keys_and_a_revoked_or_expired_key_stops_at_once(make_client, operator, base):
    from devstack.apigateway import config_from_template

    gateway = config_from_template(stage="Prod", stage_throttle=None, require_api_key=True,
                                   api_keys=operator.gateway_keys)  # fmt: skip
    keyed = make_client(gateway=gateway, require_api_key=True, usage_plan_id=operator.keys._plan)
    operator.create_tenant("acme")
    operator.create_tenant("globex")
    admin = {"x-api-key": operator.issue_key("acme").value}
    made = keyed.post(f"{base}/keys", json={"role": "runner"}, headers=admin)
    assert made.status_code == 201, made.text
    runner = made.json()
    assert runner["role"] == "runner" and runner["active"] and runner["created_by"] and len(runner["value"]) >= 20
    listed = keyed.get(f"{base}/keys", headers=admin).json()
    assert runner["key_id"] in [k["key_id"] for k in listed] and all("value" not in k for k in listed)
    as_runner = {"x-api-key": runner["value"]}
    assert keyed.get(f"{base}/me", headers=as_runner).json()["role"] == "runner"
    assert keyed.post(f"{base}/keys", json={"role": "viewer"}, headers=as_runner).status_code == 403
    # another tenant's admin cannot see or revoke it
    other = {"x-api-key": operator.issue_key("globex").value}
    assert keyed.delete(f"{base}/keys/{runner['key_id']}", headers=other).status_code == 404
    revoked = keyed.delete(f"{base}/keys/{runner['key_id']}", headers=admin)
    assert revoked.status_code == 200 and not revoked.json()["active"]
    assert keyed.get(f"{base}/me", headers=as_runner).status_code == 403  # at the next request
    assert keyed.post(f"{base}/keys", json={"role": "admin", "extra": 1}, headers=admin).status_code == 422
    # an expired key is refused although API Gateway still takes it
    short = keyed.post(f"{base}/keys", json={"role": "viewer", "expires_in_days": 1}, headers=admin).json()
    assert short["expires_at"] > short["created_at"]
    from dataclasses import replace

    record = operator.accounts.get_key(short["key_id"])
    assert record.active and not replace(record, expires_at="2000-01-01T00:00:00.000+00:00").active

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

"""The events WebSocket Lambda's handler (api.websocket) as API Gateway calls it, on both backends:
the authorizer, the routes, and what a hostile client sends."""

import json
import time

import pytest

from algocloud.domain.events import issue_token
from devstack.driver import _Context

CONTEXT = _Context(function_name="algocloud-events-test")


@pytest.fixture
def ws(settings, monkeypatch):
    from algocloud.adapters.factory import build_adapters
    from api import websocket

    built = build_adapters(settings)
    monkeypatch.setattr(websocket, "_adapters", lambda: built)
    return websocket, built


def _event(route: str, connection: str, body: str | None = None, tenant: str | None = None) -> dict:
    context = {"routeKey": route, "connectionId": connection}
    if tenant:
        context["authorizer"] = {"tenant": tenant, "principalId": tenant}
    return {"requestContext": context, "body": body}


def _say(websocket, connection: str, message) -> dict:
    text = message if isinstance(message, str) else json.dumps(message)
    answer = websocket.handler(_event("subscribe", connection, text), CONTEXT)
    return json.loads(answer["body"])


def test_the_authorizer_allows_a_fresh_token_with_its_tenant_and_denies_the_rest(ws):
    websocket, built = ws
    secret = built.stores.secrets.secret("events-token")
    arn = "arn:aws:execute-api:us-east-1:123456789012:api/Prod/$connect"
    allowed = websocket.handler(
        {"type": "REQUEST", "methodArn": arn, "queryStringParameters": {"token": issue_token(secret, "acme")[0]}},
        CONTEXT,
    )
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow" and allowed["context"] == {
        "tenant": "acme",
        "holder": "",
    }
    for query in ({"token": issue_token(secret, "acme", now=time.time() - 600)[0]}, {"token": "a.b"}, {}, None):
        denied = websocket.handler({"type": "REQUEST", "methodArn": arn, "queryStringParameters": query}, CONTEXT)
        assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny" and "context" not in denied


def test_subscriptions_answer_the_current_status_and_refuse_what_is_not_the_tenants(ws, config):
    websocket, built = ws
    from algocloud.domain.identity import Principal
    from algocloud.usecases.scope import TenantScope
    from algocloud.usecases.sessions import Sessions

    Sessions(
        TenantScope(config, built.stores, built.blobs, built.accounts, Principal.anonymous("default"))
    ).ensure_tenant()
    sid = built.stores.sessions.list_sessions("default")[0].id
    assert websocket.handler(_event("$connect", "c1", tenant="default"), CONTEXT)["statusCode"] == 200
    assert websocket.handler(_event("$connect", "c2", tenant="intruder"), CONTEXT)["statusCode"] == 200
    assert websocket.handler(_event("$connect", "c3"), CONTEXT)["statusCode"] == 403  # no authorizer context
    assert _say(websocket, "c1", {"action": "subscribe", "session_id": sid}) == {
        "type": "subscribed",
        "session_id": sid,
    }
    assert "no session" in _say(websocket, "c2", {"action": "subscribe", "session_id": sid})["detail"]
    refusals = [
        "not json",
        "[1, 2]",
        {"action": "dance"},
        {"action": "subscribe"},
        {"action": "subscribe", "session_id": 7},
        {"action": "subscribe", "session_id": "x" * 65},
        {"action": "subscribe", "session_id": sid, "scenario_id": "nope"},
        {"action": "subscribe", "session_id": sid, "job_id": "nope"},
        {"action": "subscribe", "session_id": sid, "experiment_id": "nope"},
        {"action": "subscribe", "session_id": sid, "scenario_id": "a", "job_id": "b"},
        {"action": "subscribe", "session_id": "../../etc"},
    ]
    for message in refusals:
        answer = _say(websocket, "c1", message)
        assert answer["type"] == "error" and answer["detail"], message
    assert _say(websocket, "c1", {"action": "ping"}) == {"type": "pong"}
    topic = f"session:{sid}"
    assert built.subscriptions.subscribers("default", sid, [topic]) == {"c1"}
    again = _say(websocket, "c1", {"action": "subscribe", "session_id": sid})  # a keep-alive: fine
    assert again["type"] == "subscribed"
    gone = _say(websocket, "c1", {"action": "unsubscribe", "session_id": sid})
    assert gone == {"type": "unsubscribed", "session_id": sid}
    assert built.subscriptions.subscribers("default", sid, [topic]) == set()
    assert _say(websocket, "c2", {"action": "unsubscribe", "session_id": sid})["type"] == "error"  # not its tenant's
    websocket.handler(_event("$disconnect", "c1"), CONTEXT)
    assert "ended" in _say(websocket, "c1", {"action": "subscribe", "session_id": sid})["detail"]


class _Closer:
    """@connections, as far as the sweep uses it."""

    def __init__(self):
        self.closed: list[str] = []

    def push(self, connection_id: str, data: bytes) -> bool:
        return True

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)


def test_a_token_of_a_revoked_key_is_denied_and_its_open_connection_swept(ws, monkeypatch):
    """The token names its holder: connect checks the holder again, and the sweep (the schedule's
    event) ends connections whose holder was revoked since."""
    import dataclasses

    from algocloud.domain.accounts import ApiKeyRecord, TenantRecord

    websocket, built = ws
    closer = _Closer()
    built = dataclasses.replace(built, pusher=closer)
    monkeypatch.setattr(websocket, "_adapters", lambda: built)
    tenant = TenantRecord.new("Sweep Co")
    built.accounts.create_tenant(tenant)
    built.accounts.add_key(ApiKeyRecord("sweepkey1", tenant.id))
    secret = built.stores.secrets.secret("events-token")
    arn = "arn:aws:execute-api:us-east-1:123456789012:api/Prod/$connect"
    token = issue_token(secret, tenant.id, holder="key:sweepkey1")[0]
    request = {"type": "REQUEST", "methodArn": arn, "queryStringParameters": {"token": token}}
    allowed = websocket.handler(request, CONTEXT)
    assert allowed["context"] == {"tenant": tenant.id, "holder": "key:sweepkey1"}
    connect = _event("$connect", "conn-swept", None)
    connect["requestContext"]["authorizer"] = allowed["context"]
    websocket.handler(connect, CONTEXT)
    assert websocket.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, CONTEXT) == {"ended": 0}
    built.accounts.revoke_key("sweepkey1", "2026-01-01T00:00:00+00:00")
    assert websocket.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, CONTEXT) == {"ended": 1}
    assert closer.closed == ["conn-swept"] and built.subscriptions.connection("conn-swept") is None
    assert websocket.handler(request, CONTEXT)["policyDocument"]["Statement"][0]["Effect"] == "Deny"

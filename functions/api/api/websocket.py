"""The events WebSocket API's Lambda (api.websocket.handler): its authorizer and its routes.

API Gateway calls it with

- the REQUEST authorizer's event at `$connect` (`type: REQUEST`): the `token` query parameter,
  from `POST /api/v1/events/token`, must be one this deployment issued and unexpired; the policy
  allows the connection and names the tenant (browsers cannot send the API key on a WebSocket);
- `$connect` / `$disconnect`: the connection is stored, and forgotten, in the connections table;
- `subscribe` (`{"action": "subscribe", "session_id": …, "scenario_id" | "job_id" |
  "experiment_id": …}`): the connection follows the session, or one scenario, job or
  experiment in it, of its own tenant. The answer (the route's response) carries the current
  status, so a client that reconnects resumes from it;
- `$default`: `{"action": "ping"}` (a keep-alive: API Gateway closes a connection 10 minutes
  after the client's last message), `{"action": "unsubscribe", …the ids subscribed with}`, and
  anything else (an error answer).

The local stacks' emulation of the WebSocket API calls this same handler.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

import orjson

from algocloud import limits
from algocloud.adapters.factory import Adapters, build_adapters
from algocloud.adapters.settings import backend_settings
from algocloud.domain.errors import DomainError
from algocloud.domain.events import token_claims, topic
from algocloud.domain.identity import Principal, PrincipalKind, Role
from algocloud.domain.identity import authorize as authorize_caller
from algocloud.domain.ports import Subscriptions
from algocloud.telemetry import instrumented
from algocloud.usecases.revocation import end_revoked_connections, holder_active, holder_role

from . import presenters

MAX_ID_CHARS = 64
# A connection's records outlive its 2-hour limit a little (TTL deletes them later still).
RECORD_SECONDS = limits.WEBSOCKET_LIFETIME_SECONDS + 60


@cache
def _adapters() -> Adapters:
    return build_adapters(backend_settings())


def _subscriptions() -> Subscriptions:
    subscriptions = _adapters().subscriptions
    assert subscriptions is not None, "no connections table configured (CONNECTIONS_TABLE)"
    return subscriptions


def _handle(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if event.get("type") == "REQUEST":
        return authorize(event)
    if event.get("source") == "aws.events":  # the schedule (once a minute): end revoked holders' connections
        return {"ended": sweep()}
    route = event["requestContext"]["routeKey"]
    connection_id = event["requestContext"]["connectionId"]
    if route == "$connect":
        authorizer = event["requestContext"].get("authorizer") or {}
        if not authorizer.get("tenant"):
            return {"statusCode": 403}
        expires_at = int(time.time()) + RECORD_SECONDS
        _subscriptions().connect(connection_id, authorizer["tenant"], expires_at, authorizer.get("holder", ""))
        return {"statusCode": 200}
    if route == "$disconnect":
        _subscriptions().disconnect(connection_id)
        return {"statusCode": 200}
    return {"statusCode": 200, "body": orjson.dumps(message(connection_id, event.get("body"))).decode()}


handler = instrumented(_handle)


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """The REQUEST authorizer: Allow with the tenant in the context, or Deny (403 at the handshake)."""
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    built = _adapters()
    claims = token_claims(built.stores.secrets.secret("events-token"), token) if len(token) < 1024 else None
    tenant, holder = claims or (None, "")
    if tenant and not holder_active(built.accounts, built.members, tenant, holder):
        tenant = None  # the key was revoked or the member removed since the token was given
    effect = "Allow" if tenant else "Deny"
    policy = {
        "principalId": tenant or "anonymous",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
    }
    if tenant:
        policy["context"] = {"tenant": tenant, "holder": holder}
    return policy


def sweep() -> int:
    """Close the open connections of keys revoked and members removed since they connected."""
    built = _adapters()
    if built.pusher is None:
        return 0
    return end_revoked_connections(_subscriptions(), built.pusher, built.accounts, built.members)


def _token_holder(tenant: str) -> Principal:
    """Who holds a connection: whoever was given its events token, which the viewer role may ask
    for (POST /events/token); so a connection may do what a viewer may."""
    return Principal(tenant, "events-token", PrincipalKind.KEY, Role.VIEWER)


def message(connection_id: str, body: str | None) -> dict[str, Any]:
    """A client's message: subscribe, unsubscribe, ping, or an error answer."""
    try:
        request = orjson.loads(body or "")
    except orjson.JSONDecodeError:
        return _error('send JSON: {"action": "subscribe", "session_id": "…"} or {"action": "ping"}')
    if not isinstance(request, dict):
        return _error("send a JSON object")
    action = request.get("action")
    if action not in ("subscribe", "unsubscribe", "ping"):
        return _error(f"unknown action {str(action)[:40]!r}: use subscribe, unsubscribe or ping")
    if action == "ping":
        return {"type": "pong"}
    connection = _subscriptions().connection(connection_id)
    if connection is None:
        return _error("this connection has ended: connect again")
    tenant, holder = connection
    try:
        authorize_caller(_token_holder(tenant), f"ws:{action}")
        if action == "unsubscribe":
            return unsubscribe(connection_id, tenant, request)
        return subscribe(connection_id, tenant, request, holder)
    except DomainError as exc:  # a name no session can have, too many subscriptions, ...
        return _error(exc.message)


class _Refused(Exception):
    """A subscription's target that does not exist or is not well formed: the error answer."""


def _sees(tenant: str, holder: str, session: Any) -> bool:
    """Whether the connection's holder may see the session: another member's private session does
    not exist for it (its role is read only then)."""
    if not session.private or session.created_by == holder:
        return True
    built = _adapters()
    return holder_role(built.accounts, built.members, tenant, holder) == Role.ADMIN


def _target(tenant: str, request: dict[str, Any], holder: str = "") -> tuple[dict[str, str], str, str, str]:
    """The ids asked for, the session they name, and the session and topic followed (an
    experiment's runs are in its run session); _Refused with the reason."""
    ids = {name: request.get(name) for name in ("session_id", "scenario_id", "job_id", "experiment_id")}
    for name, value in ids.items():
        if value is not None and (not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS):
            raise _Refused(f"{name} must be an id")
    if not ids["session_id"]:
        raise _Refused("session_id is required")
    if sum(ids[n] is not None for n in ("scenario_id", "job_id", "experiment_id")) > 1:
        raise _Refused("follow one of scenario_id, job_id or experiment_id (or none: the whole session)")
    session = _adapters().stores.sessions.find_session(tenant, str(ids["session_id"]))
    if session is None or not _sees(tenant, holder, session):
        raise _Refused(f"no session '{ids['session_id']}'")
    given = {name: str(value) for name, value in ids.items() if value is not None}
    if ids["scenario_id"]:
        return given, session.id, session.id, topic("scenario", str(ids["scenario_id"]))
    if ids["job_id"]:
        return given, session.id, session.id, topic("job", str(ids["job_id"]))
    if ids["experiment_id"]:
        experiment = _adapters().stores.experiments.get_experiment(tenant, session.id, str(ids["experiment_id"]))
        if experiment is None:
            raise _Refused(f"no experiment '{ids['experiment_id']}' in this session")
        # its runs live in its run session: following the experiment follows that session
        run_session = experiment.summary.run_session_id
        return given, session.id, run_session, topic("session", run_session)
    return given, session.id, session.id, topic("session", session.id)


def subscribe(connection_id: str, tenant: str, request: dict[str, Any], holder: str = "") -> dict[str, Any]:
    try:
        ids, asked_session, session_id, followed = _target(tenant, request, holder)
    except _Refused as refused:
        return _error(str(refused))
    stores, subscriptions = _adapters().stores, _subscriptions()
    expires = int(time.time()) + RECORD_SECONDS
    if "scenario_id" in ids:
        if stores.scenarios.get_status(tenant, session_id, ids["scenario_id"]) is None:
            return _error(f"no scenario '{ids['scenario_id']}' in this session")
        # Subscribed first, the status read after: a change in between is in the answer or an event.
        subscriptions.subscribe(connection_id, tenant, session_id, followed, expires)
        status = stores.scenarios.get_status(tenant, session_id, ids["scenario_id"])
        if status is None:
            return _error(f"no scenario '{ids['scenario_id']}' in this session")
        return presenters.subscribed(asked_session, status=status)
    job = None
    if "job_id" in ids:
        job = stores.jobs.get_job(tenant, session_id, ids["job_id"])
        if job is None:
            return _error(f"no job '{ids['job_id']}' in this session")
    experiment = (ids["experiment_id"], session_id) if "experiment_id" in ids else None
    subscriptions.subscribe(connection_id, tenant, session_id, followed, expires)
    return presenters.subscribed(asked_session, job=job, experiment=experiment)


def unsubscribe(connection_id: str, tenant: str, request: dict[str, Any]) -> dict[str, Any]:
    """Stop following what `subscribe` with the same ids followed (never followed: fine too)."""
    try:
        ids, _, session_id, followed = _target(tenant, request)
    except _Refused as refused:
        return _error(str(refused))
    _subscriptions().unsubscribe(connection_id, tenant, session_id, followed)
    return presenters.unsubscribed(ids)


def _error(detail: str) -> dict[str, Any]:
    return presenters.socket_error(detail)

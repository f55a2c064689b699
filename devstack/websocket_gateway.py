"""API Gateway's WebSocket API and its @connections endpoint, emulated in front of an ASGI app.

Both local stacks serve the events WebSocket at ws://127.0.0.1:<port>/events and its management
endpoint at http://127.0.0.1:<port>/events/@connections/{connectionId}, so the worker's and the
API's boto3 calls (`apigatewaymanagementapi`, EVENTS_ENDPOINT) are the ones they make on AWS.
Emulated, after the API Gateway developer guide ("WebSocket APIs"):

- `$connect`: the REQUEST authorizer (the same Lambda handler, `api.websocket.handler`) gets the
  query string; Deny refuses the handshake with 403, as API Gateway does. Then the `$connect`
  route's integration, with the authorizer's context in `requestContext.authorizer`.
- Messages: the route selection expression `$request.body.action` picks `subscribe` or
  `$default`; the integration's answer (`body`) goes back to the client (the routes' responses).
- `$disconnect` when either side closes, or the stack stops.
- `@connections`: POST sends one message (410 GoneException for an unknown connection, 413
  PayloadTooLargeException past 128 KB), GET describes it, DELETE closes it.
- Quotas ("Amazon API Gateway quotas for WebSocket APIs"): a frame over 128 KB closes the
  connection (1009), 10 minutes without a message from the client close it (1001, idle), and
  so do 2 hours (1001). ALGOCLOUD_WS_IDLE_SECONDS / ALGOCLOUD_WS_LIFETIME_SECONDS shorten these
  for tests.

Not emulated: custom domains, API keys on WebSocket routes, binary frames' own routing.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson

from algocloud import limits
from devstack.driver import _Context

ACCOUNT_ID = "123456789012"
API_ID = "local0ws1"
STAGE = "events"
PATH = "/events"
CONNECTIONS = f"{PATH}/@connections/"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class _Connection:
    send: Callable[[dict[str, Any]], Any]
    source_ip: str
    connected_at: float = field(default_factory=time.time)
    last_active: float = field(default_factory=time.time)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send_text(self, text: str) -> None:
        async with self.lock:
            await self.send({"type": "websocket.send", "text": text})


class WebSocketGateway:
    """ASGI: the events WebSocket API at /events, everything else to `app`."""

    def __init__(self, app: Any, handler: Handler, host: str):
        self.app = app
        self.handler = handler
        self.host = host
        self.idle_seconds = float(os.environ.get("ALGOCLOUD_WS_IDLE_SECONDS", limits.WEBSOCKET_IDLE_SECONDS))
        self.lifetime_seconds = float(
            os.environ.get("ALGOCLOUD_WS_LIFETIME_SECONDS", limits.WEBSOCKET_LIFETIME_SECONDS)
        )
        self.connections: dict[str, _Connection] = {}

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] == "websocket":
            if scope["path"].rstrip("/") == PATH:
                await self._socket(scope, receive, send)
            else:
                await receive()
                await send({"type": "websocket.close", "code": 1008})  # 403 at the handshake
            return
        if scope["type"] == "http" and scope["path"].startswith(CONNECTIONS):
            await self._manage(scope, receive, send)
            return
        await self.app(scope, receive, send)

    # -- the WebSocket ---------------------------------------------------------------------------
    def _context(self, route: str, event_type: str, connection_id: str, source_ip: str, connected_at: float):
        return {
            "routeKey": route,
            "eventType": event_type,
            "messageDirection": "IN",
            "connectionId": connection_id,
            "connectedAt": int(connected_at * 1000),
            "requestId": str(uuid.uuid4()),
            "extendedRequestId": str(uuid.uuid4()),
            "requestTimeEpoch": _now_ms(),
            "requestTime": dt.datetime.now(dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "apiId": API_ID,
            "stage": STAGE,
            "domainName": self.host,
            "identity": {"sourceIp": source_ip},
        }

    async def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        context = _Context(function_name="algocloud-events-local", deadline=time.monotonic() + 10)
        return await asyncio.to_thread(self.handler, event, context) or {}

    async def _socket(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        source_ip = (scope.get("client") or ("127.0.0.1", 0))[0]
        connection_id = base64.b64encode(secrets.token_bytes(10)).decode()
        connected_at = time.time()
        context = self._context("$connect", "CONNECT", connection_id, source_ip, connected_at)
        authorization = await self._invoke(
            {
                "type": "REQUEST",
                "methodArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{API_ID}/{STAGE}/$connect",
                "headers": headers,
                "queryStringParameters": query or None,
                "requestContext": context,
            }
        )
        statements = (authorization.get("policyDocument") or {}).get("Statement") or [{}]
        if statements[0].get("Effect") != "Allow":
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        connect = await self._invoke(
            {
                "headers": headers,
                "queryStringParameters": query or None,
                "requestContext": {
                    **context,
                    "authorizer": {**authorization.get("context", {}), "principalId": authorization["principalId"]},
                },
                "isBase64Encoded": False,
            }
        )
        if connect.get("statusCode", 200) >= 300:
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "websocket.accept"})
        connection = _Connection(send, source_ip, connected_at)
        self.connections[connection_id] = connection
        try:
            await self._serve(connection_id, connection, receive)
        finally:
            self.connections.pop(connection_id, None)
            await self._invoke(
                {
                    "requestContext": {
                        **self._context("$disconnect", "DISCONNECT", connection_id, source_ip, connected_at),
                        "disconnectStatusCode": 1001,
                    },
                    "isBase64Encoded": False,
                }
            )

    async def _serve(self, connection_id: str, connection: _Connection, receive: Callable) -> None:
        while True:
            now = time.time()
            idle_left = connection.last_active + self.idle_seconds - now
            life_left = connection.connected_at + self.lifetime_seconds - now
            if min(idle_left, life_left) <= 0:
                reason = "idle timeout" if idle_left <= 0 else "connection lifetime reached"
                async with connection.lock:
                    await connection.send({"type": "websocket.close", "code": 1001, "reason": reason})
                return
            try:
                message = await asyncio.wait_for(receive(), timeout=min(idle_left, life_left))
            except TimeoutError:
                continue
            if message["type"] == "websocket.disconnect":
                return
            connection.last_active = time.time()
            body = message.get("text")
            if body is None:
                body = (message.get("bytes") or b"").decode("utf-8", "replace")
            try:
                action = orjson.loads(body).get("action")
            except (orjson.JSONDecodeError, AttributeError):
                action = None
            route = "subscribe" if action == "subscribe" else "$default"
            context = self._context(route, "MESSAGE", connection_id, connection.source_ip, connection.connected_at)
            answer = await self._invoke(
                {"requestContext": {**context, "messageId": secrets.token_hex(8)}, "body": body}
            )
            if answer.get("body"):
                await connection.send_text(answer["body"])

    # -- @connections ----------------------------------------------------------------------------
    async def _manage(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        connection_id = scope["path"][len(CONNECTIONS) :]
        connection = self.connections.get(unquote(connection_id))
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > limits.WEBSOCKET_MESSAGE_BYTES or not message.get("more_body"):
                break
        method = scope["method"]
        if connection is None:
            await _answer(send, 410, {"message": f"the connection {connection_id} is gone"}, "GoneException")
        elif method == "POST":
            if len(body) > limits.WEBSOCKET_MESSAGE_BYTES:
                await _answer(send, 413, {"message": "a message is at most 128 KB"}, "PayloadTooLargeException")
                return
            try:
                await connection.send_text(body.decode("utf-8"))
            except (OSError, RuntimeError):  # it closed while we sent
                await _answer(send, 410, {"message": f"the connection {connection_id} is gone"}, "GoneException")
                return
            await _answer(send, 200, None)
        elif method == "GET":
            iso = lambda t: dt.datetime.fromtimestamp(t, dt.UTC).isoformat()
            described = {
                "connectedAt": iso(connection.connected_at),
                "lastActiveAt": iso(connection.last_active),
                "identity": {"sourceIp": connection.source_ip},
            }
            await _answer(send, 200, described)
        elif method == "DELETE":
            async with connection.lock:
                await connection.send({"type": "websocket.close", "code": 1000})
            await _answer(send, 204, None)
        else:
            await _answer(send, 405, {"message": "method not allowed"})


async def _answer(send: Callable, status: int, body: dict[str, Any] | None, error_type: str | None = None) -> None:
    raw = b"" if body is None else orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    if error_type:
        headers.append((b"x-amzn-errortype", error_type.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})

"""The request's correlation id: API Gateway's request id (else the caller's X-Request-Id, else a
new one), set for the request's work (queue messages carry it to the worker) and answered in
`X-Correlation-Id`, so a client can name the request when it reports a problem."""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from algocloud.run_message import correlation_id

HEADER = b"x-correlation-id"


_GIVEN = re.compile(rb"[A-Za-z0-9._:-]{1,100}")  # a caller's id is echoed and logged: nothing else


def _of(scope: Scope) -> str:
    event = scope.get("aws.event") or {}
    request_id = (event.get("requestContext") or {}).get("requestId")
    if request_id:
        return str(request_id)
    given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
    return given.decode() if _GIVEN.fullmatch(given) else uuid.uuid4().hex


class CorrelationId:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = _of(scope)
        token = correlation_id.set(value)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, value.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)

"""Request bodies over the limit (on AWS: the Lambda payload limit) get a 413, however sent.

A pure ASGI middleware: it checks Content-Length up front and also counts
the bytes of bodies sent without one (chunked), so no request reaches the
application past the limit.
"""

from __future__ import annotations

import asyncio

import orjson

from algocloud import limits


class BodyTooLarge(Exception):
    """A request body past its limit (raised by capped_receive)."""


def declared_length(headers) -> int | None:
    """The request's Content-Length (`headers`: the ASGI scope's), when it states one."""
    declared = dict(headers).get(b"content-length", b"")
    return int(declared) if declared.isdigit() else None


def capped_receive(receive, limit: int):
    """`receive` that raises BodyTooLarge once the body passes `limit` bytes, whatever
    Content-Length said (a chunked body states none)."""
    received = 0

    async def capped():
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(f"the body is over its {limit:,}-byte limit")
        return message

    return capped


def _message(size: int | None, limit: int) -> dict:
    told = f"the request body is {size:,} bytes" if size is not None else "the request body is larger than that"
    return {
        "detail": (
            f"{told}; the limit is {limit:,} bytes (on AWS: the Lambda payload limit, 6 MB once API "
            "Gateway has base64-encoded the body). Split the upload into smaller files."
        )
    }


class RequestSizeLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        # The embedded store's upload routes stand in for S3, which has its own limits (the signed ones).
        if scope["type"] != "http" or scope["path"].startswith("/_local/"):
            return await self.app(scope, receive, send)
        declared = declared_length(scope["headers"])
        if declared is not None and declared > self.max_bytes:
            return await self._refuse(send, declared)
        started = False

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive(receive, self.max_bytes), tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, None)

    async def _refuse(self, send, size: int | None) -> None:
        await send_json(send, 413, _message(size, self.max_bytes))


async def send_json(send, status: int, body: dict) -> None:
    """A whole answer with a JSON body, as a pure ASGI middleware sends it."""
    encoded = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(encoded)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": encoded})


class ResponseSizeLimit:
    """A response body over the limit is never attempted: it becomes a 413 that says what to do.

    On AWS, Lambda fails a response over 6 MB (base64 included) and API
    Gateway answers a bare 502; the endpoints that can grow (datasets,
    results, lists) already link to storage past the limit, so this is the
    guard for what remains. It sits outside compression and so measures the
    bytes that would be sent.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start: dict | None = None
        chunks: list[bytes] = []
        size = 0

        async def buffering_send(message):
            nonlocal start, size
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                return await send(message)
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if message.get("more_body"):
                return
            if size > self.max_bytes:
                return await send_json(
                    send,
                    413,
                    {
                        "detail": (
                            f"the response would be {size:,} bytes; the limit is {self.max_bytes:,} bytes (on AWS: the "
                            "Lambda response limit, 6 MB once base64-encoded). Ask with 'Accept-Encoding: gzip', or read "
                            "less at once."
                        )
                    },
                )
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(chunks)})

        await self.app(scope, receive, buffering_send)


class HeaderLimit:
    """Requests with more headers, or larger ones, than API Gateway takes get a 431 (embedded
    server; on AWS, API Gateway refuses them first)."""

    def __init__(self, app, max_bytes: int = limits.API_GATEWAY_HEADER_BYTES, max_count: int = limits.MAX_HEADERS):
        self.app = app
        self.max_bytes = max_bytes
        self.max_count = max_count

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = scope["headers"]
        size = len(scope.get("raw_path") or scope["path"]) + len(scope.get("query_string", b""))
        size += sum(len(name) + len(value) + 4 for name, value in headers)
        if len(headers) > self.max_count or size > self.max_bytes:
            detail = (
                f"the request has {len(headers)} headers and {size:,} bytes of request line and headers; "
                f"the limits are {self.max_count} headers and {self.max_bytes:,} bytes (as API Gateway's)"
            )
            return await send_json(send, 431, {"detail": detail})
        return await self.app(scope, receive, send)


class BodyReadTimeout:
    """A request body that stops arriving (less sent than Content-Length declared) is answered
    408 after `seconds` without a byte, instead of holding the connection open for ever.

    The 408 is sent from the timed-out receive itself, and the app is told the client left, so
    no handler's error handling can turn the timeout into another answer."""

    def __init__(self, app, seconds: float = limits.BODY_READ_TIMEOUT_SECONDS):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body_done = started = answered = False

        async def timed_receive():
            nonlocal body_done, answered
            if body_done or answered:  # after the body only a disconnect can come: wait for it untimed
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.seconds)
            except TimeoutError:
                if not started:
                    answered = True
                    detail = f"the request body stopped arriving: nothing for {self.seconds:g} s"
                    await send_json(send, 408, {"detail": detail})
                return {"type": "http.disconnect"}
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracking_send(message):
            nonlocal started
            if answered:  # the 408 went out; whatever the app says after the "disconnect" is dropped
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, timed_receive, tracking_send)

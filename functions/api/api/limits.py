"""Request bodies over the limit (on AWS: the Lambda payload limit) get a 413, however sent.

A pure ASGI middleware: it checks Content-Length up front and also counts
the bytes of bodies sent without one (chunked), so no request reaches the
application past the limit.
"""

from __future__ import annotations

import orjson


class _TooLarge(Exception):
    pass


def _message(size: int | None, limit: int) -> bytes:
    told = f"the request body is {size:,} bytes" if size is not None else "the request body is larger than that"
    return orjson.dumps(
        {
            "detail": (
                f"{told}; the limit is {limit:,} bytes (on AWS: the Lambda payload limit, 6 MB once API "
                "Gateway has base64-encoded the body). Split the upload into smaller files."
            )
        }
    )


class RequestSizeLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        # The embedded store's upload routes stand in for S3, which has its own limits (the signed ones).
        if scope["type"] != "http" or scope["path"].startswith("/_local/"):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send, int(declared))
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, None)

    async def _refuse(self, send, size: int | None) -> None:
        await _send_413(send, _message(size, self.max_bytes))


async def _send_413(send, body: bytes) -> None:
    """A whole 413 answer with a JSON body, as a pure ASGI middleware sends it."""
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


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
                return await _send_413(
                    send,
                    orjson.dumps(
                        {
                            "detail": (
                                f"the response would be {size:,} bytes; the limit is {self.max_bytes:,} bytes (on AWS: the "
                                "Lambda response limit, 6 MB once base64-encoded). Ask with 'Accept-Encoding: gzip', or read "
                                "less at once."
                            )
                        }
                    ),
                )
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(chunks)})

        await self.app(scope, receive, buffering_send)

"""Response compression that honours the client's Accept-Encoding weights.

Starlette's GZipMiddleware compresses whenever the header mentions "gzip",
so `gzip;q=0` (gzip refused) still got gzip. Here the header is parsed, and
clients that refuse gzip get the plain body.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (`gzip;q=0` refuses it, `*` allows it)."""
    weights: dict[str, float] = {}
    for part in header.split(","):
        name, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            label, _, value = parameter.strip().partition("=")
            if label.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name:
            weights[name.strip().lower()] = quality
    return weights.get("gzip", weights.get("*", 0.0)) > 0


class NegotiatedGZip:
    def __init__(self, app, minimum_size: int = 1024, compresslevel: int = 5):
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            header = next((v for k, v in scope["headers"] if k == b"accept-encoding"), b"").decode("latin-1")
            if accepts_gzip(header):
                return await self.gzip(scope, receive, send)
        return await self.app(scope, receive, send)

"""Mangum around the app, with the REST API stage as root path."""

from __future__ import annotations

from mangum import Mangum


def _with_stage_root_path(asgi_app):
    """Behind a REST API stage (/Prod/...), tell the app its root path.

    Mangum hands the app the path without the stage; FastAPI then serves
    /docs pointing at /openapi.json, outside the stage. With root_path set,
    Swagger UI loads /Prod/openapi.json. Custom domains (no stage in the
    request path) are left alone.
    """

    async def wrapped(scope, receive, send):
        event = scope.get("aws.event") or {}
        context = event.get("requestContext") or {}
        stage, full_path = context.get("stage"), context.get("path") or ""
        if scope["type"] == "http" and stage and full_path.startswith(f"/{stage}/"):
            scope = {**scope, "root_path": f"/{stage}", "path": f"/{stage}{scope['path']}"}
        await asgi_app(scope, receive, send)

    return wrapped


def build_handler(asgi_app) -> Mangum:
    # lifespan="off": otherwise startup and shutdown would run on every invocation.
    return Mangum(_with_stage_root_path(asgi_app), lifespan="off")

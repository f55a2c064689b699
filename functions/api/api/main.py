"""The FastAPI application: routers under the prefix, health at both paths."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from . import errors
from .encoding import NegotiatedGZip
from .limits import RequestSizeLimit, ResponseSizeLimit
from .models import ErrorBody
from .routers import catalog, data, meta, scenarios, sessions, uploads
from .settings import ApiSettings, get_settings


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # FastAPIOffline: a FastAPI whose /docs and /redoc load their assets from the app
    # (/static-offline-docs, under the stage's root path), not from a CDN.
    app = FastAPIOffline(
        title="algocloud scenario API",
        description="Sessions, datasets, scenarios and runs (the Algomancy HTTP contract) on AWS.",
        version="0.1.0",
    )
    app.state.settings = settings
    errors.install(app)

    app.add_middleware(RequestSizeLimit, max_bytes=settings.request_limit)
    # Smaller responses for clients and under Lambda's 6 MB response limit.
    app.add_middleware(NegotiatedGZip, minimum_size=1024, compresslevel=5)
    if settings.backend == "aws":  # only Lambda bounds a response; locally, large ones are just large
        app.add_middleware(ResponseSizeLimit, max_bytes=settings.response_limit)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["*"], allow_headers=["*"],
        )

    if settings.backend == "embedded":
        from .routers import local_blobs

        app.include_router(local_blobs.router)
    app.include_router(meta.router)  # /health
    for router in (meta.router, sessions.router, catalog.router, scenarios.router, data.router, uploads.router):
        app.include_router(router, prefix=settings.api_prefix)
    _document_errors(app)
    return app


def _document_errors(app: FastAPI) -> None:
    """Every documented 4xx/5xx answers {"detail": ...} (models.ErrorBody), unless it says otherwise."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            for code, response in route.responses.items():
                if str(code)[0] in "45" and "model" not in response and str(code) != "422":
                    response["model"] = ErrorBody

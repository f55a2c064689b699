"""The FastAPI application: routers under the prefix, health at both paths."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from . import errors
from .audit_trail import AuditTrail
from .correlation import CorrelationId
from .deps import authorization
from .encoding import NegotiatedGZip
from .limits import BodyReadTimeout, HeaderLimit, RequestSizeLimit, ResponseSizeLimit
from .models import ErrorBody
from .routers import audit, catalog, data, events, experiments, keys, meta, scenarios, sessions, uploads, usage
from .settings import ApiSettings, get_settings


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # FastAPIOffline: a FastAPI whose /docs and /redoc load their assets from the app
    # (/static-offline-docs, under the stage's root path), not from a CDN.
    app = FastAPIOffline(
        title="algocloud scenario API",
        description="Sessions, datasets, scenarios and runs (the Algomancy HTTP contract) on AWS.",
        version="0.1.0",
        openapi_tags=TAGS,
        generate_unique_id_function=_operation_id(settings.api_prefix),
    )
    _complete_the_document(app, settings)
    app.state.settings = settings
    errors.install(app)

    app.add_middleware(RequestSizeLimit, max_bytes=settings.request_limit)
    if not settings.on_lambda:  # on Lambda, API Gateway bounds headers and the function gets whole bodies
        app.add_middleware(BodyReadTimeout, seconds=settings.body_read_timeout_seconds)
        app.add_middleware(HeaderLimit)
    # Smaller responses for clients and under Lambda's 6 MB response limit.
    app.add_middleware(NegotiatedGZip, minimum_size=1024, compresslevel=5)
    if settings.on_lambda:  # only Lambda bounds a response; in a process, large ones are just large
        app.add_middleware(ResponseSizeLimit, max_bytes=settings.response_limit)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["x-correlation-id", "x-next-cursor", "link"],
        )
    app.add_middleware(AuditTrail)  # inside the correlation id: an entry names its request
    app.add_middleware(CorrelationId)  # outermost: every answer, refusals included, carries it

    # every operation: who calls, and may they (domain.identity)
    app.include_router(meta.root, dependencies=[Depends(authorization(at_root=True))])  # /health
    for router in (
        meta.router,
        sessions.router,
        catalog.router,
        scenarios.router,
        experiments.router,
        data.router,
        uploads.router,
        usage.router,
        events.router,
        audit.router,
        keys.router,
    ):
        app.include_router(router, prefix=settings.api_prefix, dependencies=[Depends(authorization())])
    return app


TAGS = [
    {"name": "meta", "description": "Liveness and the application's title; who is calling."},
    {
        "name": "sessions",
        "description": "Workspaces: each holds datasets and scenarios. `{sid}` is a session's id "
        "or its current display name.",
    },
    {
        "name": "algorithms & KPIs",
        "description": "What the application offers: algorithms with their parameter "
        "descriptors, and the KPI templates.",
    },
    {
        "name": "scenarios",
        "description": "An algorithm, its parameters and a dataset; run, polled, cancelled, compared by KPI.",
    },
    {
        "name": "experiments",
        "description": "Parameter sweeps over datasets and repetitions, run in parallel, reported per parameter "
        "set and judged against a baseline.",
    },
    {"name": "data", "description": "Datasets: read, paged, derived, imported (from-json) and built by ETL."},
    {"name": "uploads", "description": "Files of any size straight to storage, and the ingestion jobs that read them."},
    {"name": "usage", "description": "What the calling tenant used, per day (what it is billed on)."},
    {"name": "keys", "description": "The tenant's API keys, managed by its admins (where the deployment takes keys)."},
    {"name": "audit", "description": "Who did what in the tenant: the tamper-evident audit log (admins)."},
    {
        "name": "events",
        "description": "Pushed progress: a WebSocket (open it with a token from `POST /events/token`) and signed "
        "webhooks, retried with backoff. Polling `…/status` keeps working.",
    },
]


def _operation_id(api_prefix: str):
    """Readable operation ids (the handler's name: `list_scenarios`), so generated clients read well."""

    def operation_id(route: APIRoute) -> str:
        return route.name if route.path.startswith(api_prefix) else f"root_{route.name}"

    return operation_id


def _complete_the_document(app: FastAPI, settings: ApiSettings) -> None:
    """What route declarations cannot say: every documented error answers {"detail": ...}
    (models.ErrorBody); with keys required every operation takes `x-api-key`; with sign-in on, a
    bearer token from the OpenID Connect provider the `SignIn` scheme names (its discovery URL,
    and in `x-client-id` the public app client that clients sign in with: `algocloud login` and
    the frontend read them here), or an API key as the bearer value."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {})["ErrorBody"] = ErrorBody.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
            for path in schema["paths"].values():
                for operation in path.values():
                    for code, response in operation.get("responses", {}).items():
                        if code[0] in "45" and code != "422" and "content" not in response:
                            response["content"] = error
            if settings.sign_in:
                assert settings.oidc_issuer
                components["securitySchemes"] = {
                    "SignIn": {
                        "type": "openIdConnect",
                        "openIdConnectUrl": settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
                        "description": "Authorization: Bearer <token> from the provider (or <API key>)",
                        "x-client-id": settings.oidc_client_id or settings.oidc_audience,
                    }
                }
                schema["security"] = [{"SignIn": []}]
            elif settings.require_api_key:
                components["securitySchemes"] = {
                    "ApiKey": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "x-api-key",
                        "description": "your API key (issued to your tenant by the operator)",
                    }
                }
                schema["security"] = [{"ApiKey": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

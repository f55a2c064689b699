"""Request dependencies: the tenant, and the use cases of each aggregate bound to it.

The adapters (AWS or embedded, as the settings say) and the application config are built once per
container and shared by every request.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from algocloud.adapters.factory import Adapters, build_adapters, run_queue_consumer
from algocloud.appconfig import load_app_config
from algocloud.domain.errors import InvalidRequest
from algocloud.domain.ports import QueueConsumer
from algocloud.usecases.datasets import Datasets
from algocloud.usecases.experiments import Experiments
from algocloud.usecases.ingestion import Ingestion, Uploads
from algocloud.usecases.scenarios import Scenarios
from algocloud.usecases.scope import TenantScope
from algocloud.usecases.sessions import Sessions

from .settings import ApiSettings, get_settings

DEFAULT_TENANT = "default"


@cache
def adapters(settings: ApiSettings) -> Adapters:
    return build_adapters(settings)


@cache
def held_messages(settings: ApiSettings) -> QueueConsumer | None:
    """The run queue's consuming side, where there is a container tier: a cancel frees the
    message a container run holds."""
    return run_queue_consumer(settings) if adapters(settings).launcher is not None else None


# The dependencies are `async def`: they do no I/O once a tenant is bootstrapped, and a
# sync dependency would cost a thread-pool round trip on every request.
async def tenant_id(request: Request) -> str:
    """When keys are required: the tenant of the API key API Gateway accepted (its id is in the
    request context), unless the key was revoked. One read per request, so a revocation holds at
    once, even before API Gateway stops taking the key."""
    settings: ApiSettings = request.app.state.settings
    if not settings.require_api_key:
        return DEFAULT_TENANT
    event = request.scope.get("aws.event") or {}
    key_id = (event.get("requestContext") or {}).get("identity", {}).get("apiKeyId")
    if not key_id:
        raise HTTPException(status_code=403, detail="an API key is required (the x-api-key header)")
    try:
        key = await run_in_threadpool(adapters(settings).accounts.get_key, str(key_id))
    except InvalidRequest:
        key = None
    if key is None or not key.active:
        raise HTTPException(
            status_code=403, detail="this API key was revoked or belongs to no tenant: ask the operator for a new one"
        )
    return key.tenant_id


async def get_scope(request: Request, tenant: Annotated[str, Depends(tenant_id)]) -> TenantScope:
    built = adapters(request.app.state.settings)  # built once per container
    scope = TenantScope(load_app_config(), built.stores, built.blobs, built.accounts, tenant)
    sessions = Sessions(scope)
    if not sessions.is_bootstrapped():
        await run_in_threadpool(sessions.ensure_tenant)  # a tenant's first request: storage I/O
    return scope


Scope = Annotated[TenantScope, Depends(get_scope)]


async def get_sessions(scope: Scope) -> Sessions:
    return Sessions(scope)


def _scenarios(request: Request, scope: TenantScope) -> Scenarios:
    settings = request.app.state.settings
    built = adapters(settings)
    return Scenarios(scope, built.queue, built.launcher, held_messages(settings))


async def get_scenarios(request: Request, scope: Scope) -> Scenarios:
    return _scenarios(request, scope)


async def get_datasets(scope: Scope) -> Datasets:
    return Datasets(scope)


async def get_uploads(scope: Scope) -> Uploads:
    return Uploads(scope)


async def get_ingestion(request: Request, scope: Scope) -> Ingestion:
    return Ingestion(scope, adapters(request.app.state.settings).queue)


async def get_experiments(request: Request, scope: Scope) -> Experiments:
    built = adapters(request.app.state.settings)
    return Experiments(
        scope, built.queue, request.app.state.settings.experiment_concurrency, _scenarios(request, scope)
    )


SessionsUseCases = Annotated[Sessions, Depends(get_sessions)]
ScenariosUseCases = Annotated[Scenarios, Depends(get_scenarios)]
DatasetsUseCases = Annotated[Datasets, Depends(get_datasets)]
UploadsUseCases = Annotated[Uploads, Depends(get_uploads)]
IngestionUseCases = Annotated[Ingestion, Depends(get_ingestion)]
ExperimentsUseCases = Annotated[Experiments, Depends(get_experiments)]


def require_session_create(request: Request) -> None:
    if not request.app.state.settings.allow_session_create:
        raise HTTPException(status_code=403, detail="this deployment does not let clients create sessions")


__all__ = [
    "DatasetsUseCases",
    "IngestionUseCases",
    "ScenariosUseCases",
    "Scope",
    "SessionsUseCases",
    "UploadsUseCases",
    "adapters",
    "get_settings",
    "require_session_create",
    "tenant_id",
]

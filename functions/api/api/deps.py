"""Request dependencies: who is calling and whether they may, and the use cases of each aggregate
bound to the caller's tenant.

The adapters (AWS or embedded, as the settings say) and the application config are built once per
container and shared by every request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from algocloud.adapters.factory import Adapters, build_adapters, run_queue_consumer
from algocloud.appconfig import load_app_config
from algocloud.domain.errors import InvalidRequest
from algocloud.domain.identity import Principal, PrincipalKind, authorize
from algocloud.domain.ports import QueueConsumer
from algocloud.usecases.audit import AUDIT_KEY, Auditing
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
def auditing(settings: ApiSettings) -> Auditing | None:
    """The audit log (None for a deployment without one)."""
    built = adapters(settings)
    if built.audit is None:
        return None
    return Auditing(built.audit, built.stores.secrets.secret(AUDIT_KEY), settings.audit_retention_days)


@cache
def held_messages(settings: ApiSettings) -> QueueConsumer | None:
    """The run queue's consuming side, where there is a container tier: a cancel frees the
    message a container run holds."""
    return run_queue_consumer(settings) if adapters(settings).launcher is not None else None


# The dependencies are `async def`: they do no I/O once a tenant is bootstrapped, and a
# sync dependency would cost a thread-pool round trip on every request.
async def principal(request: Request) -> Principal:
    """Who is calling. When keys are required: the API key API Gateway accepted (its id is in the
    request context), in its tenant with its role, unless it was revoked: one read per request, so
    a revocation holds at once, even before API Gateway stops taking the key. Otherwise the
    deployment is open, as the reference contract is: every caller is its one tenant's admin."""
    settings: ApiSettings = request.app.state.settings
    event = request.scope.get("aws.event") or {}
    identity = (event.get("requestContext") or {}).get("identity") or {}
    ip = identity.get("sourceIp") or (request.client.host if request.client else None)
    request.state.auditing, request.state.ip = auditing(settings), ip  # for audit_trail, refusals included
    if not settings.require_api_key:
        request.state.principal = Principal.anonymous(DEFAULT_TENANT, ip)
        return request.state.principal
    key_id = identity.get("apiKeyId")
    request.state.claimed = str(key_id or "no key")[:64]
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
    request.state.tenant = key.tenant_id
    request.state.principal = Principal(key.tenant_id, key.key_id, PrincipalKind.KEY, key.role, ip)
    return request.state.principal


Caller = Annotated[Principal, Depends(principal)]


def authorization(at_root: bool = False) -> Callable[..., Awaitable[None]]:
    """The one check of every operation (domain.identity.POLICY, by its operation id: the route's
    name, `root_` before it outside the prefix), before anything else of the request is read or
    done: a 403 that names the role it needs. Every router is included with it (main.py)."""

    async def authorized(request: Request, caller: Caller) -> None:
        name = getattr(request.scope.get("route"), "name", "")
        request.state.operation = f"root_{name}" if at_root else name
        request.state.principal, request.state.auditing = caller, auditing(request.app.state.settings)
        authorize(caller, request.state.operation)

    return authorized


async def get_scope(request: Request, caller: Caller) -> TenantScope:
    built = adapters(request.app.state.settings)  # built once per container
    scope = TenantScope(load_app_config(), built.stores, built.blobs, built.accounts, caller)
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
    "authorization",
    "get_settings",
    "principal",
    "require_session_create",
]

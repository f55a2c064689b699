"""Request dependencies: who is calling and whether they may, and the use cases of each aggregate
bound to the caller's tenant.

The adapters (AWS or embedded, as the settings say) and the application config are built once per
container and shared by every request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from algocloud.adapters.factory import Adapters, build_adapters, run_queue_consumer
from algocloud.appconfig import load_app_config
from algocloud.domain.accounts import ApiKeyRecord, key_digest
from algocloud.domain.errors import InvalidRequest
from algocloud.domain.identity import Principal, PrincipalKind, authorize
from algocloud.domain.ports import QueueConsumer
from algocloud.usecases.audit import Auditing
from algocloud.usecases.datasets import Datasets
from algocloud.usecases.experiments import Experiments
from algocloud.usecases.ingestion import Ingestion, Uploads
from algocloud.usecases.scenarios import Scenarios
from algocloud.usecases.scope import TenantScope
from algocloud.usecases.sessions import Sessions

from .settings import ApiSettings, get_settings
from .signin import Claims, TokenRejected, bearer_token, is_jwt, verifier_for

logger = logging.getLogger(__name__)

DEFAULT_TENANT = "default"


@cache
def adapters(settings: ApiSettings) -> Adapters:
    return build_adapters(settings)


@cache
def auditing(settings: ApiSettings) -> Auditing | None:
    """The audit log (None for a deployment without one)."""
    built = adapters(settings)
    return Auditing.of_deployment(built.audit, built.stores.secrets, settings.audit_retention_days)


@cache
def held_messages(settings: ApiSettings) -> QueueConsumer | None:
    """The run queue's consuming side, where there is a container tier: a cancel frees the
    message a container run holds."""
    return run_queue_consumer(settings) if adapters(settings).launcher is not None else None


TENANT_HEADER = "x-algocloud-tenant"  # which of their tenants a person in several acts in


def _unauthorized(request: Request, reason: str, detail: str) -> HTTPException:
    """401, with the reason in the log (the answer says less: no oracle for forgers)."""
    logger.warning("sign-in refused: %s (%s %s from %s)", reason, request.method, request.url.path, request.state.ip)
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def _read[T](settings: ApiSettings, read: Callable[..., T], *args: Any) -> T:
    """One storage read of the request's caller, on the event loop where that is cheap and safe
    (on Lambda a container serves one request at a time; the embedded store reads in well under a
    millisecond, less than the hop to a worker thread and back), else on a worker thread."""
    if settings.on_lambda or settings.backend == "embedded":
        return read(*args)
    return await run_in_threadpool(read, *args)


# The dependencies are `async def`: they do no I/O once a tenant is bootstrapped, and a
# sync dependency would cost a thread-pool round trip on every request.
async def principal(request: Request) -> Principal:
    """Who is calling:
    - a server with an API key: the key API Gateway accepted (its id in the request context), the
      one the Lambda authorizer found, or (no gateway in front) the `x-api-key` or bearer value
      found here by its digest; in the key's tenant with its role, unless it was revoked or expired
      (read on every request, so a revocation holds at once);
    - a person signed in with the deployment's OpenID Connect provider: their token, verified by
      the Lambda authorizer (its context) or here, and their membership, read on every request (so
      a removal or a lower role holds at once), in the tenant they name when they have several;
    - else, when the deployment asks for no credentials (the reference contract's open API),
      anyone, as its one tenant's admin."""
    settings: ApiSettings = request.app.state.settings
    context = (request.scope.get("aws.event") or {}).get("requestContext") or {}
    identity, authorizer = context.get("identity") or {}, context.get("authorizer") or {}
    ip = identity.get("sourceIp") or (request.client.host if request.client else None)
    request.state.auditing, request.state.ip = auditing(settings), ip  # for audit_trail, refusals included
    if settings.anonymous_allowed:
        request.state.principal = Principal.anonymous(DEFAULT_TENANT, ip)
        return request.state.principal
    key_id = identity.get("apiKeyId") or (authorizer.get("key_id") if authorizer.get("kind") == "key" else None)
    token = bearer_token(request.headers.get("authorization"))
    if key_id or not (authorizer.get("kind") == "user" or (token and is_jwt(token))):
        value = token or request.headers.get("x-api-key")
        request.state.principal = await _key_principal(request, settings, key_id, value, ip)
        return request.state.principal
    claims = await _claims(request, settings, authorizer, token)
    request.state.principal = await _read(settings, _member, request, settings, claims, ip)
    return request.state.principal


async def _key_principal(
    request: Request, settings: ApiSettings, key_id: str | None, value: str | None, ip: str | None
) -> Principal:
    key = await _read(settings, _key, settings, key_id, value)
    request.state.claimed = str(key_id or (key.key_id if key else "no key"))[:64]
    if key is None and not key_id:
        if settings.sign_in:
            reason = "an unknown API key" if value else "no credentials"
            raise _unauthorized(request, reason, "sign in (Authorization: Bearer <token>) or send an API key")
        if not value:
            raise HTTPException(status_code=403, detail="an API key is required (the x-api-key header)")
    if key is None or not key.active:
        raise HTTPException(
            status_code=403, detail="this API key was revoked or belongs to no tenant: ask the operator for a new one"
        )
    request.state.tenant = key.tenant_id
    return Principal(key.tenant_id, key.key_id, PrincipalKind.KEY, key.role, ip)


def _key(settings: ApiSettings, key_id: str | None, value: str | None) -> ApiKeyRecord | None:
    """The key by the id the gateway or authorizer vouched for, else by its value's digest."""
    accounts = adapters(settings).accounts
    try:
        if key_id:
            return accounts.get_key(str(key_id))
        return accounts.key_by_digest(key_digest(value)) if value else None
    except InvalidRequest:
        return None


async def _claims(request: Request, settings: ApiSettings, authorizer: dict, token: str | None) -> Claims:
    """The caller's verified token claims: from the Lambda authorizer's context when it ran (API
    Gateway sets it; a client cannot), else the bearer token checked here."""
    if authorizer.get("kind") == "user":
        return Claims(authorizer["issuer"], authorizer["subject"], authorizer.get("email") or None,
                      int(authorizer["expires_at"]))  # fmt: skip
    request.state.claimed = "a rejected token"
    if not settings.sign_in or token is None:
        raise _unauthorized(
            request, "a token where sign-in is off", "this deployment takes API keys, not sign-in tokens"
        )
    verifier = verifier_for(settings)
    remembered = verifier.remembered(token)
    if remembered is not None:
        return remembered
    try:
        return await run_in_threadpool(verifier.verify, token)  # may fetch the provider's keys
    except TokenRejected as rejected:
        raise _unauthorized(request, rejected.reason, "the sign-in token was not accepted: sign in again") from None


def _member(request: Request, settings: ApiSettings, claims: Claims, ip: str | None) -> Principal:
    """The signed-in person's principal in the tenant they act in (one read)."""
    request.state.claimed = claims.subject[:64]
    memberships = adapters(settings).members.memberships(claims.issuer, claims.subject)
    wanted = request.headers.get(TENANT_HEADER)
    chosen = [m for m in memberships if wanted is None or m.tenant_id == wanted]
    if not chosen:
        reason = f"not a member of tenant {wanted[:64]!r}" if wanted else "a member of no tenant"
        raise _unauthorized(request, f"{claims.subject[:64]}: {reason}", f"you are {reason} here")
    if len(chosen) > 1:
        tenants = ", ".join(m.tenant_id for m in chosen)
        raise HTTPException(
            status_code=400,
            detail=f"you are a member of several tenants; name one in the {TENANT_HEADER} header: {tenants}",
        )
    member = chosen[0]
    request.state.tenant = member.tenant_id
    email = claims.email or member.email
    return Principal(member.tenant_id, claims.subject, PrincipalKind.USER, member.role, ip, email, claims.issuer)


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

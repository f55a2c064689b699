"""Request dependencies: the tenant and a service bound to it.

The adapters (AWS or embedded, as the settings say) and the application config are built once per
container and shared by every request.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from algocloud.adapters.factory import Adapters, build_adapters
from algocloud.appconfig import load_app_config
from algocloud.service import ScenarioService

from .settings import ApiSettings, get_settings

DEFAULT_TENANT = "default"


@cache
def adapters(settings: ApiSettings) -> Adapters:
    return build_adapters(settings)


# The dependencies are `async def`: they do no I/O once a tenant is bootstrapped, and a
# sync dependency would cost a thread-pool round trip on every request.
async def tenant_id(request: Request) -> str:
    """The API key's id from API Gateway's request context when keys are required."""
    settings: ApiSettings = request.app.state.settings
    if not settings.require_api_key:
        return DEFAULT_TENANT
    event = request.scope.get("aws.event") or {}
    key_id = (event.get("requestContext") or {}).get("identity", {}).get("apiKeyId")
    if not key_id:
        raise HTTPException(status_code=403, detail="an API key is required")
    return str(key_id)


async def get_service(request: Request, tenant: Annotated[str, Depends(tenant_id)]) -> ScenarioService:
    built = adapters(request.app.state.settings)  # built once per container
    service = ScenarioService(load_app_config(), built.repo, built.blobs, built.queue, tenant)
    if not service.is_bootstrapped():
        await run_in_threadpool(service.ensure_tenant)  # a tenant's first request: storage I/O
    return service


Service = Annotated[ScenarioService, Depends(get_service)]


def require_session_create(request: Request) -> None:
    if not request.app.state.settings.allow_session_create:
        raise HTTPException(status_code=403, detail="this deployment does not let clients create sessions")


__all__ = ["Service", "get_settings", "require_session_create", "tenant_id"]

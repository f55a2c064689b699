from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from algocloud.usecases.keys import TenantKeys

from .. import models, presenters
from ..deps import Caller, adapters
from ..responses import OrjsonResponse
from ..schemas import KeyBody

router = APIRouter(tags=["keys"])


def tenant_keys(request: Request, caller: Caller) -> TenantKeys:
    settings = request.app.state.settings
    built = adapters(settings)
    if settings.anonymous_allowed:
        raise HTTPException(status_code=404, detail="this deployment asks for no credentials, so it has no API keys")
    if built.keys is None:
        raise HTTPException(status_code=404, detail="this deployment has no API keys (no usage plan is configured)")
    return TenantKeys(caller, built.accounts, built.keys)


Keys = Annotated[TenantKeys, Depends(tenant_keys)]


@router.post(
    "/keys",
    status_code=201,
    response_model=models.IssuedKey,
    responses={403: {"description": "a role above the caller's"}, 404: {"description": "no API keys here"}},
    summary="A new API key of the caller's tenant: its value is in this answer only",
)
def create_key(body: KeyBody, keys: Keys) -> Response:
    return OrjsonResponse(presenters.issued_key(keys.create(body.role, body.expires_in_days)), status_code=201)


@router.get("/keys", response_model=list[models.ApiKey], summary="The tenant's API keys (never their values)")
def list_keys(keys: Keys) -> Response:
    return OrjsonResponse([presenters.api_key(key) for key in keys.listing()])


@router.delete(
    "/keys/{key_id}",
    response_model=models.ApiKey,
    responses={404: {"description": "no such key in this tenant"}},
    summary="Revoke a key: refused from the next request on",
)
def revoke_key(
    key_id: Annotated[str, Path(max_length=64, description="the key's id (not its value)")], keys: Keys
) -> Response:
    return OrjsonResponse(presenters.api_key(keys.revoke(key_id)))

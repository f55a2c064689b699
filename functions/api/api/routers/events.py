"""Pushed events: the WebSocket token, and the tenant's webhooks."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response

from algocloud.domain.events import issue_token
from algocloud.usecases.webhooks import WebhookRegistry

from .. import models, presenters, schemas
from ..deps import Scope, adapters

router = APIRouter(tags=["events"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such webhook"}}
HookId = Annotated[str, Path(max_length=64, description="the webhook's id (from POST /webhooks)")]


@router.post(
    "/events/token",
    response_model=models.EventsToken,
    responses={404: {"description": "this deployment pushes no events: poll …/status"}},
    summary="A short-lived token to open the events WebSocket with (browsers cannot send the API key on one)",
)
def events_token(request: Request, scope: Scope) -> dict:
    settings = request.app.state.settings
    if not settings.events_url:
        raise HTTPException(status_code=404, detail="this deployment pushes no events: poll …/status")
    secret = scope.stores.secrets.secret("events-token")
    token, expires_at = issue_token(secret, scope.tenant, holder=scope.principal.holder)
    return presenters.events_token(token, settings.events_url, expires_at)


def _registry(request: Request, scope: Scope) -> WebhookRegistry:
    settings = request.app.state.settings
    built = adapters(settings)
    if built.webhooks is None or built.deliveries is None:
        raise HTTPException(status_code=404, detail="this deployment delivers no webhooks")
    forget = built.publisher.forget_hooks if built.publisher is not None else (lambda tenant: None)
    return WebhookRegistry(built.webhooks, scope.tenant, settings.webhook_allow_loopback, forget, scope.principal.actor)


@router.post(
    "/webhooks",
    status_code=201,
    response_model=models.WebhookWithSecret,
    responses={400: {"description": "a URL or event type refused"}, 409: {"description": "too many webhooks"}},
    summary="Register an endpoint for the tenant's events (its secret signs every delivery)",
)
def add_webhook(body: schemas.WebhookBody, request: Request, scope: Scope) -> dict:
    return presenters.webhook(_registry(request, scope).add(body.url, body.events), with_secret=True)


@router.get("/webhooks", response_model=models.WebhookList, summary="The tenant's webhooks")
def list_webhooks(request: Request, scope: Scope) -> dict:
    return presenters.webhooks(_registry(request, scope).all())


@router.get("/webhooks/{hook_id}", response_model=models.Webhook, responses=NOT_FOUND, summary="One webhook")
def get_webhook(hook_id: HookId, request: Request, scope: Scope) -> dict:
    return presenters.webhook(_registry(request, scope).get(hook_id))


@router.delete("/webhooks/{hook_id}", status_code=204, responses=NOT_FOUND, summary="Remove a webhook")
def remove_webhook(hook_id: HookId, request: Request, scope: Scope) -> Response:
    _registry(request, scope).remove(hook_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{hook_id}/rotate",
    response_model=models.WebhookWithSecret,
    responses=NOT_FOUND,
    summary="A new signing secret (the old one stops at once)",
)
def rotate_webhook(hook_id: HookId, request: Request, scope: Scope) -> dict:
    return presenters.webhook(_registry(request, scope).rotate(hook_id), with_secret=True)


@router.post(
    "/webhooks/{hook_id}/enable",
    response_model=models.Webhook,
    responses={**NOT_FOUND, 409: {"description": "enabled already"}},
    summary="Deliver again to a webhook disabled after repeated failures",
)
def enable_webhook(hook_id: HookId, request: Request, scope: Scope) -> dict:
    return presenters.webhook(_registry(request, scope).enable(hook_id))


@router.get(
    "/webhooks/{hook_id}/deliveries",
    response_model=models.DeliveryLog,
    responses=NOT_FOUND,
    summary="The webhook's latest delivery attempts, newest first (kept 7 days)",
)
def webhook_deliveries(hook_id: HookId, request: Request, scope: Scope) -> dict:
    return presenters.deliveries(_registry(request, scope).deliveries(hook_id))

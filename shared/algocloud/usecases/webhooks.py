"""Webhooks: a tenant registers endpoints; the webhook queue's consumer delivers each event to
each of them, signed, retried with backoff through the queue, logged, and disables an endpoint
that keeps failing (domain.webhooks)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

import orjson

from ..domain.errors import Conflict, NotFound
from ..domain.ports import DeliveryQueue, WebhookStore
from ..domain.scenario import now_iso
from ..domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryAttempt,
    DeliveryMessage,
    Webhook,
    checked_events,
    checked_url,
    retry_delay,
    signature,
)

MAX_LOGGED = 100
logger = logging.getLogger(__name__)


class WebhookSender(Protocol):
    def post(self, url: str, headers: dict[str, str], body: bytes) -> tuple[int | None, str | None]:
        """POST once: (status code, None), or (None, why it could not be sent)."""
        ...


class WebhookRegistry:
    """A tenant's webhooks."""

    def __init__(
        self,
        store: WebhookStore,
        tenant: str,
        allow_loopback_http: bool,
        changed: Callable[[str], None],
        actor: str | None = None,
    ):
        self.store = store
        self.tenant = tenant
        self.allow_loopback_http = allow_loopback_http
        self._changed = changed
        self.actor = actor  # who registers (domain.identity.Principal.actor)

    def add(self, url: str, events: list[str] | None) -> Webhook:
        hook = Webhook(checked_url(url, self.allow_loopback_http), checked_events(events), created_by=self.actor)
        self.store.add_webhook(self.tenant, hook)
        self._changed(self.tenant)
        return hook

    def all(self) -> list[Webhook]:
        return self.store.webhooks(self.tenant)

    def get(self, hook_id: str) -> Webhook:
        hook = self.store.get_webhook(self.tenant, hook_id)
        if hook is None:
            raise NotFound(f"no webhook '{hook_id}'")
        return hook

    def remove(self, hook_id: str) -> None:
        self.store.remove_webhook(self.tenant, hook_id)
        self._changed(self.tenant)

    def rotate(self, hook_id: str) -> Webhook:
        """A new secret; the old one stops signing at once."""
        hook = self.get(hook_id).rotated()
        self.store.put_webhook(self.tenant, hook)
        return hook

    def enable(self, hook_id: str) -> Webhook:
        """Deliver again to a webhook disabled after failures."""
        hook = self.get(hook_id)
        if hook.enabled:
            raise Conflict("the webhook is enabled already")
        hook = replace(hook, enabled=True, disabled_reason=None, failures=0)
        self.store.put_webhook(self.tenant, hook)
        self._changed(self.tenant)
        return hook

    def deliveries(self, hook_id: str, limit: int = MAX_LOGGED) -> list[DeliveryAttempt]:
        self.get(hook_id)
        return self.store.deliveries(self.tenant, hook_id, limit)


class WebhookDeliveries:
    """The webhook queue's consumer: one attempt per message."""

    def __init__(
        self,
        store: WebhookStore,
        queue: DeliveryQueue,
        sender: WebhookSender,
        retry_seconds: float,
        disable_after: int,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.queue = queue
        self.sender = sender
        self.retry_seconds = retry_seconds
        self.disable_after = disable_after
        self.clock = clock

    def handle(self, body: str | bytes) -> DeliveryAttempt | None:
        message = DeliveryMessage.from_body(body)
        hook = self.store.get_webhook(message.tenant, message.hook_id)
        if hook is None or not hook.enabled:
            return None  # removed or disabled meanwhile: dropped
        payload = orjson.dumps(message.event)
        timestamp = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "algocloud-webhooks/1",
            DELIVERY_HEADER: message.delivery_id,
            EVENT_HEADER: str(message.event.get("type", "")),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(hook.secret, timestamp, payload),
        }
        started = time.monotonic()
        try:
            status, error = self.sender.post(hook.url, headers, payload)
        except Exception as exc:  # whatever fails is a failed attempt: counted, logged, retried or disabling
            logger.warning("webhook %s: delivery %s failed", message.hook_id, message.delivery_id, exc_info=True)
            status, error = None, f"the request could not be sent ({type(exc).__name__})"
        ok = status is not None and 200 <= status < 300
        delay = None if ok else retry_delay(message.attempt, self.retry_seconds)
        attempt = DeliveryAttempt(
            delivery_id=message.delivery_id,
            event_id=str(message.event.get("id", "")),
            event_type=str(message.event.get("type", "")),
            attempt=message.attempt,
            at=now_iso(),
            ok=ok,
            status_code=status,
            error=error if error else (None if ok else f"the endpoint answered HTTP {status}"),
            duration_ms=round((time.monotonic() - started) * 1000),
            next_attempt_in=delay,
        )
        updated = self.store.record_attempt(message.tenant, message.hook_id, attempt, self.disable_after)
        if delay is not None and updated is not None and updated.enabled:
            self.queue.send_delivery(
                replace(message, attempt=message.attempt + 1).to_body(), delay_seconds=math.ceil(delay)
            )
        return attempt

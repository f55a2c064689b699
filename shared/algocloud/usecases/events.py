"""Publishing events: every change of a scenario's or a job's status and progress, pushed to the
WebSocket connections following it and queued for the tenant's webhooks.

`publishing` wraps the scenario and job stores, so each path that changes a status (the worker, the
container tier, cancel, reset, the dead-letter handler, ingestion jobs) publishes without knowing
it. Publishing happens after the write committed and never fails it: an event lost on the way (a
socket that dropped, a throttled queue) is made good by the current status, which subscribers
receive when they subscribe and clients poll as a fallback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

import orjson

from .. import limits
from ..domain.events import SCENARIO_PROGRESS, Event, job_event, progress_event, scenario_event
from ..domain.ids import new_id
from ..domain.jobs import Fields, IngestJob
from ..domain.ports import DeliveryQueue, Pusher, Subscriptions, WebhookStore
from ..domain.scenario import Scenario, Status
from ..domain.stores import JobStore, ScenarioStore, Stores
from ..domain.webhooks import DeliveryMessage, Webhook

if TYPE_CHECKING:
    from ..domain.config import AppConfig

logger = logging.getLogger(__name__)

# Progress events (one a second per run) may use a tenant's webhooks as read this long ago; a
# status change reads them afresh, so a new webhook receives every status change from its
# registration on, and progress from at most this long after.
HOOKS_CACHE_SECONDS = 2.0


class EventPublisher:
    def __init__(
        self,
        config: Callable[[], AppConfig],
        subscriptions: Subscriptions | None,
        pusher: Pusher | None,
        webhooks: WebhookStore | None,
        deliveries: DeliveryQueue | None,
    ):
        self._config = config
        self._subscriptions = subscriptions if pusher is not None else None
        self._pusher = pusher
        self._webhooks = webhooks if deliveries is not None else None
        self._deliveries = deliveries
        self._hooks: dict[str, tuple[float, list[Webhook]]] = {}
        self._lock = threading.Lock()

    def scenario_changed(self, tenant: str, session_id: str, scenario: Scenario) -> None:
        self.publish(tenant, scenario_event(self._config(), session_id, scenario))

    def progressed(self, tenant: str, session_id: str, scenario_id: str, progress: float) -> None:
        self.publish(tenant, progress_event(session_id, scenario_id, progress))

    def job_changed(self, tenant: str, session_id: str, job: IngestJob) -> None:
        event = job_event(session_id, job)
        if event is not None:
            self.publish(tenant, event)

    def publish(self, tenant: str, event: Event) -> None:
        try:
            self._push(tenant, event)
        except Exception:  # an event never fails the write it reports
            logger.exception("pushing event %s (%s) failed", event.id, event.type)
        try:
            self._queue_deliveries(tenant, event)
        except Exception:
            logger.exception("queueing webhook deliveries of event %s (%s) failed", event.id, event.type)

    def _push(self, tenant: str, event: Event) -> None:
        if self._subscriptions is None or self._pusher is None:
            return
        connections = self._subscriptions.subscribers(tenant, event.session_id, event.topics)
        if not connections:
            return
        data = fitted(event)
        for connection_id in connections:
            if not self._pusher.push(connection_id, data):  # 410 Gone: the socket closed without $disconnect
                self._subscriptions.disconnect(connection_id)

    def _queue_deliveries(self, tenant: str, event: Event) -> None:
        if self._webhooks is None or self._deliveries is None:
            return
        for hook in self._tenant_hooks(tenant, cached=event.type == SCENARIO_PROGRESS):
            if hook.wants(event.type):
                message = DeliveryMessage(tenant, hook.id, new_id(), event.to_dict())
                self._deliveries.send_delivery(message.to_body())

    def forget_hooks(self, tenant: str) -> None:
        """The tenant's webhooks changed (in this process: others see it within the cache's age)."""
        with self._lock:
            self._hooks.pop(tenant, None)

    def _tenant_hooks(self, tenant: str, cached: bool) -> list[Webhook]:
        assert self._webhooks is not None
        now = time.monotonic()
        with self._lock:
            known = self._hooks.get(tenant)
        if cached and known is not None and now - known[0] < HOOKS_CACHE_SECONDS:
            return known[1]
        hooks = self._webhooks.webhooks(tenant)
        with self._lock:
            self._hooks[tenant] = (now, hooks)
        return hooks


def fitted(event: Event) -> bytes:
    """The event's JSON within one WebSocket message: past 128 KB, without its KPIs and result
    (`truncated`: read them from the scenario or the job)."""
    data = event.to_json()
    if len(data) <= limits.WEBSOCKET_MESSAGE_BYTES:
        return data
    slim = {k: v for k, v in event.to_dict().items() if k not in ("kpis", "result", "error", "detail")}
    return orjson.dumps({**slim, "truncated": True})


# A processing transition that only records where the run is (its task, its message) is no news.
_NEWS_FIELDS = frozenset({"progress", "run_started_at"})


class _Publishing:
    def __init__(self, inner: Any, publisher: EventPublisher):
        self._inner = inner
        self.publisher = publisher

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class PublishingScenarios(_Publishing):
    """The scenario store, publishing each status change and progress write it commits."""

    def transition(
        self,
        tenant: str,
        session_id: str,
        scenario_id: str,
        target: Status,
        set_fields: Mapping[str, Any] | None = None,
        remove_fields: Sequence[str] = (),
        run_id: str | None = None,
    ) -> Scenario:
        scenario = self._inner.transition(tenant, session_id, scenario_id, target, set_fields, remove_fields, run_id)
        if target != Status.PROCESSING or _NEWS_FIELDS & set(set_fields or ()):
            self.publisher.scenario_changed(tenant, session_id, scenario)
        return scenario

    def update_progress(self, tenant: str, session_id: str, scenario_id: str, run_id: str, progress: float) -> None:
        self._inner.update_progress(tenant, session_id, scenario_id, run_id, progress)
        self.publisher.progressed(tenant, session_id, scenario_id, progress)


class PublishingJobs(_Publishing):
    """The job store, publishing each status change and progress write it commits."""

    def transition_job(
        self, tenant: str, session_id: str, job_id: str, target: Status, fields: Fields = None
    ) -> IngestJob:
        job = self._inner.transition_job(tenant, session_id, job_id, target, fields)
        if target != Status.PROCESSING or "progress" in (fields or {}):
            self.publisher.job_changed(tenant, session_id, job)
        return job


def publishing(stores: Stores, publisher: EventPublisher) -> Stores:
    return replace(
        stores,
        scenarios=cast(ScenarioStore, PublishingScenarios(stores.scenarios, publisher)),
        jobs=cast(JobStore, PublishingJobs(stores.jobs, publisher)),
    )

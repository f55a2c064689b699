"""Subscriptions, webhooks and their deliveries, and publishing, on both adapter sets."""

from __future__ import annotations

import time
from dataclasses import replace

import orjson
import pytest

from algocloud import limits
from algocloud.domain.errors import Conflict, NotFound
from algocloud.domain.events import Event, progress_event
from algocloud.domain.webhooks import DeliveryAttempt, DeliveryMessage, Webhook, verify
from algocloud.usecases.events import EventPublisher, fitted
from algocloud.usecases.webhooks import WebhookDeliveries

from .records import TENANT

LATER = int(time.time()) + 3600


def test_subscribers_are_found_per_session_topic_and_tenant_and_forgotten_at_disconnect(adapters):
    subs = adapters.subscriptions
    subs.connect("c1", TENANT, LATER)
    subs.connect("c2", TENANT, LATER)
    subs.connect("c3", "another", LATER)
    subs.subscribe("c1", TENANT, "s1", "session:s1", LATER)
    subs.subscribe("c2", TENANT, "s1", "scenario:x", LATER)
    subs.subscribe("c3", "another", "s1", "session:s1", LATER)  # the same ids in another tenant
    assert subs.connection("c1") == (TENANT, "") and subs.connection("nobody") is None
    assert subs.subscribers(TENANT, "s1", ["session:s1", "scenario:x"]) == {"c1", "c2"}
    assert subs.subscribers(TENANT, "s1", ["session:s1", "scenario:y"]) == {"c1"}
    assert subs.subscribers("another", "s1", ["session:s1", "scenario:x"]) == {"c3"}
    subs.disconnect("c1")
    subs.disconnect("c1")  # again: nothing left, no error
    assert subs.subscribers(TENANT, "s1", ["session:s1", "scenario:x"]) == {"c2"}
    assert subs.connection("c1") is None


def test_expired_subscriptions_are_not_found(adapters):
    subs = adapters.subscriptions
    subs.connect("old", TENANT, int(time.time()) - 1)
    subs.subscribe("old", TENANT, "s1", "session:s1", int(time.time()) - 1)
    assert subs.connection("old") is None
    assert subs.subscribers(TENANT, "s1", ["session:s1"]) == set()


def test_webhooks_are_kept_per_tenant_limited_and_removed_with_their_log(adapters):
    store = adapters.webhooks
    hook = Webhook("https://example.com/a")
    store.add_webhook(TENANT, hook)
    assert store.webhooks(TENANT) == [hook] and store.webhooks("another") == []
    assert store.get_webhook(TENANT, hook.id) == hook and store.get_webhook("another", hook.id) is None
    rotated = hook.rotated()
    store.put_webhook(TENANT, rotated)
    assert store.get_webhook(TENANT, hook.id).secret == rotated.secret != hook.secret
    with pytest.raises(NotFound):
        store.put_webhook("another", rotated)
    for n in range(limits.MAX_WEBHOOKS - 1):
        store.add_webhook(TENANT, Webhook(f"https://example.com/b{n}"))
    with pytest.raises(Conflict):
        store.add_webhook(TENANT, Webhook("https://example.com/c"))
    attempt = DeliveryAttempt(
        "d1", "e1", "scenario.complete", 1, "2026-01-01T00:00:00.000+00:00", ok=True, status_code=204
    )
    store.record_attempt(TENANT, hook.id, attempt, disable_after=3)
    assert store.deliveries(TENANT, hook.id, 10) == [attempt]
    store.remove_webhook(TENANT, hook.id)
    with pytest.raises(NotFound):
        store.remove_webhook(TENANT, hook.id)
    assert store.deliveries(TENANT, hook.id, 10) == []
    assert store.record_attempt(TENANT, hook.id, attempt, disable_after=3) is None


class FakeSender:
    """An endpoint answering the given statuses in turn (None: unreachable)."""

    def __init__(self, *answers: int | None):
        self.answers = list(answers)
        self.sent: list[tuple[str, dict[str, str], bytes]] = []

    def post(self, url, headers, body):
        self.sent.append((url, headers, body))
        status = self.answers.pop(0) if self.answers else 200
        return (status, None) if status is not None else (None, "the request failed: ConnectError")


def _queued(adapters) -> list[DeliveryMessage]:
    """The delivery messages waiting (visible or delayed) on the webhook queue."""
    queue = adapters.deliveries
    if hasattr(queue, "_db"):  # the embedded queue: read its table
        rows = queue._db.read("SELECT body FROM messages WHERE queue = ?", (queue.name,))
        return [DeliveryMessage.from_body(row[0]) for row in rows]
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    attributes = sqs.get_queue_attributes(QueueUrl=queue._url, AttributeNames=["All"])["Attributes"]
    return [None] * (
        int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesDelayed"])
    )


def test_a_delivery_is_signed_retried_with_backoff_logged_and_the_webhook_disabled_after_failures(adapters):
    hook = Webhook("https://example.com/hook")
    adapters.webhooks.add_webhook(TENANT, hook)
    sender = FakeSender(500, None, 500)
    deliveries = WebhookDeliveries(adapters.webhooks, adapters.deliveries, sender, retry_seconds=10, disable_after=3)
    message = DeliveryMessage(TENANT, hook.id, "delivery-1", {"id": "e1", "type": "scenario.complete"})
    first = deliveries.handle(message.to_body())
    assert not first.ok and first.next_attempt_in == 10 and first.error == "the endpoint answered HTTP 500"
    assert len(_queued(adapters)) == 1  # the retry waits on the queue, delayed
    second = deliveries.handle(replace(message, attempt=2).to_body())
    assert second.error == "the request failed: ConnectError" and second.next_attempt_in == 60
    deliveries.handle(replace(message, attempt=3).to_body())
    stored = adapters.webhooks.get_webhook(TENANT, hook.id)
    assert not stored.enabled and "3 failed attempts in a row" in stored.disabled_reason
    assert len(_queued(adapters)) == 2  # no retry once disabled
    assert deliveries.handle(replace(message, attempt=4).to_body()) is None  # disabled: dropped
    for _url, headers, body in sender.sent:
        assert headers["Webhook-Id"] == "delivery-1" and orjson.loads(body) == message.event
        assert verify(hook.secret, headers["Webhook-Timestamp"], body, headers["Webhook-Signature"], time.time())
    assert [a.attempt for a in adapters.webhooks.deliveries(TENANT, hook.id, 10)] == [3, 2, 1]


class RaisingSender:
    """A sender that fails in a way no one planned for (a host IDNA cannot encode did this)."""

    def post(self, url, headers, body):
        raise UnicodeEncodeError("idna", "a" * 64, 0, 64, "label too long")


def test_a_delivery_that_raises_is_a_failed_attempt_logged_counted_and_ends_in_disabling(adapters):
    hook = Webhook("https://example.com/raises")
    adapters.webhooks.add_webhook(TENANT, hook)
    deliveries = WebhookDeliveries(
        adapters.webhooks, adapters.deliveries, RaisingSender(), retry_seconds=10, disable_after=2
    )
    message = DeliveryMessage(TENANT, hook.id, "delivery-9", {"id": "e9", "type": "scenario.complete"})
    first = deliveries.handle(message.to_body())
    assert not first.ok and "UnicodeEncodeError" in first.error and first.next_attempt_in == 10
    deliveries.handle(replace(message, attempt=2).to_body())
    stored = adapters.webhooks.get_webhook(TENANT, hook.id)
    assert not stored.enabled and "2 failed attempts in a row" in stored.disabled_reason
    assert [a.attempt for a in adapters.webhooks.deliveries(TENANT, hook.id, 10)] == [2, 1]


class FakePusher:
    def __init__(self, gone: set[str]):
        self.gone = gone
        self.pushed: list[tuple[str, bytes]] = []

    def push(self, connection_id, data):
        if connection_id in self.gone:
            return False
        self.pushed.append((connection_id, data))
        return True


def test_publishing_pushes_to_subscribers_forgets_gone_connections_and_queues_webhooks(adapters, config):
    subs = adapters.subscriptions
    for connection in ("live", "gone"):
        subs.connect(connection, TENANT, LATER)
        subs.subscribe(connection, TENANT, "s1", "scenario:x", LATER)
    adapters.webhooks.add_webhook(TENANT, Webhook("https://example.com/all"))
    adapters.webhooks.add_webhook(TENANT, Webhook("https://example.com/ends", events=("scenario.complete",)))
    pusher = FakePusher(gone={"gone"})
    publisher = EventPublisher(lambda: config, subs, pusher, adapters.webhooks, adapters.deliveries)
    publisher.publish(TENANT, progress_event("s1", "x", 0.5))
    assert [c for c, _ in pusher.pushed] == ["live"] and orjson.loads(pusher.pushed[0][1])["progress"] == 0.5
    assert subs.connection("gone") is None  # 410 Gone: forgotten
    assert len(_queued(adapters)) == 1  # only the webhook of every type wants progress
    publisher.publish("another", progress_event("s1", "x", 0.6))
    assert len(pusher.pushed) == 1  # another tenant's event reaches no one here


def test_an_event_past_128_kb_travels_without_its_kpis():
    event = Event("scenario.complete", "s1", {"scenario_id": "x", "status": "complete", "kpis": {"k": "v" * 200_000}})
    slim = orjson.loads(fitted(event))
    assert slim["truncated"] is True and "kpis" not in slim and slim["scenario_id"] == "x"


def test_a_connection_follows_a_bounded_number_of_topics(adapters):
    subs = adapters.subscriptions
    subs.connect("greedy", TENANT, LATER)
    for n in range(limits.MAX_SUBSCRIPTIONS):
        subs.subscribe("greedy", TENANT, "s1", f"scenario:{n}", LATER)
    with pytest.raises(Conflict, match="at most"):
        subs.subscribe("greedy", TENANT, "s1", "scenario:one-more", LATER)
    subs.subscribe("greedy", TENANT, "s1", "scenario:3", LATER)  # at the limit, following one again is fine
    subs.unsubscribe("greedy", TENANT, "s1", "scenario:3")
    subs.unsubscribe("greedy", TENANT, "s1", "scenario:never")  # not followed: fine
    assert subs.subscribers(TENANT, "s1", ["scenario:3"]) == set()
    assert subs.subscribers(TENANT, "s1", ["scenario:4"]) == {"greedy"}
    subs.subscribe("greedy", TENANT, "s1", "scenario:one-more", LATER)  # unsubscribing made room
    subs.disconnect("greedy")
    assert subs.subscribers(TENANT, "s1", [f"scenario:{n}" for n in range(limits.MAX_SUBSCRIPTIONS)]) == set()


def test_concurrent_registrations_never_pass_the_limit_and_removals_make_room(adapters):
    from concurrent.futures import ThreadPoolExecutor

    store = adapters.webhooks

    def add(n: int) -> bool:
        try:
            store.add_webhook(TENANT, Webhook(f"https://example.com/race{n}"))
        except Conflict:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        added = list(pool.map(add, range(limits.MAX_WEBHOOKS + 6)))
    assert sum(added) == limits.MAX_WEBHOOKS and len(store.webhooks(TENANT)) == limits.MAX_WEBHOOKS
    store.remove_webhook(TENANT, store.webhooks(TENANT)[0].id)
    assert add(100) and not add(101)


def test_one_webhook_per_url_even_when_added_at_once(adapters):
    from concurrent.futures import ThreadPoolExecutor

    store = adapters.webhooks

    def add(_n: int) -> Webhook | None:
        hook = Webhook("https://example.com/same")
        try:
            store.add_webhook(TENANT, hook)
        except Conflict as exc:
            assert "URL" in exc.message or "changed" in exc.message
            return None
        return hook

    with ThreadPoolExecutor(8) as pool:
        won = [hook for hook in pool.map(add, range(8)) if hook is not None]
    assert len(won) == 1 and [h.id for h in store.webhooks(TENANT)] == [won[0].id]
    store.add_webhook("another", Webhook("https://example.com/same"))  # another tenant's is its own
    store.remove_webhook(TENANT, won[0].id)
    assert add(0) is not None  # removed, the URL is free again


def test_connections_are_listed_with_their_holders_until_they_go(adapters):
    """The sweep's view (usecases.revocation): every open connection, its tenant and its holder."""
    subscriptions = adapters.subscriptions
    subscriptions.connect("c-key", "acme", int(time.time()) + 60, "key:abc123")
    subscriptions.connect("c-user", "acme", int(time.time()) + 60, "user:https://issuer.example ann")
    subscriptions.connect("c-open", "default", int(time.time()) + 60)
    subscriptions.connect("c-old", "acme", int(time.time()) - 1, "key:gone")
    assert sorted(subscriptions.connections()) == [
        ("c-key", "acme", "key:abc123"),
        ("c-open", "default", ""),
        ("c-user", "acme", "user:https://issuer.example ann"),
    ]
    subscriptions.disconnect("c-key")
    assert [c[0] for c in sorted(subscriptions.connections())] == ["c-open", "c-user"]

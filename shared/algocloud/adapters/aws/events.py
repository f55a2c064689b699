"""WebSocket subscriptions (the connections table) and webhooks (the main table) on DynamoDB, and
API Gateway's @connections endpoint.

Connections table (TTL on expires_at: a connection lives at most 2 hours):

    pk                          sk              item
    C#<connection id>           C                           tenant, subscriptions (keys to delete at $disconnect)
    SUB#<tenant>#<session id>   <topic>#<connection id>     a subscription: one Query finds an event's

Main table:

    pk                          sk                                  item
    T#<tenant>#HOOKS            HOOK#<id>                           a webhook
    T#<tenant>#HOOKS            COUNT                               how many (the limit, exact)
    T#<tenant>#HOOKS            URL#<sha-256 of the URL>            its webhook's id (one webhook per URL)
    T#<tenant>#HOOK#<id>        D#<at>#<delivery id>#<attempt>      an attempt (TTL: 7 days)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import orjson
from botocore.exceptions import ClientError

from ... import limits
from ...domain.errors import Conflict, NotFound
from ...domain.webhooks import DELIVERIES_KEPT_SECONDS, DeliveryAttempt, Webhook
from .table import DynamoTable, _av, _Cancelled, _key, _plain_item

CONNECTION = "C"
HOOK_COUNT = "COUNT"  # how many webhooks the tenant has (beside them, in their partition)


def _condition_failed(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


class DynamoSubscriptions(DynamoTable):
    """On the connections table (DynamoTable's helpers serve any table with pk and sk)."""

    def connect(self, connection_id: str, tenant: str, expires_at: int, holder: str = "") -> None:
        item = {**_key(f"C#{connection_id}", CONNECTION), "tenant": _av(tenant), "expires_at": _av(expires_at)}
        self._db.put_item(TableName=self._table, Item={**item, **({"holder": _av(holder)} if holder else {})})

    def connections(self) -> list[tuple[str, str, str]]:
        """A Scan of the connection records (the sweep's, once a minute; the table holds only
        connections and their subscriptions, which expire with them)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "sk = :connection AND expires_at >= :now",
            "ExpressionAttributeValues": {":connection": _av(CONNECTION), ":now": _av(int(time.time()))},
            "ProjectionExpression": "pk, tenant, holder",
        }
        found = []
        while True:
            page = self._db.scan(**request)
            for item in page.get("Items", []):
                holder = item.get("holder", {}).get("S", "")
                found.append((item["pk"]["S"].removeprefix("C#"), item["tenant"]["S"], holder))
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def connection(self, connection_id: str) -> tuple[str, str] | None:
        item = self._get(f"C#{connection_id}", CONNECTION)
        if item is None or int(item["expires_at"]["N"]) < time.time():
            return None
        return item["tenant"]["S"], item.get("holder", {}).get("S", "")

    def subscribe(self, connection_id: str, tenant: str, session_id: str, topic: str, expires_at: int) -> None:
        pk, sk = f"SUB#{tenant}#{session_id}", f"{topic}#{connection_id}"
        try:  # the connection's list first: what it holds is what $disconnect deletes
            self._db.update_item(
                TableName=self._table,
                Key=_key(f"C#{connection_id}", CONNECTION),
                UpdateExpression="ADD subscriptions :key",
                # at the limit, a topic followed already may be followed again (a client's keep-alive)
                ConditionExpression=(
                    "attribute_not_exists(subscriptions) OR size(subscriptions) < :most "
                    "OR contains(subscriptions, :entry)"
                ),
                ExpressionAttributeValues={
                    ":key": {"SS": [f"{pk}\n{sk}"]},
                    ":entry": _av(f"{pk}\n{sk}"),
                    ":most": _av(limits.MAX_SUBSCRIPTIONS),
                },
            )
        except ClientError as exc:
            if _condition_failed(exc):
                raise Conflict(
                    f"a connection follows at most {limits.MAX_SUBSCRIPTIONS} topics: open another"
                ) from None
            raise
        self._db.put_item(TableName=self._table, Item={**_key(pk, sk), "expires_at": _av(expires_at)})

    def unsubscribe(self, connection_id: str, tenant: str, session_id: str, topic: str) -> None:
        pk, sk = f"SUB#{tenant}#{session_id}", f"{topic}#{connection_id}"
        self._db.delete_item(TableName=self._table, Key=_key(pk, sk))
        try:
            self._db.update_item(
                TableName=self._table,
                Key=_key(f"C#{connection_id}", CONNECTION),
                UpdateExpression="DELETE subscriptions :key",
                ConditionExpression="attribute_exists(pk)",  # never make a record for an unknown connection
                ExpressionAttributeValues={":key": {"SS": [f"{pk}\n{sk}"]}},
            )
        except ClientError as exc:
            if not _condition_failed(exc):
                raise

    def subscribers(self, tenant: str, session_id: str, topics: Sequence[str]) -> set[str]:
        wanted = set(topics)
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": "expires_at >= :now",  # TTL deletes lazily
            "ExpressionAttributeValues": {":pk": _av(f"SUB#{tenant}#{session_id}"), ":now": _av(int(time.time()))},
            "ProjectionExpression": "sk",
        }
        found: set[str] = set()
        while True:
            page = self._db.query(**request)
            for item in page.get("Items", []):
                topic, _, connection_id = item["sk"]["S"].rpartition("#")
                if topic in wanted:
                    found.add(connection_id)
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def disconnect(self, connection_id: str) -> None:
        item = self._get(f"C#{connection_id}", CONNECTION)
        if item is None:
            return
        stored = item.get("subscriptions", {}).get("SS", [])
        keys = [_key(*entry.split("\n", 1)) for entry in stored] + [_key(f"C#{connection_id}", CONNECTION)]
        self._batch_write([{"DeleteRequest": {"Key": key}} for key in keys])


def _url_claim(url: str) -> str:
    return "URL#" + hashlib.sha256(url.encode()).hexdigest()


_COUNTED = ("failures", "enabled", "disabled_reason")  # attributes of their own, updated in place


def _hook_item(tenant: str, hook: Webhook) -> dict[str, Any]:
    fixed = {name: value for name, value in asdict(hook).items() if name not in _COUNTED}
    item = {
        **_key(f"T#{tenant}#HOOKS", f"HOOK#{hook.id}"),
        "record": {"B": orjson.dumps(fixed)},
        "failures": _av(hook.failures),
        "enabled": _av(hook.enabled),
    }
    if hook.disabled_reason:
        item["disabled_reason"] = _av(hook.disabled_reason)
    return item


def _hook_from(item: Mapping[str, Any]) -> Webhook:
    plain = _plain_item(item)
    data = orjson.loads(plain["record"])
    return Webhook(
        **{
            **data,
            "events": tuple(data["events"]),
            "failures": int(plain["failures"]),
            "enabled": bool(plain["enabled"]),
            "disabled_reason": plain.get("disabled_reason"),
        }
    )


class DynamoWebhooks(DynamoTable):
    """The fixed fields travel as one JSON attribute; the counters and the enabled flag are their own
    attributes, so counting an attempt is one atomic update. A counter item (`COUNT`) beside the
    webhooks keeps the limit exact: adding and removing change it in the same transaction."""

    def add_webhook(self, tenant: str, hook: Webhook) -> None:
        pk = f"T#{tenant}#HOOKS"
        try:
            self._transact(
                [
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(pk, HOOK_COUNT),
                            "UpdateExpression": "ADD webhooks :one",
                            "ConditionExpression": "attribute_not_exists(webhooks) OR webhooks < :most",
                            "ExpressionAttributeValues": {":one": _av(1), ":most": _av(limits.MAX_WEBHOOKS)},
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": _hook_item(tenant, hook),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {  # one webhook per URL: its claim is written with it, and removed with it
                        "Put": {
                            "TableName": self._table,
                            "Item": {**_key(pk, _url_claim(hook.url)), "hook_id": _av(hook.id)},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except _Cancelled as cancelled:
            if cancelled.failed[0]:
                raise Conflict(f"a tenant has at most {limits.MAX_WEBHOOKS} webhooks: remove one first") from None
            if cancelled.failed[2]:
                raise Conflict("a webhook with this URL exists already") from None
            raise Conflict("a webhook with this id exists") from None

    def webhooks(self, tenant: str) -> list[Webhook]:
        return [_hook_from(item) for item in self._query(f"T#{tenant}#HOOKS", "HOOK#")]

    def get_webhook(self, tenant: str, hook_id: str) -> Webhook | None:
        item = self._get(f"T#{tenant}#HOOKS", f"HOOK#{hook_id}")
        return None if item is None else _hook_from(item)

    def put_webhook(self, tenant: str, hook: Webhook) -> None:
        try:
            self._db.put_item(
                TableName=self._table, Item=_hook_item(tenant, hook), ConditionExpression="attribute_exists(pk)"
            )
        except ClientError as exc:
            if _condition_failed(exc):
                raise NotFound(f"no webhook '{hook.id}'") from None
            raise

    def remove_webhook(self, tenant: str, hook_id: str) -> None:
        pk = f"T#{tenant}#HOOKS"
        hook = self.get_webhook(tenant, hook_id)
        if hook is None:
            raise NotFound(f"no webhook '{hook_id}'")
        try:
            self._transact(
                [
                    {"Delete": {"TableName": self._table, "Key": _key(pk, _url_claim(hook.url))}},
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": _key(pk, f"HOOK#{hook_id}"),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(pk, HOOK_COUNT),
                            "UpdateExpression": "ADD webhooks :less",
                            "ExpressionAttributeValues": {":less": _av(-1)},
                        }
                    },
                ]
            )
        except _Cancelled:
            raise NotFound(f"no webhook '{hook_id}'") from None
        log = self._query(f"T#{tenant}#HOOK#{hook_id}", attributes=("pk", "sk"))
        self._batch_write([{"DeleteRequest": {"Key": key}} for key in log])

    def record_attempt(self, tenant: str, hook_id: str, attempt: DeliveryAttempt, disable_after: int) -> Webhook | None:
        key = _key(f"T#{tenant}#HOOKS", f"HOOK#{hook_id}")
        counted = "SET failures = :zero" if attempt.ok else "ADD failures :one"
        try:
            item = self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=counted,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":zero": _av(0)} if attempt.ok else {":one": _av(1)},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as exc:
            if _condition_failed(exc):
                return None
            raise
        hook = _hook_from(item)
        if not attempt.ok and hook.enabled and hook.failures >= disable_after:
            disabled = hook.disabled(attempt)
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET enabled = :no, disabled_reason = :why",
                    ConditionExpression="enabled = :yes",
                    ExpressionAttributeValues={
                        ":no": _av(False),
                        ":yes": _av(True),
                        ":why": _av(disabled.disabled_reason),
                    },
                )
                hook = disabled
            except ClientError as exc:
                if not _condition_failed(exc):
                    raise
        self._db.put_item(
            TableName=self._table,
            Item={
                **_key(f"T#{tenant}#HOOK#{hook_id}", f"D#{attempt.at}#{attempt.delivery_id}#{attempt.attempt:02d}"),
                "record": {"B": orjson.dumps(asdict(attempt))},
                "expires_at": _av(int(time.time()) + DELIVERIES_KEPT_SECONDS),
            },
        )
        return hook

    def deliveries(self, tenant: str, hook_id: str, limit: int) -> list[DeliveryAttempt]:
        page = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _av(f"T#{tenant}#HOOK#{hook_id}")},
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
        )
        return [DeliveryAttempt(**orjson.loads(bytes(item["record"]["B"]))) for item in page.get("Items", [])]


class ConnectionsApi:
    """API Gateway's management API of the WebSocket API (`apigatewaymanagementapi`), at
    EVENTS_ENDPOINT: on AWS the stage's https URL, locally the devstack's emulation of it."""

    def __init__(self, client):
        self._client = client

    def push(self, connection_id: str, data: bytes) -> bool:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "GoneException":
                return False
            raise
        return True

    def close(self, connection_id: str) -> None:
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "GoneException":
                raise


class SqsDeliveries:
    """The webhook queue (SQS standard: per-message delays up to 15 minutes)."""

    def __init__(self, sqs_client, queue_url: str):
        self._sqs = sqs_client
        self._url = queue_url

    def send_delivery(self, body: str, delay_seconds: int = 0) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=body, DelaySeconds=max(0, min(900, delay_seconds)))

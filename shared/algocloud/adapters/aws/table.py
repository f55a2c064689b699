"""The DynamoDB table that holds every store (adapters.aws.sessions, datasets, scenarios, jobs,
experiments; accounts and webhooks too): keys, attribute values and the low-level operations.

Key layout (generic `pk` / `sk`, every key scoped by tenant):

    pk                      sk                   item
    DEPLOYMENT              SECRET#<name>        a random key of the deployment (page cursors)
    T#<tenant>              TENANT               marker: the tenant was bootstrapped
    T#<tenant>              SESSION#<id>         a session (display_name, created_at)
    T#<tenant>              NAME#<display name>  uniqueness guard -> session id
    T#<tenant>#S#<session>  SCENARIO#<id>        a scenario, without its result
    T#<tenant>#S#<session>  RESULT#<id>          a complete scenario's result (up to 256 KB; larger: S3)
    T#<tenant>#S#<session>  TAG#<tag>            uniqueness guard -> scenario id
    T#<tenant>#S#<session>  DATASET#<key>        dataset metadata (content in S3), refs count
    T#<tenant>#S#<session>  PROCESSING           the session's running scenario (worker's lock)
    T#<tenant>#S#<session>  JOB#<id>             an ingestion job (domain.jobs)
    T#<tenant>#S#<session>  EXPERIMENT#<id>      an experiment's plan (domain.experiments)

Ids are UUIDv7 (domain.ids), so SESSION# and SCENARIO# sort keys are in creation
order and a page is one Query from the previous page's last key. A result lives
in its own item so that a page of scenarios reads small items: a page of 50 is
one Query of 51 items of a few KB, not 51 items with results (DynamoDB bills
reads, and stops a Query at 1 MB, by the items' whole size, projection or not).
Items written before these layouts (UUIDv4 ids, results inside the scenario
item) are still read; old ids list in id order, not creation order.

Uniqueness and every state change are conditional writes or transactions, so
concurrent requests can never both win. A dataset's `refs` counts the
scenarios that use it: creating or deleting a scenario changes it in the same
transaction, and a dataset is only deleted or overwritten while it is 0.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from ... import limits


def tenant_pk(tenant: str) -> str:
    return f"T#{tenant}"


def session_pk(tenant: str, session_id: str) -> str:
    return f"T#{tenant}#S#{session_id}"


# -- attribute values -----------------------------------------------------------
def _av(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, float)):
        return {"N": repr(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": bytes(value)}
    if isinstance(value, (list, tuple)):
        return {"L": [_av(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def _item(**attributes: Any) -> dict[str, Any]:
    """A DynamoDB item from plain values; None values are left out."""
    return {name: _av(value) for name, value in attributes.items() if value is not None}


def _plain(value: Mapping[str, Any]) -> Any:
    ((kind, raw),) = value.items()
    if kind == "S" or kind == "BOOL":
        return raw
    if kind == "N":
        return float(raw) if any(c in raw for c in ".eE") else int(raw)
    if kind == "B":
        return bytes(raw)
    if kind == "L":
        return [_plain(v) for v in raw]
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: _plain(v) for k, v in raw.items()}
    raise TypeError(f"unexpected attribute type {kind}")


def _plain_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _plain(value) for name, value in item.items()}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


class _Cancelled(Exception):
    """A transaction whose conditions failed; `failed[i]` is True for item i."""

    def __init__(self, failed: list[bool]):
        super().__init__(failed)
        self.failed = failed


class DynamoTable:
    """The table's low-level operations, shared by every store on it."""

    TRANSACTION_ATTEMPTS = 5

    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    # -- low-level helpers ------------------------------------------------------
    def _get(self, pk: str, sk: str, projection: str | None = None, names: dict | None = None):
        extra: dict[str, Any] = {"ConsistentRead": True}
        if projection:
            extra["ProjectionExpression"] = projection
        if names:
            extra["ExpressionAttributeNames"] = names
        return self._db.get_item(TableName=self._table, Key=_key(pk, sk), **extra).get("Item")

    def _query(
        self,
        pk: str,
        sk_prefix: str = "",
        after: str | None = None,
        limit: int | None = None,
        attributes: Sequence[str] = (),
        sk_between: tuple[str, str] | None = None,
        forward: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """A query over an item collection (the sort keys with a prefix), following DynamoDB's
        1 MB pages, or in a sort key range. From the sort key `after` on (it need not exist), at
        most `limit` items (read: a page of 50 reads 50 items), with only `attributes` when given;
        `forward=False`: in descending order, from before `after` down."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
            "ScanIndexForward": forward,
        }
        if sk_prefix:
            request["KeyConditionExpression"] += " AND begins_with(sk, :prefix)"
            request["ExpressionAttributeValues"][":prefix"] = {"S": sk_prefix}
        if sk_between:
            request["KeyConditionExpression"] += " AND sk BETWEEN :first AND :last"
            request["ExpressionAttributeValues"] |= {":first": {"S": sk_between[0]}, ":last": {"S": sk_between[1]}}
        if after is not None:
            request["ExclusiveStartKey"] = _key(pk, after)
        if attributes:
            names = {f"#p{index}": name for index, name in enumerate(attributes)}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
        left = limit
        while left is None or left > 0:
            if left is not None:
                request["Limit"] = left
            page = self._db.query(**request)
            items = page.get("Items", [])
            yield from items
            if left is not None:
                left -= len(items)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _transact(self, operations: list[dict[str, Any]]) -> None:
        """TransactWriteItems; raises _Cancelled naming the failed conditions.

        Conflicts with another in-flight transaction are retried with backoff:
        they mean "try again", not "your condition failed".
        """
        # One token for every attempt: a transaction that committed but whose answer
        # was lost is not applied again when retried (by us or by the SDK).
        token = str(uuid.uuid4())
        for attempt in range(self.TRANSACTION_ATTEMPTS):
            try:
                self._db.transact_write_items(TransactItems=operations, ClientRequestToken=token)
                return
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = exc.response.get("CancellationReasons") or []
                codes = [reason.get("Code", "None") for reason in reasons]
                if "ConditionalCheckFailed" in codes:
                    raise _Cancelled([code == "ConditionalCheckFailed" for code in codes]) from None
                if attempt == self.TRANSACTION_ATTEMPTS - 1:
                    raise
                time.sleep(0.02 * 2**attempt)

    def _batch_write(self, requests: Sequence[dict[str, Any]]) -> None:
        step = limits.DYNAMODB_BATCH_WRITE_ITEMS
        for start in range(0, len(requests), step):
            pending = {self._table: list(requests[start : start + step])}
            for attempt in range(8):
                unprocessed = self._db.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                if not unprocessed:
                    break
                pending = unprocessed
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError("DynamoDB kept items unprocessed; try again")

    def _batch_get(
        self, keys: Sequence[dict[str, Any]], projection: str | None = None, names: dict | None = None
    ) -> list[dict[str, Any]]:
        """BatchGetItem, consistent, 100 keys a call, unprocessed keys retried; the items found."""
        found: list[dict[str, Any]] = []
        step = limits.DYNAMODB_BATCH_GET_KEYS
        for start in range(0, len(keys), step):
            request: dict[str, Any] = {"Keys": list(keys[start : start + step]), "ConsistentRead": True}
            if projection:
                request |= {"ProjectionExpression": projection, "ExpressionAttributeNames": names or {}}
            pending = {self._table: request}
            for attempt in range(8):
                response = self._db.batch_get_item(RequestItems=pending)
                found += response.get("Responses", {}).get(self._table, [])
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError("DynamoDB kept keys unprocessed; try again")
        return found

    def _put(self, item: dict[str, Any], condition: str | None = None, **expression: Any) -> dict:
        request = {"Put": {"TableName": self._table, "Item": item}}
        if condition:
            request["Put"]["ConditionExpression"] = condition
        request["Put"].update(expression)
        return request

    def _delete(self, pk: str, sk: str, condition: str | None = None, **expression: Any) -> dict:
        request = {"Delete": {"TableName": self._table, "Key": _key(pk, sk)}}
        if condition:
            request["Delete"]["ConditionExpression"] = condition
        request["Delete"].update(expression)
        return request

    def _check(self, pk: str, sk: str, condition: str = "attribute_exists(pk)", **expression: Any) -> dict:
        return {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": _key(pk, sk),
                "ConditionExpression": condition,
                **expression,
            }
        }

    def _session_check(self, tenant: str, session_id: str) -> dict:
        """A transaction's condition that the session exists (its contents go with it)."""
        return self._check(tenant_pk(tenant), f"SESSION#{session_id}")

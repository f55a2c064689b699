"""Make moto behave like AWS where we rely on it, and keep its memory bounded.

1. Each request atomic, as each real AWS request is. moto is not thread-safe
   where it matters to us: two concurrent ReceiveMessage calls on a FIFO
   queue can both hand out messages of the same message group, and a failed
   transaction's rollback could undo other requests' writes. Serialising
   single AWS calls (our requests still interleave between them) keeps the
   `--aws` local stack and the tests faithful. Long polls would hold the
   lock, so local consumers poll without WaitTimeSeconds.

2. Transactions that copy only what they touch. moto backs up every table a
   TransactWriteItems names with a deep copy of the whole table, so each
   scenario create copied every item (600 creates took the server from 92 MiB
   to 2 GiB and from 25 to 6 creates/s). Here the table copy becomes a no-op
   and the rollback restores just the items the transaction named, from
   copies taken before it ran: the same all-or-nothing result, at a cost that
   does not grow with the table.

3. Queries that read their page, as DynamoDB's do. moto answers every Query
   by sorting the whole table (all partitions, with a slow comparator) and
   walking it from the start, so a page of 50 took 0.2 s at 100 scenarios and
   grew with everything stored. Here a table Query sees only its partition and,
   for a `begins_with` range read forward, only the sort keys after the
   ExclusiveStartKey, at most Limit + 1 of them: the same answer (items,
   LastEvaluatedKey, the 1 MB cut), at a cost that follows the page.

4. SQS sends at SQS's speed. Every message moto takes reads the queue's
   attributes, which counts the visible messages by comparing each one's
   times through datetime arithmetic: sending the 1,000 runs of an experiment
   took 30 s (API Gateway's limit is 29 s; SQS answers a batch in
   milliseconds). Here a send reads only the attribute it needs, moto's clock
   is read with time.time() and attribute names are converted once: the same
   answers, at a cost that does not grow with the queue.

5. S3's checks of presigned form POSTs and of parts (devstack.s3_policy).
"""

from __future__ import annotations

import copy
import functools
import heapq
import threading
import time
import types
from typing import Any

from devstack import s3_policy

_lock = threading.RLock()


def _serialise(cls: type) -> None:
    if getattr(cls, "_algocloud_serialised", False):
        return
    original = cls.__call__

    def locked(self, *args, **kwargs):
        with _lock:
            return original(self, *args, **kwargs)

    cls.__call__ = locked  # type: ignore[method-assign]
    cls._algocloud_serialised = True  # type: ignore[attr-defined]


def _bound_transaction_memory() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if getattr(backend, "_algocloud_bounded", False):
        return
    original = backend.transact_write_items

    def deepcopy_except_tables(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    # moto's module calls copy.deepcopy(table) for its backup: make that free.
    models.copy = types.SimpleNamespace(deepcopy=deepcopy_except_tables)  # type: ignore[assignment]

    def touched_items(self, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict, dict | None]]:
        before = []
        for entry in transact_items:
            operation, request = next(iter(entry.items()))
            table = self.tables.get(request.get("TableName"))
            if table is None or operation == "ConditionCheck":
                continue
            if operation == "Put":
                key = {
                    name: request["Item"][name]
                    for name in (table.hash_key_attr, table.range_key_attr)
                    if name and name in request["Item"]
                }
            else:
                key = request.get("Key", {})
            try:
                item = self.get_item(table.name, key)
            except Exception:  # noqa: BLE001, S112 - a malformed key: moto reports it itself
                continue
            before.append((table.name, key, None if item is None else copy.deepcopy(item.to_json()["Attributes"])))
        return before

    def transact_write_items(self, transact_items):
        before = touched_items(self, transact_items)
        try:
            return original(self, transact_items)
        except Exception:
            for table_name, key, attributes in reversed(before):
                if attributes is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attributes)
            raise

    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    backend._algocloud_bounded = True  # type: ignore[attr-defined]


def _page_queries() -> None:
    from moto.dynamodb.models.table import Table

    if getattr(Table, "_algocloud_paged", False):
        return
    original = Table.query

    def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, forward, *args, **kwargs):
        index_name = args[1] if len(args) > 1 else kwargs.get("index_name")
        partition = self.items.get(hash_key) if self.range_key_attr and not index_name else None
        if partition is None:
            return original(
                self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, forward, *args, **kwargs
            )
        keys = list(partition)
        if range_comparison == "BEGINS_WITH" and forward and range_objs[0].type == "S":
            prefix = range_objs[0].value
            start = (exclusive_start_key or {}).get(self.range_key_attr, {}).get("S", "")
            keys = [k for k in keys if k.type == "S" and k.value.startswith(prefix) and k.value > start]
            if limit:
                keys = heapq.nsmallest(limit + 1, keys, key=lambda k: k.value)
        everything = self.items
        self.items = {hash_key: {k: partition[k] for k in keys}}  # requests are serialised (_lock)
        try:
            return original(
                self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, forward, *args, **kwargs
            )
        finally:
            self.items = everything

    Table.query = query  # type: ignore[method-assign,assignment]
    Table._algocloud_paged = True  # type: ignore[attr-defined]


def _quick_sqs() -> None:
    from moto.sqs import models

    if getattr(models, "_algocloud_quick", False):
        return
    exact = models.unix_time_millis

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else exact(dt)

    models.unix_time_millis = unix_time_millis
    models.camelcase_to_underscores = functools.cache(models.camelcase_to_underscores)

    # While a message is taken, a queue's attributes are read for ContentBasedDeduplication
    # alone: give that one without counting every message of the queue.
    every_attribute = models.Queue.attributes.fget  # type: ignore[attr-defined]
    assert every_attribute is not None

    def attributes(queue: Any) -> dict[str, Any]:
        if getattr(queue, "_algocloud_sending", False) and queue.fifo_queue:
            return {"ContentBasedDeduplication": queue.content_based_deduplication}
        return every_attribute(queue)

    models.Queue.attributes = property(attributes)  # type: ignore[assignment]

    def sending(method: Any) -> Any:
        @functools.wraps(method)
        def send(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
            queue = self.get_queue(queue_name)
            queue._algocloud_sending = True
            try:
                return method(self, queue_name, *args, **kwargs)
            finally:
                queue._algocloud_sending = False

        return send

    models.SQSBackend.send_message = sending(models.SQSBackend.send_message)  # type: ignore[method-assign]
    models.SQSBackend.send_message_batch = sending(models.SQSBackend.send_message_batch)  # type: ignore[method-assign]
    models._algocloud_quick = True  # type: ignore[attr-defined]


def serialise_in_process() -> None:
    """For `mock_aws` (tests): every boto3 call handled by moto in this process."""
    from moto.core.botocore_stubber import BotocoreStubber

    _serialise(BotocoreStubber)
    _bound_transaction_memory()
    _page_queries()
    _quick_sqs()
    s3_policy.enforce()


def serialise_server() -> None:
    """For the moto server (local stack): every HTTP request it answers."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    _serialise(DomainDispatcherApplication)
    _bound_transaction_memory()
    _page_queries()
    _quick_sqs()
    s3_policy.enforce()

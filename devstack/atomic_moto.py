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

3. S3's checks of presigned form POSTs and of parts (devstack.s3_policy).
"""

from __future__ import annotations

import copy
import threading
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


def serialise_in_process() -> None:
    """For `mock_aws` (tests): every boto3 call handled by moto in this process."""
    from moto.core.botocore_stubber import BotocoreStubber

    _serialise(BotocoreStubber)
    _bound_transaction_memory()
    s3_policy.enforce()


def serialise_server() -> None:
    """For the moto server (local stack): every HTTP request it answers."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    _serialise(DomainDispatcherApplication)
    _bound_transaction_memory()
    s3_policy.enforce()

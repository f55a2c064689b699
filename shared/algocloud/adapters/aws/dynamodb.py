"""The DynamoDB repository: sessions, scenarios and dataset metadata in one table.

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

import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NoReturn

from botocore.exceptions import ClientError

from ... import limits
from ...domain.errors import Conflict, InvalidTransition, NotFound
from ...domain.jobs import Fields, IngestJob, check_job_transition, job_from_record, job_record, job_update
from ...domain.ports import DatasetRecord, Position, SessionRecord
from ...domain.scenario import (
    IN_FLIGHT,
    RUN_FIELDS,
    STORED_FIELDS,
    Scenario,
    ScenarioStatus,
    Status,
    check_transition,
    now_iso,
    sources_of,
)

TENANT_MARKER = "TENANT"
DEPLOYMENT_PK = "DEPLOYMENT"  # the deployment's own items (secrets), outside every tenant
PROCESSING_LOCK = "PROCESSING"


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


# -- items <-> records ----------------------------------------------------------
def _session_from(item: Mapping[str, Any]) -> SessionRecord:
    plain = _plain_item(item)
    return SessionRecord(plain["session_id"], plain["display_name"], plain["created_at"])


def _name_guard(tenant: str, session: SessionRecord) -> dict[str, Any]:
    """The display-name guard; it carries the session's fields so a lookup by name is one read."""
    return {
        **_key(tenant_pk(tenant), f"NAME#{session.display_name}"),
        **_item(session_id=session.id, display_name=session.display_name, created_at=session.created_at),
    }


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _dataset_item(tenant: str, session_id: str, record: DatasetRecord) -> dict[str, Any]:
    return {
        **_key(session_pk(tenant, session_id), f"DATASET#{record.key}"),
        **_item(
            kind="dataset",
            key=record.key,
            ds_id=record.ds_id,
            ds_type=record.ds_type,
            creation_datetime=record.creation_datetime,
            tables=record.tables,
            object_key=record.object_key,
            size_bytes=record.size_bytes,
            refs=record.refs,
        ),
    }


def _dataset_from(item: Mapping[str, Any]) -> DatasetRecord:
    p = _plain_item(item)
    return DatasetRecord(
        p["key"],
        p["ds_id"],
        p["ds_type"],
        p["creation_datetime"],
        p.get("tables", []),
        p["object_key"],
        p.get("size_bytes", 0),
        p.get("refs", 0),
    )


# Scenario fields kept as JSON text (free-form documents), the rest as attributes.
_JSON_FIELDS = ("parameters", "data_parameters", "result", "kpi_values", "provenance")


def _scenario_item(tenant: str, session_id: str, scenario: Scenario) -> dict[str, Any]:
    """The scenario's item; its result, if any, goes in `_result_item`."""
    import orjson

    documents = {
        name: orjson.dumps(getattr(scenario, name)).decode()
        for name in _JSON_FIELDS
        if name != "result" and getattr(scenario, name) is not None
    }
    return {
        **_key(session_pk(tenant, session_id), f"SCENARIO#{scenario.id}"),
        **_item(
            kind="scenario",
            id=scenario.id,
            tag=scenario.tag,
            input_data_id=scenario.input_data_id,
            algorithm=scenario.algorithm,
            status=str(scenario.status),
            progress=float(scenario.progress),
            error=scenario.error,
            created_at=scenario.created_at,
            run_id=scenario.run_id,
            run_started_at=scenario.run_started_at,
            run_finished_at=scenario.run_finished_at,
            result_ref=scenario.result_ref,
            tier=scenario.tier,
            executor=scenario.executor,
            task_id=scenario.task_id,
            receipt=scenario.receipt,
            **documents,
        ),
    }


def _result_key(tenant: str, session_id: str, scenario_id: str) -> dict[str, Any]:
    return _key(session_pk(tenant, session_id), f"RESULT#{scenario_id}")


def _result_item(tenant: str, session_id: str, scenario_id: str, result: Any) -> dict[str, Any]:
    import orjson

    return {
        **_result_key(tenant, session_id, scenario_id),
        **_item(kind="result", id=scenario_id, result=orjson.dumps(result).decode()),
    }


def scenario_from_item(item: Mapping[str, Any], result_item: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario from its item, with the result from its result item (or, written before
    results had their own item, from its own `result` attribute)."""
    import orjson

    p = _plain_item(item)
    if result_item is not None and "result" in result_item:
        p["result"] = result_item["result"]["S"]
    for name in _JSON_FIELDS:
        if name in p:
            p[name] = orjson.loads(p[name])
    return Scenario(
        id=p["id"],
        tag=p["tag"],
        input_data_id=p["input_data_id"],
        algorithm=p["algorithm"],
        parameters=p.get("parameters", {}),
        data_parameters=p.get("data_parameters", {}),
        status=Status(p["status"]),
        progress=float(p.get("progress", 0.0)),
        result=p.get("result"),
        kpi_values=p.get("kpi_values"),
        error=p.get("error"),
        created_at=p["created_at"],
        run_id=p.get("run_id"),
        run_started_at=p.get("run_started_at"),
        run_finished_at=p.get("run_finished_at"),
        result_ref=p.get("result_ref"),
        tier=p.get("tier"),
        executor=p.get("executor"),
        task_id=p.get("task_id"),
        receipt=p.get("receipt"),
        provenance=p.get("provenance"),
    )


# What a list reads of a scenario item: everything but the result.
_LISTED_ATTRIBUTES = tuple(name for name in STORED_FIELDS if name != "result")


def _job_item(tenant: str, session_id: str, job: IngestJob) -> dict[str, Any]:
    return {**_key(session_pk(tenant, session_id), f"JOB#{job.job_id}"), **_item(kind="job", **job_record(job))}


class _Cancelled(Exception):
    """A transaction whose conditions failed; `failed[i]` is True for item i."""

    def __init__(self, failed: list[bool]):
        super().__init__(failed)
        self.failed = failed


class DynamoTable:
    """The table's low-level operations, shared by the repository and the accounts."""

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
    ) -> Iterator[dict[str, Any]]:
        """A query over an item collection (the sort keys with a prefix), following DynamoDB's
        1 MB pages, or in a sort key range. From the sort key `after` on (it need not exist), at
        most `limit` items (read: a page of 50 reads 50 items), with only `attributes` when given."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
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


class DynamoRepository(DynamoTable):
    """Sessions, scenarios, datasets. Methods take the tenant explicitly; nothing crosses tenants."""

    def __init__(self, dynamodb_client, table_name: str):
        super().__init__(dynamodb_client, table_name)
        self._secrets: dict[str, bytes] = {}

    def secret(self, name: str) -> bytes:
        """One item per secret (pk DEPLOYMENT), put only if absent; read once per container."""
        cached = self._secrets.get(name)
        if cached is not None:
            return cached
        sk = f"SECRET#{name}"
        item = self._get(DEPLOYMENT_PK, sk)
        if item is None:
            try:
                self._db.put_item(
                    TableName=self._table,
                    Item={**_key(DEPLOYMENT_PK, sk), **_item(value=secrets.token_bytes(32))},
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
            item = self._get(DEPLOYMENT_PK, sk)
            assert item is not None
        self._secrets[name] = bytes(_plain(item["value"]))
        return self._secrets[name]

    # -- tenants and sessions -----------------------------------------------------
    def tenant_exists(self, tenant: str) -> bool:
        return self._get(tenant_pk(tenant), TENANT_MARKER, projection="pk") is not None

    def _session_puts(self, tenant: str, session: SessionRecord) -> list[dict]:
        pk = tenant_pk(tenant)
        return [
            self._put(
                {
                    **_key(pk, f"SESSION#{session.id}"),
                    **_item(
                        kind="session",
                        session_id=session.id,
                        display_name=session.display_name,
                        created_at=session.created_at,
                    ),
                },
                "attribute_not_exists(pk)",
            ),
            self._put(_name_guard(tenant, session), "attribute_not_exists(pk)"),
        ]

    def create_session(
        self,
        tenant: str,
        session: SessionRecord,
        datasets: Sequence[DatasetRecord] = (),
        mark_tenant: bool = False,
    ) -> bool:
        """Create a session (and its datasets) atomically.

        Raises Conflict when the display name is taken. With `mark_tenant`, the
        tenant's bootstrap marker is written too, and False is returned (nothing
        written) when the tenant was already bootstrapped.
        """
        operations = self._session_puts(tenant, session)
        operations += [self._put(_dataset_item(tenant, session.id, d)) for d in datasets]
        if mark_tenant:
            marker = {**_key(tenant_pk(tenant), TENANT_MARKER), **_item(created_at=now_iso())}
            operations.append(self._put(marker, "attribute_not_exists(pk)"))
        try:
            self._transact(operations)
        except _Cancelled as cancelled:
            if mark_tenant and cancelled.failed[-1]:
                return False
            raise Conflict(f"a session named '{session.display_name}' already exists") from None
        return True

    def list_sessions(
        self, tenant: str, after: Position | None = None, limit: int | None = None
    ) -> list[SessionRecord]:
        """In sort-key order, which is creation order (UUIDv7 ids: domain.ids); the page alone."""
        start = None if after is None else f"SESSION#{after[1]}"
        return [_session_from(item) for item in self._query(tenant_pk(tenant), "SESSION#", start, limit)]

    def find_session(self, tenant: str, id_or_name: str) -> SessionRecord | None:
        """By UUID, else by current display name: one read, two for a UUID-shaped name."""
        pk = tenant_pk(tenant)
        if _is_uuid(id_or_name):
            item = self._get(pk, f"SESSION#{id_or_name}")
            if item is not None:
                return _session_from(item)
        guard = self._get(pk, f"NAME#{id_or_name}")
        return None if guard is None else _session_from(guard)

    def rename_session(self, tenant: str, session: SessionRecord, new_name: str) -> SessionRecord:
        if new_name == session.display_name:
            return session
        pk = tenant_pk(tenant)
        renamed = SessionRecord(session.id, new_name, session.created_at)
        same_session = {":id": {"S": session.id}, ":name": {"S": new_name}}
        try:
            self._transact(
                [
                    self._put(_name_guard(tenant, renamed), "attribute_not_exists(pk)"),
                    self._delete(
                        pk,
                        f"NAME#{session.display_name}",
                        "session_id = :id",
                        ExpressionAttributeValues={":id": {"S": session.id}},
                    ),
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(pk, f"SESSION#{session.id}"),
                            "UpdateExpression": "SET display_name = :name",
                            "ConditionExpression": "attribute_exists(pk) AND session_id = :id",
                            "ExpressionAttributeValues": same_session,
                        }
                    },
                ]
            )
        except _Cancelled as cancelled:
            if cancelled.failed[0]:
                raise Conflict(f"a session named '{new_name}' already exists") from None
            if self._get(pk, f"SESSION#{session.id}", projection="pk") is not None:
                # Its old name changed under us: another rename won the race.
                raise Conflict(f"session '{session.display_name}' was renamed meanwhile; try again") from None
            raise NotFound(f"session '{session.display_name}' no longer exists") from None
        return renamed

    def delete_session(self, tenant: str, session: SessionRecord) -> None:
        """Remove the session and its name guard; `purge_session` removes its contents."""
        pk = tenant_pk(tenant)
        try:
            self._transact(
                [
                    self._delete(pk, f"SESSION#{session.id}", "attribute_exists(pk)"),
                    self._delete(
                        pk,
                        f"NAME#{session.display_name}",
                        "session_id = :id",
                        ExpressionAttributeValues={":id": {"S": session.id}},
                    ),
                ]
            )
        except _Cancelled:
            raise NotFound(f"session '{session.display_name}' not found") from None

    def _session_items(self, tenant: str, session_id: str) -> list[dict[str, Any]]:
        return list(self._query(session_pk(tenant, session_id), ""))

    def purge_session(self, tenant: str, session_id: str) -> None:
        """Delete every item of a session's collection (after delete_session)."""
        items = self._session_items(tenant, session_id)
        self._batch_write([{"DeleteRequest": {"Key": {"pk": i["pk"], "sk": i["sk"]}}} for i in items])

    def copy_session_contents(
        self, tenant: str, source_id: str, target_id: str, copy_object: Callable[[str], str]
    ) -> None:
        """Copy datasets, scenarios (with results and KPI values) and tag guards.

        `copy_object(key) -> new key` copies an S3 object the copy refers to.
        Queued or processing scenarios are copied as created: no run message
        exists for the copy, so it must not look in flight.
        """
        target_pk = {"S": session_pk(tenant, target_id)}
        copies = []
        for item in self._session_items(tenant, source_id):
            kind = item.get("kind", {}).get("S")
            sk = item["sk"]["S"]
            if sk == PROCESSING_LOCK or kind in ("job", "experiment"):  # they belong to their session
                continue
            item = {**item, "pk": target_pk}
            if kind == "dataset":
                item["object_key"] = {"S": copy_object(item["object_key"]["S"])}
            elif kind == "scenario":
                if Status(item["status"]["S"]) in IN_FLIGHT:
                    item = {k: v for k, v in item.items() if k not in RUN_FIELDS}
                    item.update(status=_av(str(Status.CREATED)), progress=_av(0.0))
                elif "result_ref" in item:
                    item["result_ref"] = {"S": copy_object(item["result_ref"]["S"])}
            copies.append({"PutRequest": {"Item": item}})
        self._batch_write(copies)

    # -- datasets -------------------------------------------------------------------
    def list_datasets(self, tenant: str, session_id: str) -> list[DatasetRecord]:
        return [_dataset_from(i) for i in self._query(session_pk(tenant, session_id), "DATASET#")]

    def get_dataset(self, tenant: str, session_id: str, key: str) -> DatasetRecord | None:
        item = self._get(session_pk(tenant, session_id), f"DATASET#{key}")
        return None if item is None else _dataset_from(item)

    def put_dataset(self, tenant: str, session_id: str, record: DatasetRecord, overwrite: bool) -> DatasetRecord | None:
        """Store dataset metadata; returns the record it replaced.

        Only while the session exists. Without `overwrite` an existing key is a
        Conflict; with it, a key still referenced by scenarios is a Conflict.
        """
        condition = "attribute_not_exists(pk)"
        if overwrite:
            condition += " OR refs = :zero"
        previous = self.get_dataset(tenant, session_id, record.key) if overwrite else None
        put = self._put(
            _dataset_item(tenant, session_id, record),
            condition,
            **({"ExpressionAttributeValues": {":zero": {"N": "0"}}} if overwrite else {}),
        )
        try:
            self._transact([self._check(tenant_pk(tenant), f"SESSION#{session_id}"), put])
        except _Cancelled as cancelled:
            if cancelled.failed[0]:
                raise NotFound("session not found") from None
            if overwrite:
                raise Conflict(
                    f"dataset '{record.key}' is used by scenarios; delete them before replacing it"
                ) from None
            raise Conflict(f"a dataset named '{record.key}' already exists") from None
        return previous

    def delete_dataset(self, tenant: str, session_id: str, key: str) -> DatasetRecord:
        """Delete dataset metadata unless scenarios reference it; returns what was deleted."""
        try:
            response = self._db.delete_item(
                TableName=self._table,
                Key=_key(session_pk(tenant, session_id), f"DATASET#{key}"),
                ConditionExpression="attribute_exists(pk) AND refs = :zero",
                ExpressionAttributeValues={":zero": {"N": "0"}},
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            if "Item" not in exc.response:
                raise NotFound(f"dataset '{key}' not found") from None
            raise Conflict(
                f"dataset '{key}' is used by {_plain(exc.response['Item']['refs'])} scenario(s); delete them first"
            ) from None
        return _dataset_from(response["Attributes"])

    # -- scenarios --------------------------------------------------------------------
    def list_scenarios(
        self,
        tenant: str,
        session_id: str,
        after: Position | None = None,
        limit: int | None = None,
    ) -> list[Scenario]:
        """In sort-key order, which is creation order (UUIDv7 ids: domain.ids); the page alone."""
        start = None if after is None else f"SCENARIO#{after[1]}"
        # not `result`, which only items written before results had their own item hold
        items = self._query(session_pk(tenant, session_id), "SCENARIO#", start, limit, _LISTED_ATTRIBUTES)
        return [scenario_from_item(item) for item in items]

    def scenario_results(self, tenant: str, session_id: str, scenario_ids: Sequence[str]) -> dict[str, Any]:
        """The result items of these scenarios (BatchGetItem, 100 keys a call)."""
        import orjson

        keys = [_result_key(tenant, session_id, i) for i in scenario_ids]
        found = {item["id"]["S"]: orjson.loads(item["result"]["S"]) for item in self._batch_get(keys)}
        older = [i for i in scenario_ids if i not in found]  # results kept in the scenario item
        if older:
            pk = session_pk(tenant, session_id)
            legacy = self._batch_get([_key(pk, f"SCENARIO#{i}") for i in older], "id, #r", {"#r": "result"})
            found |= {item["id"]["S"]: orjson.loads(item["result"]["S"]) for item in legacy if "result" in item}
        return found

    def get_scenario(self, tenant: str, session_id: str, scenario_id: str) -> Scenario | None:
        """The scenario and its result: one BatchGetItem of the two items."""
        scenario_key = _key(session_pk(tenant, session_id), f"SCENARIO#{scenario_id}")
        items = self._batch_get([scenario_key, _result_key(tenant, session_id, scenario_id)])
        by_kind = {item["sk"]["S"].split("#", 1)[0]: item for item in items}
        if "SCENARIO" not in by_kind:
            return None
        return scenario_from_item(by_kind["SCENARIO"], by_kind.get("RESULT"))

    def get_status(self, tenant: str, session_id: str, scenario_id: str) -> ScenarioStatus | None:
        item = self._get(
            session_pk(tenant, session_id),
            f"SCENARIO#{scenario_id}",
            projection="id, tag, #status, progress",
            names={"#status": "status"},
        )
        if item is None:
            return None
        plain = _plain_item(item)
        return ScenarioStatus(plain["id"], plain["tag"], Status(plain["status"]), float(plain.get("progress", 0.0)))

    def create_scenario(self, tenant: str, session_id: str, scenario: Scenario) -> None:
        """Store a new scenario: tag unique, dataset present (and counted as used), session present."""
        self.create_scenarios(tenant, session_id, [scenario])

    def create_scenarios(self, tenant: str, session_id: str, scenarios: Sequence[Scenario]) -> None:
        """Transactions of up to 100 items: the session's check, each dataset's reference count
        raised by its share, and per scenario its tag guard, its item (and a result it has)."""
        pk = session_pk(tenant, session_id)
        # the session's check, a count per dataset, and three items a scenario at most
        per_write = (limits.DYNAMODB_TRANSACTION_ITEMS - 1 - len({s.input_data_id for s in scenarios})) // 3
        for start in range(0, len(scenarios), per_write):
            chunk = scenarios[start : start + per_write]
            counts = Counter(s.input_data_id for s in chunk)
            operations = [self._check(tenant_pk(tenant), f"SESSION#{session_id}")]
            operations += [self._count_refs(pk, key, count) for key, count in counts.items()]
            tag_guards = []  # (operation index, scenario)
            for scenario in chunk:
                tag_guards.append((len(operations), scenario))
                guard = {**_key(pk, f"TAG#{scenario.tag}"), **_item(scenario_id=scenario.id)}
                operations.append(self._put(guard, "attribute_not_exists(pk)"))
                operations.append(self._put(_scenario_item(tenant, session_id, scenario), "attribute_not_exists(pk)"))
                if scenario.result is not None:
                    operations.append(self._put(_result_item(tenant, session_id, scenario.id, scenario.result)))
            try:
                self._transact(operations)
            except _Cancelled as cancelled:
                if cancelled.failed[0]:
                    raise NotFound("session not found") from None
                for key, failed in zip(counts, cancelled.failed[1:], strict=False):
                    if failed:
                        raise NotFound(f"dataset '{key}' not found in this session") from None
                for index, scenario in tag_guards:
                    if cancelled.failed[index]:
                        raise Conflict(f"a scenario tagged '{scenario.tag}' already exists in this session") from None
                raise

    def _count_refs(self, pk: str, dataset_key: str, change: int) -> dict[str, Any]:
        """A dataset's reference count changed by `change` scenarios, only while it exists."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": _key(pk, f"DATASET#{dataset_key}"),
                "UpdateExpression": "ADD refs :change",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {":change": {"N": str(change)}},
            }
        }

    def delete_scenario(self, tenant: str, session_id: str, scenario: Scenario) -> None:
        pk = session_pk(tenant, session_id)
        try:
            self._transact(
                [
                    self._delete(pk, f"SCENARIO#{scenario.id}", "attribute_exists(pk)"),
                    self._delete(pk, f"TAG#{scenario.tag}"),
                    self._delete(pk, f"RESULT#{scenario.id}"),
                    self._count_refs(pk, scenario.input_data_id, -1),
                ]
            )
        except _Cancelled as cancelled:
            if cancelled.failed[0]:
                raise NotFound("scenario not found") from None
            raise

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
        """Conditionally move a scenario to `target`; returns the updated scenario.

        The condition is the state machine's (the current status must be one
        from which `target` may be entered) and, with `run_id`, that the
        scenario is still on that run. NotFound / InvalidTransition otherwise.
        """
        fields = dict(set_fields or {})
        result = fields.pop("result", None)
        # A result is written to (or, on reset, removed from) its own item in the same transaction.
        result_changes = result is not None or "result" in remove_fields or "result" in (set_fields or {})
        names = {"#status": "status"}
        values: dict[str, Any] = {":target": _av(str(target))}
        sources = sorted(sources_of(target))
        placeholders = []
        for index, source in enumerate(sources):
            values[f":s{index}"] = _av(str(source))
            placeholders.append(f":s{index}")
        condition = f"attribute_exists(pk) AND #status IN ({', '.join(placeholders)})"
        if run_id is not None:
            condition += " AND run_id = :run_id"
            values[":run_id"] = _av(run_id)
        assignments = ["#status = :target"]
        for index, (name, value) in enumerate(fields.items()):
            names[f"#f{index}"] = name
            if name in _JSON_FIELDS:
                import orjson

                value = orjson.dumps(value).decode()
            values[f":f{index}"] = _av(value)
            assignments.append(f"#f{index} = :f{index}")
        update = "SET " + ", ".join(assignments)
        if remove_fields:  # `result` too: an item written when results were kept in it
            for index, name in enumerate(remove_fields):
                names[f"#r{index}"] = name
            update += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove_fields)))
        request = {
            "TableName": self._table,
            "Key": _key(session_pk(tenant, session_id), f"SCENARIO#{scenario_id}"),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if result_changes:
            if result is not None:
                result_write = self._put(_result_item(tenant, session_id, scenario_id, result))
            else:
                result_write = self._delete(session_pk(tenant, session_id), f"RESULT#{scenario_id}")
            try:
                self._transact([{"Update": request}, result_write])
            except _Cancelled:
                self._refuse(self._get(session_pk(tenant, session_id), f"SCENARIO#{scenario_id}"), target, run_id)
            updated = self.get_scenario(tenant, session_id, scenario_id)
            if updated is None:  # deleted right after
                raise NotFound("scenario not found")
            return updated
        try:
            response = self._db.update_item(
                **request, ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD"
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            self._refuse(exc.response.get("Item"), target, run_id)
        return scenario_from_item(response["Attributes"])

    @staticmethod
    def _refuse(old: Mapping[str, Any] | None, target: Status, run_id: str | None) -> NoReturn:
        """The error of a transition whose condition failed, from the item as it was."""
        if old is None:
            raise NotFound("scenario not found")
        current = scenario_from_item(old)
        if run_id is not None and current.run_id != run_id:
            raise InvalidTransition("scenario is on another run")
        check_transition(current.status, target)  # raises with a message for the user
        raise InvalidTransition("the scenario changed meanwhile; try again")

    def update_progress(self, tenant: str, session_id: str, scenario_id: str, run_id: str, progress: float) -> None:
        """Progress of a processing run; NotFound / InvalidTransition once it is not that run."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=_key(session_pk(tenant, session_id), f"SCENARIO#{scenario_id}"),
                UpdateExpression="SET progress = :progress",
                ConditionExpression="attribute_exists(pk) AND #status = :processing AND run_id = :run_id",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":progress": _av(float(progress)),
                    ":run_id": _av(run_id),
                    ":processing": _av(str(Status.PROCESSING)),
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            if "Item" not in exc.response:
                raise NotFound("scenario not found") from None
            raise InvalidTransition("the scenario is no longer on this run") from None

    def in_flight_runs(self) -> Iterator[tuple[str, str, Scenario]]:
        """(tenant, session id, scenario) of every queued or processing scenario.

        A full-table scan: for maintenance only (the local stack re-queues these
        after a restart), never on a request path.
        """
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "kind = :scenario AND #status IN (:queued, :processing)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":scenario": _av("scenario"),
                ":queued": _av(str(Status.QUEUED)),
                ":processing": _av(str(Status.PROCESSING)),
            },
        }
        while True:
            page = self._db.scan(**request)
            for item in page.get("Items", []):
                _, tenant, _, session_id = item["pk"]["S"].split("#", 3)
                yield tenant, session_id, scenario_from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- ingestion jobs -------------------------------------------------------------------
    def create_job(self, tenant: str, session_id: str, job: IngestJob) -> None:
        try:
            self._transact(
                [
                    self._check(tenant_pk(tenant), f"SESSION#{session_id}"),
                    self._put(_job_item(tenant, session_id, job), "attribute_not_exists(pk)"),
                ]
            )
        except _Cancelled as cancelled:
            if cancelled.failed[0]:
                raise NotFound("session not found") from None
            raise Conflict(f"job '{job.job_id}' exists") from None

    def get_job(self, tenant: str, session_id: str, job_id: str) -> IngestJob | None:
        item = self._get(session_pk(tenant, session_id), f"JOB#{job_id}")
        return None if item is None else job_from_record(_plain_item(item))

    def transition_job(
        self, tenant: str, session_id: str, job_id: str, target: Status, fields: Fields = None
    ) -> IngestJob:
        """Conditionally move a job to `target` (the condition: domain.jobs.JOB_TRANSITIONS)."""
        changes, sources = job_update(target, fields)
        names, values = {}, {}
        for index, source in enumerate(sources):
            values[f":s{index}"] = _av(source)
        condition = f"attribute_exists(pk) AND #f0 IN ({', '.join(f':s{i}' for i in range(len(sources)))})"
        assignments = []
        for index, (name, value) in enumerate(changes.items()):  # status first: #f0
            names[f"#f{index}"] = name
            values[f":f{index}"] = _av(value)
            assignments.append(f"#f{index} = :f{index}")
        try:
            response = self._db.update_item(
                TableName=self._table,
                Key=_key(session_pk(tenant, session_id), f"JOB#{job_id}"),
                UpdateExpression="SET " + ", ".join(assignments),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            if old is None:
                raise NotFound("job not found") from None
            check_job_transition(job_from_record(_plain_item(old)).status, target)  # raises with a message
            raise InvalidTransition("the job changed meanwhile; try again") from None
        return job_from_record(_plain_item(response["Attributes"]))

    # -- experiments ------------------------------------------------------------------
    def create_experiment(self, tenant: str, session_id: str, record: Mapping[str, Any]) -> None:
        import orjson

        item = {
            **_key(session_pk(tenant, session_id), f"EXPERIMENT#{record['id']}"),
            **_item(kind="experiment", body=orjson.dumps(record).decode()),
        }
        try:
            self._transact([self._check(tenant_pk(tenant), f"SESSION#{session_id}"), self._put(item)])
        except _Cancelled:
            raise NotFound("session not found") from None

    def get_experiment(self, tenant: str, session_id: str, experiment_id: str) -> dict[str, Any] | None:
        import orjson

        item = self._get(session_pk(tenant, session_id), f"EXPERIMENT#{experiment_id}")
        return None if item is None else orjson.loads(item["body"]["S"])

    def list_experiments(self, tenant: str, session_id: str) -> list[dict[str, Any]]:
        import orjson

        items = self._query(session_pk(tenant, session_id), "EXPERIMENT#")
        return [orjson.loads(item["body"]["S"]) for item in items]

    def replace_experiment(self, tenant: str, session_id: str, record: Mapping[str, Any]) -> None:
        import orjson

        item = {
            **_key(session_pk(tenant, session_id), f"EXPERIMENT#{record['id']}"),
            **_item(kind="experiment", body=orjson.dumps(record).decode()),
        }
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise NotFound(f"experiment '{record['id']}' not found") from None

    def delete_experiment(self, tenant: str, session_id: str, experiment_id: str) -> None:
        self._db.delete_item(
            TableName=self._table, Key=_key(session_pk(tenant, session_id), f"EXPERIMENT#{experiment_id}")
        )

    # -- processing ---------------------------------------------------------------------
    # The FIFO queue (one message group per session) guarantees one run per
    # session at a time; this item only records which one, for GET /processing.
    def processing_scenario_id(self, tenant: str, session_id: str) -> str | None:
        item = self._get(session_pk(tenant, session_id), PROCESSING_LOCK)
        return None if item is None else _plain(item["scenario_id"])

    def set_processing(self, tenant: str, session_id: str, scenario_id: str, run_id: str) -> None:
        """Only while the session exists, so a deleted session gets no stray item."""
        item = {
            **_key(session_pk(tenant, session_id), PROCESSING_LOCK),
            **_item(scenario_id=scenario_id, run_id=run_id, since=now_iso()),
        }
        try:
            self._transact([self._check(tenant_pk(tenant), f"SESSION#{session_id}"), self._put(item)])
        except _Cancelled:
            raise NotFound("session not found") from None

    def clear_processing(self, tenant: str, session_id: str, run_id: str) -> None:
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=_key(session_pk(tenant, session_id), PROCESSING_LOCK),
                ConditionExpression="run_id = :run_id",
                ExpressionAttributeValues={":run_id": _av(run_id)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

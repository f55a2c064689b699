"""Sessions on the table: a session item and its name guard per session, the tenant's marker, the
processing marker, and the deployment's secrets (table.py has the key layout)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from ...domain.errors import Conflict, NotFound
from ...domain.scenario import IN_FLIGHT, RUN_FIELDS, Status, now_iso
from ...domain.stores import DatasetRecord, Position, SessionRecord
from .datasets import _dataset_item
from .table import DynamoTable, _av, _Cancelled, _item, _key, _plain, _plain_item, session_pk, tenant_pk

TENANT_MARKER = "TENANT"
DEPLOYMENT_PK = "DEPLOYMENT"  # the deployment's own items (secrets), outside every tenant
PROCESSING_LOCK = "PROCESSING"


def _session_from(item: Mapping[str, Any]) -> SessionRecord:
    plain = _plain_item(item)
    return SessionRecord(
        plain["session_id"], plain["display_name"], plain["created_at"], plain.get("created_by"),
        bool(plain.get("private")),
    )  # fmt: skip


def _session_fields(session: SessionRecord) -> dict[str, Any]:
    return _item(session_id=session.id, display_name=session.display_name, created_at=session.created_at,
                 created_by=session.created_by, private=session.private or None)  # fmt: skip


def _name_guard(tenant: str, session: SessionRecord) -> dict[str, Any]:
    """The display-name guard; it carries the session's fields so a lookup by name is one read."""
    return {**_key(tenant_pk(tenant), f"NAME#{session.display_name}"), **_session_fields(session)}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class DynamoSecrets(DynamoTable):
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


class DynamoSessions(DynamoTable):
    def tenant_exists(self, tenant: str) -> bool:
        return self._get(tenant_pk(tenant), TENANT_MARKER, projection="pk") is not None

    def _session_puts(self, tenant: str, session: SessionRecord) -> list[dict]:
        pk = tenant_pk(tenant)
        return [
            self._put(
                {**_key(pk, f"SESSION#{session.id}"), **_item(kind="session"), **_session_fields(session)},
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
        renamed = replace(session, display_name=new_name)
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
            self._transact([self._session_check(tenant, session_id), self._put(item)])
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

"""Tenants, API keys and usage counters in the same DynamoDB table.

    pk                    sk                    item
    ACCOUNTS              TENANT#<tenant id>    a tenant (name, created_at)
    ACCOUNTS              TENANTNAME#<name>     uniqueness guard -> tenant id
    APIKEY#<key id>       KEY                   a key -> its tenant (revoked_at once revoked)
    APIKEYDIGEST#<sha256> KEY                   a key's value digest -> its id
    ACCOUNT#<tenant id>   KEY#<key id>          the tenant's keys, for listing
    USAGE#<tenant id>     DAY#<YYYY-MM-DD>      counters (numbers, added with ADD)
    USAGE#<tenant id>     EVENT#<event id>      an event already counted (expires_at: TTL)

A count is one transaction: put the event item unless it exists, and ADD the
increments to the day. A repeated event fails the condition and adds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from ...domain.accounts import (
    COUNTERS,
    EVENT_RETENTION_DAYS,
    ApiKeyRecord,
    TenantRecord,
    UsageDay,
    checked_counters,
    checked_key_id,
    checked_tenant_id,
)
from ...domain.errors import Conflict, NotFound
from ...domain.identity import Role
from .table import DynamoTable, _Cancelled, _item, _key, _plain_item

ACCOUNTS = "ACCOUNTS"


def _tenant_from(item: Mapping[str, Any]) -> TenantRecord:
    plain = _plain_item(item)
    return TenantRecord(plain["tenant_id"], plain["name"], plain["created_at"], plain.get("max_parallel_runs"))


def _key_from(item: Mapping[str, Any]) -> ApiKeyRecord:
    plain = _plain_item(item)
    return ApiKeyRecord(
        key_id=plain["key_id"],
        tenant_id=plain["tenant_id"],
        created_at=plain["created_at"],
        revoked_at=plain.get("revoked_at"),
        role=Role(plain.get("role") or Role.ADMIN),  # a key made before keys had roles: its tenant's admin
        expires_at=plain.get("expires_at_iso"),  # (`expires_at` is the table's TTL attribute)
        created_by=plain.get("created_by"),
        value_digest=plain.get("value_digest"),
    )


class DynamoAccounts(DynamoTable):
    def create_tenant(self, tenant: TenantRecord) -> None:
        checked_tenant_id(tenant.id)
        try:
            self._transact(
                [
                    self._put(
                        {
                            **_key(ACCOUNTS, f"TENANT#{tenant.id}"),
                            **_item(tenant_id=tenant.id, name=tenant.name, created_at=tenant.created_at),
                        },
                        "attribute_not_exists(pk)",
                    ),
                    self._put(
                        {**_key(ACCOUNTS, f"TENANTNAME#{tenant.name}"), **_item(tenant_id=tenant.id)},
                        "attribute_not_exists(pk)",
                    ),
                ]
            )
        except _Cancelled:
            raise Conflict(f"a tenant named '{tenant.name}' already exists") from None

    def get_tenant(self, tenant_id: str) -> TenantRecord | None:
        item = self._get(ACCOUNTS, f"TENANT#{tenant_id}")
        return None if item is None else _tenant_from(item)

    def find_tenant(self, id_or_name: str) -> TenantRecord | None:
        found = self.get_tenant(id_or_name)
        if found is None:
            guard = self._get(ACCOUNTS, f"TENANTNAME#{id_or_name}")
            found = None if guard is None else self.get_tenant(guard["tenant_id"]["S"])
        return found

    def list_tenants(self) -> list[TenantRecord]:
        return sorted(
            (_tenant_from(item) for item in self._query(ACCOUNTS, "TENANT#")), key=lambda t: (t.created_at, t.name)
        )

    def set_max_parallel_runs(self, tenant_id: str, runs: int | None) -> TenantRecord:
        update = "SET max_parallel_runs = :runs" if runs is not None else "REMOVE max_parallel_runs"
        try:
            response = self._db.update_item(
                TableName=self._table,
                Key=_key(ACCOUNTS, f"TENANT#{tenant_id}"),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk)",
                **({"ExpressionAttributeValues": {":runs": {"N": str(runs)}}} if runs is not None else {}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise NotFound(f"tenant '{tenant_id}' not found") from None
        return _tenant_from(response["Attributes"])

    def add_key(self, key: ApiKeyRecord) -> None:
        checked_key_id(key.key_id)
        attributes = _item(key_id=key.key_id, tenant_id=key.tenant_id, created_at=key.created_at, role=str(key.role),
                           expires_at_iso=key.expires_at, created_by=key.created_by,
                           value_digest=key.value_digest)  # fmt: skip
        digest = (
            [
                self._put(
                    {**_key(f"APIKEYDIGEST#{key.value_digest}", "KEY"), **_item(key_id=key.key_id)},
                    "attribute_not_exists(pk)",
                )
            ]
            if key.value_digest
            else []
        )
        try:
            self._transact(
                [
                    self._check(ACCOUNTS, f"TENANT#{key.tenant_id}"),
                    self._put({**_key(f"APIKEY#{key.key_id}", "KEY"), **attributes}, "attribute_not_exists(pk)"),
                    self._put({**_key(f"ACCOUNT#{key.tenant_id}", f"KEY#{key.key_id}"), **attributes}),
                    *digest,
                ]
            )
        except _Cancelled as cancelled:
            if cancelled.failed[0]:
                raise NotFound(f"tenant '{key.tenant_id}' not found") from None
            raise Conflict(f"API key '{key.key_id}' is already registered") from None

    def get_key(self, key_id: str) -> ApiKeyRecord | None:
        item = self._get(f"APIKEY#{checked_key_id(key_id)}", "KEY")
        return None if item is None else _key_from(item)

    def key_by_digest(self, value_digest: str) -> ApiKeyRecord | None:
        item = self._get(f"APIKEYDIGEST#{value_digest}", "KEY")
        return None if item is None else self.get_key(item["key_id"]["S"])

    def revoke_key(self, key_id: str, revoked_at: str) -> ApiKeyRecord:
        key = self.get_key(key_id)
        if key is None:
            raise NotFound(f"API key '{key_id}' not found")
        if key.revoked_at:
            return key
        update = {"UpdateExpression": "SET revoked_at = :at", "ExpressionAttributeValues": {":at": {"S": revoked_at}}}
        self._transact(
            [
                {"Update": {"TableName": self._table, "Key": _key(f"APIKEY#{key_id}", "KEY"), **update}},
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _key(f"ACCOUNT#{key.tenant_id}", f"KEY#{key_id}"),
                        **update,
                    }
                },
            ]
        )
        return replace(key, revoked_at=revoked_at)

    def keys_of(self, tenant_id: str) -> list[ApiKeyRecord]:
        return sorted(
            (_key_from(item) for item in self._query(f"ACCOUNT#{tenant_id}", "KEY#")),
            key=lambda k: (k.created_at, k.key_id),
        )

    def count(self, tenant_id: str, day: str, event_id: str, increments: Mapping[str, float]) -> bool:
        names = {f"#c{index}": name for index, name in enumerate(checked_counters(increments))}
        values = {f":v{index}": {"N": repr(value)} for index, value in enumerate(increments.values())}
        expires = int(time.time()) + EVENT_RETENTION_DAYS * 86400
        try:
            self._transact(
                [
                    self._put(
                        {**_key(f"USAGE#{tenant_id}", f"EVENT#{event_id}"), **_item(expires_at=expires)},
                        "attribute_not_exists(pk)",
                    ),
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(f"USAGE#{tenant_id}", f"DAY#{day}"),
                            "UpdateExpression": "ADD " + ", ".join(f"{n} :v{i}" for i, n in enumerate(names)),
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values,
                        }
                    },
                ]
            )
        except _Cancelled:
            return False
        return True

    def usage(self, tenant_id: str, first_day: str, last_day: str) -> list[UsageDay]:
        days = []
        for item in self._query(f"USAGE#{tenant_id}", sk_between=(f"DAY#{first_day}", f"DAY#{last_day}")):
            plain = _plain_item(item)
            counters = {name: plain[name] for name in COUNTERS if name in plain}
            days.append(UsageDay(tenant_id, plain["sk"].removeprefix("DAY#"), counters))
        return days

"""Dataset metadata on the table (content in S3), with the count of scenarios that use each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from ...domain.errors import Conflict, NotFound
from ...domain.stores import DatasetRecord
from .table import DynamoTable, _Cancelled, _item, _key, _plain, _plain_item, session_pk


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
            created_by=record.created_by,
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
        p.get("created_by"),
    )


class DynamoDatasets(DynamoTable):
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
            self._transact([self._session_check(tenant, session_id), put])
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

"""Experiments on the table: one item per experiment holding its record's JSON document."""

from __future__ import annotations

from typing import Any

import orjson
from botocore.exceptions import ClientError

from ...domain.errors import NotFound
from ...domain.experiments import ExperimentRecord, ExperimentSummary
from .table import DynamoTable, _Cancelled, _item, _key, session_pk


class DynamoExperiments(DynamoTable):
    def _item(self, tenant: str, session_id: str, record: ExperimentRecord) -> dict[str, Any]:
        return {
            **_key(session_pk(tenant, session_id), f"EXPERIMENT#{record.summary.id}"),
            **_item(kind="experiment", body=orjson.dumps(record.to_document()).decode()),
        }

    def create_experiment(self, tenant: str, session_id: str, record: ExperimentRecord) -> None:
        try:
            self._transact([self._session_check(tenant, session_id), self._put(self._item(tenant, session_id, record))])
        except _Cancelled:
            raise NotFound("session not found") from None

    def get_experiment(self, tenant: str, session_id: str, experiment_id: str) -> ExperimentRecord | None:
        item = self._get(session_pk(tenant, session_id), f"EXPERIMENT#{experiment_id}")
        return None if item is None else ExperimentRecord.from_document(orjson.loads(item["body"]["S"]))

    def list_experiments(self, tenant: str, session_id: str) -> list[ExperimentSummary]:
        items = self._query(session_pk(tenant, session_id), "EXPERIMENT#")
        return [ExperimentSummary.from_record(orjson.loads(item["body"]["S"])) for item in items]

    def replace_experiment(self, tenant: str, session_id: str, record: ExperimentRecord) -> None:
        try:
            self._db.put_item(
                TableName=self._table,
                Item=self._item(tenant, session_id, record),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise NotFound(f"experiment '{record.summary.id}' not found") from None

    def delete_experiment(self, tenant: str, session_id: str, experiment_id: str) -> None:
        self._db.delete_item(
            TableName=self._table, Key=_key(session_pk(tenant, session_id), f"EXPERIMENT#{experiment_id}")
        )

"""Ingestion jobs on the table (domain.jobs)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ...domain.errors import Conflict, InvalidTransition, NotFound
from ...domain.jobs import Fields, IngestJob, check_job_transition, job_from_record, job_record, job_update
from ...domain.scenario import Status
from .table import DynamoTable, _av, _Cancelled, _item, _key, _plain_item, session_pk


def _job_item(tenant: str, session_id: str, job: IngestJob) -> dict[str, Any]:
    return {**_key(session_pk(tenant, session_id), f"JOB#{job.job_id}"), **_item(kind="job", **job_record(job))}


class DynamoJobs(DynamoTable):
    def create_job(self, tenant: str, session_id: str, job: IngestJob) -> None:
        try:
            self._transact(
                [
                    self._session_check(tenant, session_id),
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

"""Scenarios on the table: a scenario item, its tag guard and its result item (table.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn

from botocore.exceptions import ClientError

from ... import limits
from ...domain.errors import Conflict, InvalidTransition, NotFound
from ...domain.scenario import STORED_FIELDS, Scenario, ScenarioStatus, Status, check_transition, sources_of
from ...domain.stores import Position
from .table import DynamoTable, _av, _Cancelled, _item, _key, _plain_item, session_pk

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
            created_by=scenario.created_by,
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
        created_by=p.get("created_by"),
    )


# What a list reads of a scenario item: everything but the result.
_LISTED_ATTRIBUTES = tuple(name for name in STORED_FIELDS if name != "result")


class DynamoScenarios(DynamoTable):
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
            operations = [self._session_check(tenant, session_id)]
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

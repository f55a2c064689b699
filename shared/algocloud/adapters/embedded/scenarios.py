"""Scenarios in the local database; a result in its own table (as on DynamoDB in its own item)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson

from ...domain.errors import Conflict, InvalidTransition, NotFound
from ...domain.scenario import STORED_FIELDS, Scenario, ScenarioStatus, Status, check_transition, sources_of
from ...domain.stores import Position
from .sqlite import Database
from .store_db import _after, _limit, _session_exists

# Scenario fields kept as JSON text (free-form documents); the rest are plain columns.
_JSON_FIELDS = frozenset({"parameters", "data_parameters", "result", "kpi_values", "provenance"})
_SCENARIO_COLUMNS = STORED_FIELDS
# A result lives in its own table (as on DynamoDB, in its own item): a scenario row stays a few
# hundred bytes, so a list reads only small rows. (Kept in the row, a 25 KB result spills to
# overflow pages that SQLite walks to reach the columns after it: a list of 1,000 took 35 ms.)
# `scenarios.result` stays in the schema, always NULL (older state folders move theirs at open).
_SELECT_SCENARIO = f"SELECT {', '.join(_SCENARIO_COLUMNS)} FROM scenarios"
_SELECT_SCENARIO_WITH_RESULT = _SELECT_SCENARIO.replace(
    "result,",
    "(SELECT r.result FROM results AS r WHERE r.tenant = scenarios.tenant "
    "AND r.session_id = scenarios.session_id AND r.id = scenarios.id) AS result,",
    1,
)


def _column_value(name: str, value: Any) -> Any:
    if name in _JSON_FIELDS:
        return None if value is None else orjson.dumps(value).decode()
    if name == "status" and value is not None:
        return str(value)
    return value


def _write_results(db: sqlite3.Connection, tenant: str, session_id: str, scenarios: Sequence[Scenario]) -> None:
    db.executemany(
        "INSERT INTO results VALUES (?, ?, ?, ?)",
        [(tenant, session_id, s.id, orjson.dumps(s.result).decode()) for s in scenarios if s.result is not None],
    )


def _scenario_from(row: sqlite3.Row) -> Scenario:
    """A scenario from a row holding the `_SCENARIO_COLUMNS` (and maybe more)."""
    values = {name: row[name] for name in _SCENARIO_COLUMNS}
    for name in _JSON_FIELDS:
        text = values[name]
        values[name] = None if text is None else orjson.loads(text)
    values["parameters"] = values["parameters"] or {}
    values["data_parameters"] = values["data_parameters"] or {}
    values["status"] = Status(values["status"])
    values["progress"] = float(values["progress"])
    return Scenario(**values)


def _scenario_values(scenario: Scenario) -> tuple[Any, ...]:
    """The scenario's row; its result goes in the results table (`_write_results`)."""
    return tuple(
        None if name == "result" else _column_value(name, getattr(scenario, name)) for name in _SCENARIO_COLUMNS
    )


_INSERT_SCENARIO = (
    f"INSERT INTO scenarios (tenant, session_id, {', '.join(_SCENARIO_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(_SCENARIO_COLUMNS) + 2))})"
)


class SqliteScenarios:
    """Scenarios and their results (see adapters.aws.scenarios for the semantics)."""

    def __init__(self, database: Database):
        self._db = database

    def list_scenarios(
        self,
        tenant: str,
        session_id: str,
        after: Position | None = None,
        limit: int | None = None,
    ) -> list[Scenario]:
        """In (created_at, id) order, read through the index from `after` on: the page alone."""
        where, params = _after("tenant = ? AND session_id = ?", (tenant, session_id), after)
        sql = f"{_SELECT_SCENARIO} WHERE {where} ORDER BY created_at, id{_limit(limit)}"
        return [_scenario_from(row) for row in self._db.read(sql, params)]

    def scenario_results(self, tenant: str, session_id: str, scenario_ids: Sequence[str]) -> dict[str, Any]:
        if not scenario_ids:
            return {}
        marks = ", ".join("?" * len(scenario_ids))
        rows = self._db.read(
            f"SELECT id, result FROM results WHERE tenant = ? AND session_id = ? AND id IN ({marks})",
            (tenant, session_id, *scenario_ids),
        )
        return {row[0]: orjson.loads(row[1]) for row in rows}

    def get_scenario(self, tenant: str, session_id: str, scenario_id: str) -> Scenario | None:
        row = self._db.read_one(
            f"{_SELECT_SCENARIO_WITH_RESULT} WHERE tenant = ? AND session_id = ? AND id = ?",
            (tenant, session_id, scenario_id),
        )
        return None if row is None else _scenario_from(row)

    def get_status(self, tenant: str, session_id: str, scenario_id: str) -> ScenarioStatus | None:
        row = self._db.read_one(
            "SELECT id, tag, status, progress FROM scenarios WHERE tenant = ? AND session_id = ? AND id = ?",
            (tenant, session_id, scenario_id),
        )
        if row is None:
            return None
        return ScenarioStatus(row[0], row[1], Status(row[2]), float(row[3]))

    def create_scenario(self, tenant: str, session_id: str, scenario: Scenario) -> None:
        """Store a new scenario: tag unique, dataset present (and counted as used), session present."""
        self.create_scenarios(tenant, session_id, [scenario])

    def create_scenarios(self, tenant: str, session_id: str, scenarios: Sequence[Scenario]) -> None:
        """All in one write transaction (see create_scenario)."""
        with self._db.write() as db:
            if not _session_exists(db, tenant, session_id):
                raise NotFound("session not found")
            for key, count in Counter(s.input_data_id for s in scenarios).items():
                counted = db.execute(
                    "UPDATE datasets SET refs = refs + ? WHERE tenant = ? AND session_id = ? AND key = ?",
                    (count, tenant, session_id, key),
                )
                if counted.rowcount == 0:
                    raise NotFound(f"dataset '{key}' not found in this session")
            for scenario in scenarios:  # one statement each, so a taken tag is named
                try:
                    db.execute(_INSERT_SCENARIO, (tenant, session_id, *_scenario_values(scenario)))
                except sqlite3.IntegrityError:
                    raise Conflict(f"a scenario tagged '{scenario.tag}' already exists in this session") from None
            _write_results(db, tenant, session_id, scenarios)

    def delete_scenario(self, tenant: str, session_id: str, scenario: Scenario) -> None:
        with self._db.write() as db:
            row = db.execute(
                "DELETE FROM scenarios WHERE tenant = ? AND session_id = ? AND id = ? RETURNING input_data_id",
                (tenant, session_id, scenario.id),
            ).fetchone()
            if row is None:
                raise NotFound("scenario not found")
            db.execute(
                "UPDATE datasets SET refs = refs - 1 WHERE tenant = ? AND session_id = ? AND key = ?",
                (tenant, session_id, row[0]),
            )
            db.execute(
                "DELETE FROM results WHERE tenant = ? AND session_id = ? AND id = ?", (tenant, session_id, scenario.id)
            )

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
        """Conditionally move a scenario to `target` (see domain.stores.ScenarioStore)."""
        fields = dict(set_fields or {})
        result = fields.pop("result", None)
        result_changes = "result" in (set_fields or {}) or "result" in remove_fields
        changes: dict[str, Any] = {"status": str(target)}
        changes.update({name: _column_value(name, value) for name, value in fields.items()})
        changes.update({name: None for name in remove_fields if name != "result"})
        unknown = set(changes) - set(_SCENARIO_COLUMNS)
        if unknown:
            raise ValueError(f"not scenario fields: {sorted(unknown)}")
        sources = sorted(str(s) for s in sources_of(target))
        condition = f"tenant = ? AND session_id = ? AND id = ? AND status IN ({', '.join('?' * len(sources))})"
        parameters: list[Any] = [*changes.values(), tenant, session_id, scenario_id, *sources]
        if run_id is not None:
            condition += " AND run_id = ?"
            parameters.append(run_id)
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._db.write() as db:
            row = db.execute(
                f"UPDATE scenarios SET {assignments} WHERE {condition} RETURNING {', '.join(_SCENARIO_COLUMNS)}",
                parameters,
            ).fetchone()
            if row is not None:
                updated = _scenario_from(row)
                if result_changes:  # its own row, in the same transaction
                    where = (tenant, session_id, scenario_id)
                    db.execute("DELETE FROM results WHERE tenant = ? AND session_id = ? AND id = ?", where)
                    updated.result = result
                    _write_results(db, tenant, session_id, [updated])
                return updated
            current = db.execute(
                f"{_SELECT_SCENARIO} WHERE tenant = ? AND session_id = ? AND id = ?", (tenant, session_id, scenario_id)
            ).fetchone()
        if current is None:
            raise NotFound("scenario not found")
        scenario = _scenario_from(current)
        if run_id is not None and scenario.run_id != run_id:
            raise InvalidTransition("scenario is on another run")
        check_transition(scenario.status, target)  # raises with a message for the user
        raise InvalidTransition("the scenario changed meanwhile; try again")

    def update_progress(self, tenant: str, session_id: str, scenario_id: str, run_id: str, progress: float) -> None:
        """Progress of a processing run; NotFound / InvalidTransition once it is not that run."""
        with self._db.write() as db:
            updated = db.execute(
                "UPDATE scenarios SET progress = ? WHERE tenant = ? AND session_id = ? AND id = ? "
                "AND status = 'processing' AND run_id = ?",
                (float(progress), tenant, session_id, scenario_id, run_id),
            )
            if updated.rowcount:
                return
            exists = db.execute(
                "SELECT 1 FROM scenarios WHERE tenant = ? AND session_id = ? AND id = ?",
                (tenant, session_id, scenario_id),
            ).fetchone()
        if exists is None:
            raise NotFound("scenario not found")
        raise InvalidTransition("the scenario is no longer on this run")

    def in_flight_runs(self) -> Iterator[tuple[str, str, Scenario]]:
        """(tenant, session id, scenario) of every queued or processing scenario (maintenance only)."""
        rows = self._db.read(
            f"SELECT tenant, session_id, {', '.join(_SCENARIO_COLUMNS)} FROM scenarios "
            "WHERE status IN ('queued', 'processing') ORDER BY run_started_at, created_at"
        )
        for row in rows:
            yield row["tenant"], row["session_id"], _scenario_from(row)

"""Pages read from storage a page at a time, on both backends: creation order, every item once
under concurrent creates and deletes, and never a result (the reads are counted)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from algocloud.domain.ids import created_at_of, new_id
from algocloud.domain.scenario import RUN_FIELDS, Scenario, Status
from algocloud.domain.stores import SessionRecord

from .records import TENANT, scenario

RESULT = {"rows": list(range(500))}


@dataclass
class Reads:
    """What a block read from storage: items per call (DynamoDB) or statements (SQLite)."""

    items: list[int] = field(default_factory=list)
    results_read: bool = False
    statements: list[str] = field(default_factory=list)


@pytest.fixture
def storage_reads(stores, backend_name):
    """Counts reads: botocore hooks on the DynamoDB client, the SQLite trace on this thread."""

    @contextmanager
    def counting():
        reads = Reads()
        if backend_name == "aws":

            def after(parsed, **_):
                items = parsed.get("Items") or [i for r in parsed.get("Responses", {}).values() for i in r]
                items += [parsed["Item"]] if "Item" in parsed else []
                reads.items.append(len(items))
                reads.results_read |= any("result" in item for item in items)

            events = stores.scenarios._db.meta.events
            events.register("after-call.dynamodb", after)
            try:
                yield reads
            finally:
                events.unregister("after-call.dynamodb", after)
        else:
            connection = stores.scenarios._db.connection()
            connection.set_trace_callback(reads.statements.append)
            try:
                yield reads
            finally:
                connection.set_trace_callback(None)
            for statement in reads.statements:
                plan = " ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}"))
                reads.results_read |= "results" in plan or "results" in statement  # (scenarios.result: NULL)
                # an index range from the position on, in order: no scan, no sort of the whole list
                assert "USING INDEX scenarios_in_order" in plan and "TEMP B-TREE" not in plan, plan

    return counting


def complete(stores, session_id: str, item: Scenario) -> None:
    stores.scenarios.transition(TENANT, session_id, item.id, Status.QUEUED, {"run_id": "r"})
    stores.scenarios.transition(TENANT, session_id, item.id, Status.PROCESSING, run_id="r")
    stores.scenarios.transition(
        TENANT, session_id, item.id, Status.COMPLETE, {"result": RESULT, "kpi_values": {}}, run_id="r"
    )


@pytest.fixture
def filled(stores, session) -> list[Scenario]:
    made = [scenario(f"s{index:03}") for index in range(60)]
    for index, item in enumerate(made):
        stores.scenarios.create_scenario(TENANT, session.id, item)
        if index % 2 == 0:
            complete(stores, session.id, item)
    return made


def test_new_ids_sort_in_creation_order_and_carry_their_creation_time():
    made = [new_id() for _ in range(5000)]
    assert made == sorted(made) and len(set(made)) == 5000
    assert [created_at_of(i) for i in made] == sorted(created_at_of(i) for i in made)
    made_now = Scenario("t", "d", "Instant", {})
    assert made_now.created_at == created_at_of(made_now.id)
    assert created_at_of("6f1c5b8e-3a3e-4b8e-9d5e-1f2a3b4c5d6e") is None  # a v4 id keeps its stored time


def test_pages_read_the_page_alone_and_never_a_result(stores, session, filled, storage_reads):
    whole = stores.scenarios.list_scenarios(TENANT, session.id)
    assert [s.id for s in whole] == [s.id for s in filled]  # creation order
    seen, after = [], None
    while True:
        with storage_reads() as reads:
            page = stores.scenarios.list_scenarios(TENANT, session.id, after, 11)
        assert not reads.results_read and all(s.result is None for s in page)
        assert sum(reads.items) <= 11  # DynamoDB: the items of the page, not of the session
        seen += page
        if len(page) < 11:
            break
        after = (page[-1].created_at, page[-1].id)
    assert [s.id for s in seen] == [s.id for s in filled]
    assert [s.kpi_values for s in seen] == [s.kpi_values for s in whole]  # everything but the result
    assert stores.scenarios.get_scenario(TENANT, session.id, filled[0].id).result == RESULT
    halfway = (filled[29].created_at, filled[29].id)
    assert [s.tag for s in stores.scenarios.list_scenarios(TENANT, session.id, halfway, 2)] == ["s030", "s031"]
    wanted = [filled[0].id, filled[1].id, filled[2].id]  # complete, created, complete
    assert stores.scenarios.scenario_results(TENANT, session.id, wanted) == {filled[0].id: RESULT, filled[2].id: RESULT}


def test_pages_cover_every_item_once_under_concurrent_creates_and_deletes(stores, session, filled):
    doomed = {s.id for s in filled[5::4]}
    stop = threading.Event()
    added: list[str] = []

    def churn():
        for item in filled:
            if item.id in doomed:
                stores.scenarios.delete_scenario(TENANT, session.id, item)
            extra = scenario(f"new-{len(added)}")
            stores.scenarios.create_scenario(TENANT, session.id, extra)
            added.append(extra.id)
            if stop.is_set():
                return

    worker = threading.Thread(target=churn)
    worker.start()
    seen, after = [], None
    try:
        while True:
            page = stores.scenarios.list_scenarios(TENANT, session.id, after, 7)
            seen += [s.id for s in page]
            if len(page) < 7:
                break
            after = (page[-1].created_at, page[-1].id)
    finally:
        stop.set()
        worker.join()
    assert len(seen) == len(set(seen)) and seen == sorted(seen)  # once each, in order
    kept = [s.id for s in filled if s.id not in doomed]
    assert set(kept) <= set(seen)  # every item there throughout is on a page
    assert set(seen) <= {s.id for s in filled} | set(added)


def test_sessions_page_in_creation_order(stores, session):
    made = [SessionRecord(new_id(), f"n{index}") for index in range(9)]
    for record in made:
        stores.sessions.create_session(TENANT, record)
    whole = stores.sessions.list_sessions(TENANT)
    assert [s.id for s in whole] == [session.id] + [s.id for s in made]
    after = (whole[3].created_at, whole[3].id)
    assert [s.id for s in stores.sessions.list_sessions(TENANT, after, 4)] == [s.id for s in whole[4:8]]
    assert stores.sessions.list_sessions(TENANT, limit=1) == whole[:1]


def test_a_result_goes_with_a_reset_or_a_delete_of_its_scenario(stores, session, filled):
    first, third = filled[0], filled[2]  # complete
    assert set(stores.scenarios.scenario_results(TENANT, session.id, [first.id, third.id])) == {first.id, third.id}
    reset = stores.scenarios.transition(TENANT, session.id, first.id, Status.CREATED, remove_fields=RUN_FIELDS)
    assert reset.result is None and stores.scenarios.get_scenario(TENANT, session.id, first.id).result is None
    stores.scenarios.delete_scenario(TENANT, session.id, third)
    assert stores.scenarios.scenario_results(TENANT, session.id, [first.id, third.id]) == {}
    complete(stores, session.id, reset)  # and a new run's result is its own again
    assert stores.scenarios.get_scenario(TENANT, session.id, first.id).result == RESULT


def test_results_kept_in_scenario_rows_by_an_older_version_move_out_at_open(tmp_path):
    from algocloud.adapters.embedded.stores import sqlite_stores

    from .records import dataset

    path = tmp_path / "store.db"
    stores = sqlite_stores(path)
    session = SessionRecord(new_id(), "old")
    stores.sessions.create_session(TENANT, session, [dataset()])
    item = scenario("old")
    stores.scenarios.create_scenario(TENANT, session.id, item)
    with stores.scenarios._db.write() as db:  # as an older version stored it
        db.execute("UPDATE scenarios SET status = 'complete', result = ? WHERE id = ?", ('{"rows": [1]}', item.id))
    reopened = sqlite_stores(path)
    assert reopened.scenarios.get_scenario(TENANT, session.id, item.id).result == {"rows": [1]}
    assert reopened.scenarios._db.read_one("SELECT result FROM scenarios WHERE id = ?", (item.id,))[0] is None

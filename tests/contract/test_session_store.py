"""The session store's contract, on both backends: unique names under races, tenants apart,
renames, delete and purge, copies, the processing marker, and state that survives a restart."""

from __future__ import annotations

import uuid

import pytest

from algocloud.domain.errors import Conflict, NotFound
from algocloud.domain.scenario import Status
from algocloud.domain.stores import SessionRecord

from .records import TENANT, race, scenario


def test_session_names_are_unique_under_a_race(stores):
    outcomes = race(8, lambda i: stores.sessions.create_session(TENANT, SessionRecord(str(uuid.uuid4()), "same")))
    assert sum(o is True for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o is not True)
    assert [s.display_name for s in stores.sessions.list_sessions(TENANT)] == ["same"]


def test_the_tenant_marker_is_written_once(stores):
    outcomes = race(
        6, lambda i: stores.sessions.create_session(TENANT, SessionRecord(str(uuid.uuid4()), f"m{i}"), mark_tenant=True)
    )
    assert outcomes.count(True) == 1 and outcomes.count(False) == 5
    assert stores.sessions.tenant_exists(TENANT) and not stores.sessions.tenant_exists("someone-else")


def test_sessions_are_scoped_by_tenant(stores, session):
    assert stores.sessions.find_session(TENANT, session.id) == session
    assert stores.sessions.find_session(TENANT, "first") == session
    assert stores.sessions.find_session("tenant-b", session.id) is None
    assert stores.sessions.find_session("tenant-b", "first") is None
    assert stores.sessions.create_session(
        "tenant-b", SessionRecord(str(uuid.uuid4()), "first")
    )  # same name, other tenant
    assert stores.datasets.get_dataset("tenant-b", session.id, "data") is None


def test_rename_keeps_names_unique_and_frees_the_old_one(stores, session):
    other = SessionRecord(str(uuid.uuid4()), "second")
    stores.sessions.create_session(TENANT, other)
    with pytest.raises(Conflict):
        stores.sessions.rename_session(TENANT, other, "first")
    renamed = stores.sessions.rename_session(TENANT, session, "renamed")
    assert stores.sessions.find_session(TENANT, "renamed").id == session.id
    assert stores.sessions.find_session(TENANT, "first") is None
    stores.sessions.rename_session(TENANT, other, "first")  # the old name is free again
    outcomes = race(4, lambda i: stores.sessions.rename_session(TENANT, [renamed, other][i % 2], "contested"))
    assert sum(isinstance(o, SessionRecord) for o in outcomes) >= 1
    assert len({s.id for s in stores.sessions.list_sessions(TENANT) if s.display_name == "contested"}) == 1


def test_concurrent_renames_of_one_session_have_one_winner_and_conflicts(stores, session):
    outcomes = race(6, lambda i: stores.sessions.rename_session(TENANT, session, f"name-{i}"))
    winners = [o for o in outcomes if isinstance(o, SessionRecord)]
    assert len(winners) == 1 and all(isinstance(o, Conflict) for o in outcomes if o not in winners), outcomes
    assert stores.sessions.find_session(TENANT, session.id).display_name == winners[0].display_name
    assert stores.sessions.find_session(TENANT, "first") is None


def test_delete_and_purge_remove_the_session_and_its_contents(stores, session):
    stores.scenarios.create_scenario(TENANT, session.id, scenario())
    stores.sessions.delete_session(TENANT, session)
    stores.sessions.purge_session(TENANT, session.id)
    assert stores.sessions.find_session(TENANT, session.id) is None
    assert (
        stores.scenarios.list_scenarios(TENANT, session.id) == []
        and stores.datasets.list_datasets(TENANT, session.id) == []
    )
    with pytest.raises(NotFound):
        stores.sessions.delete_session(TENANT, session)
    with pytest.raises(NotFound):
        stores.scenarios.create_scenario(TENANT, session.id, scenario("late"))


def test_the_processing_marker(stores, session):
    assert stores.sessions.processing_scenario_id(TENANT, session.id) is None
    stores.sessions.set_processing(TENANT, session.id, "scenario-1", "run-1")
    assert stores.sessions.processing_scenario_id(TENANT, session.id) == "scenario-1"
    stores.sessions.clear_processing(TENANT, session.id, "run-other")  # another run's clear changes nothing
    assert stores.sessions.processing_scenario_id(TENANT, session.id) == "scenario-1"
    stores.sessions.clear_processing(TENANT, session.id, "run-1")
    assert stores.sessions.processing_scenario_id(TENANT, session.id) is None
    with pytest.raises(NotFound):
        stores.sessions.set_processing(TENANT, "no-such-session", "s", "r")


def test_copy_session_contents_resets_in_flight_scenarios(stores, session):
    running = scenario("running")
    stores.scenarios.create_scenario(TENANT, session.id, running)
    stores.scenarios.transition(TENANT, session.id, running.id, Status.QUEUED, set_fields={"run_id": "r"})
    target = SessionRecord(str(uuid.uuid4()), "copy")
    stores.sessions.copy_session_contents(TENANT, session.id, target.id, lambda key: f"copied/{key}")
    stores.sessions.create_session(TENANT, target)
    [copied] = stores.scenarios.list_scenarios(TENANT, target.id)
    assert copied.status == Status.CREATED and copied.run_id is None and copied.id == running.id
    assert stores.datasets.get_dataset(TENANT, target.id, "data").object_key == "copied/obj/data"
    assert [s.id for _, _, s in stores.scenarios.in_flight_runs()] == [running.id]


def test_state_survives_reopening(stores, session, reopen):
    stores.scenarios.create_scenario(TENANT, session.id, scenario("kept"))
    again, _backend = reopen()
    assert [s.tag for s in again.scenarios.list_scenarios(TENANT, session.id)] == ["kept"]
    assert again.datasets.get_dataset(TENANT, session.id, "data").refs == 1


def test_a_secret_is_made_once_even_when_first_asked_for_at_once(stores, reopen):
    outcomes = race(6, lambda i: stores.secrets.secret("raced-x"))
    assert len(set(outcomes)) == 1 and len(outcomes[0]) == 32
    again, _backend = reopen()
    assert again.secrets.secret("raced-x") == outcomes[0]
    assert again.secrets.secret("another") != outcomes[0]

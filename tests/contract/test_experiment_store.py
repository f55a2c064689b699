"""The experiment store's contract, on both backends: typed records in and out (a plan inline, or
a summary naming where a large plan went), oldest first, replaced only while present, and gone
with their session."""

from __future__ import annotations

import dataclasses

import pytest

from algocloud.domain.errors import NotFound
from algocloud.domain.experiments import Criterion, Experiment, ExperimentRecord, PlannedRun
from algocloud.domain.ids import new_id

from .records import TENANT


def experiment(session_id: str, name: str = "sweep") -> Experiment:
    return Experiment(
        id=new_id(),
        name=name,
        session_id=session_id,
        run_session_id=new_id(),
        algorithm="Instant",
        datasets=["data"],
        parameter_sets=[{"n": 1}, {"n": 2}],
        repetitions=1,
        criteria=[Criterion("Cost", 0.02)],
        runs=[PlannedRun(new_id(), 0, "data", 0), PlannedRun(new_id(), 1, "data", 0)],
    )


def test_records_round_trip_typed_and_list_oldest_first(stores, session):
    inline = experiment(session.id)
    large = experiment(session.id, "large")
    stores.experiments.create_experiment(TENANT, session.id, ExperimentRecord.inline(inline))
    stores.experiments.create_experiment(TENANT, session.id, ExperimentRecord.elsewhere(large, "plans/large.json"))
    got = stores.experiments.get_experiment(TENANT, session.id, inline.id)
    assert got == ExperimentRecord.inline(inline) and got.plan == inline
    elsewhere = stores.experiments.get_experiment(TENANT, session.id, large.id)
    assert elsewhere.plan is None and elsewhere.plan_ref == "plans/large.json"
    assert elsewhere.summary == large.summary()
    assert stores.experiments.list_experiments(TENANT, session.id) == [inline.summary(), large.summary()]
    assert stores.experiments.get_experiment("tenant-b", session.id, inline.id) is None  # scoped by tenant


def test_replace_only_while_present_and_delete(stores, session):
    made = experiment(session.id)
    with pytest.raises(NotFound):
        stores.experiments.replace_experiment(TENANT, session.id, ExperimentRecord.inline(made))
    with pytest.raises(NotFound):
        stores.experiments.create_experiment(TENANT, "no-such-session", ExperimentRecord.inline(made))
    stores.experiments.create_experiment(TENANT, session.id, ExperimentRecord.inline(made))
    ending = dataclasses.replace(made, ending="cancelling")
    stores.experiments.replace_experiment(TENANT, session.id, ExperimentRecord.inline(ending))
    assert stores.experiments.get_experiment(TENANT, session.id, made.id).summary.ending == "cancelling"
    stores.experiments.delete_experiment(TENANT, session.id, made.id)
    assert stores.experiments.get_experiment(TENANT, session.id, made.id) is None
    stores.experiments.delete_experiment(TENANT, session.id, made.id)  # twice is fine


def test_experiments_go_with_their_session_and_are_not_copied(stores, session):
    made = experiment(session.id)
    stores.experiments.create_experiment(TENANT, session.id, ExperimentRecord.inline(made))
    copy_id = new_id()
    stores.sessions.copy_session_contents(TENANT, session.id, copy_id, lambda key: key)
    assert stores.experiments.list_experiments(TENANT, copy_id) == []
    stores.sessions.delete_session(TENANT, session)
    stores.sessions.purge_session(TENANT, session.id)
    assert stores.experiments.get_experiment(TENANT, session.id, made.id) is None

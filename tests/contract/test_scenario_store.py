"""The scenario store's contract, on both backends: unique tags and one winner of a transition
under races, the state machine and the run guard."""

from __future__ import annotations

import pytest

from algocloud.domain.errors import Conflict, InvalidTransition, NotFound
from algocloud.domain.scenario import Scenario, Status

from .records import TENANT, race, scenario


def test_scenario_tags_are_unique_under_a_race(stores, session):
    outcomes = race(8, lambda i: stores.scenarios.create_scenario(TENANT, session.id, scenario("same")))
    assert outcomes.count(None) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o is not None)
    assert stores.datasets.get_dataset(TENANT, session.id, "data").refs == 1


def test_only_one_of_concurrent_transitions_wins(stores, session):
    item = scenario()
    stores.scenarios.create_scenario(TENANT, session.id, item)
    outcomes = race(
        8,
        lambda i: stores.scenarios.transition(
            TENANT, session.id, item.id, Status.QUEUED, set_fields={"run_id": f"run-{i}"}
        ),
    )
    winners = [o for o in outcomes if isinstance(o, Scenario)]
    assert len(winners) == 1 and all(isinstance(o, InvalidTransition) for o in outcomes if o not in winners)
    run_id = winners[0].run_id
    with pytest.raises(InvalidTransition, match="another run"):
        stores.scenarios.transition(TENANT, session.id, item.id, Status.PROCESSING, run_id="stale")
    with pytest.raises(InvalidTransition, match="reset"):
        stores.scenarios.transition(TENANT, session.id, item.id, Status.QUEUED)
    stores.scenarios.transition(TENANT, session.id, item.id, Status.PROCESSING, run_id=run_id)
    stores.scenarios.update_progress(TENANT, session.id, item.id, run_id, 0.5)
    assert stores.scenarios.get_status(TENANT, session.id, item.id).progress == 0.5
    with pytest.raises(InvalidTransition):
        stores.scenarios.update_progress(TENANT, session.id, item.id, "stale", 0.7)
    done = stores.scenarios.transition(
        TENANT,
        session.id,
        item.id,
        Status.COMPLETE,
        run_id=run_id,
        set_fields={"result": {"x": [1, 2]}, "kpi_values": {"k": 1.5}, "progress": 1.0},
    )
    assert done.result == {"x": [1, 2]} and done.kpi_values == {"k": 1.5}
    reset = stores.scenarios.transition(
        TENANT,
        session.id,
        item.id,
        Status.CREATED,
        set_fields={"progress": 0.0},
        remove_fields=("result", "kpi_values", "run_id"),
    )
    assert reset.result is None and reset.run_id is None and reset.status == Status.CREATED
    with pytest.raises(NotFound):
        stores.scenarios.transition(TENANT, session.id, "missing", Status.QUEUED)
    with pytest.raises(NotFound):
        stores.scenarios.update_progress(TENANT, session.id, "missing", run_id, 0.1)

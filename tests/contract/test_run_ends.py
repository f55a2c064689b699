"""One way a run ends (usecases.scenarios.end_run): whichever way, on both backends, the same
fields are set and the run's end is counted once under its own event id."""

import uuid

import pytest

from algocloud.domain.errors import InvalidTransition
from algocloud.domain.scenario import RunEnd, Status
from algocloud.usecases.scenarios import end_run

from .records import TENANT, scenario

WHY = {RunEnd.FAILED: "a KPI failed", RunEnd.GIVEN_UP: "timed out 5 times", RunEnd.TASK_LOST: "task stopped",
       RunEnd.NOT_QUEUED: "the queue was down"}  # fmt: skip


class Counted:
    """The usage counts a run's end asks for, of this test's tenant only."""

    def __init__(self, counted: list):
        self.counted = counted

    def count(self, tenant, day, event_id, increments):
        assert tenant == TENANT
        self.counted.append((day, event_id, increments))
        return True


ENDS = [(how, started) for how in RunEnd for started in (False, True) if started or how != RunEnd.COMPLETE]


@pytest.mark.parametrize(("how", "started"), ENDS)  # (only a processing run completes)
def test_every_way_a_run_ends_sets_the_same_fields_and_counts_once(stores, session, how, started):
    made = scenario(tag=f"{how}-{started}")
    stores.scenarios.create_scenario(TENANT, session.id, made)
    run_id = str(uuid.uuid4())
    stores.scenarios.transition(TENANT, session.id, made.id, Status.QUEUED, set_fields={"run_id": run_id})
    if started:
        stores.scenarios.transition(TENANT, session.id, made.id, Status.PROCESSING, {"run_started_at": "2026-01-01T00:00:00.000+00:00"},
                        run_id=run_id)  # fmt: skip
    counted: list[tuple[str, str, dict]] = []
    accounts = Counted(counted)
    produced = {"kpi_values": {"k": 1.0}, "result": {"r": 1}} if how == RunEnd.COMPLETE else {}
    ended = end_run(stores, accounts, TENANT, session.id, made.id, run_id, how, WHY.get(how), **produced)
    stored = stores.scenarios.get_scenario(TENANT, session.id, made.id)
    assert stored.status == ended.status == (Status.COMPLETE if how == RunEnd.COMPLETE else Status.FAILED)
    assert stored.run_finished_at and stored.run_id == run_id
    expected_error = {RunEnd.COMPLETE: None, RunEnd.CANCELLED: "cancelled"}.get(how, WHY.get(how))
    assert stored.error == expected_error
    assert (stored.progress == 1.0) == (how == RunEnd.COMPLETE)
    [(day, event, increments)] = counted
    assert event == f"finished:{run_id}" and day == stored.run_finished_at[:10]
    assert ("compute_seconds" in increments) == started
    with pytest.raises(InvalidTransition):  # ended once: a second end (a duplicate message) changes nothing
        end_run(stores, accounts, TENANT, session.id, made.id, run_id, RunEnd.CANCELLED)
    assert len(counted) == 1

import pytest

from algocloud.domain.errors import (
    InvalidTransition,
    NotFound,
    ParameterError,
    RunCancelled,
    RunFailed,
)
from algocloud.domain.jobs import JOB_TRANSITIONS
from algocloud.domain.runner import execute
from algocloud.domain.scenario import TRANSITIONS, Status, check_transition, sources_of


def test_state_machine_follows_the_reference():
    assert check_transition(Status.CREATED, Status.QUEUED) is None
    with pytest.raises(InvalidTransition, match="only a created scenario can run"):
        check_transition(Status.QUEUED, Status.QUEUED)
    for in_flight in (Status.QUEUED, Status.PROCESSING):
        with pytest.raises(InvalidTransition, match="wait for it"):
            check_transition(in_flight, Status.CREATED)
    for ended in (Status.COMPLETE, Status.FAILED):
        check_transition(ended, Status.CREATED)  # reset
        with pytest.raises(InvalidTransition, match="only a created scenario can run"):
            check_transition(ended, Status.QUEUED)
    check_transition(Status.PROCESSING, Status.PROCESSING)  # a redelivered message takes over
    with pytest.raises(InvalidTransition, match="cannot go from created to complete"):
        check_transition(Status.CREATED, Status.COMPLETE)


def test_a_run_is_a_job_the_scenario_adds_created_and_reset():
    for status, targets in JOB_TRANSITIONS.items():
        assert TRANSITIONS[status] - {Status.CREATED} == targets


def test_sources_are_derived_from_the_one_transition_table():
    assert sources_of(Status.QUEUED) == {Status.CREATED}
    assert sources_of(Status.CREATED) == {Status.COMPLETE, Status.FAILED}
    assert sources_of(Status.FAILED) == {Status.QUEUED, Status.PROCESSING}
    assert set(TRANSITIONS) == set(Status)


def test_new_scenario_validates_algorithm_and_parameters(config):
    scenario = config.new_scenario("s", "Master data", "Slow", {"duration": 5})
    assert scenario.parameters == {"duration": 5} and scenario.status == Status.CREATED
    assert scenario.data_parameters == {"demand_scale": 1.0, "dock_x": 0.0, "dock_y": 0.0}
    with pytest.raises(NotFound, match="not registered"):
        config.new_scenario("s", "Master data", "Nope")
    with pytest.raises(ParameterError, match="duration"):
        config.new_scenario("s", "Master data", "Slow", {"duration": 0})
    with pytest.raises(ParameterError, match="data parameter 'demand_scale'"):
        config.new_scenario("s", "Master data", "Slow", None, {"demand_scale": 100})


def test_execute_runs_and_computes_every_kpi(config, master_data):
    scenario = config.new_scenario("g", "Master data", "Greedy")
    seen = []
    outcome = execute(config, scenario, master_data, seen.append)
    assert set(outcome.kpi_values) == set(config.kpi_names)
    assert seen and seen == sorted(seen) and all(0 <= f <= 1 for f in seen)
    assert isinstance(outcome.result, dict) and outcome.result["algorithm"] == "Greedy"


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("exception", "raised RuntimeError: Failure Modes was asked to raise"),
        ("non-serialisable", "not JSON serialisable"),
        ("kpi-failure", "KPI 'Travel distance' failed"),
    ],
)
def test_failure_modes_fail_the_run_with_a_useful_message(config, master_data, mode, message):
    scenario = config.new_scenario("f", "Master data", "Failure Modes", {"mode": mode})
    with pytest.raises(RunFailed, match=message):
        execute(config, scenario, master_data, lambda f: None)


def test_failure_modes_success_completes(config, master_data):
    scenario = config.new_scenario("f", "Master data", "Failure Modes", {"mode": "success"})
    assert execute(config, scenario, master_data, lambda f: None).kpi_values


class StorageDown(Exception):
    pass


def test_progress_callback_errors_are_not_turned_into_failed_runs(config, master_data):
    """An infrastructure error in the progress write must reach the worker untouched."""
    scenario = config.new_scenario("g", "Master data", "Greedy")

    def broken(_fraction):
        raise StorageDown("throttled")

    with pytest.raises(StorageDown):
        execute(config, scenario, master_data, broken)


def test_cancellation_from_progress_stops_the_run(config, master_data):
    scenario = config.new_scenario("s", "Master data", "Greedy")

    def cancel(_fraction):
        raise RunCancelled()

    with pytest.raises(RunCancelled):
        execute(config, scenario, master_data, cancel)

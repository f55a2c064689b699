import pytest

from algocloud.domain.errors import (
    InvalidTransition,
    NotFound,
    ParameterError,
    RunCancelled,
    RunFailed,
)
from algocloud.domain.runner import execute
from algocloud.domain.scenario import TRANSITIONS, Scenario, Status, sources_of


def test_state_machine_follows_the_reference():
    scenario = Scenario(tag="t", input_data_id="d", algorithm="Instant", parameters={})
    run_id = scenario.queue()
    assert scenario.status == Status.QUEUED and run_id == scenario.run_id
    with pytest.raises(InvalidTransition, match="only a created scenario can run"):
        scenario.queue()
    with pytest.raises(InvalidTransition, match="wait for it"):
        scenario.reset()
    scenario.transition(Status.PROCESSING)
    with pytest.raises(InvalidTransition, match="wait for it"):
        scenario.reset()
    scenario.transition(Status.COMPLETE)
    scenario.result, scenario.kpi_values = {"x": 1}, {"k": 1.0}
    scenario.reset()
    assert (scenario.status, scenario.result, scenario.kpi_values, scenario.run_id) == (
        Status.CREATED,
        None,
        None,
        None,
    )
    scenario.reset()  # no-op when created
    assert scenario.status == Status.CREATED


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


def test_scenario_dict_has_the_wire_shape(config):
    scenario = config.new_scenario("slow-5s", "Master data", "Slow", {"duration": 5})
    wire = config.scenario_dict(scenario)
    assert wire["status"] == "created" and wire["result"] is None and wire["progress"] == 0.0
    assert wire["input_data_id"] == "Master data"
    assert wire["algorithm"] == {
        "name": "Slow",
        "parameters": [
            {
                "name": "duration",
                "type": "integer",
                "required": True,
                "value": 5,
                "default": 1,
                "min": 1,
                "max": 60,
                "description": "seconds to run",
            }
        ],
    }
    assert set(wire["kpis"]) == set(config.kpi_names)
    assert all(k["value"] is None for k in wire["kpis"].values())
    assert wire["kpis"]["All items placed"]["better_when"] == "at_least"
    assert wire["kpis"]["All items placed"]["threshold"] == 1.0


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

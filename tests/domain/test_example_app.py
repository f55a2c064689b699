"""The bundled warehouse example: data, algorithms, KPIs, config loading."""

import sys

import pytest

from algocloud.appconfig import APP_ENV_VAR, load_app_config
from algocloud.domain.kpis import Direction, Kpi
from algocloud.domain.runner import execute
from algocloud.example import generate
from algocloud.example.app import MASTER_DATA_KEY


def test_committed_example_data_is_what_the_seeded_generator_makes():
    for name, content in generate.example_files().items():
        assert (generate.DATA_DIR / name).read_bytes() == content, f"regenerate {name}"


def test_config_offers_what_the_reference_examples_use(config):
    assert config.title
    assert {"Slow", "Instant", "As-is", "Greedy", "Pick Simulation", "Failure Modes"} <= set(config.algorithm_names)
    assert config.algorithm("Slow").parameters.describe() == [
        {
            "name": "duration",
            "type": "integer",
            "required": True,
            "value": 1,
            "default": 1,
            "min": 1,
            "max": 60,
            "description": "seconds to run",
        }
    ]
    assert [d.name for d in config.seed_datasets()] == [MASTER_DATA_KEY]


def test_one_algorithm_covers_every_parameter_type(config):
    types = {d["type"] for d in config.algorithm("Pick Simulation").parameters.describe()}
    assert types == {"integer", "float", "string", "boolean", "enum", "multi_enum", "time", "interval"}


def outcome(config, data, algorithm, params=None, data_params=None):
    scenario = config.new_scenario("t", MASTER_DATA_KEY, algorithm, params, data_params)
    return execute(config, scenario, data, lambda f: None)


def test_greedy_beats_as_is_on_travel_and_respects_zones(config, master_data):
    as_is = outcome(config, master_data, "As-is")
    greedy = outcome(config, master_data, "Greedy")
    assert greedy.kpi_values["Travel distance"] < 0.6 * as_is.kpi_values["Travel distance"]
    assert as_is.kpi_values["Reslot moves"] == 0
    assert greedy.kpi_values["All items placed"] == 1.0
    zone_of = {"chilled": "cooled", "hazardous": "hazmat", "general": "ambient", "food": "ambient"}
    assignments = greedy.result["assignments"]
    assert all(a["zone"] == zone_of[a["category"]] for a in assignments)
    assert len({a["slot_id"] for a in assignments}) == len(assignments) == 150


def test_greedy_max_moves_limits_reslotting(config, master_data):
    limited = outcome(config, master_data, "Greedy", {"max_moves": 10})
    assert limited.kpi_values["Reslot moves"] <= 10
    free = outcome(config, master_data, "Greedy")
    assert free.kpi_values["Travel distance"] < limited.kpi_values["Travel distance"]


def test_greedy_without_zones_is_shorter_still(config, master_data):
    zoned = outcome(config, master_data, "Greedy")
    unzoned = outcome(config, master_data, "Greedy", {"respect_zones": False})
    assert unzoned.kpi_values["Travel distance"] < zoned.kpi_values["Travel distance"]


def test_data_parameters_change_the_run(config, master_data):
    base = outcome(config, master_data, "As-is")
    doubled = outcome(config, master_data, "As-is", None, {"demand_scale": 2.0})
    assert doubled.kpi_values["Travel distance"] == pytest.approx(2 * base.kpi_values["Travel distance"], rel=1e-3)
    moved = outcome(config, master_data, "As-is", None, {"dock_x": 50.0})
    assert moved.result["dock"] == {"x": 50.0, "y": 0.0}


def test_pick_simulation_is_deterministic_and_honours_its_parameters(config, master_data):
    params = {
        "days": 10,
        "weekends": False,
        "categories": ["chilled"],
        "label": "winter",
        "start": "2026-01-05T00:00:00",
        "shift": {"start": "2026-01-05T06:00", "end": "2026-01-05T18:00"},
    }
    first = outcome(config, master_data, "Pick Simulation", params).result["simulation"]
    second = outcome(config, master_data, "Pick Simulation", params).result["simulation"]
    assert first == second and first["label"] == "winter" and len(first["days"]) == 10
    assert all(day["date"] not in ("2026-01-10", "2026-01-11") for day in first["days"])  # a weekend


def test_unplaced_items_fail_the_binary_kpi(config, master_data):
    data = master_data.derive("crowded")
    layout = data.get_table("warehouse_layout")
    data.tables["warehouse_layout"] = layout[layout["zone"] != "hazmat"]
    result = outcome(config, data, "Greedy")
    assert result.result["unplaced"] and result.kpi_values["All items placed"] == 0.0
    kpi = next(k for k in config.kpis if k.name == "All items placed")
    assert kpi.is_met(0.0) is False and kpi.is_met(1.0) is True


def test_threshold_kpis_must_declare_a_threshold():
    with pytest.raises(TypeError, match="needs a threshold"):

        class Broken(Kpi):
            name = "broken"
            better_when = Direction.AT_MOST

            def compute(self, result):
                return 0.0


def test_kpi_returning_a_non_number_fails_naming_the_kpi():
    from algocloud.domain.errors import RunFailed

    class Words(Kpi):
        name = "words"

        def compute(self, result):
            return "many"

    with pytest.raises(RunFailed, match="KPI 'words' returned str, not a number"):
        Words().evaluate({})


def test_app_module_comes_from_one_environment_variable(monkeypatch, tmp_path):
    (tmp_path / "tiny_app.py").write_text(
        "from algocloud.domain.config import AppConfig\n"
        "from algocloud.example.algorithms import Instant\n"
        "def build_config():\n    return AppConfig(title='tiny', algorithms=[Instant], kpis=[])\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(APP_ENV_VAR, "tiny_app")
    load_app_config.cache_clear()
    try:
        assert load_app_config().title == "tiny"
        monkeypatch.setenv(APP_ENV_VAR, "no_such_module_here")
        load_app_config.cache_clear()
        with pytest.raises(RuntimeError, match="cannot import"):
            load_app_config()
    finally:
        load_app_config.cache_clear()
        sys.modules.pop("tiny_app", None)

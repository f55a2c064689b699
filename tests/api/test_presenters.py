"""The HTTP shapes built from domain objects (api.presenters)."""

import orjson

from algocloud.domain.scenario import Status
from api import presenters


def test_a_scenario_body_has_the_wire_shape(config):
    scenario = config.new_scenario("slow-5s", "Master data", "Slow", {"duration": 5})
    wire = presenters.scenario(config, scenario)
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


def test_an_algorithm_no_longer_offered_shows_its_values_bare(config):
    scenario = config.new_scenario("gone", "Master data", "Slow", {"duration": 5})
    scenario.algorithm = "Retired"
    assert presenters.scenario(config, scenario)["algorithm"] == {
        "name": "Retired",
        "parameters": [{"name": "duration", "value": 5}],
    }


def test_a_stored_result_is_read_within_the_budget_and_linked_past_it(config):
    scenario = config.new_scenario("big", "Master data", "Instant")
    scenario.status, scenario.result_ref = Status.COMPLETE, "results/x.json"
    stored = b'{"rows": [' + b",".join(b"1" for _ in range(1000)) + b"]}"

    def body(budget):
        return presenters.scenario_with_result(config, scenario, lambda s: stored, lambda s: "https://signed", budget)

    assert body(None)["result"] == {"rows": [1] * 1000}
    assert body(100_000)["result"] == {"rows": [1] * 1000} and "result_url" not in body(100_000)
    small = body(len(stored))  # the rest of the body does not fit beside it
    assert small["result"] is None and small["result_url"] == "https://signed"
    listed = presenters.scenario_list(config, [scenario], None, lambda s: "https://signed", None, str)
    assert listed[0]["result"] is None and listed[0]["result_url"] == "https://signed"


def test_the_whole_list_reads_inline_results_only_while_they_fit(config):
    """Results are read a batch at a time and put in while the list fits its budget; from the
    first that does not, the rest are linked and never read. A page reads none."""
    scenarios = []
    for index in range(250):
        scenario = config.new_scenario(f"s{index}", "Master data", "Instant")
        scenario.status = Status.COMPLETE
        scenarios.append(scenario)
    result = {"rows": list(range(2000))}
    asked: list[int] = []

    def read_results(batch):
        asked.append(len(batch))
        return {s.id: result for s in batch}

    def listed(budget, read=read_results):
        asked.clear()
        return presenters.scenario_list(config, scenarios, read, lambda s: "", budget, lambda i: f"/s/{i}")

    everything = listed(None)
    assert all(body["result"] == result for body in everything) and asked == [100, 100, 50]
    budget = len(orjson.dumps(listed(None))) // 3  # about a third of the results fit
    cut = listed(budget)
    assert len(orjson.dumps(cut)) <= budget and asked == [100]  # the second batch is never read
    inlined = [body for body in cut if body["result"] is not None]
    assert 20 < len(inlined) < 100 and cut[: len(inlined)] == inlined
    assert all(body["result_url"] == f"/s/{body['id']}" for body in cut[len(inlined) :])
    page = presenters.scenario_list(config, scenarios[:3], None, lambda s: "", None, lambda i: f"/s/{i}")
    assert [body["result_url"] for body in page] == [f"/s/{s.id}" for s in scenarios[:3]]

"""Session copy: scenarios with status, results and KPI values; datasets; data parameters."""

import pytest

from algocloud.domain.scenario import Status


def complete_run(client, session_id, scenario_id, result, kpis, result_ref=None):
    """Drive a queued scenario to complete the way the worker does (conditional transitions)."""
    from api import deps

    adapters = deps.adapters(client.api.state.settings)
    stores, blobs = adapters.stores, adapters.blobs
    scenario = stores.scenarios.get_scenario("default", session_id, scenario_id)
    stores.scenarios.transition("default", session_id, scenario_id, Status.PROCESSING, run_id=scenario.run_id)
    fields = {"kpi_values": kpis, "progress": 1.0}
    if result_ref:
        blobs.put(result_ref, __import__("orjson").dumps(result), "application/json")
        fields["result_ref"] = result_ref
    else:
        fields["result"] = result
    stores.scenarios.transition(
        "default", session_id, scenario_id, Status.COMPLETE, run_id=scenario.run_id, set_fields=fields
    )


@pytest.fixture
def objects(backend):
    return backend.objects


def test_copy_takes_scenarios_results_kpis_and_datasets(client, base, main_id, objects):
    scenarios = f"{base}/sessions/main/scenarios"
    client.post(f"{base}/sessions/main/data/Master data/derive", json={"new_key": "variant"})
    done = client.post(
        scenarios,
        json={"tag": "done", "dataset_key": "variant", "algo_name": "Greedy", "data_params": {"demand_scale": 2.0}},
    ).json()
    big = client.post(scenarios, json={"tag": "big", "dataset_key": "Master data", "algo_name": "Instant"}).json()
    waiting = client.post(
        scenarios, json={"tag": "waiting", "dataset_key": "Master data", "algo_name": "Instant"}
    ).json()
    for scenario in (done, big, waiting):
        client.post(f"{scenarios}/{scenario['id']}/run")
    kpis = {"Travel distance": 1.5, "Zone balance": 50.0, "Reslot moves": 3.0, "All items placed": 1.0}
    complete_run(client, main_id, done["id"], {"answer": 42}, kpis)
    big_key = f"tenants/default/sessions/{main_id}/results/{big['id']}/run.json"
    complete_run(client, main_id, big["id"], {"rows": list(range(1000))}, kpis, result_ref=big_key)

    response = client.post(f"{base}/sessions/main/copy", json={"new_display_name": "copy"})
    assert response.status_code == 201
    assert [s["display_name"] for s in response.json()["sessions"]] == ["main", "copy"]

    copied = {s["tag"]: s for s in client.get(f"{base}/sessions/copy/scenarios").json()}
    assert set(copied) == {"done", "big", "waiting"}
    assert copied["done"]["status"] == "complete" and copied["done"]["result"] == {"answer": 42}
    assert copied["done"]["kpis"]["Travel distance"]["value"] == 1.5
    assert copied["done"]["data_parameters"]["demand_scale"] == 2.0
    assert copied["waiting"]["status"] == "created"  # no run message exists for the copy
    full_big = client.get(f"{base}/sessions/copy/scenarios/{copied['big']['id']}").json()
    assert full_big["result"] == {"rows": list(range(1000))}
    assert client.get(f"{base}/sessions/copy/data").json() == {"keys": ["Master data", "variant"]}
    assert client.get(f"{base}/sessions/copy/data/variant").json()["metadata"]["name"] == "variant"

    # the copy is independent: deleting the original keeps the copy's data and results
    client.delete(f"{base}/sessions/main")
    assert client.get(f"{base}/sessions/copy/data/Master data").status_code == 200
    assert client.get(f"{base}/sessions/copy/scenarios/{copied['big']['id']}").json()["result"]["rows"][999] == 999
    assert not any(main_id in key for key in objects())
    # datasets used by copied scenarios stay protected in the copy
    assert client.delete(f"{base}/sessions/copy/data/variant").status_code == 409


def test_copy_errors(client, base, objects):
    url = f"{base}/sessions/main/copy"
    assert client.post(f"{base}/sessions/nope/copy", json={"new_display_name": "x"}).status_code == 404
    assert client.post(url, json={"new_display_name": "main"}).status_code == 409
    assert client.post(url, json={"new_display_name": ""}).status_code == 422
    assert client.post(url, json={}).status_code == 422
    before = objects()
    assert [s["display_name"] for s in client.get(f"{base}/sessions").json()["sessions"]] == ["main"]
    assert objects() == before


def test_list_links_results_kept_in_the_blob_store_and_get_returns_them(client, base, main_id, objects, backend):
    scenarios = f"{base}/sessions/main/scenarios"
    big = client.post(scenarios, json={"tag": "big", "dataset_key": "Master data", "algo_name": "Instant"}).json()
    client.post(f"{scenarios}/{big['id']}/run")
    key = f"tenants/default/sessions/{main_id}/results/{big['id']}/run.json"
    complete_run(client, main_id, big["id"], {"n": 1}, {}, result_ref=key)
    [listed] = client.get(scenarios).json()
    assert listed["result"] is None
    if backend.name == "aws":
        assert "X-Amz-Signature" in listed["result_url"]
    else:  # the API serves the file store's presigned URLs itself
        assert client.get(listed["result_url"]).json() == {"n": 1}
        assert client.get(listed["result_url"].replace("signature=", "signature=0")).status_code == 403
    assert client.get(f"{scenarios}/{big['id']}").json()["result"] == {"n": 1}
    reset = client.post(f"{scenarios}/{big['id']}/reset").json()
    assert reset["status"] == "created" and reset["result"] is None
    assert key not in objects()


def test_a_result_over_the_response_limit_is_linked_not_inlined(client, make_client, base, main_id, backend):
    scenarios = f"{base}/sessions/main/scenarios"
    big = client.post(scenarios, json={"tag": "big", "dataset_key": "Master data", "algo_name": "Instant"}).json()
    client.post(f"{scenarios}/{big['id']}/run")
    key = f"tenants/default/sessions/{main_id}/results/{big['id']}/run.json"
    result = {"rows": list(range(20_000))}
    complete_run(client, main_id, big["id"], result, {}, result_ref=key)
    whole = client.get(f"{scenarios}/{big['id']}", headers={"Accept-Encoding": "identity"})
    assert whole.json()["result"] == result and "result_url" not in whole.json()
    limited = make_client(max_response_bytes=len(whole.content) - 1)
    response = limited.get(f"{scenarios}/{big['id']}", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200 and len(response.content) < len(whole.content)
    body = response.json()
    assert body["result"] is None and body["status"] == "complete"
    assert backend.read_url(body["result_url"], limited) == __import__("orjson").dumps(result)


def test_a_long_list_links_results_past_the_response_limit(client, make_client, base, main_id):
    scenarios = f"{base}/sessions/main/scenarios"
    made = [
        client.post(scenarios, json={"tag": f"t{i}", "dataset_key": "Master data", "algo_name": "Instant"}).json()
        for i in range(3)
    ]
    for scenario in made:
        client.post(f"{scenarios}/{scenario['id']}/run")
        complete_run(client, main_id, scenario["id"], {"n": scenario["tag"] * 300}, {})
    whole = client.get(scenarios, headers={"Accept-Encoding": "identity"})
    assert all(s["result"] is not None for s in whole.json())
    # A limit 100 bytes short of the whole list: the last result is linked, never the response refused.
    limited = make_client(max_response_bytes=len(whole.content) - 100)
    response = limited.get(scenarios, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200 and len(response.content) <= len(whole.content) - 100
    listed = response.json()
    inline = [s for s in listed if s["result"] is not None]
    linked = [s for s in listed if s.get("result_url")]
    assert len(inline) == 2 and len(linked) == 1
    assert limited.get(linked[0]["result_url"]).json()["result"] == {"n": linked[0]["tag"] * 300}


def test_responses_are_gzipped_for_clients_that_accept_it(client, base):
    response = client.get(f"{base}/sessions/main/algorithms/Pick Simulation/parameters")
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["name"] == "Pick Simulation"


def test_a_copy_racing_a_delete_of_its_source_is_a_404_not_a_500(client, base, backend):
    from concurrent.futures import ThreadPoolExecutor

    for round_ in range(4):
        name = f"source-{round_}"
        assert client.post(f"{base}/sessions/main/copy", json={"new_display_name": name}).status_code == 201
        with ThreadPoolExecutor(2) as pool:
            copying = pool.submit(client.post, f"{base}/sessions/{name}/copy", json={"new_display_name": f"c{round_}"})
            deleting = pool.submit(client.delete, f"{base}/sessions/{name}")
        assert deleting.result().status_code == 200
        assert copying.result().status_code in (201, 404), copying.result().text
        names = [s["display_name"] for s in client.get(f"{base}/sessions").json()["sessions"]]
        assert name not in names
        if copying.result().status_code == 404:
            assert f"c{round_}" not in names

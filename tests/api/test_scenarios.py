"""Scenarios: create, read, list, delete, run, reset, status, processing."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from algocloud.run_message import RunMessage

SLOW = {"tag": "my-run", "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {"duration": 5}}


@pytest.fixture
def scenarios(base, main_id):
    return f"{base}/sessions/{main_id}/scenarios"


def receive_all(backend):
    return [RunMessage.from_body(m.body) for m in backend.runs.receive(10)]


def test_algorithm_and_kpi_discovery(client, base):
    assert "Slow" in client.get(f"{base}/sessions/main/algorithms").json()["algorithms"]
    assert client.get(f"{base}/sessions/main/algorithms/Slow/parameters").json() == {
        "name": "Slow",
        "parameters": [
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
        ],
    }
    assert client.get(f"{base}/sessions/main/kpis").json()["kpis"] == [
        "Travel distance",
        "Zone balance",
        "Reslot moves",
        "All items placed",
    ]
    assert client.get(f"{base}/sessions/nope/algorithms").status_code == 404
    assert client.get(f"{base}/sessions/main/algorithms/Nope/parameters").status_code == 404
    assert client.get(f"{base}/sessions/nope/kpis").status_code == 404


def test_create_returns_the_full_scenario(client, scenarios):
    response = client.post(scenarios, json=SLOW)
    assert response.status_code == 201
    body = response.json()
    assert body["tag"] == "my-run" and body["input_data_id"] == "Master data"
    assert body["status"] == "created" and body["result"] is None and body["progress"] == 0.0
    assert body["algorithm"]["name"] == "Slow"
    assert body["algorithm"]["parameters"][0]["value"] == 5
    assert all(kpi["value"] is None for kpi in body["kpis"].values())
    assert set(body["kpis"]["Travel distance"]) == {"name", "value", "unit", "better_when", "threshold"}
    assert client.get(f"{scenarios}/{body['id']}").json() == body
    assert client.get(scenarios).json() == [body]


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"algo_params": {"duration": 0}}, 400, "duration"),
        ({"algo_params": {"duration": "5"}}, 400, "expected an integer"),
        ({"algo_params": {"speed": 1}}, 400, "unknown parameter"),
        ({"data_params": {"demand_scale": -1}}, 400, "demand_scale"),
        ({"algo_name": "Nope"}, 404, "not registered"),
        ({"dataset_key": "Nope"}, 404, "dataset 'Nope' not found"),
        ({"tag": 5}, 422, None),
        ({"tag": ""}, 422, None),
        ({"algo_params": [1]}, 422, None),
        ({"dataset_key": None}, 422, None),
    ],
)
def test_create_errors(client, scenarios, change, status, fragment):
    response = client.post(scenarios, json={**SLOW, **change})
    assert response.status_code == status, response.text
    if fragment:
        assert fragment in response.json()["detail"]
    assert client.get(scenarios).json() == []


def test_missing_fields_are_422(client, scenarios):
    for field in ("tag", "dataset_key", "algo_name"):
        body = {k: v for k, v in SLOW.items() if k != field}
        assert client.post(scenarios, json=body).status_code == 422
    assert client.post(scenarios, content=b"not json", headers={"content-type": "application/json"}).status_code == 422


def test_duplicate_tag_is_409_even_when_racing(client, scenarios):
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(lambda _: client.post(scenarios, json=SLOW).status_code, range(20)))
    assert sorted(codes) == [201] + [409] * 19
    assert len(client.get(scenarios).json()) == 1


def test_unknown_session_or_scenario_is_404(client, base, scenarios):
    assert client.get(f"{base}/sessions/nope/scenarios").status_code == 404
    assert client.post(f"{base}/sessions/nope/scenarios", json=SLOW).status_code == 404
    for method, suffix in (("get", ""), ("delete", ""), ("post", "/run"), ("post", "/reset"), ("get", "/status")):
        response = getattr(client, method)(f"{scenarios}/does-not-exist{suffix}")
        assert response.status_code == 404, (method, suffix)
        assert "detail" in response.json()
    assert client.get(f"{base}/sessions/nope/processing").status_code == 404


def test_delete_scenario(client, scenarios):
    created = client.post(scenarios, json=SLOW).json()
    response = client.delete(f"{scenarios}/{created['id']}")
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"{scenarios}/{created['id']}").status_code == 404
    assert client.post(scenarios, json=SLOW).status_code == 201  # the tag is free again


def test_run_queues_once_and_sends_one_message(client, scenarios, backend, main_id):
    created = client.post(scenarios, json=SLOW).json()
    response = client.post(f"{scenarios}/{created['id']}/run")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    again = client.post(f"{scenarios}/{created['id']}/run")
    assert again.status_code == 409 and "reset it first" in again.json()["detail"]
    messages = receive_all(backend)
    assert len(messages) == 1
    assert messages[0].scenario_id == created["id"] and messages[0].session_id == main_id
    assert messages[0].tenant == "default"


def test_concurrent_runs_queue_once(client, scenarios, backend):
    created = client.post(scenarios, json=SLOW).json()
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(lambda _: client.post(f"{scenarios}/{created['id']}/run").status_code, range(10)))
    assert sorted(codes) == [202] + [409] * 9
    assert len(receive_all(backend)) == 1


def test_reset_rules(client, scenarios):
    created = client.post(scenarios, json=SLOW).json()
    reset = client.post(f"{scenarios}/{created['id']}/reset")
    assert reset.status_code == 200 and reset.json()["status"] == "created"  # no-op when created
    client.post(f"{scenarios}/{created['id']}/run")
    refused = client.post(f"{scenarios}/{created['id']}/reset")
    assert refused.status_code == 409 and "queued" in refused.json()["detail"]


def test_status_is_small(client, scenarios):
    created = client.post(scenarios, json=SLOW).json()
    status = client.get(f"{scenarios}/{created['id']}/status").json()
    assert status == {"id": created["id"], "tag": "my-run", "status": "created", "progress": 0.0}


def test_processing_is_null_when_idle(client, base):
    response = client.get(f"{base}/sessions/main/processing")
    assert response.status_code == 200 and response.json() is None


def test_reference_polling_example_until_the_worker_exists(client, base, backend):
    session = client.get(f"{base}/sessions").json()["default"]
    scenario = client.post(f"{base}/sessions/{session}/scenarios", json=SLOW).json()
    client.post(f"{base}/sessions/{session}/scenarios/{scenario['id']}/run")
    status = client.get(f"{base}/sessions/{session}/scenarios/{scenario['id']}/status").json()
    assert status["status"] == "queued"
    [message] = receive_all(backend)
    assert json.loads(message.to_body())["scenario_id"] == scenario["id"]


def test_queue_failure_fails_the_run_visibly(client, scenarios, monkeypatch):
    from api import deps

    created = client.post(scenarios, json=SLOW).json()
    queue = deps.adapters(client.api.state.settings).queue

    def refuse(_body):
        raise ConnectionError("queue down")

    monkeypatch.setattr(queue, "send", refuse)
    response = client.post(f"{scenarios}/{created['id']}/run")
    assert response.status_code == 503 and "try again" in response.json()["detail"]
    after = client.get(f"{scenarios}/{created['id']}").json()
    assert after["status"] == "failed" and "could not be queued" in after["error"]
    assert client.post(f"{scenarios}/{created['id']}/reset").json()["status"] == "created"

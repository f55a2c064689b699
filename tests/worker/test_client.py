"""The Python client (clients/python) against the app: on the aws backend through API Gateway."""

import pytest

from algocloud.example.generate import DATA_DIR
from algocloud_client import ApiError, Client


@pytest.fixture
def api(client, base):
    return Client(f"http://testserver{base}", http=client)


def test_create_run_wait_compare_cancel(api, driver):
    sid = api.sessions()["default"]
    made = [api.create_scenario(sid, tag, "Master data", algorithm) for tag, algorithm in
            (("greedy", "Greedy"), ("as-is", "As-is"))]
    for scenario in made:
        api.run(sid, scenario["id"])
    driver.drain()
    seen = []
    done = api.wait(sid, made[0]["id"], poll=0.01, on_progress=seen.append)
    assert done["status"] == "complete" and seen[-1]["status"] == "complete"
    compared = api.compare(sid, [s["id"] for s in made], baseline=made[1]["id"])
    assert {row["id"] for row in compared["ranking"]} == {s["id"] for s in made}
    queued = api.create_scenario(sid, "queued", "Master data", "Instant")
    api.run(sid, queued["id"])
    assert api.cancel(sid, queued["id"])["error"] == "cancelled"
    with pytest.raises(ApiError) as refused:
        api.cancel(sid, queued["id"])
    assert refused.value.status == 409 and "failed" in refused.value.detail


def test_pages_of_scenarios_and_errors(api):
    sid = api.sessions()["default"]
    for index in range(5):
        api.create_scenario(sid, f"t{index}", "Master data", "Instant")
    assert [s["tag"] for s in api.scenarios(sid, page_size=2)] == [s["tag"] for s in api.scenarios(sid)]
    with pytest.raises(ApiError) as missing:
        api.scenario(sid, "nope")
    assert missing.value.status == 404


@pytest.mark.parametrize("backend_name", ["embedded"])  # S3's upload URLs are not this test client's
def test_etl_through_uploads_and_paged_rows(api):
    sid = api.sessions()["default"]
    answer = api.etl(sid, "uploaded", sorted(DATA_DIR.glob("*.csv")))
    assert answer["success"] and "uploaded" in api.datasets(sid)
    page = api.rows(sid, "uploaded", "sku_data", limit=5)
    assert page["rows"] == api.dataset(sid, "uploaded")["tables"]["sku_data"]["data"][:5]


def test_throttled_calls_are_retried(api, monkeypatch):
    import httpx

    answers = iter([httpx.Response(429, headers={"retry-after": "0"}), httpx.Response(503, json={"detail": "x"})])
    original = api._http.request

    def flaky(method, url, **kwargs):
        return next(answers, None) or original(method, url, **kwargs)

    monkeypatch.setattr(api._http, "request", flaky)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    assert api.sessions()["sessions"][0]["display_name"] == "main"

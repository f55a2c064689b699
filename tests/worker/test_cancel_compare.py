"""Cancel a run, and compare scenarios by KPI."""

import time

import pytest


def wait_for(client, url, statuses, timeout=20.0):
    deadline = time.monotonic() + timeout
    while (status := client.get(url).json())["status"] not in statuses:
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
    return status


def test_a_queued_run_cancelled_never_starts(api, client, base, driver):
    scenario = api.run(api.create("Instant", tag="never"))
    response = client.post(f"{api.scenarios}/{scenario['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "failed" and response.json()["error"] == "cancelled"
    driver.drain()  # its message finds it failed: dropped
    after = api.get(scenario)
    assert after["status"] == "failed" and after["error"] == "cancelled" and after["run_started_at"] is None
    reset = client.post(f"{api.scenarios}/{scenario['id']}/reset")
    assert reset.status_code == 200 and reset.json()["status"] == "created"  # as after any failure


def test_a_processing_run_stops_at_its_next_progress_report_and_frees_the_session(api, client, background):
    slow = api.run(api.create("Slow", params={"duration": 30}, tag="slow"))
    after = api.run(api.create("Instant", tag="after"))
    wait_for(client, f"{api.scenarios}/{slow['id']}/status", ("processing",))
    cancelled_at = time.monotonic()
    assert client.post(f"{api.scenarios}/{slow['id']}/cancel").json()["error"] == "cancelled"
    done = wait_for(client, f"{api.scenarios}/{after['id']}/status", ("complete", "failed"))
    freed = time.monotonic() - cancelled_at
    assert done["status"] == "complete"
    assert freed < 15  # far below the 30 s the run had left: it stopped at a progress report
    final = api.get(slow)
    assert final["status"] == "failed" and final["error"] == "cancelled" and final["result"] is None


def test_cancel_of_a_created_or_finished_scenario_is_a_409(api, client, driver):
    created = api.create("Instant", tag="created")
    assert client.post(f"{api.scenarios}/{created['id']}/cancel").status_code == 409
    done = api.run(api.create("Instant", tag="done"))
    driver.drain()
    response = client.post(f"{api.scenarios}/{done['id']}/cancel")
    assert response.status_code == 409 and "complete" in response.json()["detail"]
    assert client.post(f"{api.scenarios}/nope/cancel").status_code == 404


def test_compare_ranks_complete_scenarios_and_reports_the_rest(api, client, driver):
    greedy = api.run(api.create("Greedy", tag="greedy"))
    asis = api.run(api.create("As-is", tag="as-is"))
    instant = api.run(api.create("Instant", tag="instant"))
    driver.drain()
    waiting = api.create("Instant", tag="waiting")
    ids = ",".join(s["id"] for s in (greedy, asis, instant, waiting))
    response = client.get(f"{api.scenarios}/compare", params={"ids": ids, "baseline": asis["id"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["baseline"] == asis["id"]
    assert body["not_compared"] == [{"id": waiting["id"], "tag": "waiting", "status": "created"}]
    full = {s["id"]: api.get(s) for s in (greedy, asis, instant)}
    for kpi in body["kpis"]:
        values = {sid: full[sid]["kpis"][kpi["name"]]["value"] for sid in full}
        assert kpi["values"] == values
        pick = max if kpi["better_when"] in ("higher", "at_least") else min
        assert set(kpi["best"]) == {sid for sid, v in values.items() if v == pick(values.values())}
        assert kpi["vs_baseline"][asis["id"]] == {"difference": 0.0, "relative": 0.0 if values[asis["id"]] else None}
        if kpi["threshold"] is not None:
            for sid, value in values.items():
                above = value >= kpi["threshold"]
                assert kpi["passes"][sid] == (
                    above if kpi["better_when"] in ("higher", "at_least") else value <= kpi["threshold"]
                )
    ranking = body["ranking"]
    assert [r["rank"] for r in ranking] == [1, 2, 3] and {r["id"] for r in ranking} == set(full)
    assert [r["mean_rank"] for r in ranking] == sorted(r["mean_rank"] for r in ranking)


@pytest.mark.parametrize(
    "params",
    [
        {"ids": "a"},
        {"ids": ",".join(str(i) for i in range(21))},
        {"ids": "a,a"},
        {"ids": "a,b", "baseline": "c"},
    ],
)
def test_compare_needs_2_to_20_different_ids_and_a_baseline_among_them(client, base, params):
    response = client.get(f"{base}/sessions/main/scenarios/compare", params=params)
    assert response.status_code == 400 and response.json()["detail"]


def test_compare_of_unknown_scenarios_is_404(client, base, api):
    made = api.create("Instant", tag="x")
    response = client.get(f"{base}/sessions/main/scenarios/compare", params={"ids": f"{made['id']},nope"})
    assert response.status_code == 404
    assert client.get(f"{base}/sessions/main/scenarios/compare").status_code == 422

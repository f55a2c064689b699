"""The list views of a session's scenarios once runs completed: the reference's whole list with
results, pages whose results are linked, and summaries (view=summary) with none."""


def test_summaries_and_pages_leave_results_out(client, base, driver):
    url = f"{base}/sessions/main/scenarios"
    made = [
        client.post(url, json={"tag": f"t{i}", "dataset_key": "Master data", "algo_name": "Instant"}).json()
        for i in range(3)
    ]
    client.post(f"{url}/{made[0]['id']}/run")
    driver.drain()
    whole = client.get(url).json()
    assert whole[0]["result"] is not None and "result_url" not in whole[0]  # the reference's list
    page = client.get(url, params={"limit": 2}).json()
    assert page[0]["result"] is None and page[0]["result_url"].endswith(f"/scenarios/{made[0]['id']}")
    assert [s["id"] for s in page] == [s["id"] for s in whole[:2]]
    assert client.get(page[0]["result_url"].removeprefix("http://testserver")).json() == whole[0]
    summaries = client.get(url, params={"view": "summary"}).json()
    assert [s["id"] for s in summaries] == [s["id"] for s in whole]
    first = summaries[0]
    assert set(first) == {
        "id", "tag", "input_data_key", "algorithm", "data_parameters", "status", "progress", "created_at",
        "run_started_at", "run_finished_at", "result_available", "kpis", "error",
    }  # fmt: skip
    assert first["result_available"] and not summaries[1]["result_available"]
    values = {p["name"]: p["value"] for p in whole[0]["algorithm"]["parameters"]}
    assert first["algorithm"] == {"name": "Instant", "parameters": values}
    assert first["kpis"] == whole[0]["kpis"] and first["input_data_key"] == "Master data"
    paged = client.get(url, params={"view": "summary", "limit": 2})
    assert paged.json() == summaries[:2] and "x-next-cursor" in paged.headers
    rest = client.get(url, params={"view": "summary", "limit": 2, "cursor": paged.headers["x-next-cursor"]})
    assert rest.json() == summaries[2:] and "x-next-cursor" not in rest.headers
    assert client.get(url, params={"view": "everything"}).status_code == 422

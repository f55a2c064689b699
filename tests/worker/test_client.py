"""The Python client (clients/python) against the app: on the aws backend through API Gateway."""

import asyncio
from pathlib import Path

import httpx
import pytest

from algocloud.example.generate import DATA_DIR
from algocloud_client import ApiError, AsyncClient, Client, models

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def api(client, base):
    return Client(f"http://testserver{base}", http=client)


def test_create_run_wait_compare_cancel(api, driver):
    sid = api.sessions().default
    made = [
        api.create_scenario(sid, tag, "Master data", algorithm)
        for tag, algorithm in (("greedy", "Greedy"), ("as-is", "As-is"))
    ]
    assert all(isinstance(s, models.Scenario) and s.status == models.Status.CREATED for s in made)
    for scenario in made:
        assert api.run(sid, scenario.id).status == models.Status.QUEUED
    driver.drain()
    seen: list[models.ScenarioStatus] = []
    done = api.wait(sid, made[0].id, poll=0.01, on_status=seen.append)
    assert done.status == models.Status.COMPLETE and seen[-1].status == models.Status.COMPLETE
    assert all(kpi.value is not None for kpi in done.kpis.values())
    compared = api.compare(sid, [s.id for s in made], baseline=made[1].id)
    assert {row.id for row in compared.ranking} == {s.id for s in made} and compared.baseline == made[1].id
    summaries = {s.id: s for s in api.summaries(sid, page_size=1)}  # a page at a time
    summary = summaries[done.id]
    assert summary.result_available and summary.algorithm.name == "Greedy" and summary.input_data_key == "Master data"
    assert {k: v.value for k, v in summary.kpis.items()} == {k: v.value for k, v in done.kpis.items()}
    queued = api.create_scenario(sid, "queued", "Master data", "Instant")
    api.run(sid, queued.id)
    assert api.cancel(sid, queued.id).error == "cancelled"
    with pytest.raises(ApiError) as refused:
        api.cancel(sid, queued.id)
    assert refused.value.status == 409 and "failed" in refused.value.detail
    assert api.reset(sid, queued.id).status == models.Status.CREATED


def test_experiments_through_the_client(api, driver):
    sid = api.sessions().default
    made = api.experiment(
        sid, "policies", "Pick Simulation", ["Master data"], grid={"policy": ["as-is", "greedy"]}, repetitions=2,
        baseline_set=0, accept=["Travel distance<=+0%"],
    )  # fmt: skip
    assert made.runs == 4 and made.counts == {"queued": 4}
    driver.drain()
    seen: list[models.Experiment] = []
    done = api.wait_experiment(sid, made.id, poll=0.01, on_report=seen.append)
    assert done.done and done.counts == {"complete": 4} and seen[-1].done
    assert [e.id for e in api.experiments(sid)] == [made.id]
    greedy = done.parameter_sets[1]
    assert greedy.parameters["policy"] == "greedy" and greedy.kpis["Travel distance"].n == 2
    loose = api.get_experiment(sid, made.id, accept=["Travel distance<=+1000%"])
    assert all(entry.acceptance.passed for entry in loose.parameter_sets)
    api.delete_experiment(sid, made.id)
    assert api.experiments(sid) == []


def test_catalogue_sessions_and_pages(api):
    assert api.health().status == "ok"
    main = api.sessions().default
    assert api.create_session("empty").sessions[-1].display_name == "empty"
    sid = next(s.id for s in api.copy_session(main, "client").sessions if s.display_name == "client")
    assert "Slow" in api.algorithms(sid) and api.kpis(sid)
    assert api.algorithm_parameters(sid, "Slow").parameters[0].name == "duration"
    assert api.rename_session(sid, "renamed").display_name == "renamed"
    for index in range(5):
        api.create_scenario(sid, f"t{index}", "Master data", "Instant")
    first = api.scenario_page(sid, limit=2)
    assert [s.tag for s in first.items] == ["t0", "t1"] and first.next_cursor
    assert [s.tag for s in api.scenarios(sid, page_size=2)] == [s.tag for s in api.scenarios(sid)]
    assert api.processing(sid) is None
    api.delete_scenario(sid, first.items[0].id)
    with pytest.raises(ApiError) as missing:
        api.scenario(sid, first.items[0].id)
    assert missing.value.status == 404
    assert "renamed" not in [s.display_name for s in api.delete_session(sid).sessions]


@pytest.mark.parametrize("backend_name", ["embedded"])  # S3's upload URLs are not this test client's
def test_uploads_etl_rows_and_json_import_with_progress(api, tmp_path, capsys):
    sid = api.sessions().default
    files = sorted(DATA_DIR.glob("*.csv"))
    answer = api.etl(sid, "uploaded", files, progress=True)
    assert answer.success and "uploaded" in api.datasets(sid)
    page = api.rows(sid, "uploaded", "sku_data", limit=5)
    dataset = api.dataset(sid, "uploaded")
    assert page.rows == dataset.tables["sku_data"]["data"][:5]
    assert {t.name for t in api.tables(sid, "uploaded").tables} == {"sku_data", "warehouse_layout"}
    exported = tmp_path / "copy.json"
    exported.write_text(dataset.model_dump_json())
    assert "uploaded" in api.import_json(api.create_session("other").sessions[-1].id, exported)


@pytest.mark.parametrize("backend_name", ["embedded"])
def test_an_upload_reports_every_byte_and_a_multipart_one_streams_its_parts(api, tmp_path, monkeypatch):
    from algocloud import limits

    sid = api.sessions().default
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 300_000)  # 1.2 MB
    sent: list[int] = []
    flows = api._ops
    assert api._run(flows.upload(sid, big, sent.append)) and sum(sent) == big.stat().st_size
    monkeypatch.setattr(limits, "MULTIPART_THRESHOLD", 1000)  # force the multipart path with small parts
    monkeypatch.setattr(limits, "PART_BYTES", 512 * 1024)
    sent.clear()
    upload_id = api._run(flows.upload(sid, big, sent.append))
    assert sum(sent) == big.stat().st_size and len(sent) == 3  # 3 parts of ≤ 512 KiB
    status = api.upload_status(sid, upload_id)
    assert status.received and status.received_bytes == big.stat().st_size


def test_throttled_calls_are_retried(api, monkeypatch):
    answers = iter([httpx.Response(429, headers={"retry-after": "0"}), httpx.Response(503, json={"detail": "x"})])
    original = api._http.request

    def flaky(method, url, **kwargs):
        return next(answers, None) or original(method, url, **kwargs)

    monkeypatch.setattr(api._http, "request", flaky)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    assert api.sessions().sessions[0].display_name == "main"


def test_the_async_client_has_the_same_operations(client, base, driver):
    async def scenario_story() -> models.Scenario:
        transport = httpx.ASGITransport(app=client.app)
        async with AsyncClient(f"http://testserver{base}", http=httpx.AsyncClient(transport=transport)) as api:
            sid = (await api.sessions()).default
            made = await api.create_scenario(sid, "async", "Master data", "Instant")
            await api.run(sid, made.id)
            await asyncio.to_thread(driver.drain)
            with pytest.raises(ApiError):
                await api.compare(sid, [made.id])  # 2 to 20
            return await api.wait(sid, made.id, poll=0.01)

    assert asyncio.run(scenario_story()).status == models.Status.COMPLETE


def test_the_async_client_mirrors_the_sync_one():
    """Every public operation of Client exists on AsyncClient with the same parameters."""
    import inspect

    def operations(cls):
        return {
            name: list(inspect.signature(f).parameters)
            for name, f in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_") and name not in ("close", "aclose")
        }

    assert operations(Client) == operations(AsyncClient)


def test_the_client_models_are_generated_from_the_current_schema():
    import subprocess
    import sys

    checked = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_client_models.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_a_server_without_direct_uploads_gets_the_files_as_one_form(api, monkeypatch):
    original = api._http.request
    sent_to = []

    def no_uploads(method, url, **kwargs):
        sent_to.append((method, url.rsplit("/", 1)[-1]))
        if method == "POST" and url.endswith("/uploads"):  # as an older server answers a route it lacks
            return httpx.Response(404, json={"detail": "Not Found"})
        return original(method, url, **kwargs)

    monkeypatch.setattr(api._http, "request", no_uploads)
    sid = api.sessions().default
    sent: list[int] = []
    files = sorted(DATA_DIR.glob("*.csv"))
    answer = api._run(api._ops.etl(sid, "by-form", files, 0.01, sent.append))
    assert answer.success and "by-form" in api.datasets(sid)
    assert ("POST", "etl") in sent_to and sum(sent) == sum(path.stat().st_size for path in files)
    with pytest.raises(ApiError) as missing:  # a refusal that is not a missing route is not retried as a form
        api.etl("no-such-session", "x", files)
    assert missing.value.status == 404 and "not found" in str(missing.value.detail).lower()


def test_a_scenario_asks_for_a_tier_the_deployment_has_or_is_refused(api, backend):
    sid = api.sessions().default
    if backend.name == "embedded":  # its container tier: local processes
        made = api.create_scenario(sid, "on-container", "Master data", "Slow", {"duration": 1}, tier="container")
        assert made.tier == models.Tier.CONTAINER and made.executor is None
    else:  # these settings name no ECS cluster: no container tier
        with pytest.raises(ApiError) as refused:
            api.create_scenario(sid, "on-container", "Master data", "Slow", {"duration": 1}, tier="container")
        assert refused.value.status == 422 and "container tier" in refused.value.detail
    assert api.create_scenario(sid, "lambda", "Master data", "Instant", tier="lambda").tier == models.Tier.LAMBDA


def test_the_client_says_who_it_is(api):
    me = api.me()
    assert (me.tenant, me.role, me.kind) == ("default", "admin", "anonymous") and "run_scenario" in me.allowed

"""Experiments on both backends (on aws through the gateway emulator and the Lambda handler):
a grid with repetitions, its report recomputed from the runs, acceptance, cancel and delete."""

import math
import statistics
import uuid

import pytest

from algocloud.domain.experiments import ExperimentRecord

GRID = {"days": [3, 5, 7], "policy": ["as-is", "greedy"]}


def value(scenario, name):
    return next(p["value"] for p in scenario["algorithm"]["parameters"] if p["name"] == name)


def create(client, base, **extra):
    body = {
        "name": "days x policy",
        "dataset_keys": ["Master data"],
        "algo_name": "Pick Simulation",
        "grid": GRID,
        "repetitions": 2,
        "baseline_set": 1,  # days 3, greedy
        "accept": ["Travel distance<=+1000%"],
    } | extra
    return client.post(f"{base}/sessions/main/experiments", json=body)


def test_a_grid_with_repetitions_runs_and_reports(client, base, driver, backend):
    made = create(client, base)
    assert made.status_code == 201, made.text
    experiment = made.json()
    assert experiment["runs"] == 12 and experiment["counts"] == {"queued": 12} and not experiment["done"]
    # the runs go in the tenant's lanes (FIFO groups), not in one session group: four go at once
    received = backend.runs.receive(max_messages=10, visibility_timeout=30)
    assert len({m.group_id for m in received}) == experiment["parallel_runs"] == 4
    for message in received:
        backend.runs.change_visibility(message.receipt, 0)
    driver.drain()
    url = f"{base}/sessions/main/experiments/{experiment['id']}"
    done = client.get(url).json()
    assert done["done"] and done["counts"] == {"complete": 12} and done["progress"] == 1.0
    totals = client.get(f"{base}/usage").json()["totals"]
    assert totals["runs_started"] == totals["runs_completed"] == 12  # metered like any run
    runs_url = f"{base}/sessions/{done['run_session_id']}/scenarios"
    runs = {s["id"]: s for s in client.get(runs_url).json()}
    assert set(runs) == set(done["run_ids"])
    seeds = sorted(value(s, "seed") for s in runs.values())
    assert seeds == [1] * 6 + [2] * 6  # the seed counts up per repetition
    for entry in done["parameter_sets"]:
        mine = [s for s in runs.values() if all(value(s, name) == entry["parameters"][name] for name in GRID)]
        assert len(mine) == 2
        for name, stats in entry["kpis"].items():
            values = [s["kpis"][name]["value"] for s in mine]
            assert stats["n"] == 2 and stats["mean"] == pytest.approx(statistics.fmean(values))
            assert stats["min"] == min(values) and stats["max"] == max(values)
            assert stats["stdev"] == pytest.approx(statistics.stdev(values))
    assert sorted(done["ranking"]) == list(range(6))
    assert all(entry["acceptance"]["passed"] for entry in done["parameter_sets"])  # +1000 %: all pass
    tight = client.get(url, params={"accept": "Travel distance<=+0%"}).json()
    verdicts = [entry["acceptance"]["passed"] for entry in tight["parameter_sets"]]
    assert verdicts[1] is True and False in verdicts  # the baseline passes itself; as-is sets travel further
    listed = client.get(f"{base}/sessions/main/experiments").json()
    assert [e["id"] for e in listed] == [experiment["id"]]
    # each run is an ordinary scenario: compare works on them
    compared = client.get(f"{runs_url}/compare", params={"ids": ",".join(done["run_ids"][:2])})
    assert compared.status_code == 200, compared.text


def test_experiments_are_checked_before_anything_is_made(client, base):
    sessions_before = client.get(f"{base}/sessions").json()
    bad_set = create(client, base, grid={"days": [3, 0]})
    assert bad_set.status_code == 400 and "parameter set 1" in bad_set.json()["detail"]
    too_big = create(client, base, grid={"days": list(range(1, 101))}, repetitions=20)
    assert too_big.status_code == 400 and "2,000 runs" in too_big.json()["detail"]
    bad_kpi = create(client, base, accept=["Nope<=+2%"])
    assert bad_kpi.status_code == 400 and "Nope" in bad_kpi.json()["detail"]
    bad_text = create(client, base, accept=["Travel distance about 2%"])
    assert bad_text.status_code == 400 and "KPI<=+2%" in bad_text.json()["detail"]
    assert create(client, base, dataset_keys=["nope"]).status_code == 404
    assert create(client, base, algo_name="nope").status_code == 404
    assert create(client, base, baseline_set=6).status_code == 400
    assert client.get(f"{base}/sessions").json() == sessions_before  # no run session was made
    assert client.get(f"{base}/sessions/main/experiments").json() == []


def test_cancel_ends_every_run_and_delete_removes_them(client, base, driver):
    experiment = create(client, base, grid={"days": [3, 5]}, repetitions=1).json()
    url = f"{base}/sessions/main/experiments/{experiment['id']}"
    cancelled = client.post(f"{url}/cancel").json()
    assert cancelled["counts"] == {"failed": 2}
    assert {f["error"] for f in cancelled["failed"]} == {"cancelled"}
    driver.drain()  # the runs' messages find them cancelled
    assert client.get(url).json()["counts"] == {"failed": 2}
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    sessions = client.get(f"{base}/sessions").json()["sessions"]
    assert experiment["run_session_id"] not in {s["id"] for s in sessions}


def test_provenance_is_recorded_and_compare_flags_a_mix(client, base, driver, worker, tmp_path, monkeypatch):
    from algocloud.domain import provenance
    from algocloud.run_message import RunMessage

    url = f"{base}/sessions/main/scenarios"

    def run_one(tag):
        made = client.post(url, json={"tag": tag, "dataset_key": "Master data", "algo_name": "Instant"}).json()
        client.post(f"{url}/{made['id']}/run")
        driver.drain()
        return client.get(f"{url}/{made['id']}").json()

    first = run_one("v1")
    recorded = first["provenance"]
    assert recorded["app_version"] == "dev" and len(recorded["code_hash"]) == len(recorded["dataset_hash"]) == 64
    assert recorded["executor"] == first["executor"] and set(recorded["runtime"]) == {"python", "pandas"}
    same = run_one("v1-again")
    worker.handlers[RunMessage].app_version = "2.0"  # a new release of the application
    second = run_one("v2")
    assert second["provenance"]["app_version"] == "2.0"
    assert second["provenance"]["dataset_hash"] == recorded["dataset_hash"]  # same data
    pair = client.get(f"{url}/compare", params={"ids": f"{first['id']},{same['id']}"}).json()["provenance"]
    assert not pair["mixed_versions"] and not pair["mixed_data"]
    mixed = client.get(f"{url}/compare", params={"ids": f"{first['id']},{second['id']}"}).json()["provenance"]
    assert mixed["mixed_versions"] and not mixed["mixed_data"] and len(mixed["versions"]) == 2
    assert client.post(f"{url}/{second['id']}/reset").json()["provenance"] is None  # a reset clears it

    # the code hash follows the code: an edited algorithm module hashes differently
    name = f"edited_{uuid.uuid4().hex}"
    module = tmp_path / f"{name}.py"
    module.write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__(name)
    before = provenance.code_hash(name)
    module.write_text("X = 2\n")
    provenance.code_hash.cache_clear()
    assert provenance.code_hash(name) != before


def test_hostile_experiments_get_a_4xx(client, base):
    url = f"{base}/sessions/main/experiments"
    huge = create(client, base, grid={f"p{i}": list(range(10)) for i in range(20)})  # 10^20 sets: never made
    assert huge.status_code == 400 and "at most 1,000" in huge.json()["detail"]
    both = create(client, base, parameter_sets=[{"days": 3}])
    assert both.status_code == 400 and "not both" in both.json()["detail"]
    for bad in ({"grid": {"days": []}}, {"grid": {"days": 3}}, {"repetitions": 0}, {"dataset_keys": []}):
        assert create(client, base, **bad).status_code in (400, 422), bad
    for missing in ("x" * 2000, "..%2F..", "01a00000-0000-7000-8000-000000000000"):
        assert client.get(f"{url}/{missing}").status_code == 404
        assert client.post(f"{url}/{missing}/cancel").status_code == 404
        assert client.delete(f"{url}/{missing}").status_code == 404
    made = create(client, base, grid={"days": [3]}, baseline_set=0).json()
    assert client.get(f"{url}/{made['id']}", params={"accept": "nonsense"}).status_code == 400
    assert client.get(f"{url}/{made['id']}", params={"accept": "Travel distance<=-2%"}).status_code == 400
    assert client.get(f"{base}/sessions/nope/experiments").status_code == 404


def test_an_experiment_of_a_thousand_runs_is_made_in_few_storage_calls(client, base, backend_name):
    """The cap must work within API Gateway's 29 s: scenarios in transactions, messages in batches."""
    body = {"name": "at the cap", "dataset_keys": ["Master data"], "algo_name": "Pick Simulation",
            "grid": {"days": list(range(1, 101))}, "repetitions": 10}  # fmt: skip
    calls = []
    if backend_name == "aws":
        from api import deps

        built = deps.adapters(client.api.state.settings)
        for inner in (built.stores.scenarios._db, built.queue._sqs):
            inner.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    made = client.post(f"{base}/sessions/main/experiments", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["runs"] == 1000 and made.json()["counts"] == {"queued": 1000}
    if backend_name == "aws":
        assert calls.count("SendMessageBatch") == 100 and "SendMessage" not in calls
        assert calls.count("TransactWriteItems") <= 40 and len(calls) < 200, len(calls)


def test_a_long_criterion_is_refused_at_once_and_bounds_are_finite(client, base, monkeypatch):
    """A criterion is read in one pass and bounded: 1,400 characters once took 11 s in a regex."""
    from algocloud import limits

    url = f"{base}/sessions/main/experiments"
    made = create(client, base, grid={"days": [3]}, baseline_set=0, accept=["Travel distance>=0"]).json()
    assert made["criteria"][0]["tolerance"] == 0  # 'KPI>=0' is allowed, as the message says
    hostile = "Travel distance" + " " * 1400 + "<=+1x"
    for where in ("create", "get"):
        if where == "create":
            answer = create(client, base, accept=[hostile])
        else:
            answer = client.get(f"{url}/{made['id']}", params={"accept": hostile})
        assert answer.status_code == 400 and "at most 300" in answer.json()["detail"]
    infinite = "Travel distance<=+1" + "0" * 400 + "%"  # 10^400 %: infinity as a float
    monkeypatch.setattr(limits, "MAX_CRITERION_CHARS", 1000)  # (300 keeps it finite by itself)
    refused = create(client, base, parameter_sets=[{}, {}], grid=None, baseline_set=0, accept=[infinite])
    assert refused.status_code == 400 and "finite" in refused.json()["detail"]


def test_an_experiment_stored_with_an_infinite_tolerance_reads_cancels_and_deletes(client, base, backend_name):
    """Stored before bounds had to be finite: the tolerance is null in its record."""
    from api import deps

    made = create(client, base, grid={"days": [3, 5]}, repetitions=1, baseline_set=0).json()
    stores = deps.adapters(client.api.state.settings).stores
    session = client.get(f"{base}/sessions").json()["default"]
    document = stores.experiments.get_experiment("default", session, made["id"]).to_document()
    document["criteria"] = [{"kpi": "Travel distance", "tolerance": None, "relative": True}]
    record = ExperimentRecord.from_document(document)  # an infinite tolerance, which JSON stores as null
    assert math.isinf(record.plan.criteria[0].tolerance)
    stores.experiments.replace_experiment("default", session, record)
    url = f"{base}/sessions/main/experiments/{made['id']}"
    assert client.get(url).status_code == 200
    assert client.post(f"{url}/cancel").status_code == 200
    assert client.delete(url).status_code == 204


def test_a_refused_experiment_leaves_nothing_behind(client, base):
    """A seed counted up past the 64-bit range is refused before the run session is made."""
    sessions_before = client.get(f"{base}/sessions").json()
    refused = create(client, base, grid={"days": [3]}, algo_params={"seed": 2**63 - 1}, repetitions=2, baseline_set=0)
    assert refused.status_code == 400 and "repetition 1" in refused.json()["detail"]
    assert client.get(f"{base}/sessions").json() == sessions_before
    assert client.get(f"{base}/sessions/main/experiments").json() == []


def test_a_plan_past_one_item_is_kept_as_an_object(client, base, monkeypatch):
    from algocloud import limits

    monkeypatch.setattr(limits, "INLINE_PLAN_BYTES", 2000)  # a DynamoDB item's 400 KB, scaled down
    long_label = "x" * 500
    made = create(client, base, grid={"policy": ["as-is", "greedy"], "days": [3, 5]}, algo_params={"label": long_label})
    if made.status_code == 400:  # Pick Simulation has no label: make the sets long another way
        made = create(client, base, grid={"days": list(range(1, 31))}, repetitions=1)
    assert made.status_code == 201, made.text
    experiment = made.json()
    url = f"{base}/sessions/main/experiments/{experiment['id']}"
    again = client.get(url).json()
    assert again["run_ids"] == experiment["run_ids"] and len(again["parameter_sets"]) == len(
        experiment["parameter_sets"]
    )
    listed = client.get(f"{base}/sessions/main/experiments").json()
    assert [(e["id"], e["runs"]) for e in listed] == [(experiment["id"], experiment["runs"])]
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_cancel_and_delete_of_many_runs_are_jobs_answered_202(client, base, driver, backend, monkeypatch):
    from algocloud import limits

    monkeypatch.setattr(limits, "EXPERIMENT_SYNC_CANCEL_RUNS", 3)  # 1,000 on AWS in 29 s, scaled down
    monkeypatch.setattr(limits, "EXPERIMENT_SYNC_DELETE_RUNS", 3)
    experiment = create(client, base, grid={"days": [3, 5, 7, 9]}, repetitions=2).json()
    url = f"{base}/sessions/main/experiments/{experiment['id']}"
    cancelling = client.post(f"{url}/cancel")
    assert cancelling.status_code == 202 and cancelling.json()["ending"] == "cancelling"
    assert cancelling.json()["counts"] == {"queued": 8}  # nothing ended yet: the job does it
    # The job may wait behind the experiment's lanes (SQS promises no order across groups): hold it,
    # and the runs' own messages end them cancelled, without running them.
    received = backend.runs.receive(max_messages=10, visibility_timeout=60)
    [job] = [m for m in received if "ending-" in m.group_id]
    for message in received:
        if message is not job:
            backend.runs.change_visibility(message.receipt, 0)
    driver.drain()
    runs_url = f"{base}/sessions/{experiment['run_session_id']}/scenarios"
    runs = client.get(runs_url).json()
    assert {(s["status"], s["error"], s["run_started_at"]) for s in runs} == {("failed", "cancelled", None)}
    assert client.get(url).json()["ending"] == "cancelling"  # until the job has looked
    backend.runs.change_visibility(job.receipt, 0)
    driver.drain()
    cancelled = client.get(url).json()
    assert cancelled["ending"] is None and cancelled["counts"] == {"failed": 8}
    assert {f["error"] for f in cancelled["failed"]} == {"cancelled"}
    assert client.get(f"{base}/usage").json()["totals"]["runs_started"] == 0  # none of them ran
    deleting = client.delete(url)
    assert deleting.status_code == 202 and deleting.json()["ending"] == "deleting"
    assert client.post(f"{url}/cancel").status_code == 409  # being deleted
    driver.drain()
    assert client.get(url).status_code == 404
    sessions = client.get(f"{base}/sessions").json()["sessions"]
    assert experiment["run_session_id"] not in {s["id"] for s in sessions}

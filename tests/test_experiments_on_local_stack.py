"""An experiment on the `--aws` local stack (two tenants by API key, real worker processes): its
runs go at most the tenant's limit at once, and neither the same tenant's ordinary session nor
another tenant waits for the sweep."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.test_local_stack import Stack, free_port

KEYS = ("tenant-a-key-0123456789abcdef", "tenant-b-key-0123456789abcdef")


def run_slow(base, key, session, tag, seconds=1):
    """Create and run Slow in `session`; seconds from the run request to complete."""
    headers = {"x-api-key": key}
    url = f"{base}/sessions/{session}/scenarios"
    body = {"tag": tag, "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {"duration": seconds}}
    made = httpx.post(url, json=body, headers=headers, timeout=30).json()
    started = time.monotonic()
    httpx.post(f"{url}/{made['id']}/run", headers=headers, timeout=30).raise_for_status()
    while httpx.get(f"{url}/{made['id']}/status", headers=headers, timeout=30).json()["status"] != "complete":
        assert time.monotonic() - started < 60
        time.sleep(0.1)
    return time.monotonic() - started


def test_a_sweep_starves_no_one(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPERIMENT_CONCURRENCY", "1")  # one lane: the sweep runs one at a time
    stack = Stack(tmp_path, free_port(), free_port(), mode="aws", api_key=KEYS[0], extra=["--api-key", KEYS[1]])
    stack.args[stack.args.index("--workers") + 1] = "3"
    stack.start()
    try:
        a = {"x-api-key": KEYS[0]}
        body = {
            "name": "slow sweep",
            "dataset_keys": ["Master data"],
            "algo_name": "Slow",
            "grid": {"duration": [2, 2, 2, 2]},
        }
        experiment = httpx.post(f"{stack.base}/sessions/main/experiments", json=body, headers=a, timeout=30).json()
        assert experiment["parallel_runs"] == 1 and experiment["runs"] == 4
        runs_url = f"{stack.base}/sessions/{experiment['run_session_id']}/scenarios"
        time.sleep(1)  # the sweep is going
        with ThreadPoolExecutor(2) as pool:
            own = pool.submit(run_slow, stack.base, KEYS[0], "main", "beside the sweep")
            other = pool.submit(run_slow, stack.base, KEYS[1], "main", "another tenant")
            processing_seen = []
            while not (own.done() and other.done()):
                statuses = [s["status"] for s in httpx.get(runs_url, headers=a, timeout=30).json()]
                processing_seen.append(statuses.count("processing"))
                time.sleep(0.2)
            assert own.result() < 6 and other.result() < 6  # not behind ~8 s of sweep
        assert max(processing_seen) == 1  # the tenant's limit: one sweep run at a time
        url = f"{stack.base}/sessions/main/experiments/{experiment['id']}"
        deadline = time.monotonic() + 60
        while not (report := httpx.get(url, headers=a, timeout=30).json())["done"]:
            assert time.monotonic() < deadline
            time.sleep(0.3)
        assert report["counts"] == {"complete": 4}
        # the other tenant sees neither the experiment nor its run session
        b = {"x-api-key": KEYS[1]}
        assert httpx.get(url, headers=b, timeout=30).status_code == 404
        assert httpx.get(runs_url, headers=b, timeout=30).status_code == 404
    finally:
        stack.stop()

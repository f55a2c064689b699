"""The worker: runs from the queue exactly once, progress, failures, timeouts, the DLQ, deletes.

Every test runs on both backends (SQS/DynamoDB/S3 in moto, and the embedded
SQLite queue, stores and files).
"""

import json
import threading
import time

import pytest

from algocloud.run_message import RunMessage


def wait_for(predicate, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not reached")


def test_run_to_complete_with_kpis_and_result(api, driver, client, base):
    scenario = api.run(api.create("Greedy"))
    driver.drain()
    done = api.get(scenario)
    assert done["status"] == "complete" and done["progress"] == 1.0 and done["error"] is None
    assert done["result"]["algorithm"] == "Greedy" and len(done["result"]["assignments"]) == 150
    assert all(isinstance(k["value"], float) for k in done["kpis"].values())
    assert done["run_started_at"] <= done["run_finished_at"]
    assert client.get(f"{base}/sessions/main/processing").json() is None


@pytest.mark.parametrize(
    ("mode", "fragment"),
    [
        ("exception", "raised RuntimeError: Failure Modes was asked to raise"),
        ("non-serialisable", "not JSON serialisable"),
        ("kpi-failure", "KPI 'Travel distance' failed"),
    ],
)
def test_failure_modes_end_failed_with_an_error_text(api, driver, mode, fragment):
    scenario = api.run(api.create("Failure Modes", {"mode": mode}))
    driver.drain()
    failed = api.get(scenario)
    assert failed["status"] == "failed" and fragment in failed["error"]
    assert failed["result"] is None and all(k["value"] is None for k in failed["kpis"].values())


def test_failed_run_can_be_reset_and_run_again(api, driver, client):
    scenario = api.run(api.create("Failure Modes", {"mode": "exception"}))
    driver.drain()
    reset = client.post(f"{api.scenarios}/{scenario['id']}/reset").json()
    assert reset["status"] == "created" and reset["error"] is None
    api.run(scenario)
    driver.drain()
    assert api.get(scenario)["status"] == "failed"


def test_the_same_message_twice_runs_once(api, driver, backend):
    scenario = api.run(api.create("Instant"))
    [message] = driver.receive()
    driver.deliver([message])
    first = api.get(scenario)
    # SQS at-least-once: the very same message arrives again
    backend.send_raw(message.body, "dup", "dup")
    driver.drain()
    assert api.get(scenario) == first


def test_an_old_message_cannot_complete_a_newer_run(api, driver, backend, client):
    scenario = api.run(api.create("Instant"))
    [old] = driver.receive()
    driver.deliver([old])
    client.post(f"{api.scenarios}/{scenario['id']}/reset")
    api.run(scenario)  # a new run id; the old message is now stale
    backend.send_raw(old.body, "old", "old")
    stale = json.loads(old.body)["run_id"]
    messages = driver.receive()
    stale_first = sorted(messages, key=lambda m: json.loads(m.body)["run_id"] != stale)
    driver.deliver(stale_first[:1])
    assert api.get(scenario)["status"] == "queued"  # the stale message changed nothing
    driver.deliver(stale_first[1:])
    driver.drain()
    assert api.get(scenario)["status"] == "complete"


def test_messages_for_deleted_scenarios_or_sessions_are_acknowledged(api, driver, client, base, backend):
    doomed = api.run(api.create("Instant"))
    client.delete(f"{api.scenarios}/{doomed['id']}")
    client.post(f"{base}/sessions/main/copy", json={"new_display_name": "temp"})
    gone_with_session = api.run(api.create("Instant", session="temp"), session="temp")
    client.delete(f"{base}/sessions/temp")
    before = backend.records()
    driver.drain()
    assert backend.records() == before
    assert backend.queue_counts() == (0, 0)
    assert not any(gone_with_session["id"] in key for key in backend.objects())


class Killed(BaseException):
    """Stands in for the Lambda runtime killing the function at its timeout."""


def test_a_run_cut_off_mid_way_is_taken_over_and_completes_once(api, driver, stores, backend, monkeypatch):
    scenario = api.run(api.create("Slow", {"duration": 2}))
    original = stores.scenarios.update_progress
    monkeypatch.setattr(stores.scenarios, "update_progress", lambda *a, **k: (_ for _ in ()).throw(Killed()))
    [message] = driver.receive()
    with pytest.raises(Killed):
        driver.deliver([message])
    stuck = api.get(scenario)
    assert stuck["status"] == "processing"
    first_start = stuck["run_started_at"]
    monkeypatch.setattr(stores.scenarios, "update_progress", original)
    # the visibility timeout expires and SQS redelivers the same message
    backend.runs.change_visibility(message.receipt, 0)
    driver.drain()
    done = api.get(scenario)
    assert done["status"] == "complete" and done["run_started_at"] > first_start
    assert driver.poll_once() == 0


def test_a_message_past_the_maximum_receive_count_fails_the_scenario(
    api, driver, dead_letters, worker, monkeypatch, client, base
):
    scenario = api.run(api.create("Instant"))

    def storage_down(_message, _delivery=None):
        raise ConnectionError("S3 is unavailable")

    monkeypatch.setattr(worker, "handle", storage_down)
    driver.visibility_timeout = 0
    for _ in range(5):  # maxReceiveCount: each delivery fails and comes back
        assert driver.poll_once() == 1
        assert api.get(scenario)["status"] == "queued"  # infrastructure errors do not fail the run
    assert driver.poll_once() == 0  # moto moves it to the DLQ on the next receive
    dead_letters.drain()
    failed = api.get(scenario)
    assert failed["status"] == "failed" and "did not finish after" in failed["error"]
    assert "timed out or the worker crashed" in failed["error"]
    assert client.get(f"{base}/sessions/main/processing").json() is None


def test_progress_moves_during_a_slow_run_and_processing_names_it(api, client, base, background):
    scenario = api.run(api.create("Slow", {"duration": 3}))
    seen = set()

    def sample():
        status = api.status(scenario)
        seen.add(status["progress"])
        if status["status"] == "processing":
            current = client.get(f"{base}/sessions/main/processing").json()
            assert current is None or current["id"] == scenario["id"]
        return status["status"] == "complete"

    wait_for(sample, timeout=15)
    assert any(0 < p < 1 for p in seen), seen
    assert api.status(scenario)["progress"] == 1.0


def _state(backend) -> list[str]:
    """Every stored record but the audit log's, which keeps who deleted what, by design."""
    return [r for r in backend.records() if '"AUDIT#' not in r and '"audit_entries"' not in r]


def test_deleting_a_running_scenario_leaves_nothing_behind(api, client, background, main_id, backend):
    scenario = api.run(api.create("Slow", {"duration": 2}))
    wait_for(lambda: api.status(scenario)["status"] == "processing")
    assert client.delete(f"{api.scenarios}/{scenario['id']}").status_code == 204
    time.sleep(2.5)  # the run notices at its next progress write and stops
    assert not [r for r in _state(backend) if scenario["id"] in r]
    assert not backend.objects(f"tenants/default/sessions/{main_id}/results/")


def test_deleting_the_session_of_a_running_scenario_leaves_nothing_behind(api, client, base, background, backend):
    client.post(f"{base}/sessions/main/copy", json={"new_display_name": "doomed"})
    scenario = api.run(api.create("Slow", {"duration": 2}, session="doomed"), session="doomed")
    session_id = next(
        s["id"] for s in client.get(f"{base}/sessions").json()["sessions"] if s["display_name"] == "doomed"
    )
    wait_for(lambda: api.status(scenario, session="doomed")["status"] == "processing")
    client.delete(f"{base}/sessions/doomed")
    time.sleep(2.5)
    assert not [r for r in _state(backend) if session_id in r]
    assert not backend.objects(f"tenants/default/sessions/{session_id}/")


def test_large_results_go_to_the_blob_store_and_are_still_returned(api, driver, monkeypatch, main_id, backend):
    monkeypatch.setattr("algocloud.limits.INLINE_RESULT_LIMIT", 1000)
    scenario = api.run(api.create("Greedy"))
    driver.drain()
    done = api.get(scenario)
    assert done["status"] == "complete" and len(done["result"]["assignments"]) == 150
    [key] = backend.objects(f"tenants/default/sessions/{main_id}/results/")
    assert scenario["id"] in key


def test_twenty_scenarios_in_four_sessions_never_two_processing_in_one_session(api, client, base, backend, handlers):
    from devstack.driver import QueueDriver

    sessions = ["main"] + [f"s{i}" for i in range(1, 4)]
    for name in sessions[1:]:
        client.post(f"{base}/sessions/main/copy", json={"new_display_name": name})
    scenarios = [
        (name, api.create("Slow", {"duration": 1}, tag=f"run-{i}", session=name)) for name in sessions for i in range(5)
    ]
    for name, scenario in scenarios:
        api.run(scenario, session=name)

    stop, violations, errors = threading.Event(), [], []

    def work():  # four parallel workers, one message at a time, like MaximumConcurrency=4
        driver = QueueDriver(backend.runs, handlers[0], batch_size=1, visibility_timeout=60)
        while not stop.is_set():
            try:
                if not driver.poll_once():
                    stop.wait(0.05)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(4)]
    started = time.monotonic()
    for thread in workers:
        thread.start()

    def all_done():
        statuses = {}
        for name in sessions:
            listed = client.get(f"{base}/sessions/{name}/scenarios").json()
            processing = [s for s in listed if s["status"] == "processing"]
            if len(processing) > 1:
                violations.append((name, [s["tag"] for s in processing]))
            statuses[name] = [s["status"] for s in listed]
        return all(status == "complete" for values in statuses.values() for status in values)

    try:
        wait_for(all_done, timeout=60, interval=0.1)
    finally:
        stop.set()
        for thread in workers:
            thread.join(timeout=30)
    elapsed = time.monotonic() - started
    assert not errors and not violations, (errors, violations)
    assert elapsed < 15, f"4 sessions should run in parallel ({elapsed:.1f} s for 20 one-second runs)"


def test_reference_polling_example_end_to_end(client, base, background):
    """The reference's example, verbatim but for the client and a shorter duration."""
    session = client.get(f"{base}/sessions").json()["default"]
    scenario = client.post(
        f"{base}/sessions/{session}/scenarios",
        json={"tag": "my-run", "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {"duration": 2}},
    ).json()
    client.post(f"{base}/sessions/{session}/scenarios/{scenario['id']}/run")
    while True:
        s = client.get(f"{base}/sessions/{session}/scenarios/{scenario['id']}/status").json()
        if s["status"] in ("complete", "failed"):
            break
        time.sleep(0.5)
    result = client.get(f"{base}/sessions/{session}/scenarios/{scenario['id']}").json()
    assert result["status"] == "complete"
    assert set(result["kpis"]) == {"Travel distance", "Zone balance", "Reslot moves", "All items placed"}
    assert all(k["value"] is not None for k in result["kpis"].values())


def test_sample_sqs_event_reaches_the_handler(handlers):
    """events/sqs-run-batch.json: two records for scenarios that do not exist -> both acknowledged."""
    from pathlib import Path

    event = json.loads((Path(__file__).parents[2] / "events" / "sqs-run-batch.json").read_text())
    for record in event["Records"]:
        RunMessage.from_body(record["body"])
    assert handlers[0](event, None) == {"batchItemFailures": []}


def test_a_malformed_message_is_dropped_not_retried(driver, backend, dead_letters):
    for dead_letter in (False, True):
        backend.send_raw('{"not": "a run"}', "g", "m", dead_letter=dead_letter)
    driver.drain()
    dead_letters.drain()
    for dead_letter in (False, True):
        assert backend.queue_counts(dead_letter) == (0, 0)


def test_one_failing_record_does_not_redeliver_the_others(api, driver, worker, monkeypatch, client, base):
    """Partial batch failure: records of other sessions in the batch are acknowledged."""
    client.post(f"{base}/sessions/main/copy", json={"new_display_name": "other"})
    bad = api.run(api.create("Instant", tag="bad"))
    good = api.run(api.create("Instant", tag="good", session="other"), session="other")
    original = worker.handle

    def fail_for_bad(message, delivery=None):
        if message.scenario_id == bad["id"]:
            raise ConnectionError("throttled")
        return original(message, delivery)

    monkeypatch.setattr(worker, "handle", fail_for_bad)
    messages = driver.receive()
    assert len(messages) == 2
    failed = driver.deliver(messages)
    assert (
        len(failed) == 1
        and json.loads(next(m.body for m in messages if m.message_id == failed[0]))["scenario_id"] == bad["id"]
    )
    assert api.get(good, session="other")["status"] == "complete"
    assert api.get(bad)["status"] == "queued"


def test_the_heartbeat_hides_a_live_run_briefly_and_a_crashed_one_reappears_soon(aws_env, sqs):
    """The deployed worker keeps a running message hidden 60 s at a time (here 1 s)."""
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from algocloud.adapters.aws.sqs import SqsQueueConsumer
    from devstack.driver import QueueDriver
    from worker.lambda_adapter import Heartbeat

    queue_url, _dlq = aws_env
    consumer = SqsQueueConsumer(sqs, queue_url)
    sqs.send_message(QueueUrl=queue_url, MessageBody="{}", MessageGroupId="g", MessageDeduplicationId="d")
    [message] = consumer.receive(1, 1800)  # the queue's long timeout, as Lambda receives it
    record = SQSRecord(QueueDriver(consumer, lambda *_: {}).event([message])["Records"][0])
    heartbeat = Heartbeat(sqs, seconds=1)
    with heartbeat.keep(record):
        time.sleep(2.5)  # past the short timeout: only the beats keep it hidden
        assert consumer.receive(1, 30) == []
    time.sleep(1.5)  # the run "crashed": no more beats, and 1 s later it is back
    [again] = consumer.receive(1, 30)
    assert again.message_id == message.message_id

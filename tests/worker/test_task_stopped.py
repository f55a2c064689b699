"""What the container tier's reconciler and tasks ask of the job handlers, through the registry:
`held` (the receipt a task holds, and whether the job is still its to run) and `task_stopped` (a
task stopped before its job ended: the job fails and its session is freed), for each kind."""

from algocloud.domain.scenario import Status
from algocloud.run_message import parse_message
from tests.api.test_uploads import upload


def test_a_run_whose_task_stopped_fails_once_and_only_on_its_own_task(api, worker, stores, driver):
    scenario = api.run(api.create("Slow", {"duration": 30}))
    [received] = driver.receive()
    message = parse_message(received.body)
    on_task = {"executor": "container", "task_id": "task-1", "receipt": received.receipt}
    stores.scenarios.transition(message.tenant, message.session_id, scenario["id"], Status.PROCESSING, on_task,
                    run_id=message.run_id)  # fmt: skip
    assert worker.held(message) == (received.receipt, True)
    assert worker.task_stopped(message, "task-2", "exit code 1") is False  # another task's end
    assert worker.task_stopped(message, "task-1", "OutOfMemoryError; exit code 137") is True
    failed = api.get(scenario)
    assert failed["status"] == "failed" and "container task" in failed["error"] and "137" in failed["error"]
    assert failed["run_finished_at"]
    assert worker.held(message) == (received.receipt, False)  # a task still running it would stop
    assert worker.task_stopped(message, "task-1", "again") is False  # ended once


def test_an_ingestion_whose_task_stopped_fails_with_the_reason(
    client, backend, base, worker, stores, driver, monkeypatch
):
    from algocloud import limits

    monkeypatch.setattr(limits, "SYNC_INGEST_BYTES", 1)
    upload_id = upload(client, backend, f"{base}/sessions/main/uploads", "sku_data.csv", b"item_id\n1\n")
    job = client.post(f"{base}/sessions/main/etl", json={"dataset_name": "x", "uploads": [upload_id]}).json()
    [received] = driver.receive()
    message = parse_message(received.body)
    on_task = {"executor": "container", "task_id": "task-9", "receipt": received.receipt}
    stores.jobs.transition_job(message.tenant, message.session_id, message.job_id, Status.PROCESSING, on_task)
    assert worker.held(message) == (received.receipt, True)
    assert worker.task_stopped(message, "task-9", "exit code 137") is True
    failed = client.get(f"{base}/sessions/main/etl/{job['job_id']}").json()
    assert failed["status"] == "failed" and "137" in failed["detail"]
    assert worker.held(message) == (received.receipt, False)

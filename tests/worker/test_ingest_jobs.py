"""Ingestion too large for a request: a job on the run queue, run by the worker."""

import json

from tests.api.test_uploads import readme_files, upload


def fetch(client, backend, url):
    """A dataset's JSON, following the 307 to storage when it is too large to answer."""
    response = client.get(url, follow_redirects=False)
    if response.status_code == 307:
        body = backend.read_url(response.headers["location"], client)
        return json.loads(__import__("gzip").decompress(body) if body[:2] == b"\x1f\x8b" else body)
    assert response.status_code == 200, response.text
    return json.loads(response.content)


def test_a_19_megabyte_from_json_round_trip_runs_as_a_job(client, backend, base, driver):
    uploads = f"{base}/sessions/main/uploads"
    ids = [upload(client, backend, uploads, name, content) for name, content in readme_files().items()]
    assert client.post(f"{base}/sessions/main/etl", json={"dataset_name": "big", "uploads": ids}).json()["success"]
    original = fetch(client, backend, f"{base}/sessions/main/data/big")
    payload = json.dumps(original).encode()
    assert len(payload) > 19_000_000
    assert client.post(f"{base}/sessions", json={"display_name": "other"}).status_code == 201
    other = f"{base}/sessions/other"
    upload_id = upload(client, backend, f"{other}/uploads", "big.json", payload)
    accepted = client.post(f"{other}/data/from-json", json={"upload": upload_id})
    assert accepted.status_code == 202, accepted.text
    job = accepted.json()
    assert job["status"] == "queued" and job["kind"] == "from-json"
    assert client.get(f"{other}/data").json() == {"keys": []}  # nothing until the job succeeds
    driver.drain()
    done = client.get(f"{other}/etl/{job['job_id']}").json()
    assert done["status"] == "complete" and done["result"] == {"keys": ["big"]} and done["progress"] == 1.0
    assert fetch(client, backend, f"{other}/data/big")["tables"] == original["tables"]
    assert client.get(f"{other}/uploads/{upload_id}").status_code == 404  # used up


def test_a_failed_job_keeps_the_previous_dataset(client, backend, base, driver, monkeypatch):
    from algocloud import limits

    monkeypatch.setattr(limits, "SYNC_INGEST_BYTES", 1000)  # every ingestion here is a job
    before = fetch(client, backend, f"{base}/sessions/main/data/Master data")
    uploads = f"{base}/sessions/main/uploads"
    broken = b"item_id;nonsense\n" + b"1;x\n" * 2000
    upload_id = upload(client, backend, uploads, "sku_data.csv", broken)
    accepted = client.post(f"{base}/sessions/main/etl", json={"dataset_name": "Master data", "uploads": [upload_id]})
    assert accepted.status_code == 202
    driver.drain()
    job = client.get(f"{base}/sessions/main/etl/{accepted.json()['job_id']}").json()
    assert job["status"] == "failed" and job["result"]["success"] is False
    assert any(m["level"] == "ERROR" for m in job["result"]["messages"])
    assert fetch(client, backend, f"{base}/sessions/main/data/Master data") == before


def test_a_job_of_a_deleted_session_is_dropped_and_leaves_nothing(client, backend, base, driver, monkeypatch):
    from algocloud import limits

    monkeypatch.setattr(limits, "SYNC_INGEST_BYTES", 1)
    client.post(f"{base}/sessions", json={"display_name": "doomed"})
    doomed = f"{base}/sessions/doomed"
    session_id = client.get(f"{base}/sessions").json()["sessions"][1]["id"]
    upload_id = upload(client, backend, f"{doomed}/uploads", "sku_data.csv", b"item_id\n1\n")
    job = client.post(f"{doomed}/etl", json={"dataset_name": "d", "uploads": [upload_id]}).json()
    assert job["status"] == "queued"
    assert client.delete(doomed).status_code == 200
    assert not backend.objects(f"tenants/default/sessions/{session_id}/")  # uploads and job went with it
    driver.drain()  # the job's message finds no session: dropped, nothing written back
    assert not backend.objects(f"tenants/default/sessions/{session_id}/")
    assert backend.queue_counts() == (0, 0)


def test_a_job_the_queue_refuses_is_a_503_and_fails_visibly(client, backend, base, monkeypatch):
    from algocloud import limits
    from api import deps

    monkeypatch.setattr(limits, "SYNC_INGEST_BYTES", 1)
    upload_id = upload(client, backend, f"{base}/sessions/main/uploads", "sku_data.csv", b"item_id\n1\n")
    queue = deps.adapters(client.api.state.settings).queue

    def refuse(message):
        raise ConnectionError("queue down")

    monkeypatch.setattr(queue, "send", refuse)
    response = client.post(f"{base}/sessions/main/etl", json={"dataset_name": "x", "uploads": [upload_id]})
    assert response.status_code == 503 and response.headers["retry-after"]
    assert client.get(f"{base}/sessions/main/uploads/{upload_id}").json()["received"] is True  # still usable


def test_an_ingestion_that_would_pass_the_deadline_is_handed_over_not_killed(
    client, backend, base, driver, worker, stores, monkeypatch
):
    """As runs do: a job that cannot end within the invocation (its estimate, or an attempt here cut
    off before) goes to the container tier, or without one fails at once with the reason; it is not
    killed at the limit five times, holding its session, to end failed at 0.5."""
    import time

    from algocloud import limits
    from algocloud.domain.jobs import Status
    from algocloud.execution.executor import Delivery
    from algocloud.run_message import parse_message

    monkeypatch.setattr(limits, "SYNC_INGEST_BYTES", 1)
    etl = f"{base}/sessions/main/etl"
    jobs = []
    for _ in range(2):
        upload_id = upload(client, backend, f"{base}/sessions/main/uploads", "sku_data.csv", b"item_id\n1\n")
        jobs.append(client.post(etl, json={"dataset_name": "x", "uploads": [upload_id]}).json())

    monkeypatch.setattr(limits, "INGEST_SECONDS_PER_MB", 1e6)  # as slow as 17 MB against a 3 s worker
    received = driver.receive()  # SQS FIFO may hand out both of the group's messages at once
    first = received[0]
    outcome = worker.handle(parse_message(first.body), Delivery(time.monotonic() + 3, 3.0, 1769, first.receipt))
    failed = client.get(f"{etl}/{jobs[0]['job_id']}").json()
    assert str(outcome) == "failed" and failed["status"] == "failed"
    assert "to ingest" in failed["detail"] and "no container tier" in failed["detail"]
    driver.consumer.delete([first.receipt])

    monkeypatch.setattr(limits, "INGEST_SECONDS_PER_MB", 0.0)
    second = received[1] if len(received) > 1 else driver.receive()[0]
    message = parse_message(second.body)
    stores.jobs.transition_job(
        message.tenant, message.session_id, message.job_id, Status.PROCESSING, {"executor": "lambda"}
    )
    outcome = worker.handle(message, Delivery(time.monotonic() + 30, 30.0, 1769, second.receipt))  # a takeover
    failed = client.get(f"{etl}/{jobs[1]['job_id']}").json()
    assert str(outcome) == "failed" and "cut off" in failed["detail"]

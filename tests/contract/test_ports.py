"""One contract for the ports, run against both adapter sets (DynamoDB/S3/SQS in moto,
SQLite/files): uniqueness and transition races, reference counts, the processing
marker, queue group order, visibility, redelivery, dead-lettering and restarts."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from algocloud.domain.errors import Conflict, InvalidTransition, NotFound
from algocloud.domain.jobs import IngestJob, JobKind
from algocloud.domain.ports import DatasetRecord, SessionRecord
from algocloud.domain.scenario import Scenario, Status

from .records import TENANT, dataset, scenario


@pytest.fixture
def reopen(settings, request):
    """The same backend opened afresh, as after a restart (embedded: new connections)."""

    def again():
        from algocloud.adapters.factory import build_adapters
        from tests.support import Backend, clear_caches

        clear_caches()
        return build_adapters(settings).repo, Backend.for_settings(settings, request)

    return again


def race(count, action):
    """Run `action(i)` from `count` threads at once; results or exceptions, in order."""
    barrier = threading.Barrier(count)

    def one(index):
        barrier.wait()
        try:
            return action(index)
        except Exception as exc:  # noqa: BLE001 - the outcome is what we compare
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


# -- sessions --------------------------------------------------------------------------
def test_session_names_are_unique_under_a_race(repo):
    outcomes = race(8, lambda i: repo.create_session(TENANT, SessionRecord(str(uuid.uuid4()), "same")))
    assert sum(o is True for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o is not True)
    assert [s.display_name for s in repo.list_sessions(TENANT)] == ["same"]


def test_the_tenant_marker_is_written_once(repo):
    outcomes = race(
        6, lambda i: repo.create_session(TENANT, SessionRecord(str(uuid.uuid4()), f"m{i}"), mark_tenant=True)
    )
    assert outcomes.count(True) == 1 and outcomes.count(False) == 5
    assert repo.tenant_exists(TENANT) and not repo.tenant_exists("someone-else")


def test_sessions_are_scoped_by_tenant(repo, session):
    assert repo.find_session(TENANT, session.id) == session
    assert repo.find_session(TENANT, "first") == session
    assert repo.find_session("tenant-b", session.id) is None
    assert repo.find_session("tenant-b", "first") is None
    assert repo.create_session("tenant-b", SessionRecord(str(uuid.uuid4()), "first"))  # same name, other tenant
    assert repo.get_dataset("tenant-b", session.id, "data") is None


def test_rename_keeps_names_unique_and_frees_the_old_one(repo, session):
    other = SessionRecord(str(uuid.uuid4()), "second")
    repo.create_session(TENANT, other)
    with pytest.raises(Conflict):
        repo.rename_session(TENANT, other, "first")
    renamed = repo.rename_session(TENANT, session, "renamed")
    assert repo.find_session(TENANT, "renamed").id == session.id
    assert repo.find_session(TENANT, "first") is None
    repo.rename_session(TENANT, other, "first")  # the old name is free again
    outcomes = race(4, lambda i: repo.rename_session(TENANT, [renamed, other][i % 2], "contested"))
    assert sum(isinstance(o, SessionRecord) for o in outcomes) >= 1
    assert len({s.id for s in repo.list_sessions(TENANT) if s.display_name == "contested"}) == 1


def test_delete_and_purge_remove_the_session_and_its_contents(repo, session):
    repo.create_scenario(TENANT, session.id, scenario())
    repo.delete_session(TENANT, session)
    repo.purge_session(TENANT, session.id)
    assert repo.find_session(TENANT, session.id) is None
    assert repo.list_scenarios(TENANT, session.id) == [] and repo.list_datasets(TENANT, session.id) == []
    with pytest.raises(NotFound):
        repo.delete_session(TENANT, session)
    with pytest.raises(NotFound):
        repo.create_scenario(TENANT, session.id, scenario("late"))


# -- scenarios and datasets ----------------------------------------------------------------
def test_scenario_tags_are_unique_under_a_race(repo, session):
    outcomes = race(8, lambda i: repo.create_scenario(TENANT, session.id, scenario("same")))
    assert outcomes.count(None) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o is not None)
    assert repo.get_dataset(TENANT, session.id, "data").refs == 1


def test_reference_counts_guard_dataset_deletes_and_overwrites(repo, session):
    first, second = scenario("a"), scenario("b")
    repo.create_scenario(TENANT, session.id, first)
    repo.create_scenario(TENANT, session.id, second)
    assert repo.get_dataset(TENANT, session.id, "data").refs == 2
    with pytest.raises(Conflict):
        repo.delete_dataset(TENANT, session.id, "data")
    with pytest.raises(Conflict):
        repo.put_dataset(TENANT, session.id, dataset(), overwrite=True)
    with pytest.raises(Conflict):
        repo.put_dataset(TENANT, session.id, dataset(), overwrite=False)
    with pytest.raises(NotFound):
        repo.create_scenario(TENANT, session.id, scenario("c", data="missing"))
    repo.delete_scenario(TENANT, session.id, first)
    repo.delete_scenario(TENANT, session.id, second)
    with pytest.raises(NotFound):
        repo.delete_scenario(TENANT, session.id, second)
    assert repo.get_dataset(TENANT, session.id, "data").refs == 0
    previous = repo.put_dataset(TENANT, session.id, dataset(), overwrite=True)
    assert previous is not None and previous.object_key == "obj/data"
    assert repo.delete_dataset(TENANT, session.id, "data").key == "data"
    with pytest.raises(NotFound):
        repo.delete_dataset(TENANT, session.id, "data")


def test_creates_racing_a_dataset_delete_never_leave_a_dangling_reference(repo, session):
    def act(index):
        if index == 0:
            return repo.delete_dataset(TENANT, session.id, "data")
        return repo.create_scenario(TENANT, session.id, scenario(f"r{index}"))

    outcomes = race(6, act)
    record = repo.get_dataset(TENANT, session.id, "data")
    created = sum(o is None for o in outcomes[1:])
    if isinstance(outcomes[0], DatasetRecord):
        assert record is None and created == 0
    else:
        assert record is not None and record.refs == created == len(repo.list_scenarios(TENANT, session.id))


def test_only_one_of_concurrent_transitions_wins(repo, session):
    item = scenario()
    repo.create_scenario(TENANT, session.id, item)
    outcomes = race(
        8, lambda i: repo.transition(TENANT, session.id, item.id, Status.QUEUED, set_fields={"run_id": f"run-{i}"})
    )
    winners = [o for o in outcomes if isinstance(o, Scenario)]
    assert len(winners) == 1 and all(isinstance(o, InvalidTransition) for o in outcomes if o not in winners)
    run_id = winners[0].run_id
    with pytest.raises(InvalidTransition, match="another run"):
        repo.transition(TENANT, session.id, item.id, Status.PROCESSING, run_id="stale")
    with pytest.raises(InvalidTransition, match="reset"):
        repo.transition(TENANT, session.id, item.id, Status.QUEUED)
    repo.transition(TENANT, session.id, item.id, Status.PROCESSING, run_id=run_id)
    repo.update_progress(TENANT, session.id, item.id, run_id, 0.5)
    assert repo.get_status(TENANT, session.id, item.id).progress == 0.5
    with pytest.raises(InvalidTransition):
        repo.update_progress(TENANT, session.id, item.id, "stale", 0.7)
    done = repo.transition(
        TENANT,
        session.id,
        item.id,
        Status.COMPLETE,
        run_id=run_id,
        set_fields={"result": {"x": [1, 2]}, "kpi_values": {"k": 1.5}, "progress": 1.0},
    )
    assert done.result == {"x": [1, 2]} and done.kpi_values == {"k": 1.5}
    reset = repo.transition(
        TENANT,
        session.id,
        item.id,
        Status.CREATED,
        set_fields={"progress": 0.0},
        remove_fields=("result", "kpi_values", "run_id"),
    )
    assert reset.result is None and reset.run_id is None and reset.status == Status.CREATED
    with pytest.raises(NotFound):
        repo.transition(TENANT, session.id, "missing", Status.QUEUED)
    with pytest.raises(NotFound):
        repo.update_progress(TENANT, session.id, "missing", run_id, 0.1)


def ingest_job(job_id: str | None = None) -> IngestJob:
    return IngestJob(job_id or uuid.uuid4().hex, JobKind.ETL, [uuid.uuid4().hex], dataset_name="big")


def test_an_ingestion_job_follows_the_one_job_lifecycle(repo, session):
    job = ingest_job()
    repo.create_job(TENANT, session.id, job)
    with pytest.raises(Conflict):
        repo.create_job(TENANT, session.id, job)
    with pytest.raises(NotFound):
        repo.create_job(TENANT, "no-such-session", ingest_job())
    assert repo.get_job(TENANT, session.id, job.job_id) == job
    assert repo.get_job("tenant-b", session.id, job.job_id) is None  # scoped by tenant
    with pytest.raises(InvalidTransition, match="queued; it cannot become complete"):
        repo.transition_job(TENANT, session.id, job.job_id, Status.COMPLETE)
    started = repo.transition_job(TENANT, session.id, job.job_id, Status.PROCESSING, {"progress": 0.1})
    assert (started.status, started.progress) == (Status.PROCESSING, 0.1)
    taken_over = repo.transition_job(TENANT, session.id, job.job_id, Status.PROCESSING, {"progress": 0.5})
    assert taken_over.progress == 0.5
    result = {"dataset_name": "big", "success": True, "keys": ["big"], "messages": []}
    done = repo.transition_job(
        TENANT, session.id, job.job_id, Status.COMPLETE, {"result": result, "progress": 1.0, "finished_at": "t"}
    )
    assert (done.status, done.result, done.finished_at, done.upload_ids) == (
        Status.COMPLETE,
        result,
        "t",
        job.upload_ids,
    )
    assert repo.get_job(TENANT, session.id, job.job_id) == done
    for target in (Status.PROCESSING, Status.FAILED, Status.CREATED):
        with pytest.raises(InvalidTransition):
            repo.transition_job(TENANT, session.id, job.job_id, target)
    with pytest.raises(ValueError, match="not changeable"):
        repo.transition_job(TENANT, session.id, job.job_id, Status.FAILED, {"upload_ids": []})
    with pytest.raises(NotFound):
        repo.transition_job(TENANT, session.id, "0" * 32, Status.PROCESSING)


def test_only_one_of_concurrent_job_endings_wins(repo, session):
    job = ingest_job()
    repo.create_job(TENANT, session.id, job)
    repo.transition_job(TENANT, session.id, job.job_id, Status.PROCESSING)
    outcomes = race(
        8,
        lambda i: repo.transition_job(
            TENANT, session.id, job.job_id, Status.COMPLETE if i % 2 else Status.FAILED, {"detail": f"writer {i}"}
        ),
    )
    winners = [o for o in outcomes if isinstance(o, IngestJob)]
    assert len(winners) == 1 and all(isinstance(o, InvalidTransition) for o in outcomes if o not in winners)
    assert repo.get_job(TENANT, session.id, job.job_id) == winners[0]


def test_jobs_stay_with_their_session_and_go_with_it(repo, session):
    job = ingest_job()
    repo.create_job(TENANT, session.id, job)
    target = SessionRecord(str(uuid.uuid4()), "copy")
    repo.copy_session_contents(TENANT, session.id, target.id, lambda key: f"copied/{key}")
    repo.create_session(TENANT, target)
    assert repo.get_job(TENANT, target.id, job.job_id) is None  # a job belongs to the session that ran it
    repo.delete_session(TENANT, session)
    repo.purge_session(TENANT, session.id)
    assert repo.get_job(TENANT, session.id, job.job_id) is None


def test_the_processing_marker(repo, session):
    assert repo.processing_scenario_id(TENANT, session.id) is None
    repo.set_processing(TENANT, session.id, "scenario-1", "run-1")
    assert repo.processing_scenario_id(TENANT, session.id) == "scenario-1"
    repo.clear_processing(TENANT, session.id, "run-other")  # another run's clear changes nothing
    assert repo.processing_scenario_id(TENANT, session.id) == "scenario-1"
    repo.clear_processing(TENANT, session.id, "run-1")
    assert repo.processing_scenario_id(TENANT, session.id) is None
    with pytest.raises(NotFound):
        repo.set_processing(TENANT, "no-such-session", "s", "r")


def test_copy_session_contents_resets_in_flight_scenarios(repo, session):
    running = scenario("running")
    repo.create_scenario(TENANT, session.id, running)
    repo.transition(TENANT, session.id, running.id, Status.QUEUED, set_fields={"run_id": "r"})
    target = SessionRecord(str(uuid.uuid4()), "copy")
    repo.copy_session_contents(TENANT, session.id, target.id, lambda key: f"copied/{key}")
    repo.create_session(TENANT, target)
    [copied] = repo.list_scenarios(TENANT, target.id)
    assert copied.status == Status.CREATED and copied.run_id is None and copied.id == running.id
    assert repo.get_dataset(TENANT, target.id, "data").object_key == "copied/obj/data"
    assert [s.id for _, _, s in repo.in_flight_runs()] == [running.id]


def test_state_survives_reopening(repo, session, reopen):
    repo.create_scenario(TENANT, session.id, scenario("kept"))
    again, _backend = reopen()
    assert [s.tag for s in again.list_scenarios(TENANT, session.id)] == ["kept"]
    assert again.get_dataset(TENANT, session.id, "data").refs == 1


# -- blobs ------------------------------------------------------------------------------------
def test_blob_store_put_get_copy_delete(adapters):
    blobs = adapters.blobs
    blobs.put("tenants/t/sessions/s/a.json", b'{"a": 1}', "application/json")
    blobs.put("tenants/t/sessions/s/results/x/r.json", b"[]", "application/json")
    blobs.copy("tenants/t/sessions/s/a.json", "tenants/t/sessions/c/a.json")
    assert blobs.get("tenants/t/sessions/c/a.json") == b'{"a": 1}'
    blobs.delete_prefix("tenants/t/sessions/s/")
    blobs.delete(["tenants/t/sessions/c/missing.json"])  # deleting nothing is fine
    with pytest.raises(Exception):  # noqa: B017 - NoSuchKey (S3) / KeyError (files)
        blobs.get("tenants/t/sessions/s/a.json")
    assert blobs.get("tenants/t/sessions/c/a.json") == b'{"a": 1}'
    assert "a.json" in blobs.presigned_get_url("tenants/t/sessions/c/a.json")


# -- the queue -----------------------------------------------------------------------------------
def send(backend, group, body, dedup=None):
    backend.send_raw(json.dumps(body), group, dedup or str(uuid.uuid4()))


def bodies(messages):
    return [json.loads(m.body) for m in messages]


def test_a_group_hands_out_one_message_at_a_time_in_order(backend):
    for n in range(3):
        send(backend, "g1", {"n": n})
    send(backend, "g2", {"n": 10})
    [head] = backend.runs.receive(1, 30)
    assert bodies([head]) == [{"n": 0}]
    assert bodies(backend.runs.receive(1, 30)) == [{"n": 10}]  # g1 is blocked while n=0 is in flight
    assert backend.runs.receive(1, 30) == []
    backend.runs.delete([head.receipt])
    assert bodies(backend.runs.receive(1, 30)) == [{"n": 1}]


def test_deduplication_accepts_the_same_id_once(backend):
    send(backend, "g", {"n": 1}, dedup="same")
    send(backend, "g", {"n": 2}, dedup="same")
    assert bodies(backend.runs.receive(10, 30)) == [{"n": 1}]
    assert backend.queue_counts() == (0, 1)


def test_visibility_timeout_redelivers_with_a_growing_receive_count(backend):
    send(backend, "g", {"n": 1})
    [first] = backend.runs.receive(1, 30)
    assert first.receive_count == 1
    backend.runs.change_visibility(first.receipt, 0)  # as if its timeout ran out
    [second] = backend.runs.receive(1, 30)
    assert second.message_id == first.message_id and second.receive_count == 2
    backend.runs.delete([second.receipt])
    assert backend.queue_counts() == (0, 0)


def test_a_message_received_too_often_moves_to_the_dead_letter_queue_in_order(backend):
    send(backend, "g", {"n": 1})
    send(backend, "g", {"n": 2})
    for attempt in range(1, 6):  # maxReceiveCount 5, as in the template
        [message] = backend.runs.receive(1, 0)
        assert json.loads(message.body) == {"n": 1} and message.receive_count == attempt
    [next_one] = backend.runs.receive(1, 30)  # the sixth receive redrives n=1; n=2 comes next
    assert json.loads(next_one.body) == {"n": 2}
    [dead] = backend.dead_letters.receive(1, 30)
    assert json.loads(dead.body) == {"n": 1}


def test_messages_and_their_order_survive_a_restart(backend, reopen):
    for n in range(4):
        send(backend, "g", {"n": n})
    [in_flight] = backend.runs.receive(1, 30)
    _repo, again = reopen()
    if again.name == "embedded":  # a new stack's start hands out what the old one held
        again.runs.release_in_flight()
    else:
        again.runs.change_visibility(in_flight.receipt, 0)
    order = []
    while messages := again.runs.receive(1, 30):
        order += bodies(messages)
        again.runs.delete([m.receipt for m in messages])
    assert order == [{"n": n} for n in range(4)]


def test_concurrent_renames_of_one_session_have_one_winner_and_conflicts(repo, session):
    outcomes = race(6, lambda i: repo.rename_session(TENANT, session, f"name-{i}"))
    winners = [o for o in outcomes if isinstance(o, SessionRecord)]
    assert len(winners) == 1 and all(isinstance(o, Conflict) for o in outcomes if o not in winners), outcomes
    assert repo.find_session(TENANT, session.id).display_name == winners[0].display_name
    assert repo.find_session(TENANT, "first") is None


def test_local_presigned_urls_are_signed_and_expire(tmp_path):
    from algocloud.adapters.embedded.blobs import FileBlobStore

    blobs = FileBlobStore(tmp_path / "blobs", "http://127.0.0.1:1", tmp_path / "key")
    blobs.put("tenants/t/a.json", b"{}", "application/json")
    url = blobs.presigned_get_url("tenants/t/a.json", expires_seconds=60)
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    assert blobs.verify("tenants/t/a.json", int(query["expires"]), query["signature"])
    assert not blobs.verify("tenants/t/b.json", int(query["expires"]), query["signature"])  # another object
    assert not blobs.verify("tenants/t/a.json", int(query["expires"]) + 1, query["signature"])  # tampered
    expired = blobs.presigned_get_url("tenants/t/a.json", expires_seconds=-1)
    query = dict(part.split("=") for part in expired.split("?")[1].split("&"))
    assert not blobs.verify("tenants/t/a.json", int(query["expires"]), query["signature"])
    other_key = FileBlobStore(tmp_path / "blobs", "http://127.0.0.1:1", tmp_path / "other-key")
    assert not other_key.verify("tenants/t/a.json", int(query["expires"]) + 120, query["signature"])
    for bad in ("../x", "/etc/passwd", "a//b", "a/./b"):
        with pytest.raises(ValueError):
            blobs.path(bad)


def test_blob_sizes_and_multipart_uploads(adapters):
    blobs = adapters.blobs
    key = "uploads/t/s/u/file"
    assert blobs.size(key) is None
    with pytest.raises(KeyError):
        blobs.get(key)
    upload_id = blobs.start_multipart(key, "text/csv")
    assert blobs.presigned_part_url(key, upload_id, 1, 5 * 1024 * 1024, 60)
    blobs.abort_multipart(key, upload_id)
    with pytest.raises(KeyError):
        blobs.complete_multipart(key, upload_id, ['"x"'])
    blobs.abort_multipart(key, upload_id)  # twice is fine
    blobs.put(key, b"12345", "text/csv")
    assert blobs.size(key) == 5
    post = blobs.presigned_post("uploads/t/s/v/file", 10, "text/csv", 60)
    assert post.url and post.fields


def test_local_multipart_parts_are_checked_and_joined(tmp_path):
    from algocloud.adapters.embedded.blobs import FileBlobStore, TooLarge

    blobs = FileBlobStore(tmp_path / "blobs", "http://127.0.0.1:1", tmp_path / "key")
    key = "tenants/t/sessions/s/uploads/a/file"
    upload_id = blobs.start_multipart(key, "text/csv")
    first = blobs.write_part(key, upload_id, 1, [b"hello "])
    second = blobs.write_part(key, upload_id, 2, [b"world"])
    with pytest.raises(KeyError):
        blobs.write_part("tenants/t/sessions/s/uploads/other/file", upload_id, 3, [b"x"])  # another object's
    with pytest.raises(ValueError, match="does not match"):
        blobs.complete_multipart(key, upload_id, [second, first])
    with pytest.raises(ValueError, match="not uploaded"):
        blobs.complete_multipart(key, upload_id, [first, second, first])
    blobs.complete_multipart(key, upload_id, [first, second])
    assert blobs.get(key) == b"hello world"
    assert not (tmp_path / "multipart" / upload_id).exists()
    blobs.start_multipart("tenants/t/sessions/s/uploads/c/file", "text/csv")  # never completed
    post = blobs.presigned_post("uploads/b/file", 4, "text/csv", 60)
    fields = post.fields
    assert blobs.verify_post(fields["key"], 4, int(fields["expires"]), fields["signature"])
    assert not blobs.verify_post(fields["key"], 5, int(fields["expires"]), fields["signature"])  # bigger: refused
    with pytest.raises(TooLarge):
        blobs.write_upload("uploads/b/file", __import__("io").BytesIO(b"12345"), 4)
    assert blobs.size("uploads/b/file") is None  # nothing half-written
    blobs.put("tenants/t/sessions/s/datasets/d.json", b"{}", "application/json")
    assert blobs.expire_uploads(older_than_seconds=3600) == 0  # nothing is a day old yet
    assert blobs.expire_uploads(older_than_seconds=-1) == 2  # everything is older than the future
    assert blobs.size(key) is None and blobs.size("tenants/t/sessions/s/datasets/d.json") == 2

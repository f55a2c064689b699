"""The job store's contract, on both backends: the one job lifecycle, one winner of concurrent
endings, and jobs that stay with their session."""

from __future__ import annotations

import uuid

import pytest

from algocloud.domain.errors import Conflict, InvalidTransition, NotFound
from algocloud.domain.jobs import IngestJob, JobKind
from algocloud.domain.scenario import Status
from algocloud.domain.stores import SessionRecord

from .records import TENANT, race


def ingest_job(job_id: str | None = None) -> IngestJob:
    return IngestJob(job_id or uuid.uuid4().hex, JobKind.ETL, [uuid.uuid4().hex], dataset_name="big")


def test_an_ingestion_job_follows_the_one_job_lifecycle(stores, session):
    job = ingest_job()
    stores.jobs.create_job(TENANT, session.id, job)
    with pytest.raises(Conflict):
        stores.jobs.create_job(TENANT, session.id, job)
    with pytest.raises(NotFound):
        stores.jobs.create_job(TENANT, "no-such-session", ingest_job())
    assert stores.jobs.get_job(TENANT, session.id, job.job_id) == job
    assert stores.jobs.get_job("tenant-b", session.id, job.job_id) is None  # scoped by tenant
    with pytest.raises(InvalidTransition, match="queued; it cannot become complete"):
        stores.jobs.transition_job(TENANT, session.id, job.job_id, Status.COMPLETE)
    started = stores.jobs.transition_job(TENANT, session.id, job.job_id, Status.PROCESSING, {"progress": 0.1})
    assert (started.status, started.progress) == (Status.PROCESSING, 0.1)
    taken_over = stores.jobs.transition_job(TENANT, session.id, job.job_id, Status.PROCESSING, {"progress": 0.5})
    assert taken_over.progress == 0.5
    result = {"dataset_name": "big", "success": True, "keys": ["big"], "messages": []}
    done = stores.jobs.transition_job(
        TENANT, session.id, job.job_id, Status.COMPLETE, {"result": result, "progress": 1.0, "finished_at": "t"}
    )
    assert (done.status, done.result, done.finished_at, done.upload_ids) == (
        Status.COMPLETE,
        result,
        "t",
        job.upload_ids,
    )
    assert stores.jobs.get_job(TENANT, session.id, job.job_id) == done
    for target in (Status.PROCESSING, Status.FAILED, Status.CREATED):
        with pytest.raises(InvalidTransition):
            stores.jobs.transition_job(TENANT, session.id, job.job_id, target)
    with pytest.raises(ValueError, match="not changeable"):
        stores.jobs.transition_job(TENANT, session.id, job.job_id, Status.FAILED, {"upload_ids": []})
    with pytest.raises(NotFound):
        stores.jobs.transition_job(TENANT, session.id, "0" * 32, Status.PROCESSING)


def test_only_one_of_concurrent_job_endings_wins(stores, session):
    job = ingest_job()
    stores.jobs.create_job(TENANT, session.id, job)
    stores.jobs.transition_job(TENANT, session.id, job.job_id, Status.PROCESSING)
    outcomes = race(
        8,
        lambda i: stores.jobs.transition_job(
            TENANT, session.id, job.job_id, Status.COMPLETE if i % 2 else Status.FAILED, {"detail": f"writer {i}"}
        ),
    )
    winners = [o for o in outcomes if isinstance(o, IngestJob)]
    assert len(winners) == 1 and all(isinstance(o, InvalidTransition) for o in outcomes if o not in winners)
    assert stores.jobs.get_job(TENANT, session.id, job.job_id) == winners[0]


def test_jobs_stay_with_their_session_and_go_with_it(stores, session):
    job = ingest_job()
    stores.jobs.create_job(TENANT, session.id, job)
    target = SessionRecord(str(uuid.uuid4()), "copy")
    stores.sessions.copy_session_contents(TENANT, session.id, target.id, lambda key: f"copied/{key}")
    stores.sessions.create_session(TENANT, target)
    assert stores.jobs.get_job(TENANT, target.id, job.job_id) is None  # a job belongs to the session that ran it
    stores.sessions.delete_session(TENANT, session)
    stores.sessions.purge_session(TENANT, session.id)
    assert stores.jobs.get_job(TENANT, session.id, job.job_id) is None

"""Ingestion jobs: the handler of IngestMessage (uploads too large to ingest within a request).

queued -> processing -> complete | failed, each step a conditional write (domain.jobs), so a
redelivered message of a finished job does nothing and one cut off mid-way is taken over.
The job reads its uploads and writes its dataset through the same use cases as a request
that ingests them at once (usecases.ingestion and usecases.datasets).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..domain.config import AppConfig
from ..domain.errors import DomainError, InvalidTransition, NotFound
from ..domain.jobs import JobKind, Status, now_iso
from ..domain.ports import Accounts, BlobStore, Repository
from ..run_message import IngestMessage
from ..usecases.datasets import Datasets
from ..usecases.ingestion import Uploads, outcome_record
from ..usecases.scope import TenantScope
from .executor import Outcome

logger = logging.getLogger(__name__)


@dataclass
class IngestJobs:
    config: AppConfig
    repo: Repository
    blobs: BlobStore
    accounts: Accounts

    def handle(self, message: IngestMessage) -> Outcome:
        """Run a queued job once (a redelivered message of a finished job does nothing)."""
        tenant, session_id, job_id = message.tenant, message.session_id, message.job_id
        try:
            job = self.repo.transition_job(tenant, session_id, job_id, Status.PROCESSING, {"progress": 0.1})
        except NotFound:  # the session was deleted, and its uploads and jobs with it
            return Outcome.GONE
        except InvalidTransition:  # complete or failed already
            return Outcome.STALE
        scope = TenantScope(self.config, self.repo, self.blobs, self.accounts, tenant)
        uploads = Uploads(scope)
        fields: dict[str, Any] = {}
        try:
            received = uploads.received(session_id, job.upload_ids)
            files = uploads.read(session_id, received)
            self.repo.transition_job(tenant, session_id, job_id, Status.PROCESSING, {"progress": 0.5})
            datasets, event_id = Datasets(scope), f"ingest:{job_id}"
            if job.kind == JobKind.ETL:
                assert job.dataset_name is not None
                outcome = datasets.etl(session_id, job.dataset_name, files, event_id=event_id)
                status = Status.COMPLETE if outcome.success else Status.FAILED
                fields["result"] = outcome_record(outcome)
            else:
                fields["result"] = outcome_record(datasets.import_json(session_id, files[0].content, event_id))
                status = Status.COMPLETE
            uploads.discard(session_id, received)
        except DomainError as exc:  # the data (or the session) is at fault: retrying cannot help
            status, fields["detail"] = Status.FAILED, str(exc)
        try:
            self.repo.transition_job(
                tenant, session_id, job_id, status, fields | {"progress": 1.0, "finished_at": now_iso()}
            )
        except (NotFound, InvalidTransition):  # the session went meanwhile
            return Outcome.GONE
        return Outcome(str(status))

    def give_up(self, message: IngestMessage, receive_count: int | None) -> Outcome:
        """A job whose message died in the dead-letter queue ends failed, never stuck."""
        try:
            self.repo.transition_job(
                message.tenant,
                message.session_id,
                message.job_id,
                Status.FAILED,
                {
                    "finished_at": now_iso(),
                    "detail": "the ingestion could not be completed (the worker gave up after repeated failures)",
                },
            )
        except NotFound:
            return Outcome.GONE
        except InvalidTransition:
            return Outcome.STALE
        return Outcome.FAILED

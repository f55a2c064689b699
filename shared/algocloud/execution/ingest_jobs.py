"""Ingestion jobs: the handler of IngestMessage (uploads too large to ingest within a request).

queued -> processing -> complete | failed, each step a conditional write (domain.jobs), so a
redelivered message of a finished job does nothing and one cut off mid-way is taken over.
The job reads its uploads and writes its dataset through the same use cases as a request
that ingests them at once (usecases.ingestion and usecases.datasets). A job whose files need
more memory than the receiving worker has goes to the container tier (execution.container).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from ..domain.config import AppConfig
from ..domain.errors import DomainError, InvalidTransition, NotFound
from ..domain.identity import Principal
from ..domain.jobs import IN_FLIGHT, Executor, IngestJob, JobKind, Status, now_iso
from ..domain.ports import Accounts, BlobStore
from ..domain.stores import Stores
from ..run_message import IngestMessage
from ..usecases.datasets import Datasets
from ..usecases.ingestion import Uploads, outcome_record
from ..usecases.scope import TenantScope
from .container import ContainerTier
from .executor import Delivery, Outcome

logger = logging.getLogger(__name__)


def estimated_peak_mb(file_bytes: int) -> float:
    """The worker's peak memory to ingest files of this many bytes (bench/ingest_bench.py)."""
    return limits.INGEST_BASE_MB + limits.INGEST_MEMORY_PER_FILE_BYTE * file_bytes / (1024 * 1024)


def estimated_seconds(file_bytes: int) -> float:
    """How long ingesting files of this many bytes may take here, on the safe side."""
    return limits.INGEST_BASE_SECONDS + limits.INGEST_SECONDS_PER_MB * file_bytes / (1024 * 1024)


@dataclass
class IngestJobs:
    config: AppConfig
    stores: Stores
    blobs: BlobStore
    accounts: Accounts
    tier: ContainerTier = field(default_factory=ContainerTier)

    def handle(self, message: IngestMessage, delivery: Delivery | None = None) -> Outcome:
        """Run a queued job once (a redelivered message of a finished job does nothing)."""
        delivery = delivery or Delivery()
        tenant, session_id, job_id = message.tenant, message.session_id, message.job_id
        job = self.stores.jobs.get_job(tenant, session_id, job_id)
        if job is None:  # the session was deleted, and its uploads and jobs with it
            return Outcome.GONE
        if job.status not in IN_FLIGHT:
            return Outcome.STALE
        scope = TenantScope(self.config, self.stores, self.blobs, self.accounts, Principal.system(tenant))
        uploads = Uploads(scope)
        if not self.tier.is_here:
            if job.status == Status.PROCESSING and job.executor == Executor.CONTAINER and job.task_id is None:
                return self._hand_over(message, delivery, "its launch failed")  # again
            if job.status == Status.PROCESSING and job.executor == Executor.CONTAINER:
                held = {"receipt": delivery.receipt}
                return self._move(message, Status.PROCESSING, held, Outcome.HANDED_OVER) or Outcome.STALE
            file_bytes = self._file_bytes(uploads, session_id, job)
            if file_bytes is not None:
                why = self._too_much_for_here(job, delivery, file_bytes)
                if why is not None:
                    return self._hand_over(message, delivery, why)
        outcome = self._move(message, Status.PROCESSING, {"progress": 0.1, "executor": self.tier.executor})
        if outcome is not None:
            return outcome
        try:
            return self._run(message, scope, uploads, job)
        finally:
            if self.tier.is_here:
                current = self.stores.jobs.get_job(tenant, session_id, job_id)
                self.tier.release(None if current is None else current.receipt)

    def _run(self, message: IngestMessage, scope: TenantScope, uploads: Uploads, job: IngestJob) -> Outcome:
        session_id, job_id = message.session_id, message.job_id
        fields: dict[str, Any] = {}
        try:
            received = uploads.received(session_id, job.upload_ids)
            files = uploads.read(session_id, received)
            self.stores.jobs.transition_job(message.tenant, session_id, job_id, Status.PROCESSING, {"progress": 0.5})
            datasets, event_id = Datasets(scope, pages_now=True), f"ingest:{job_id}"
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
        ended = fields | {"progress": 1.0, "finished_at": now_iso()}
        return self._move(message, status, ended, Outcome(str(status))) or Outcome.GONE

    def _file_bytes(self, uploads: Uploads, session_id: str, job: IngestJob) -> int | None:
        try:
            return sum(size for _, size in uploads.received(session_id, job.upload_ids))
        except DomainError:
            return None  # the run reports what is wrong with the uploads

    @staticmethod
    def _too_much_for_here(job: IngestJob, delivery: Delivery, file_bytes: int) -> str | None:
        """Why this invocation cannot ingest the files (None: it can), as runs hand over at their
        deadline: more memory than it has, more time than it has left, or an attempt here was cut
        off before (killed at the time or memory limit: another would be too)."""
        needed_mb = estimated_peak_mb(file_bytes)
        if delivery.memory_mb is not None and needed_mb > delivery.memory_mb:
            return (
                f"the files need about {needed_mb:,.0f} MB to ingest, more than the worker's {delivery.memory_mb:,} MB"
            )
        left = delivery.seconds_left(time.monotonic())
        needed_s = estimated_seconds(file_bytes)
        if left is not None and needed_s > left - delivery.margin:
            return f"the files take about {needed_s:,.0f} s to ingest, more than the worker's {left:,.0f} s left"
        if job.status == Status.PROCESSING and job.executor != Executor.CONTAINER and delivery.time_limit:
            return "an attempt on the worker was cut off before the end (its time or memory limit)"
        return None

    def _hand_over(self, message: IngestMessage, delivery: Delivery, why: str) -> Outcome:
        if self.tier.launcher is None:
            detail = f"{why}, and this deployment has no container tier to ingest them"
            ended = {"detail": detail, "progress": 1.0, "finished_at": now_iso()}
            return self._move(message, Status.FAILED, ended, Outcome.FAILED) or Outcome.GONE
        moved = self._move(
            message, Status.PROCESSING, {"executor": Executor.CONTAINER, "receipt": delivery.receipt}, None
        )
        if moved is not None:
            return moved
        task_id = self.tier.launcher.launch(message)
        if self._move(message, Status.PROCESSING, {"task_id": task_id}, None) is not None:
            self.tier.launcher.stop(task_id, "the job ended before its task started")
            return Outcome.STALE  # not held: the message goes
        logger.info("ingestion %s handed to the container tier (%s): %s", message.job_id, why, task_id)
        return Outcome.HANDED_OVER

    def _move(
        self, message: IngestMessage, target: Status, fields: dict[str, Any], success: Outcome | None = None
    ) -> Outcome | None:
        """Transition the job; `success` when it moved, GONE / STALE when it could not."""
        try:
            self.stores.jobs.transition_job(message.tenant, message.session_id, message.job_id, target, fields)
        except NotFound:
            return Outcome.GONE
        except InvalidTransition:
            return Outcome.STALE
        return success

    def held(self, message: IngestMessage) -> tuple[str | None, bool]:
        job = self.stores.jobs.get_job(message.tenant, message.session_id, message.job_id)
        return (None, False) if job is None else (job.receipt, job.status in IN_FLIGHT)

    def task_stopped(self, message: IngestMessage, task_id: str, error: str) -> bool:
        job = self.stores.jobs.get_job(message.tenant, message.session_id, message.job_id)
        if job is None or job.executor != Executor.CONTAINER or job.task_id not in (task_id, None):
            return False
        ended = {"detail": error, "finished_at": now_iso(), "progress": 1.0}
        if self._move(message, Status.FAILED, ended) is not None:
            return False  # it ended, or moved on, meanwhile
        self.tier.release(job.receipt)
        logger.warning("%s failed: %s", message.log_id, error)
        return True

    def give_up(self, message: IngestMessage, receive_count: int | None) -> Outcome:
        """A job whose message died in the dead-letter queue ends failed, never stuck."""
        detail = "the ingestion could not be completed (the worker gave up after repeated failures)"
        ended = {"finished_at": now_iso(), "detail": detail}
        return self._move(message, Status.FAILED, ended, Outcome.FAILED) or Outcome.GONE

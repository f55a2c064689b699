"""Datasets of any size: clients upload files straight to storage, then ingest them.

1. `Uploads.create` hands out a presigned form POST (the declared size is the policy's
   maximum) or, past limits.MULTIPART_THRESHOLD, a multipart upload with one presigned PUT
   per part, joined by `Uploads.complete`.
2. ETL and from-json name uploads instead of carrying the files. Up to
   limits.SYNC_INGEST_BYTES the request ingests them and answers as the reference does;
   beyond, it answers an ingestion job (domain.jobs.IngestJob, kept by the job store),
   which the worker runs (an IngestMessage on the run queue: execution.ingest_jobs).

A job's dataset appears only when it succeeds: the dataset is written by the same code as a
synchronous ETL, after the files were read and validated, so a failed job leaves the
previous dataset of that key untouched. Uploads live under the session's prefix (deleting
the session deletes them), marked for the bucket's lifecycle rule that removes uploads
never used after a day (locally: the stack at start).
"""

from __future__ import annotations

import math
import mimetypes
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from .. import limits
from .. import storage_layout as layout
from ..domain.errors import Conflict, DataFormatError, NotFound, ServiceUnavailable
from ..domain.etl import UploadedFile, unsupported_file_message
from ..domain.jobs import IngestJob, JobKind, Status, now_iso
from ..domain.names import clean_name, is_issued_id
from ..domain.ports import RunQueue
from ..run_message import IngestMessage
from .datasets import Datasets, EtlOutcome
from .scope import TenantScope


def content_type(filename: str) -> str:
    return mimetypes.guess_type(filename, strict=False)[0] or "application/octet-stream"


@dataclass
class Upload:
    """What the API promised for one upload (stored beside the uploaded object)."""

    upload_id: str
    filename: str
    size: int
    multipart_id: str | None
    created_at: str


@dataclass(frozen=True)
class UploadTarget:
    """Where to send a file: a form POST (`url`, `fields`) or PUTs of parts (`parts`)."""

    upload_id: str
    filename: str
    size: int
    expires_at: str
    method: str  # "POST" | "PUT"
    url: str | None = None
    fields: dict[str, str] | None = None
    part_size: int | None = None
    parts: list[tuple[int, str]] | None = None  # (part number, URL)


@dataclass(frozen=True)
class UploadStatus:
    upload_id: str
    filename: str
    size: int
    received: bool
    received_bytes: int | None


class Uploads:
    """Uploads of one tenant: created, completed, checked, read and removed."""

    def __init__(self, scope: TenantScope):
        self.scope = scope
        self.blobs, self.tenant = scope.blobs, scope.tenant

    def _upload(self, session_id: str, upload_id: str) -> Upload:
        if not is_issued_id(upload_id):
            raise NotFound(f"upload '{upload_id[:64]}' not found")
        try:
            return Upload(
                **orjson.loads(self.blobs.get(layout.upload_manifest_key(self.tenant, session_id, upload_id)))
            )
        except KeyError:
            raise NotFound(f"upload '{upload_id}' not found") from None

    def _file_key(self, session_id: str, upload: Upload) -> str:
        return layout.upload_file_key(self.tenant, session_id, upload.upload_id)

    def create(self, sid: str, filename: str, size: int) -> UploadTarget:
        session = self.scope.session(sid)
        filename = clean_name(filename, "filename", "filename")
        unsupported = unsupported_file_message([filename])
        if unsupported:
            raise DataFormatError(unsupported)
        upload_id = uuid.uuid4().hex
        key = layout.upload_file_key(self.tenant, session.id, upload_id)
        seconds = limits.UPLOAD_URL_SECONDS
        expires_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))
        multipart_id = None
        if size <= limits.MULTIPART_THRESHOLD:
            post = self.blobs.uploads.presigned_post(key, size, content_type(filename), seconds)
            target = UploadTarget(upload_id, filename, size, expires_at, "POST", url=post.url, fields=post.fields)
        else:
            multipart_id = self.blobs.uploads.start_multipart(key, content_type(filename))
            part_bytes = limits.PART_BYTES
            parts = [
                (number, self.blobs.uploads.presigned_part_url(key, multipart_id, number, part_bytes, seconds))
                for number in range(1, math.ceil(size / part_bytes) + 1)
            ]
            target = UploadTarget(upload_id, filename, size, expires_at, "PUT", part_size=part_bytes, parts=parts)
        manifest = Upload(upload_id, filename, size, multipart_id, now_iso())
        self.blobs.put(
            layout.upload_manifest_key(self.tenant, session.id, upload_id),
            orjson.dumps(asdict(manifest)),
            "application/json",
        )
        return target

    def complete(self, sid: str, upload_id: str, etags: list[str]) -> UploadStatus:
        session = self.scope.session(sid)
        upload = self._upload(session.id, upload_id)
        if upload.multipart_id is None:
            raise Conflict("this upload is a single form POST: there is nothing to complete")
        key = self._file_key(session.id, upload)
        if self.blobs.size(key) is None:
            try:
                self.blobs.uploads.complete_multipart(key, upload.multipart_id, etags)
            except KeyError:
                raise Conflict("the multipart upload was aborted or has expired; start a new upload") from None
            except ValueError as exc:
                raise DataFormatError(f"the parts do not make the upload: {exc}") from None
        return self._status(session.id, upload, check=True)

    def status(self, sid: str, upload_id: str) -> UploadStatus:
        session = self.scope.session(sid)
        return self._status(session.id, self._upload(session.id, upload_id))

    def _status(self, session_id: str, upload: Upload, check: bool = False) -> UploadStatus:
        received = self.blobs.size(self._file_key(session_id, upload))
        if check and received is not None and received > upload.size:
            self._remove(session_id, upload)
            raise DataFormatError(
                f"the upload is {received:,} bytes, more than the {upload.size:,} declared; it was discarded"
            )
        return UploadStatus(upload.upload_id, upload.filename, upload.size, received is not None, received)

    def abort(self, sid: str, upload_id: str) -> None:
        session = self.scope.session(sid)
        self._remove(session.id, self._upload(session.id, upload_id))

    def _remove(self, session_id: str, upload: Upload) -> None:
        if upload.multipart_id is not None:
            self.blobs.uploads.abort_multipart(self._file_key(session_id, upload), upload.multipart_id)
        self.blobs.delete_prefix(layout.upload_prefix(self.tenant, session_id, upload.upload_id))

    # -- what ingestion reads -----------------------------------------------------------------
    def received(self, session_id: str, upload_ids: list[str]) -> list[tuple[Upload, int]]:
        """The named uploads, each received and no larger than declared."""
        if not upload_ids or len(upload_ids) > limits.MAX_UPLOADS_PER_INGEST:
            raise DataFormatError(f"name 1 to {limits.MAX_UPLOADS_PER_INGEST} uploads")
        if len(set(upload_ids)) != len(upload_ids):
            raise DataFormatError("an upload is named twice")
        received = []
        for upload_id in upload_ids:
            upload = self._upload(session_id, upload_id)
            size = self._status(session_id, upload, check=True).received_bytes
            if size is None:
                raise Conflict(f"upload '{upload_id}' ({upload.filename}) has not been received yet")
            received.append((upload, size))
        return received

    def read(self, session_id: str, uploads: list[tuple[Upload, int]]) -> list[UploadedFile]:
        return [
            UploadedFile(upload.filename, self.blobs.get(self._file_key(session_id, upload))) for upload, _ in uploads
        ]

    def discard(self, session_id: str, uploads: list[tuple[Upload, int]]) -> None:
        """Uploads once ingested are removed (their dataset now holds the data)."""
        for upload, _ in uploads:
            self._remove(session_id, upload)


class Ingestion:
    """ETL and from-json of uploads: within the request, or as a job past SYNC_INGEST_BYTES."""

    def __init__(self, scope: TenantScope, queue: RunQueue):
        self.scope, self.queue = scope, queue
        self.uploads, self.datasets = Uploads(scope), Datasets(scope)

    def etl(self, sid: str, dataset_name: str, upload_ids: list[str]) -> EtlOutcome | IngestJob:
        """The ETL's outcome, or the job that will run it when the uploads are large."""
        session = self.scope.session(sid)
        dataset_name = clean_name(dataset_name, "dataset_name", "dataset_name")
        uploads = self.uploads.received(session.id, upload_ids)
        if sum(size for _, size in uploads) > limits.SYNC_INGEST_BYTES:
            return self._submit(session.id, IngestJob(uuid.uuid4().hex, JobKind.ETL, upload_ids, dataset_name))
        outcome = self.datasets.etl(session.id, dataset_name, self.uploads.read(session.id, uploads))
        self.uploads.discard(session.id, uploads)
        return outcome

    def import_json(self, sid: str, upload_id: str) -> list[str] | IngestJob:
        """The dataset keys after the import, or the job that will do it when the upload is large."""
        session = self.scope.session(sid)
        uploads = self.uploads.received(session.id, [upload_id])
        if uploads[0][1] > limits.SYNC_INGEST_BYTES:
            return self._submit(session.id, IngestJob(uuid.uuid4().hex, JobKind.FROM_JSON, [upload_id]))
        keys = self.datasets.import_json(session.id, self.uploads.read(session.id, uploads)[0].content)
        self.uploads.discard(session.id, uploads)
        return keys

    def job(self, sid: str, job_id: str) -> IngestJob:
        session = self.scope.session(sid)
        job = self.scope.stores.jobs.get_job(self.scope.tenant, session.id, job_id) if is_issued_id(job_id) else None
        if job is None:
            raise NotFound(f"job '{job_id[:64]}' not found")
        return job

    def _submit(self, session_id: str, job: IngestJob) -> IngestJob:
        stores, tenant = self.scope.stores, self.scope.tenant
        stores.jobs.create_job(tenant, session_id, job)
        try:
            self.queue.send(IngestMessage(tenant=tenant, session_id=session_id, job_id=job.job_id))
        except Exception as exc:
            # Never leave a queued job without a message: fail it visibly (the uploads stay usable).
            stores.jobs.transition_job(
                tenant,
                session_id,
                job.job_id,
                Status.FAILED,
                {"finished_at": now_iso(), "detail": "the ingestion could not be queued; send the request again"},
            )
            raise ServiceUnavailable("the queue is unavailable; try again shortly") from exc
        return job


def outcome_record(outcome: EtlOutcome | list[str]) -> dict[str, Any]:
    """An ingestion's outcome as the request answers it, and as its job keeps it (`result`)."""
    if isinstance(outcome, EtlOutcome):
        return {
            "dataset_name": outcome.dataset_name,
            "success": outcome.success,
            "keys": outcome.keys,
            "messages": [message.to_dict() for message in outcome.messages],
        }
    return {"keys": outcome}

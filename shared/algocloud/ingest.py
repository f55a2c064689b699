"""Datasets of any size: clients upload files straight to storage, then ingest them.

1. `create_upload` hands out a presigned form POST (the declared size is the
   policy's maximum) or, past MULTIPART_THRESHOLD, a multipart upload with one
   presigned PUT per part, completed by `complete_upload`.
2. ETL and from-json name uploads instead of carrying the files. Up to
   SYNC_INGEST_BYTES the request ingests them and answers as the reference
   does; beyond, it answers a job, which the worker runs (an IngestMessage on
   the run queue) and `job` reports on.

A job's dataset appears only when it succeeds: the dataset is written by the
same code as a synchronous ETL, after the files were read and validated, so a
failed job leaves the previous dataset of that key untouched. Uploads live
under the session's prefix (deleting the session deletes them), tagged for
the bucket's lifecycle rule that removes uploads never used after a day
(locally: the stack at start).
"""

from __future__ import annotations

import logging
import math
import mimetypes
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from .domain.errors import Conflict, DataFormatError, DomainError, NotFound
from .domain.etl import UploadedFile, unsupported_file_message
from .domain.names import clean_name, is_issued_id
from .domain.ports import BlobStore
from .domain.scenario import now_iso
from .run_message import IngestMessage
from .service import ScenarioService, ServiceUnavailable, session_prefix

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 1024 * 1024 * 1024  # 1 GiB per file
MULTIPART_THRESHOLD = 100 * 1000 * 1000  # larger files go up in parts
PART_BYTES = 16 * 1024 * 1024  # S3 takes parts of 5 MiB to 5 GiB, at most 10,000
URL_SECONDS = 3600
# Ingested within the request up to this many bytes of uploads (an 8.8 MB CSV of
# 100,000 rows takes about 0.3 s here: see bench/ingest_bench.py), as a job beyond.
SYNC_INGEST_BYTES = 16 * 1024 * 1024
MAX_UPLOADS_PER_INGEST = 100
UPLOAD_RETENTION_SECONDS = 24 * 3600  # never-used uploads go after a day (bucket lifecycle rule)


def upload_prefix(tenant: str, session_id: str, upload_id: str) -> str:
    """Under the session's prefix: deleting the session deletes its uploads."""
    return f"{session_prefix(tenant, session_id)}uploads/{upload_id}/"


def job_key(tenant: str, session_id: str, job_id: str) -> str:
    return f"{session_prefix(tenant, session_id)}jobs/{job_id}.json"


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

    def object_key(self, prefix: str) -> str:
        return f"{prefix}file"


@dataclass
class Job:
    job_id: str
    kind: str  # "etl" | "from-json"
    upload_ids: list[str]
    dataset_name: str | None = None
    status: str = "queued"  # queued -> processing -> complete | failed
    progress: float = 0.0
    result: dict[str, Any] | None = None  # the response the request would have given
    detail: str | None = None  # why it failed, when no result says it
    created_at: str = field(default_factory=now_iso)
    finished_at: str | None = None


class Ingestion:
    """The upload and ingestion use cases of one tenant (beside ScenarioService)."""

    def __init__(self, service: ScenarioService):
        self.service = service
        self.blobs: BlobStore = service.blobs
        self.tenant = service.tenant

    # -- uploads ----------------------------------------------------------------------------
    def _manifest_key(self, session_id: str, upload_id: str) -> str:
        return f"{upload_prefix(self.tenant, session_id, upload_id)}upload.json"

    def _upload(self, session_id: str, upload_id: str) -> Upload:
        if not is_issued_id(upload_id):
            raise NotFound(f"upload '{upload_id[:64]}' not found")
        try:
            return Upload(**orjson.loads(self.blobs.get(self._manifest_key(session_id, upload_id))))
        except KeyError:
            raise NotFound(f"upload '{upload_id}' not found") from None

    def _object_key(self, session_id: str, upload: Upload) -> str:
        return upload.object_key(upload_prefix(self.tenant, session_id, upload.upload_id))

    def create_upload(self, sid: str, filename: str, size: int) -> dict[str, Any]:
        session = self.service.session(sid)
        filename = clean_name(filename, "filename", "filename")
        unsupported = unsupported_file_message([filename])
        if unsupported:
            raise DataFormatError(unsupported)
        upload_id = uuid.uuid4().hex
        key = Upload(upload_id, filename, size, None, "").object_key(upload_prefix(self.tenant, session.id, upload_id))
        expires_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + URL_SECONDS))
        answer: dict[str, Any] = {"upload_id": upload_id, "filename": filename, "size": size, "expires_at": expires_at}
        multipart_id = None
        if size <= MULTIPART_THRESHOLD:
            post = self.blobs.presigned_post(key, size, content_type(filename), URL_SECONDS)
            answer |= {"method": "POST", "url": post.url, "fields": post.fields}
        else:
            multipart_id = self.blobs.start_multipart(key, content_type(filename))
            count = math.ceil(size / PART_BYTES)
            answer |= {
                "method": "PUT",
                "part_size": PART_BYTES,
                "parts": [
                    {
                        "part_number": number,
                        "url": self.blobs.presigned_part_url(key, multipart_id, number, PART_BYTES, URL_SECONDS),
                    }
                    for number in range(1, count + 1)
                ],
            }
        manifest = Upload(upload_id, filename, size, multipart_id, now_iso())
        self.blobs.put(self._manifest_key(session.id, upload_id), orjson.dumps(asdict(manifest)), "application/json")
        return answer

    def complete_upload(self, sid: str, upload_id: str, etags: list[str]) -> dict[str, Any]:
        session = self.service.session(sid)
        upload = self._upload(session.id, upload_id)
        if upload.multipart_id is None:
            raise Conflict("this upload is a single form POST: there is nothing to complete")
        key = self._object_key(session.id, upload)
        if self.blobs.size(key) is None:
            try:
                self.blobs.complete_multipart(key, upload.multipart_id, etags)
            except KeyError:
                raise Conflict("the multipart upload was aborted or has expired; start a new upload") from None
            except ValueError as exc:
                raise DataFormatError(f"the parts do not make the upload: {exc}") from None
        return self._status(session.id, upload, check=True)

    def upload_status(self, sid: str, upload_id: str) -> dict[str, Any]:
        session = self.service.session(sid)
        return self._status(session.id, self._upload(session.id, upload_id))

    def _status(self, session_id: str, upload: Upload, check: bool = False) -> dict[str, Any]:
        received = self.blobs.size(self._object_key(session_id, upload))
        if check and received is not None and received > upload.size:
            self.delete_upload(session_id, upload)
            raise DataFormatError(
                f"the upload is {received:,} bytes, more than the {upload.size:,} declared; it was discarded"
            )
        return {
            "upload_id": upload.upload_id,
            "filename": upload.filename,
            "size": upload.size,
            "received": received is not None,
            "received_bytes": received,
        }

    def abort_upload(self, sid: str, upload_id: str) -> None:
        session = self.service.session(sid)
        self.delete_upload(session.id, self._upload(session.id, upload_id))

    def delete_upload(self, session_id: str, upload: Upload) -> None:
        if upload.multipart_id is not None:
            self.blobs.abort_multipart(self._object_key(session_id, upload), upload.multipart_id)
        self.blobs.delete_prefix(upload_prefix(self.tenant, session_id, upload.upload_id))

    def _received(self, session_id: str, upload_ids: list[str]) -> list[tuple[Upload, int]]:
        """The named uploads, each received and no larger than declared."""
        if not upload_ids or len(upload_ids) > MAX_UPLOADS_PER_INGEST:
            raise DataFormatError(f"name 1 to {MAX_UPLOADS_PER_INGEST} uploads")
        if len(set(upload_ids)) != len(upload_ids):
            raise DataFormatError("an upload is named twice")
        received = []
        for upload_id in upload_ids:
            upload = self._upload(session_id, upload_id)
            size = self._status(session_id, upload, check=True)["received_bytes"]
            if size is None:
                raise Conflict(f"upload '{upload_id}' ({upload.filename}) has not been received yet")
            received.append((upload, size))
        return received

    def _read(self, session_id: str, uploads: list[tuple[Upload, int]]) -> list[UploadedFile]:
        return [
            UploadedFile(upload.filename, self.blobs.get(self._object_key(session_id, upload))) for upload, _ in uploads
        ]

    # -- ingestion --------------------------------------------------------------------------
    def etl(self, sid: str, dataset_name: str, upload_ids: list[str]) -> tuple[int, dict[str, Any]]:
        """(status, body): 200 and the ETL response, or 202 and a job past SYNC_INGEST_BYTES."""
        session = self.service.session(sid)
        dataset_name = clean_name(dataset_name, "dataset_name", "dataset_name")
        uploads = self._received(session.id, upload_ids)
        if sum(size for _, size in uploads) > SYNC_INGEST_BYTES:
            return 202, self._submit(session.id, Job(uuid.uuid4().hex, "etl", upload_ids, dataset_name))
        body = self.service.run_etl(session.id, dataset_name, self._read(session.id, uploads))
        self._discard(session.id, uploads)
        return 200, body

    def import_json(self, sid: str, upload_id: str) -> tuple[int, dict[str, Any]]:
        """(status, body): 201 and the keys, or 202 and a job past SYNC_INGEST_BYTES."""
        session = self.service.session(sid)
        uploads = self._received(session.id, [upload_id])
        if uploads[0][1] > SYNC_INGEST_BYTES:
            return 202, self._submit(session.id, Job(uuid.uuid4().hex, "from-json", [upload_id]))
        body = self.service.import_dataset(session.id, self._read(session.id, uploads)[0].content)
        self._discard(session.id, uploads)
        return 201, body

    def _discard(self, session_id: str, uploads: list[tuple[Upload, int]]) -> None:
        for upload, _ in uploads:
            self.delete_upload(session_id, upload)

    def _submit(self, session_id: str, job: Job) -> dict[str, Any]:
        self._save(session_id, job)
        try:
            self.service.queue.send(IngestMessage(tenant=self.tenant, session_id=session_id, job_id=job.job_id))
        except Exception as exc:
            # Never leave a queued job without a message: fail it visibly (the uploads stay usable).
            job.status, job.finished_at = "failed", now_iso()
            job.detail = "the ingestion could not be queued; send the request again"
            self._save(session_id, job)
            raise ServiceUnavailable("the queue is unavailable; try again shortly") from exc
        return self._view(job)

    def _save(self, session_id: str, job: Job) -> None:
        self.blobs.put(job_key(self.tenant, session_id, job.job_id), orjson.dumps(asdict(job)), "application/json")

    def _job(self, session_id: str, job_id: str) -> Job:
        if not is_issued_id(job_id):
            raise NotFound(f"job '{job_id[:64]}' not found")
        try:
            return Job(**orjson.loads(self.blobs.get(job_key(self.tenant, session_id, job_id))))
        except KeyError:
            raise NotFound(f"job '{job_id}' not found") from None

    def job(self, sid: str, job_id: str) -> dict[str, Any]:
        session = self.service.session(sid)
        return self._view(self._job(session.id, job_id))

    @staticmethod
    def _view(job: Job) -> dict[str, Any]:
        view = asdict(job)
        view.pop("upload_ids")
        view["uploads"] = job.upload_ids
        return view

    # -- the worker's side ------------------------------------------------------------------
    def run_job(self, session_id: str, job_id: str) -> str:
        """Run a queued job once (a redelivered message of a finished job does nothing): its status."""
        try:
            self.service.session(session_id)
            job = self._job(session_id, job_id)
        except NotFound:  # the session was deleted, and its uploads and jobs with it
            return "gone"
        if job.status in ("complete", "failed"):
            return job.status
        job.status, job.progress = "processing", 0.1
        self._save(session_id, job)
        try:
            uploads = self._received(session_id, job.upload_ids)
            files = self._read(session_id, uploads)
            job.progress = 0.5
            self._save(session_id, job)
            if job.kind == "etl":
                assert job.dataset_name is not None
                job.result = self.service.run_etl(session_id, job.dataset_name, files, event_id=f"ingest:{job_id}")
                job.status = "complete" if job.result["success"] else "failed"
            else:
                job.result = self.service.import_dataset(session_id, files[0].content, event_id=f"ingest:{job_id}")
                job.status = "complete"
            self._discard(session_id, uploads)
        except DomainError as exc:  # the data (or the session) is at fault: retrying cannot help
            job.status, job.detail = "failed", str(exc)
        job.progress, job.finished_at = 1.0, now_iso()
        self._save(session_id, job)
        return job.status

    def give_up(self, session_id: str, job_id: str) -> None:
        """A job whose message died in the dead-letter queue ends failed, never stuck."""
        try:
            job = self._job(session_id, job_id)
        except NotFound:
            return
        if job.status not in ("complete", "failed"):
            job.status, job.finished_at = "failed", now_iso()
            job.detail = "the ingestion could not be completed (the worker gave up after repeated failures)"
            self._save(session_id, job)

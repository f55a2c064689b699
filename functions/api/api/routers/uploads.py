"""Direct uploads to storage, and the ingestion jobs that read them (usecases.ingestion)."""

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from algocloud.domain.errors import DataFormatError

from .. import models, presenters
from ..deps import IngestionUseCases, UploadsUseCases
from ..params import JobId, SessionId, UploadId
from ..responses import OrjsonResponse
from ..schemas import CompleteUploadBody, UploadBody
from . import Responses

router = APIRouter(prefix="/sessions/{sid}", tags=["uploads"])
NOT_FOUND: Responses = {404: {"description": "session or upload not found"}}


@router.post(
    "/uploads",
    response_model=models.UploadTarget,
    status_code=201,
    responses={400: {"description": "unsupported file type"}, 404: {"description": "session not found"}},
    summary="Start an upload straight to storage",
    description=(
        "Answers where to send the file. Up to 100 MB: `method` POST, a form upload to `url` with every one "
        "of `fields` and then the file as `file` (the storage refuses more than `size` bytes). Larger: "
        "`method` PUT, the file cut in `part_size` pieces, each PUT to its part's `url`; then POST the parts' "
        "ETag headers to `…/uploads/{upload_id}/complete`. Then name `upload_id` in `POST …/etl` or "
        "`POST …/data/from-json`. URLs expire after an hour; uploads never used go after a day."
    ),
)
def create_upload(sid: SessionId, body: UploadBody, uploads: UploadsUseCases) -> Response:
    return OrjsonResponse(presenters.upload_target(uploads.create(sid, body.filename, body.size)), status_code=201)


@router.get(
    "/uploads/{upload_id}",
    response_model=models.UploadStatus,
    responses=NOT_FOUND,
    summary="Whether an upload has arrived",
)
def upload_status(sid: SessionId, upload_id: UploadId, uploads: UploadsUseCases) -> dict:
    return presenters.upload_status(uploads.status(sid, upload_id))


@router.post(
    "/uploads/{upload_id}/complete",
    response_model=models.UploadStatus,
    responses={
        **NOT_FOUND,
        400: {"description": "the parts do not make the upload, or it is over its size"},
        409: {"description": "not a multipart upload, or it was aborted"},
    },
    summary="Join a multipart upload's parts",
)
async def complete_upload(
    sid: SessionId, upload_id: UploadId, body: CompleteUploadBody, uploads: UploadsUseCases
) -> dict:
    parts = sorted(body.parts, key=lambda part: part.part_number)
    etags = [part.etag for part in parts]
    if [part.part_number for part in parts] != list(range(1, len(parts) + 1)):
        raise DataFormatError("send every part once, numbered from 1")
    return presenters.upload_status(await run_in_threadpool(uploads.complete, sid, upload_id, etags))


@router.delete("/uploads/{upload_id}", status_code=204, responses=NOT_FOUND, summary="Abort or remove an upload")
def abort_upload(sid: SessionId, upload_id: UploadId, uploads: UploadsUseCases) -> Response:
    uploads.abort(sid, upload_id)
    return Response(status_code=204)


@router.get(
    "/etl/{job_id}",
    response_model=models.Job,
    responses={404: {"description": "session or job not found"}},
    summary="An ingestion job: status, progress, and the response of the ETL or from-json",
)
def ingestion_job(sid: SessionId, job_id: JobId, ingestion: IngestionUseCases) -> dict:
    return presenters.job(ingestion.job(sid, job_id))

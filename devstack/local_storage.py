"""The embedded file store's stand-in for S3's presigned URLs: GET an object, POST a form
upload, PUT a multipart part. Each checks the store's signature and expiry, as S3 does.

Served beside the API by the local stack (devstack.serving.embedded_app): on AWS, S3 answers
these URLs itself, so the API Lambda carries none of this.
"""

import tempfile

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from algocloud import limits
from algocloud.adapters.embedded.blobs import (
    BLOB_ROUTE,
    PART_ROUTE,
    UPLOAD_ROUTE,
    TooLarge,
    content_headers,
    file_chunks,
)
from algocloud.adapters.factory import served_file_store
from api.deps import adapters
from api.limits import BodyTooLarge, capped_receive, declared_length

router = APIRouter(include_in_schema=False)
NOT_SIGNED = "the URL is not signed by this server or has expired"


def with_local_storage(app: FastAPI) -> FastAPI:
    """`app` also answering the file store's presigned URLs."""
    app.include_router(router)
    return app


def _store(request: Request):
    return served_file_store(adapters(request.app.state.settings).blobs)


@router.get(BLOB_ROUTE + "/{key:path}")
def get_blob(key: str, expires: int, signature: str, request: Request) -> FileResponse:
    blobs = _store(request)
    if not blobs.verify(key, expires, signature):
        raise HTTPException(status_code=403, detail=NOT_SIGNED)
    try:
        path = blobs.path(key)
    except ValueError:
        raise HTTPException(status_code=404, detail="no such object") from None
    if not path.is_file():
        raise HTTPException(status_code=404, detail="no such object")
    content_type, encoding = content_headers(key)
    return FileResponse(path, media_type=content_type, headers={"Content-Encoding": encoding} if encoding else None)


def _too_large(limit: int) -> HTTPException:
    return HTTPException(status_code=400, detail=f"EntityTooLarge: the upload is over its {limit:,}-byte limit")


def _declared_over(request: Request, limit: int) -> bool:
    declared = declared_length(request.scope["headers"])
    return declared is not None and declared > limit


def _signed_int(request: Request, name: str) -> int:
    value = request.query_params.get(name, "")
    if not value.isdigit() or len(value) > 20:
        raise HTTPException(status_code=403, detail=NOT_SIGNED)
    return int(value)


@router.post(UPLOAD_ROUTE, status_code=204)
async def post_upload(request: Request) -> Response:
    """A form upload (fields of presigned_post, then `file`): 204 like S3's default.

    The signed terms travel in the URL too: the signature, expiry and size are checked before a
    byte of the body is read, and the body is cut off at the signed size (plus the form's fields).
    """
    blobs = _store(request)
    key, signature = request.query_params.get("key", ""), request.query_params.get("signature", "")
    max_bytes, expires = _signed_int(request, "max_bytes"), _signed_int(request, "expires")
    if not blobs.verify_post(key, max_bytes, expires, signature):
        raise HTTPException(status_code=403, detail=NOT_SIGNED)
    limit = max_bytes + limits.FORM_OVERHEAD_BYTES
    if _declared_over(request, limit):
        raise _too_large(max_bytes)
    try:
        form = await Request(request.scope, capped_receive(request.receive, limit)).form(max_files=1, max_fields=20)
    except BodyTooLarge:
        raise _too_large(max_bytes) from None
    upload = form.get("file")
    if form.get("key") not in (None, key) or form.get("signature") not in (None, signature):
        raise HTTPException(status_code=403, detail="the form's fields are not the ones the URL was signed with")
    if not isinstance(upload, UploadFile):
        raise HTTPException(status_code=400, detail="send the presigned fields and then the file as 'file'")
    try:
        await run_in_threadpool(blobs.write_upload, key, upload.file, max_bytes)
    except TooLarge:
        raise _too_large(max_bytes) from None
    return Response(status_code=204)


@router.put(PART_ROUTE + "/{upload_id}/{part_number}")
async def put_part(
    upload_id: str, part_number: int, key: str, max_bytes: int, expires: int, signature: str, request: Request
) -> Response:
    blobs = _store(request)
    if not blobs.verify_part(key, upload_id, part_number, max_bytes, expires, signature):
        raise HTTPException(status_code=403, detail=NOT_SIGNED)
    if _declared_over(request, max_bytes):
        raise _too_large(max_bytes)
    with tempfile.TemporaryFile() as spool:  # a part may be large: to disk as it arrives, not to memory
        try:
            async for chunk in Request(request.scope, capped_receive(request.receive, max_bytes)).stream():
                spool.write(chunk)
        except BodyTooLarge:
            raise _too_large(max_bytes) from None
        spool.seek(0)
        try:
            etag = await run_in_threadpool(blobs.write_part, key, upload_id, part_number, file_chunks(spool), max_bytes)
        except KeyError:
            raise HTTPException(status_code=404, detail="NoSuchUpload: the upload was completed or aborted") from None
    return Response(status_code=200, headers={"ETag": etag})

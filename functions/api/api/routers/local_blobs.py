"""The embedded backend's stand-in for S3's presigned URLs: GET an object, POST a form
upload, PUT a multipart part. Each checks the store's signature and expiry, as S3 does."""

import tempfile

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from algocloud.adapters.embedded.blobs import (
    BLOB_ROUTE,
    PART_ROUTE,
    UPLOAD_ROUTE,
    FileBlobStore,
    TooLarge,
    content_headers,
    file_chunks,
)

from ..deps import adapters

router = APIRouter(include_in_schema=False)
NOT_SIGNED = "the URL is not signed by this server or has expired"


def _store(request: Request) -> FileBlobStore:
    blobs = adapters(request.app.state.settings).blobs
    assert isinstance(blobs, FileBlobStore)
    return blobs


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


@router.post(UPLOAD_ROUTE, status_code=204)
async def post_upload(request: Request) -> Response:
    """A form upload (fields of presigned_post, then `file`): 204 like S3's default."""
    blobs = _store(request)
    form = await request.form(max_files=1)
    fields = {name: form.get(name) for name in ("key", "max_bytes", "expires", "signature")}
    upload = form.get("file")
    if not all(isinstance(value, str) for value in fields.values()) or not isinstance(upload, UploadFile):
        raise HTTPException(status_code=400, detail="send the presigned fields and then the file as 'file'")
    key, max_bytes, expires, signature = (str(fields[n]) for n in ("key", "max_bytes", "expires", "signature"))
    if not (max_bytes.isdigit() and expires.isdigit()) or not blobs.verify_post(
        key, int(max_bytes), int(expires), signature
    ):
        raise HTTPException(status_code=403, detail=NOT_SIGNED)
    try:
        await run_in_threadpool(blobs.write_upload, key, upload.file, int(max_bytes))
    except TooLarge as exc:
        raise HTTPException(status_code=400, detail=f"EntityTooLarge: {exc}") from None
    return Response(status_code=204)


@router.put(PART_ROUTE + "/{upload_id}/{part_number}")
async def put_part(
    upload_id: str, part_number: int, key: str, expires: int, signature: str, request: Request
) -> Response:
    blobs = _store(request)
    if not blobs.verify_part(key, upload_id, part_number, expires, signature):
        raise HTTPException(status_code=403, detail=NOT_SIGNED)
    with tempfile.TemporaryFile() as spool:  # a part may be large: to disk as it arrives, not to memory
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        try:
            etag = await run_in_threadpool(blobs.write_part, key, upload_id, part_number, file_chunks(spool))
        except KeyError:
            raise HTTPException(status_code=404, detail="NoSuchUpload: the upload was completed or aborted") from None
    return Response(status_code=200, headers={"ETag": etag})

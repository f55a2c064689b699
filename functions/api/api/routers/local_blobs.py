"""Presigned URLs of the embedded backend: the local stand-in for S3's GET on a signed URL."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from algocloud.adapters.embedded.blobs import BLOB_ROUTE, FileBlobStore, content_headers

from ..deps import adapters

router = APIRouter(include_in_schema=False)


@router.get(BLOB_ROUTE + "/{key:path}")
def get_blob(key: str, expires: int, signature: str, request: Request) -> FileResponse:
    blobs = adapters(request.app.state.settings).blobs
    assert isinstance(blobs, FileBlobStore)
    if not blobs.verify(key, expires, signature):
        raise HTTPException(status_code=403, detail="the URL is not signed by this server or has expired")
    try:
        path = blobs.path(key)
    except ValueError:
        raise HTTPException(status_code=404, detail="no such object") from None
    if not path.is_file():
        raise HTTPException(status_code=404, detail="no such object")
    content_type, encoding = content_headers(key)
    return FileResponse(path, media_type=content_type,
                        headers={"Content-Encoding": encoding} if encoding else None)

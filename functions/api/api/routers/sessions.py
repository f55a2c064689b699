from fastapi import APIRouter, Depends, Request, Response

from .. import models, presenters
from ..deps import SessionsUseCases, require_session_create
from ..paging import Cursor, PageLimit, next_page_headers
from ..params import SessionId
from ..responses import OrjsonResponse
from ..schemas import CopyBody, DisplayNameBody, NewSessionBody
from . import Responses

router = APIRouter(prefix="/sessions", tags=["sessions"])
NOT_FOUND: Responses = {404: {"description": "sid does not match any session"}}
TAKEN: Responses = {409: {"description": "the display name is already taken"}}


@router.get(
    "",
    response_model=models.SessionList,
    responses={400: {"description": "a cursor this API did not give out"}},
    summary="List sessions and the default session's id",
)
def list_sessions(
    request: Request, sessions: SessionsUseCases, limit: PageLimit = None, cursor: Cursor = None
) -> Response:
    listing = sessions.listing(limit, cursor)
    return OrjsonResponse(presenters.session_list(listing), headers=next_page_headers(request, listing.next_cursor))


@router.post(
    "",
    response_model=models.SessionList,
    status_code=201,
    responses=TAKEN,
    dependencies=[Depends(require_session_create)],
    summary="Create an empty session",
)
def create_session(body: NewSessionBody, sessions: SessionsUseCases) -> dict:
    return presenters.session_list(sessions.create(body.display_name, private=body.visibility == "private"))


@router.post(
    "/{sid}/copy",
    response_model=models.SessionList,
    status_code=201,
    responses={**NOT_FOUND, **TAKEN},
    dependencies=[Depends(require_session_create)],
    summary="Copy a session: scenarios (with results and KPIs) and datasets",
)
def copy_session(sid: SessionId, body: CopyBody, sessions: SessionsUseCases) -> dict:
    return presenters.session_list(sessions.copy(sid, body.new_display_name))


@router.patch("/{sid}", response_model=models.SessionRef, responses={**NOT_FOUND, **TAKEN}, summary="Rename a session")
def rename_session(sid: SessionId, body: DisplayNameBody, sessions: SessionsUseCases) -> dict:
    return presenters.session_ref(sessions.rename(sid, body.display_name))


@router.delete(
    "/{sid}",
    response_model=models.SessionList,
    responses=NOT_FOUND,
    summary="Delete a session and everything in it (the last one is replaced by a fresh 'main')",
)
def delete_session(sid: SessionId, sessions: SessionsUseCases) -> dict:
    return presenters.session_list(sessions.delete(sid))

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from algocloud.usecases.audit import AuditQuery

from .. import models, presenters
from ..deps import Scope, auditing
from ..paging import Cursor, PageLimit, next_page_headers
from ..responses import OrjsonResponse

router = APIRouter(tags=["audit"])

Actor = Annotated[str | None, Query(max_length=200, description="a key's id, a user's id or email")]
Operation = Annotated[str | None, Query(max_length=200, description="an operation id of this document")]
Target = Annotated[str | None, Query(max_length=200, description="an id the request named in its path")]
Since = Annotated[
    datetime | None, Query(description="only entries at or after this moment (ISO 8601, with its offset)")
]


@router.get(
    "/audit",
    response_model=list[models.AuditEntry],
    responses={400: {"description": "a cursor this API did not give out"}},
    summary="The tenant's audit log, newest first: who did what, when, from where, and how it ended",
    description=(
        "Every state-changing request, every refused one and every read of large data, one entry each. "
        "Filter by `since`, `actor` (a key's id, a user's id or email), `operation` (an operation id of "
        "this document) and `target` (an id the request named); a page of `limit` (default 100), the next "
        "in `X-Next-Cursor` / `Link`."
    ),
)
def audit_log(
    request: Request,
    scope: Scope,
    limit: PageLimit = None,
    cursor: Cursor = None,
    actor: Actor = None,
    operation: Operation = None,
    target: Target = None,
    since: Since = None,
) -> Response:
    recorder = auditing(request.app.state.settings)
    if recorder is None:
        raise HTTPException(status_code=404, detail="this deployment keeps no audit log")
    # an empty filter is no filter (not one that nothing matches)
    query = AuditQuery(actor or None, operation or None, target or None, None if since is None else _utc(since))
    entries, next_cursor = recorder.page(scope.tenant, query, limit or 100, cursor, scope.cursors)
    return OrjsonResponse([presenters.audit_entry(e) for e in entries], headers=next_page_headers(request, next_cursor))


def _utc(moment: datetime) -> str:
    """ISO 8601 in UTC, as entries are stamped (no offset: UTC); a moment at the calendar's edge
    whose offset takes it past year 1 or 9999 is the edge."""
    try:
        return (
            (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="milliseconds")
        )
    except OverflowError:
        edge = datetime.min if moment.year == datetime.min.year else datetime.max
        return edge.replace(tzinfo=UTC).isoformat(timespec="milliseconds")

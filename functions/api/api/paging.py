"""Optional pages of the session and scenario lists.

Without `limit` a list is whole, as the reference says. With it, the body keeps
the reference's shape and the next page is named in headers: `X-Next-Cursor`
(pass it back as `cursor`) and `Link: <…>; rel="next"`; both are absent on the
last page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from algocloud.service import MAX_LIST_PAGE

PageLimit = Annotated[int | None, Query(ge=1, le=MAX_LIST_PAGE, description="at most this many (a page)")]
Cursor = Annotated[str | None, Query(max_length=512, description="the X-Next-Cursor of the previous page")]


def next_page_headers(request: Request, cursor: str | None) -> dict[str, str] | None:
    if cursor is None:
        return None
    url = request.url.include_query_params(cursor=cursor)
    return {"X-Next-Cursor": cursor, "Link": f'<{url}>; rel="next"'}

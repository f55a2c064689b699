"""Optional pages of the session and scenario lists.

Without `limit` a list is whole, as the reference says. With it, the body keeps
the reference's shape and the next page is named in headers: `X-Next-Cursor`
(pass it back as `cursor`) and `Link: <…>; rel="next"`; both are absent on the
last page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from algocloud.limits import MAX_LIST_PAGE

PageLimit = Annotated[int | None, Query(ge=1, le=MAX_LIST_PAGE, description="at most this many (a page)")]
Cursor = Annotated[str | None, Query(max_length=512, description="the X-Next-Cursor of the previous page")]


def public_base(request: Request) -> str:
    """The API's address as clients reach it (stage included), never from the caller's Host
    header: API_PUBLIC_URL where configured (a custom domain; the local AWS stack), else on AWS
    the domain and stage API Gateway itself reports, else the embedded server's public URL."""
    settings = request.app.state.settings
    if settings.api_public_url:
        return settings.api_public_url.rstrip("/")
    event = request.scope.get("aws.event")
    if settings.on_lambda and event:
        context = event.get("requestContext") or {}
        return f"https://{context.get('domainName')}/{context.get('stage')}"
    return settings.public_url.rstrip("/")


def public_url(request: Request, path: str, query: str = "") -> str:
    """`path` (under the app, as its routes name it) at the public address."""
    return f"{public_base(request)}{path}{'?' + query if query else ''}"


def next_page_headers(request: Request, cursor: str | None) -> dict[str, str] | None:
    if cursor is None:
        return None
    root = request.scope.get("root_path", "")
    path = request.scope["path"].removeprefix(root) if root else request.scope["path"]
    query = request.url.include_query_params(cursor=cursor).query
    return {"X-Next-Cursor": cursor, "Link": f'<{public_url(request, path, query)}>; rel="next"'}

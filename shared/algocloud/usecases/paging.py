"""Pages of a listing, with signed cursors (domain.cursors)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..domain.cursors import Cursors


def page_of[T](
    items: Sequence[T],
    key: Callable[[T], tuple[str, str]],
    limit: int | None,
    cursor: str | None,
    cursors: Cursors,
    scope: str,
) -> tuple[list[T], str | None]:
    """Items after `cursor` (in `key` order, which `items` is in), at most `limit`, and the cursor
    of the next page (None at the end). A cursor is the key of a page's last item, so pages stay
    right when items are added or deleted meanwhile; it is bound to `scope` (domain.cursors)."""
    start = 0
    if cursor is not None:
        after = cursors.decode(scope, cursor)
        start = next((index for index, item in enumerate(items) if key(item) > after), len(items))
    if limit is None:
        return list(items[start:]), None
    page = list(items[start : start + limit])
    more = start + limit < len(items)
    return page, cursors.encode(scope, key(page[-1])) if more else None

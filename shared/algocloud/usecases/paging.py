"""Pages of a listing read from storage a page at a time, with signed cursors (domain.cursors)."""

from __future__ import annotations

from collections.abc import Callable

from ..domain.cursors import Cursors
from ..domain.stores import Position


def read_page[T](
    read: Callable[[Position | None, int | None], list[T]],
    position: Callable[[T], Position],
    limit: int | None,
    cursor: str | None,
    cursors: Cursors,
    scope: str,
) -> tuple[list[T], str | None]:
    """The items after `cursor`, at most `limit`, and the cursor of the next page (None at the
    end). `read(after, n)` reads at most n items after a position from storage (an index range:
    the cost is the page's, not the list's); one more than the page tells whether more follow.
    A cursor is the position of a page's last item, so pages stay right when items are added or
    deleted meanwhile; it is bound to `scope` (domain.cursors)."""
    after = None if cursor is None else cursors.decode(scope, cursor)
    if limit is None:
        return read(after, None), None
    items = read(after, limit + 1)
    page = items[:limit]
    return page, cursors.encode(scope, position(page[-1])) if len(items) > limit else None

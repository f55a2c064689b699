"""Datasets in a form that can be read a page of rows at a time.

Each table is stored once more as a sequence of JSON arrays of CHUNK_ROWS
records (the records of `GET …/data/{key}`), one object per table, and an
index names each chunk's byte offset. A page of at most MAX_PAGE rows spans
at most two chunks: one ranged read of storage, whatever the table's size.
Built from the stored (columnar) dataset, without pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

CHUNK_ROWS = 1000
MAX_PAGE = 1000
DEFAULT_PAGE = 200


def build_pages(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(index, {file name: body}) for a stored dataset's parsed document."""
    index: dict[str, Any] = {}
    bodies: dict[str, bytes] = {}
    for number, (name, table) in enumerate(document["tables"].items()):
        columns = table["columns"]
        rows = list(zip(*table["values"], strict=True)) if columns else [() for _ in table["index"]]
        offsets, chunks, position = [], [], 0
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = orjson.dumps([dict(zip(columns, row, strict=True)) for row in rows[start:start + CHUNK_ROWS]])
            offsets.append(position)
            position += len(chunk)
            chunks.append(chunk)
        file = f"{number}.json"
        bodies[file] = b"".join(chunks)
        index[name] = {"rows": len(rows), "columns": columns, "dtypes": table["dtypes"], "file": file,
                       "offsets": [*offsets, position]}
    return {"tables": index}, bodies


@dataclass(frozen=True)
class PageRead:
    """Which bytes of a table's object hold a page, and where in them the page starts."""

    start: int
    end: int  # exclusive
    skip: int  # rows of the first chunk before the page
    chunk_ends: tuple[int, ...]  # where each chunk read ends, relative to `start`


def page_read(entry: dict[str, Any], offset: int, limit: int) -> PageRead | None:
    """The read for rows [offset, offset + limit) of a table, or None when none are there."""
    if offset >= entry["rows"] or limit <= 0:
        return None
    last = min(offset + limit, entry["rows"]) - 1
    first_chunk, last_chunk = offset // CHUNK_ROWS, last // CHUNK_ROWS
    offsets = entry["offsets"]
    start = offsets[first_chunk]
    ends = tuple(offsets[chunk + 1] - start for chunk in range(first_chunk, last_chunk + 1))
    return PageRead(start, offsets[last_chunk + 1], offset - first_chunk * CHUNK_ROWS, ends)


def page_rows(body: bytes, read: PageRead, limit: int) -> list[dict[str, Any]]:
    """The page's rows from the bytes of its chunks."""
    rows: list[dict[str, Any]] = []
    position = 0
    for end in read.chunk_ends:
        rows.extend(orjson.loads(body[position:end]))
        position = end
    return rows[read.skip:read.skip + limit]

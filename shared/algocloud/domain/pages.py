"""Datasets in a form that can be read a page of rows at a time.

Each table is stored once more as a sequence of JSON arrays of CHUNK_ROWS
records (the records of `GET …/data/{key}`), one object per table, and an
index names each chunk's byte offset. A page of at most limits.MAX_ROWS_PAGE rows spans
at most two chunks: one ranged read of storage, whatever the table's size.
Built from the stored (columnar) dataset, without pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from .json_values import json_default

CHUNK_ROWS = 1000


@dataclass(frozen=True)
class TableRows:
    """One table as the pages need it: its shape and its records, a chunk at a time."""

    name: str
    columns: list[str]
    dtypes: dict[str, str]
    chunks: Iterable[list[dict[str, Any]]]  # CHUNK_ROWS records each (the last: the rest)


def build_pages(tables: Iterable[TableRows]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(index, {file name: body}) of a dataset's tables."""
    index: dict[str, Any] = {}
    bodies: dict[str, bytes] = {}
    for number, table in enumerate(tables):
        offsets, chunks, position, rows = [], [], 0, 0
        for records in table.chunks:
            chunk = orjson.dumps(records, default=json_default, option=orjson.OPT_NON_STR_KEYS)
            offsets.append(position)
            position += len(chunk)
            rows += len(records)
            chunks.append(chunk)
        file = f"{number}.json"
        bodies[file] = b"".join(chunks)
        index[table.name] = {
            "rows": rows,
            "columns": table.columns,
            "dtypes": table.dtypes,
            "file": file,
            "offsets": [*offsets, position],
        }
    return {"tables": index}, bodies


def stored_tables(document: dict[str, Any]) -> Iterator[TableRows]:
    """The tables of a stored (columnar) dataset's parsed document."""
    for name, table in document["tables"].items():
        columns, values = table["columns"], table["values"]
        count = len(table["index"])

        def chunks(columns=columns, values=values, count=count) -> Iterator[list[dict[str, Any]]]:
            for start in range(0, count, CHUNK_ROWS):
                rows = (
                    zip(*(column[start : start + CHUNK_ROWS] for column in values), strict=True)
                    if columns
                    else (() for _ in range(min(CHUNK_ROWS, count - start)))
                )
                yield [dict(zip(columns, row, strict=True)) for row in rows]

        yield TableRows(name, columns, table["dtypes"], chunks())


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
    return rows[read.skip : read.skip + limit]

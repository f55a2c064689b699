"""Identifiers of sessions and scenarios: UUIDv7 (RFC 9562), so they sort in creation order.

A storage key built on the id (DynamoDB's sort key, SQLite's primary key) then
lists items oldest first without an index, and a page resumes after an id. The
creation time is the id's own millisecond timestamp, so ordering by
(created_at, id) and ordering by id agree. Python 3.14 has `uuid.uuid7`; the
Lambda runtime is 3.13, hence these few lines.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from datetime import UTC, datetime

_COUNTER_MAX = 0xFFF
_lock = threading.Lock()
_last_ms, _last_counter = 0, 0


def new_id() -> str:
    """A UUIDv7; ids made by one process are strictly increasing (RFC 9562 method 1: a 12-bit
    counter within the millisecond, moving to the next millisecond when it runs out)."""
    global _last_ms, _last_counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            counter = secrets.randbits(11)  # leaves room to count up within this millisecond
        else:
            ms, counter = _last_ms, _last_counter + 1
            if counter > _COUNTER_MAX:
                ms, counter = ms + 1, secrets.randbits(11)
        _last_ms, _last_counter = ms, counter
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def created_at_of(id_: str) -> str | None:
    """The creation time (ISO 8601, milliseconds) a UUIDv7 carries; None for any other id
    (ids made before this scheme were UUIDv4 and keep their stored creation time)."""
    try:
        parsed = uuid.UUID(id_)
    except ValueError:
        return None
    if parsed.version != 7:
        return None
    return datetime.fromtimestamp((parsed.int >> 80) / 1000, UTC).isoformat(timespec="milliseconds")


def stamped() -> tuple[str, str]:
    """A new id and its creation time."""
    id_ = new_id()
    created = created_at_of(id_)
    assert created is not None
    return id_, created

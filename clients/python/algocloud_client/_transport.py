"""The steps a flow yields (no I/O here), and the one call every operation makes: retried, its
errors raised as ApiError. See _flows.py for how operations are written as flows."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from . import models as m

RETRY_STATUSES = (429, 502, 503, 504)
TERMINAL = (m.Status.COMPLETE, m.Status.FAILED)


@dataclass(frozen=True)
class Call:
    method: str
    url: str  # a path under the API's base URL, or an absolute (presigned storage) URL
    options: dict[str, Any] = field(default_factory=dict)  # keyword arguments of httpx's request()


@dataclass(frozen=True)
class Pause:
    seconds: float


# The events WebSocket (POST /events/token gives its URL): the runner opens it (answering a socket
# number, or None when refused), sends text on it, and receives the next message (None when
# `timeout` passed with none, CLOSED when the server closed it). Sockets close with the flow.
@dataclass(frozen=True)
class Open:
    url: str


@dataclass(frozen=True)
class Send:
    socket: int
    text: str


@dataclass(frozen=True)
class Receive:
    socket: int
    timeout: float


CLOSED = ""
# A quiet socket subscribes again after this share of the idle time the token response gives
# (`idle_seconds`: API Gateway closes a socket after 10 idle minutes), or of 10 minutes.
KEEPALIVE_SHARE = 0.4
KEEPALIVE_SECONDS = KEEPALIVE_SHARE * 600.0
RECONNECTS = 5  # in a row without a message, before falling back to polling

T = TypeVar("T")
Flow = Generator[Call | Pause | Open | Send | Receive, Any, T]  # sends each step's answer back in
ProgressCallback = Callable[[int], None]  # bytes sent since the last call


class ApiError(Exception):
    """An answer of 4xx/5xx: its status and the API's `detail`."""

    def __init__(self, status: int, detail: Any):
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


Item = TypeVar("Item")


@dataclass(frozen=True)
class ScenarioPage(Generic[Item]):  # noqa: UP046 - the client runs on Python 3.11
    items: list[Item]  # full scenarios, or summaries (view=summary)
    next_cursor: str | None  # pass it back for the next page; None on the last


class Transport:
    """Calls, and presigned storage; `retries` bounds the retries of throttled or unavailable calls."""

    def __init__(self, retries: int = 4):
        self.retries = retries

    def call(self, method: str, url: str, **options: Any) -> Flow[httpx.Response]:
        """One call, retried on 429/502/503/504 after the server's Retry-After or an exponential
        backoff; ApiError for any other 4xx/5xx (its `detail`)."""
        for attempt in range(self.retries + 1):
            response: httpx.Response = yield Call(method, url, options)
            if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                break
            retry_after = response.headers.get("retry-after", "")
            yield Pause(float(retry_after) if _is_number(retry_after) else min(8.0, 0.25 * 2**attempt))
        if response.status_code >= 400:
            raise ApiError(response.status_code, _detail(response))
        return response

    def json(self, method: str, url: str, **options: Any) -> Flow[Any]:
        return (yield from self.call(method, url, **options)).json()

    def storage(self, method: str, url: str, **options: Any) -> Flow[httpx.Response]:
        """A presigned storage URL (absolute, so sent without the API key); retried as API calls are."""
        return (yield from self.call(method, url, **options))


def _is_number(text: str) -> bool:
    return text.replace(".", "", 1).isdigit()


def _detail(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text
    return body.get("detail", response.text) if isinstance(body, dict) else body

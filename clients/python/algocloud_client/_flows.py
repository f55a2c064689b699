"""Every operation of the client once, as a generator of HTTP steps (no I/O here).

An operation yields `Call`s (and `Pause`s between polls and retries), receives each call's
`httpx.Response`, and returns its typed result; `Client` runs them with httpx.Client and
time.sleep, `AsyncClient` with httpx.AsyncClient and asyncio.sleep. So retries, polling,
uploads and parsing are written once for both.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Generator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import httpx
from pydantic import TypeAdapter

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


_SCENARIOS = TypeAdapter(list[m.Scenario])
_SUMMARIES = TypeAdapter(list[m.ScenarioSummary])


class Operations:
    """The API's operations as flows; `retries` bounds the retries of throttled or unavailable calls."""

    def __init__(self, retries: int = 4):
        self.retries = retries

    # -- transport ----------------------------------------------------------------------------
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

    # -- catalogue ----------------------------------------------------------------------------
    def health(self) -> Flow[m.Health]:
        return m.Health.model_validate((yield from self.json("GET", "/health")))

    def algorithms(self, sid: str) -> Flow[list[str]]:
        return m.AlgorithmNames.model_validate((yield from self.json("GET", f"/sessions/{sid}/algorithms"))).algorithms

    def algorithm_parameters(self, sid: str, name: str) -> Flow[m.AlgorithmParameters]:
        answer = yield from self.json("GET", f"/sessions/{sid}/algorithms/{name}/parameters")
        return m.AlgorithmParameters.model_validate(answer)

    def kpis(self, sid: str) -> Flow[list[str]]:
        return m.KpiNames.model_validate((yield from self.json("GET", f"/sessions/{sid}/kpis"))).kpis

    # -- sessions -----------------------------------------------------------------------------
    def sessions(self) -> Flow[m.SessionList]:
        return m.SessionList.model_validate((yield from self.json("GET", "/sessions")))

    def create_session(self, name: str) -> Flow[m.SessionList]:
        answer = yield from self.json("POST", "/sessions", json={"display_name": name})
        return m.SessionList.model_validate(answer)

    def copy_session(self, sid: str, name: str) -> Flow[m.SessionList]:
        answer = yield from self.json("POST", f"/sessions/{sid}/copy", json={"new_display_name": name})
        return m.SessionList.model_validate(answer)

    def rename_session(self, sid: str, name: str) -> Flow[m.SessionRef]:
        answer = yield from self.json("PATCH", f"/sessions/{sid}", json={"display_name": name})
        return m.SessionRef.model_validate(answer)

    def delete_session(self, sid: str) -> Flow[m.SessionList]:
        return m.SessionList.model_validate((yield from self.json("DELETE", f"/sessions/{sid}")))

    # -- scenarios ----------------------------------------------------------------------------
    def scenario_page(self, sid: str, limit: int, cursor: str | None = None) -> Flow[ScenarioPage[m.Scenario]]:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = yield from self.call("GET", f"/sessions/{sid}/scenarios", params=params)
        return ScenarioPage(_SCENARIOS.validate_json(response.content), response.headers.get("x-next-cursor"))

    def scenarios(self, sid: str, page_size: int | None = None) -> Flow[list[m.Scenario]]:
        """Every scenario of the session; with `page_size`, fetched a page at a time."""
        if page_size is None:
            return _SCENARIOS.validate_json((yield from self.call("GET", f"/sessions/{sid}/scenarios")).content)
        page = yield from self.scenario_page(sid, page_size)
        found = page.items
        while page.next_cursor is not None:
            page = yield from self.scenario_page(sid, page_size, page.next_cursor)
            found += page.items
        return found

    def summary_page(self, sid: str, limit: int, cursor: str | None = None) -> Flow[ScenarioPage[m.ScenarioSummary]]:
        params: dict[str, Any] = {"view": "summary", "limit": limit} | ({"cursor": cursor} if cursor else {})
        response = yield from self.call("GET", f"/sessions/{sid}/scenarios", params=params)
        return ScenarioPage(_SUMMARIES.validate_json(response.content), response.headers.get("x-next-cursor"))

    def summaries(self, sid: str, page_size: int = 500) -> Flow[list[m.ScenarioSummary]]:
        """Every scenario of the session as a summary (no result: the cheap listing), a page at a time."""
        page = yield from self.summary_page(sid, page_size)
        found = page.items
        while page.next_cursor is not None:
            page = yield from self.summary_page(sid, page_size, page.next_cursor)
            found += page.items
        return found

    def create_scenario(
        self,
        sid: str,
        tag: str,
        dataset_key: str,
        algorithm: str,
        algo_params: dict[str, Any] | None = None,
        data_params: dict[str, Any] | None = None,
        tier: str | None = None,
    ) -> Flow[m.Scenario]:
        body = m.ScenarioBody(
            tag=tag,
            dataset_key=dataset_key,
            algo_name=algorithm,
            algo_params=algo_params,
            data_params=data_params,
            tier=m.Tier(tier) if tier else None,
        )
        answer = yield from self.json("POST", f"/sessions/{sid}/scenarios", json=body.model_dump(exclude_none=True))
        return m.Scenario.model_validate(answer)

    def scenario(self, sid: str, scenario_id: str) -> Flow[m.Scenario]:
        return m.Scenario.model_validate((yield from self.json("GET", f"/sessions/{sid}/scenarios/{scenario_id}")))

    def status(self, sid: str, scenario_id: str) -> Flow[m.ScenarioStatus]:
        answer = yield from self.json("GET", f"/sessions/{sid}/scenarios/{scenario_id}/status")
        return m.ScenarioStatus.model_validate(answer)

    def processing(self, sid: str) -> Flow[m.Scenario | None]:
        answer = yield from self.json("GET", f"/sessions/{sid}/processing")
        return None if answer is None else m.Scenario.model_validate(answer)

    def transition(self, sid: str, scenario_id: str, action: str) -> Flow[m.Scenario]:
        """run, cancel or reset."""
        answer = yield from self.json("POST", f"/sessions/{sid}/scenarios/{scenario_id}/{action}")
        return m.Scenario.model_validate(answer)

    def delete_scenario(self, sid: str, scenario_id: str) -> Flow[None]:
        yield from self.call("DELETE", f"/sessions/{sid}/scenarios/{scenario_id}")

    def compare(self, sid: str, scenario_ids: Sequence[str], baseline: str | None = None) -> Flow[m.Comparison]:
        params = {"ids": ",".join(scenario_ids)} | ({"baseline": baseline} if baseline else {})
        answer = yield from self.json("GET", f"/sessions/{sid}/scenarios/compare", params=params)
        return m.Comparison.model_validate(answer)

    def wait(
        self,
        sid: str,
        scenario_id: str,
        poll: float,
        timeout: float | None,
        on_status: Callable[[m.ScenarioStatus], None] | None,
        events: bool = True,
    ) -> Flow[m.Scenario]:
        """Follow the scenario's pushed events when the server offers them (`events`), else poll
        `…/status`, until complete or failed (`on_status` sees each status): the full scenario."""
        if events:
            followed = yield from self._follow(sid, scenario_id, timeout, on_status)
            if followed:
                return (yield from self.scenario(sid, scenario_id))
        waited = 0.0
        while True:
            status = yield from self.status(sid, scenario_id)
            if on_status is not None:
                on_status(status)
            if status.status in TERMINAL:
                return (yield from self.scenario(sid, scenario_id))
            if timeout is not None and waited >= timeout:
                raise TimeoutError(f"scenario {scenario_id} is still {status.status}")
            yield Pause(poll)
            waited += poll

    def events_socket(self) -> Flow[tuple[int, float] | None]:
        """An events WebSocket, opened with a fresh token, and how long it may stay quiet before a
        keep-alive (from the token's `idle_seconds`); None when the server offers none."""
        response: httpx.Response = yield Call("POST", "/events/token", {})
        if response.status_code != 200:
            return None  # 404: no events here (a server without them, or the reference's)
        token = response.json()
        idle = token.get("idle_seconds")
        keepalive = KEEPALIVE_SHARE * float(idle) if isinstance(idle, int | float) and idle > 0 else KEEPALIVE_SECONDS
        socket = yield Open(f"{token['url']}?token={token['token']}")
        return None if socket is None else (socket, keepalive)

    def subscribe(self, sid: str, scenario_id: str | None = None) -> Flow[dict[str, Any] | None]:
        """An open socket following the session (or one scenario): its first answer, with the
        current status, and `socket`; None when refused."""
        opened = yield from self.events_socket()
        if opened is None:
            return None
        socket, keepalive = opened
        yield Send(socket, _subscription(sid, scenario_id))
        while True:
            text = yield Receive(socket, 30.0)
            if not text:
                return None
            answer = _loads(text)
            if answer.get("type") == "subscribed":
                return {**answer, "socket": socket, "keepalive": keepalive}
            if answer.get("type") == "error":
                raise ApiError(400, answer.get("detail"))

    def events(self, sid: str, scenario_id: str | None, on_event: Callable[[dict[str, Any]], bool]) -> Flow[bool]:
        """Every event of the session (or scenario) to `on_event` until it returns True; False when
        no events are offered. A quiet socket subscribes again every few minutes: that keeps it
        open (API Gateway closes one idle for 10 minutes) and answers the current status, so an
        event lost on the way is made good. A socket the server closed (after 2 hours) is opened
        again, resuming from the current status."""
        quiet = 0
        while quiet < RECONNECTS:
            subscribed = yield from self.subscribe(sid, scenario_id)
            if subscribed is None:
                return False
            if on_event(subscribed):
                return True
            socket, keepalive = subscribed["socket"], subscribed["keepalive"]
            while True:
                text = yield Receive(socket, keepalive)
                if text is None:
                    yield Send(socket, _subscription(sid, scenario_id))
                    continue
                if text == CLOSED:
                    quiet += 1
                    break
                quiet = 0
                if on_event(_loads(text)):
                    return True
        return False

    def _follow(
        self,
        sid: str,
        scenario_id: str,
        timeout: float | None,
        on_status: Callable[[m.ScenarioStatus], None] | None,
    ) -> Flow[bool]:
        """Follow one scenario's events until it ends (True), or find none offered (False)."""
        tag = ""
        started = _now()

        def seen(event: dict[str, Any]) -> bool:
            nonlocal tag
            if timeout is not None and _now() - started > timeout:
                raise TimeoutError(f"scenario {scenario_id} did not end within {timeout:g} s")
            if "status" not in event:
                return False
            tag = event.get("tag") or tag
            status = m.ScenarioStatus(id=scenario_id, tag=tag, status=event["status"], progress=event["progress"])
            if on_status is not None:
                on_status(status)
            return status.status in TERMINAL

        return (yield from self.events(sid, scenario_id, seen))

    # -- webhooks -----------------------------------------------------------------------------
    def add_webhook(self, url: str, events: Sequence[str] | None) -> Flow[m.WebhookWithSecret]:
        body = {"url": url, **({"events": list(events)} if events else {})}
        return m.WebhookWithSecret.model_validate((yield from self.json("POST", "/webhooks", json=body)))

    def webhooks(self) -> Flow[list[m.Webhook]]:
        return m.WebhookList.model_validate((yield from self.json("GET", "/webhooks"))).webhooks

    def remove_webhook(self, hook_id: str) -> Flow[None]:
        yield from self.call("DELETE", f"/webhooks/{hook_id}")

    def rotate_webhook(self, hook_id: str) -> Flow[m.WebhookWithSecret]:
        return m.WebhookWithSecret.model_validate((yield from self.json("POST", f"/webhooks/{hook_id}/rotate")))

    def webhook_deliveries(self, hook_id: str) -> Flow[list[m.DeliveryAttempt]]:
        answer = yield from self.json("GET", f"/webhooks/{hook_id}/deliveries")
        return m.DeliveryLog.model_validate(answer).deliveries

    # -- experiments --------------------------------------------------------------------------
    def create_experiment(self, sid: str, body: dict[str, Any]) -> Flow[m.Experiment]:
        return m.Experiment.model_validate((yield from self.json("POST", f"/sessions/{sid}/experiments", json=body)))

    def experiment(self, sid: str, experiment_id: str, accept: Sequence[str] | None = None) -> Flow[m.Experiment]:
        params = {"accept": list(accept)} if accept else None
        url = f"/sessions/{sid}/experiments/{experiment_id}"
        return m.Experiment.model_validate((yield from self.json("GET", url, params=params)))

    def experiments(self, sid: str) -> Flow[list[m.ExperimentRef]]:
        answer = yield from self.json("GET", f"/sessions/{sid}/experiments")
        return [m.ExperimentRef.model_validate(item) for item in answer]

    def cancel_experiment(self, sid: str, experiment_id: str) -> Flow[m.Experiment]:
        url = f"/sessions/{sid}/experiments/{experiment_id}/cancel"
        return m.Experiment.model_validate((yield from self.json("POST", url)))

    def delete_experiment(self, sid: str, experiment_id: str) -> Flow[None]:
        yield from self.call("DELETE", f"/sessions/{sid}/experiments/{experiment_id}")

    def wait_experiment(
        self,
        sid: str,
        experiment_id: str,
        poll: float,
        timeout: float | None,
        on_report: Callable[[m.Experiment], None] | None,
    ) -> Flow[m.Experiment]:
        """Poll the experiment until every run ended (`on_report` sees each answer)."""
        waited = 0.0
        while True:
            report = yield from self.experiment(sid, experiment_id)
            if on_report is not None:
                on_report(report)
            if report.done:
                return report
            if timeout is not None and waited >= timeout:
                raise TimeoutError(f"experiment {experiment_id} is still running: {report.counts}")
            yield Pause(poll)
            waited += poll

    # -- data ---------------------------------------------------------------------------------
    def datasets(self, sid: str) -> Flow[list[str]]:
        return m.DatasetKeys.model_validate((yield from self.json("GET", f"/sessions/{sid}/data"))).keys

    def dataset(self, sid: str, key: str) -> Flow[m.DataSourcePayload]:
        """A dataset's DataSource JSON, from storage when the API redirects there (307)."""
        response = yield from self.call("GET", f"/sessions/{sid}/data/{key}", follow_redirects=False)
        if response.status_code == 307:
            response = yield from self.storage("GET", response.headers["location"])
        return m.DataSourcePayload.model_validate_json(response.content)

    def delete_dataset(self, sid: str, key: str) -> Flow[None]:
        yield from self.call("DELETE", f"/sessions/{sid}/data/{key}")

    def derive_dataset(self, sid: str, key: str, new_key: str) -> Flow[list[str]]:
        answer = yield from self.json("POST", f"/sessions/{sid}/data/{key}/derive", json={"new_key": new_key})
        return m.DatasetKeys.model_validate(answer).keys

    def data_parameters(self, sid: str, key: str) -> Flow[m.DataParameters]:
        answer = yield from self.json("GET", f"/sessions/{sid}/data/{key}/parameters")
        return m.DataParameters.model_validate(answer)

    def tables(self, sid: str, key: str) -> Flow[m.DatasetTables]:
        return m.DatasetTables.model_validate((yield from self.json("GET", f"/sessions/{sid}/data/{key}/tables")))

    def rows(self, sid: str, key: str, table: str, offset: int, limit: int) -> Flow[m.RowsPage]:
        answer = yield from self.json(
            "GET", f"/sessions/{sid}/data/{key}/tables/{table}/rows", params={"offset": offset, "limit": limit}
        )
        return m.RowsPage.model_validate(answer)

    def import_json(self, sid: str, upload_id: str, poll: float) -> Flow[list[str]]:
        """A DataSource JSON file sent with `upload` becomes a dataset (following the job, when it is one)."""
        response = yield from self.call("POST", f"/sessions/{sid}/data/from-json", json={"upload": upload_id})
        answer = yield from self.ingestion_result(sid, response, poll)
        return m.DatasetKeys.model_validate(answer).keys

    def etl(
        self, sid: str, dataset_name: str, files: Sequence[Path], poll: float, on_sent: ProgressCallback | None = None
    ) -> Flow[m.EtlResponse]:
        """Send the files straight to storage and ETL them into `dataset_name`: the ETL response (a
        job's, when it was one). A server that offers no direct uploads gets them as one form."""
        upload_ids = []
        for path in files:
            try:
                upload_ids.append((yield from self.upload(sid, path, on_sent)))
            except ApiError as refused:
                if (
                    upload_ids
                    or refused.status not in (404, 405)
                    or refused.detail not in ("Not Found", "Method Not Allowed")
                ):
                    raise
                return (yield from self.etl_form(sid, dataset_name, files, poll, on_sent))
        body = {"dataset_name": dataset_name, "uploads": upload_ids}
        response = yield from self.call("POST", f"/sessions/{sid}/etl", json=body)
        answer = yield from self.ingestion_result(sid, response, poll)
        return m.EtlResponse.model_validate(answer)

    def etl_form(
        self, sid: str, dataset_name: str, files: Sequence[Path], poll: float, on_sent: ProgressCallback | None
    ) -> Flow[m.EtlResponse]:
        """The reference's multipart form (the request's size limit applies), files read as sent."""
        with ExitStack() as opened:
            parts = [("files", (path.name, _Reading(opened.enter_context(path.open("rb")), on_sent))) for path in files]
            response = yield from self.call(
                "POST", f"/sessions/{sid}/etl", data={"dataset_name": dataset_name}, files=parts
            )
        answer = yield from self.ingestion_result(sid, response, poll)
        return m.EtlResponse.model_validate(answer)

    def ingestion_result(self, sid: str, answered: httpx.Response, poll: float) -> Flow[dict[str, Any]]:
        """An ETL or from-json answer: the body, or for a 202 the result of its job once it ends."""
        if answered.status_code != 202:
            return answered.json()
        job = m.Job.model_validate(answered.json())
        while job.status not in (m.JobStatus.COMPLETE, m.JobStatus.FAILED):
            yield Pause(poll)
            job = m.Job.model_validate((yield from self.json("GET", f"/sessions/{sid}/etl/{job.job_id}")))
        if job.result is None:
            raise ApiError(422, job.detail)
        return job.result

    # -- direct uploads -----------------------------------------------------------------------
    def upload(self, sid: str, path: Path, on_sent: ProgressCallback | None = None) -> Flow[str]:
        """Send a file straight to storage (one form POST, or parts then complete), read from disk
        as it goes (a 1 GiB file is never in memory); its upload id."""
        size = path.stat().st_size
        answer = yield from self.json("POST", f"/sessions/{sid}/uploads", json={"filename": path.name, "size": size})
        target = m.UploadTarget.model_validate(answer)
        with path.open("rb") as file:
            if target.method == m.UploadMethod.POST:
                assert target.url is not None
                sent = _Reading(file, on_sent)
                yield from self.storage("POST", target.url, data=target.fields, files={"file": (path.name, sent)})
            else:
                yield from self._send_parts(sid, target, file, on_sent)
        return target.upload_id

    def _send_parts(
        self, sid: str, target: m.UploadTarget, file: IO[bytes], on_sent: ProgressCallback | None
    ) -> Flow[None]:
        assert target.part_size is not None and target.parts is not None
        sent_parts = []
        for part in target.parts:
            file.seek((part.part_number - 1) * target.part_size)
            chunk = file.read(target.part_size)  # one part (16 MiB) in memory at a time
            response = yield from self.storage("PUT", part.url, content=chunk)
            sent_parts.append({"part_number": part.part_number, "etag": response.headers["etag"]})
            if on_sent is not None:
                on_sent(len(chunk))
        yield from self.call("POST", f"/sessions/{sid}/uploads/{target.upload_id}/complete", json={"parts": sent_parts})

    def upload_status(self, sid: str, upload_id: str) -> Flow[m.UploadStatus]:
        return m.UploadStatus.model_validate((yield from self.json("GET", f"/sessions/{sid}/uploads/{upload_id}")))

    def abort_upload(self, sid: str, upload_id: str) -> Flow[None]:
        yield from self.call("DELETE", f"/sessions/{sid}/uploads/{upload_id}")

    def storage(self, method: str, url: str, **options: Any) -> Flow[httpx.Response]:
        """A presigned storage URL (absolute, so sent without the API key); retried as API calls are."""
        return (yield from self.call(method, url, **options))


class _Reading:
    """A file that reports what httpx reads from it (for an upload's progress bar)."""

    def __init__(self, file: IO[bytes], on_read: ProgressCallback | None):
        self._file, self._on_read = file, on_read

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        if self._on_read is not None and chunk:
            self._on_read(len(chunk))
        return chunk

    def fileno(self) -> int:  # httpx sizes the part (Content-Length) from the file
        return self._file.fileno()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()


def _is_number(text: str) -> bool:
    return text.replace(".", "", 1).isdigit()


def _detail(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text
    return body.get("detail", response.text) if isinstance(body, dict) else body


def _subscription(sid: str, scenario_id: str | None) -> str:
    return json.dumps(
        {"action": "subscribe", "session_id": sid, **({"scenario_id": scenario_id} if scenario_id else {})}
    )


def _loads(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _now() -> float:
    return time.monotonic()

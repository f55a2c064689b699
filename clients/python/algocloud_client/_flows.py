"""Every operation of the client once, as a generator of HTTP steps (no I/O here).

An operation yields `Call`s (and `Pause`s between polls and retries), receives each call's
`httpx.Response`, and returns its typed result; `Client` runs them with httpx.Client and
time.sleep, `AsyncClient` with httpx.AsyncClient and asyncio.sleep. So retries, polling,
uploads and parsing are written once for both.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from pydantic import TypeAdapter

from . import models as m
from ._data_flows import DataOperations
from ._transport import (
    CLOSED,
    KEEPALIVE_SECONDS,
    KEEPALIVE_SHARE,
    RECONNECTS,
    TERMINAL,
    ApiError,
    Call,
    Flow,
    Open,
    Pause,
    Receive,
    ScenarioPage,
    Send,
)

__all__ = ["CLOSED", "KEEPALIVE_SECONDS", "ApiError", "Call", "Flow", "Open", "Operations", "Pause", "Receive",
           "ScenarioPage", "Send"]  # fmt: skip

_SCENARIOS = TypeAdapter(list[m.Scenario])
_SUMMARIES = TypeAdapter(list[m.ScenarioSummary])


class Operations(DataOperations):
    """The API's operations as flows (the data ones in _data_flows.py)."""

    # -- catalogue ----------------------------------------------------------------------------
    def health(self) -> Flow[m.Health]:
        return m.Health.model_validate((yield from self.json("GET", "/health")))

    def audit(
        self, since: str | None, actor: str | None, operation: str | None, limit: int
    ) -> Flow[list[m.AuditEntry]]:
        """The tenant's audit entries, newest first, at most `limit`, following the pages."""
        filters = {k: v for k, v in {"since": since, "actor": actor, "operation": operation}.items() if v}
        found: list[m.AuditEntry] = []
        cursor = None
        while len(found) < limit:
            params = {**filters, "limit": min(500, limit - len(found)), **({"cursor": cursor} if cursor else {})}
            response = yield from self.call("GET", "/audit", params=params)
            found += [m.AuditEntry.model_validate(entry) for entry in response.json()]
            cursor = response.headers.get("x-next-cursor")
            if not cursor:
                break
        return found

    def me(self) -> Flow[m.Me]:
        return m.Me.model_validate((yield from self.json("GET", "/me")))

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


def _subscription(sid: str, scenario_id: str | None) -> str:
    return json.dumps(
        {"action": "subscribe", "session_id": sid, **({"scenario_id": scenario_id} if scenario_id else {})}
    )


def _loads(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _now() -> float:
    return time.monotonic()

"""Events: what a scenario or an ingestion job tells the browsers subscribed to it (WebSocket) and
its tenant's webhooks, and the short-lived token a browser opens its WebSocket with.

An event names its session and its scenario or job; a subscriber follows a session, a scenario or a
job (topics), always within its own tenant. Events add to polling, never replace it: one lost on
the way (a socket that dropped) is made good by the current status, which a subscription answers
with first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from .config import AppConfig
from .cursors import Cursors
from .errors import InvalidRequest
from .ids import new_id
from .jobs import IngestJob
from .scenario import Scenario, Status, now_iso

SCENARIO_STATUS = "scenario.status"  # queued, processing, or back to created (cancelled, reset)
SCENARIO_PROGRESS = "scenario.progress"
SCENARIO_COMPLETE = "scenario.complete"  # with the KPIs, as GET …/scenarios/{id} shows them
SCENARIO_FAILED = "scenario.failed"  # with the error
JOB_PROGRESS = "job.progress"
JOB_COMPLETE = "job.complete"
JOB_FAILED = "job.failed"
EVENT_TYPES = (
    SCENARIO_STATUS,
    SCENARIO_PROGRESS,
    SCENARIO_COMPLETE,
    SCENARIO_FAILED,
    JOB_PROGRESS,
    JOB_COMPLETE,
    JOB_FAILED,
)
# What a subscription follows: `session:<id>` (everything in it), `scenario:<id>`, `job:<id>`.
TOPIC_KINDS = ("session", "scenario", "job")


def topic(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


@dataclass(frozen=True)
class Event:
    type: str
    session_id: str
    data: dict[str, Any]  # scenario_id or job_id, status, progress, and kpis / error at the end
    id: str = field(default_factory=new_id)
    at: str = field(default_factory=now_iso)

    @property
    def topics(self) -> list[str]:
        subject = (
            topic("scenario", self.data["scenario_id"])
            if "scenario_id" in self.data
            else topic("job", self.data["job_id"])
        )
        return [topic("session", self.session_id), subject]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "at": self.at, "session_id": self.session_id, **self.data}

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict())


def kpi_report(config: AppConfig, scenario: Scenario) -> dict[str, Any]:
    """Every KPI of the application, with this scenario's value once it is complete."""
    values = scenario.kpi_values if scenario.status == Status.COMPLETE and scenario.kpi_values else {}
    return {kpi.name: kpi.to_dict(values.get(kpi.name)) for kpi in config.kpis}


def scenario_event(config: AppConfig, session_id: str, scenario: Scenario) -> Event:
    data: dict[str, Any] = {
        "scenario_id": scenario.id,
        "tag": scenario.tag,
        "status": str(scenario.status),
        "progress": scenario.progress,
    }
    if scenario.status == Status.COMPLETE:
        data["kpis"] = kpi_report(config, scenario)
        return Event(SCENARIO_COMPLETE, session_id, data)
    if scenario.status == Status.FAILED:
        data["error"] = scenario.error
        return Event(SCENARIO_FAILED, session_id, data)
    return Event(SCENARIO_STATUS, session_id, data)


def progress_event(session_id: str, scenario_id: str, progress: float) -> Event:
    data = {"scenario_id": scenario_id, "status": str(Status.PROCESSING), "progress": round(progress, 4)}
    return Event(SCENARIO_PROGRESS, session_id, data)


def job_event(session_id: str, job: IngestJob) -> Event | None:
    data: dict[str, Any] = {"job_id": job.job_id, "status": str(job.status), "progress": job.progress}
    if job.status == Status.COMPLETE:
        return Event(JOB_COMPLETE, session_id, {**data, "result": job.result})
    if job.status == Status.FAILED:
        return Event(JOB_FAILED, session_id, {**data, "detail": job.detail})
    if job.status == Status.PROCESSING:
        return Event(JOB_PROGRESS, session_id, data)
    return None


# -- the WebSocket token: browsers cannot set headers on a WebSocket, so $connect takes this ---
# A token is a signed (tenant, expiry) pair, signed as page cursors are, under its own scope.
TOKEN_SECONDS = 300  # long enough to connect with; the connection itself lives up to 2 hours
TOKEN_SCOPE = "events-token"


def issue_token(
    key: bytes, tenant: str, now: float | None = None, seconds: int = TOKEN_SECONDS, holder: str = ""
) -> tuple[str, int]:
    """A token for `tenant`, held by `holder` (domain.identity.Principal.holder: checked again at
    connect and while connected, so a revoked key or a removed member loses it), and when it
    expires (epoch seconds)."""
    expires = int(now if now is not None else time.time()) + seconds
    return Cursors(key).encode(TOKEN_SCOPE, (tenant, str(expires), holder)), expires


def token_claims(key: bytes, token: str, now: float | None = None) -> tuple[str, str] | None:
    """(tenant, holder) of a token this deployment issued and that has not expired; None otherwise."""
    try:
        tenant, expires, *held = Cursors(key).decode_all(TOKEN_SCOPE, token)
    except (InvalidRequest, ValueError):
        return None
    if int(expires) < (now if now is not None else time.time()):
        return None
    return tenant, (held[0] if held else "")


def token_tenant(key: bytes, token: str, now: float | None = None) -> str | None:
    """The tenant of a token this deployment issued and that has not expired; None otherwise."""
    claims = token_claims(key, token, now)
    return None if claims is None else claims[0]

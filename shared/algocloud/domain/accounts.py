"""Paying consumers: tenants, the API keys that act for them, and what they used per day.

A tenant is its own record with its own id; an API key (API Gateway's key id)
maps to one tenant and can be revoked, so a consumer's keys can be rotated
without touching its data. Usage is counted per tenant and UTC day, each
event once: every count carries an event id and a repeated id adds nothing
(a redelivered message, a retried request, a worker taking over a run).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .errors import InvalidRequest
from .identity import Role
from .scenario import Scenario, Status, now_iso

# What is counted, per tenant and day.
RUNS_STARTED = "runs_started"
RUNS_COMPLETED = "runs_completed"
RUNS_FAILED = "runs_failed"  # cancelled runs included
COMPUTE_SECONDS = "compute_seconds"  # run_started_at -> run_finished_at of runs that started
BYTES_INGESTED = "bytes_ingested"  # files read by ETL / from-json
ROWS_INGESTED = "rows_ingested"
BYTES_STORED = "bytes_stored"  # dataset bytes written to storage that day
COUNTERS = (RUNS_STARTED, RUNS_COMPLETED, RUNS_FAILED, COMPUTE_SECONDS, BYTES_INGESTED, ROWS_INGESTED, BYTES_STORED)
EVENT_RETENTION_DAYS = 14  # how long an event id is remembered (longer than any redelivery)
MAX_USAGE_DAYS = 366

# API Gateway key ids are 10 lowercase alphanumerics; anything else is refused before it
# can become part of a storage key.
_KEY_ID = re.compile(r"[A-Za-z0-9]{1,64}")
_TENANT_ID = re.compile(r"t-[0-9a-f]{16}|default")


@dataclass(frozen=True)
class TenantRecord:
    id: str
    name: str
    created_at: str = field(default_factory=now_iso)
    max_parallel_runs: int | None = None  # its experiments' runs in flight at once; None: the deployment's

    @classmethod
    def new(cls, name: str) -> TenantRecord:
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidRequest("a tenant needs a name of 1 to 200 characters")
        return cls(id=f"t-{secrets.token_hex(8)}", name=name)


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: str  # API Gateway's id of the key (never its value)
    tenant_id: str
    created_at: str = field(default_factory=now_iso)
    revoked_at: str | None = None
    role: Role = Role.ADMIN  # what the key may do in its tenant (domain.identity)
    expires_at: str | None = None  # it stops working then (ISO 8601); None: when revoked
    created_by: str | None = None  # the subject that made it (None: the operator)
    # SHA-256 of its value (key_digest), so a deployment without API Gateway's key check (sign-in
    # on, or the embedded stack) can find it; None for keys made before
    value_digest: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now_iso())


@dataclass(frozen=True)
class UsageDay:
    tenant_id: str
    day: str  # YYYY-MM-DD (UTC)
    counters: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day, **{name: _number(self.counters.get(name, 0)) for name in COUNTERS}}


@dataclass(frozen=True)
class UsageReport:
    """A tenant's usage per day over a range of days: what it is billed on."""

    tenant_id: str
    first_day: str
    last_day: str
    counted: list[UsageDay]  # the days something was counted
    requests: dict[str, int] | None  # API Gateway's requests per day over the tenant's keys (None: not counted)

    def days(self) -> list[UsageDay]:
        """Every day with something counted or requested, in order."""
        by_day = {day.day: day for day in self.counted}
        for day, count in (self.requests or {}).items():
            if count:
                by_day.setdefault(day, UsageDay(self.tenant_id, day, {}))
        return [by_day[day] for day in sorted(by_day)]

    def requests_on(self, day: str) -> int | None:
        return None if self.requests is None else self.requests.get(day, 0)

    @property
    def total_requests(self) -> int | None:
        return None if self.requests is None else sum(self.requests.values())

    def totals(self) -> dict[str, float | int | None]:
        """Each counter over the days, and the API requests (None where they are not counted)."""
        days = [day.to_dict() for day in self.counted]
        counted: dict[str, float | int | None] = {name: sum(day[name] for day in days) for name in COUNTERS}
        return counted | {"api_requests": self.total_requests}


def key_digest(value: str) -> str:
    """What is kept of an API key's value: its SHA-256 (the values are random, 240 bits)."""
    return hashlib.sha256(value.encode()).hexdigest()


def checked_key_id(key_id: str) -> str:
    if not _KEY_ID.fullmatch(key_id):
        raise InvalidRequest("not an API key id")
    return key_id


def checked_tenant_id(tenant_id: str) -> str:
    if not _TENANT_ID.fullmatch(tenant_id):
        raise InvalidRequest(f"not a tenant id: {tenant_id!r}")
    return tenant_id


def checked_counters(increments: Mapping[str, float]) -> Mapping[str, float]:
    unknown = set(increments) - set(COUNTERS)
    if unknown:
        raise ValueError(f"not usage counters: {sorted(unknown)}")
    return increments


def day_of(timestamp: str | None) -> str:
    """The UTC day of an ISO timestamp (today when there is none)."""
    moment = datetime.fromisoformat(timestamp) if timestamp else datetime.now(UTC)
    return moment.astimezone(UTC).date().isoformat()


def day_range(first: str | None, last: str | None) -> tuple[str, str]:
    """A checked range of days, by default the last 30 (today included)."""
    try:
        end = date.fromisoformat(last) if last else datetime.now(UTC).date()
        start = date.fromisoformat(first) if first else end - timedelta(days=29)
    except ValueError:
        raise InvalidRequest("days are YYYY-MM-DD") from None
    if start > end or (end - start).days >= MAX_USAGE_DAYS:
        raise InvalidRequest(f"from must not be after to, and at most {MAX_USAGE_DAYS} days apart")
    return start.isoformat(), end.isoformat()


def run_started(scenario: Scenario) -> tuple[str, str, dict[str, float]]:
    """(day, event id, increments) of a run that started processing."""
    return day_of(scenario.run_started_at), f"started:{scenario.run_id}", {RUNS_STARTED: 1}


def run_finished(scenario: Scenario) -> tuple[str, str, dict[str, float]]:
    """(day, event id, increments) of a run that ended complete or failed (cancelled too)."""
    counter = RUNS_COMPLETED if scenario.status == Status.COMPLETE else RUNS_FAILED
    increments: dict[str, float] = {counter: 1}
    if scenario.run_started_at and scenario.run_finished_at:
        seconds = (
            datetime.fromisoformat(scenario.run_finished_at) - datetime.fromisoformat(scenario.run_started_at)
        ).total_seconds()
        increments[COMPUTE_SECONDS] = round(max(0.0, seconds), 3)
    return day_of(scenario.run_finished_at), f"finished:{scenario.run_id}", increments


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 3)


@dataclass(frozen=True)
class MemberRecord:
    """A person's place in a tenant: who they are at their OpenID Connect provider (issuer and
    subject, the token's `iss` and `sub`) and their role. Membership lives here, not in tokens,
    so a removal or a lower role holds on the person's next request."""

    tenant_id: str
    issuer: str
    subject: str
    role: Role
    email: str | None = None
    created_at: str = field(default_factory=now_iso)
    created_by: str | None = None  # the subject that added them (None: the operator)

    def __post_init__(self) -> None:
        if not self.issuer or len(self.issuer) > 500 or not self.subject or len(self.subject) > 255:
            raise InvalidRequest("a member needs an issuer (at most 500 characters) and a subject (at most 255)")

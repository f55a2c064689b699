"""A tenant's metered usage per day: what it is billed on (GET /usage, and the operator's report)."""

from __future__ import annotations

from typing import Any

from ..domain import accounts as usage
from ..domain.ports import Accounts, KeyGateway


def usage_report(
    accounts: Accounts,
    keys: KeyGateway | None,
    tenant_id: str,
    first_day: str | None = None,
    last_day: str | None = None,
) -> dict[str, Any]:
    """A tenant's usage per day (days with nothing counted left out), with the API requests API
    Gateway counted for its keys where it counts them (else `api_requests` is null)."""
    first, last = usage.day_range(first_day, last_day)
    days = {day.day: day.to_dict() for day in accounts.usage(tenant_id, first, last)}
    key_ids = [key.key_id for key in accounts.keys_of(tenant_id)] if keys is not None else []
    requests = keys.requests(key_ids, first, last) if keys is not None and key_ids else None
    for day, count in (requests or {}).items():
        if count:
            days.setdefault(day, usage.UsageDay(tenant_id, day, {}).to_dict())
    listed = [days[day] | {"api_requests": None if requests is None else requests.get(day, 0)} for day in sorted(days)]
    totals: dict[str, Any] = {name: sum(day[name] for day in listed) for name in usage.COUNTERS}
    totals["api_requests"] = None if requests is None else sum(requests.values())
    return {"tenant": tenant_id, "from": first, "to": last, "days": listed, "totals": totals}

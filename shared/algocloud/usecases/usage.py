"""A tenant's metered usage per day: what it is billed on (GET /usage, and the operator's report)."""

from __future__ import annotations

from ..domain import accounts as usage
from ..domain.ports import Accounts, KeyGateway


def usage_report(
    accounts: Accounts,
    keys: KeyGateway | None,
    tenant_id: str,
    first_day: str | None = None,
    last_day: str | None = None,
) -> usage.UsageReport:
    """A tenant's usage per day, with the API requests API Gateway counted for its keys where it
    counts them."""
    first, last = usage.day_range(first_day, last_day)
    key_ids = [key.key_id for key in accounts.keys_of(tenant_id)] if keys is not None else []
    requests = keys.requests(key_ids, first, last) if keys is not None and key_ids else None
    return usage.UsageReport(tenant_id, first, last, accounts.usage(tenant_id, first, last), requests)

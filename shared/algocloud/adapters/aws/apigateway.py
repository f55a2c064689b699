"""API keys in API Gateway: created in the deployment's usage plan, disabled when revoked, and
the plan's per-day request counts (GetUsage) for metering."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import cached_property
from typing import Any


class ApiGatewayKeys:
    def __init__(self, apigateway_client: Callable[[], Any], usage_plan_id: str):
        self._make_client = apigateway_client  # built on first use: most requests never need it
        self._plan = usage_plan_id

    @cached_property
    def _api(self) -> Any:
        return self._make_client()

    def create_key(self, name: str, value: str) -> str:
        key_id = self._api.create_api_key(name=name, value=value, enabled=True)["id"]
        self._api.create_usage_plan_key(usagePlanId=self._plan, keyId=key_id, keyType="API_KEY")
        return str(key_id)

    def disable_key(self, key_id: str) -> None:
        self._api.update_api_key(
            apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
        )

    def requests(self, key_ids: Sequence[str], first_day: str, last_day: str) -> dict[str, int] | None:
        """GetUsage answers, per key, one [used, remaining] pair per day from startDate."""
        try:
            answer = self._api.get_usage(usagePlanId=self._plan, startDate=first_day, endDate=last_day, limit=1000)
        except self._api.exceptions.ClientError:
            return None  # e.g. the local emulation, which does not count
        start = date.fromisoformat(answer.get("startDate", first_day))
        per_day: dict[str, int] = {}
        for key_id, days in answer.get("items", {}).items():
            if key_id in key_ids:
                for offset, (used, _remaining) in enumerate(days):
                    day = (start + timedelta(days=offset)).isoformat()
                    per_day[day] = per_day.get(day, 0) + int(used)
        return per_day

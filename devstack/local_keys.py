"""API keys of the local AWS emulation: a usage plan in moto's API Gateway, the keys in it (as
the operator CLI issues them), kept across restarts, and read by the API Gateway emulator.

moto keeps everything in memory and gives a new key a random id; the tenant records in the table
refer to key ids, so a restart restores each key under its old id (moto's custom-id manager,
in the process that runs the moto server).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

USAGE_PLAN_NAME = "algocloud-local"
USAGE_PLAN_ID = "localplan1"
REFRESH_SECONDS = 1.0


def ensure_usage_plan(apigateway, rate: float, burst: int, daily_quota: int) -> str:
    """The local usage plan (fixed id, so the operator's USAGE_PLAN_ID never changes)."""
    from moto.apigateway.utils import ApigwUsagePlanIdentifier
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.utilities.id_generator import moto_id_manager

    for plan in apigateway.get_usage_plans()["items"]:
        if plan["name"] == USAGE_PLAN_NAME:
            return str(plan["id"])
    moto_id_manager.set_custom_id(
        ApigwUsagePlanIdentifier(DEFAULT_ACCOUNT_ID, _region(apigateway), USAGE_PLAN_NAME), USAGE_PLAN_ID
    )
    plan = apigateway.create_usage_plan(
        name=USAGE_PLAN_NAME,
        throttle={"rateLimit": rate, "burstLimit": burst},
        quota={"limit": daily_quota, "period": "DAY"},
    )
    return str(plan["id"])


def _region(client) -> str:
    return str(client.meta.region_name)


def _all_keys(apigateway, plan_id: str) -> list[dict[str, Any]]:
    """Every API key with its value, marked `in_plan` when it is in the usage plan."""
    in_plan = {key["id"] for key in apigateway.get_usage_plan_keys(usagePlanId=plan_id, limit=500)["items"]}
    return [
        key | {"in_plan": key["id"] in in_plan}
        for key in apigateway.get_api_keys(includeValues=True, limit=500)["items"]
    ]


def plan_keys(apigateway, plan_id: str) -> dict[str, str]:
    """{value: key id} of the enabled keys in the plan."""
    return {key["value"]: key["id"] for key in _all_keys(apigateway, plan_id) if key["in_plan"] and key.get("enabled")}


class KeySource(Mapping[str, str]):
    """The emulator's view of the plan's keys ({value: key id}), re-read at most once a second,
    and at once for a value it does not know (a key just issued). A revoked key is refused by
    the API at once anyway: it checks the key's record on every request."""

    def __init__(self, apigateway, plan_id: str):
        self._api, self._plan = apigateway, plan_id
        self._lock = threading.Lock()
        self._keys: dict[str, str] = {}
        self._read_at = float("-inf")

    def _current(self, refresh: bool = False) -> dict[str, str]:
        with self._lock:
            if refresh or time.monotonic() - self._read_at > REFRESH_SECONDS:
                self._keys, self._read_at = plan_keys(self._api, self._plan), time.monotonic()
            return self._keys

    def __getitem__(self, value: str) -> str:
        keys = self._current()
        return keys[value] if value in keys else self._current(refresh=True)[value]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


def save_keys(apigateway, plan_id: str, path: Path) -> None:
    keys = [
        {
            "id": k["id"],
            "value": k["value"],
            "name": k.get("name"),
            "enabled": k.get("enabled", False),
            "in_plan": k["in_plan"],
        }
        for k in _all_keys(apigateway, plan_id)
    ]
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(keys))
    temporary.replace(path)


def restore_keys(apigateway, plan_id: str, path: Path) -> int:
    """Recreate the saved keys under their old ids: how many."""
    from moto.apigateway.utils import ApigwApiKeyIdentifier
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.utilities.id_generator import moto_id_manager

    if not path.exists():
        return 0
    saved: list[dict[str, Any]] = json.loads(path.read_text())
    for key in saved:
        identifier = ApigwApiKeyIdentifier(DEFAULT_ACCOUNT_ID, _region(apigateway), key["value"])
        moto_id_manager.set_custom_id(identifier, key["id"])
        try:
            apigateway.create_api_key(name=key["name"] or key["id"], value=key["value"], enabled=key["enabled"])
        finally:
            moto_id_manager.unset_custom_id(identifier)
        if key["in_plan"]:
            apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
    return len(saved)

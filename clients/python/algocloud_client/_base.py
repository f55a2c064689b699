"""What `Client` and `AsyncClient` share: the operations (_flows.py) and how a call is addressed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._flows import Call, Operations

DEFAULT_URL = "http://127.0.0.1:8051/api/v1"


class _Base:
    def __init__(self, base_url: str, api_key: str | None, retries: int):
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._ops = Operations(retries)

    def _request_of(self, call: Call) -> tuple[str, str, dict[str, Any]]:
        """An absolute URL is presigned storage: it gets no API key."""
        if call.url.startswith(("http://", "https://")):
            return call.method, call.url, call.options
        headers = {"x-api-key": self._api_key} if self._api_key else {}
        return call.method, f"{self.base_url}{call.url}", {"headers": headers, **call.options}


def _experiment_body(
    name: str,
    algorithm: str,
    datasets: Sequence[str],
    grid: dict[str, list[Any]] | None,
    parameter_sets: list[dict[str, Any]] | None,
    params: dict[str, Any] | None,
    repetitions: int,
    baseline_scenario: str | None,
    baseline_set: int | None,
    accept: Sequence[str],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "dataset_keys": list(datasets),
        "algo_name": algorithm,
        "algo_params": params or {},
        "repetitions": repetitions,
        "accept": list(accept),
    }
    optional = {"grid": grid, "parameter_sets": parameter_sets, "baseline_scenario": baseline_scenario}
    body |= {key: value for key, value in optional.items() if value is not None}
    if baseline_set is not None:
        body["baseline_set"] = baseline_set
    return body

"""What `Client` and `AsyncClient` share: the operations (_flows.py) and how a call is addressed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._flows import Call, Operations

DEFAULT_URL = "http://127.0.0.1:8051/api/v1"


TENANT_HEADER = "x-algocloud-tenant"


class _Base:
    """Credentials, one of: `api_key` (a server's; sent as `x-api-key`, and as the bearer value
    where sign-in is on), `token` (a person's sign-in token) or `token_provider` (called before each
    request: it answers a valid token, refreshing it as needed; see `signin.stored_tokens`);
    `tenant`: which of their tenants a person in several acts in."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        retries: int,
        token: str | None = None,
        token_provider: Callable[[], str] | None = None,
        tenant: str | None = None,
    ):
        if sum(x is not None for x in (api_key, token, token_provider)) > 1:
            raise ValueError("give one of api_key, token and token_provider")
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._token_provider = token_provider or ((lambda: token) if token else None)
        self._tenant = tenant
        self._ops = Operations(retries)

    def _headers(self) -> dict[str, str]:
        headers = {TENANT_HEADER: self._tenant} if self._tenant else {}
        if self._api_key:
            headers |= {"x-api-key": self._api_key, "Authorization": f"Bearer {self._api_key}"}
        elif self._token_provider is not None:
            headers["Authorization"] = f"Bearer {self._token_provider()}"
        return headers

    def _request_of(self, call: Call) -> tuple[str, str, dict[str, Any]]:
        """An absolute URL is presigned storage: it gets no credentials."""
        if call.url.startswith(("http://", "https://")):
            return call.method, call.url, call.options
        return call.method, f"{self.base_url}{call.url}", {"headers": self._headers(), **call.options}


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

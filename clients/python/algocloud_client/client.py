"""A synchronous httpx client over the HTTP contract, with retries on 429/503 and the direct-upload flow."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

RETRY_STATUSES = (429, 502, 503, 504)


class ApiError(Exception):
    """An answer of 4xx/5xx: its status and the API's `detail`."""

    def __init__(self, status: int, detail: Any):
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class Client:
    def __init__(self, base_url: str = "http://127.0.0.1:8051/api/v1", api_key: str | None = None,
                 timeout: float = 30.0, retries: int = 4, http: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self._headers = {"x-api-key": api_key} if api_key else {}
        self._http = http or httpx.Client(timeout=timeout)

    # -- transport ----------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call, retried on throttling and unavailability with the server's Retry-After or
        exponential backoff; ApiError for any other 4xx/5xx."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        headers = {**self._headers, **kwargs.pop("headers", {})}
        for attempt in range(self.retries + 1):
            response = self._http.request(method, url, headers=headers, **kwargs)
            if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                break
            retry_after = response.headers.get("retry-after", "")
            time.sleep(float(retry_after) if retry_after.replace(".", "", 1).isdigit() else min(8.0, 0.25 * 2**attempt))
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, detail)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    # -- sessions -----------------------------------------------------------------------------
    def sessions(self) -> dict[str, Any]:
        return self._json("GET", "/sessions")

    def create_session(self, name: str) -> dict[str, Any]:
        return self._json("POST", "/sessions", json={"display_name": name})

    def copy_session(self, sid: str, name: str) -> dict[str, Any]:
        return self._json("POST", f"/sessions/{sid}/copy", json={"new_display_name": name})

    def delete_session(self, sid: str) -> dict[str, Any]:
        return self._json("DELETE", f"/sessions/{sid}")

    # -- scenarios ----------------------------------------------------------------------------
    def scenarios(self, sid: str, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Every scenario; with `page_size`, fetched a page at a time (X-Next-Cursor)."""
        params: dict[str, Any] = {"limit": page_size} if page_size else {}
        while True:
            response = self._request("GET", f"/sessions/{sid}/scenarios", params=params)
            yield from response.json()
            cursor = response.headers.get("x-next-cursor")
            if not page_size or cursor is None:
                return
            params = {"limit": page_size, "cursor": cursor}

    def create_scenario(self, sid: str, tag: str, dataset_key: str, algorithm: str,
                        algo_params: dict[str, Any] | None = None,
                        data_params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._json("POST", f"/sessions/{sid}/scenarios", json={
            "tag": tag, "dataset_key": dataset_key, "algo_name": algorithm,
            "algo_params": algo_params, "data_params": data_params})

    def scenario(self, sid: str, scenario_id: str) -> dict[str, Any]:
        return self._json("GET", f"/sessions/{sid}/scenarios/{scenario_id}")

    def status(self, sid: str, scenario_id: str) -> dict[str, Any]:
        return self._json("GET", f"/sessions/{sid}/scenarios/{scenario_id}/status")

    def run(self, sid: str, scenario_id: str) -> dict[str, Any]:
        return self._json("POST", f"/sessions/{sid}/scenarios/{scenario_id}/run")

    def cancel(self, sid: str, scenario_id: str) -> dict[str, Any]:
        return self._json("POST", f"/sessions/{sid}/scenarios/{scenario_id}/cancel")

    def reset(self, sid: str, scenario_id: str) -> dict[str, Any]:
        return self._json("POST", f"/sessions/{sid}/scenarios/{scenario_id}/reset")

    def compare(self, sid: str, scenario_ids: Sequence[str], baseline: str | None = None) -> dict[str, Any]:
        params = {"ids": ",".join(scenario_ids)} | ({"baseline": baseline} if baseline else {})
        return self._json("GET", f"/sessions/{sid}/scenarios/compare", params=params)

    def wait(self, sid: str, scenario_id: str, poll: float = 0.5, timeout: float | None = None,
             on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Poll `…/status` until complete or failed (`on_progress` sees each answer); the full scenario."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.status(sid, scenario_id)
            if on_progress is not None:
                on_progress(status)
            if status["status"] in ("complete", "failed"):
                return self.scenario(sid, scenario_id)
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"scenario {scenario_id} is still {status['status']}")
            time.sleep(poll)

    # -- data ---------------------------------------------------------------------------------
    def datasets(self, sid: str) -> list[str]:
        return self._json("GET", f"/sessions/{sid}/data")["keys"]

    def dataset(self, sid: str, key: str) -> dict[str, Any]:
        """A dataset's DataSource JSON, from storage when the API redirects there (307)."""
        response = self._request("GET", f"/sessions/{sid}/data/{key}", follow_redirects=False)
        if response.status_code == 307:
            response = self._http.get(response.headers["location"])  # presigned: no API key
            response.raise_for_status()
        return response.json()

    def rows(self, sid: str, key: str, table: str, offset: int = 0, limit: int = 200) -> dict[str, Any]:
        return self._json("GET", f"/sessions/{sid}/data/{key}/tables/{table}/rows",
                          params={"offset": offset, "limit": limit})

    def upload(self, sid: str, content: bytes | Path, filename: str | None = None) -> str:
        """Send a file straight to storage (form POST, or parts then complete): its upload id."""
        if isinstance(content, Path):
            filename, content = filename or content.name, content.read_bytes()
        if not filename:
            raise ValueError("name the file (its extension says how to read it)")
        target = self._json("POST", f"/sessions/{sid}/uploads", json={"filename": filename, "size": len(content)})
        if target["method"] == "POST":
            self._http.post(target["url"], data=target["fields"],
                            files={"file": (filename, content)}).raise_for_status()
        else:
            size, parts = target["part_size"], []
            for part in target["parts"]:
                start = (part["part_number"] - 1) * size
                sent = self._http.put(part["url"], content=content[start:start + size])
                sent.raise_for_status()
                parts.append({"part_number": part["part_number"], "etag": sent.headers["etag"]})
            self._json("POST", f"/sessions/{sid}/uploads/{target['upload_id']}/complete", json={"parts": parts})
        return target["upload_id"]

    def etl(self, sid: str, dataset_name: str, files: Sequence[Path], poll: float = 0.5) -> dict[str, Any]:
        """Upload the files and ETL them into `dataset_name`: the ETL response (a job's, when it was one)."""
        ids = [self.upload(sid, path) for path in files]
        response = self._request("POST", f"/sessions/{sid}/etl", json={"dataset_name": dataset_name, "uploads": ids})
        if response.status_code != 202:
            return response.json()
        job = response.json()
        while job["status"] not in ("complete", "failed"):
            time.sleep(poll)
            job = self._json("GET", f"/sessions/{sid}/etl/{job['job_id']}")
        if job["result"] is None:
            raise ApiError(422, job["detail"])
        return job["result"]

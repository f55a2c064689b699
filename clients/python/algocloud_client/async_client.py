"""`AsyncClient` (httpx.AsyncClient): `Client`'s operations (_flows.py), run with asyncio."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

import httpx

from . import models as m
from ._base import DEFAULT_URL, _Base, _experiment_body
from ._flows import CLOSED, Call, Flow, Open, Pause, Receive, ScenarioPage, Send
from .progress import StatusCallback, bytes_bar, experiment_bar, run_bar

T = TypeVar("T")


async def _async_socket_step(sockets: list[Any], step: Open | Send | Receive) -> Any:
    """`_socket_step` with websockets' asyncio client."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, WebSocketException

    if isinstance(step, Open):
        try:
            sockets.append(await connect(step.url, open_timeout=10, max_size=2**20))
        except (OSError, TimeoutError, WebSocketException):
            return None
        return len(sockets) - 1
    socket = sockets[step.socket]
    try:
        if isinstance(step, Send):
            await socket.send(step.text)
            return None
        message = await asyncio.wait_for(socket.recv(), step.timeout)
    except TimeoutError:
        return None
    except ConnectionClosed:
        return CLOSED
    return message if isinstance(message, str) else message.decode()


class AsyncClient(_Base):
    """`Client`'s operations for asyncio (httpx.AsyncClient): `await api.sessions()`, and so on."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        api_key: str | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        http: httpx.AsyncClient | None = None,
        *,
        token: str | None = None,
        token_provider: Callable[[], str] | None = None,
        tenant: str | None = None,
    ):
        super().__init__(base_url, api_key, retries, token, token_provider, tenant)
        self._http = http or httpx.AsyncClient(timeout=timeout)

    async def _run(self, flow: Flow[T]) -> T:
        sockets: list[Any] = []
        try:
            step = next(flow)
            while True:
                if isinstance(step, Pause):
                    await asyncio.sleep(step.seconds)
                    step = flow.send(None)
                elif isinstance(step, Call):
                    method, url, options = self._request_of(step)
                    step = flow.send(await self._http.request(method, url, **options))
                else:
                    step = flow.send(await _async_socket_step(sockets, step))
        except StopIteration as finished:
            return finished.value
        finally:
            flow.close()  # a transport error ends the flow too (its open file is closed)
            for socket in sockets:
                await socket.close()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # catalogue and sessions
    async def health(self) -> m.Health:
        return await self._run(self._ops.health())

    async def audit(
        self, since: str | None = None, actor: str | None = None, operation: str | None = None, limit: int = 1000
    ) -> list[m.AuditEntry]:
        return await self._run(self._ops.audit(since, actor, operation, limit))

    async def me(self) -> m.Me:
        return await self._run(self._ops.me())

    async def algorithms(self, sid: str) -> list[str]:
        return await self._run(self._ops.algorithms(sid))

    async def algorithm_parameters(self, sid: str, name: str) -> m.AlgorithmParameters:
        return await self._run(self._ops.algorithm_parameters(sid, name))

    async def kpis(self, sid: str) -> list[str]:
        return await self._run(self._ops.kpis(sid))

    async def sessions(self) -> m.SessionList:
        return await self._run(self._ops.sessions())

    async def create_session(self, name: str) -> m.SessionList:
        return await self._run(self._ops.create_session(name))

    async def copy_session(self, sid: str, name: str) -> m.SessionList:
        return await self._run(self._ops.copy_session(sid, name))

    async def rename_session(self, sid: str, name: str) -> m.SessionRef:
        return await self._run(self._ops.rename_session(sid, name))

    async def delete_session(self, sid: str) -> m.SessionList:
        return await self._run(self._ops.delete_session(sid))

    # scenarios
    async def scenarios(self, sid: str, page_size: int | None = None) -> list[m.Scenario]:
        return await self._run(self._ops.scenarios(sid, page_size))

    async def scenario_page(self, sid: str, limit: int, cursor: str | None = None) -> ScenarioPage[m.Scenario]:
        return await self._run(self._ops.scenario_page(sid, limit, cursor))

    async def summaries(self, sid: str, page_size: int = 500) -> list[m.ScenarioSummary]:
        """Every scenario as a summary (`view=summary`: no results), a page at a time."""
        return await self._run(self._ops.summaries(sid, page_size))

    async def summary_page(self, sid: str, limit: int, cursor: str | None = None) -> ScenarioPage[m.ScenarioSummary]:
        return await self._run(self._ops.summary_page(sid, limit, cursor))

    async def create_scenario(
        self,
        sid: str,
        tag: str,
        dataset_key: str,
        algorithm: str,
        algo_params: dict[str, Any] | None = None,
        data_params: dict[str, Any] | None = None,
        tier: str | None = None,
    ) -> m.Scenario:
        return await self._run(
            self._ops.create_scenario(sid, tag, dataset_key, algorithm, algo_params, data_params, tier)
        )

    async def scenario(self, sid: str, scenario_id: str) -> m.Scenario:
        return await self._run(self._ops.scenario(sid, scenario_id))

    async def status(self, sid: str, scenario_id: str) -> m.ScenarioStatus:
        return await self._run(self._ops.status(sid, scenario_id))

    async def processing(self, sid: str) -> m.Scenario | None:
        return await self._run(self._ops.processing(sid))

    async def run(self, sid: str, scenario_id: str) -> m.Scenario:
        return await self._run(self._ops.transition(sid, scenario_id, "run"))

    async def cancel(self, sid: str, scenario_id: str) -> m.Scenario:
        return await self._run(self._ops.transition(sid, scenario_id, "cancel"))

    async def reset(self, sid: str, scenario_id: str) -> m.Scenario:
        return await self._run(self._ops.transition(sid, scenario_id, "reset"))

    async def delete_scenario(self, sid: str, scenario_id: str) -> None:
        await self._run(self._ops.delete_scenario(sid, scenario_id))

    async def compare(self, sid: str, scenario_ids: Sequence[str], baseline: str | None = None) -> m.Comparison:
        return await self._run(self._ops.compare(sid, scenario_ids, baseline))

    async def wait(
        self,
        sid: str,
        scenario_id: str,
        poll: float = 0.5,
        timeout: float | None = None,
        progress: bool = False,
        on_status: StatusCallback | None = None,
    ) -> m.Scenario:
        with run_bar(progress, on_status) as report:
            return await self._run(self._ops.wait(sid, scenario_id, poll, timeout, report))

    # events and webhooks
    async def watch(self, sid: str, on_event: Callable[[dict[str, Any]], bool], scenario_id: str | None = None) -> bool:
        return await self._run(self._ops.events(sid, scenario_id, on_event))

    async def add_webhook(self, url: str, events: Sequence[str] | None = None) -> m.WebhookWithSecret:
        return await self._run(self._ops.add_webhook(url, events))

    async def webhooks(self) -> list[m.Webhook]:
        return await self._run(self._ops.webhooks())

    async def remove_webhook(self, hook_id: str) -> None:
        await self._run(self._ops.remove_webhook(hook_id))

    async def rotate_webhook(self, hook_id: str) -> m.WebhookWithSecret:
        return await self._run(self._ops.rotate_webhook(hook_id))

    async def webhook_deliveries(self, hook_id: str) -> list[m.DeliveryAttempt]:
        return await self._run(self._ops.webhook_deliveries(hook_id))

    # experiments
    async def experiment(
        self,
        sid: str,
        name: str,
        algorithm: str,
        datasets: Sequence[str],
        grid: dict[str, list[Any]] | None = None,
        parameter_sets: list[dict[str, Any]] | None = None,
        params: dict[str, Any] | None = None,
        repetitions: int = 1,
        baseline_scenario: str | None = None,
        baseline_set: int | None = None,
        accept: Sequence[str] = (),
    ) -> m.Experiment:
        """Create an experiment and queue its runs: a `grid` (parameter -> values) or explicit
        `parameter_sets` over `params`, on each dataset, `repetitions` times; `accept` criteria
        like "Travel distance<=+2%" against the baseline (a complete scenario, or a set's index)."""
        body = _experiment_body(
            name,
            algorithm,
            datasets,
            grid,
            parameter_sets,
            params,
            repetitions,
            baseline_scenario,
            baseline_set,
            accept,
        )
        return await self._run(self._ops.create_experiment(sid, body))

    async def get_experiment(self, sid: str, experiment_id: str, accept: Sequence[str] | None = None) -> m.Experiment:
        """Its status and report (judged by `accept` instead of its own criteria, when given)."""
        return await self._run(self._ops.experiment(sid, experiment_id, accept))

    async def experiments(self, sid: str) -> list[m.ExperimentRef]:
        return await self._run(self._ops.experiments(sid))

    async def cancel_experiment(self, sid: str, experiment_id: str) -> m.Experiment:
        return await self._run(self._ops.cancel_experiment(sid, experiment_id))

    async def delete_experiment(self, sid: str, experiment_id: str) -> None:
        await self._run(self._ops.delete_experiment(sid, experiment_id))

    async def wait_experiment(
        self,
        sid: str,
        experiment_id: str,
        poll: float = 1.0,
        timeout: float | None = None,
        progress: bool = False,
        on_report: Callable[[m.Experiment], None] | None = None,
    ) -> m.Experiment:
        """Poll until every run ended (one progress bar for the whole experiment with `progress=True`)."""
        with experiment_bar(progress, on_report) as report:
            return await self._run(self._ops.wait_experiment(sid, experiment_id, poll, timeout, report))

    # data
    async def datasets(self, sid: str) -> list[str]:
        return await self._run(self._ops.datasets(sid))

    async def dataset(self, sid: str, key: str) -> m.DataSourcePayload:
        return await self._run(self._ops.dataset(sid, key))

    async def delete_dataset(self, sid: str, key: str) -> None:
        await self._run(self._ops.delete_dataset(sid, key))

    async def derive_dataset(self, sid: str, key: str, new_key: str) -> list[str]:
        return await self._run(self._ops.derive_dataset(sid, key, new_key))

    async def data_parameters(self, sid: str, key: str) -> m.DataParameters:
        return await self._run(self._ops.data_parameters(sid, key))

    async def tables(self, sid: str, key: str) -> m.DatasetTables:
        return await self._run(self._ops.tables(sid, key))

    async def rows(self, sid: str, key: str, table: str, offset: int = 0, limit: int = 200) -> m.RowsPage:
        return await self._run(self._ops.rows(sid, key, table, offset, limit))

    async def upload(self, sid: str, path: Path, progress: bool = False) -> str:
        with bytes_bar(progress, path.stat().st_size, path.name) as on_sent:
            return await self._run(self._ops.upload(sid, path, on_sent))

    async def etl(
        self, sid: str, dataset_name: str, files: Sequence[Path], poll: float = 0.5, progress: bool = False
    ) -> m.EtlResponse:
        with bytes_bar(progress, sum(path.stat().st_size for path in files), dataset_name) as on_sent:
            return await self._run(self._ops.etl(sid, dataset_name, files, poll, on_sent))

    async def import_json(self, sid: str, path: Path, poll: float = 0.5, progress: bool = False) -> list[str]:
        return await self._run(self._ops.import_json(sid, await self.upload(sid, path, progress), poll))

    async def upload_status(self, sid: str, upload_id: str) -> m.UploadStatus:
        return await self._run(self._ops.upload_status(sid, upload_id))

    async def abort_upload(self, sid: str, upload_id: str) -> None:
        await self._run(self._ops.abort_upload(sid, upload_id))

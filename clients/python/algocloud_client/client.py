"""`Client` (httpx.Client): the operations (_flows.py), typed with the API's own models
(models.py), run synchronously; `AsyncClient` (async_client.py) runs the same ones with asyncio."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

import httpx

from . import models as m
from ._base import DEFAULT_URL, _Base, _experiment_body
from ._flows import CLOSED, Call, Flow, Open, Pause, Receive, ScenarioPage, Send
from .progress import StatusCallback, bytes_bar, experiment_bar, run_bar

T = TypeVar("T")


def _socket_step(sockets: list[Any], step: Open | Send | Receive) -> Any:
    """One WebSocket step of a flow (see _flows.Open), with websockets' threading client."""
    from websockets.exceptions import ConnectionClosed, WebSocketException
    from websockets.sync.client import connect

    if isinstance(step, Open):
        try:
            socket = connect(step.url, open_timeout=10, max_size=2**20)
        except (OSError, TimeoutError, WebSocketException):
            return None  # refused (an expired token, a proxy without WebSockets): the flow polls
        sockets.append(socket.__enter__())  # entered: the flow's runner closes it
        return len(sockets) - 1
    socket = sockets[step.socket]
    try:
        if isinstance(step, Send):
            socket.send(step.text)
            return None
        message = socket.recv(timeout=step.timeout)
    except TimeoutError:
        return None
    except ConnectionClosed:
        return CLOSED
    return message if isinstance(message, str) else message.decode()


class Client(_Base):
    """The API over httpx.Client. Every call raises `ApiError` (status, detail) on a 4xx/5xx;
    429/502/503/504 are retried first (Retry-After, else exponential backoff).

        api = Client("http://127.0.0.1:8051/api/v1", api_key=None)
        sid = api.sessions().default
        scenario = api.create_scenario(sid, "my-run", "Master data", "Slow", {"duration": 5})
        api.run(sid, scenario.id)
        done = api.wait(sid, scenario.id, progress=True)
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        api_key: str | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        http: httpx.Client | None = None,
        *,
        token: str | None = None,
        token_provider: Callable[[], str] | None = None,
        tenant: str | None = None,
    ):
        super().__init__(base_url, api_key, retries, token, token_provider, tenant)
        self._http = http or httpx.Client(timeout=timeout)

    def _run(self, flow: Flow[T]) -> T:
        sockets: list[Any] = []
        try:
            step = next(flow)
            while True:
                if isinstance(step, Pause):
                    time.sleep(step.seconds)
                    step = flow.send(None)
                elif isinstance(step, Call):
                    method, url, options = self._request_of(step)
                    step = flow.send(self._http.request(method, url, **options))
                else:
                    step = flow.send(_socket_step(sockets, step))
        except StopIteration as finished:
            return finished.value
        finally:
            flow.close()  # a transport error ends the flow too (its open file is closed)
            for socket in sockets:
                socket.close()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # catalogue and sessions
    def health(self) -> m.Health:
        return self._run(self._ops.health())

    def audit(
        self, since: str | None = None, actor: str | None = None, operation: str | None = None, limit: int = 1000
    ) -> list[m.AuditEntry]:
        """The tenant's audit log, newest first (admins): `since` an ISO 8601 moment."""
        return self._run(self._ops.audit(since, actor, operation, limit))

    def me(self) -> m.Me:
        """Who this client is to the API: its tenant, its role and what the role allows."""
        return self._run(self._ops.me())

    def algorithms(self, sid: str) -> list[str]:
        return self._run(self._ops.algorithms(sid))

    def algorithm_parameters(self, sid: str, name: str) -> m.AlgorithmParameters:
        return self._run(self._ops.algorithm_parameters(sid, name))

    def kpis(self, sid: str) -> list[str]:
        return self._run(self._ops.kpis(sid))

    def sessions(self) -> m.SessionList:
        return self._run(self._ops.sessions())

    def create_session(self, name: str) -> m.SessionList:
        return self._run(self._ops.create_session(name))

    def copy_session(self, sid: str, name: str) -> m.SessionList:
        return self._run(self._ops.copy_session(sid, name))

    def rename_session(self, sid: str, name: str) -> m.SessionRef:
        return self._run(self._ops.rename_session(sid, name))

    def delete_session(self, sid: str) -> m.SessionList:
        return self._run(self._ops.delete_session(sid))

    # scenarios
    def scenarios(self, sid: str, page_size: int | None = None) -> list[m.Scenario]:
        return self._run(self._ops.scenarios(sid, page_size))

    def scenario_page(self, sid: str, limit: int, cursor: str | None = None) -> ScenarioPage[m.Scenario]:
        return self._run(self._ops.scenario_page(sid, limit, cursor))

    def summaries(self, sid: str, page_size: int = 500) -> list[m.ScenarioSummary]:
        """Every scenario as a summary (`view=summary`: no results), a page at a time."""
        return self._run(self._ops.summaries(sid, page_size))

    def summary_page(self, sid: str, limit: int, cursor: str | None = None) -> ScenarioPage[m.ScenarioSummary]:
        return self._run(self._ops.summary_page(sid, limit, cursor))

    def create_scenario(
        self,
        sid: str,
        tag: str,
        dataset_key: str,
        algorithm: str,
        algo_params: dict[str, Any] | None = None,
        data_params: dict[str, Any] | None = None,
        tier: str | None = None,
    ) -> m.Scenario:
        """`tier`: "lambda" or "container" (see the server's docs/container-tier.md); None: the algorithm's choice."""
        return self._run(self._ops.create_scenario(sid, tag, dataset_key, algorithm, algo_params, data_params, tier))

    def scenario(self, sid: str, scenario_id: str) -> m.Scenario:
        return self._run(self._ops.scenario(sid, scenario_id))

    def status(self, sid: str, scenario_id: str) -> m.ScenarioStatus:
        return self._run(self._ops.status(sid, scenario_id))

    def processing(self, sid: str) -> m.Scenario | None:
        return self._run(self._ops.processing(sid))

    def run(self, sid: str, scenario_id: str) -> m.Scenario:
        return self._run(self._ops.transition(sid, scenario_id, "run"))

    def cancel(self, sid: str, scenario_id: str) -> m.Scenario:
        return self._run(self._ops.transition(sid, scenario_id, "cancel"))

    def reset(self, sid: str, scenario_id: str) -> m.Scenario:
        return self._run(self._ops.transition(sid, scenario_id, "reset"))

    def delete_scenario(self, sid: str, scenario_id: str) -> None:
        self._run(self._ops.delete_scenario(sid, scenario_id))

    def compare(self, sid: str, scenario_ids: Sequence[str], baseline: str | None = None) -> m.Comparison:
        return self._run(self._ops.compare(sid, scenario_ids, baseline))

    def wait(
        self,
        sid: str,
        scenario_id: str,
        poll: float = 0.5,
        timeout: float | None = None,
        progress: bool = False,
        on_status: StatusCallback | None = None,
    ) -> m.Scenario:
        """Follow the scenario's pushed events (polling `…/status` where the server pushes none)
        until complete or failed (a progress bar with `progress=True`): the scenario."""
        with run_bar(progress, on_status) as report:
            return self._run(self._ops.wait(sid, scenario_id, poll, timeout, report))

    # events and webhooks
    def watch(self, sid: str, on_event: Callable[[dict[str, Any]], bool], scenario_id: str | None = None) -> bool:
        """Pushed events of the session (or one scenario) to `on_event` until it returns True (the
        first is the subscription's answer, with the current status); False when the server
        offers no events."""
        return self._run(self._ops.events(sid, scenario_id, on_event))

    def add_webhook(self, url: str, events: Sequence[str] | None = None) -> m.WebhookWithSecret:
        """Register an endpoint for events (every type by default); its `secret` signs deliveries."""
        return self._run(self._ops.add_webhook(url, events))

    def webhooks(self) -> list[m.Webhook]:
        return self._run(self._ops.webhooks())

    def remove_webhook(self, hook_id: str) -> None:
        self._run(self._ops.remove_webhook(hook_id))

    def rotate_webhook(self, hook_id: str) -> m.WebhookWithSecret:
        return self._run(self._ops.rotate_webhook(hook_id))

    def webhook_deliveries(self, hook_id: str) -> list[m.DeliveryAttempt]:
        return self._run(self._ops.webhook_deliveries(hook_id))

    # experiments
    def experiment(
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
        return self._run(self._ops.create_experiment(sid, body))

    def get_experiment(self, sid: str, experiment_id: str, accept: Sequence[str] | None = None) -> m.Experiment:
        """Its status and report (judged by `accept` instead of its own criteria, when given)."""
        return self._run(self._ops.experiment(sid, experiment_id, accept))

    def experiments(self, sid: str) -> list[m.ExperimentRef]:
        return self._run(self._ops.experiments(sid))

    def cancel_experiment(self, sid: str, experiment_id: str) -> m.Experiment:
        return self._run(self._ops.cancel_experiment(sid, experiment_id))

    def delete_experiment(self, sid: str, experiment_id: str) -> None:
        self._run(self._ops.delete_experiment(sid, experiment_id))

    def wait_experiment(
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
            return self._run(self._ops.wait_experiment(sid, experiment_id, poll, timeout, report))

    # data
    def datasets(self, sid: str) -> list[str]:
        return self._run(self._ops.datasets(sid))

    def dataset(self, sid: str, key: str) -> m.DataSourcePayload:
        return self._run(self._ops.dataset(sid, key))

    def delete_dataset(self, sid: str, key: str) -> None:
        self._run(self._ops.delete_dataset(sid, key))

    def derive_dataset(self, sid: str, key: str, new_key: str) -> list[str]:
        return self._run(self._ops.derive_dataset(sid, key, new_key))

    def data_parameters(self, sid: str, key: str) -> m.DataParameters:
        return self._run(self._ops.data_parameters(sid, key))

    def tables(self, sid: str, key: str) -> m.DatasetTables:
        return self._run(self._ops.tables(sid, key))

    def rows(self, sid: str, key: str, table: str, offset: int = 0, limit: int = 200) -> m.RowsPage:
        return self._run(self._ops.rows(sid, key, table, offset, limit))

    def upload(self, sid: str, path: Path, progress: bool = False) -> str:
        """Send a file of any size straight to storage: its upload id."""
        with bytes_bar(progress, path.stat().st_size, path.name) as on_sent:
            return self._run(self._ops.upload(sid, path, on_sent))

    def etl(
        self, sid: str, dataset_name: str, files: Sequence[Path], poll: float = 0.5, progress: bool = False
    ) -> m.EtlResponse:
        """Upload the files (straight to storage when the server offers it) and ETL them into
        `dataset_name`, following the job of a large one; one transfer bar over all files."""
        with bytes_bar(progress, sum(path.stat().st_size for path in files), dataset_name) as on_sent:
            return self._run(self._ops.etl(sid, dataset_name, files, poll, on_sent))

    def import_json(self, sid: str, path: Path, poll: float = 0.5, progress: bool = False) -> list[str]:
        """A DataSource JSON file (as `dataset` returns) becomes a dataset: the session's keys."""
        return self._run(self._ops.import_json(sid, self.upload(sid, path, progress), poll))

    def upload_status(self, sid: str, upload_id: str) -> m.UploadStatus:
        return self._run(self._ops.upload_status(sid, upload_id))

    def abort_upload(self, sid: str, upload_id: str) -> None:
        self._run(self._ops.abort_upload(sid, upload_id))

"""`algocloud`: the command line over the client (pip install "./clients/python[cli]").

    algocloud sessions
    algocloud data upload sku_data.csv warehouse_layout.csv --dataset big
    algocloud data get big > big.json
    algocloud scenarios create my-run --dataset "Master data" --algorithm Slow --param duration=5
    algocloud scenarios run <id> --wait
    algocloud scenarios cancel <id>
    algocloud scenarios compare <id> <id> --baseline <id> --plot kpis.png

Options before the command: --url (env ALGOCLOUD_URL), --api-key (env ALGOCLOUD_API_KEY),
--session (default: the default session), --json (machine-readable output).
"""

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from . import models as m
from ._flows import ApiError
from .client import Client

app = typer.Typer(help=__doc__, no_args_is_help=True)
data_app = typer.Typer(help="Datasets: upload files (any size), read one.", no_args_is_help=True)
scenarios_app = typer.Typer(help="Scenarios: create, run, cancel, compare.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(scenarios_app, name="scenarios")
console = Console()


class State:
    client: Client
    session: str | None = None
    as_json: bool = False

    def sid(self) -> str:
        return self.session or self.client.sessions().default


state = State()


@app.callback()
def main(
    url: Annotated[str, typer.Option(envvar="ALGOCLOUD_URL")] = "http://127.0.0.1:8051/api/v1",
    api_key: Annotated[str | None, typer.Option(envvar="ALGOCLOUD_API_KEY")] = None,
    session: Annotated[str | None, typer.Option(help="session id or name")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    state.client = Client(url, api_key=api_key)
    state.session, state.as_json = session, as_json


def emit(value: BaseModel | Sequence[BaseModel], table: Table | None = None) -> None:
    if state.as_json or table is None:
        items = [value] if isinstance(value, BaseModel) else value
        dumped = [item.model_dump(mode="json", exclude_unset=True) for item in items]
        typer.echo(json.dumps(dumped[0] if isinstance(value, BaseModel) else dumped, indent=2))
    else:
        console.print(table)


def _failing(function):
    """ApiError -> its detail on stderr and exit code 1 (not a traceback)."""

    @functools.wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ApiError as exc:
            typer.echo(f"error {exc.status}: {exc.detail}", err=True)
            raise typer.Exit(1) from None

    return wrapped


@app.command()
@_failing
def sessions() -> None:
    """The sessions, the default one first."""
    listed = state.client.sessions()
    table = Table("id", "name", "default")
    for session in listed.sessions:
        table.add_row(session.id, session.display_name, "*" if session.id == listed.default else "")
    emit(listed, table)


@data_app.command("upload")
@_failing
def data_upload(files: list[Path], dataset: Annotated[str, typer.Option(help="the dataset's key")]) -> None:
    """Upload files straight to storage and ETL them into a dataset (a job, when large)."""
    answer = state.client.etl(state.sid(), dataset, files, progress=not state.as_json)
    table = Table("level", "message", "file")
    for message in answer.messages:
        table.add_row(message.level, message.text, message.file or "")
    emit(answer, table)
    if not answer.success:
        raise typer.Exit(1)


@data_app.command("get")
@_failing
def data_get(key: str) -> None:
    """A dataset's DataSource JSON on standard output."""
    typer.echo(state.client.dataset(state.sid(), key).model_dump_json())


@scenarios_app.command("list")
@_failing
def scenarios_list() -> None:
    """The session's scenarios as summaries (their KPIs, no results), oldest first."""
    summaries = state.client.summaries(state.sid())
    kpi_names = [name for s in summaries[:1] for name in s.kpis]
    table = Table("id", "tag", "algorithm", "status", "progress", *kpi_names)
    for s in summaries:
        values = [s.kpis[name].value for name in kpi_names]
        kpis = ["-" if v is None else f"{v:.4g}" for v in values]
        table.add_row(s.id, s.tag, s.algorithm.name, s.status, f"{s.progress:.0%}", *kpis)
    emit(summaries, table)


@scenarios_app.command("create")
@_failing
def scenarios_create(
    tag: str,
    dataset: Annotated[str, typer.Option()],
    algorithm: Annotated[str, typer.Option()],
    param: Annotated[list[str] | None, typer.Option(help="name=value (value as JSON)")] = None,
    tier: Annotated[str | None, typer.Option(help="lambda or container (default: the algorithm's choice)")] = None,
) -> None:
    """Create a scenario."""
    params: dict[str, Any] = {}
    for item in param or []:
        name, _, raw = item.partition("=")
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw
    scenario = state.client.create_scenario(state.sid(), tag, dataset, algorithm, params or None, tier=tier)
    emit(scenario, _scenario_table([scenario]))


@scenarios_app.command("run")
@_failing
def scenarios_run(scenario_id: str, wait: Annotated[bool, typer.Option(help="follow it to the end")] = False) -> None:
    """Queue a scenario; with --wait, follow its progress until complete or failed."""
    sid = state.sid()
    scenario = state.client.run(sid, scenario_id)
    if wait:
        scenario = state.client.wait(sid, scenario_id, progress=not state.as_json)
    emit(scenario, _scenario_table([scenario]))
    if scenario.status == m.Status.FAILED:
        raise typer.Exit(1)


@scenarios_app.command("cancel")
@_failing
def scenarios_cancel(scenario_id: str) -> None:
    """Cancel a queued or processing run."""
    scenario = state.client.cancel(state.sid(), scenario_id)
    emit(scenario, _scenario_table([scenario]))


@scenarios_app.command("compare")
@_failing
def scenarios_compare(
    scenario_ids: list[str],
    baseline: Annotated[str | None, typer.Option()] = None,
    plot: Annotated[Path | None, typer.Option(help="write a KPI chart (PNG)")] = None,
) -> None:
    """Compare 2 to 20 scenarios by KPI; --plot draws one bar chart per KPI."""
    compared = state.client.compare(state.sid(), scenario_ids, baseline)
    tags = {s.id: s.tag for s in compared.scenarios}
    table = Table("KPI", *[tags[row.id] for row in compared.ranking], "better")
    for kpi in compared.kpis:
        table.add_row(f"{kpi.name} ({kpi.unit})", *[_cell(kpi, row.id) for row in compared.ranking], kpi.better_when)
    emit(compared, table)
    if plot is not None:
        plot_comparison(compared, plot)


def _cell(kpi: m.KpiComparison, scenario_id: str) -> str:
    value = kpi.values.get(scenario_id)
    text = "-" if value is None else f"{value:.4g}"
    return f"[bold]{text}[/bold]" if scenario_id in kpi.best else text


def _scenario_table(scenarios: list[m.Scenario]) -> Table:
    table = Table("id", "tag", "algorithm", "status", "progress", "error")
    for s in scenarios:
        table.add_row(s.id, s.tag, s.algorithm.name, s.status, f"{s.progress:.0%}", s.error or "")
    return table


def plot_comparison(compared: m.Comparison, path: Path) -> None:
    """One bar chart per KPI: a bar per compared scenario, the best highlighted, the threshold drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = [row.id for row in compared.ranking]
    tags = {s.id: s.tag for s in compared.scenarios}
    kpis = compared.kpis
    figure, axes = plt.subplots(1, max(1, len(kpis)), figsize=(4 * max(1, len(kpis)), 3.5), squeeze=False)
    for axis, kpi in zip(axes[0], kpis, strict=False):
        values = [kpi.values.get(sid) or 0.0 for sid in ranked]
        colours = ["tab:green" if sid in kpi.best else "tab:gray" for sid in ranked]
        axis.bar([tags[sid] for sid in ranked], values, color=colours)
        axis.set_title(f"{kpi.name} ({kpi.better_when.value} is better)", fontsize=9)
        axis.set_ylabel(kpi.unit)
        if kpi.threshold is not None:
            axis.axhline(kpi.threshold, color="tab:red", linestyle="--", linewidth=1)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)

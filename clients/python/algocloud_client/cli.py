"""`algocloud`: the command line over the client (pip install "./clients/python[cli]").

    algocloud sessions
    algocloud data upload sku_data.csv warehouse_layout.csv --dataset big
    algocloud data get big > big.json
    algocloud scenarios create my-run --dataset "Master data" --algorithm Slow --param duration=5
    algocloud scenarios run <id> --wait
    algocloud scenarios cancel <id>
    algocloud scenarios compare <id> <id> --baseline <id> --plot kpis.png
    algocloud audit --since 1d --actor <key id>
    algocloud login                  # where the API asks for sign-in: in the browser, then kept
    algocloud logout

Options before the command: --url (env ALGOCLOUD_URL), --api-key (env ALGOCLOUD_API_KEY; else
the sign-in `algocloud login` kept for the URL), --tenant (env ALGOCLOUD_TENANT: for a person in
several), --session (default: the default session), --json (machine-readable output).
"""

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import httpx
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
experiments_app = typer.Typer(help="Experiments: parameter sweeps run in parallel, reported.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(experiments_app, name="experiments")
webhooks_app = typer.Typer(help="Webhooks: the tenant's endpoints for events, signed.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
console = Console()


class State:
    client: Client
    url: str = ""
    session: str | None = None
    as_json: bool = False

    def sid(self) -> str:
        return self.session or self.client.sessions().default


state = State()


@app.callback()
def main(
    url: Annotated[str, typer.Option(envvar="ALGOCLOUD_URL")] = "http://127.0.0.1:8051/api/v1",
    api_key: Annotated[str | None, typer.Option(envvar="ALGOCLOUD_API_KEY")] = None,
    tenant: Annotated[str | None, typer.Option(envvar="ALGOCLOUD_TENANT", help="for a person in several")] = None,
    session: Annotated[str | None, typer.Option(help="session id or name")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    from .signin import stored_tokens

    provider = None if api_key else stored_tokens(url)
    state.client = Client(url, api_key=api_key, token_provider=provider, tenant=tenant)
    state.url, state.session, state.as_json = url, session, as_json


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
def login(
    port: Annotated[int, typer.Option(help="the loopback port the provider sends you back to")] = 8765,
    browser: Annotated[bool, typer.Option(help="open the browser (else: open the printed address yourself)")] = True,
) -> None:
    """Sign in where the API asks for it: the browser opens on the sign-in page; the tokens are kept
    in your config folder (0600) and renewed as they expire."""
    from .signin import SignInError, sign_in_and_say_who

    try:
        typer.echo(sign_in_and_say_who(state.url, port, browser, state.client._tenant))
    except (SignInError, httpx.HTTPError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def logout() -> None:
    """Forget the sign-in kept for this API."""
    from .signin import logout as sign_out

    typer.echo("signed out" if sign_out(state.url) else "nobody was signed in here")


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
    params = {name: _value(raw) for name, _, raw in (item.partition("=") for item in param or [])}
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


def _value(raw: str) -> Any:
    """A parameter value from the command line: JSON where it parses (5, true, "x"), else the text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@experiments_app.command("run")
@_failing
def experiments_run(
    algorithm: Annotated[str, typer.Option()],
    dataset: Annotated[list[str], typer.Option(help="a dataset key (repeat for more)")],
    name: Annotated[str | None, typer.Option(help="default: the algorithm and the grid")] = None,
    grid: Annotated[list[str] | None, typer.Option(help="name=v1,v2,... (repeat: every combination)")] = None,
    param: Annotated[list[str] | None, typer.Option(help="name=value: a base value of every run")] = None,
    repeat: Annotated[int, typer.Option(help="runs per parameter set (the seed counts up)")] = 1,
    baseline: Annotated[str | None, typer.Option(help="a complete scenario's id to judge against")] = None,
    baseline_set: Annotated[int | None, typer.Option(help="or the index of one of the parameter sets")] = None,
    accept: Annotated[list[str] | None, typer.Option(help='criterion, e.g. "Travel distance<=+2%"')] = None,
    wait: Annotated[bool, typer.Option(help="follow it to the end (one progress bar)")] = False,
) -> None:
    """Create an experiment and queue its runs (they run in parallel)."""
    swept = {n: [_value(v) for v in raw.split(",")] for n, _, raw in (g.partition("=") for g in grid or [])}
    params = {n: _value(raw) for n, _, raw in (p.partition("=") for p in param or [])}
    label = name or (f"{algorithm}: " + " x ".join(swept) if swept else algorithm)
    sid = state.sid()
    made = state.client.experiment(
        sid, label, algorithm, dataset, swept or None, None, params, repeat, baseline, baseline_set, accept or ()
    )
    if wait:
        made = state.client.wait_experiment(sid, made.id, progress=not state.as_json)
    emit(made, _experiment_table(made))


@experiments_app.command("report")
@_failing
def experiments_report(
    experiment_id: str,
    accept: Annotated[list[str] | None, typer.Option(help="judge by these criteria instead")] = None,
    plot: Annotated[Path | None, typer.Option(help="a PNG: each KPI against the parameter sets")] = None,
) -> None:
    """An experiment's status and report: per parameter set the KPIs over its runs and the verdict."""
    report = state.client.get_experiment(state.sid(), experiment_id, accept)
    if plot is not None:
        plot_experiment(report, plot)
    emit(report, _experiment_table(report))


@experiments_app.command("list")
@_failing
def experiments_list() -> None:
    """The session's experiments."""
    listed = state.client.experiments(state.sid())
    table = Table("id", "name", "algorithm", "runs", "created")
    for e in listed:
        table.add_row(e.id, e.name, e.algorithm, str(e.runs), e.created_at)
    emit(listed, table)


@experiments_app.command("cancel")
@_failing
def experiments_cancel(experiment_id: str) -> None:
    """Cancel every queued and running run."""
    report = state.client.cancel_experiment(state.sid(), experiment_id)
    emit(report, _experiment_table(report))


@experiments_app.command("delete")
@_failing
def experiments_delete(experiment_id: str) -> None:
    """Cancel the experiment and delete it with its runs."""
    state.client.delete_experiment(state.sid(), experiment_id)


def _set_label(parameters: dict[str, Any], swept: list[str]) -> str:
    return ", ".join(f"{name}={parameters[name]}" for name in swept) or "base"


def _swept(report: m.Experiment) -> list[str]:
    """The parameters whose value differs between sets (what the sweep is over)."""
    sets = [s.parameters for s in report.parameter_sets]
    return [name for name in sets[0] if any(s.get(name) != sets[0][name] for s in sets)] if sets else []


def _experiment_table(report: m.Experiment) -> Table:
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts.items()))
    kpi_names = list(report.parameter_sets[0].kpis) if report.parameter_sets else []
    table = Table("set", "parameters", "rank", *kpi_names, "accepted", title=f"{report.name}: {counts}")
    swept = _swept(report)
    for entry in sorted(report.parameter_sets, key=lambda e: report.ranking.index(e.index)):
        cells = []
        for name in kpi_names:
            stats = entry.kpis[name]
            cells.append("-" if stats.mean is None else f"{stats.mean:.4g} ± {stats.stdev or 0:.2g}")
        verdict = {True: "yes", False: "NO", None: "-"}[entry.acceptance.passed]
        rank = "-" if entry.rank is None else f"{entry.rank:.2f}"
        table.add_row(str(entry.index), _set_label(entry.parameters, swept), rank, *cells, verdict)
    return table


def plot_experiment(report: m.Experiment, path: Path) -> None:
    """One panel per KPI: its mean per parameter set (min to max as an error bar), the baseline's
    value and, where a criterion names the KPI, the band its tolerance allows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    swept = _swept(report)
    labels = [_set_label(entry.parameters, swept) for entry in report.parameter_sets]
    kpi_names = list(report.parameter_sets[0].kpis) if report.parameter_sets else []
    criteria = {c.kpi: c for c in report.criteria}
    figure, axes = plt.subplots(1, max(1, len(kpi_names)), figsize=(4.5 * max(1, len(kpi_names)), 4), squeeze=False)
    for axis, name in zip(axes[0], kpi_names, strict=False):
        stats = [entry.kpis[name] for entry in report.parameter_sets]
        means = [s.mean or 0.0 for s in stats]
        below = [max(0.0, (s.mean or 0.0) - (s.min if s.min is not None else 0.0)) for s in stats]
        above = [max(0.0, (s.max if s.max is not None else 0.0) - (s.mean or 0.0)) for s in stats]
        axis.errorbar(range(len(labels)), means, yerr=[below, above], fmt="o", color="tab:blue", capsize=3)
        base = report.baseline.kpis.get(name)
        if base is not None:
            axis.axhline(base, color="tab:gray", linestyle="--", linewidth=1)
            criterion = criteria.get(name)
            if criterion is not None:
                allowed = criterion.tolerance * abs(base) if criterion.relative else criterion.tolerance
                axis.axhspan(base - allowed, base + allowed, color="tab:green", alpha=0.15)
        axis.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=7)
        axis.set_title(name, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


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


@app.command()
@_failing
def watch(
    session: Annotated[
        str | None, typer.Argument(help="session id or name (default: --session, or the default)")
    ] = None,
    scenario: Annotated[str | None, typer.Option(help="follow one scenario, until it ends")] = None,
    count: Annotated[int | None, typer.Option(help="stop after this many events")] = None,
) -> None:
    """Print the session's events live as they are pushed (Ctrl-C stops)."""
    sid = session or state.sid()
    seen = 0

    def show(event: dict[str, Any]) -> bool:
        nonlocal seen
        if event.get("type") == "subscribed":
            typer.echo(
                f"watching session {event['session_id']}" + (f", scenario {scenario}" if scenario else ""), err=True
            )
            ended = bool(event.get("finished"))
        else:
            seen += 1
            typer.echo(json.dumps(event) if state.as_json else _event_line(event), color=False)
            ended = bool(scenario) and event.get("type") in ("scenario.complete", "scenario.failed")
        return ended or (count is not None and seen >= count)

    try:
        if not state.client.watch(sid, show, scenario_id=scenario):
            typer.echo("error: this server pushes no events (poll the status instead)", err=True)
            raise typer.Exit(1)
    except KeyboardInterrupt:
        pass


def _event_line(event: dict[str, Any]) -> str:
    subject = event.get("scenario_id") or event.get("job_id") or ""
    line = f"{event.get('at', '')}  {event.get('type', ''):<18} {subject}  {event.get('status', '')}"
    if "progress" in event:
        line += f" {event['progress']:.0%}"
    if event.get("kpis"):
        line += "  " + ", ".join(f"{name}={kpi.get('value')}" for name, kpi in event["kpis"].items())
    if event.get("error"):
        line += f"  error: {event['error']}"
    return line


@webhooks_app.command("add")
@_failing
def webhooks_add(
    url: str,
    events: Annotated[list[str] | None, typer.Option("--events", help="an event type (repeat; default: all)")] = None,
) -> None:
    """Register an endpoint; prints its signing secret (shown only now)."""
    hook = state.client.add_webhook(url, events)
    table = Table("id", "url", "events", "secret")
    table.add_row(hook.id, hook.url, ", ".join(hook.events), hook.secret)
    emit(hook, table)


@webhooks_app.command("list")
@_failing
def webhooks_list() -> None:
    """The tenant's webhooks, and why any is disabled."""
    hooks = state.client.webhooks()
    table = Table("id", "url", "events", "enabled", "failures")
    for hook in hooks:
        enabled = "yes" if hook.enabled else f"no: {hook.disabled_reason}"
        table.add_row(hook.id, hook.url, ", ".join(hook.events), enabled, str(hook.failures))
    emit(hooks, table)


@webhooks_app.command("remove")
@_failing
def webhooks_remove(hook_id: str) -> None:
    """Remove a webhook (its deliveries stop)."""
    state.client.remove_webhook(hook_id)


@app.command()
@_failing
def audit(
    since: Annotated[str, typer.Option(help="how far back: 30m, 12h, 7d, or an ISO 8601 moment")] = "1d",
    actor: Annotated[str | None, typer.Option(help="a key's id, a user's id or email")] = None,
    operation: Annotated[str | None, typer.Option(help="an operation id, e.g. delete_session")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """The tenant's audit log, newest first (admins): who did what, when, from where."""
    entries = state.client.audit(_moment(since), actor, operation, limit)
    table = Table("at", "actor", "operation", "status", "target", "ip")
    for entry in entries:
        target = " ".join(f"{k}={v}" for k, v in entry.target.items())
        table.add_row(entry.at, entry.actor, entry.operation, str(entry.status), target, entry.ip or "")
    emit(entries, table)


def _moment(since: str) -> str:
    """'30m', '12h', '7d' before now (UTC), or an ISO 8601 moment as given."""
    from datetime import UTC, datetime, timedelta

    units = {"m": "minutes", "h": "hours", "d": "days"}
    if since[:-1].isdigit() and since[-1:] in units:
        moment = datetime.now(UTC) - timedelta(**{units[since[-1]]: int(since[:-1])})
        return moment.isoformat(timespec="seconds")
    return since

"""rich progress bars for a run being waited on and for bytes being uploaded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, DownloadColumn, Progress, TaskProgressColumn, TextColumn, TransferSpeedColumn

from .models import Experiment, ScenarioStatus

StatusCallback = Callable[[ScenarioStatus], None]


@contextmanager
def run_bar(enabled: bool, also: StatusCallback | None = None) -> Iterator[StatusCallback | None]:
    """A callback for each `…/status` answer: moves a bar (when enabled) and calls `also`."""
    if not enabled:
        yield also
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[state]}"),
        transient=True,
    ) as bars:
        task = bars.add_task("run", total=1.0, state="")

        def report(status: ScenarioStatus) -> None:
            bars.update(task, description=status.tag, completed=status.progress, state=status.status.value)
            if also is not None:
                also(status)

        yield report


@contextmanager
def experiment_bar(
    enabled: bool, also: Callable[[Experiment], None] | None = None
) -> Iterator[Callable[[Experiment], None] | None]:
    """A callback for each poll of an experiment: one bar for all its runs, with counts by status."""
    if not enabled:
        yield also
        return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[state]}")
    ) as bars:
        task = bars.add_task("experiment", total=1.0, state="")

        def report(experiment: Experiment) -> None:
            counts = ", ".join(f"{n} {status}" for status, n in sorted(experiment.counts.items()))
            bars.update(task, description=experiment.name, completed=experiment.progress, state=counts)
            if also is not None:
                also(experiment)

        yield report


@contextmanager
def bytes_bar(enabled: bool, total: int, description: str) -> Iterator[Callable[[int], None] | None]:
    """A callback for each chunk sent: advances a transfer bar of `total` bytes (when enabled)."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), transient=True
    ) as bars:
        task = bars.add_task(description, total=total)
        yield lambda sent: bars.advance(task, sent)

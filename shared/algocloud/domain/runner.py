"""Running one scenario: the pure core of the worker (no storage, no queue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from .algorithms import Progress, result_to_json_bytes
from .errors import NotFound, RunCancelled, RunFailed

if TYPE_CHECKING:
    from .config import AppConfig
    from .datasource import DataSource
    from .scenario import Scenario


@dataclass(frozen=True)
class RunOutcome:
    result: Any  # plain JSON
    result_json: bytes  # the same, serialised (what storage keeps)
    kpi_values: dict[str, float]


class _ProgressFault(Exception):
    """Carries an exception raised by the progress callback through the algorithm."""


def execute(config: AppConfig, scenario: Scenario, data: DataSource, progress: Progress) -> RunOutcome:
    """Run the scenario's algorithm on `data` and compute every KPI.

    Raises RunFailed for anything the algorithm, its result or a KPI did wrong.
    Exceptions from `progress` itself (storage errors, RunCancelled) pass
    through untouched even when the algorithm catches broad exceptions badly,
    so infrastructure failures are retried rather than recorded as failed runs.
    """
    try:
        algorithm_cls = config.algorithm(scenario.algorithm)
    except NotFound as exc:
        raise RunFailed(str(exc)) from None
    params = algorithm_cls.parameters.typed(scenario.parameters)
    data_params = type(data).data_parameters.typed(scenario.data_parameters)

    fault: list[BaseException] = []

    def guarded_progress(fraction: float) -> None:
        try:
            progress(min(1.0, max(0.0, float(fraction))))
        except BaseException as exc:
            fault.append(exc)
            raise

    try:
        raw = algorithm_cls().run(data, params, data_params, guarded_progress)
    except RunFailed:
        raise
    except BaseException as exc:
        if fault:  # the callback failed: not the algorithm's fault
            raise fault[0] from None
        if isinstance(exc, (RunCancelled, KeyboardInterrupt, SystemExit)):
            raise
        raise RunFailed(f"algorithm '{scenario.algorithm}' raised {type(exc).__name__}: {exc}") from exc
    if fault:  # the algorithm swallowed a callback failure; honour it anyway
        raise fault[0]

    result_json = result_to_json_bytes(raw)
    result = orjson.loads(result_json)
    kpi_values = {kpi.name: kpi.evaluate(result) for kpi in config.kpis}
    return RunOutcome(result=result, result_json=result_json, kpi_values=kpi_values)

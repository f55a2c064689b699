"""Experiments: a sweep created, validated and queued in one request, its runs in parallel.

The runs live in a session made for the experiment (the run session: named after the
experiment, holding copies of its datasets), never in the session the experiment was asked in,
so an ordinary session keeps the reference's rule of one scenario processing at a time. Runs of
the run session do not go in its FIFO message group but in the tenant's experiment lanes
(`RunMessage.lane`): at most `lanes` of a tenant's experiment runs are in flight at once, and
no ordinary session's run ever queues behind them (run_message.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import orjson

from .. import limits
from .. import storage_layout as layout
from ..domain.errors import (
    Conflict,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    OutOfTime,
    ParameterError,
    ServiceUnavailable,
)
from ..domain.experiment_report import ExperimentReport, report
from ..domain.experiments import (
    Criterion,
    Ending,
    Experiment,
    ExperimentRecord,
    ExperimentSummary,
    PlannedRun,
    parameter_sets,
)
from ..domain.ids import new_id
from ..domain.names import clean_name, normal_form
from ..domain.ports import RunQueue
from ..domain.scenario import IN_FLIGHT, Scenario, Status
from ..domain.stores import DatasetRecord, SessionRecord
from ..run_message import ExperimentMessage, RunMessage
from .scenarios import Scenarios
from .scope import TenantScope
from .sessions import Sessions

SEED_PARAMETER = "seed"  # varied per repetition where the algorithm has it


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    datasets: list[str]
    algorithm: str
    parameters: dict[str, Any]
    grid: dict[str, list[Any]] | None
    parameter_sets: list[dict[str, Any]] | None
    repetitions: int
    baseline_scenario: str | None
    baseline_set: int | None
    accept: list[str]


@dataclass(frozen=True)
class ExperimentView:
    experiment: Experiment
    report: ExperimentReport


class Experiments:
    def __init__(self, scope: TenantScope, queue: RunQueue, default_lanes: int, runs: Scenarios | None = None):
        self.scope, self.queue, self.default_lanes = scope, queue, default_lanes
        self.runs = runs or Scenarios(scope, queue)  # a cancel ends container runs through it
        self.tenant, self.stores, self.config = scope.tenant, scope.stores, scope.config

    def _lanes(self) -> int:
        """The tenant's parallel runs: its own limit (algocloud-admin) or the deployment's."""
        record = self.scope.accounts.get_tenant(self.tenant)
        own = record.max_parallel_runs if record is not None else None
        return min(own or self.default_lanes, limits.MAX_PARALLEL_RUNS)

    def _experiment(self, session_id: str, experiment_id: str) -> Experiment:
        record = self.stores.experiments.get_experiment(self.tenant, session_id, experiment_id)
        if record is None:
            raise NotFound(f"experiment '{experiment_id}' not found")
        if record.plan is not None:
            return record.plan
        assert record.plan_ref is not None
        try:  # too large for the record: the plan is an object
            plan = orjson.loads(self.scope.blobs.get(record.plan_ref))
        except KeyError:
            raise NotFound(f"experiment '{experiment_id}' not found") from None
        return Experiment.from_record({**plan, "ending": record.summary.ending})

    def _stored(self, experiment: Experiment) -> ExperimentRecord:
        """The experiment's record: the whole plan, or, past INLINE_PLAN_BYTES (a DynamoDB item
        holds 400 KB), its summary and the object the plan was written to."""
        body = orjson.dumps(experiment.to_record())
        if len(body) <= limits.INLINE_PLAN_BYTES:
            return ExperimentRecord.inline(experiment)
        key = layout.experiment_plan_key(self.tenant, experiment.session_id, experiment.id)
        self.scope.blobs.put(key, body, "application/json")
        return ExperimentRecord.elsewhere(experiment, key)

    # -- creating ---------------------------------------------------------------------------
    def create(self, sid: str, spec: ExperimentSpec) -> ExperimentView:
        """Validate every run before anything is stored, then store the plan, the run session
        and its scenarios, and queue the runs."""
        session = self.scope.session(sid)
        name = clean_name(spec.name, "an experiment name", "name", in_path=False)
        algorithm = self.config.algorithm(spec.algorithm)
        if spec.repetitions < 1:
            raise InvalidRequest("repetitions must be 1 or more")
        datasets = [normal_form(key) for key in spec.datasets]
        if not datasets or len(set(datasets)) != len(datasets):
            raise InvalidRequest("give one or more different dataset keys")
        sets = parameter_sets(spec.parameters, spec.grid, spec.parameter_sets, len(datasets), spec.repetitions)
        criteria = [Criterion.parse(text) for text in spec.accept]
        unknown = [c.kpi for c in criteria if c.kpi not in {k.name for k in self.config.kpis}]
        if unknown:
            raise InvalidRequest(f"no KPI named {unknown[0]!r} (KPIs: {[k.name for k in self.config.kpis]})")
        validated = []
        for index, parameters in enumerate(sets):
            try:
                validated.append(algorithm.parameters.validate(parameters))
            except ParameterError as error:
                raise InvalidRequest(f"parameter set {index} {parameters}: {error}") from None
        if spec.baseline_set is not None and not 0 <= spec.baseline_set < len(sets):
            raise InvalidRequest(f"baseline_set must be one of the {len(sets)} parameter sets (0 to {len(sets) - 1})")
        if spec.baseline_scenario is not None:
            baseline = self.stores.scenarios.get_scenario(self.tenant, session.id, spec.baseline_scenario)
            if baseline is None or baseline.status != Status.COMPLETE:
                raise InvalidRequest("the baseline must be a complete scenario of this session")
        records = {d.key: d for d in self.stores.datasets.list_datasets(self.tenant, session.id)}
        missing = [key for key in datasets if key not in records]
        if missing:
            raise NotFound(f"dataset '{missing[0]}' not found in this session")

        experiment = Experiment(
            id=new_id(),
            name=name,
            session_id=session.id,
            run_session_id=new_id(),  # made below, once every run has passed its checks
            algorithm=algorithm.name,
            datasets=datasets,
            parameter_sets=validated,
            repetitions=spec.repetitions,
            criteria=criteria,
            baseline_scenario=spec.baseline_scenario,
            baseline_set=spec.baseline_set,
            lanes=self._lanes(),
            created_by=self.scope.principal.actor,
        )
        seeded = SEED_PARAMETER in {p.name for p in algorithm.parameters}
        scenarios: list[Scenario] = []
        messages: list[RunMessage] = []
        for index, parameters in enumerate(validated):
            for key in datasets:
                for repetition in range(spec.repetitions):
                    chosen = dict(parameters)
                    if seeded and spec.repetitions > 1:
                        chosen[SEED_PARAMETER] = int(parameters.get(SEED_PARAMETER) or 0) + repetition
                    tag = f"set{index}-{key}-r{repetition}" if len(datasets) > 1 else f"set{index}-r{repetition}"
                    try:  # a seed counted up past its maximum is refused here, before anything is made
                        scenario = self.config.new_scenario(tag, key, algorithm.name, chosen)
                    except (ParameterError, InvalidRequest) as error:
                        raise InvalidRequest(f"parameter set {index}, repetition {repetition}: {error}") from None
                    # created queued: the run is asked for with the experiment (one write for many)
                    scenario.status, scenario.run_id = Status.QUEUED, str(uuid.uuid4())
                    scenario.created_by = experiment.created_by
                    lane = f"experiments-{len(scenarios) % experiment.lanes}"
                    messages.append(
                        RunMessage(
                            tenant=self.tenant,
                            session_id=experiment.run_session_id,
                            scenario_id=scenario.id,
                            run_id=scenario.run_id,
                            lane=lane,
                            experiment=(session.id, experiment.id),
                        )
                    )
                    scenarios.append(scenario)
                    experiment.runs.append(PlannedRun(scenario.id, index, key, repetition))
        # Every check has passed: now the run session, the plan, the runs; undone if one fails.
        run_session = self._run_session(experiment, [records[key] for key in datasets], session)
        try:
            self.stores.experiments.create_experiment(self.tenant, session.id, self._stored(experiment))
            # A thousand runs within API Gateway's 29 s: scenarios in transactions of ~30, messages 10 a call.
            self.stores.scenarios.create_scenarios(self.tenant, run_session.id, scenarios)
        except BaseException:
            self._remove(session.id, experiment)
            raise
        try:
            self.queue.send_many(messages)
        except Exception as exc:
            self.runs.fail_unqueued(run_session.id, scenarios, "the run could not be queued")
            raise ServiceUnavailable("the run queue is unavailable; delete the experiment and try again") from exc
        return self._view(experiment)

    def _run_session(
        self, experiment: Experiment, datasets: Sequence[DatasetRecord], source: SessionRecord
    ) -> SessionRecord:
        """A session for the runs, with copies of the experiment's datasets (private when its
        session is)."""
        source_id = source.id
        run_session = SessionRecord(
            experiment.run_session_id, f"{experiment.name} (experiment {experiment.id[-8:]})",
            created_by=experiment.created_by, private=source.private,
        )  # fmt: skip
        source_prefix = layout.session_prefix(self.tenant, source_id)
        target_prefix = layout.session_prefix(self.tenant, run_session.id)
        copies = []
        for record in datasets:
            object_key = target_prefix + record.object_key.removeprefix(source_prefix)
            self.scope.blobs.copy(record.object_key, object_key)
            copies.append(
                DatasetRecord(
                    record.key,
                    record.ds_id,
                    record.ds_type,
                    record.creation_datetime,
                    record.tables,
                    object_key,
                    record.size_bytes,
                )
            )
        self.stores.sessions.create_session(self.tenant, run_session, copies)
        return run_session

    # -- reading ----------------------------------------------------------------------------
    def _view(
        self,
        experiment: Experiment,
        criteria: Sequence[Criterion] | None = None,
        scenarios: Sequence[Scenario] | None = None,
    ) -> ExperimentView:
        """The experiment and its report, from its runs (`scenarios`: read just now, else read here)."""
        if scenarios is None:
            scenarios = self._runs(experiment)
        runs = {s.id: s for s in scenarios}
        baseline: Scenario | None = None
        if experiment.baseline_scenario:
            baseline = self.stores.scenarios.get_scenario(
                self.tenant, experiment.session_id, experiment.baseline_scenario
            )
        return ExperimentView(experiment, report(experiment, runs, self.config.kpis, baseline, criteria))

    def get(self, sid: str, experiment_id: str, accept: Sequence[str] | None = None) -> ExperimentView:
        """The experiment and its report; `accept` judges it by other criteria than its own."""
        session = self.scope.session(sid)
        criteria = None if accept is None else [Criterion.parse(text) for text in accept]
        return self._view(self._experiment(session.id, experiment_id), criteria)

    def listing(self, sid: str) -> list[ExperimentSummary]:
        session = self.scope.session(sid)
        return self.stores.experiments.list_experiments(self.tenant, session.id)

    # -- ending -----------------------------------------------------------------------------
    def cancel(self, sid: str, experiment_id: str) -> ExperimentView:
        """Every queued or running run ends as cancelled (a run that ends meanwhile stays ended):
        within the request when few are in flight, else as a job (the view says `cancelling`)."""
        session = self.scope.session(sid)
        experiment = self._experiment(session.id, experiment_id)
        if experiment.ending == Ending.DELETING:
            raise Conflict("the experiment is being deleted")
        scenarios = self._runs(experiment)
        in_flight = _in_flight(scenarios)
        if len(in_flight) > limits.EXPERIMENT_SYNC_CANCEL_RUNS:
            return self._view(self._start_ending(experiment, Ending.CANCELLING), scenarios=scenarios)
        self._cancel_runs(experiment, in_flight)
        return self._view(experiment)

    def delete(self, sid: str, experiment_id: str) -> ExperimentView | None:
        """Cancel what runs, then remove the runs (their session) and the experiment: within the
        request for a small experiment (None), else as a job (the view says `deleting`)."""
        session = self.scope.session(sid)
        experiment = self._experiment(session.id, experiment_id)
        scenarios = self._runs(experiment)
        in_flight = _in_flight(scenarios)
        big = len(experiment.runs) > limits.EXPERIMENT_SYNC_DELETE_RUNS
        if big or len(in_flight) > limits.EXPERIMENT_SYNC_CANCEL_RUNS or experiment.ending is not None:
            return self._view(self._start_ending(experiment, Ending.DELETING), scenarios=scenarios)
        self._cancel_runs(experiment, in_flight)
        self._remove(session.id, experiment)
        return None

    def finish_ending(self, session_id: str, experiment_id: str, deadline: float | None) -> None:
        """The job of a cancel or delete: OutOfTime when `deadline` (time.monotonic()) comes
        first; what was done stays done, and the next delivery goes on from there."""
        experiment = self._experiment(session_id, experiment_id)
        if experiment.ending is None:
            return  # ended already (a duplicate message)
        self._cancel_runs(experiment, _in_flight(self._runs(experiment)), deadline)
        if experiment.ending == Ending.DELETING:
            self._remove(session_id, experiment)
        else:
            self._mark(experiment, None)

    def _runs(self, experiment: Experiment) -> list[Scenario]:
        return self.stores.scenarios.list_scenarios(self.tenant, experiment.run_session_id)

    def _start_ending(self, experiment: Experiment, ending: str) -> Experiment:
        """Mark the experiment and queue the job that ends it (in a message group of its own)."""
        experiment = self._mark(experiment, ending)
        message = ExperimentMessage(
            tenant=self.tenant,
            session_id=experiment.session_id,
            experiment_id=experiment.id,
            action="delete" if ending == Ending.DELETING else "cancel",
            lane=f"ending-{experiment.id}",
            round=int(time.time()),  # asking again later is a new job (the old one may have died)
        )
        self.queue.send(message)
        return experiment

    def _mark(self, experiment: Experiment, ending: str | None) -> Experiment:
        marked = replace(experiment, ending=ending)
        self.stores.experiments.replace_experiment(self.tenant, experiment.session_id, self._stored(marked))
        return marked

    def _cancel_runs(
        self, experiment: Experiment, in_flight: Sequence[Scenario], deadline: float | None = None
    ) -> None:
        def cancel_one(scenario: Scenario) -> None:
            if deadline is not None and time.monotonic() > deadline:
                raise OutOfTime()
            try:
                self.runs.cancel_run(experiment.run_session_id, scenario)
            except (InvalidTransition, NotFound):
                pass  # it ended meanwhile, and stays as it ended

        # conditional writes and their usage counts, 8 at a time
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(cancel_one, in_flight))

    def _remove(self, session_id: str, experiment: Experiment) -> None:
        """The runs (their session, with the copies of the datasets), then the plan."""
        try:
            Sessions(self.scope).delete(experiment.run_session_id)
        except NotFound:
            pass  # never made, or deleted already
        self.scope.blobs.delete([layout.experiment_plan_key(self.tenant, session_id, experiment.id)])
        self.stores.experiments.delete_experiment(self.tenant, session_id, experiment.id)


def _in_flight(scenarios: Sequence[Scenario]) -> list[Scenario]:
    return [s for s in scenarios if s.status in IN_FLIGHT]

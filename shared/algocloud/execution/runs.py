"""Scenario runs: the handler of RunMessage.

One message, one run: queued -> processing (or a redelivered message taking
over its own run cut off by a timeout) -> complete | failed. Every write is
conditional on the message's run id, so a duplicate or stale message changes
nothing, and a scenario reset, re-queued or deleted meanwhile is never
overwritten by an old run. Infrastructure errors propagate, so the queue retries
the message; only the algorithm, its result or a KPI can fail a run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from .. import storage_layout as layout
from ..appconfig import APP_ENV_VAR, DEFAULT_APP
from ..domain import accounts as usage
from ..domain.config import AppConfig
from ..domain.datasource import DataSource
from ..domain.errors import InvalidTransition, NotFound, OutOfTime, RunCancelled, RunFailed
from ..domain.jobs import IN_FLIGHT, TERMINAL, Executor, Tier, seconds_since
from ..domain.ports import Accounts, BlobStore
from ..domain.provenance import code_hash, content_hash, provenance
from ..domain.runner import execute
from ..domain.scenario import RunEnd, Scenario, Status, now_iso
from ..domain.stores import Stores
from ..run_message import RunMessage
from ..usecases.scenarios import end_run
from .container import ContainerTier
from .executor import Delivery, Outcome

logger = logging.getLogger(__name__)
ENDING_CHECK_SECONDS = 2.0  # how stale a worker's view of an experiment's ending may be


@dataclass
class ScenarioRuns:
    """The handler of RunMessage: one message, one run of one scenario."""

    config: AppConfig
    stores: Stores
    blobs: BlobStore
    accounts: Accounts
    tier: ContainerTier = field(default_factory=ContainerTier)
    progress_interval: float = limits.PROGRESS_INTERVAL_SECONDS
    clock: Callable[[], float] = time.monotonic
    # Stored datasets never change (a new version gets a new object key), so a
    # warm worker keeps the last few it loaded and hands each run a copy.
    dataset_cache_size: int = 4
    app_version: str = "dev"  # APP_VERSION, recorded in each run's provenance
    _datasets: OrderedDict[str, tuple[DataSource, str]] = field(default_factory=OrderedDict, init=False, repr=False)
    _datasets_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _endings: dict[str, tuple[float, bool]] = field(default_factory=dict, init=False, repr=False)

    def handle(self, message: RunMessage, delivery: Delivery | None = None) -> Outcome:
        """Run the scenario the message names, at most once to completion (or hand it to the
        container tier, which then holds the message until the run ends)."""
        delivery = delivery or Delivery()
        scenario = self.stores.scenarios.get_scenario(message.tenant, message.session_id, message.scenario_id)
        if scenario is None:
            return Outcome.GONE
        if scenario.run_id != message.run_id or scenario.status not in IN_FLIGHT:
            self._count_ended(message, scenario)
            if self.tier.is_here and scenario.run_id == message.run_id:
                self.tier.release(scenario.receipt)  # cancelled before this task started: free the session
            return Outcome.STALE
        if scenario.status == Status.QUEUED and message.experiment and self._experiment_ending(message):
            return self._finish(message, RunEnd.CANCELLED)  # as a cancel would end it
        if not self.tier.is_here:
            if scenario.status == Status.PROCESSING and scenario.executor == Executor.CONTAINER:
                if scenario.task_id is None:  # the launch failed (the error sent the message back): again
                    return self._hand_over(message, delivery)
                return self._hold_again(message, delivery)  # a container task runs it
            if self._for_container(scenario) or self._ran_out_of_time_before(scenario, delivery):
                return self._hand_over(message, delivery)
        takeover = scenario.status == Status.PROCESSING
        try:
            scenario = self._transition(
                message, Status.PROCESSING, progress=0.0, run_started_at=now_iso(), executor=self.tier.executor
            )
        except (NotFound, InvalidTransition):
            return Outcome.STALE
        self._count(message, usage.run_started(scenario))
        if takeover:
            logger.warning("taking over run %s after an interrupted attempt", message.run_id)
        try:
            self.stores.sessions.set_processing(message.tenant, message.session_id, scenario.id, message.run_id)
        except NotFound:  # the session is being deleted
            return self._discard(message)
        outcome = Outcome.STALE
        try:
            outcome = self._run(message, scenario, delivery)
            return outcome
        finally:
            if outcome != Outcome.HANDED_OVER:
                self.stores.sessions.clear_processing(message.tenant, message.session_id, message.run_id)
                if self.tier.is_here:  # the run is over: the session's next message may go
                    self.tier.release(self._current_receipt(message))

    def give_up(self, message: RunMessage, receive_count: int | None) -> Outcome:
        """The message exhausted its deliveries (it reached the dead-letter queue)."""
        attempts = f" after {receive_count} attempts" if receive_count else ""
        error = f"the run did not finish{attempts}: it timed out or the worker crashed"
        try:
            self._end(message, RunEnd.GIVEN_UP, error)
        except NotFound:
            return Outcome.GONE
        except InvalidTransition:
            return Outcome.STALE
        self.stores.sessions.clear_processing(message.tenant, message.session_id, message.run_id)
        return Outcome.FAILED

    def _experiment_ending(self, message: RunMessage) -> bool:
        """Whether the run's experiment is being cancelled or deleted: its job may wait behind the
        experiment's lanes, so each run checks (at most once per experiment every few seconds)."""
        assert message.experiment is not None
        session_id, experiment_id = message.experiment
        now = self.clock()
        checked = self._endings.get(experiment_id)
        if checked is None or now - checked[0] > ENDING_CHECK_SECONDS:
            record = self.stores.experiments.get_experiment(message.tenant, session_id, experiment_id)
            checked = (now, record is not None and record.summary.ending is not None)
            self._endings[experiment_id] = checked
            while len(self._endings) > 64:  # a warm worker serves many experiments: keep the latest
                self._endings.pop(next(iter(self._endings)))
        return checked[1]

    # -- the container tier ----------------------------------------------------------
    def held(self, message: RunMessage) -> tuple[str | None, bool]:
        scenario = self.stores.scenarios.get_scenario(message.tenant, message.session_id, message.scenario_id)
        if scenario is None:
            return None, False
        return scenario.receipt, scenario.run_id == message.run_id and scenario.status in IN_FLIGHT

    def task_stopped(self, message: RunMessage, task_id: str, error: str) -> bool:
        scenario = self.stores.scenarios.get_scenario(message.tenant, message.session_id, message.scenario_id)
        if scenario is None or scenario.executor != Executor.CONTAINER or scenario.task_id not in (task_id, None):
            return False
        try:
            self._end(message, RunEnd.TASK_LOST, error)
        except (NotFound, InvalidTransition):  # it ended, or moved on, meanwhile
            return False
        self.stores.sessions.clear_processing(message.tenant, message.session_id, message.run_id)
        self.tier.release(scenario.receipt)
        logger.warning("%s failed: %s", message.log_id, error)
        return True

    def _for_container(self, scenario: Scenario) -> bool:
        """Asked for at creation, or declared by the algorithm."""
        if scenario.tier == Tier.CONTAINER:
            return True
        algorithm = next((a for a in self.config.algorithms if a.name == scenario.algorithm), None)
        return algorithm is not None and algorithm.tier == Tier.CONTAINER

    def _ran_out_of_time_before(self, scenario: Scenario, delivery: Delivery) -> bool:
        """A run taken over whose last attempt, here, started longer ago than this invocation may
        last: that attempt was killed at the time limit, and another would be too."""
        if scenario.status != Status.PROCESSING or scenario.executor == Executor.CONTAINER:
            return False
        if delivery.time_limit is None or not scenario.run_started_at:
            return False
        return seconds_since(scenario.run_started_at) >= delivery.time_limit

    def _hand_over(self, message: RunMessage, delivery: Delivery) -> Outcome:
        """To the container tier, once and from the start; or, without one, failed at once."""
        if self.tier.launcher is None:
            limit = f"its {delivery.time_limit:.0f} s time limit" if delivery.time_limit else "its limits"
            return self._finish(
                message,
                RunEnd.FAILED,
                error=f"the run needs more than the worker Lambda ({limit}) and this deployment has no container "
                "tier to run it (deploy with ContainerImageUri and the network parameters)",
            )
        try:
            self._transition(
                message, Status.PROCESSING, executor=Executor.CONTAINER, progress=0.0, receipt=delivery.receipt
            )
            # GET …/processing names it while the task starts (the task sets it again, and clears it)
            self.stores.sessions.set_processing(message.tenant, message.session_id, message.scenario_id, message.run_id)
        except (NotFound, InvalidTransition):
            return self._discard(message)
        task_id = self.tier.launcher.launch(message)
        try:
            self._transition(message, Status.PROCESSING, task_id=task_id)
        except (NotFound, InvalidTransition):  # cancelled or deleted while it launched: no task needed
            self.tier.launcher.stop(task_id, "the run was cancelled before its task started")
            return self._discard(message)  # not held: the message goes, and the session's next one may
        logger.info("run %s handed to the container tier: %s", message.run_id, task_id)
        return Outcome.HANDED_OVER

    def _hold_again(self, message: RunMessage, delivery: Delivery) -> Outcome:
        """The held message came back (SQS keeps a message in flight at most 12 hours): the task
        holds it under its new receipt."""
        try:
            self._transition(message, Status.PROCESSING, receipt=delivery.receipt)
        except (NotFound, InvalidTransition):
            return Outcome.STALE
        return Outcome.HANDED_OVER

    def _current_receipt(self, message: RunMessage) -> str | None:
        current = self.stores.scenarios.get_scenario(message.tenant, message.session_id, message.scenario_id)
        return None if current is None else current.receipt

    # -- internals -------------------------------------------------------------------
    def _transition(self, message: RunMessage, target: Status, **fields) -> Scenario:
        return self.stores.scenarios.transition(
            message.tenant,
            message.session_id,
            message.scenario_id,
            target,
            set_fields={name: value for name, value in fields.items() if value is not None},  # None: unchanged
            run_id=message.run_id,
        )

    def _run(self, message: RunMessage, scenario: Scenario, delivery: Delivery) -> Outcome:
        try:
            data, dataset_hash = self._load_dataset(message, scenario)
        except RunCancelled:
            return self._discard(message)
        modules = (
            [self.config.algorithm(scenario.algorithm).__module__]
            if self.config.parameters_of(scenario.algorithm) is not None
            else []
        )
        code = code_hash(*modules, os.environ.get(APP_ENV_VAR) or DEFAULT_APP)
        made_by = provenance(self.app_version, code, dataset_hash, scenario, self.tier.executor)
        try:
            outcome = execute(self.config, scenario, data, self._progress_writer(message, delivery))
        except RunFailed as failure:
            return self._finish(message, RunEnd.FAILED, error=failure.message, provenance=made_by)
        except RunCancelled:
            return self._discard(message)
        except OutOfTime:
            return self._hand_over(message, delivery)

        fields: dict[str, Any] = {"kpi_values": outcome.kpi_values, "provenance": made_by}
        if len(outcome.result_json) > limits.INLINE_RESULT_LIMIT:
            key = layout.result_key(message.tenant, message.session_id, message.scenario_id, message.run_id)
            self.blobs.put(key, outcome.result_json, "application/json")
            fields["result_ref"] = key
        else:
            fields["result"] = outcome.result
        return self._finish(message, RunEnd.COMPLETE, **fields)

    def _finish(self, message: RunMessage, how: RunEnd, error: str | None = None, **produced) -> Outcome:
        try:
            ended = self._end(message, how, error, **produced)
        except (NotFound, InvalidTransition):
            return self._discard(message)
        return Outcome(str(ended.status))

    def _end(self, message: RunMessage, how: RunEnd, error: str | None = None, **produced) -> Scenario:
        return end_run(self.stores, self.accounts, message.tenant, message.session_id, message.scenario_id,
                       message.run_id, how, error, **produced)  # fmt: skip

    def _count(self, message: RunMessage, event: tuple[str, str, dict[str, float]]) -> None:
        day, event_id, increments = event
        self.accounts.count(message.tenant, day, event_id, increments)

    def _count_ended(self, message: RunMessage, scenario: Scenario) -> None:
        """A redelivered message of its run's end: count the end (once), in case the delivery that
        ended it stopped before counting; the event id makes it a no-op otherwise."""
        if scenario.run_id == message.run_id and scenario.status in TERMINAL:
            if scenario.run_started_at:
                self._count(message, usage.run_started(scenario))
            self._count(message, usage.run_finished(scenario))

    def _discard(self, message: RunMessage) -> Outcome:
        """The scenario (or its session) was deleted mid-run: leave nothing behind.

        Deleting swept the scenario's objects already; only this run's own
        result, written after that, can remain.
        """
        self.blobs.delete([layout.result_key(message.tenant, message.session_id, message.scenario_id, message.run_id)])
        if self.stores.scenarios.get_scenario(message.tenant, message.session_id, message.scenario_id) is None:
            return Outcome.GONE
        return Outcome.STALE

    def _load_dataset(self, message: RunMessage, scenario: Scenario) -> tuple[DataSource, str]:
        """A copy of the scenario's dataset, and the content hash of its stored form."""
        record = self.stores.datasets.get_dataset(message.tenant, message.session_id, scenario.input_data_id)
        if record is None:  # only if the session was deleted: scenarios pin their dataset
            raise RunCancelled()
        with self._datasets_lock:
            cached = self._datasets.get(record.object_key)
            if cached is not None:
                self._datasets.move_to_end(record.object_key)
        if cached is None:
            stored = layout.read_stored(self.blobs, record.object_key)
            cached = (self.config.datasource_cls.from_stored(stored), content_hash(stored))
            with self._datasets_lock:
                self._datasets[record.object_key] = cached
                while len(self._datasets) > self.dataset_cache_size:
                    self._datasets.popitem(last=False)
        return cached[0].copy(), cached[1]

    def _progress_writer(self, message: RunMessage, delivery: Delivery) -> Callable[[float], None]:
        """At most one progress write per interval; a failed write stops the run, and so does the
        invocation's deadline coming within its margin (the run is then handed over)."""
        last_write = self.clock()

        def report(fraction: float) -> None:
            nonlocal last_write
            now = self.clock()
            left = delivery.seconds_left(time.monotonic())
            if left is not None and left < delivery.margin:
                raise OutOfTime()
            if now - last_write < self.progress_interval:
                return  # (completion writes the final 1.0 anyway)
            last_write = now
            try:
                self.stores.scenarios.update_progress(
                    message.tenant, message.session_id, message.scenario_id, message.run_id, fraction
                )
            except (NotFound, InvalidTransition):
                raise RunCancelled() from None

        return report

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
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from .. import storage_layout as layout
from ..domain import accounts as usage
from ..domain.config import AppConfig
from ..domain.datasource import DataSource
from ..domain.errors import InvalidTransition, NotFound, RunCancelled, RunFailed
from ..domain.ports import Accounts, BlobStore, Repository
from ..domain.runner import execute
from ..domain.scenario import Scenario, Status, now_iso
from ..run_message import RunMessage
from ..usecases.datasets import read_dataset
from .executor import Outcome

logger = logging.getLogger(__name__)


@dataclass
class ScenarioRuns:
    """The handler of RunMessage: one message, one run of one scenario."""

    config: AppConfig
    repo: Repository
    blobs: BlobStore
    accounts: Accounts
    progress_interval: float = limits.PROGRESS_INTERVAL_SECONDS
    clock: Callable[[], float] = time.monotonic
    # Stored datasets never change (a new version gets a new object key), so a
    # warm worker keeps the last few it loaded and hands each run a copy.
    dataset_cache_size: int = 4
    _datasets: OrderedDict[str, DataSource] = field(default_factory=OrderedDict, init=False, repr=False)
    _datasets_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def handle(self, message: RunMessage) -> Outcome:
        """Run the scenario the message names, at most once to completion."""
        scenario = self.repo.get_scenario(message.tenant, message.session_id, message.scenario_id)
        if scenario is None:
            return Outcome.GONE
        if scenario.run_id != message.run_id or scenario.status not in (Status.QUEUED, Status.PROCESSING):
            self._count_ended(message, scenario)
            return Outcome.STALE
        takeover = scenario.status == Status.PROCESSING
        try:
            scenario = self._transition(message, Status.PROCESSING, progress=0.0, run_started_at=now_iso())
        except (NotFound, InvalidTransition):
            return Outcome.STALE
        self._count(message, usage.run_started(scenario))
        if takeover:
            logger.warning("taking over run %s after an interrupted attempt", message.run_id)
        try:
            self.repo.set_processing(message.tenant, message.session_id, scenario.id, message.run_id)
        except NotFound:  # the session is being deleted
            return self._discard(message)
        try:
            return self._run(message, scenario)
        finally:
            self.repo.clear_processing(message.tenant, message.session_id, message.run_id)

    def give_up(self, message: RunMessage, receive_count: int | None) -> Outcome:
        """The message exhausted its deliveries (it reached the dead-letter queue)."""
        attempts = f" after {receive_count} attempts" if receive_count else ""
        try:
            failed = self._transition(
                message,
                Status.FAILED,
                run_finished_at=now_iso(),
                error=f"the run did not finish{attempts}: it timed out or the worker crashed",
            )
        except NotFound:
            return Outcome.GONE
        except InvalidTransition:
            return Outcome.STALE
        self._count(message, usage.run_finished(failed))
        self.repo.clear_processing(message.tenant, message.session_id, message.run_id)
        return Outcome.FAILED

    # -- internals -------------------------------------------------------------------
    def _transition(self, message: RunMessage, target: Status, **fields) -> Scenario:
        return self.repo.transition(
            message.tenant,
            message.session_id,
            message.scenario_id,
            target,
            set_fields=fields,
            run_id=message.run_id,
        )

    def _run(self, message: RunMessage, scenario: Scenario) -> Outcome:
        try:
            data = self._load_dataset(message, scenario)
            outcome = execute(self.config, scenario, data, self._progress_writer(message))
        except RunFailed as failure:
            return self._finish(message, Status.FAILED, error=failure.message[:2000])
        except RunCancelled:
            return self._discard(message)

        fields: dict[str, Any] = {"kpi_values": outcome.kpi_values}
        if len(outcome.result_json) > limits.INLINE_RESULT_LIMIT:
            key = layout.result_key(message.tenant, message.session_id, message.scenario_id, message.run_id)
            self.blobs.put(key, outcome.result_json, "application/json")
            fields["result_ref"] = key
        else:
            fields["result"] = outcome.result
        return self._finish(message, Status.COMPLETE, progress=1.0, **fields)

    def _finish(self, message: RunMessage, status: Status, **fields) -> Outcome:
        try:
            finished = self._transition(message, status, run_finished_at=now_iso(), **fields)
        except (NotFound, InvalidTransition):
            return self._discard(message)
        self._count(message, usage.run_finished(finished))
        return Outcome(str(status))

    def _count(self, message: RunMessage, event: tuple[str, str, dict[str, float]]) -> None:
        day, event_id, increments = event
        self.accounts.count(message.tenant, day, event_id, increments)

    def _count_ended(self, message: RunMessage, scenario: Scenario) -> None:
        """A redelivered message of its run's end: count the end (once), in case the delivery that
        ended it stopped before counting; the event id makes it a no-op otherwise."""
        if scenario.run_id == message.run_id and scenario.status in (Status.COMPLETE, Status.FAILED):
            if scenario.run_started_at:
                self._count(message, usage.run_started(scenario))
            self._count(message, usage.run_finished(scenario))

    def _discard(self, message: RunMessage) -> Outcome:
        """The scenario (or its session) was deleted mid-run: leave nothing behind.

        Deleting swept the scenario's objects already; only this run's own
        result, written after that, can remain.
        """
        self.blobs.delete([layout.result_key(message.tenant, message.session_id, message.scenario_id, message.run_id)])
        if self.repo.get_scenario(message.tenant, message.session_id, message.scenario_id) is None:
            return Outcome.GONE
        return Outcome.STALE

    def _load_dataset(self, message: RunMessage, scenario: Scenario):
        record = self.repo.get_dataset(message.tenant, message.session_id, scenario.input_data_id)
        if record is None:  # only if the session was deleted: scenarios pin their dataset
            raise RunCancelled()
        with self._datasets_lock:
            cached = self._datasets.get(record.object_key)
            if cached is not None:
                self._datasets.move_to_end(record.object_key)
        if cached is None:
            cached = read_dataset(self.config, self.blobs, record.object_key)
            with self._datasets_lock:
                self._datasets[record.object_key] = cached
                while len(self._datasets) > self.dataset_cache_size:
                    self._datasets.popitem(last=False)
        return cached.copy()

    def _progress_writer(self, message: RunMessage) -> Callable[[float], None]:
        """At most one progress write per interval; a failed write stops the run."""
        last_write = self.clock()

        def report(fraction: float) -> None:
            nonlocal last_write
            now = self.clock()
            if now - last_write < self.progress_interval:
                return  # (completion writes the final 1.0 anyway)
            last_write = now
            try:
                self.repo.update_progress(
                    message.tenant, message.session_id, message.scenario_id, message.run_id, fraction
                )
            except (NotFound, InvalidTransition):
                raise RunCancelled() from None

        return report

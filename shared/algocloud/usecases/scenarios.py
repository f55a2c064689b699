"""Scenarios and their runs: create, read, run (one message on the queue), cancel, reset, compare."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import storage_layout as layout
from ..domain import accounts as usage
from ..domain.compare import MAX_SCENARIOS, MIN_SCENARIOS, Comparison, compare
from ..domain.errors import Conflict, InvalidRequest, InvalidTransition, NotFound, ServiceUnavailable, TierUnavailable
from ..domain.jobs import IN_FLIGHT, Executor, Tier
from ..domain.names import clean_name, normal_form
from ..domain.ports import Accounts, QueueConsumer, RunQueue, TaskLauncher
from ..domain.scenario import RUN_FIELDS, RunEnd, Scenario, ScenarioStatus, Status, run_end
from ..domain.stores import Stores
from ..run_message import RunMessage
from .paging import read_page
from .scope import TenantScope

logger = logging.getLogger(__name__)


def end_run(
    stores: Stores,
    accounts: Accounts,
    tenant: str,
    session_id: str,
    scenario_id: str,
    run_id: str | None,
    how: RunEnd,
    error: str | None = None,
    **produced: Any,
) -> Scenario:
    """The one way a run ends (domain.scenario.run_end): a conditional write on its run id, then
    its usage counted under the run's own event id, so whoever ends it, it is counted once.
    NotFound / InvalidTransition when it is gone or ended already."""
    status, changes = run_end(how, error)
    ended = stores.scenarios.transition(
        tenant, session_id, scenario_id, status, set_fields={**produced, **changes}, run_id=run_id
    )
    accounts.count(tenant, *usage.run_finished(ended))
    return ended


@dataclass(frozen=True)
class ScenarioPage:
    session_id: str
    scenarios: list[Scenario]  # without their results (Scenarios.results)
    next_cursor: str | None


class Scenarios:
    def __init__(
        self,
        scope: TenantScope,
        queue: RunQueue,
        launcher: TaskLauncher | None = None,
        held: QueueConsumer | None = None,
    ):
        """`launcher` (the container tier, if the deployment has one) and `held` (the run queue's
        consuming side) let a cancel stop a container task and free the message it holds."""
        self.scope, self.queue, self.launcher, self.held = scope, queue, launcher, held
        self.container_tier = launcher is not None
        self.tenant, self.stores, self.blobs, self.config = scope.tenant, scope.stores, scope.blobs, scope.config

    def _scenario(self, session_id: str, scenario_id: str) -> Scenario:
        scenario = self.stores.scenarios.get_scenario(self.tenant, session_id, scenario_id)
        if scenario is None:
            raise NotFound(f"scenario '{scenario_id}' not found")
        return scenario

    # -- reading ----------------------------------------------------------------------------
    def listing(self, sid: str, limit: int | None = None, cursor: str | None = None) -> ScenarioPage:
        """Every scenario of the session in creation order, or a page of them (read from storage
        a page at a time); without their results, which `results` reads when wanted."""
        session = self.scope.session(sid)
        page, following = read_page(
            lambda after, n: self.stores.scenarios.list_scenarios(self.tenant, session.id, after, n),
            lambda s: (s.created_at, s.id),
            limit,
            cursor,
            self.scope.cursors,
            f"{self.tenant}/sessions/{session.id}/scenarios",
        )
        return ScenarioPage(session.id, page, following)

    def results(self, page: ScenarioPage, scenarios: Sequence[Scenario]) -> dict[str, Any]:
        """The inline results of some of a page's scenarios, by id (one batch read)."""
        return self.stores.scenarios.scenario_results(self.tenant, page.session_id, [s.id for s in scenarios])

    def get(self, sid: str, scenario_id: str) -> Scenario:
        return self._scenario(self.scope.session(sid).id, scenario_id)

    def stored_result(self, scenario: Scenario) -> bytes | None:
        """The JSON of a result kept in storage (too large for the record), if it is still there."""
        if not scenario.result_ref or scenario.status != Status.COMPLETE:
            return None
        try:
            return self.blobs.get(scenario.result_ref)
        except KeyError:
            return None

    def stored_result_url(self, scenario: Scenario) -> str:
        """A presigned URL of a result kept in storage."""
        assert scenario.result_ref is not None
        return self.blobs.presigned_get_url(scenario.result_ref)

    def status(self, sid: str, scenario_id: str) -> ScenarioStatus:
        session = self.scope.session(sid)
        status = self.stores.scenarios.get_status(self.tenant, session.id, scenario_id)
        if status is None:
            raise NotFound(f"scenario '{scenario_id}' not found")
        return status

    def processing(self, sid: str) -> Scenario | None:
        session = self.scope.session(sid)
        scenario_id = self.stores.sessions.processing_scenario_id(self.tenant, session.id)
        if scenario_id is None:
            return None
        scenario = self.stores.scenarios.get_scenario(self.tenant, session.id, scenario_id)
        if scenario is None or scenario.status != Status.PROCESSING:
            return None
        return scenario

    def compare(self, sid: str, ids: Sequence[str], baseline: str | None) -> Comparison:
        session = self.scope.session(sid)
        if not MIN_SCENARIOS <= len(ids) <= MAX_SCENARIOS or len(set(ids)) != len(ids):
            raise InvalidRequest(f"name {MIN_SCENARIOS} to {MAX_SCENARIOS} different scenarios")
        if baseline is not None and baseline not in ids:
            raise InvalidRequest("the baseline must be one of the compared scenarios")
        scenarios = [self._scenario(session.id, scenario_id) for scenario_id in ids]
        return compare(scenarios, self.config.kpis, baseline)

    # -- changing ---------------------------------------------------------------------------
    def create(
        self,
        sid: str,
        tag: str,
        dataset_key: str,
        algo_name: str,
        algo_params: dict[str, Any] | None,
        data_params: dict[str, Any] | None,
        tier: str | None = None,
    ) -> Scenario:
        session = self.scope.session(sid)
        tag = clean_name(tag, "a tag", "tag", in_path=False)
        scenario = self.config.new_scenario(tag, normal_form(dataset_key), algo_name, algo_params, data_params)
        declared = self.config.algorithm(algo_name).tier
        if Tier.CONTAINER in (tier, declared) and not self.container_tier:
            asked = "this scenario asks" if tier == Tier.CONTAINER else f"algorithm '{algo_name}' asks"
            raise TierUnavailable(
                f"{asked} for the container tier, which this deployment does not have "
                "(it is deployed with ContainerImageUri and the network parameters)"
            )
        if tier == Tier.LAMBDA and declared == Tier.CONTAINER:
            raise TierUnavailable(f"algorithm '{algo_name}' runs on the container tier only")
        scenario.tier = str(tier) if tier else None
        scenario.created_by = self.scope.principal.actor
        self.stores.scenarios.create_scenario(self.tenant, session.id, scenario)
        return scenario

    def delete(self, sid: str, scenario_id: str) -> None:
        session = self.scope.session(sid)
        scenario = self._scenario(session.id, scenario_id)
        self.stores.scenarios.delete_scenario(self.tenant, session.id, scenario)
        # A run still going writes its result under results/<scenario>/; the
        # worker removes it when it finds the scenario gone.
        self.blobs.delete_prefix(layout.results_prefix(self.tenant, session.id, scenario.id))

    def run(self, sid: str, scenario_id: str) -> Scenario:
        """created -> queued under a new run id, then one message on the queue."""
        session = self.scope.session(sid)
        run_id = str(uuid.uuid4())
        scenario = self.stores.scenarios.transition(
            self.tenant, session.id, scenario_id, Status.QUEUED, set_fields={"run_id": run_id, "progress": 0.0}
        )
        message = RunMessage(tenant=self.tenant, session_id=session.id, scenario_id=scenario.id, run_id=run_id)
        try:
            self.queue.send(message)
        except Exception as exc:
            self.fail_unqueued(session.id, [scenario], "the run could not be queued; reset and run again")
            raise ServiceUnavailable("the run queue is unavailable; try again shortly") from exc
        return scenario

    def fail_unqueued(self, session_id: str, scenarios: Sequence[Scenario], error: str) -> None:
        """Never leave a queued scenario without a message: those whose message may be missing
        fail visibly (one whose message got through and whose run went on stays as it is)."""
        for scenario in scenarios:
            try:
                end_run(self.stores, self.scope.accounts, self.tenant, session_id, scenario.id, scenario.run_id,
                        RunEnd.NOT_QUEUED, error)  # fmt: skip
            except (NotFound, InvalidTransition):
                pass

    def cancel(self, sid: str, scenario_id: str) -> Scenario:
        """queued | processing -> failed with error "cancelled": a queued run never starts (its
        message finds the scenario failed); a processing one stops at its next progress report,
        when the worker's conditional progress write fails."""
        session = self.scope.session(sid)
        scenario = self._scenario(session.id, scenario_id)
        if scenario.status not in IN_FLIGHT:
            raise Conflict(f"only a queued or processing scenario can be cancelled; this one is {scenario.status}")
        return self.cancel_run(session.id, scenario)

    def cancel_run(self, session_id: str, scenario: Scenario) -> Scenario:
        """End the scenario's run as cancelled (its run id must still be the current one)."""
        cancelled = end_run(self.stores, self.scope.accounts, self.tenant, session_id, scenario.id, scenario.run_id,
                            RunEnd.CANCELLED)  # fmt: skip
        if cancelled.executor == Executor.CONTAINER:
            self._end_task(cancelled)
        return cancelled

    def _end_task(self, cancelled: Scenario) -> None:
        """A cancelled container run: its held message goes now, so the session's next message
        is received at once, not when the task (still starting, maybe) finds the run cancelled;
        and a task that was started is stopped. Both are best effort: the task ends itself too."""
        try:
            if cancelled.receipt and self.held is not None:
                self.held.delete([cancelled.receipt])
            if cancelled.task_id and self.launcher is not None:
                self.launcher.stop(cancelled.task_id, "the run was cancelled")
        except Exception:  # the cancel stands; the task's watchdog ends it
            logger.warning("could not end the container task of run %s", cancelled.run_id, exc_info=True)

    def reset(self, sid: str, scenario_id: str) -> Scenario:
        session = self.scope.session(sid)
        scenario = self._scenario(session.id, scenario_id)
        if scenario.status == Status.CREATED:
            return scenario
        reset = self.stores.scenarios.transition(
            self.tenant, session.id, scenario.id, Status.CREATED, set_fields={"progress": 0.0}, remove_fields=RUN_FIELDS
        )
        if scenario.result_ref:
            self.blobs.delete([scenario.result_ref])
        return reset

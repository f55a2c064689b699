"""The stores of a tenant's sessions and what is in them: one small interface per aggregate.

`Stores` composes them (as Dagster's instance composes its run, event-log and schedule
storages): a use case takes the whole set and reaches the one it needs, `stores.scenarios`.
Each backend implements every store in a module of its own over one table (adapters.aws) or one
database file (adapters.embedded); one contract suite per store runs on both (tests/contract).

Uniqueness (session names, scenario tags) and every status change are atomic and conditional:
two concurrent calls never both win. Methods take the tenant explicitly; nothing crosses
tenants. Errors are the domain's: NotFound, Conflict, InvalidTransition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .experiments import ExperimentRecord, ExperimentSummary
from .ids import created_at_of
from .jobs import Fields, IngestJob
from .scenario import Scenario, ScenarioStatus, Status, now_iso

# Where a page ends: the (created_at, id) of its last item. Ids are UUIDv7 (domain.ids), so on
# the DynamoDB table, whose sort keys hold the id, the id alone gives the same order.
Position = tuple[str, str]


@dataclass(frozen=True)
class SessionRecord:
    id: str  # a UUIDv7 for a new session (domain.ids)
    display_name: str
    created_at: str = ""  # by default the id's own creation time
    created_by: str | None = None  # who made it (domain.identity.Principal.actor); None: before owners
    private: bool = False  # seen by its maker and the tenant's admins only (else: every member, by role)

    def __post_init__(self) -> None:
        if not self.created_at:
            object.__setattr__(self, "created_at", created_at_of(self.id) or now_iso())

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "display_name": self.display_name}


@dataclass(frozen=True)
class DatasetRecord:
    """A dataset's metadata; its content (DataSource.to_stored_bytes) is the blob `object_key`."""

    key: str
    ds_id: str
    ds_type: str
    creation_datetime: str
    tables: list[str]
    object_key: str
    size_bytes: int
    refs: int = 0
    created_by: str | None = None  # who stored it (domain.identity.Principal.actor); None: seeds, older ones


class Secrets(Protocol):
    def secret(self, name: str) -> bytes:
        """A random key of this deployment (e.g. for page cursors), made on first use: concurrent
        first callers all get the one that was stored first."""
        ...


class SessionStore(Protocol):
    """Tenants' sessions, and which run each is executing (for GET /processing)."""

    def tenant_exists(self, tenant: str) -> bool: ...

    def create_session(
        self, tenant: str, session: SessionRecord, datasets: Sequence[DatasetRecord] = (), mark_tenant: bool = False
    ) -> bool:
        """The session (and its datasets) at once; Conflict when the display name is taken. With
        `mark_tenant` the tenant's bootstrap marker too, and False (nothing written) when the
        tenant was bootstrapped already."""
        ...

    def list_sessions(
        self, tenant: str, after: Position | None = None, limit: int | None = None
    ) -> list[SessionRecord]:
        """Oldest first; with `after` and `limit`, reads only that page (not the whole list)."""
        ...

    def find_session(self, tenant: str, id_or_name: str) -> SessionRecord | None: ...

    def rename_session(self, tenant: str, session: SessionRecord, new_name: str) -> SessionRecord: ...

    def delete_session(self, tenant: str, session: SessionRecord) -> None:
        """The session and its name; `purge_session` removes what was in it."""
        ...

    def purge_session(self, tenant: str, session_id: str) -> None: ...

    def copy_session_contents(
        self, tenant: str, source_id: str, target_id: str, copy_object: Callable[[str], str]
    ) -> None:
        """Datasets and scenarios (results, KPI values; in-flight ones as created);
        `copy_object(key) -> new key` copies an object the copy refers to."""
        ...

    # The queue (one message group per session) runs one scenario of a session at a time; the
    # marker only records which one.
    def processing_scenario_id(self, tenant: str, session_id: str) -> str | None: ...

    def set_processing(self, tenant: str, session_id: str, scenario_id: str, run_id: str) -> None:
        """Only while the session exists (NotFound), so a deleted session gets no stray marker."""
        ...

    def clear_processing(self, tenant: str, session_id: str, run_id: str) -> None: ...


class DatasetStore(Protocol):
    """Datasets' metadata; `refs` counts the scenarios that use one (kept by ScenarioStore)."""

    def list_datasets(self, tenant: str, session_id: str) -> list[DatasetRecord]: ...

    def get_dataset(self, tenant: str, session_id: str, key: str) -> DatasetRecord | None: ...

    def put_dataset(self, tenant: str, session_id: str, record: DatasetRecord, overwrite: bool) -> DatasetRecord | None:
        """Store it while the session exists; the record it replaced. Without `overwrite` an
        existing key is a Conflict; with it, a key still used by scenarios is one."""
        ...

    def delete_dataset(self, tenant: str, session_id: str, key: str) -> DatasetRecord:
        """Unless scenarios use it (Conflict); what was deleted."""
        ...


class ScenarioStore(Protocol):
    """Scenarios and their results; a status changes only along domain.scenario's transitions."""

    def list_scenarios(
        self, tenant: str, session_id: str, after: Position | None = None, limit: int | None = None
    ) -> list[Scenario]:
        """Oldest first; with `after` and `limit`, reads only that page. Results are not read
        (`result` is None): `scenario_results` reads those wanted."""
        ...

    def scenario_results(self, tenant: str, session_id: str, scenario_ids: Sequence[str]) -> dict[str, Any]:
        """The inline results of these scenarios (those that have one), by id."""
        ...

    def get_scenario(self, tenant: str, session_id: str, scenario_id: str) -> Scenario | None: ...

    def get_status(self, tenant: str, session_id: str, scenario_id: str) -> ScenarioStatus | None: ...

    def create_scenario(self, tenant: str, session_id: str, scenario: Scenario) -> None:
        """A new scenario: the session present, its tag unique, its dataset present (and counted
        as used), or NotFound / Conflict."""
        ...

    def create_scenarios(self, tenant: str, session_id: str, scenarios: Sequence[Scenario]) -> None:
        """Many at once, with the same checks (an experiment's thousand runs in a few dozen
        writes); not all-or-nothing past one write's size."""
        ...

    def delete_scenario(self, tenant: str, session_id: str, scenario: Scenario) -> None: ...

    def transition(
        self,
        tenant: str,
        session_id: str,
        scenario_id: str,
        target: Status,
        set_fields: Mapping[str, Any] | None = None,
        remove_fields: Sequence[str] = (),
        run_id: str | None = None,
    ) -> Scenario:
        """Move the scenario to `target` if the state machine allows it from its current status
        (and, with `run_id`, it is still on that run), changing the fields in the same write;
        the updated scenario, or NotFound / InvalidTransition."""
        ...

    def update_progress(self, tenant: str, session_id: str, scenario_id: str, run_id: str, progress: float) -> None:
        """Progress of a processing run; NotFound / InvalidTransition once it is not that run."""
        ...

    def in_flight_runs(self) -> Iterator[tuple[str, str, Scenario]]:
        """(tenant, session id, scenario) of every queued or processing scenario: a scan of every
        tenant, for maintenance only, never on a request path."""
        ...


class JobStore(Protocol):
    """Ingestion jobs (domain.jobs): their status changes are conditional, like a scenario's."""

    def create_job(self, tenant: str, session_id: str, job: IngestJob) -> None:
        """NotFound when the session is gone, Conflict when the id exists."""
        ...

    def get_job(self, tenant: str, session_id: str, job_id: str) -> IngestJob | None: ...

    def transition_job(
        self, tenant: str, session_id: str, job_id: str, target: Status, fields: Fields = None
    ) -> IngestJob:
        """Move a job to `target` if domain.jobs.JOB_TRANSITIONS allows it from its current status,
        setting `fields` (of JOB_MUTABLE_FIELDS) in the same write: NotFound / InvalidTransition."""
        ...


class ExperimentStore(Protocol):
    """Experiments (domain.experiments), as their records: the plan, or where it is."""

    def create_experiment(self, tenant: str, session_id: str, record: ExperimentRecord) -> None:
        """NotFound when the session is gone."""
        ...

    def get_experiment(self, tenant: str, session_id: str, experiment_id: str) -> ExperimentRecord | None: ...

    def list_experiments(self, tenant: str, session_id: str) -> list[ExperimentSummary]:
        """Oldest first."""
        ...

    def replace_experiment(self, tenant: str, session_id: str, record: ExperimentRecord) -> None:
        """Store the record again (its ending, say); NotFound when it is gone."""
        ...

    def delete_experiment(self, tenant: str, session_id: str, experiment_id: str) -> None: ...


@dataclass(frozen=True)
class Stores:
    """Every store of one backend, over one table or one database file."""

    secrets: Secrets
    sessions: SessionStore
    datasets: DatasetStore
    scenarios: ScenarioStore
    jobs: JobStore
    experiments: ExperimentStore

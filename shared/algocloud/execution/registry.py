"""The worker of this deployment: the handler of each message kind, in one executor."""

from __future__ import annotations

from ..domain.config import AppConfig
from ..domain.ports import Accounts, BlobStore
from ..domain.stores import Stores
from ..run_message import ExperimentMessage, IngestMessage, RunMessage
from .container import ContainerTier
from .executor import InProcessExecutor, JobHandler
from .experiment_jobs import ExperimentEndings
from .ingest_jobs import IngestJobs
from .runs import ScenarioRuns


def in_process_executor(
    config: AppConfig,
    stores: Stores,
    blobs: BlobStore,
    accounts: Accounts,
    progress_interval: float | None = None,
    tier: ContainerTier | None = None,
    app_version: str = "dev",
) -> InProcessExecutor:
    """The worker of this deployment: scenario runs and ingestion jobs, on these adapters; `tier`
    says where this process runs them and how it reaches the container tier."""
    tier = tier or ContainerTier()
    runs = ScenarioRuns(config, stores, blobs, accounts, tier, app_version=app_version)
    if progress_interval is not None:
        runs.progress_interval = progress_interval
    handlers: dict[type, JobHandler] = {
        RunMessage: runs,
        IngestMessage: IngestJobs(config, stores, blobs, accounts, tier),
        ExperimentMessage: ExperimentEndings(config, stores, blobs, accounts, tier),
    }
    return InProcessExecutor(handlers)

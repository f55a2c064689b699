"""The worker of this deployment: the handler of each message kind, in one executor."""

from __future__ import annotations

from ..domain.config import AppConfig
from ..domain.ports import Accounts, BlobStore, Repository
from ..run_message import IngestMessage, RunMessage
from .executor import InProcessExecutor
from .ingest_jobs import IngestJobs
from .runs import ScenarioRuns


def in_process_executor(
    config: AppConfig,
    repo: Repository,
    blobs: BlobStore,
    accounts: Accounts,
    progress_interval: float | None = None,
) -> InProcessExecutor:
    """The worker of this deployment: scenario runs and ingestion jobs, on these adapters."""
    runs = ScenarioRuns(config, repo, blobs, accounts)
    if progress_interval is not None:
        runs.progress_interval = progress_interval
    return InProcessExecutor({RunMessage: runs, IngestMessage: IngestJobs(config, repo, blobs, accounts)})

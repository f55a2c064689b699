"""Every store in the one local database file (store.db)."""

from __future__ import annotations

from pathlib import Path

from ...domain.stores import Stores
from .datasets import SqliteDatasets
from .experiments import SqliteExperiments
from .jobs import SqliteJobs
from .scenarios import SqliteScenarios
from .sessions import SqliteSecrets, SqliteSessions
from .store_db import open_store_database


def sqlite_stores(path: Path, synchronous: str = "normal") -> Stores:
    database = open_store_database(path, synchronous)
    return Stores(
        secrets=SqliteSecrets(database),
        sessions=SqliteSessions(database),
        datasets=SqliteDatasets(database),
        scenarios=SqliteScenarios(database),
        jobs=SqliteJobs(database),
        experiments=SqliteExperiments(database),
    )

"""Records the contract tests store, and how they race."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from algocloud.domain.scenario import Scenario
from algocloud.domain.stores import DatasetRecord

TENANT = "tenant-a"


def dataset(key="data") -> DatasetRecord:
    return DatasetRecord(key, str(uuid.uuid4()), "master_data", "2026-01-01 00:00:00", ["t"], f"obj/{key}", 10)


def scenario(tag="s", data="data") -> Scenario:
    return Scenario(tag=tag, input_data_id=data, algorithm="Instant", parameters={"n": 1})


def race(count, action):
    """Run `action(i)` from `count` threads at once; results or exceptions, in order."""
    barrier = threading.Barrier(count)

    def one(index):
        barrier.wait()
        try:
            return action(index)
        except Exception as exc:  # noqa: BLE001 - the outcome is what we compare
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))

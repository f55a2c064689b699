"""Records the contract tests store."""

from __future__ import annotations

import uuid

from algocloud.domain.ports import DatasetRecord
from algocloud.domain.scenario import Scenario

TENANT = "tenant-a"


def dataset(key="data") -> DatasetRecord:
    return DatasetRecord(key, str(uuid.uuid4()), "master_data", "2026-01-01 00:00:00", ["t"], f"obj/{key}", 10)


def scenario(tag="s", data="data") -> Scenario:
    return Scenario(tag=tag, input_data_id=data, algorithm="Instant", parameters={"n": 1})

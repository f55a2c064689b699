"""Provenance: what produced a run's result, recorded on the scenario when the run ends.

The application's declared version (APP_VERSION), a content hash of the code that ran (the
algorithm's module and the application's module), the dataset's content hash, the parameter
values, where it executed and the worker's runtime. Compare flags scenarios whose results came
from different code or different data.
"""

from __future__ import annotations

import hashlib
import inspect
import platform
import sys
from collections.abc import Sequence
from functools import cache
from typing import Any

from .scenario import Scenario


@cache
def code_hash(*module_names: str) -> str:
    """sha256 over the source files of these modules (built once per process)."""
    digest = hashlib.sha256()
    for name in sorted(set(module_names)):
        module = sys.modules.get(name)
        try:
            path = inspect.getsourcefile(module) if module is not None else None
            source = open(path, "rb").read() if path else name.encode()  # noqa: SIM115 - read at once
        except (OSError, TypeError):
            source = name.encode()
        digest.update(name.encode() + b"\0" + source + b"\0")
    return digest.hexdigest()


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@cache
def runtime() -> dict[str, str]:
    import pandas

    return {"python": platform.python_version(), "pandas": pandas.__version__}


def provenance(
    app_version: str, code: str, dataset_hash: str, scenario: Scenario, executor: str | None
) -> dict[str, Any]:
    return {
        "app_version": app_version,
        "code_hash": code,
        "dataset_hash": dataset_hash,
        "parameters": scenario.parameters,
        "data_parameters": scenario.data_parameters,
        "executor": executor,
        "runtime": runtime(),
    }


def mix(scenarios: Sequence[Scenario]) -> dict[str, Any]:
    """For compare: whether the scenarios' results came from different code or data."""
    recorded = [s.provenance for s in scenarios if s.provenance]
    versions = sorted({f"{p['app_version']} ({p['code_hash'][:12]})" for p in recorded})
    datasets = sorted({p["dataset_hash"] for p in recorded})
    return {
        "versions": versions,
        "mixed_versions": len(versions) > 1,
        "mixed_data": len(datasets) > 1,
        "without_provenance": [s.id for s in scenarios if not s.provenance],
    }

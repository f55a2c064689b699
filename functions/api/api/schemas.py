"""Request bodies. Strict types: a number where a string belongs is a 422."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StrictStr, StringConstraints

# Present and not blank here; the naming rule (length in bytes, '/', normalisation) is the
# service's (algocloud.domain.names), also a 422.
Name = Annotated[StrictStr, StringConstraints(min_length=1, pattern=r"\S")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DisplayNameBody(_Body):
    display_name: Name


class CopyBody(_Body):
    new_display_name: Name


class ScenarioBody(_Body):
    tag: Name
    dataset_key: Name
    algo_name: Name
    algo_params: dict[str, Any] | None = None
    data_params: dict[str, Any] | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "tag": "my-run", "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {"duration": 5},
    }]})


class DeriveBody(_Body):
    new_key: Name

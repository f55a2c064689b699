"""Request bodies. Strict types: a number where a string belongs is a 422."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, StringConstraints

from algocloud.domain.identity import Role
from algocloud.domain.jobs import Tier
from algocloud.limits import MAX_EXPERIMENT_RUNS, MAX_UPLOAD_BYTES, MAX_UPLOADS_PER_INGEST

# Present and not blank here; the naming rule (length in bytes, '/', normalisation) is the
# service's (algocloud.domain.names), also a 422.
Name = Annotated[StrictStr, StringConstraints(min_length=1, pattern=r"\S")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DisplayNameBody(_Body):
    display_name: Name

    model_config = ConfigDict(json_schema_extra={"examples": [{"display_name": "what-if: two shifts"}]})


class NewSessionBody(DisplayNameBody):
    visibility: Literal["tenant", "private"] | None = Field(
        None,
        description="tenant (the default): every member sees it (by role); private: its maker and the tenant's "
        "admins only (to everyone else it does not exist)",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"display_name": "what-if: two shifts"}, {"display_name": "mine", "visibility": "private"}]
        }
    )


class CopyBody(_Body):
    new_display_name: Name

    model_config = ConfigDict(json_schema_extra={"examples": [{"new_display_name": "main (copy)"}]})


class ScenarioBody(_Body):
    tag: Name
    dataset_key: Name
    algo_name: Name
    algo_params: dict[str, Any] | None = None
    data_params: dict[str, Any] | None = None
    tier: Tier | None = Field(
        None,
        description="where its runs execute: `lambda` (the worker Lambda, handed to the container tier if a run would "
        "pass its time limit) or `container` (ECS Fargate, no time limit); unset: the algorithm's choice, else lambda",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tag": "my-run",
                    "dataset_key": "Master data",
                    "algo_name": "Slow",
                    "algo_params": {"duration": 5},
                }
            ]
        }
    )


class ExperimentBody(_Body):
    name: Name
    dataset_keys: list[Name] = Field(min_length=1, max_length=20)
    algo_name: Name
    algo_params: dict[str, Any] = Field(default_factory=dict, description="base parameter values of every run")
    grid: dict[str, list[Any]] | None = Field(
        None, description="parameter -> values: every combination is a parameter set (or give `parameter_sets`)"
    )
    parameter_sets: list[dict[str, Any]] | None = Field(None, max_length=MAX_EXPERIMENT_RUNS)
    repetitions: int = Field(1, ge=1, le=MAX_EXPERIMENT_RUNS, description="runs per set; `seed` varies per one")
    baseline_scenario: StrictStr | None = Field(None, description="a complete scenario of this session")
    baseline_set: int | None = Field(None, ge=0, description="or the index of one of the parameter sets")
    accept: list[StrictStr] = Field(
        default_factory=list,
        max_length=50,
        description="acceptance criteria against the baseline, e.g. `Travel distance<=+2%` or `Fill rate>=-0.5`",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "days x policy",
                    "dataset_keys": ["Master data"],
                    "algo_name": "Pick simulation",
                    "grid": {"days": [3, 5, 7], "policy": ["as-is", "greedy"]},
                    "repetitions": 2,
                    "baseline_set": 0,
                    "accept": ["Travel distance<=+2%"],
                }
            ]
        }
    )


class DeriveBody(_Body):
    new_key: Name

    model_config = ConfigDict(json_schema_extra={"examples": [{"new_key": "Master data (edited)"}]})


class UploadBody(_Body):
    filename: Name  # its extension says how to read it: .csv, .json, .xlsx
    size: Annotated[int, Field(strict=True, gt=0, le=MAX_UPLOAD_BYTES)]  # bytes; the upload may not exceed it

    model_config = ConfigDict(json_schema_extra={"examples": [{"filename": "sku_data.csv", "size": 8_800_000}]})


class PartBody(_Body):
    part_number: Annotated[int, Field(strict=True, ge=1, le=10_000)]
    etag: Annotated[StrictStr, StringConstraints(min_length=1, max_length=200)]


class CompleteUploadBody(_Body):
    parts: Annotated[list[PartBody], Field(min_length=1, max_length=10_000)]

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"parts": [{"part_number": 1, "etag": '"9b2cf535f27731c974343645a3985328"'}]}]}
    )


class EtlUploadsBody(_Body):
    dataset_name: Name
    uploads: Annotated[
        list[Annotated[StrictStr, StringConstraints(min_length=1, max_length=64)]],
        Field(min_length=1, max_length=MAX_UPLOADS_PER_INGEST),
    ]

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"dataset_name": "big", "uploads": ["3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7"]}]}
    )


class ImportUploadBody(BaseModel):
    # extra: anything more is a DataSource payload, not this form
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"upload": "3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7"}]}
    )

    upload: Annotated[StrictStr, StringConstraints(min_length=1, max_length=64)]


class WebhookBody(_Body):
    url: StrictStr = Field(description="where events are POSTed: https (the local stack also takes http to loopback)")
    events: list[StrictStr] | None = Field(
        None, min_length=1, max_length=20, description="event types to deliver (leave it out: every type)"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "https://example.com/hooks/algocloud", "events": ["scenario.complete"]}]
        }
    )


class KeyBody(BaseModel):
    """A new API key of the caller's tenant (POST /keys)."""

    role: Role = Field(description="what the key may do; at most the caller's own role")
    expires_in_days: int | None = Field(None, ge=1, le=3650, description="it stops working then; none: when revoked")

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"role": "runner", "expires_in_days": 90}]}
    )

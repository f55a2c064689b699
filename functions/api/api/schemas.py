"""Request bodies. Strict types: a number where a string belongs is a 422."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, StringConstraints

from algocloud.ingest import MAX_UPLOAD_BYTES, MAX_UPLOADS_PER_INGEST

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


class UploadBody(_Body):
    filename: Name  # its extension says how to read it: .csv, .json, .xlsx
    size: Annotated[int, Field(strict=True, gt=0, le=MAX_UPLOAD_BYTES)]  # bytes; the upload may not exceed it

    model_config = ConfigDict(json_schema_extra={"examples": [{"filename": "sku_data.csv", "size": 8_800_000}]})


class PartBody(_Body):
    part_number: Annotated[int, Field(strict=True, ge=1, le=10_000)]
    etag: Annotated[StrictStr, StringConstraints(min_length=1, max_length=200)]


class CompleteUploadBody(_Body):
    parts: Annotated[list[PartBody], Field(min_length=1, max_length=10_000)]


class EtlUploadsBody(_Body):
    dataset_name: Name
    uploads: Annotated[list[Annotated[StrictStr, StringConstraints(min_length=1, max_length=64)]],
                       Field(min_length=1, max_length=MAX_UPLOADS_PER_INGEST)]


class ImportUploadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")  # anything more is a DataSource payload, not this form

    upload: Annotated[StrictStr, StringConstraints(min_length=1, max_length=64)]

"""The path parameters, each described once for the OpenAPI document."""

from typing import Annotated

from fastapi import Path

SessionId = Annotated[str, Path(description="a session's id, or its current display name", examples=["main"])]
ScenarioId = Annotated[str, Path(description="a scenario's id (as create answered)")]
DatasetKey = Annotated[str, Path(description="a dataset's key (its name)", examples=["Master data"])]
AlgorithmName = Annotated[str, Path(description="an algorithm's name, as `…/algorithms` lists it", examples=["Slow"])]
TableName = Annotated[str, Path(description="a table of the dataset, as `…/tables` lists it", examples=["sku_data"])]
UploadId = Annotated[
    str, Path(description="an upload's id, as `POST …/uploads` answered it (32 hex digits; any other is a 404)")
]
JobId = Annotated[
    str,
    Path(
        description="an ingestion job's id, as the 202 of ETL or from-json answered it (32 hex digits; any other is a 404)"
    ),
]
ExperimentId = Annotated[str, Path(description="an experiment's id (as create answered)")]

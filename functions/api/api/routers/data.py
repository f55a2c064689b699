from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from algocloud.domain.errors import DomainError
from algocloud.domain.etl import UploadedFile, unsupported_file_message
from algocloud.domain.jobs import IngestJob
from algocloud.limits import DEFAULT_ROWS_PAGE, MAX_ROWS_PAGE

from .. import models, presenters
from ..deps import DatasetsUseCases, IngestionUseCases, Scope
from ..encoding import accepts_gzip
from ..params import DatasetKey, SessionId, TableName
from ..responses import OrjsonResponse
from ..schemas import DeriveBody, EtlUploadsBody, ImportUploadBody
from . import Responses

router = APIRouter(prefix="/sessions/{sid}", tags=["data"])
NOT_FOUND: Responses = {404: {"description": "session or dataset not found"}}


class BadUpload(DomainError):
    """A 400 for the multipart request itself (not for the data in it)."""


@router.get(
    "/data",
    response_model=models.DatasetKeys,
    responses={404: {"description": "session not found"}},
    summary="Dataset keys",
)
def list_data(sid: SessionId, datasets: DatasetsUseCases) -> dict:
    return presenters.dataset_keys(datasets.keys(sid))


@router.post(
    "/data/from-json",
    response_model=models.DatasetKeys,
    status_code=201,
    responses={
        202: {"description": "a large upload: ingested by a job (GET …/etl/{job_id})", "model": models.Job},
        400: {"description": "empty body, malformed JSON or not a DataSource payload"},
        404: {"description": "session or upload not found"},
        409: {"description": "a dataset with that key is used by scenarios"},
        422: {"description": "metadata.name breaks the naming rule"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"type": "object", "description": "the verbatim output of DataSource.to_json()"},
                            {
                                "type": "object",
                                "required": ["upload"],
                                "additionalProperties": False,
                                "properties": {
                                    "upload": {"type": "string", "description": "an upload_id (POST …/uploads)"}
                                },
                            },
                        ]
                    }
                }
            },
        }
    },
    summary="Add (or replace) a dataset from a DataSource JSON payload, in the body or uploaded",
)
async def import_json(
    sid: SessionId, request: Request, datasets: DatasetsUseCases, ingestion: IngestionUseCases
) -> Response:
    body = await request.body()
    upload = _named_upload(body)
    # Parsing and storing is CPU work: off the event loop, so other requests keep flowing.
    keys: list[str] | IngestJob
    if upload is None:
        keys = await run_in_threadpool(datasets.import_json, sid, body)
    else:
        keys = await run_in_threadpool(ingestion.import_json, sid, upload)
    if isinstance(keys, IngestJob):
        return OrjsonResponse(presenters.job(keys), status_code=202)
    return OrjsonResponse(presenters.dataset_keys(keys), status_code=201)


def _named_upload(body: bytes) -> str | None:
    """The upload id of a `{"upload": id}` body (small, one key), else None: a DataSource payload."""
    if len(body) > 200 or b'"upload"' not in body:
        return None
    try:
        return ImportUploadBody.model_validate_json(body).upload
    except ValueError:
        return None


@router.get(
    "/data/{key}", response_model=models.DataSourcePayload, responses=NOT_FOUND, summary="A dataset as DataSource JSON"
)
def get_data(sid: SessionId, key: DatasetKey, request: Request, datasets: DatasetsUseCases) -> Response:
    limit = request.app.state.settings.response_limit
    download = datasets.download(sid, key, limit, accepts_gzip(request.headers.get("accept-encoding", "")))
    if download.url is not None:  # too large for a (Lambda) response: fetch it from storage directly
        return RedirectResponse(download.url, status_code=307)
    headers = {"Content-Encoding": "gzip"} if download.gzipped else None
    return Response(download.body, media_type="application/json", headers=headers)


@router.get(
    "/data/{key}/parameters",
    response_model=models.DataParameters,
    responses=NOT_FOUND,
    summary="The data-parameter descriptors a scenario on this dataset can fill in",
)
def data_parameters(sid: SessionId, key: DatasetKey, datasets: DatasetsUseCases) -> dict:
    datasets.check_exists(sid, key)
    return presenters.data_parameters(key, datasets.config.data_parameters.describe())


@router.get(
    "/data/{key}/tables",
    response_model=models.DatasetTables,
    responses=NOT_FOUND,
    summary="A dataset's tables: names, row counts, columns with dtypes",
)
def dataset_tables(sid: SessionId, key: DatasetKey, datasets: DatasetsUseCases) -> Response:
    return OrjsonResponse(presenters.dataset_tables(key, datasets.tables(sid, key)))


@router.get(
    "/data/{key}/tables/{table}/rows",
    response_model=models.RowsPage,
    responses={404: {"description": "session, dataset or table not found"}},
    summary="A page of a table's rows (the records of GET …/data/{key})",
)
def dataset_rows(
    sid: SessionId,
    key: DatasetKey,
    table: TableName,
    datasets: DatasetsUseCases,
    offset: Annotated[int, Query(ge=0, le=2**53, description="the first row (0-based)")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS_PAGE, description="rows in the page")] = DEFAULT_ROWS_PAGE,
) -> Response:
    return OrjsonResponse(
        presenters.rows_page(key, table, offset, limit, datasets.rows(sid, key, table, offset, limit))
    )


@router.delete(
    "/data/{key}",
    status_code=204,
    responses={**NOT_FOUND, 409: {"description": "scenarios reference the dataset"}},
    summary="Delete a dataset",
)
def delete_data(sid: SessionId, key: DatasetKey, datasets: DatasetsUseCases) -> Response:
    datasets.delete(sid, key)
    return Response(status_code=204)


@router.post(
    "/data/{key}/derive",
    response_model=models.DatasetKeys,
    status_code=201,
    responses={**NOT_FOUND, 409: {"description": "new_key already exists"}},
    summary="Derive a new dataset from an existing one",
)
def derive_data(sid: SessionId, key: DatasetKey, body: DeriveBody, datasets: DatasetsUseCases) -> dict:
    return presenters.dataset_keys(datasets.derive(sid, key, body.new_key))


ETL_FORM = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["dataset_name", "files"],
                "properties": {
                    "dataset_name": {"type": "string", "minLength": 1},
                    "files": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "file name stem = table name; .csv, .json or .xlsx",
                    },
                },
            }
        },
        "application/json": {"schema": EtlUploadsBody.model_json_schema()},
    },
}


@router.post(
    "/etl",
    response_model=models.EtlResponse,
    responses={
        202: {"description": "large uploads: ingested by a job (GET …/etl/{job_id})", "model": models.Job},
        400: {"description": "no files, a file without a name, or an unsupported extension"},
        404: {"description": "session or upload not found"},
        409: {"description": "dataset_name exists and scenarios reference it"},
        422: {"description": "dataset_name is missing"},
    },
    openapi_extra={"requestBody": ETL_FORM},
    summary="Upload files and run ETL into a dataset",
)
async def etl(
    sid: SessionId, request: Request, scope: Scope, datasets: DatasetsUseCases, ingestion: IngestionUseCases
) -> Response:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json":
        named = _etl_uploads(await request.body())
        done = await run_in_threadpool(ingestion.etl, sid, named.dataset_name, named.uploads)
        if isinstance(done, IngestJob):
            return OrjsonResponse(presenters.job(done), status_code=202)
        return OrjsonResponse(presenters.etl(done))
    scope.session(sid)  # 404 before reading the upload
    form = await request.form()
    dataset_name = form.get("dataset_name")
    if not isinstance(dataset_name, str) or not dataset_name.strip():
        raise RequestValidationError(
            [
                {
                    "type": "missing",
                    "loc": ("body", "dataset_name"),
                    "msg": "Field required" if dataset_name is None else "must be a non-empty string",
                    "input": None,
                }
            ]
        )
    parts = form.getlist("files")
    if not parts:
        raise BadUpload("no files uploaded: send one or more 'files' parts")
    uploads = []
    for part in parts:
        if not isinstance(part, UploadFile) or not part.filename:
            raise BadUpload("an upload is missing its filename")
        uploads.append(UploadedFile(part.filename, await part.read()))
    unsupported = unsupported_file_message(upload.filename for upload in uploads)
    if unsupported:
        raise BadUpload(unsupported)
    # CPU work: off the loop
    return OrjsonResponse(presenters.etl(await run_in_threadpool(datasets.etl, sid, dataset_name, uploads)))


def _etl_uploads(body: bytes) -> EtlUploadsBody:
    try:
        return EtlUploadsBody.model_validate_json(body)
    except ValidationError as exc:
        # without the input: it may be bytes that are not even text
        errors = exc.errors(include_input=False, include_url=False, include_context=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None

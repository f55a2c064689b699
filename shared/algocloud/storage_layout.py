"""Where everything lives in the blob store (S3, or files), and in what form.

Every object key is built here. All of a session's objects are under its prefix, so
deleting a session is one sweep:

    tenants/<tenant>/sessions/<session>/
        datasets/<uuid>.json                 a dataset (DataSource.to_stored_bytes: columnar JSON)
        datasets/<uuid>.pages/index.json     its paged form (domain.pages): the index, written last
        datasets/<uuid>.pages/<table>.json   ... and one file of row chunks per table
        datasets/<uuid>.download.json.gz     its Algomancy JSON, gzip, once a download asked for it
        results/<scenario>/<run>.json        a result over limits.INLINE_RESULT_LIMIT
        uploads/<upload>/upload.json         what the API promised for an upload
        uploads/<upload>/file                the uploaded file
"""

from __future__ import annotations

import gzip
import uuid

from .domain.ports import BlobStore

GZIP_MAGIC = b"\x1f\x8b"


def session_prefix(tenant: str, session_id: str) -> str:
    return f"tenants/{tenant}/sessions/{session_id}/"


# -- datasets ---------------------------------------------------------------------------------
def new_dataset_key(tenant: str, session_id: str) -> str:
    """A new object for a dataset: stored datasets never change, a new version gets a new key."""
    return f"{session_prefix(tenant, session_id)}datasets/{uuid.uuid4()}.json"


def _dataset_stem(object_key: str) -> str:
    return object_key.removesuffix(".json.gz").removesuffix(".json")


def pages_prefix(object_key: str) -> str:
    """Where the paged form of the dataset stored at `object_key` is kept."""
    return _dataset_stem(object_key) + ".pages/"


def pages_index_key(object_key: str) -> str:
    return pages_prefix(object_key) + "index.json"


def download_key(object_key: str) -> str:
    """Where the Algomancy JSON (gzip) of a stored dataset is kept once a download asked for it."""
    return _dataset_stem(object_key) + ".download.json.gz"


def read_stored(blobs: BlobStore, object_key: str) -> bytes:
    """A stored dataset's bytes (objects of older versions were gzip); KeyError when gone."""
    body = blobs.get(object_key)
    return gzip.decompress(body) if body[:2] == GZIP_MAGIC else body


# -- results ----------------------------------------------------------------------------------
def experiment_plan_key(tenant: str, session_id: str, experiment_id: str) -> str:
    """An experiment's plan too large for its record (under its session: deleted with it)."""
    return f"{session_prefix(tenant, session_id)}experiments/{experiment_id}/plan.json"


def results_prefix(tenant: str, session_id: str, scenario_id: str) -> str:
    return f"{session_prefix(tenant, session_id)}results/{scenario_id}/"


def result_key(tenant: str, session_id: str, scenario_id: str, run_id: str) -> str:
    return f"{results_prefix(tenant, session_id, scenario_id)}{run_id}.json"


# -- uploads ----------------------------------------------------------------------------------
def upload_prefix(tenant: str, session_id: str, upload_id: str) -> str:
    return f"{session_prefix(tenant, session_id)}uploads/{upload_id}/"


def upload_manifest_key(tenant: str, session_id: str, upload_id: str) -> str:
    return upload_prefix(tenant, session_id, upload_id) + "upload.json"


def upload_file_key(tenant: str, session_id: str, upload_id: str) -> str:
    return upload_prefix(tenant, session_id, upload_id) + "file"

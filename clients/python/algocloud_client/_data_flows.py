"""The data operations as flows: datasets, their tables and rows, ETL and from-json (following
their jobs), and uploads straight to storage, read from disk as they go."""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import httpx

from . import models as m
from ._transport import ApiError, Flow, Pause, ProgressCallback, Transport


class DataOperations(Transport):
    # -- data ---------------------------------------------------------------------------------
    def datasets(self, sid: str) -> Flow[list[str]]:
        return m.DatasetKeys.model_validate((yield from self.json("GET", f"/sessions/{sid}/data"))).keys

    def dataset(self, sid: str, key: str) -> Flow[m.DataSourcePayload]:
        """A dataset's DataSource JSON, from storage when the API redirects there (307)."""
        response = yield from self.call("GET", f"/sessions/{sid}/data/{key}", follow_redirects=False)
        if response.status_code == 307:
            response = yield from self.storage("GET", response.headers["location"])
        return m.DataSourcePayload.model_validate_json(response.content)

    def delete_dataset(self, sid: str, key: str) -> Flow[None]:
        yield from self.call("DELETE", f"/sessions/{sid}/data/{key}")

    def derive_dataset(self, sid: str, key: str, new_key: str) -> Flow[list[str]]:
        answer = yield from self.json("POST", f"/sessions/{sid}/data/{key}/derive", json={"new_key": new_key})
        return m.DatasetKeys.model_validate(answer).keys

    def data_parameters(self, sid: str, key: str) -> Flow[m.DataParameters]:
        answer = yield from self.json("GET", f"/sessions/{sid}/data/{key}/parameters")
        return m.DataParameters.model_validate(answer)

    def tables(self, sid: str, key: str) -> Flow[m.DatasetTables]:
        return m.DatasetTables.model_validate((yield from self.json("GET", f"/sessions/{sid}/data/{key}/tables")))

    def rows(self, sid: str, key: str, table: str, offset: int, limit: int) -> Flow[m.RowsPage]:
        answer = yield from self.json(
            "GET", f"/sessions/{sid}/data/{key}/tables/{table}/rows", params={"offset": offset, "limit": limit}
        )
        return m.RowsPage.model_validate(answer)

    def import_json(self, sid: str, upload_id: str, poll: float) -> Flow[list[str]]:
        """A DataSource JSON file sent with `upload` becomes a dataset (following the job, when it is one)."""
        response = yield from self.call("POST", f"/sessions/{sid}/data/from-json", json={"upload": upload_id})
        answer = yield from self.ingestion_result(sid, response, poll)
        return m.DatasetKeys.model_validate(answer).keys

    def etl(
        self, sid: str, dataset_name: str, files: Sequence[Path], poll: float, on_sent: ProgressCallback | None = None
    ) -> Flow[m.EtlResponse]:
        """Send the files straight to storage and ETL them into `dataset_name`: the ETL response (a
        job's, when it was one). A server that offers no direct uploads gets them as one form."""
        upload_ids = []
        for path in files:
            try:
                upload_ids.append((yield from self.upload(sid, path, on_sent)))
            except ApiError as refused:
                if (
                    upload_ids
                    or refused.status not in (404, 405)
                    or refused.detail not in ("Not Found", "Method Not Allowed")
                ):
                    raise
                return (yield from self.etl_form(sid, dataset_name, files, poll, on_sent))
        body = {"dataset_name": dataset_name, "uploads": upload_ids}
        response = yield from self.call("POST", f"/sessions/{sid}/etl", json=body)
        answer = yield from self.ingestion_result(sid, response, poll)
        return m.EtlResponse.model_validate(answer)

    def etl_form(
        self, sid: str, dataset_name: str, files: Sequence[Path], poll: float, on_sent: ProgressCallback | None
    ) -> Flow[m.EtlResponse]:
        """The reference's multipart form (the request's size limit applies), files read as sent."""
        with ExitStack() as opened:
            parts = [("files", (path.name, _Reading(opened.enter_context(path.open("rb")), on_sent))) for path in files]
            response = yield from self.call(
                "POST", f"/sessions/{sid}/etl", data={"dataset_name": dataset_name}, files=parts
            )
        answer = yield from self.ingestion_result(sid, response, poll)
        return m.EtlResponse.model_validate(answer)

    def ingestion_result(self, sid: str, answered: httpx.Response, poll: float) -> Flow[dict[str, Any]]:
        """An ETL or from-json answer: the body, or for a 202 the result of its job once it ends."""
        if answered.status_code != 202:
            return answered.json()
        job = m.Job.model_validate(answered.json())
        while job.status not in (m.JobStatus.COMPLETE, m.JobStatus.FAILED):
            yield Pause(poll)
            job = m.Job.model_validate((yield from self.json("GET", f"/sessions/{sid}/etl/{job.job_id}")))
        if job.result is None:
            raise ApiError(422, job.detail)
        return job.result

    # -- direct uploads -----------------------------------------------------------------------
    def upload(self, sid: str, path: Path, on_sent: ProgressCallback | None = None) -> Flow[str]:
        """Send a file straight to storage (one form POST, or parts then complete), read from disk
        as it goes (a 1 GiB file is never in memory); its upload id."""
        size = path.stat().st_size
        answer = yield from self.json("POST", f"/sessions/{sid}/uploads", json={"filename": path.name, "size": size})
        target = m.UploadTarget.model_validate(answer)
        with path.open("rb") as file:
            if target.method == m.UploadMethod.POST:
                assert target.url is not None
                sent = _Reading(file, on_sent)
                yield from self.storage("POST", target.url, data=target.fields, files={"file": (path.name, sent)})
            else:
                yield from self._send_parts(sid, target, file, on_sent)
        return target.upload_id

    def _send_parts(
        self, sid: str, target: m.UploadTarget, file: IO[bytes], on_sent: ProgressCallback | None
    ) -> Flow[None]:
        assert target.part_size is not None and target.parts is not None
        sent_parts = []
        for part in target.parts:
            file.seek((part.part_number - 1) * target.part_size)
            chunk = file.read(target.part_size)  # one part (16 MiB) in memory at a time
            response = yield from self.storage("PUT", part.url, content=chunk)
            sent_parts.append({"part_number": part.part_number, "etag": response.headers["etag"]})
            if on_sent is not None:
                on_sent(len(chunk))
        yield from self.call("POST", f"/sessions/{sid}/uploads/{target.upload_id}/complete", json={"parts": sent_parts})

    def upload_status(self, sid: str, upload_id: str) -> Flow[m.UploadStatus]:
        return m.UploadStatus.model_validate((yield from self.json("GET", f"/sessions/{sid}/uploads/{upload_id}")))

    def abort_upload(self, sid: str, upload_id: str) -> Flow[None]:
        yield from self.call("DELETE", f"/sessions/{sid}/uploads/{upload_id}")


class _Reading:
    """A file that reports what httpx reads from it (for an upload's progress bar)."""

    def __init__(self, file: IO[bytes], on_read: ProgressCallback | None):
        self._file, self._on_read = file, on_read

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        if self._on_read is not None and chunk:
            self._on_read(len(chunk))
        return chunk

    def fileno(self) -> int:  # httpx sizes the part (Content-Length) from the file
        return self._file.fileno()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

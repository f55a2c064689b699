"""S3 blob store: dataset content and results too large for an item."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Self

from ...domain.ports import PresignedPost

# Uploads carry this tag: the bucket's lifecycle rule (template.yaml) expires them after a day.
UPLOAD_TAG = ("algocloud-lifecycle", "upload")
UPLOAD_TAGGING = (
    f"<Tagging><TagSet><Tag><Key>{UPLOAD_TAG[0]}</Key><Value>{UPLOAD_TAG[1]}</Value></Tag></TagSet></Tagging>"
)


class S3BlobStore:
    def __init__(self, s3_client, bucket: str):
        self._s3 = s3_client
        self._bucket = bucket

    @property
    def uploads(self) -> Self:
        """This store: it takes uploads straight from clients too (domain.ports.DirectUploads)."""
        return self

    def put(self, key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        extra = {"ContentEncoding": content_encoding} if content_encoding else {}
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type, **extra)

    def get(self, key: str) -> bytes:
        try:
            return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except self._s3.exceptions.NoSuchKey:
            raise KeyError(key) from None

    def get_range(self, key: str, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        try:
            return self._s3.get_object(Bucket=self._bucket, Key=key, Range=f"bytes={start}-{end - 1}")["Body"].read()
        except self._s3.exceptions.NoSuchKey:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except self._s3.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def copy(self, source_key: str, target_key: str) -> None:
        """Server-side copy: the content never passes through the Lambda."""
        self._s3.copy_object(
            Bucket=self._bucket, Key=target_key, CopySource={"Bucket": self._bucket, "Key": source_key}
        )

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True})

    def delete_prefix(self, prefix: str) -> None:
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            self.delete(obj["Key"] for obj in page.get("Contents", []))

    def presigned_get_url(self, key: str, expires_seconds: int = 900) -> str:
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_seconds
        )

    def size(self, key: str) -> int | None:
        try:
            return self._s3.head_object(Bucket=self._bucket, Key=key)["ContentLength"]
        except self._s3.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def presigned_post(self, key: str, max_bytes: int, content_type: str, expires_seconds: int) -> PresignedPost:
        # S3 refuses a body outside the policy's content-length-range (EntityTooLarge), and
        # any other tag or content type than these.
        fields = {"tagging": UPLOAD_TAGGING, "Content-Type": content_type}
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            ExpiresIn=expires_seconds,
            Fields=fields,
            Conditions=[
                {"tagging": UPLOAD_TAGGING},
                {"Content-Type": content_type},
                ["content-length-range", 1, max_bytes],
            ],
        )
        return PresignedPost(url=post["url"], fields=post["fields"])

    def start_multipart(self, key: str, content_type: str) -> str:
        return self._s3.create_multipart_upload(
            Bucket=self._bucket, Key=key, ContentType=content_type, Tagging=f"{UPLOAD_TAG[0]}={UPLOAD_TAG[1]}"
        )["UploadId"]

    def presigned_part_url(
        self, key: str, upload_id: str, part_number: int, max_bytes: int, expires_seconds: int
    ) -> str:
        # A presigned UploadPart cannot bound its body (only sign one exact length); S3 keeps parts
        # to 5 GiB, and completion (then the upload's declared size) catches the rest.
        return self._s3.generate_presigned_url(
            "upload_part",
            ExpiresIn=expires_seconds,
            Params={"Bucket": self._bucket, "Key": key, "UploadId": upload_id, "PartNumber": part_number},
        )

    def complete_multipart(self, key: str, upload_id: str, etags: Sequence[str]) -> None:
        parts = [{"PartNumber": number, "ETag": etag} for number, etag in enumerate(etags, start=1)]
        try:
            self._s3.complete_multipart_upload(
                Bucket=self._bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except self._s3.exceptions.ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "NoSuchUpload":
                raise KeyError(upload_id) from None
            if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"):
                raise ValueError(exc.response["Error"].get("Message", code)) from None
            raise

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
        except self._s3.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchUpload":
                raise

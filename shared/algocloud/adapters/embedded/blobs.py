"""The file blob store: objects are files under one folder, written atomically.

A write goes to a temporary file that is synced and then renamed over the
target, so a reader sees the old object or the new one, never a part, and a
crash loses nothing once `put` returned. Presigned URLs point at the API
itself (`/_local/blobs/<key>` to read, `/_local/uploads` for form uploads,
`/_local/parts/...` for multipart parts), signed with a key kept in the state
folder and valid until they expire, like S3's. Multipart parts wait in
`multipart/<upload id>/` beside the objects until completed or aborted.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import os
import secrets
import shutil
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO, Self
from urllib.parse import quote, urlencode

from ...domain.names import is_issued_id
from ...domain.ports import PresignedPost

BLOB_ROUTE = "/_local/blobs"
UPLOAD_ROUTE = "/_local/uploads"
PART_ROUTE = "/_local/parts"
COPY_CHUNK = 1024 * 1024


class TooLarge(ValueError):
    """An upload over the size its signed policy allows."""


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomically(path: Path, body: bytes) -> None:
    write_stream_atomically(path, [body])


def write_stream_atomically(path: Path, chunks: Iterable[bytes], max_bytes: int | None = None) -> int:
    """Write `chunks` to `path` (temporary file, fsync, rename); TooLarge past `max_bytes`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    written = 0
    try:
        with open(temporary, "wb") as handle:
            for chunk in chunks:
                written += len(chunk)
                if max_bytes is not None and written > max_bytes:
                    raise TooLarge(f"the upload is over its {max_bytes:,}-byte limit")
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_directory(path.parent)
    return written


def file_chunks(handle: BinaryIO) -> Iterable[bytes]:
    while chunk := handle.read(COPY_CHUNK):
        yield chunk


def _signing_key(path: Path) -> bytes:
    """The state folder's URL-signing key, made once (first writer wins)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        time.sleep(0.05)  # another process is writing it
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(32))
        handle.flush()
        os.fsync(handle.fileno())
    return path.read_bytes()


def content_headers(key: str) -> tuple[str, str | None]:
    """(content type, content encoding) of an object, from its name: `x.json.gz` -> json, gzip."""
    content_type, encoding = mimetypes.guess_type(key, strict=False)
    return content_type or "application/octet-stream", encoding


class FileBlobStore:
    def __init__(self, root: Path, public_url: str, signing_key_path: Path):
        self.root = root
        self.staging = root.parent / "multipart"
        self.public_url = public_url.rstrip("/")
        self._key = _signing_key(signing_key_path)
        root.mkdir(parents=True, exist_ok=True)

    @property
    def uploads(self) -> Self:
        """This store: it takes uploads straight from clients too (domain.ports.DirectUploads)."""
        return self

    def path(self, key: str) -> Path:
        """The file of an object key; keys cannot leave the store's folder."""
        parts = key.split("/")
        if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"invalid object key {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        # Content type and encoding follow from the key's suffixes (see content_headers).
        write_atomically(self.path(key), body)

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def get_range(self, key: str, start: int, end: int) -> bytes:
        try:
            with open(self.path(key), "rb") as handle:
                handle.seek(start)
                return handle.read(max(0, end - start))
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def copy(self, source_key: str, target_key: str) -> None:
        target = self.path(target_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            shutil.copyfile(self.path(source_key), temporary)
        except FileNotFoundError:
            raise KeyError(source_key) from None
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        _fsync_directory(target.parent)

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        """Every object whose key starts with `prefix` (prefixes here end in '/')."""
        folder = self.path(prefix.rstrip("/"))
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        elif not prefix.endswith("/"):
            for path in folder.parent.glob(f"{folder.name}*"):
                path.unlink(missing_ok=True)

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    # -- presigned URLs, served by the local stack (devstack.local_storage) ---------------------------
    def _signature(self, *signed: object) -> str:
        return hmac.new(self._key, "\n".join(map(str, signed)).encode(), hashlib.sha256).hexdigest()

    def _valid(self, expires: int, signature: str, *signed: object) -> bool:
        return expires >= time.time() and hmac.compare_digest(self._signature(*signed, expires), signature)

    def presigned_get_url(self, key: str, expires_seconds: int = 900) -> str:
        expires = int(time.time()) + expires_seconds
        query = urlencode({"expires": expires, "signature": self._signature(key, expires)})
        return f"{self.public_url}{BLOB_ROUTE}/{quote(key)}?{query}"

    def verify(self, key: str, expires: int, signature: str) -> bool:
        """A presigned URL's parameters: signed by this store and not expired."""
        return self._valid(expires, signature, key)

    def presigned_post(self, key: str, max_bytes: int, content_type: str, expires_seconds: int) -> PresignedPost:
        # The content type follows from the key here (content_headers); uploads expire by age.
        # The signed terms are in the URL as well as in the fields, so the server can check
        # them (and the declared size) before it reads any of the body.
        expires = int(time.time()) + expires_seconds
        fields = {
            "key": key,
            "max_bytes": str(max_bytes),
            "expires": str(expires),
            "signature": self._signature("post", key, max_bytes, expires),
        }
        return PresignedPost(url=f"{self.public_url}{UPLOAD_ROUTE}?{urlencode(fields)}", fields=fields)

    def verify_post(self, key: str, max_bytes: int, expires: int, signature: str) -> bool:
        return self._valid(expires, signature, "post", key, max_bytes)

    def write_upload(self, key: str, handle: BinaryIO, max_bytes: int) -> int:
        return write_stream_atomically(self.path(key), file_chunks(handle), max_bytes)

    # -- multipart: parts wait in staging/<upload id>/, joined on completion -------------------
    def _upload_dir(self, upload_id: str) -> Path:
        if not is_issued_id(upload_id):
            raise KeyError(upload_id)
        return self.staging / upload_id

    def start_multipart(self, key: str, content_type: str) -> str:
        self.path(key)  # a valid key
        upload_id = uuid.uuid4().hex
        write_atomically(self._upload_dir(upload_id) / "key", key.encode())
        return upload_id

    def presigned_part_url(
        self, key: str, upload_id: str, part_number: int, max_bytes: int, expires_seconds: int
    ) -> str:
        expires = int(time.time()) + expires_seconds
        signature = self._signature("part", key, upload_id, part_number, max_bytes, expires)
        query = urlencode({"key": key, "max_bytes": max_bytes, "expires": expires, "signature": signature})
        return f"{self.public_url}{PART_ROUTE}/{upload_id}/{part_number}?{query}"

    def verify_part(
        self, key: str, upload_id: str, part_number: int, max_bytes: int, expires: int, signature: str
    ) -> bool:
        return self._valid(expires, signature, "part", key, upload_id, part_number, max_bytes)

    def _started_key(self, upload_id: str) -> str:
        try:
            return (self._upload_dir(upload_id) / "key").read_text()
        except FileNotFoundError:
            raise KeyError(upload_id) from None

    def write_part(
        self, key: str, upload_id: str, part_number: int, chunks: Iterable[bytes], max_bytes: int | None = None
    ) -> str:
        """Store one part (TooLarge past `max_bytes`); its ETag (the MD5 of its bytes, quoted, as S3's)."""
        if self._started_key(upload_id) != key:
            raise KeyError(upload_id)
        digest = hashlib.md5(usedforsecurity=False)

        def hashed() -> Iterable[bytes]:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk

        write_stream_atomically(self._upload_dir(upload_id) / f"part-{part_number:05d}", hashed(), max_bytes)
        return f'"{digest.hexdigest()}"'

    def complete_multipart(self, key: str, upload_id: str, etags: Sequence[str]) -> None:
        if self._started_key(upload_id) != key:
            raise KeyError(upload_id)
        folder = self._upload_dir(upload_id)
        parts = [folder / f"part-{number:05d}" for number in range(1, len(etags) + 1)]
        for number, (part, etag) in enumerate(zip(parts, etags, strict=True), start=1):
            if not part.is_file():
                raise ValueError(f"part {number} was not uploaded")
            with open(part, "rb") as handle:
                actual = hashlib.file_digest(handle, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()
            if etag.strip('"') != actual:
                raise ValueError(f"part {number}'s ETag does not match what was uploaded")

        def joined() -> Iterable[bytes]:
            for part in parts:
                with open(part, "rb") as handle:
                    yield from file_chunks(handle)

        write_stream_atomically(self.path(key), joined())
        shutil.rmtree(folder, ignore_errors=True)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            if self._started_key(upload_id) == key:
                shutil.rmtree(self._upload_dir(upload_id), ignore_errors=True)
        except KeyError:
            pass

    def expire_uploads(self, older_than_seconds: float) -> int:
        """Remove uploads (tenants/*/sessions/*/uploads/<id>/) and multipart uploads last written
        before the cutoff: the local stand-in for the bucket's lifecycle rule. How many."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for upload in self.root.glob("tenants/*/sessions/*/uploads/*"):
            if all(path.stat().st_mtime < cutoff for path in upload.rglob("*") if path.is_file()):
                shutil.rmtree(upload, ignore_errors=True)
                removed += 1
        for upload in self.staging.iterdir() if self.staging.is_dir() else []:
            if upload.stat().st_mtime < cutoff:
                shutil.rmtree(upload, ignore_errors=True)
                removed += 1
        return removed

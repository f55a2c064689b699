"""The interfaces the domain needs from storage and queueing (AWS adapters implement them).

Small on purpose: the service layer composes them; tests may swap in fakes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..run_message import RunMessage


class BlobStore(Protocol):
    """Object storage for dataset content and large results (S3)."""

    def put(self, key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None: ...

    def get(self, key: str) -> bytes: ...

    def copy(self, source_key: str, target_key: str) -> None: ...

    def delete(self, keys: Iterable[str]) -> None: ...

    def delete_prefix(self, prefix: str) -> None: ...

    def presigned_get_url(self, key: str, expires_seconds: int = 900) -> str: ...


class RunQueue(Protocol):
    """Where `POST .../run` puts run messages (SQS)."""

    def send(self, message: RunMessage) -> None: ...

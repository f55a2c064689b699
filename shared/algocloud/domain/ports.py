"""The interfaces the service and the worker core depend on, but for the stores of sessions and
what is in them (domain.stores).

Two complete adapter sets implement them: `adapters.aws` (DynamoDB, S3, SQS
FIFO: production) and `adapters.embedded` (SQLite and files: `make local`).
One contract suite (tests/contract) runs against both. Nothing above the
adapters imports a concrete backend class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .accounts import ApiKeyRecord, MemberRecord, TenantRecord, UsageDay
from .audit import AuditDigest, AuditEntry
from .webhooks import DeliveryAttempt, Webhook

if TYPE_CHECKING:
    from ..run_message import QueueMessage


class Accounts(Protocol):
    """Tenants, the API keys that map to them, and per-day usage counters.

    Tenant names are unique (Conflict). `count` adds `increments` to a
    tenant's day once per `event_id`: it answers False, adding nothing, when
    that event was counted before.
    """

    def create_tenant(self, tenant: TenantRecord) -> None: ...

    def get_tenant(self, tenant_id: str) -> TenantRecord | None: ...

    def find_tenant(self, id_or_name: str) -> TenantRecord | None: ...

    def list_tenants(self) -> list[TenantRecord]: ...

    def set_max_parallel_runs(self, tenant_id: str, runs: int | None) -> TenantRecord:
        """The tenant's own limit of parallel experiment runs (None: the deployment's); NotFound."""
        ...

    def add_key(self, key: ApiKeyRecord) -> None: ...

    def get_key(self, key_id: str) -> ApiKeyRecord | None: ...

    def key_by_digest(self, value_digest: str) -> ApiKeyRecord | None:
        """The key whose value has this digest (domain.accounts.key_digest)."""
        ...

    def revoke_key(self, key_id: str, revoked_at: str) -> ApiKeyRecord: ...

    def keys_of(self, tenant_id: str) -> list[ApiKeyRecord]: ...

    def count(self, tenant_id: str, day: str, event_id: str, increments: Mapping[str, float]) -> bool: ...

    def usage(self, tenant_id: str, first_day: str, last_day: str) -> list[UsageDay]: ...


class Members(Protocol):
    """Who belongs to which tenant, with which role (domain.accounts.MemberRecord): one
    (issuer, subject) may be a member of several tenants, once each."""

    def put_member(self, member: MemberRecord) -> None:
        """Add the member, or change their role and email (NotFound: no such tenant)."""
        ...

    def memberships(self, issuer: str, subject: str) -> list[MemberRecord]:
        """The person's tenants (one read: it runs on every signed-in request)."""
        ...

    def members_of(self, tenant_id: str) -> list[MemberRecord]: ...

    def remove_member(self, tenant_id: str, issuer: str, subject: str) -> bool:
        """False when they were not a member."""
        ...


class AuditLog(Protocol):
    """A tenant's audit entries and the digests that seal them (domain.audit): entries are only
    appended (they expire after the deployment's retention); digests are a chain, each added once."""

    def append(self, entry: AuditEntry, expires_at: int) -> None: ...

    def entries(
        self, tenant: str, after: str | None = None, limit: int | None = None, newest_first: bool = False
    ) -> list[AuditEntry]:
        """By id (time) order, from after the id `after` on (before it, newest first); at most `limit`."""
        ...

    def digests(self, tenant: str) -> list[AuditDigest]:
        """Oldest first."""
        ...

    def add_digest(self, digest: AuditDigest, number: int, expires_at: int) -> None:
        """The tenant's `number`-th digest (from 0); Conflict when another sealer added it first."""
        ...


class KeyGateway(Protocol):
    """API keys where requests arrive (API Gateway: keys in the deployment's usage plan)."""

    def create_key(self, name: str, value: str) -> str:
        """A new enabled key with this value, in the usage plan: its id."""
        ...

    def disable_key(self, key_id: str) -> None:
        """The gateway refuses the key from now on (its id stays, for the records)."""
        ...

    def requests(self, key_ids: Sequence[str], first_day: str, last_day: str) -> dict[str, int] | None:
        """Requests per day over these keys, or None where the gateway does not count them."""
        ...


class BlobStore(Protocol):
    """Object storage for dataset content and large results (S3, or files)."""

    def put(self, key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None: ...

    def get(self, key: str) -> bytes:
        """The object's bytes; KeyError when there is none."""
        ...

    def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes [start, end) of the object; KeyError when there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def copy(self, source_key: str, target_key: str) -> None: ...

    def delete(self, keys: Iterable[str]) -> None: ...

    def delete_prefix(self, prefix: str) -> None: ...

    def presigned_get_url(self, key: str, expires_seconds: int = 900) -> str: ...

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when there is none."""
        ...

    @property
    def uploads(self) -> DirectUploads:
        """Uploads straight from clients into this store, never through the API's body."""
        ...


class DirectUploads(Protocol):
    """Uploads straight from clients into the blob store (S3's presigned POST and multipart
    uploads; the file store's signed equivalents)."""

    def presigned_post(self, key: str, max_bytes: int, content_type: str, expires_seconds: int) -> PresignedPost:
        """A form upload of one object of at most `max_bytes`, enforced by the store; the object
        is marked as an upload, which the store removes after a day unless ingestion used it first."""
        ...

    def start_multipart(self, key: str, content_type: str) -> str:
        """A multipart upload of `key` (marked as an upload, like presigned_post's): its id."""
        ...

    def presigned_part_url(
        self, key: str, upload_id: str, part_number: int, max_bytes: int, expires_seconds: int
    ) -> str:
        """Where a client PUTs part `part_number` (from 1) of at most `max_bytes` (a store that can
        refuses more there; S3's own check is at completion); the answer's ETag header names the part."""
        ...

    def complete_multipart(self, key: str, upload_id: str, etags: Sequence[str]) -> None:
        """Join the parts (their ETags in part order) into the object; KeyError for an unknown upload,
        ValueError for parts that do not match."""
        ...

    def abort_multipart(self, key: str, upload_id: str) -> None: ...


@dataclass(frozen=True)
class PresignedPost:
    """An HTML-form upload: POST `fields` and then the file (field `file`) as multipart/form-data to `url`."""

    url: str
    fields: dict[str, str]


class TaskLauncher(Protocol):
    """The container tier: starts a task that executes one queued message (its ids only travel
    to it), and stops one. ECS Fargate on AWS; local processes on the embedded backend."""

    def launch(self, message: QueueMessage) -> str:
        """Start the task; its id (the ECS task ARN)."""
        ...

    def stop(self, task_id: str, reason: str) -> None: ...


class RunQueue(Protocol):
    """Where `POST .../run` puts run messages (SQS FIFO, or the embedded queue)."""

    def send(self, message: QueueMessage) -> None: ...

    def send_many(self, messages: Sequence[QueueMessage]) -> None:
        """Several at once (SQS: 10 a call), each at the end of its group."""
        ...


@dataclass(frozen=True)
class ReceivedMessage:
    """One delivery of a queued message; `receipt` names this delivery only."""

    message_id: str
    body: str
    receipt: str
    group_id: str
    receive_count: int
    sent_at_ms: int


class QueueConsumer(Protocol):
    """The consuming side of a FIFO queue, as a local event source drives it.

    FIFO semantics: a message group hands out its next message only after the
    previous one is deleted (or its visibility timeout expires); a message
    received `max_receives` times goes to the dead-letter queue instead.
    """

    def receive(
        self, max_messages: int = 1, visibility_timeout: int | None = None, wait_seconds: float = 0
    ) -> list[ReceivedMessage]: ...

    def delete(self, receipts: Iterable[str]) -> None: ...

    def change_visibility(self, receipt: str, seconds: int) -> None: ...

    def arn(self) -> str: ...


# -- events (domain.events) and webhooks (domain.webhooks) --------------------------------------
class Subscriptions(Protocol):
    """The open WebSocket connections and what each follows (on AWS, the connections table; its
    records expire with the connection's 2-hour limit). A topic belongs to one tenant: a
    connection sees only its own tenant's events."""

    def connect(self, connection_id: str, tenant: str, expires_at: int, holder: str = "") -> None:
        """A new connection of `tenant`, opened with a token of `holder` (Principal.holder)."""
        ...

    def connection(self, connection_id: str) -> tuple[str, str] | None:
        """(tenant, holder) of an open connection; None once it ended or expired."""
        ...

    def connections(self) -> list[tuple[str, str, str]]:
        """Every open connection (not expired): (connection id, tenant, holder)."""
        ...

    def subscribe(self, connection_id: str, tenant: str, session_id: str, topic: str, expires_at: int) -> None:
        """Follow `topic` (domain.events.topic): the session itself, or a scenario or job in it;
        Conflict past MAX_SUBSCRIPTIONS for the connection (following a topic again is fine)."""
        ...

    def unsubscribe(self, connection_id: str, tenant: str, session_id: str, topic: str) -> None:
        """Stop following `topic` (one not followed is fine)."""
        ...

    def subscribers(self, tenant: str, session_id: str, topics: Sequence[str]) -> set[str]:
        """The connections following any of `topics` of the session (not yet expired): one read."""
        ...

    def disconnect(self, connection_id: str) -> None:
        """Forget the connection and its subscriptions (unknown ids are fine)."""
        ...


class Pusher(Protocol):
    """API Gateway's @connections endpoint (locally, the devstack's emulation of it)."""

    def push(self, connection_id: str, data: bytes) -> bool:
        """Send one message; False when the connection is gone (410)."""
        ...

    def close(self, connection_id: str) -> None:
        """End the connection (one gone already is fine)."""
        ...


class WebhookStore(Protocol):
    """A tenant's webhooks and their delivery log."""

    def add_webhook(self, tenant: str, hook: Webhook) -> None:
        """Conflict when the tenant has MAX_WEBHOOKS already."""
        ...

    def webhooks(self, tenant: str) -> list[Webhook]:
        """Oldest first."""
        ...

    def get_webhook(self, tenant: str, hook_id: str) -> Webhook | None: ...

    def put_webhook(self, tenant: str, hook: Webhook) -> None:
        """Replace an existing one (NotFound when it was removed)."""
        ...

    def remove_webhook(self, tenant: str, hook_id: str) -> None:
        """NotFound when there is none; its delivery log goes with it."""
        ...

    def record_attempt(self, tenant: str, hook_id: str, attempt: DeliveryAttempt, disable_after: int) -> Webhook | None:
        """Log the attempt and count it: a success resets the failures in a row, the
        `disable_after`-th failure in a row disables the webhook with the reason. None when the
        webhook was removed meanwhile."""
        ...

    def deliveries(self, tenant: str, hook_id: str, limit: int) -> list[DeliveryAttempt]:
        """The latest attempts, newest first."""
        ...


class DeliveryQueue(Protocol):
    """Where webhook deliveries wait for their (next) attempt."""

    def send_delivery(self, body: str, delay_seconds: int = 0) -> None: ...

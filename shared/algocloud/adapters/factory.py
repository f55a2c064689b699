"""The composition root: builds the adapter set the settings name, behind the ports.

Only this module (and each adapter package for its own classes) names the concrete
classes; each backend's modules (and boto3) are imported only when that backend is chosen.
Everything else, the devstack and the operator's CLI included, gets its adapters here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.ports import (
    Accounts,
    AuditLog,
    BlobStore,
    DeliveryQueue,
    KeyGateway,
    Members,
    Pusher,
    QueueConsumer,
    RunQueue,
    Subscriptions,
    TaskLauncher,
    WebhookStore,
)
from ..domain.stores import Secrets, Stores
from .settings import BackendSettings

if TYPE_CHECKING:
    from ..usecases.events import EventPublisher
    from ..usecases.webhooks import WebhookDeliveries
    from .embedded.blobs import FileBlobStore


@dataclass(frozen=True)
class Adapters:
    stores: Stores
    blobs: BlobStore
    queue: RunQueue
    accounts: Accounts
    members: Members  # who belongs to which tenant (people signed in with OpenID Connect)
    keys: KeyGateway | None = None  # API Gateway's keys, when the deployment names its usage plan
    launcher: TaskLauncher | None = None  # the container tier, when the deployment has one
    # events and webhooks (usecases.events): `stores` publishes through `publisher` when there is one
    subscriptions: Subscriptions | None = None
    pusher: Pusher | None = None  # the WebSocket API's @connections, when the deployment has one
    webhooks: WebhookStore | None = None
    deliveries: DeliveryQueue | None = None
    publisher: EventPublisher | None = None
    audit: AuditLog | None = None  # who did what (domain.audit)


def build_adapters(settings: BackendSettings) -> Adapters:
    built = _embedded(settings) if settings.backend == "embedded" else _aws(settings)
    if settings.emit_metrics:
        from ..telemetry import MeteredAccounts

        built = dataclasses.replace(built, accounts=MeteredAccounts(built.accounts))
    if (built.pusher and built.subscriptions) or (built.webhooks and built.deliveries):
        from ..appconfig import load_app_config
        from ..usecases.events import EventPublisher, publishing

        publisher = EventPublisher(load_app_config, built.subscriptions, built.pusher, built.webhooks, built.deliveries)
        built = dataclasses.replace(built, stores=publishing(built.stores, publisher), publisher=publisher)
    return built


def _pusher(settings: BackendSettings) -> Pusher | None:
    """The @connections endpoint: API Gateway's on AWS, the devstack's emulation locally."""
    if not settings.events_endpoint:
        return None
    from .aws.clients import connections_client
    from .aws.events import ConnectionsApi

    local = settings.backend == "embedded"
    return ConnectionsApi(connections_client(settings.aws_region, settings.events_endpoint, local))


def webhook_deliveries(settings: BackendSettings) -> WebhookDeliveries:
    """The webhook queue's consumer (the webhook Lambda; locally, the devstack)."""
    from ..usecases.webhooks import WebhookDeliveries
    from .webhook_http import HttpWebhookSender

    built = build_adapters(settings)
    assert built.webhooks is not None and built.deliveries is not None, "no webhook queue configured"
    return WebhookDeliveries(
        built.webhooks,
        built.deliveries,
        HttpWebhookSender(settings.webhook_allow_loopback),
        settings.webhook_retry_seconds,
        settings.webhook_disable_after,
    )


def _aws(settings: BackendSettings) -> Adapters:
    from .aws.accounts import DynamoAccounts
    from .aws.apigateway import ApiGatewayKeys
    from .aws.audit import DynamoAudit
    from .aws.clients import client
    from .aws.events import DynamoSubscriptions, DynamoWebhooks, SqsDeliveries
    from .aws.members import DynamoMembers
    from .aws.s3 import S3BlobStore
    from .aws.sqs import SqsRunQueue
    from .aws.stores import dynamo_stores

    assert settings.table_name and settings.bucket_name and settings.queue_url  # checked by the settings
    dynamodb = client("dynamodb", settings)
    return Adapters(
        stores=dynamo_stores(dynamodb, settings.table_name),
        blobs=S3BlobStore(client("s3", settings), settings.bucket_name),
        queue=SqsRunQueue(client("sqs", settings), settings.queue_url),
        accounts=DynamoAccounts(dynamodb, settings.table_name),
        members=DynamoMembers(dynamodb, settings.table_name),
        keys=(
            ApiGatewayKeys(lambda: client("apigateway", settings), settings.usage_plan_id)
            if settings.usage_plan_id
            else None
        ),
        launcher=_ecs_launcher(settings) if settings.has_container_tier else None,
        subscriptions=DynamoSubscriptions(dynamodb, settings.connections_table) if settings.connections_table else None,
        pusher=_pusher(settings),
        webhooks=DynamoWebhooks(dynamodb, settings.table_name),
        audit=DynamoAudit(dynamodb, settings.table_name),
        deliveries=(
            SqsDeliveries(client("sqs", settings), settings.webhook_queue_url) if settings.webhook_queue_url else None
        ),
    )


def _ecs_launcher(settings: BackendSettings) -> TaskLauncher:
    from .aws.clients import client
    from .aws.ecs import EcsTaskLauncher

    assert settings.container_cluster and settings.container_task_definition and settings.container_subnets
    return EcsTaskLauncher(
        client("ecs", settings),
        settings.container_cluster,
        settings.container_task_definition,
        _names(settings.container_subnets),
        _names(settings.container_security_groups or ""),
        settings.container_assign_public_ip,
    )


def _names(listed: str) -> list[str]:
    return [name.strip() for name in listed.split(",") if name.strip()]


def _embedded(settings: BackendSettings) -> Adapters:
    from .embedded import open_delivery_queue, open_queues, state_paths
    from .embedded.accounts import SqliteAccounts
    from .embedded.audit import SqliteAudit
    from .embedded.blobs import FileBlobStore
    from .embedded.events import SqliteSubscriptions, SqliteWebhooks
    from .embedded.keys import LocalKeys
    from .embedded.members import SqliteMembers
    from .embedded.stores import sqlite_stores
    from .embedded.tasks import ProcessLauncher

    assert settings.state_dir is not None  # checked by the settings
    paths = state_paths(settings.state_dir)
    runs, _dead_letters = open_queues(settings.state_dir, synchronous=settings.sqlite_synchronous)
    return Adapters(
        stores=sqlite_stores(paths["store"], settings.sqlite_synchronous),
        blobs=FileBlobStore(paths["blobs"], settings.public_url, settings.state_dir / "url-signing.key"),
        queue=runs,
        accounts=SqliteAccounts(paths["store"], settings.sqlite_synchronous),
        members=SqliteMembers(paths["store"], settings.sqlite_synchronous),
        keys=LocalKeys(),
        launcher=ProcessLauncher(settings.state_dir / "tasks"),
        subscriptions=SqliteSubscriptions(paths["store"], settings.sqlite_synchronous),
        pusher=_pusher(settings),
        webhooks=SqliteWebhooks(paths["store"], settings.sqlite_synchronous),
        audit=SqliteAudit(paths["store"], settings.sqlite_synchronous),
        deliveries=open_delivery_queue(settings.state_dir, settings.sqlite_synchronous),
    )


def run_queue_consumer(settings: BackendSettings) -> QueueConsumer:
    """The consuming side of the run queue (a container task keeps and deletes the message it holds)."""
    if settings.backend == "embedded":
        from .embedded import open_queues

        assert settings.state_dir is not None
        return open_queues(settings.state_dir, synchronous=settings.sqlite_synchronous)[0]
    assert settings.queue_url
    return sqs_consumer(settings, settings.queue_url)


def sqs_consumer(settings: BackendSettings, queue_url: str) -> QueueConsumer:
    """The consuming side of an SQS queue, for a local stand-in of Lambda's event source mapping."""
    from .aws.clients import client
    from .aws.sqs import SqsQueueConsumer

    return SqsQueueConsumer(client("sqs", settings), queue_url)


def operator_ports(
    region: str, endpoint_url: str | None, table_name: str, usage_plan_id: str
) -> tuple[Accounts, KeyGateway, Members]:
    """The operator's view of a deployment: its tenants' accounts, API Gateway's keys, the members."""
    from .aws.accounts import DynamoAccounts
    from .aws.apigateway import ApiGatewayKeys
    from .aws.clients import client_for
    from .aws.members import DynamoMembers

    dynamodb = client_for("dynamodb", region, endpoint_url)
    return (
        DynamoAccounts(dynamodb, table_name),
        ApiGatewayKeys(lambda: client_for("apigateway", region, endpoint_url), usage_plan_id),
        DynamoMembers(dynamodb, table_name),
    )


def embedded_operator_ports(state_dir: Path) -> tuple[Accounts, KeyGateway, Members, AuditLog, Secrets]:
    """The operator's view of an embedded deployment (`make local`), read from its state folder."""
    from .embedded import state_paths
    from .embedded.accounts import SqliteAccounts
    from .embedded.audit import SqliteAudit
    from .embedded.keys import LocalKeys
    from .embedded.members import SqliteMembers
    from .embedded.sessions import SqliteSecrets
    from .embedded.store_db import open_store_database

    store = state_paths(state_dir)["store"]
    return (
        SqliteAccounts(store),
        LocalKeys(),
        SqliteMembers(store),
        SqliteAudit(store),
        SqliteSecrets(open_store_database(store)),
    )


def operator_audit(region: str, endpoint_url: str | None, table_name: str) -> tuple[AuditLog, Secrets]:
    """The operator's view of a deployment's audit log, and its secrets (the digests' key)."""
    from .aws.audit import DynamoAudit
    from .aws.clients import client_for
    from .aws.sessions import DynamoSecrets

    dynamodb = client_for("dynamodb", region, endpoint_url)
    return DynamoAudit(dynamodb, table_name), DynamoSecrets(dynamodb, table_name)


def served_file_store(blobs: BlobStore) -> FileBlobStore:
    """The embedded file store behind `blobs`, whose URLs the local stack serves itself."""
    from .embedded.blobs import FileBlobStore

    if not isinstance(blobs, FileBlobStore):
        raise TypeError("only the embedded backend's file store has URLs served by the local stack")
    return blobs


def expire_local_uploads(settings: BackendSettings, seconds: int) -> int:
    """The bucket's lifecycle rules, on the embedded file store: uploads never used and unfinished
    multipart uploads older than `seconds` are removed (how many)."""
    return served_file_store(build_adapters(settings).blobs).expire_uploads(seconds)

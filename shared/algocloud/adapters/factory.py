"""The composition root: builds the adapter set the settings name, behind the ports.

Only this module knows the concrete classes; each backend's modules (and
boto3) are imported only when that backend is chosen.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..domain.ports import Accounts, BlobStore, KeyGateway, Repository, RunQueue
from .settings import BackendSettings


@dataclass(frozen=True)
class Adapters:
    repo: Repository
    blobs: BlobStore
    queue: RunQueue
    accounts: Accounts
    keys: KeyGateway | None = None  # API Gateway's keys, when the deployment names its usage plan


def build_adapters(settings: BackendSettings) -> Adapters:
    built = _embedded(settings) if settings.backend == "embedded" else _aws(settings)
    if settings.emit_metrics:
        from ..telemetry import MeteredAccounts

        built = dataclasses.replace(built, accounts=MeteredAccounts(built.accounts))
    return built


def _aws(settings: BackendSettings) -> Adapters:
    from .apigateway import ApiGatewayKeys
    from .aws import client
    from .dynamodb import DynamoRepository
    from .dynamodb_accounts import DynamoAccounts
    from .s3 import S3BlobStore
    from .sqs import SqsRunQueue

    assert settings.table_name and settings.bucket_name and settings.queue_url  # checked by the settings
    dynamodb = client("dynamodb", settings)
    return Adapters(
        repo=DynamoRepository(dynamodb, settings.table_name),
        blobs=S3BlobStore(client("s3", settings), settings.bucket_name),
        queue=SqsRunQueue(client("sqs", settings), settings.queue_url),
        accounts=DynamoAccounts(dynamodb, settings.table_name),
        keys=(
            ApiGatewayKeys(lambda: client("apigateway", settings), settings.usage_plan_id)
            if settings.usage_plan_id
            else None
        ),
    )


def _embedded(settings: BackendSettings) -> Adapters:
    from .embedded import open_queues, state_paths
    from .embedded.accounts import SqliteAccounts
    from .embedded.blobs import FileBlobStore
    from .embedded.repository import SqliteRepository

    assert settings.state_dir is not None  # checked by the settings
    paths = state_paths(settings.state_dir)
    runs, _dead_letters = open_queues(settings.state_dir, synchronous=settings.sqlite_synchronous)
    return Adapters(
        repo=SqliteRepository(paths["store"], settings.sqlite_synchronous),
        blobs=FileBlobStore(paths["blobs"], settings.public_url, settings.state_dir / "url-signing.key"),
        queue=runs,
        accounts=SqliteAccounts(paths["store"], settings.sqlite_synchronous),
    )

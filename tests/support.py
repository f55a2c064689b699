"""Test helpers: moto resources and an API client per test."""

from __future__ import annotations

import threading

import boto3
from moto.core.botocore_stubber import BotocoreStubber

TABLE, BUCKET, REGION = "algocloud-test", "algocloud-test-bucket", "us-east-1"
QUEUE, DLQ = "algocloud-runs.fifo", "algocloud-runs-dlq.fifo"


def create_resources() -> tuple[str, str]:
    """The template's table, bucket and queues in the active moto mock: (queue URL, DLQ URL)."""
    from devstack.template import create_stateful_resources

    created = create_stateful_resources(
        boto3.client("dynamodb", region_name=REGION), boto3.client("s3", region_name=REGION),
        boto3.client("sqs", region_name=REGION),
        {"Table": TABLE, "Bucket": BUCKET, "RunQueue": QUEUE, "RunDeadLetterQueue": DLQ},
    )
    return created["RunQueue"], created["RunDeadLetterQueue"]


def clear_caches() -> None:
    """Forget per-container state (clients, adapters, bootstrapped tenants) between tests."""
    from algocloud.adapters import aws
    from algocloud import service

    aws._client.cache_clear()
    service._bootstrapped.clear()
    try:
        from api import deps

        deps._adapters.cache_clear()
    except ImportError:
        pass


def serialise_moto_requests() -> None:
    """Make each moto request atomic, as each real AWS request is.

    moto runs a failed DynamoDB transaction's rollback by restoring a deep copy
    of the whole table, which also undoes writes that other threads made
    meanwhile. Real DynamoDB has no such effect; serialising single AWS calls
    (not our API's requests, which still interleave) keeps the concurrency tests about our code.
    """
    if getattr(BotocoreStubber, "_serialised", False):
        return
    lock = threading.RLock()
    original = BotocoreStubber.__call__

    def locked(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    BotocoreStubber.__call__ = locked
    BotocoreStubber._serialised = True

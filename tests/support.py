"""Test helpers: moto resources and an API client per test."""

from __future__ import annotations

import boto3

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
    from devstack.atomic_moto import serialise_in_process

    serialise_in_process()

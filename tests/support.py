"""Test helpers: moto resources and an API client per test."""

from __future__ import annotations

import boto3

TABLE, BUCKET, QUEUE, REGION = "algocloud-test", "algocloud-test-bucket", "algocloud-runs", "us-east-1"


def create_resources() -> str:
    """Table, bucket and queue in the active moto mock; returns the queue URL."""
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    return boto3.client("sqs", region_name=REGION).create_queue(QueueName=QUEUE)["QueueUrl"]


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

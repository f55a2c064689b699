"""Test helpers: moto resources and an API client per test."""

from __future__ import annotations

import json
import threading

import boto3
from moto.core.botocore_stubber import BotocoreStubber

TABLE, BUCKET, REGION = "algocloud-test", "algocloud-test-bucket", "us-east-1"
QUEUE, DLQ, MAX_RECEIVES = "algocloud-runs.fifo", "algocloud-runs-dlq.fifo", 5


def create_resources(max_receives: int = MAX_RECEIVES, visibility_timeout: int = 30) -> tuple[str, str]:
    """Table, bucket, FIFO queue and its DLQ in the active moto mock: (queue URL, DLQ URL)."""
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    sqs = boto3.client("sqs", region_name=REGION)
    fifo = {"FifoQueue": "true"}
    dlq_url = sqs.create_queue(QueueName=DLQ, Attributes=fifo)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})
    queue_url = sqs.create_queue(QueueName=QUEUE, Attributes={
        **fifo, "RedrivePolicy": redrive, "VisibilityTimeout": str(visibility_timeout)})["QueueUrl"]
    return queue_url, dlq_url


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

"""Test helpers: moto resources, and a look below the API on either backend."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

TABLE, BUCKET, REGION = "algocloud-test", "algocloud-test-bucket", "us-east-1"
QUEUE, DLQ = "algocloud-runs.fifo", "algocloud-runs-dlq.fifo"
CONNECTIONS_TABLE, WEBHOOK_QUEUE = "algocloud-test-connections", "algocloud-test-webhooks"


def create_resources() -> tuple[str, str]:
    """The template's table, bucket and queues in the active moto mock: (queue URL, DLQ URL)."""
    from devstack.template import create_stateful_resources

    created = create_stateful_resources(
        boto3.client("dynamodb", region_name=REGION),
        boto3.client("s3", region_name=REGION),
        boto3.client("sqs", region_name=REGION),
        {
            "Table": TABLE,
            "Bucket": BUCKET,
            "RunQueue": QUEUE,
            "RunDeadLetterQueue": DLQ,
            "ConnectionsTable": CONNECTIONS_TABLE,
            "WebhookQueue": WEBHOOK_QUEUE,
        },
    )
    return created["RunQueue"], created["RunDeadLetterQueue"]


def clear_caches() -> None:
    """Forget per-container state (clients, adapters, bootstrapped tenants) between tests."""
    from algocloud.adapters.aws import clients
    from algocloud.usecases import sessions

    clients._client.cache_clear()
    sessions._bootstrapped.clear()
    try:
        from api import deps

        deps.adapters.cache_clear()
    except ImportError:
        pass


def serialise_moto_requests() -> None:
    from devstack.atomic_moto import serialise_in_process

    serialise_in_process()


@dataclass
class Backend:
    """One backend as the tests see it: its queues and its raw stored state."""

    name: str
    settings: Any
    runs: Any  # QueueConsumer
    dead_letters: Any  # QueueConsumer

    @classmethod
    def for_settings(cls, settings, request) -> Backend:
        if settings.backend == "aws":
            from algocloud.adapters.aws.sqs import SqsQueueConsumer

            queue_url, dlq_url = request.getfixturevalue("aws_env")
            sqs = boto3.client("sqs", region_name=REGION)
            return cls("aws", settings, SqsQueueConsumer(sqs, queue_url), SqsQueueConsumer(sqs, dlq_url))
        from algocloud.adapters.embedded import open_queues

        runs, dead_letters = open_queues(settings.state_dir)
        return cls("embedded", settings, runs, dead_letters)

    def send_raw(self, body: str, group_id: str, deduplication_id: str, dead_letter: bool = False) -> None:
        queue = self.dead_letters if dead_letter else self.runs
        if self.name == "aws":
            boto3.client("sqs", region_name=REGION).send_message(
                QueueUrl=queue.queue_url,
                MessageBody=body,
                MessageGroupId=group_id,
                MessageDeduplicationId=deduplication_id,
            )
        else:
            queue.send_body(body, group_id, deduplication_id)

    def queue_counts(self, dead_letter: bool = False) -> tuple[int, int]:
        """(visible, in flight) messages."""
        queue = self.dead_letters if dead_letter else self.runs
        if self.name == "aws":
            attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
                QueueUrl=queue.queue_url, AttributeNames=["All"]
            )["Attributes"]
            return (
                int(attributes["ApproximateNumberOfMessages"]),
                int(attributes["ApproximateNumberOfMessagesNotVisible"]),
            )
        counts = queue.counts()
        return counts["visible"], counts["in_flight"]

    def records(self) -> list[str]:
        """Every stored record (items or rows) as JSON text, in a stable order."""
        if self.name == "aws":
            items = boto3.client("dynamodb", region_name=REGION).scan(TableName=TABLE)["Items"]
            return sorted(json.dumps(item, sort_keys=True, default=str) for item in items)
        connection = sqlite3.connect(Path(self.settings.state_dir) / "store.db")
        connection.row_factory = sqlite3.Row
        rows = []
        for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            rows += [
                json.dumps({"table": table, **dict(r)}, sort_keys=True, default=str)
                for r in connection.execute(f"SELECT * FROM {table}")
            ]
        connection.close()
        return sorted(rows)

    def objects(self, prefix: str = "") -> list[str]:
        if self.name == "aws":
            listing = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
            return [o["Key"] for o in listing.get("Contents", [])]
        root = Path(self.settings.state_dir) / "blobs"
        keys = [path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()]
        return sorted(key for key in keys if key.startswith(prefix) and not key.split("/")[-1].startswith("."))

    def read_url(self, url: str, client) -> bytes:
        """The bytes behind a presigned URL: S3's object (moto serves no HTTP here), or the API's own."""
        if self.name == "aws":
            from urllib.parse import unquote, urlsplit

            assert "X-Amz-Signature" in url
            parts = urlsplit(url)
            bucket, key = (
                (parts.netloc.split(".")[0], unquote(parts.path[1:]))
                if parts.netloc.startswith(BUCKET)
                else tuple(unquote(parts.path[1:]).split("/", 1))
            )
            assert bucket == BUCKET
            return boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
        response = client.get(url)
        assert response.status_code == 200
        return response.content

    def post_form(self, url: str, fields: dict, content: bytes, client):
        """A form upload as a browser sends it (the fields, then the file) to a presigned POST URL.
        S3 under moto is reached with requests, which moto intercepts; the embedded store's URLs
        are the API's own."""
        http = client if self.name == "embedded" else __import__("requests")
        return http.post(url, data=fields, files={"file": ("upload", content)})

    def put_part(self, url: str, content: bytes, client):
        """A part PUT to a presigned part URL."""
        if self.name == "aws":
            return __import__("requests").put(url, data=content)
        return client.put(url, content=content)

    def send_upload(self, answer: dict, content: bytes, client) -> list[str]:
        """Send a file the way a client does with POST …/uploads' answer: the form POST, or the
        parts' PUTs (their ETags returned). S3 under moto is reached with requests, which moto
        intercepts; the embedded store's URLs are the API's own."""
        if answer["method"] == "POST":
            response = self.post_form(answer["url"], answer["fields"], content, client)
            assert response.status_code in (200, 204), response.text
            return []
        etags = []
        for part in answer["parts"]:
            start = (part["part_number"] - 1) * answer["part_size"]
            response = self.put_part(part["url"], content[start : start + answer["part_size"]], client)
            assert response.status_code == 200, response.text
            etags.append(response.headers["ETag"])
        return etags

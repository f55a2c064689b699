"""Drive a Lambda SQS handler from a queue, as the Lambda event source mapping does.

Receive a batch, build the SQS event, call the handler, delete every record it
did not report in `batchItemFailures`. A handler that raises leaves the whole
batch to come back after the visibility timeout, as on Lambda. Used by the
tests and by the local stack (against moto).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class _Context:
    """The bits of a Lambda context the handlers may read."""

    function_name: str = "algocloud-worker-local"
    aws_request_id: str = "local"
    deadline: float = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class QueueDriver:
    def __init__(
        self,
        sqs,
        queue_url: str,
        handler: Callable[[dict[str, Any], Any], dict[str, Any]],
        batch_size: int = 10,
        visibility_timeout: int | None = None,
        timeout_seconds: float = 900,
    ):
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.batch_size = batch_size
        self.visibility_timeout = visibility_timeout
        self.timeout_seconds = timeout_seconds
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        self.queue_arn = attributes["QueueArn"]
        self.region = self.queue_arn.split(":")[3]

    def receive(self, wait_seconds: int = 0) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "QueueUrl": self.queue_url, "MaxNumberOfMessages": self.batch_size,
            "AttributeNames": ["All"], "MessageAttributeNames": ["All"], "WaitTimeSeconds": wait_seconds,
        }
        if self.visibility_timeout is not None:
            request["VisibilityTimeout"] = self.visibility_timeout
        return self.sqs.receive_message(**request).get("Messages", [])

    def event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Records": [{
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": m.get("MessageAttributes", {}),
            "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        } for m in messages]}

    def deliver(self, messages: list[dict[str, Any]]) -> list[str]:
        """Call the handler with these messages; delete the successes; return failed ids."""
        context = _Context(deadline=time.monotonic() + self.timeout_seconds)
        try:
            response = self.handler(self.event(messages), context) or {}
        except Exception:  # a failed invocation: Lambda lets the whole batch come back
            logger.exception("handler failed; %d message(s) will be redelivered", len(messages))
            return [m["MessageId"] for m in messages]
        failed = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(messages) if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=done)
        return failed

    def poll_once(self, wait_seconds: int = 0) -> int:
        """One receive-and-handle cycle; the number of messages received."""
        messages = self.receive(wait_seconds)
        if messages:
            self.deliver(messages)
        return len(messages)

    def drain(self, timeout: float = 30.0, idle_polls: int = 2) -> None:
        """Poll until the queue stays empty `idle_polls` times in a row."""
        deadline, idle = time.monotonic() + timeout, 0
        while idle < idle_polls:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.queue_url} did not drain in {timeout} s")
            idle = 0 if self.poll_once() else idle + 1

"""Drive a Lambda SQS handler from a queue, as the Lambda event source mapping does.

Receive a batch (through the QueueConsumer port: SQS or the embedded queue),
build the SQS event, call the handler, delete every record it did not report
in `batchItemFailures`. A handler that raises leaves the whole batch to come
back after the visibility timeout, as on Lambda. Used by the tests and by
the `--aws` local stack.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from algocloud.domain.ports import QueueConsumer, ReceivedMessage

logger = logging.getLogger(__name__)


@dataclass
class _Context:
    """The bits of a Lambda context the handlers may read."""

    function_name: str = "algocloud-worker-local"
    aws_request_id: str = "local"
    deadline: float = 0.0
    memory_limit_in_mb: int = 1769
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:algocloud-worker-local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class QueueDriver:
    def __init__(
        self,
        consumer: QueueConsumer,
        handler: Callable[[dict[str, Any], Any], dict[str, Any]],
        batch_size: int = 10,
        visibility_timeout: int | None = None,
        timeout_seconds: float = 900,
        memory_mb: int = 1769,
    ):
        self.consumer = consumer
        self.handler = handler
        self.batch_size = batch_size
        self.visibility_timeout = visibility_timeout
        self.timeout_seconds = timeout_seconds
        self.memory_mb = memory_mb
        self.queue_arn = consumer.arn()
        self.region = self.queue_arn.split(":")[3]

    def receive(self) -> list[ReceivedMessage]:
        return self.consumer.receive(self.batch_size, self.visibility_timeout)

    def event(self, messages: list[ReceivedMessage]) -> dict[str, Any]:
        return {
            "Records": [
                {
                    "messageId": m.message_id,
                    "receiptHandle": m.receipt,
                    "body": m.body,
                    "attributes": {
                        "ApproximateReceiveCount": str(m.receive_count),
                        "SentTimestamp": str(m.sent_at_ms),
                        "MessageGroupId": m.group_id,
                    },
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": self.region,
                }
                for m in messages
            ]
        }

    def deliver(self, messages: list[ReceivedMessage]) -> list[str]:
        """Call the handler with these messages; delete the successes; return failed ids."""
        context = _Context(deadline=time.monotonic() + self.timeout_seconds, memory_limit_in_mb=self.memory_mb)
        try:
            response = self.handler(self.event(messages), context) or {}
        except Exception:  # a failed invocation: Lambda lets the whole batch come back
            logger.exception("handler failed; %d message(s) will be redelivered", len(messages))
            return [m.message_id for m in messages]
        failed = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
        self.consumer.delete(m.receipt for m in messages if m.message_id not in failed)
        return failed

    def poll_once(self) -> int:
        """One receive-and-handle cycle; the number of messages received."""
        messages = self.receive()
        if messages:
            self.deliver(messages)
        return len(messages)

    def drain(self, timeout: float = 30.0, idle_polls: int = 2) -> None:
        """Poll until the queue stays empty `idle_polls` times in a row."""
        deadline, idle = time.monotonic() + timeout, 0
        while idle < idle_polls:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.queue_arn} did not drain in {timeout} s")
            idle = 0 if self.poll_once() else idle + 1

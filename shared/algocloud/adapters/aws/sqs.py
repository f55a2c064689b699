"""SQS run queue (FIFO: one message group per session), both sides."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from ... import limits
from ...domain.ports import ReceivedMessage
from ...run_message import QueueMessage


class SqsRunQueue:
    def __init__(self, sqs_client, queue_url: str):
        self._sqs = sqs_client
        self._queue_url = queue_url

    def send(self, message: QueueMessage) -> None:
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=message.to_body(),
            MessageGroupId=message.group_id,
            MessageDeduplicationId=message.deduplication_id,
        )

    def send_many(self, messages: Sequence[QueueMessage]) -> None:
        """SendMessageBatch, 10 a call; entries SQS could not take are sent again, then refused."""
        step = limits.SQS_BATCH_ENTRIES
        for start in range(0, len(messages), step):
            batch = messages[start : start + step]
            pending = {str(index): message for index, message in enumerate(batch, start=start)}
            for attempt in range(5):
                entries = [
                    {
                        "Id": key,
                        "MessageBody": m.to_body(),
                        "MessageGroupId": m.group_id,
                        "MessageDeduplicationId": m.deduplication_id,
                    }
                    for key, m in pending.items()
                ]
                failed = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries).get("Failed", [])
                pending = {entry["Id"]: pending[entry["Id"]] for entry in failed}
                if not pending:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError(f"SQS refused {len(pending)} message(s): {failed[0].get('Message')}")


class SqsQueueConsumer:
    """What Lambda's event source mapping does with a queue, for local drivers and tests."""

    def __init__(self, sqs_client, queue_url: str):
        self._sqs = sqs_client
        self.queue_url = queue_url
        self._arn: str | None = None

    def arn(self) -> str:
        if self._arn is None:
            attributes = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
            self._arn = attributes["Attributes"]["QueueArn"]
        return self._arn

    def receive(
        self, max_messages: int = 1, visibility_timeout: int | None = None, wait_seconds: float = 0
    ) -> list[ReceivedMessage]:
        request = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": max_messages,
            "AttributeNames": ["All"],
            "WaitTimeSeconds": int(wait_seconds),
        }
        if visibility_timeout is not None:
            request["VisibilityTimeout"] = visibility_timeout
        messages = self._sqs.receive_message(**request).get("Messages", [])
        return [
            ReceivedMessage(
                message_id=m["MessageId"],
                body=m["Body"],
                receipt=m["ReceiptHandle"],
                group_id=m.get("Attributes", {}).get("MessageGroupId", ""),
                receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
                sent_at_ms=int(m.get("Attributes", {}).get("SentTimestamp", 0)),
            )
            for m in messages
        ]

    def delete(self, receipts: Iterable[str]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(receipts)]
        step = limits.SQS_BATCH_ENTRIES
        for start in range(0, len(entries), step):
            self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries[start : start + step])

    def change_visibility(self, receipt: str, seconds: int) -> None:
        self._sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=seconds)

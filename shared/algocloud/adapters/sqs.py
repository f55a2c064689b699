"""SQS run queue (FIFO: one message group per session)."""

from __future__ import annotations

from ..run_message import RunMessage


class SqsRunQueue:
    def __init__(self, sqs_client, queue_url: str):
        self._sqs = sqs_client
        self._queue_url = queue_url

    def send(self, message: RunMessage) -> None:
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=message.to_body(),
            MessageGroupId=message.group_id,
            MessageDeduplicationId=message.deduplication_id,
        )

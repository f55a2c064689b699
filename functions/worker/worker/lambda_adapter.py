"""SQS batch events -> RunWorker, with partial batch failures (AWS Lambda Powertools).

A record whose handling raises is reported in `batchItemFailures`, so only it
is redelivered. The queue is FIFO: after a failure, later records of the same
message group (session) are reported failed too, to keep that session's order.

While a run is alive its message is kept hidden by a heartbeat for a short
time at once (the queue's own visibility timeout must stay at least the
function timeout for the event source mapping): if the worker crashes or
times out, the message reappears within `RUN_VISIBILITY_SECONDS` (default 60) and
the run is taken over, instead of after the queue's 30 minutes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from algocloud.run_message import QueueMessage, parse_message
from algocloud.worker import RunWorker

logger = Logger(service="algocloud-worker")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
HEARTBEAT_VISIBILITY_SECONDS = 60


class Heartbeat:
    """Keeps a record's message hidden for a short visibility timeout, renewed while a run lives."""

    def __init__(self, sqs_client, seconds: int = HEARTBEAT_VISIBILITY_SECONDS):
        self._sqs = sqs_client
        self.seconds = seconds

    @cache  # noqa: B019 - one lookup per queue for the life of the container
    def _queue_url(self, queue_arn: str) -> str:
        *_, account, name = queue_arn.split(":")
        return self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]

    def _hide(self, url: str, receipt: str) -> None:
        self._sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=self.seconds)

    @contextmanager
    def keep(self, record: SQSRecord) -> Iterator[None]:
        url = self._queue_url(record.event_source_arn)
        self._hide(url, record.receipt_handle)
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.seconds / 3):
                try:
                    self._hide(url, record.receipt_handle)
                except Exception:
                    logger.warning("heartbeat failed", exc_info=True)

        thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def _message(record: SQSRecord) -> QueueMessage | None:
    """The run message, or None for a body that is not one (logged, then dropped:
    retrying cannot fix it)."""
    try:
        return parse_message(record.body)
    except ValueError as exc:  # malformed JSON or not a message (pydantic's ValidationError is one)
        logger.error("dropping a malformed run message", extra={"message_id": record.message_id,
                                                                "problem": str(exc)})
        return None


def build_handlers(worker: RunWorker, heartbeat: Heartbeat | None = None) -> tuple[Handler, Handler]:
    """(run handler for the queue, give-up handler for its dead-letter queue)."""

    def run_record(record: SQSRecord) -> None:
        message = _message(record)
        if message is None:
            return
        logger.append_keys(work=message.log_id)
        if heartbeat is None:
            outcome = worker.handle(message)
        else:
            with heartbeat.keep(record):
                outcome = worker.handle(message)
        logger.info("message handled", extra={"outcome": str(outcome),
                                          "receive_count": record.attributes.approximate_receive_count})

    def dead_record(record: SQSRecord) -> None:
        message = _message(record)
        if message is None:
            return
        count = record.attributes.approximate_receive_count
        outcome = worker.give_up(message, int(count) if count else None)
        logger.warning("work given up", extra={"outcome": str(outcome), "work": message.log_id})

    def batch(record_handler: Callable[[SQSRecord], None]) -> Handler:
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            processor = SqsFifoPartialProcessor(skip_group_on_error=True)
            return dict(process_partial_response(event, record_handler, processor, context))

        return handler

    return batch(run_record), batch(dead_record)

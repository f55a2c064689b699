"""SQS batch events -> RunWorker, with partial batch failures (AWS Lambda Powertools).

A record whose handling raises is reported in `batchItemFailures`, so only it
is redelivered. The queue is FIFO: after a failure, later records of the same
message group (session) are reported failed too, to keep that session's order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from algocloud.run_message import RunMessage
from algocloud.worker import RunWorker

logger = Logger(service="algocloud-worker")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _message(record: SQSRecord) -> RunMessage | None:
    """The run message, or None for a body that is not one (logged, then dropped:
    retrying cannot fix it)."""
    try:
        return RunMessage.from_body(record.body)
    except ValidationError as exc:
        logger.error("dropping a malformed run message", extra={"message_id": record.message_id,
                                                                "problem": str(exc)})
        return None


def build_handlers(worker: RunWorker) -> tuple[Handler, Handler]:
    """(run handler for the queue, give-up handler for its dead-letter queue)."""

    def run_record(record: SQSRecord) -> None:
        message = _message(record)
        if message is None:
            return
        logger.append_keys(run_id=message.run_id, scenario_id=message.scenario_id)
        outcome = worker.handle(message)
        logger.info("run handled", extra={"outcome": str(outcome),
                                          "receive_count": record.attributes.approximate_receive_count})

    def dead_record(record: SQSRecord) -> None:
        message = _message(record)
        if message is None:
            return
        count = record.attributes.approximate_receive_count
        outcome = worker.give_up(message, int(count) if count else None)
        logger.warning("run given up", extra={"outcome": str(outcome), "run_id": message.run_id})

    def batch(record_handler: Callable[[SQSRecord], None]) -> Handler:
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            processor = SqsFifoPartialProcessor(skip_group_on_error=True)
            return process_partial_response(event, record_handler, processor, context)

        return handler

    return batch(run_record), batch(dead_record)

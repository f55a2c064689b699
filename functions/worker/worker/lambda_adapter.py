"""SQS batch events -> the executor (execution.executor), with partial batch failures (AWS Lambda Powertools).

A record whose handling raises is reported in `batchItemFailures`, so only it
is redelivered. The queue is FIFO: after a failure, later records of the same
message group (session) are reported failed too, to keep that session's order.

While a run is alive its message is kept hidden by a heartbeat for a short
time at once (the queue's own visibility timeout must stay at least the
function timeout for the event source mapping): if the worker crashes or
times out, the message reappears within `RUN_VISIBILITY_SECONDS` (default 60) and
the run is taken over, instead of after the queue's 30 minutes.

A job handed to the container tier (execution.container) is reported failed here without being
failed: its message stays in flight, held and later deleted by the container task, so the
session's next message waits for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from algocloud import limits
from algocloud.execution.executor import Delivery, Executor, Outcome
from algocloud.run_message import QueueMessage, parse_message
from algocloud.telemetry import NAMESPACE, SERVICE, logger, metrics

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class Heartbeat:
    """Keeps a record's message hidden for a short visibility timeout, renewed while a run lives."""

    def __init__(self, sqs_client, seconds: int = limits.HEARTBEAT_VISIBILITY_SECONDS):
        self._sqs = sqs_client
        self.seconds = seconds

    @cache  # noqa: B019 - one lookup per queue for the life of the container
    def _queue_url(self, queue_arn: str) -> str:
        *_, account, name = queue_arn.split(":")
        return self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]

    def _hide(self, url: str, receipt: str, seconds: int | None = None) -> None:
        self._sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=seconds or self.seconds
        )

    def hide(self, record: SQSRecord, seconds: int) -> None:
        """Keep the record's message hidden `seconds` from now (once)."""
        self._hide(self._queue_url(record.event_source_arn), record.receipt_handle, seconds)

    @contextmanager
    def keep(self, record: SQSRecord) -> Iterator[None]:
        url = self._queue_url(record.event_source_arn)
        self._hide(url, record.receipt_handle)
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.seconds / 3):
                try:
                    self._hide(url, record.receipt_handle)
                except Exception:  # noqa: BLE001 - logged; the next beat tries again
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
        logger.error("dropping a malformed run message", extra={"message_id": record.message_id, "problem": str(exc)})
        return None


def _log_as(message: QueueMessage) -> None:
    """This record's logs carry the request's correlation id (from the API) and what it is."""
    logger.set_correlation_id(message.correlation_id)
    logger.append_keys(work=message.log_id, tenant=message.tenant, session_id=message.session_id)


def _count(names: tuple[str, str], outcome: Outcome, seconds: float) -> None:
    """Outcomes by `Outcome` (`Runs`), and the duration of those that ended (`RunDuration`)."""
    counted, duration = names
    with single_metric(
        name=counted, unit=MetricUnit.Count, value=1, namespace=NAMESPACE, default_dimensions={"service": SERVICE}
    ) as metric:
        metric.add_dimension(name="Outcome", value=str(outcome))
    if outcome in (Outcome.COMPLETE, Outcome.FAILED):
        metrics.add_metric(name=duration, unit=MetricUnit.Seconds, value=round(seconds, 3))


def build_handlers(worker: Executor, heartbeat: Heartbeat | None = None) -> tuple[Handler, Handler]:
    """(run handler for the queue, give-up handler for its dead-letter queue)."""

    def run_record(record: SQSRecord, delivery: Delivery) -> Outcome | None:
        message = _message(record)
        if message is None:
            return None
        _log_as(message)
        started = time.time()
        metrics.add_metric(
            name="QueueWait",
            unit=MetricUnit.Milliseconds,
            value=max(0, started * 1000 - int(record.attributes.sent_timestamp)),
        )
        if heartbeat is None:
            outcome = worker.handle(message, delivery)
        else:
            with heartbeat.keep(record):
                outcome = worker.handle(message, delivery)
        if message.outcome_metrics:
            _count(message.outcome_metrics, outcome, time.time() - started)
        logger.info(
            "message handled",
            extra={"outcome": str(outcome), "receive_count": record.attributes.approximate_receive_count},
        )
        if outcome == Outcome.HANDED_OVER and heartbeat is not None:
            try:
                heartbeat.hide(record, limits.TASK_START_SECONDS)  # time for the task to start and hold it
            except Exception:  # noqa: BLE001 - a cancel deleted it meanwhile (or the task did): nothing to hold
                logger.info("the handed-over message is gone already", exc_info=True)
        return outcome

    def dead_record(record: SQSRecord) -> None:
        message = _message(record)
        if message is None:
            return
        _log_as(message)
        count = record.attributes.approximate_receive_count
        outcome = worker.give_up(message, int(count) if count else None)
        logger.warning("work given up", extra={"outcome": str(outcome), "work": message.log_id})

    def batch(record_handler: Callable[[SQSRecord], None]) -> Handler:
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            processor = SqsFifoPartialProcessor(skip_group_on_error=True)
            return dict(process_partial_response(event, record_handler, processor, context))

        return handler

    def runs(event: dict[str, Any], context: Any) -> dict[str, Any]:
        """The run queue's batches: each record knows the invocation's limits and its receipt."""
        left = context.get_remaining_time_in_millis() / 1000 if context is not None else None
        deadline = None if left is None else time.monotonic() + left
        memory = int(context.memory_limit_in_mb) if context is not None else None

        held: list[SQSRecord] = []  # handed to the container tier: their messages stay in flight

        def record_handler(record: SQSRecord) -> None:
            if any(record.attributes.message_group_id == h.attributes.message_group_id for h in held):
                held.append(record)  # the session's next message waits for the task
                return
            if run_record(record, Delivery(deadline, left, memory, record.receipt_handle)) == Outcome.HANDED_OVER:
                held.append(record)

        response = batch(record_handler)(event, context)
        response["batchItemFailures"] = response.get("batchItemFailures", []) + [
            {"itemIdentifier": record.message_id} for record in held
        ]
        return response

    return runs, batch(dead_record)

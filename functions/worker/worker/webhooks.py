"""The webhook queue's Lambda (worker.webhooks.handler): one delivery attempt per message.

An attempt's outcome, delivered or not, is handled (logged, retried through the queue with a
delay, or given up on): the message is done either way. Only an error of our own storage
reports the message failed, so SQS hands it out again.
"""

from __future__ import annotations

import logging
from typing import Any

from algocloud.adapters.factory import webhook_deliveries
from algocloud.adapters.settings import backend_settings
from algocloud.telemetry import instrumented

logger = logging.getLogger(__name__)
_deliveries = webhook_deliveries(backend_settings())


def _deliver(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        try:
            _deliveries.handle(record["body"])
        except Exception:
            logger.exception("webhook delivery %s failed; SQS will hand it out again", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


handler = instrumented(_deliver)

"""Lambda entry points (built once per container):

worker.handler.handler              the run queue's event source
worker.handler.dead_letter_handler  the dead-letter queue's event source
"""

from algocloud.adapters.factory import build_adapters
from algocloud.adapters.settings import backend_settings
from algocloud.appconfig import load_app_config
from algocloud.domain.jobs import Executor
from algocloud.execution.container import ContainerTier
from algocloud.execution.registry import in_process_executor
from algocloud.telemetry import instrumented

from .lambda_adapter import Heartbeat, build_handlers

_settings = backend_settings()
_adapters = build_adapters(_settings)
_tier = ContainerTier(Executor.LAMBDA if _settings.on_lambda else Executor.LOCAL, _adapters.launcher)
_worker = in_process_executor(
    load_app_config(),
    _adapters.stores,
    _adapters.blobs,
    _adapters.accounts,
    tier=_tier,
    app_version=_settings.app_version,
)
_heartbeat = None
if _settings.backend == "aws":  # the heartbeat keeps SQS messages hidden
    from algocloud.adapters.aws.clients import client

    _heartbeat = Heartbeat(client("sqs", _settings), _settings.run_visibility_seconds)
_runs, _dead_letters = build_handlers(_worker, _heartbeat)
# Each record sets its own correlation id (the request's that queued it).
handler, dead_letter_handler = instrumented(_runs), instrumented(_dead_letters)

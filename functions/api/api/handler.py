"""Lambda entry point (Handler: api.handler.handler): built once per container; Powertools
around Mangum, with API Gateway's request id as the correlation id (algocloud.telemetry)."""

from aws_lambda_powertools.logging import correlation_paths

from algocloud.telemetry import instrumented

from .lambda_adapter import build_handler
from .main import create_app

app = create_app()
handler = instrumented(build_handler(app), correlation_paths.API_GATEWAY_REST)

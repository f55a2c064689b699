"""Logs and metrics as the Lambda functions write them (Powertools): one service name, the
request's correlation id from API Gateway into the worker's logs, EMF metrics of runs and usage."""

import json

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.parametrize("backend_name", ["aws"])  # the Lambda handlers


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
    return lines


@pytest.fixture
def log_lines():
    """What the Powertools logger writes (its handler keeps the stream it had when it was made)."""
    import io

    from algocloud.telemetry import logger

    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)
    yield lambda: json_lines(stream.getvalue())
    logger.registered_handler.setStream(previous)


def test_a_runs_logs_carry_the_requests_correlation_id_and_metrics_are_emitted(settings, backend, capsys, log_lines):
    from aws_lambda_powertools.logging import correlation_paths

    from algocloud.appconfig import load_app_config
    from algocloud.execution.registry import in_process_executor
    from algocloud.telemetry import SERVICE, instrumented
    from api import deps
    from api.lambda_adapter import build_handler
    from api.main import create_app
    from devstack.apigateway import RestApiGateway, config_from_template
    from devstack.driver import QueueDriver
    from worker.lambda_adapter import build_handlers

    app = create_app(settings.model_copy(update={"emit_metrics": True}))
    api = TestClient(
        RestApiGateway(
            instrumented(build_handler(app), correlation_paths.API_GATEWAY_REST),
            config_from_template(stage="Prod", stage_throttle=None),
        )
    )
    base = "/Prod/api/v1"
    made = api.post(
        f"{base}/sessions/main/scenarios", json={"tag": "traced", "dataset_key": "Master data", "algo_name": "Instant"}
    ).json()
    queued = api.post(f"{base}/sessions/main/scenarios/{made['id']}/run")
    request_id = queued.headers["x-amzn-requestid"]
    assert queued.status_code == 202 and queued.headers["x-correlation-id"] == request_id

    adapters = deps.adapters(app.state.settings)
    worker = in_process_executor(load_app_config(), adapters.stores, adapters.blobs, adapters.accounts)
    runs, _ = build_handlers(worker)
    QueueDriver(backend.runs, instrumented(runs)).drain()
    assert api.get(f"{base}/sessions/main/scenarios/{made['id']}").json()["status"] == "complete"

    handled = [line for line in log_lines() if line.get("message") == "message handled"]
    assert handled and all(line["correlation_id"] == request_id for line in handled)
    assert {line["service"] for line in handled} == {SERVICE} and handled[0]["function_name"]
    assert handled[0]["outcome"] == "complete" and handled[0]["tenant"] == "default"
    lines = json_lines(capsys.readouterr().out)  # EMF: printed when a handler's metrics are flushed
    emitted = {
        m["Name"]
        for line in lines
        if "_aws" in line
        for directive in line["_aws"]["CloudWatchMetrics"]
        for m in directive["Metrics"]
    }
    assert {"QueueWait", "Runs", "RunDuration", "RunsStarted", "RunsCompleted", "ComputeSeconds"} <= emitted
    runs_metric = next(line for line in lines if "_aws" in line and "Runs" in line)
    assert runs_metric["Outcome"] == "complete" and runs_metric["Runs"] in (1, [1.0])
    assert runs_metric["service"] == SERVICE  # the dashboard's dimensions

"""The API Gateway emulator itself, in front of small handlers: the event it builds and its own answers."""

import base64
import json
import time

import pytest
from fastapi.testclient import TestClient

from algocloud.limits import API_GATEWAY_PAYLOAD_LIMIT as EDGE_PAYLOAD_LIMIT
from algocloud.limits import LAMBDA_PAYLOAD_LIMIT
from devstack.apigateway import (
    GatewayConfig,
    RestApiGateway,
    UsagePlan,
    api_key_id,
    config_from_template,
)


def echo(event, context):
    """Answers with the event it got (and the context's request id)."""
    body = json.dumps({"event": event, "request_id": context.aws_request_id})
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body, "isBase64Encoded": False}


def gateway(handler=echo, **config):
    return TestClient(RestApiGateway(handler, config_from_template(stage_throttle=None, **config)))


def test_the_template_shapes_the_gateway():
    config = config_from_template()
    assert config.stage == "Prod" and config.binary_media_types == ("multipart/form-data", "*/*")
    assert config.stage_throttle == (50.0, 100) and config.usage_plan == UsagePlan(10.0, 20, 10000)
    assert "detail" in config.responses["REQUEST_TOO_LARGE"]


def test_the_proxy_event_has_the_stage_in_the_context_only():
    response = gateway().post(
        "/Prod/api/v1/sessions/a%20b?x=1&x=2&y=",
        content=b"\x00\x01",
        headers={"Content-Type": "application/octet-stream", "X-Thing": "t"},
    )
    event = response.json()["event"]
    assert event["path"] == "/api/v1/sessions/a b" and event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "api/v1/sessions/a b"}
    assert event["requestContext"]["path"] == "/Prod/api/v1/sessions/a b"
    assert event["requestContext"]["stage"] == "Prod" and event["httpMethod"] == "POST"
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": [""]}
    assert event["queryStringParameters"] == {"x": "2", "y": ""}
    assert event["headers"]["x-thing"] == "t" and event["multiValueHeaders"]["x-thing"] == ["t"]
    # BinaryMediaTypes */*: every body reaches the function base64-encoded
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\x01"
    assert event["requestContext"]["identity"]["apiKeyId"] is None
    assert response.json()["request_id"] == event["requestContext"]["requestId"]
    assert response.headers["x-amzn-requestid"] == event["requestContext"]["requestId"]


def test_the_stage_root_and_paths_outside_the_stage():
    client = gateway()
    root = client.get("/Prod").json()["event"]
    assert root["path"] == "/" and root["resource"] == "/" and root["pathParameters"] is None
    outside = client.get("/api/v1/sessions")
    assert outside.status_code == 403 and outside.json()["message"] == "Missing Authentication Token"


def test_bodies_over_the_edge_limit_and_the_lambda_limit_are_413():
    client = gateway()
    edge = client.post("/Prod/x", content=b"a" * (EDGE_PAYLOAD_LIMIT + 1))
    assert edge.status_code == 413 and edge.text == f"HTTP content length exceeded {EDGE_PAYLOAD_LIMIT} bytes."
    # base64 makes 4.8 MB into 6.4 MB of event: over Lambda's 6 MB
    encoded = client.post("/Prod/x", content=b"a" * 4_800_000)
    assert encoded.status_code == 413 and encoded.headers["x-amzn-errortype"] == "BadRequestException"
    assert encoded.json()["message"] == "Request Too Long" and "base64" in encoded.json()["detail"]
    assert client.post("/Prod/x", content=b"a" * 4_600_000).status_code == 200


def test_a_response_over_lambdas_limit_or_a_failed_function_is_502():
    def large(event, context):
        return {"statusCode": 200, "body": "a" * LAMBDA_PAYLOAD_LIMIT, "isBase64Encoded": False}

    def failing(event, context):
        raise RuntimeError("boom")

    for handler in (large, failing, lambda e, c: {"no": "status"}):
        response = gateway(handler).get("/Prod/x")
        assert response.status_code == 502 and response.json()["message"] == "Internal server error"
        assert response.json()["detail"]


def test_base64_responses_are_decoded():
    def binary(event, context):
        return {
            "statusCode": 201,
            "multiValueHeaders": {"X-Two": ["a", "b"]},
            "headers": {"X-One": "1"},
            "body": base64.b64encode(b"\xff\x00").decode(),
            "isBase64Encoded": True,
        }

    response = gateway(binary).get("/Prod/x")
    assert response.status_code == 201 and response.content == b"\xff\x00"
    assert response.headers["x-one"] == "1" and response.headers.get_list("x-two") == ["a", "b"]


def test_an_invocation_past_the_integration_timeout_is_504():
    def slow(event, context):
        time.sleep(0.5)
        return echo(event, context)

    response = gateway(slow, timeout=0.1).get("/Prod/x")
    assert response.status_code == 504 and response.json()["message"] == "Endpoint request timed out"
    assert "29 s" in response.json()["detail"]


def test_api_keys_usage_plan_throttle_and_quota():
    keys = {"secret-a": api_key_id("secret-a")}
    client = gateway(require_api_key=True, api_keys=keys, usage_plan=UsagePlan(rate=1000, burst=1000, daily_quota=3))
    missing = client.get("/Prod/x")
    assert missing.status_code == 403 and missing.json()["message"] == "Forbidden"
    assert client.get("/Prod/x", headers={"x-api-key": "wrong"}).status_code == 403
    event = client.get("/Prod/x", headers={"x-api-key": "secret-a"}).json()["event"]
    assert event["requestContext"]["identity"]["apiKeyId"] == api_key_id("secret-a")
    assert client.options("/Prod/x").status_code == 200  # preflights need no key
    assert [client.get("/Prod/x", headers={"x-api-key": "secret-a"}).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/Prod/x", headers={"x-api-key": "secret-a"}).json()["message"] == "Limit Exceeded"


def test_throttling_refuses_past_the_burst_and_refills_at_the_rate():
    # 2 per second: a token comes back every 0.5 s, far slower than 5 requests on a loaded machine
    client = TestClient(RestApiGateway(echo, GatewayConfig(stage_throttle=(2.0, 3))))
    responses = [client.get("/Prod/x") for _ in range(5)]
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    refused = [r for r in responses[3:] if r.status_code == 429]
    assert refused and refused[0].json()["message"] == "Too Many Requests"
    time.sleep(0.6)  # a token back
    assert client.get("/Prod/x").status_code == 200


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_requests_without_a_body_have_a_null_body(method):
    event = gateway().request(method, "/Prod/x").json()["event"]
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_the_templates_keyless_routes_need_no_key():
    client = gateway(require_api_key=True, api_keys={"k": api_key_id("k")})
    for path in ("/Prod/docs", "/Prod/redoc", "/Prod/openapi.json", "/Prod/static-offline-docs/swagger-ui.css"):
        assert client.get(path).status_code == 200, path
    assert client.options("/Prod/api/v1/sessions").status_code == 200
    for path in ("/Prod/api/v1/sessions", "/Prod/static-offline-docs", "/Prod/docs/x"):
        assert client.get(path).status_code == 403, path
    assert client.post("/Prod/docs").status_code == 403  # GET only


def test_gateway_refusals_carry_the_templates_cors_headers():
    client = gateway(require_api_key=True, api_keys={"k" * 20: "id1"})
    refused = client.get("/Prod/api/v1/sessions", headers={"origin": "https://app.example"})
    assert refused.status_code == 403 and refused.headers["access-control-allow-origin"] == "https://app.example"
    assert refused.headers["vary"] == "Origin" and refused.json()["detail"]

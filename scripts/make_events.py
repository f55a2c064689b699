"""Writes the sample Lambda events in events/ (deterministic; rerun after changing them).

    .venv/bin/python scripts/make_events.py

REST API (API Gateway v1 proxy) events as the `Prod` stage delivers them, and
an SQS batch as the worker's event source mapping delivers it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
DATA = ROOT / "shared" / "algocloud" / "example" / "data"
HOST = "abc123defg.execute-api.eu-west-1.amazonaws.com"


def rest_event(
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str | None = None,
    api_key_id: str | None = None,
    base64_body: bool = False,
) -> dict:
    headers = {
        "Accept": "application/json",
        "Accept-Encoding": "gzip, deflate, br",
        "Host": HOST,
        "User-Agent": "python-httpx/0.28.1",
        "X-Forwarded-For": "203.0.113.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if content_type:
        headers["Content-Type"] = content_type
    if body is not None:
        headers["Content-Length"] = str(len(body))
    encoded = None
    if body is not None:
        encoded = base64.b64encode(body).decode() if base64_body else body.decode()
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "x1y2z3",
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "extendedRequestId": "Q1w2E3r4T5y6U7i=",
            "requestTime": "22/Nov/2026:13:00:00 +0000",
            "path": f"/Prod{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": "Prod",
            "domainPrefix": HOST.split(".")[0],
            "requestTimeEpoch": 1795352400000,
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {
                "sourceIp": "203.0.113.10",
                "userAgent": "python-httpx/0.28.1",
                "apiKeyId": api_key_id,
                "apiKey": None if api_key_id is None else "redacted",
            },
            "domainName": HOST,
            "apiId": HOST.split(".")[0],
        },
        "body": encoded,
        "isBase64Encoded": base64_body,
    }


def multipart(fields: dict[str, str], files: list[tuple[str, bytes, str]], boundary: str) -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for filename, content, content_type in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        parts.append(head + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def sqs_record(index: int, body: dict) -> dict:
    return {
        "messageId": f"059f36b4-87a3-44ab-83d2-66197571920{index}",
        "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{index}...",
        "body": json.dumps(body),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795352400000",
            "SenderId": "AROAEXAMPLE:algocloud-api",
            "ApproximateFirstReceiveTimestamp": "1795352400100",
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:algocloud-runs",
        "awsRegion": "eu-west-1",
    }


def main() -> None:
    EVENTS.mkdir(exist_ok=True)
    boundary = "----algocloudBoundary7MA4YWxkTrZu0gW"
    upload = multipart(
        {"dataset_name": "uploaded"},
        [(p.name, p.read_bytes(), "text/csv") for p in sorted(DATA.glob("*.csv"))],
        boundary,
    )
    scenario = {"tag": "my-run", "dataset_key": "Master data", "algo_name": "Slow", "algo_params": {"duration": 5}}
    events = {
        "api-get-health.json": rest_event("GET", "/health"),
        "api-get-sessions.json": rest_event("GET", "/api/v1/sessions"),
        "api-create-scenario.json": rest_event(
            "POST", "/api/v1/sessions/main/scenarios", json.dumps(scenario).encode(), "application/json"
        ),
        "api-get-dataset.json": rest_event("GET", "/api/v1/sessions/main/data/Master data"),
        "api-etl-upload.json": rest_event(
            "POST", "/api/v1/sessions/main/etl", upload, f"multipart/form-data; boundary={boundary}", base64_body=True
        ),
        "api-docs.json": rest_event("GET", "/docs"),
        "api-openapi.json": rest_event("GET", "/openapi.json"),
        "api-get-sessions-tenant-a.json": rest_event("GET", "/api/v1/sessions", api_key_id="key-tenant-a"),
        "sqs-run-batch.json": {
            "Records": [
                sqs_record(
                    1,
                    {
                        "version": 1,
                        "tenant": "default",
                        "session_id": "SESSION-ID",
                        "scenario_id": "SCENARIO-1",
                        "run_id": "RUN-1",
                    },
                ),
                sqs_record(
                    2,
                    {
                        "version": 1,
                        "tenant": "default",
                        "session_id": "SESSION-ID",
                        "scenario_id": "SCENARIO-2",
                        "run_id": "RUN-2",
                    },
                ),
            ]
        },
    }
    for name, event in events.items():
        (EVENTS / name).write_text(json.dumps(event, indent=2) + "\n")
        print(f"wrote events/{name}")


if __name__ == "__main__":
    main()

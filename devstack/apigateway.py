"""API Gateway (REST API, Lambda proxy integration) in front of a Lambda handler, as an ASGI app.

`make local ARGS="--aws"` serves the API Lambda's own handler (functions/api,
Mangum and all) through this, so a request takes the path it takes on AWS.
Emulated, with the AWS documentation each behaviour follows:

- Routing: only paths under the stage (`/Prod/...`) reach the function (the
  template's `/` and `/{proxy+}` routes); others get API Gateway's 403
  `Missing Authentication Token`.
- The event: the proxy integration's input format (API Gateway developer
  guide, "Lambda proxy integrations", input format): `path` without the
  stage, `requestContext.path` with it, `resource`, `pathParameters.proxy`,
  single- and multi-value headers and query strings, `requestContext.identity`
  with `sourceIp`, `apiKey` and `apiKeyId`.
- Binary media types ("Binary media types for REST APIs"): a body whose
  Content-Type matches one of the template's `BinaryMediaTypes` (`*/*`: all)
  reaches the function base64-encoded; a response with `isBase64Encoded` is
  decoded back to bytes.
- Quotas ("Amazon API Gateway quotas"): a request body over 10 MB is refused
  at the edge (413); a request line and headers over 10,240 bytes get the
  REQUEST_TOO_LARGE gateway response (413, which API Gateway does not let a
  template customise); a body that stops arriving gets 408 after 30 s. Lambda quotas ("Lambda quotas", invocation payload):
  the event and the function's response are at most 6 MB of JSON each, so a
  request whose encoded event is larger gets 413 `Request Too Long` and a
  response over it 502; the integration timeout of 29 s gets 504.
- API keys and usage plans ("Usage plans and API keys", "Throttle requests"):
  with keys required, a missing or unknown `x-api-key` is 403 `Forbidden`;
  the stage's and the key's token buckets (rate, burst) answer 429 `Too Many
  Requests`, the key's daily quota 429 `Limit Exceeded`. The template's routes
  with the key turned off (CORS preflights, the documentation) need none.
- Gateway responses ("Gateway response types"): the default status codes and
  `{"message": ...}` bodies, with `x-amzn-ErrorType`.

- Lambda authorizer (AuthMode=signin): devstack.lambda_authorizer, on every route but the
  template's `Authorizer: NONE` ones (CORS preflights, the documentation).

Not emulated: mapping templates, response caching, custom domains, WAF,
the edge's own headers. Each invocation runs on a thread of a pool as large
as the function's concurrency, with its own event loop (a Lambda execution
environment serves one request at a time); a timed-out invocation keeps its
thread until it ends, as a Lambda keeps running after API Gateway gives up.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from algocloud import limits
from devstack.lambda_authorizer import LambdaAuthorizer
from devstack.template import key_optional, signin_authorizer

ACCOUNT_ID = "123456789012"
API_ID = "local0api1"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class TokenBucket:
    """API Gateway's throttle: `burst` requests at once, refilled at `rate` per second."""

    rate: float
    burst: int
    tokens: float = field(init=False)
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(frozen=True)
class UsagePlan:
    rate: float
    burst: int
    daily_quota: int


@dataclass(frozen=True)
class GatewayConfig:
    stage: str = "Prod"
    binary_media_types: tuple[str, ...] = ("*/*",)
    stage_throttle: tuple[float, int] | None = None  # (rate, burst); None: unthrottled
    require_api_key: bool = False
    api_keys: Mapping[str, str] = field(default_factory=dict)  # key value -> key id (of enabled keys)
    usage_plan: UsagePlan | None = None
    timeout: float = limits.API_GATEWAY_TIMEOUT_SECONDS
    concurrency: int = 10  # the function's concurrent executions
    # requestContext.domainName: the API's own domain, as API Gateway reports it (never the caller's Host)
    domain_name: str = f"{API_ID}.execute-api.us-east-1.amazonaws.com"
    body_read_timeout: float = limits.BODY_READ_TIMEOUT_SECONDS
    responses: dict[str, str] = field(default_factory=dict)  # gateway response type -> JSON template
    # gateway response type -> header -> value: 'a literal' or method.request.header.<name>
    response_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    # Routes that need no key even when keys are required (nor the authorizer): (method, path template).
    keyless: tuple[tuple[str, str], ...] = (("OPTIONS", "/{proxy+}"),)
    authorizer: Handler | None = None  # the REST API's Lambda authorizer (REQUEST), where sign-in is on
    authorizer_header: str = "authorization"  # its identity source
    authorizer_ttl: float = 60.0  # seconds its answer is kept per identity (ReauthorizeEvery)


def api_key_id(value: str) -> str:
    """A stable 10-character id for a key value, shaped like API Gateway's."""
    return hashlib.sha256(value.encode()).hexdigest()[:10]


def config_from_template(**overrides: Any) -> GatewayConfig:
    """The stage name, binary media types, throttles and usage plan of template.yaml's Api."""
    from devstack.template import load_template

    template = load_template()
    defaults = {name: p.get("Default") for name, p in template.get("Parameters", {}).items()}

    def value(v: Any) -> Any:
        return defaults[v["Ref"]] if isinstance(v, dict) and "Ref" in v else v

    [api] = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    [settings] = api.get("MethodSettings", [{}])
    [plan] = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::UsagePlan"]
    responses = {
        kind: r["ResponseTemplates"]["application/json"]
        for kind, r in api.get("GatewayResponses", {}).items()
        if "application/json" in r.get("ResponseTemplates", {})
    }
    response_headers = {
        kind: r["ResponseParameters"]["Headers"]
        for kind, r in api.get("GatewayResponses", {}).items()
        if "ResponseParameters" in r
    }
    keyless = tuple(
        (e["Properties"]["Method"].upper(), e["Properties"]["Path"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
        for e in r["Properties"].get("Events", {}).values()
        if e.get("Type") == "Api" and key_optional(e["Properties"].get("Auth"))
    )
    if overrides.get("authorizer") is not None:
        overrides = signin_authorizer(api.get("Auth")) | overrides
    config = GatewayConfig(
        keyless=keyless,
        responses=responses,
        response_headers=response_headers,
        stage=value(api["StageName"]),
        binary_media_types=tuple(t.replace("~1", "/") for t in api.get("BinaryMediaTypes", [])),
        stage_throttle=(float(value(settings["ThrottlingRateLimit"])), int(value(settings["ThrottlingBurstLimit"]))),
        usage_plan=UsagePlan(
            float(value(plan["Throttle"]["RateLimit"])),
            int(value(plan["Throttle"]["BurstLimit"])),
            int(value(plan["Quota"]["Limit"])),
        ),
    )
    return dataclasses.replace(config, **overrides)


def _route_matches(template: str, path: str) -> bool:
    if template.endswith("/{proxy+}"):
        prefix = template.removesuffix("{proxy+}")
        return path.startswith(prefix) and len(path) > len(prefix)
    return path == template


@dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    kind: str | None = None  # a gateway response type: API Gateway answered, not the Lambda


# API Gateway's own answers: response type -> (status, x-amzn-ErrorType, message), from
# "Gateway response types" and what the service answers by default.
GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "MissingAuthenticationTokenException", "Missing Authentication Token"),
    "INVALID_API_KEY": (403, "ForbiddenException", "Forbidden"),
    "THROTTLED": (429, "TooManyRequestsException", "Too Many Requests"),
    "QUOTA_EXCEEDED": (429, "LimitExceededException", "Limit Exceeded"),
    "REQUEST_TOO_LARGE": (413, "BadRequestException", "Request Too Long"),
    "INTEGRATION_TIMEOUT": (504, "InternalServerErrorException", "Endpoint request timed out"),
    "LAMBDA_FAILURE": (502, "InternalServerErrorException", "Internal server error"),  # a DEFAULT_5XX
    "UNAUTHORIZED": (401, "UnauthorizedException", "Unauthorized"),
    "ACCESS_DENIED": (403, "AccessDeniedException", "User is not authorized to access this resource"),
    "AUTHORIZER_FAILURE": (500, "AuthorizerConfigurationException", "Internal server error"),
}
_REQUEST_HEADER = "method.request.header."  # a gateway response header mapped from the request
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


class _TooLarge(Exception):
    pass


def _is_binary(content_type: str, media_types: tuple[str, ...]) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    major = kind.split("/", 1)[0]
    return any(t == "*/*" or t == kind or t == f"{major}/*" for t in media_types)


@dataclass
class LambdaContext:
    """What a handler may read from its context."""

    aws_request_id: str
    deadline: float
    function_name: str = "algocloud-api"
    memory_limit_in_mb: int = 1769
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:algocloud-api"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def _own_event_loop() -> None:
    # Mangum runs each invocation on the thread's event loop; a pool thread has none.
    asyncio.set_event_loop(asyncio.new_event_loop())


def render_template(template: str, message: str) -> bytes:
    """The two variables our templates use: the message quoted (messageString) and bare."""
    quoted = json.dumps(message)
    return (
        template.replace("$context.error.messageString", quoted)
        .replace("$context.error.message", quoted[1:-1])
        .encode()
    )


class RestApiGateway:
    def __init__(self, handler: Handler, config: GatewayConfig | None = None):
        self.handler = handler
        self.config = config or GatewayConfig()
        self.pool = ThreadPoolExecutor(
            self.config.concurrency, thread_name_prefix="lambda", initializer=_own_event_loop
        )
        self.lock = threading.Lock()
        self.stage_bucket = TokenBucket(*self.config.stage_throttle) if self.config.stage_throttle else None
        self.key_buckets: dict[str, TokenBucket] = {}
        self.quota_used: dict[str, tuple[dt.date, int]] = {}
        self.authorizer = (
            LambdaAuthorizer(self.config.authorizer, self.config.authorizer_ttl) if self.config.authorizer else None
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        response = await self.respond(scope, receive)
        headers = [
            *response.headers,
            *self._response_parameters(response, scope),
            (b"content-length", str(len(response.body)).encode()),
        ]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    async def respond(self, scope, receive) -> GatewayResponse:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        head = len(scope.get("raw_path") or b"") + len(scope.get("query_string", b""))
        if head + sum(len(k) + len(v) for k, v in headers) > limits.API_GATEWAY_HEADER_BYTES:
            return self._gateway_error("REQUEST_TOO_LARGE")
        declared = next((v for k, v in headers if k.lower() == "content-length"), "")
        if declared.isdigit() and int(declared) > limits.API_GATEWAY_PAYLOAD_LIMIT:
            return self._edge_too_large()
        try:
            body = await self._read_body(receive)
        except _TooLarge:
            return self._edge_too_large()
        except TimeoutError:
            message = f"the request body stopped arriving: nothing for {self.config.body_read_timeout:g} s"
            return GatewayResponse(
                408,
                [(b"content-type", b"application/json")],
                json.dumps({"message": message, "detail": message}).encode(),
            )
        stage_prefix = f"/{self.config.stage}"
        full_path = scope["path"]
        if full_path != stage_prefix and not full_path.startswith(stage_prefix + "/"):
            return self._gateway_error("MISSING_AUTHENTICATION_TOKEN")
        method = scope["method"]
        api_key = next((v for k, v in headers if k.lower() == "x-api-key"), None)
        key_id = self.config.api_keys.get(api_key) if api_key is not None else None
        path = full_path[len(stage_prefix) :] or "/"
        keyless = any(m in (method, "ANY") and _route_matches(t, path) for m, t in self.config.keyless)
        if self.config.require_api_key and not keyless and key_id is None:
            return self._gateway_error("INVALID_API_KEY")
        refused = self._throttle(key_id if self.config.require_api_key and not keyless else None)
        if refused is not None:
            return refused
        authorized: dict[str, Any] | None = None
        if self.config.authorizer is not None and not keyless:
            answer = await self._authorize(scope, path, headers)
            if isinstance(answer, GatewayResponse):
                return answer
            authorized = answer
        event = self.event(scope, path, headers, body, api_key, key_id)
        if authorized is not None:
            event["requestContext"]["authorizer"] = authorized
        payload = json.dumps(event)
        if len(payload) > limits.LAMBDA_PAYLOAD_LIMIT:
            return self._gateway_error("REQUEST_TOO_LARGE")
        loop = asyncio.get_running_loop()
        invocation = loop.run_in_executor(self.pool, self._invoke, payload, event["requestContext"]["requestId"])
        try:
            result = await asyncio.wait_for(asyncio.shield(invocation), self.config.timeout)
        except TimeoutError:
            return self._gateway_error("INTEGRATION_TIMEOUT")
        if result is None:  # the function failed or answered more than Lambda can return
            return self._gateway_error("LAMBDA_FAILURE")
        return self._translate(result, event["requestContext"]["requestId"])

    async def _authorize(self, scope, path: str, headers: list[tuple[str, str]]) -> GatewayResponse | dict[str, Any]:
        """The Lambda authorizer's verdict: requestContext.authorizer, or API Gateway's refusal."""
        assert self.authorizer is not None
        identity = next((v for k, v in headers if k.lower() == self.config.authorizer_header), "")
        method_arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{API_ID}/{self.config.stage}/{scope['method']}{path}"
        event = self.event(scope, path, headers, b"", None, None)
        verdict = await self.authorizer.verdict(identity, method_arn, {k: v for k, v in event.items() if k != "body"})
        return self._gateway_error(verdict) if isinstance(verdict, str) else verdict

    def _gateway_error(self, kind: str) -> GatewayResponse:
        status, error_type, message = GATEWAY_RESPONSES[kind]
        fallback = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        template = self.config.responses.get(kind) or self.config.responses.get(fallback) or DEFAULT_TEMPLATE
        headers = [(b"content-type", b"application/json"), (b"x-amzn-errortype", error_type.encode())]
        return GatewayResponse(status, headers, render_template(template, message), kind)

    def _response_parameters(self, response: GatewayResponse, scope) -> list[tuple[bytes, bytes]]:
        """The template's headers of a gateway response (its type's, else DEFAULT_4XX/5XX's)."""
        if response.kind is None:
            return []
        fallback = "DEFAULT_4XX" if response.status < 500 else "DEFAULT_5XX"
        mapping = self.config.response_headers.get(response.kind) or self.config.response_headers.get(fallback, {})
        request = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        headers = []
        for name, source in mapping.items():
            from_request = source.lower().removeprefix(_REQUEST_HEADER)
            if source.startswith("'") and source.endswith("'"):
                headers.append((name.lower().encode(), source[1:-1].encode()))
            elif from_request != source.lower() and from_request in request:
                headers.append((name.lower().encode(), request[from_request]))
        return headers

    def _edge_too_large(self) -> GatewayResponse:
        body = f"HTTP content length exceeded {limits.API_GATEWAY_PAYLOAD_LIMIT} bytes.".encode()
        return GatewayResponse(413, [(b"content-type", b"text/plain; charset=utf-8")], body)

    async def _read_body(self, receive) -> bytes:
        chunks, size = [], 0
        while True:
            message = await asyncio.wait_for(receive(), self.config.body_read_timeout)
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limits.API_GATEWAY_PAYLOAD_LIMIT:
                raise _TooLarge()
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    def _throttle(self, key_id: str | None) -> GatewayResponse | None:
        too_many = self._gateway_error("THROTTLED")
        with self.lock:
            if self.stage_bucket is not None and not self.stage_bucket.take():
                return too_many
            plan = self.config.usage_plan
            if key_id is None or plan is None:
                return None
            today = dt.datetime.now(dt.UTC).date()
            day, used = self.quota_used.get(key_id, (today, 0))
            used = used if day == today else 0
            if used >= plan.daily_quota:
                return self._gateway_error("QUOTA_EXCEEDED")
            bucket = self.key_buckets.setdefault(key_id, TokenBucket(plan.rate, plan.burst))
            if not bucket.take():
                return too_many
            self.quota_used[key_id] = (today, used + 1)
        return None

    def event(
        self, scope, path: str, headers: list[tuple[str, str]], body: bytes, api_key: str | None, key_id: str | None
    ) -> dict[str, Any]:
        """The Lambda proxy integration's event for this request (`path`: without the stage)."""
        stage = self.config.stage
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            single[name] = value
            multi.setdefault(name, []).append(value)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        query_single: dict[str, str] = {}
        query_multi: dict[str, list[str]] = {}
        for name, value in query:
            query_single[name] = value
            query_multi.setdefault(name, []).append(value)
        content_type = single.get("content-type", "")
        binary = bool(body) and _is_binary(content_type, self.config.binary_media_types)
        client = scope.get("client") or ("127.0.0.1", 0)
        now = dt.datetime.now(dt.UTC)
        resource = "/" if path == "/" else "/{proxy+}"
        return {
            "resource": resource,
            "path": unquote(path),
            "httpMethod": scope["method"],
            "headers": single or None,
            "multiValueHeaders": multi or None,
            "queryStringParameters": query_single or None,
            "multiValueQueryStringParameters": query_multi or None,
            "pathParameters": None if path == "/" else {"proxy": unquote(path[1:])},
            "stageVariables": None,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": API_ID,
                "resourceId": "local",
                "resourcePath": resource,
                "httpMethod": scope["method"],
                "path": f"/{stage}{unquote(path) if path != '/' else '/'}",
                "stage": stage,
                "requestId": str(uuid.uuid4()),
                "extendedRequestId": uuid.uuid4().hex[:16],
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "protocol": f"HTTP/{scope.get('http_version', '1.1')}",
                "domainName": self.config.domain_name,
                "domainPrefix": API_ID,
                "identity": {
                    "sourceIp": client[0],
                    "userAgent": single.get("user-agent"),
                    "apiKey": api_key if key_id else None,
                    "apiKeyId": key_id,
                    "accountId": None,
                    "caller": None,
                    "user": None,
                    "userArn": None,
                },
            },
            "body": (base64.b64encode(body).decode() if binary else body.decode("utf-8", "replace")) if body else None,
            "isBase64Encoded": binary,
        }

    def _invoke(self, payload: str, request_id: str) -> dict[str, Any] | None:
        """One invocation: the function gets its own copy of the event, as over the wire."""
        context = LambdaContext(request_id, time.monotonic() + self.config.timeout)
        try:
            result = self.handler(json.loads(payload), context)
            encoded = json.dumps(result)
        except Exception:  # noqa: BLE001 - a failed invocation is API Gateway's 502
            return None
        if len(encoded) > limits.LAMBDA_PAYLOAD_LIMIT:
            return None
        return json.loads(encoded)

    def _translate(self, result: dict[str, Any], request_id: str) -> GatewayResponse:
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            return self._gateway_error("LAMBDA_FAILURE")
        headers: list[tuple[bytes, bytes]] = []
        multi = result.get("multiValueHeaders") or {}
        for name, value in (result.get("headers") or {}).items():
            if name not in multi:
                headers.append((name.lower().encode(), str(value).encode("latin-1")))
        for name, values in multi.items():
            headers.extend((name.lower().encode(), str(v).encode("latin-1")) for v in values)
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers.append((b"x-amzn-requestid", request_id.encode()))
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
        return GatewayResponse(result["statusCode"], headers, body)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self.authorizer is not None:
            self.authorizer.close()

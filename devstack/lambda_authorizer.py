"""A REST API's Lambda authorizer (REQUEST type) as API Gateway runs it, for devstack.apigateway
("Use API Gateway Lambda authorizers", "Control access with IAM policies"):

- no value in the identity source: 401 `Unauthorized`, the authorizer is not called;
- the authorizer's answer is kept per identity value for the TTL (0: not kept), whichever route
  asked; raising "Unauthorized" is a 401 (not kept), failing or a malformed answer a 500;
- the kept policy is evaluated against each request's method ARN: an explicit Deny wins, else an
  Allow of execute-api:Invoke on a matching resource (`*` a wildcard) lets it through, else 403;
- an allowed request carries the `principalId` and the `context` (values as strings) in
  `requestContext.authorizer`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class _Context:
    def __init__(self, deadline: float):
        self.aws_request_id, self.deadline = str(uuid.uuid4()), deadline
        self.function_name = "algocloud-authorizer"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:algocloud-authorizer"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class LambdaAuthorizer:
    def __init__(self, handler: Handler, ttl: float, timeout: float = 10.0):
        self.handler, self.ttl, self.timeout = handler, ttl, timeout
        self.pool = ThreadPoolExecutor(4, thread_name_prefix="authorizer")
        self.lock = threading.Lock()
        self.kept: dict[str, tuple[float, dict[str, Any]]] = {}  # identity -> (expiry, answer)

    async def verdict(self, identity: str, method_arn: str, request: dict[str, Any]) -> str | dict[str, Any]:
        """requestContext.authorizer, or the gateway response type that refuses the request."""
        if not identity:
            return "UNAUTHORIZED"
        with self.lock:
            kept = self.kept.get(identity)
        if kept is None or kept[0] <= time.monotonic():
            payload = json.dumps({"type": "REQUEST", "methodArn": method_arn, **request})
            answer = await asyncio.get_running_loop().run_in_executor(self.pool, self._invoke, payload)
            if isinstance(answer, str):
                return answer
            kept = (time.monotonic() + self.ttl, answer)
            if self.ttl > 0:
                with self.lock:
                    self.kept[identity] = kept
        answer = kept[1]
        if not policy_allows(answer["policyDocument"], method_arn):
            return "ACCESS_DENIED"
        context = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (answer.get("context") or {}).items()}
        return {**context, "principalId": str(answer["principalId"])}

    def _invoke(self, payload: str) -> dict[str, Any] | str:
        try:
            answer = self.handler(json.loads(payload), _Context(time.monotonic() + self.timeout))
        except Exception as exc:  # noqa: BLE001 - the authorizer's failure is API Gateway's answer
            return "UNAUTHORIZED" if str(exc) == "Unauthorized" else "AUTHORIZER_FAILURE"
        if not (isinstance(answer, dict) and "principalId" in answer and "policyDocument" in answer):
            return "AUTHORIZER_FAILURE"
        return dict(json.loads(json.dumps(answer)))

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def policy_allows(policy: dict[str, Any], method_arn: str) -> bool:
    verdicts = set()
    for statement in policy.get("Statement", []):
        actions, resources = statement.get("Action", []), statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions) and any(
            fnmatch.fnmatchcase(method_arn, r) for r in resources
        ):
            verdicts.add(statement.get("Effect"))
    return "Allow" in verdicts and "Deny" not in verdicts

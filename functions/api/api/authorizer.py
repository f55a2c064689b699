"""The REST API's Lambda authorizer (api.authorizer.handler) where sign-in is on: a REQUEST
authorizer whose identity source is the `Authorization` header, so API Gateway caches its answer
per header value (the template's TTL) and calls it again only for a new one.

`Authorization: Bearer <JWT>` is a person's token from the deployment's OpenID Connect provider,
checked by api.signin; `Authorization: Bearer <API key>` is a server's key, found by its value's
digest. Either way the answer allows the whole stage (the cached answer serves every route) and
passes who it is in the context (`kind`, and `issuer`/`subject`/`email`/`expires_at` or `key_id`);
the API function then reads the membership or the key on every request, so a removal or a
revocation holds at once, cache or not. Anything else raises "Unauthorized": API Gateway's 401.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from algocloud.adapters.factory import Adapters, build_adapters
from algocloud.domain.accounts import key_digest
from algocloud.telemetry import instrumented

from .settings import get_settings
from .signin import TokenRejected, bearer_token, is_jwt, verifier_for

logger = logging.getLogger(__name__)


class Unauthorized(Exception):
    """API Gateway answers 401 {"message": "Unauthorized"} when the authorizer raises this message."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


@cache
def _adapters() -> Adapters:
    return build_adapters(get_settings())


def _refused(event: dict[str, Any], headers: dict[str, str], reason: str) -> Unauthorized:
    """A sign-in failure: a log line, and an entry of the audit log (tenant `unknown`: a refused
    token names none we trust), as the API records the refusals it sees itself."""
    from algocloud.domain.audit import AuditEntry
    from algocloud.usecases.audit import Auditing

    logger.warning("sign-in refused by the authorizer: %s", reason)
    identity = (event.get("requestContext") or {}).get("identity") or {}
    built = _adapters()
    auditing = Auditing.of_deployment(built.audit, built.stores.secrets, get_settings().audit_retention_days)
    if auditing is not None:
        entry = AuditEntry(
            tenant="unknown", actor="a rejected token", actor_kind="unknown",
            operation=f"{event.get('httpMethod', '')} {event.get('path', '')}"[:200], status=401,
            ip=identity.get("sourceIp"), user_agent=(headers.get("user-agent") or "")[:300] or None,
            request_id=(event.get("requestContext") or {}).get("requestId"),
        )  # fmt: skip
        try:
            auditing.record(entry)
        except Exception:  # the refusal stands; a lost entry is logged loudly
            logger.exception("audit entry not written", extra={"audit": entry.to_record()})
    return Unauthorized()


def authorize(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    token = bearer_token(headers.get("authorization"))
    if token is None:
        raise Unauthorized()
    caller: dict[str, str | int]
    if is_jwt(token):
        try:
            claims = verifier_for(get_settings()).verify(token)
        except TokenRejected as rejected:
            raise _refused(event, headers, rejected.reason) from None
        caller = {"kind": "user", "issuer": claims.issuer, "subject": claims.subject, "email": claims.email or "",
                  "expires_at": claims.expires_at}  # fmt: skip
    else:
        key = _adapters().accounts.key_by_digest(key_digest(token)) if len(token) <= 256 else None
        if key is None or not key.active:
            raise _refused(event, headers, "an unknown or revoked API key")
        caller = {"kind": "key", "key_id": key.key_id}
    return {
        "principalId": str(caller.get("subject") or caller.get("key_id")),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": stage_arn(event["methodArn"])}
            ],
        },
        "context": caller,
    }


handler = instrumented(authorize)


def stage_arn(method_arn: str) -> str:
    """arn:…:<api id>/<stage>/<METHOD>/<path> -> every method and path of the stage."""
    api, stage, *_route = method_arn.split("/")
    return f"{api}/{stage}/*"

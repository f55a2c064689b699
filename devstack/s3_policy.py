"""S3's checks of browser-based uploads and parts, which moto leaves out.

moto stores a presigned POST whatever its form says: a rewritten `key` or
`policy`, a forged signature, an expired policy or a file outside the
policy's `content-length-range` all succeed, and a part PUT to a completed
upload fails with an HTML 500. S3 refuses each (Amazon S3 API reference,
"Browser-based uploads using POST", "Creating a POST policy", "Calculating a
signature": SigV4 over the base64 policy). Here the same checks run before
moto sees the request, in the tests' in-process moto and in the local stack's
server alike, so a regression in what the API signs fails a test instead of
passing here and failing on AWS.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import os
import uuid
from typing import Any

IGNORED_FIELDS = {"policy", "x-amz-signature", "file"}  # and any x-ignore-*


class PolicyRefused(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self) -> tuple[int, dict[str, str], str]:
        extra = "".join(f"<{name}>{value}</{name}>" for name, value in self.extra.items())
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{self.message}</Message>{extra}"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
        )
        return self.status, {"Content-Type": "application/xml"}, body


def _denied(message: str) -> PolicyRefused:
    return PolicyRefused(403, "AccessDenied", f"Invalid according to Policy: {message}")


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def check_post(fields: dict[str, str], bucket: str, size: int, secret: str, now: dt.datetime | None = None) -> None:
    """Raise PolicyRefused unless S3 would accept this form POST of a `size`-byte file."""
    fields = {name.lower(): value for name, value in fields.items()}
    policy_text, signature = fields.get("policy"), fields.get("x-amz-signature")
    if not policy_text or not signature:
        raise PolicyRefused(403, "AccessDenied", "Access Denied")
    credential = fields.get("x-amz-credential", "").split("/")
    if len(credential) != 5:
        raise PolicyRefused(400, "InvalidArgument", "the x-amz-credential field is malformed")
    expected = hmac.new(_signing_key(secret, *credential[1:4]), policy_text.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise PolicyRefused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    try:
        policy = json.loads(base64.b64decode(policy_text, validate=True))
        expiration = dt.datetime.fromisoformat(policy["expiration"])
        conditions = policy["conditions"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise PolicyRefused(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
    if expiration <= (now or dt.datetime.now(dt.UTC)):
        raise _denied("Policy expired.")
    values = {**fields, "bucket": bucket}
    covered = set()
    for condition in conditions:
        if isinstance(condition, dict):
            ((name, value),) = condition.items()
            condition = ["eq", f"${name}", value]
        operator, name, value = condition
        if operator == "content-length-range":
            low, high = int(name), int(value)
            if size > high:
                raise PolicyRefused(
                    400,
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                    ProposedSize=size,
                    MaxSizeAllowed=high,
                )
            if size < low:
                raise PolicyRefused(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    ProposedSize=size,
                    MinSizeAllowed=low,
                )
            continue
        field = name.lstrip("$").lower()
        covered.add(field)
        actual = values.get(field, "")
        if (operator == "eq" and actual != value) or (operator == "starts-with" and not actual.startswith(value)):
            raise _denied(f'Policy Condition failed: ["{operator}", "{name}", "{value}"]')
    extra = sorted(name for name in fields if name not in covered | IGNORED_FIELDS and not name.startswith("x-ignore-"))
    if extra:
        raise _denied(f"Extra input fields: {', '.join(extra)}")


def enforce() -> None:
    """Patch moto's S3: form POSTs checked against their policy, parts only to open uploads."""
    from moto.s3.responses import S3Response

    if getattr(S3Response, "_algocloud_policies", False):
        return
    post, upload_part = S3Response._bucket_response_post, S3Response.upload_part

    def checked_post(self, request: Any, bucket_name: str):
        form = {name: value for name, value in self.form_data.items() if name != "file"}
        if "key" in form and "delete" not in self.querystring:
            body = self.raw_body
            size = len(body if isinstance(body, bytes) else str(body).encode())
            try:
                check_post(form, bucket_name, size, os.environ.get("AWS_SECRET_ACCESS_KEY", ""))
            except PolicyRefused as refused:
                return refused.response()
        return post(self, request, bucket_name)

    def open_upload_part(self):
        upload_id = self._get_param("uploadId")
        if upload_id not in self.backend.get_bucket(self.bucket_name).multiparts:
            return PolicyRefused(
                404,
                "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, "
                "or the upload may have been aborted or completed.",
                UploadId=upload_id,
            ).response()
        return upload_part(self)

    S3Response._bucket_response_post = checked_post  # type: ignore[method-assign]
    S3Response.upload_part = open_upload_part  # type: ignore[method-assign]
    S3Response._algocloud_policies = True  # type: ignore[attr-defined]

"""Webhooks: a tenant's HTTPS endpoints that receive its events, signed, retried, logged.

A delivery is one event to one endpoint; it keeps its id across attempts, so a receiver that
got it twice (its answer was lost) can tell. The signature covers a timestamp and the body
(`Webhook-Signature: v1=<hex HMAC-SHA256 of "{timestamp}.{body}">`), so a receiver refuses a
replayed or altered request. Deployed, only `https` to public addresses is delivered: a tenant
must not reach the deployment's own network through it (SSRF); the local stack also delivers
plain `http` to loopback, so a developer can receive them.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import orjson

from .. import limits
from .errors import InvalidRequest
from .events import EVENT_TYPES
from .ids import new_id
from .scenario import now_iso

# Seconds before each retry, times the deployment's base (WEBHOOK_RETRY_SECONDS, 10 s):
# 10 s, 1 min, 5 min, 15 min, 15 min (SQS delays a message at most 15 minutes).
RETRY_STEPS = (1, 6, 30, 90, 90)
MAX_RETRY_DELAY_SECONDS = 900
DELIVERIES_KEPT_SECONDS = 7 * 24 * 3600  # the delivery log's retention
SIGNATURE_HEADER = "Webhook-Signature"
TIMESTAMP_HEADER = "Webhook-Timestamp"
DELIVERY_HEADER = "Webhook-Id"
EVENT_HEADER = "Webhook-Event"


@dataclass(frozen=True)
class Webhook:
    url: str
    events: tuple[str, ...] = EVENT_TYPES
    id: str = field(default_factory=new_id)
    secret: str = field(default_factory=lambda: "whsec_" + secrets.token_urlsafe(32))
    created_at: str = field(default_factory=now_iso)
    enabled: bool = True
    disabled_reason: str | None = None
    failures: int = 0  # failed attempts in a row (a success resets it)
    created_by: str | None = None  # who registered it (domain.identity.Principal.actor)

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in self.events

    def rotated(self) -> Webhook:
        return replace(self, secret=Webhook(self.url).secret)

    def counted(self, attempt: DeliveryAttempt, disable_after: int) -> Webhook:
        """After one more attempt: a success resets the failures in a row; the `disable_after`-th
        failure in a row disables the webhook, with the reason."""
        if attempt.ok:
            return replace(self, failures=0)
        counted = replace(self, failures=self.failures + 1)
        return counted.disabled(attempt) if counted.failures >= disable_after and self.enabled else counted

    def disabled(self, last: DeliveryAttempt) -> Webhook:
        why = last.error or f"HTTP {last.status_code}"
        reason = f"disabled after {self.failures} failed attempts in a row; the last: {why}"
        return replace(self, enabled=False, disabled_reason=reason)


@dataclass(frozen=True)
class DeliveryAttempt:
    delivery_id: str
    event_id: str
    event_type: str
    attempt: int
    at: str
    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0
    next_attempt_in: float | None = None  # seconds, when another attempt follows


def checked_events(events: list[str] | None) -> tuple[str, ...]:
    if not events:
        return EVENT_TYPES
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise InvalidRequest(f"unknown event type {unknown[0]!r}: choose from {', '.join(EVENT_TYPES)}")
    return tuple(dict.fromkeys(events))


def checked_url(url: str, allow_loopback_http: bool) -> str:
    """A URL a webhook may be registered with (InvalidRequest, with the reason, otherwise); the
    addresses a name resolves to are checked again at each delivery (`address_allowed`)."""
    if len(url) > limits.MAX_WEBHOOK_URL_CHARS:
        raise InvalidRequest(f"the URL is longer than {limits.MAX_WEBHOOK_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidRequest("the URL is not a valid http(s) URL") from None
    host = parts.hostname or ""
    if not host or parts.username is not None or parts.password is not None:
        raise InvalidRequest("the URL needs a host, and no user name or password in it")
    if port == 0:
        raise InvalidRequest("the URL's port must be 1 to 65535")
    if parts.scheme in ("http", "https") and allow_loopback_http and is_loopback_host(host):
        return url
    if parts.scheme == "http":
        raise InvalidRequest(
            "webhook URLs must use https (the local stack also takes http://127.0.0.1 or http://localhost)"
        )
    if parts.scheme != "https":
        raise InvalidRequest("the URL must be an https URL")
    literal = _ip(host)
    if literal is None and "[" in parts.netloc:  # an IP literal that is none ([v1.fe]: IPvFuture)
        raise InvalidRequest("the URL's host in [brackets] must be an IPv6 address")
    if literal is None:
        _check_name(host)
    elif not address_allowed(literal, allow_loopback_http):
        raise InvalidRequest("webhooks are delivered to public addresses only")
    return url


# Names that never lead to a public host (RFC 6761, RFC 6762, and the usual private suffixes).
_PRIVATE_SUFFIXES = ("localhost", "local", "localdomain", "internal", "intranet", "lan", "home.arpa", "invalid", "test")


def _check_name(host: str) -> None:
    """A DNS name the sender can look up: ASCII after IDNA, labels of 1 to 63 letters, digits
    and hyphens, at most 253 in all; not a numeric alias of an address (`127.1`, `2852039166`,
    `0x7f000001`: resolvers read them as IPv4) and not a name that is private by definition."""
    try:
        ascii_host = host.encode("idna").decode("ascii").lower().rstrip(".")
    except UnicodeError:
        raise InvalidRequest(
            "the URL's host is not a valid DNS name (a label is empty or over 63 characters)"
        ) from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_valid_label(label) for label in labels):
        raise InvalidRequest("the URL's host is not a valid DNS name (labels of 1 to 63 letters, digits and hyphens)")
    if all(label.isdigit() or label.startswith("0x") for label in labels) or labels[-1].isdigit():
        raise InvalidRequest("the URL's host is a numeric address: write it as a public IPv4 (a.b.c.d) or IPv6 address")
    if len(labels) == 1 or any(ascii_host == s or ascii_host.endswith("." + s) for s in _PRIVATE_SUFFIXES):
        raise InvalidRequest(f"the URL's host '{ascii_host}' is not a public name: webhooks go to public hosts only")


def _valid_label(label: str) -> bool:
    return 0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() and label[0] != "-"


def is_loopback_host(host: str) -> bool:
    ip = _ip(host)
    return host == "localhost" or (ip is not None and ip.is_loopback)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


# IPv6 forms that carry an IPv4 address in their last 32 bits: IPv4-compatible (::a.b.c.d,
# deprecated but still routed by some stacks) and NAT64 (RFC 6052, RFC 8215).
_EMBEDDING_IPV4 = (
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address
    if any(ip in network for network in _EMBEDDING_IPV4) and int(ip) > 1:  # not :: or ::1
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> bool:
    """Public addresses only (no private, loopback, link-local such as the instance metadata
    service, multicast or reserved ones, also when an IPv6 address carries one); loopback too
    when the local stack allows it."""
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
        ip = inner
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast


def retry_delay(attempt: int, base_seconds: float) -> float | None:
    """Seconds before attempt `attempt + 1`, or None when `attempt` was the last."""
    if attempt > len(RETRY_STEPS):
        return None
    return min(MAX_RETRY_DELAY_SECONDS, RETRY_STEPS[attempt - 1] * base_seconds)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def verify(secret: str, timestamp: str, body: bytes, header: str, now: float, tolerance: float = 300) -> bool:
    """What a receiver checks: the signature, and a timestamp within `tolerance` seconds."""
    try:
        fresh = abs(now - int(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and any(hmac.compare_digest(signature(secret, timestamp, body), v) for v in header.split(","))


@dataclass(frozen=True)
class DeliveryMessage:
    """One delivery's next attempt, as it waits on the webhook queue."""

    tenant: str
    hook_id: str
    delivery_id: str
    event: dict[str, Any]
    attempt: int = 1

    def to_body(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_body(cls, body: str | bytes) -> DeliveryMessage:
        return cls(**orjson.loads(body))

"""Sending a webhook: one POST, to an address checked just before connecting.

The host is resolved here and every address it has must be allowed (domain.webhooks:
public only when deployed); the connection then goes to the checked address, with the host
name kept for TLS (SNI and certificate) and the Host header, so a name that resolves
differently a moment later (DNS rebinding) cannot lead it elsewhere. No redirects are followed.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import urllib3

from .. import limits
from ..domain.webhooks import address_allowed

MAX_ANSWER_BYTES = 64 * 1024  # what is read of an endpoint's answer (only the status is kept)


class HttpWebhookSender:
    def __init__(self, allow_loopback: bool, timeout: float | None = None):
        timeout = limits.WEBHOOK_DELIVERY_TIMEOUT_SECONDS if timeout is None else timeout
        self.allow_loopback = allow_loopback
        self.timeout = urllib3.Timeout(connect=min(5.0, timeout), read=timeout)

    def post(self, url: str, headers: dict[str, str], body: bytes) -> tuple[int | None, str | None]:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode
            return None, f"the host name did not resolve: {type(exc).__name__}"
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not addresses or not all(address_allowed(ip, self.allow_loopback) for ip in addresses):
            # which private address it was stays in our logs, never in the tenant's delivery log
            return None, f"not delivered: {host} resolves to an address that is not public"
        address = str(addresses[0])
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        pool: urllib3.HTTPConnectionPool
        if parts.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address, port, server_hostname=host, assert_hostname=host, timeout=self.timeout, retries=False
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=self.timeout, retries=False)
        try:
            with pool:
                response = pool.urlopen(
                    "POST",
                    path,
                    body=body,
                    headers={**headers, "Host": parts.netloc.rsplit("@", 1)[-1]},
                    redirect=False,
                    preload_content=False,
                )
                response.read(MAX_ANSWER_BYTES)
                response.release_conn()
                return response.status, None
        except urllib3.exceptions.HTTPError as exc:
            return None, f"the request failed: {type(exc).__name__}: {exc}"[: limits.WEBHOOK_ERROR_CHARS]

"""Webhook URLs (the SSRF guard), signatures, the retry schedule, and the WebSocket token."""

import ipaddress
import time

import pytest

from algocloud.domain.errors import InvalidRequest
from algocloud.domain.events import issue_token, token_tenant
from algocloud.domain.webhooks import (
    DeliveryAttempt,
    Webhook,
    address_allowed,
    checked_events,
    checked_url,
    retry_delay,
    signature,
    verify,
)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # plain http, deployed
        "https://10.0.0.5/hook",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local: the instance metadata service
        "https://127.0.0.1/hook",  # loopback
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private
        "ftp://example.com/x",
        "https://user:pass@example.com/",
        "https:///nohost",
        "https://example.com:99999/",
        "https://example.com/" + "a" * 2000,
        # names the sender cannot look up (they raised UnicodeError at every delivery)
        "https://" + "a" * 64 + ".example.com/",
        "https://a..b/",
        "https://-a.example.com/",
        "https://example.com:0/",  # port 0 (it was delivered to port 80)
        # numeric aliases of private addresses: resolvers read them as IPv4
        "https://2852039166/",
        "https://0xa9fea9fe/",
        "https://127.1/",
        "https://10.1/",
        "https://1.2.3.4.5/",
        # names private by definition, and single labels (a search domain's hosts)
        "https://localhost/hook",
        "https://api.localhost/hook",
        "https://printer.local/",
        "https://metadata.google.internal/",
        "https://intranet/",
        # IPv6 forms that carry a private IPv4 address
        "https://[::a9fe:a9fe]/",  # IPv4-compatible
        "https://[64:ff9b::a9fe:a9fe]/",  # NAT64
        "https://[64:ff9b:1::a00:1]/",  # local-use NAT64
        "https://[2002:a9fe:a9fe::1]/",  # 6to4
        "https://[::]/",
        "https://[v1.fe]/",  # IPvFuture: not an address the sender can reach
    ],
)
def test_deployed_webhooks_take_only_public_https_urls(url):
    with pytest.raises(InvalidRequest):
        checked_url(url, allow_loopback_http=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hook",
        "https://hooks.example.co.uk:8443/a?b=c",
        "https://bücher.example/hook",  # IDNA
        "https://93.184.216.34/hook",
        "https://[2606:4700::1]/hook",
        "https://[64:ff9b::5db8:d822]/",  # NAT64 of a public address
        "https://a-b.example.com./",  # a trailing dot
    ],
)
def test_deployed_webhooks_take_public_names_and_addresses(url):
    assert checked_url(url, allow_loopback_http=False) == url


def test_the_local_stack_also_takes_plain_http_to_loopback_and_nothing_else():
    assert checked_url("http://127.0.0.1:9000/hook", allow_loopback_http=True)
    assert checked_url("http://localhost/hook", allow_loopback_http=True)
    assert checked_url("https://example.com/hook", allow_loopback_http=True)
    for refused in ("http://10.0.0.1/hook", "http://example.com/hook", "https://169.254.169.254/"):
        with pytest.raises(InvalidRequest):
            checked_url(refused, allow_loopback_http=True)


def test_delivery_addresses_are_public_only():
    allowed = {ip: address_allowed(ipaddress.ip_address(ip), False) for ip in ("93.184.216.34", "2606:4700::1")}
    assert all(allowed.values())
    for ip in ("10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254", "::1", "fe80::1", "224.0.0.1"):
        assert not address_allowed(ipaddress.ip_address(ip), False), ip
    assert address_allowed(ipaddress.ip_address("127.0.0.1"), True)
    for ip in ("::a9fe:a9fe", "64:ff9b::a00:1", "64:ff9b:1::7f00:1", "2002:c0a8:101::1", "::ffff:10.0.0.1"):
        assert not address_allowed(ipaddress.ip_address(ip), False), ip


def test_event_types_are_checked_and_default_to_all():
    assert "scenario.complete" in checked_events(None)
    assert checked_events(["scenario.failed", "scenario.failed"]) == ("scenario.failed",)
    with pytest.raises(InvalidRequest, match="unknown event type"):
        checked_events(["scenario.exploded"])


def test_a_signature_covers_the_timestamp_and_the_body_and_expires():
    now = time.time()
    stamp = str(int(now))
    header = signature("whsec_x", stamp, b'{"a": 1}')
    assert verify("whsec_x", stamp, b'{"a": 1}', header, now)
    assert not verify("whsec_x", stamp, b'{"a": 2}', header, now)
    assert not verify("whsec_y", stamp, b'{"a": 1}', header, now)
    assert not verify("whsec_x", str(int(now) - 1), b'{"a": 1}', header, now)
    assert not verify("whsec_x", stamp, b'{"a": 1}', header, now + 301)  # a replay after the window
    assert verify("whsec_x", stamp, b'{"a": 1}', f"v1=00,{header}", now)  # one of several (rotation)


def test_retries_back_off_within_sqs_delays_and_end():
    delays = [retry_delay(attempt, 10.0) for attempt in range(1, 8)]
    assert delays == [10.0, 60.0, 300.0, 900.0, 900.0, None, None]


def test_a_webhook_is_disabled_after_failures_in_a_row_and_a_success_resets_them():
    hook = Webhook("https://example.com/hook")
    failed = DeliveryAttempt("d", "e", "scenario.complete", 1, "now", ok=False, status_code=500)
    for _ in range(2):
        hook = hook.counted(failed, disable_after=3)
    assert hook.enabled and hook.failures == 2
    assert hook.counted(DeliveryAttempt("d", "e", "t", 2, "now", ok=True, status_code=200), 3).failures == 0
    hook = hook.counted(failed, disable_after=3)
    assert (
        not hook.enabled and "3 failed attempts in a row" in hook.disabled_reason and "HTTP 500" in hook.disabled_reason
    )


def test_a_token_names_its_tenant_until_it_expires_and_only_with_its_key():
    key = b"k" * 32
    token, expires = issue_token(key, "acme", now=1000.0, seconds=300)
    assert expires == 1300
    assert token_tenant(key, token, now=1299.0) == "acme"
    assert token_tenant(key, token, now=1301.0) is None
    assert token_tenant(b"j" * 32, token, now=1000.0) is None
    assert token_tenant(key, token.replace(".", ".x"), now=1000.0) is None
    assert token_tenant(key, "garbage", now=1000.0) is None


def test_the_sender_refuses_private_addresses_without_naming_them_and_never_raises():
    from algocloud.adapters.webhook_http import HttpWebhookSender

    sender = HttpWebhookSender(allow_loopback=False, timeout=1)
    status, error = sender.post("https://localhost:1/hook", {}, b"{}")
    assert status is None and "not public" in error
    assert "127.0.0.1" not in error and "::1" not in error  # which private address stays in our logs
    for unreadable in ("https://" + "a" * 64 + ".example.com/", "https://a..b/"):
        status, error = sender.post(unreadable, {}, b"{}")  # stored before registration checked it
        assert status is None and error

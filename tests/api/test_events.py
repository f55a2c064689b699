"""The events token and the webhook endpoints, as a client (and a hostile one) sees them."""

import pytest

from algocloud.domain.events import token_tenant


def test_without_an_events_api_the_token_is_404_and_clients_poll(client, base):
    answer = client.post(f"{base}/events/token")
    assert answer.status_code == 404 and "poll" in answer.json()["detail"]


def test_the_token_opens_the_websocket_for_the_callers_tenant_only(make_client, base):
    client = make_client(events_url="wss://events.example.com/Prod")
    answer = client.post(f"{base}/events/token")
    assert answer.status_code == 200
    issued = answer.json()
    assert issued["url"] == "wss://events.example.com/Prod" and issued["idle_seconds"] == 600
    assert issued["connection_seconds"] == 7200
    from api.deps import adapters

    secret = adapters(client.api.state.settings).stores.secrets.secret("events-token")
    assert token_tenant(secret, issued["token"]) == "default"


def test_webhooks_are_registered_listed_rotated_logged_and_removed(make_client, base):
    client = make_client(webhook_allow_loopback=True)
    added = client.post(f"{base}/webhooks", json={"url": "https://example.com/hook", "events": ["scenario.complete"]})
    assert added.status_code == 201, added.text
    hook = added.json()
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["scenario.complete"] and hook["enabled"]
    listed = client.get(f"{base}/webhooks").json()["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    rotated = client.post(f"{base}/webhooks/{hook['id']}/rotate").json()
    assert rotated["secret"] != hook["secret"]
    assert client.get(f"{base}/webhooks/{hook['id']}/deliveries").json() == {"deliveries": []}
    assert client.post(f"{base}/webhooks/{hook['id']}/enable").status_code == 409
    assert client.post(f"{base}/webhooks", json={"url": "http://127.0.0.1:9/local"}).status_code == 201
    assert client.delete(f"{base}/webhooks/{hook['id']}").status_code == 204
    for method, path in (
        ("DELETE", hook["id"]),
        ("GET", hook["id"]),
        ("POST", f"{hook['id']}/rotate"),
        ("GET", f"{hook['id']}/deliveries"),
        ("GET", "x" * 65),
    ):
        answer = client.request(method, f"{base}/webhooks/{path}")
        assert answer.status_code in (404, 422) and "detail" in answer.json(), (method, path)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"url": "http://example.com/hook"}, 400),
        ({"url": "https://169.254.169.254/latest/meta-data/"}, 400),
        ({"url": "https://10.0.0.1/"}, 400),
        ({"url": "http://127.0.0.1:9/hook"}, 400),  # loopback only where the deployment allows it
        ({"url": "https://example.com/hook", "events": ["everything"]}, 400),
        ({"url": "https://example.com/hook", "events": []}, 422),
        ({"url": 42}, 422),
        ({"events": ["scenario.complete"]}, 422),
        ({"url": "https://example.com/" + "a" * 3000}, 400),
    ],
)
def test_refused_webhooks_are_a_4xx_with_the_reason_and_change_nothing(client, base, body, status):
    answer = client.post(f"{base}/webhooks", json=body)
    assert answer.status_code == status and answer.json()["detail"], answer.text
    assert client.get(f"{base}/webhooks").json() == {"webhooks": []}

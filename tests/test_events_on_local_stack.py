"""Pushed events end to end, on both local stacks (a subprocess each; on aws with API keys
required, two tenants): the WebSocket API's emulation, webhooks delivered to a receiver on
loopback, the client and the CLI following them, and the reference frontend driven in headless
Chromium from another origin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from algocloud.domain.events import issue_token
from algocloud.domain.webhooks import verify
from algocloud.example.generate import DATA_DIR
from algocloud_client import Client
from tests.test_local_stack import Stack, free_port

ROOT = Path(__file__).resolve().parents[1]
KEY_A, KEY_B = "events-key-a-0123456789", "events-key-b-0123456789"


@pytest.fixture(scope="module", params=["embedded", "aws"])
def stack(request, tmp_path_factory, frontend):
    mode = request.param
    state = tmp_path_factory.mktemp(f"events-{mode}") / "state"
    extra = ["--cors-origin", frontend] + (["--api-key", KEY_A, "--api-key", KEY_B] if mode == "aws" else [])
    env = {"WEBHOOK_RETRY_SECONDS": "0.2", "WEBHOOK_DISABLE_AFTER": "4"}
    started = Stack(state, free_port(), free_port(), mode=mode, extra=extra, env=env).start_with(
        {"x-api-key": KEY_A} if mode == "aws" else {}
    )
    started.mode, started.state_dir, started.key = mode, state, KEY_A if mode == "aws" else None
    yield started
    code, _out, err = started.stop()
    assert code == 0 and "Traceback" not in err, err


def client(stack, key: str | None = None) -> Client:
    return Client(stack.base, api_key=key or stack.key)


def secret_of(stack) -> bytes:
    """The deployment's token key, as the stack stored it."""
    if stack.mode == "embedded":
        from algocloud.adapters.embedded.sessions import SqliteSecrets
        from algocloud.adapters.embedded.store_db import open_store_database

        return SqliteSecrets(open_store_database(stack.state_dir / "store.db")).secret("events-token")
    import boto3

    from algocloud.adapters.aws.sessions import DynamoSecrets

    port = stack.args[stack.args.index("--aws-port") + 1]
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return DynamoSecrets(dynamodb, "algocloud-local").secret("events-token")


def socket_of(stack, key: str | None = None, token: str | None = None):
    answer = httpx.post(f"{stack.base}/events/token", headers={"x-api-key": key or stack.key} if stack.key else {})
    assert answer.status_code == 200, answer.text
    issued = answer.json()
    assert issued["expires_at"] > time.time() and issued["url"].startswith("ws://")
    return connect(f"{issued['url']}?token={issued['token'] if token is None else token}", open_timeout=10)


def subscribe(socket, **ids) -> dict:
    socket.send(json.dumps({"action": "subscribe", **ids}))
    return json.loads(socket.recv(timeout=10))


def test_a_subscriber_sees_the_run_live_and_another_tenant_sees_nothing(stack):
    api = client(stack)
    sid = api.sessions().default
    scenario = api.create_scenario(sid, "pushed", "Master data", "Slow", {"duration": 2})
    with socket_of(stack) as mine:
        answer = subscribe(mine, session_id=sid, scenario_id=scenario.id)
        assert answer == {**answer, "type": "subscribed", "status": "created", "progress": 0.0}
        if stack.mode == "aws":  # the second API key's tenant
            other = socket_of(stack, key=KEY_B)
        else:  # one tenant only without keys: a token of another tenant, made with the deployment's key
            other = socket_of(stack, token=issue_token(secret_of(stack), "intruder")[0])
        with other:
            refused = subscribe(other, session_id=sid)
            assert refused["type"] == "error" and "no session" in refused["detail"]
            assert subscribe(other, session_id=sid, scenario_id=scenario.id)["type"] == "error"
            api.run(sid, scenario.id)
            events = []
            while not events or events[-1]["type"] not in ("scenario.complete", "scenario.failed"):
                events.append(json.loads(mine.recv(timeout=30)))
            with pytest.raises(TimeoutError):
                other.recv(timeout=0.5)  # nothing of the first tenant's run reached the second
    statuses = [(e["type"], e["status"]) for e in events]
    assert ("scenario.status", "processing") in statuses
    assert [e["progress"] for e in events if e["type"] == "scenario.progress"]
    assert events[-1]["type"] == "scenario.complete" and all(e["scenario_id"] == scenario.id for e in events)
    stored = httpx.get(
        f"{stack.base}/sessions/{sid}/scenarios/{scenario.id}", headers={"x-api-key": stack.key} if stack.key else {}
    ).json()
    assert events[-1]["kpis"] == stored["kpis"] and stored["kpis"]["Travel distance"]["value"] is not None


def test_expired_tampered_and_foreign_tokens_are_refused_at_connect(stack):
    secret = secret_of(stack)
    tenant = "local" if stack.mode == "aws" else "default"
    expired = issue_token(secret, tenant, now=time.time() - 3600)[0]
    foreign = issue_token(b"another deployment's key 0123456", tenant)[0]
    valid = issue_token(secret, tenant)[0]
    tampered = valid[:-2] + ("AA" if not valid.endswith("AA") else "BB")
    for token in (expired, foreign, tampered, "", "x" * 2000):
        with pytest.raises(InvalidStatus) as refused:
            socket_of(stack, token=token)
        assert refused.value.response.status_code == 403
    with socket_of(stack, token=valid) as accepted:  # the same tenant's own, fresh token connects
        accepted.send('{"action": "ping"}')
        assert json.loads(accepted.recv(timeout=10)) == {"type": "pong"}
        accepted.send("x" * (128 * 1024 + 1))  # over API Gateway's 128 KB frame limit: closed
        with pytest.raises(Exception, match="1009|message too big"):
            accepted.recv(timeout=10)


class _Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint that answers 500 to its first two requests, then 200."""

    received: ClassVar[list[tuple[dict[str, str], bytes, int]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = 500 if len(self.received) < 2 else 200
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_webhooks_are_signed_retried_and_delivered_once_per_delivery_id(stack):
    _Receiver.received = []
    receiver = ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    api = client(stack)
    hook = api.add_webhook(f"http://127.0.0.1:{receiver.server_port}/hook")
    try:
        sid = api.sessions().default
        scenario = api.create_scenario(sid, "hooked", "Master data", "Instant", {})
        api.run(sid, scenario.id)
        api.wait(sid, scenario.id)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until the run's end and the two retries are delivered
            answered = {h["webhook-id"]: json.loads(b)["type"] for h, b, status in _Receiver.received if status == 200}
            tried = {h["webhook-id"] for h, _b, _status in _Receiver.received}
            if "scenario.complete" in answered.values() and tried <= set(answered):
                break
            time.sleep(0.1)
        log = api.webhook_deliveries(hook.id)
    finally:
        api.remove_webhook(hook.id)
        receiver.shutdown()
    received = _Receiver.received
    for headers, body, _status in received:
        assert verify(hook.secret, headers["webhook-timestamp"], body, headers["webhook-signature"], time.time())
        assert not verify(
            hook.secret, headers["webhook-timestamp"], body + b" ", headers["webhook-signature"], time.time()
        )
    by_delivery: dict[str, list[int]] = {}
    for headers, _body, status in received:
        by_delivery.setdefault(headers["webhook-id"], []).append(status)
    assert all(statuses.count(200) == 1 and statuses[-1] == 200 for statuses in by_delivery.values()), by_delivery
    retried = [statuses for statuses in by_delivery.values() if 500 in statuses]
    assert sum(statuses.count(500) for statuses in retried) == 2  # the two refusals were tried again
    events = [json.loads(body) for _h, body, status in received if status == 200]
    assert len({e["id"] for e in events}) == len(events)  # each event delivered once
    types = [(e["type"], e.get("status")) for e in events if e.get("scenario_id") == scenario.id]
    assert {("scenario.status", "queued"), ("scenario.status", "processing"), ("scenario.complete", "complete")} <= set(
        types
    )
    failed = [a for a in log if not a.ok]
    assert len(failed) == 2 and all(a.status_code == 500 and a.next_attempt_in for a in failed)
    assert api.webhooks() == []


def test_the_client_waits_on_events_and_the_cli_watches_and_registers_webhooks(stack):
    polled: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda request: polled.append(request.url.path)]})
    api = Client(stack.base, api_key=stack.key, http=http)
    sid = api.sessions().default
    first = api.create_scenario(sid, "waited", "Master data", "Slow", {"duration": 1})
    api.run(sid, first.id)
    seen = []
    done = api.wait(sid, first.id, on_status=lambda s: seen.append(s.status))
    assert done.status == "complete" and seen[-1] == "complete"
    assert not [path for path in polled if path.endswith("/status")]  # followed, not polled

    env = {**os.environ, "ALGOCLOUD_URL": stack.base, "COLUMNS": "200"}
    if stack.key:
        env["ALGOCLOUD_API_KEY"] = stack.key

    def algocloud(*args: str) -> str:
        ran = subprocess.run(
            [sys.executable, "-m", "algocloud_client", *args],
            check=False,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr
        return ran.stdout

    second = api.create_scenario(sid, "watched", "Master data", "Slow", {"duration": 1})
    watch = subprocess.Popen(
        [sys.executable, "-m", "algocloud_client", "watch", sid, "--scenario", second.id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    import select

    # run once it is subscribed: it says so on stderr (its start took over 1.5 s on a loaded machine)
    ready, _, _ = select.select([watch.stderr], [], [], 60)
    first = watch.stderr.readline() if ready else ""
    assert "watching session" in first, first
    api.run(sid, second.id)
    out, err = watch.communicate(timeout=60)
    assert watch.returncode == 0, err
    assert "scenario.progress" in out and "scenario.complete" in out and "Travel distance=" in out

    added = json.loads(
        algocloud("--json", "webhooks", "add", "http://127.0.0.1:9/hook", "--events", "scenario.complete")
    )
    assert added["events"] == ["scenario.complete"] and added["secret"].startswith("whsec_")
    assert [h["id"] for h in json.loads(algocloud("--json", "webhooks", "list"))] == [added["id"]]
    algocloud("webhooks", "remove", added["id"])
    assert json.loads(algocloud("--json", "webhooks", "list")) == []


def test_the_reference_frontend_runs_a_scenario_in_headless_chromium(stack, frontend, browser):
    """On the open stack; a browser holds no API key, so where keys are required it signs in
    instead (tests/test_signin_on_local_stack.py)."""
    from selenium.webdriver.common.by import By

    if stack.key:
        pytest.skip("a browser holds no API key: the signed-in frontend is tested with sign-in on")
    browser.get(f"{frontend}/index.html")
    field = browser.find_element(By.ID, "api-url")
    field.clear()
    field.send_keys(stack.base)
    browser.find_element(By.ID, "connect").click()
    upload_and_run_in_the_frontend(browser, stack.mode)


def upload_and_run_in_the_frontend(browser, mode: str) -> None:
    """Once connected: files to storage and the ETL, a scenario followed live to its end, its KPIs
    and the comparison chart."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 90)
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#algorithm option") or _failed(b))
    files = [str(DATA_DIR / "sku_data.csv"), str(DATA_DIR / "warehouse_layout.csv")]
    browser.find_element(By.ID, "files").send_keys("\n".join(files))
    name = browser.find_element(By.ID, "dataset-name")
    name.clear()
    name.send_keys("from the browser")
    browser.find_element(By.ID, "upload").click()  # presigned form POSTs to storage, then the ETL
    wait.until(lambda b: "ETL into" in b.find_element(By.ID, "log").text or _failed(b))
    assert Select(browser.find_element(By.ID, "dataset")).first_selected_option.text == "from the browser"
    Select(browser.find_element(By.ID, "algorithm")).select_by_visible_text("Slow")
    params = browser.find_element(By.ID, "params")
    params.clear()
    params.send_keys('{"duration": 2}')
    browser.find_element(By.ID, "run").click()
    wait.until(lambda b: b.find_element(By.ID, "status").get_attribute("data-done") or _failed(b))
    assert browser.find_element(By.ID, "status").get_attribute("data-done") == "complete"
    assert float(browser.find_element(By.ID, "bar").get_attribute("value")) == 1.0
    log = browser.find_element(By.ID, "log").text
    assert "event scenario.progress" in log and "event scenario.complete" in log
    rows = browser.find_elements(By.CSS_SELECTOR, "#kpis tbody tr")
    assert len(rows) >= 3 and all(r.find_elements(By.TAG_NAME, "td")[1].text != "-" for r in rows[:2])
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "#chart svg rect")))
    shots = ROOT / ".artifacts"
    shots.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(shots / f"reference-frontend-{mode}.png"))


def _failed(browser) -> bool:
    from selenium.webdriver.common.by import By

    errors = browser.find_elements(By.CSS_SELECTOR, "#log .error")
    if errors:
        pytest.fail(f"the frontend reported: {[e.text for e in errors]}")
    return False

"""`make local ARGS="--auth"` (and `--aws --auth`) end to end, as a new user meets it: every
operation refuses callers without credentials (401); the operator adds people with
`algocloud-admin users add`; a script gets a token with `algocloud-admin token`; a person signs in
with `algocloud login` through the local provider's real login page (PKCE, loopback), and the
`algocloud` command then acts with their role; `algocloud logout` forgets them."""

import contextlib
import json
import os
import re
import stat
import subprocess
import sys
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.test_events_on_local_stack import _failed, upload_and_run_in_the_frontend
from tests.test_local_stack import Stack, free_port


@pytest.fixture(scope="module", params=["embedded", "aws"])
def stack(request, tmp_path_factory, frontend):
    mode = request.param
    state = tmp_path_factory.mktemp(f"signin-{mode}") / "state"
    extra = ["--auth", "--issuer-port", str(free_port()), "--cors-origin", frontend]
    made = Stack(state, free_port(), free_port(), mode=mode, extra=extra, env={"ALGOCLOUD_SWEEP_SECONDS": "1"})
    made.mode = mode
    made.ready_url = made.base.rsplit("/api/v1", 1)[0] + "/openapi.json"  # /health needs a member now
    made.start()
    operator = {"ALGOCLOUD_LOCAL_ISSUER": str(state.resolve() / "issuer")}
    if mode == "embedded":
        operator |= {"ALGOCLOUD_BACKEND": "embedded", "ALGOCLOUD_STATE_DIR": str(state.resolve())}
    else:
        aws_port = made.args[made.args.index("--aws-port") + 1]
        operator |= {"TABLE_NAME": "algocloud-local", "USAGE_PLAN_ID": "localplan1",
                     "ALGOCLOUD_AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
                     "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}  # fmt: skip
    made.operator_env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **operator}
    yield made
    code, _out, err = made.stop()
    assert code == 0 and "Traceback" not in err, err


def admin(stack, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "algocloud.admin", *args], env=stack.operator_env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def test_without_credentials_every_operation_is_401_and_people_act_with_their_role(stack):
    operations = httpx.get(f"{stack.base.rsplit('/api/v1', 1)[0]}/openapi.json").json()["paths"]
    assert len(operations) > 40
    root = stack.base.rsplit("/api/v1", 1)[0]
    for path, methods in operations.items():
        for method in methods:
            if path in {"/openapi.json", "/docs", "/redoc"}:
                continue
            url = root + re.sub(r"\{[^}]+\}", "x", path)
            assert httpx.request(method.upper(), url, json={}).status_code == 401, (method, path)
    admin(stack, "users", "add", "ed@local.example", "--tenant", "local", "--role", "editor")
    admin(stack, "users", "add", "vi@local.example", "--tenant", "local", "--role", "viewer")
    editor = {"Authorization": f"Bearer {admin(stack, 'token', 'ed@local.example')}"}
    viewer = {"Authorization": f"Bearer {admin(stack, 'token', 'vi@local.example')}"}
    assert httpx.post(f"{stack.base}/sessions", json={"display_name": "ed's"}, headers=editor).status_code == 201
    refused = httpx.post(f"{stack.base}/sessions", json={"display_name": "vi's"}, headers=viewer)
    assert refused.status_code == 403 and "editor" in refused.json()["detail"]
    names = [s["display_name"] for s in httpx.get(f"{stack.base}/sessions", headers=viewer).json()["sessions"]]
    assert "ed's" in names
    admin(stack, "users", "remove", "vi@local.example", "--tenant", "local")
    assert httpx.get(f"{stack.base}/sessions", headers=viewer).status_code == 401


def test_algocloud_login_through_the_providers_page_then_logout(stack, tmp_path):
    admin(stack, "users", "add", "lo@local.example", "--tenant", "local", "--role", "runner")
    env = {**os.environ, "ALGOCLOUD_URL": stack.base, "XDG_CONFIG_HOME": str(tmp_path), "COLUMNS": "200"}
    env.pop("ALGOCLOUD_API_KEY", None)
    port = free_port()
    login = subprocess.Popen([sys.executable, "-m", "algocloud_client", "login", "--no-browser", "--port", str(port)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    line = ""
    while "browser: " not in line:
        line = login.stderr.readline()
        assert line, login.communicate()
    url = line.split("browser: ", 1)[1].strip()
    assert urlsplit(url).path.endswith("/authorize") and "code_challenge=" in url
    with httpx.Client() as person:  # the person, in the browser: the login page, their email, back home
        page = person.get(url)
        assert page.status_code == 200 and 'name="email"' in page.text
        signed = person.post(url, data={"email": "lo@local.example"})  # the form posts back to its address
        assert signed.status_code == 302
        person.get(signed.headers["location"])  # the loopback: the CLI takes the code
    out, err = login.communicate(timeout=60)
    assert login.returncode == 0, err
    assert "signed in as lo@local.example: runner" in out
    kept = tmp_path / "algocloud" / "credentials.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    sessions = subprocess.run([sys.executable, "-m", "algocloud_client", "sessions"], env=env,
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert sessions.returncode == 0 and "main" in sessions.stdout, sessions.stderr
    made = subprocess.run([sys.executable, "-m", "algocloud_client", "scenarios", "create", "by-login", "--dataset",
                           "Master data", "--algorithm", "Greedy"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert made.returncode == 0, made.stderr
    out = subprocess.run([sys.executable, "-m", "algocloud_client", "logout"], env=env, capture_output=True,
                         text=True, timeout=60, check=False).stdout  # fmt: skip
    assert "signed out" in out and "lo@local.example" not in kept.read_text()
    after = subprocess.run([sys.executable, "-m", "algocloud_client", "sessions"], env=env,
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert after.returncode == 1 and "401" in after.stderr


def test_the_reference_frontend_signs_in_on_the_providers_page_and_runs_a_scenario(stack, frontend, browser):
    """Headless Chromium: Connect sends the person to the local provider's login page (PKCE), back
    with a code the page trades for tokens it keeps in memory; then the whole flow, signed in."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    admin(stack, "users", "add", "fe@local.example", "--tenant", "local", "--role", "editor")
    browser.delete_all_cookies()
    browser.get(f"{frontend}/index.html")
    assert not browser.find_elements(By.ID, "api-key")  # no secret to paste
    field = browser.find_element(By.ID, "api-url")
    field.clear()
    field.send_keys(stack.base)
    browser.find_element(By.ID, "connect").click()
    wait = WebDriverWait(browser, 30)
    wait.until(lambda b: b.find_elements(By.ID, "email") or _failed(b))  # the provider's page
    assert "/authorize" in browser.current_url and "code_challenge_method=S256" in browser.current_url
    browser.find_element(By.ID, "email").send_keys("fe@local.example")
    browser.find_element(By.ID, "sign-in").click()
    wait.until(lambda b: "fe@local.example: editor" in b.find_element(By.ID, "who").text or _failed(b))
    assert browser.current_url == f"{frontend}/index.html"  # the code is gone from the address
    stored = browser.execute_script("return JSON.stringify([localStorage, sessionStorage, document.cookie])")
    assert "eyJ" not in stored  # no token in storage a script could read
    upload_and_run_in_the_frontend(browser, f"signed-in-{stack.mode}")


def test_a_removed_member_or_revoked_key_loses_its_events_within_the_sweep(stack):
    """The events token is checked again at connect, and open connections are closed by the
    sweep (once a minute on AWS; every second here)."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    admin(stack, "users", "add", "ws@local.example", "--tenant", "local", "--role", "admin")
    person = {"Authorization": f"Bearer {admin(stack, 'token', 'ws@local.example')}"}
    made = httpx.post(f"{stack.base}/keys", json={"role": "viewer"}, headers=person)
    assert made.status_code == 201, made.text
    server = {"Authorization": f"Bearer {made.json()['value']}"}
    sid = httpx.get(f"{stack.base}/sessions", headers=person).json()["default"]

    with contextlib.ExitStack() as sockets:

        def opened(headers):
            issued = httpx.post(f"{stack.base}/events/token", headers=headers).json()
            socket = sockets.enter_context(connect(f"{issued['url']}?token={issued['token']}", open_timeout=10))
            socket.send(json.dumps({"action": "subscribe", "session_id": sid}))
            assert json.loads(socket.recv(timeout=10))["type"] == "subscribed"
            return socket, issued

        def ends(socket) -> None:
            with pytest.raises(ConnectionClosed):
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    socket.recv(timeout=deadline - time.monotonic())

        def refused(token) -> None:
            with pytest.raises(InvalidStatus), connect(f"{token['url']}?token={token['token']}", open_timeout=10):
                pass

        key_socket, key_token = opened(server)
        assert httpx.delete(f"{stack.base}/keys/{made.json()['key_id']}", headers=person).status_code in (200, 204)
        ends(key_socket)
        refused(key_token)
        person_socket, person_token = opened(person)
        admin(stack, "users", "remove", "ws@local.example", "--tenant", "local")
        ends(person_socket)
        refused(person_token)

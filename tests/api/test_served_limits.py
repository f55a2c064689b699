"""What only a real server shows (issue 23): oversized or too many headers, a body that stops
arriving, and an unsigned or oversized upload to the local store refused before its body is read.

The app is served on uvicorn as `make local` serves it (devstack.stack's bounded HTTP parser), on
the embedded backend directly and on the aws backend behind the API Gateway emulation. Requests
are written on raw sockets, so a test controls exactly what is sent and when.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from devstack.http_limits import BoundedHttpToolsProtocol


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(make_client, settings, root) -> Iterator[tuple[int, str]]:
    """(port, path prefix) of the app on uvicorn; a body read timeout of 1 s."""
    client = make_client(body_read_timeout_seconds=1.0)
    app = client.app  # the app as deployed: on aws the gateway emulation in front of the handler
    if settings.backend == "aws":
        import dataclasses

        app.config = dataclasses.replace(app.config, body_read_timeout=1.0)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", lifespan="off", http=BoundedHttpToolsProtocol
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield port, root
    server.should_exit = True
    thread.join(10)


def exchange(port: int, head: bytes, body: bytes = b"", timeout: float = 10) -> tuple[int, bytes, float]:
    """Send `head` and `body`, read the answer until the server closes or answers in full:
    (status, whole answer, seconds)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        try:
            connection.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while sending: the answer is still to be read
        answer = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            answer += chunk
            head_end = answer.find(b"\r\n\r\n")
            if head_end >= 0:
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in answer[:head_end].split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    None,
                )
                if length is not None and len(answer) >= head_end + 4 + length:
                    break
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer, time.monotonic() - started


def request_head(method: str, path: str, headers: dict[str, str] | None = None, extra: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n").encode() + extra + b"\r\n"


def test_a_huge_header_is_refused_while_it_arrives(served):
    port, root = served
    huge = b"X-Big: " + b"a" * (64 * 1024 * 1024) + b"\r\n"
    status, answer, seconds = exchange(port, request_head("GET", f"{root}/api/v1/sessions", extra=huge))
    assert status == 431 and b"detail" in answer and seconds < 5, answer[:300]


def test_headers_over_api_gateways_limit_are_refused(served, backend_name):
    port, root = served
    status, answer, _ = exchange(port, request_head("GET", f"{root}/api/v1/sessions", {"X-Big": "a" * 11_000}))
    # embedded: 431 with a detail; aws: API Gateway's REQUEST_TOO_LARGE (413 "Request Too Long")
    assert (status, b"detail" in answer) == ((431, True) if backend_name == "embedded" else (413, True)), answer


def test_many_headers_are_refused_on_the_embedded_server(served, backend_name):
    port, root = served
    many = {f"X-H{index}": "v" for index in range(500)}
    status, answer, _ = exchange(port, request_head("GET", f"{root}/api/v1/sessions", many))
    if backend_name == "embedded":
        assert status == 431 and b"the limits are 100 headers" in answer
    else:  # API Gateway bounds their size, not their number: 500 short headers fit in 10,240 bytes
        assert status == 200


def test_a_body_that_stops_arriving_is_a_408(served):
    port, root = served
    head = request_head(
        "POST", f"{root}/api/v1/sessions", {"Content-Type": "application/json", "Content-Length": "100"}
    )
    status, answer, seconds = exchange(port, head, b'{"display_name": ')
    assert status == 408 and b"stopped arriving" in answer and seconds < 5, answer


def test_an_unsigned_local_upload_is_refused_before_its_body(served, backend_name):
    if backend_name != "embedded":
        pytest.skip("the local store's routes exist only on the embedded backend (aws: S3, see test_hostile_client)")
    port, _root = served
    declared = 300 * 1024 * 1024
    head = request_head(
        "POST",
        "/_local/uploads",
        {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(declared)},
    )
    status, answer, seconds = exchange(port, head, b"--b\r\n" + b"x" * 1024)
    assert status == 403 and b"not signed" in answer and seconds < 10, answer  # far from the 30 s body wait


def test_a_signed_local_upload_over_its_size_is_refused_before_its_body(served, backend_name, client, base):
    if backend_name != "embedded":
        pytest.skip("the local store's routes exist only on the embedded backend (aws: S3, see test_hostile_client)")
    port, _root = served
    answer = client.post(f"{base}/sessions/main/uploads", json={"filename": "a.csv", "size": 10}).json()
    path = answer["url"].removeprefix("http://testserver")
    head = request_head(
        "POST", path, {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(300 * 1024 * 1024)}
    )
    status, reply, seconds = exchange(port, head, b"--b\r\n")
    assert status == 400 and b"EntityTooLarge" in reply and seconds < 10, reply  # far from the 30 s body wait
    # sent without a length (chunked), it is cut off at its size plus the form's fields
    chunked = request_head(
        "POST", path, {"Content-Type": "multipart/form-data; boundary=b", "Transfer-Encoding": "chunked"}
    )
    opening = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    pieces = [opening] + [b"x" * 65536] * 8
    body = b"".join(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in pieces) + b"0\r\n\r\n"
    status, reply, _ = exchange(port, chunked, body)
    assert status == 400 and b"EntityTooLarge" in reply, reply


def test_hosting_and_storage_are_two_settings(tmp_path, monkeypatch):
    """Where state lives (the backend) and how the code runs (Lambda or a process) are chosen apart:
    the embedded store behind Lambda gets Lambda's body limits and middleware, and back."""
    from algocloud import limits
    from api.limits import BodyReadTimeout, ResponseSizeLimit
    from api.main import create_app
    from api.settings import ApiSettings

    def middleware(settings):
        return {m.cls for m in create_app(settings).user_middleware}

    state = {"backend": "embedded", "state_dir": tmp_path / "state"}
    process = ApiSettings(**state)
    assert not process.on_lambda and process.request_limit == limits.EMBEDDED_BODY_LIMIT
    assert BodyReadTimeout in middleware(process) and ResponseSizeLimit not in middleware(process)
    monkeypatch.setenv("ALGOCLOUD_HOSTING", "lambda")
    behind_lambda = ApiSettings(**state)
    assert behind_lambda.on_lambda and behind_lambda.request_limit == limits.LAMBDA_BODY_LIMIT
    assert BodyReadTimeout not in middleware(behind_lambda) and ResponseSizeLimit in middleware(behind_lambda)

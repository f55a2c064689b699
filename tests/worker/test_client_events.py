"""The client's event flows, stepped by hand (no server): following a scenario, resuming after the
server closes the socket, keeping a quiet socket alive, and polling where no events are offered."""

import json

import httpx
import pytest

from algocloud_client._flows import CLOSED, KEEPALIVE_SECONDS, Call, Open, Operations, Receive, Send

TOKEN = httpx.Response(200, json={"url": "ws://events.example", "token": "t0k"})


def subscribed(status: str, progress: float) -> str:
    return json.dumps(
        {
            "type": "subscribed",
            "session_id": "s",
            "scenario_id": "x",
            "tag": "t",
            "status": status,
            "progress": progress,
        }
    )


def test_events_resume_after_a_close_and_a_quiet_socket_subscribes_again():
    seen: list[dict] = []
    flow = Operations().events("s", "x", lambda event: seen.append(event) or event.get("status") == "complete")
    step = next(flow)
    assert isinstance(step, Call) and step.url == "/events/token"
    assert flow.send(TOKEN) == Open("ws://events.example?token=t0k")
    step = flow.send(0)
    assert isinstance(step, Send) and json.loads(step.text) == {
        "action": "subscribe",
        "session_id": "s",
        "scenario_id": "x",
    }
    assert isinstance(flow.send(None), Receive)
    step = flow.send(subscribed("processing", 0.2))
    assert step == Receive(0, KEEPALIVE_SECONDS)
    step = flow.send(None)  # quiet for 4 minutes: subscribe again (a keep-alive that re-reads the status)
    assert isinstance(step, Send) and json.loads(step.text)["action"] == "subscribe"
    flow.send(None)
    step = flow.send(
        json.dumps({"type": "scenario.progress", "scenario_id": "x", "status": "processing", "progress": 0.5})
    )
    step = flow.send(CLOSED)  # the server closed it (2 hours): a new token, a new socket
    assert isinstance(step, Call) and step.url == "/events/token"
    assert isinstance(flow.send(TOKEN), Open)
    flow.send(1)
    flow.send(None)
    with pytest.raises(StopIteration) as done:
        flow.send(subscribed("complete", 1.0))  # the status it resumes from ends the wait
    assert done.value.value is True
    assert [e.get("progress") for e in seen] == [0.2, 0.2, 0.5, 1.0] or [e.get("progress") for e in seen] == [
        0.2,
        0.5,
        1.0,
    ]


def test_a_quiet_socket_is_kept_alive_within_the_idle_time_the_token_gives():
    flow = Operations().events("s", "x", lambda event: False)
    next(flow)
    token = httpx.Response(200, json={"url": "ws://e", "token": "t", "idle_seconds": 100})
    assert flow.send(token) == Open("ws://e?token=t")
    flow.send(0)
    flow.send(None)
    assert flow.send(subscribed("processing", 0.2)) == Receive(0, 40.0)  # 0.4 of the 100 s it said
    flow.close()


def test_without_events_the_wait_polls_the_status():
    flow = Operations().wait("s", "x", poll=0.5, timeout=None, on_status=None)
    assert next(flow).url == "/events/token"
    step = flow.send(httpx.Response(404, json={"detail": "this deployment pushes no events: poll …/status"}))
    assert isinstance(step, Call) and step.method == "GET" and step.url == "/sessions/s/scenarios/x/status"
    flow.close()


def test_a_refused_socket_falls_back_to_polling():
    flow = Operations().wait("s", "x", poll=0.5, timeout=None, on_status=None)
    next(flow)
    assert isinstance(flow.send(TOKEN), Open)
    step = flow.send(None)  # the handshake was refused (a proxy without WebSockets, say)
    assert isinstance(step, Call) and step.url == "/sessions/s/scenarios/x/status"
    flow.close()

"""Serving the API locally, for both stacks: uvicorn with the bounded HTTP parser."""

from __future__ import annotations

import threading
import time


def embedded_app():
    """The API as the embedded backend serves it: the Lambda's app, plus the file store's stand-in
    for S3's presigned URLs (devstack.local_storage), which the API Lambda never carries."""
    from api.main import create_app
    from devstack.local_storage import with_local_storage

    return with_local_storage(create_app())


def events_environment(port: int) -> dict[str, str]:
    """Both stacks serve the events WebSocket API's emulation beside the API (and deliver webhooks to
    loopback, which a deployment never does)."""
    return {
        "EVENTS_URL": f"ws://127.0.0.1:{port}/events",
        "EVENTS_ENDPOINT": f"http://127.0.0.1:{port}/events",
        "WEBHOOK_ALLOW_LOOPBACK": "true",
    }


def with_events(app, port: int):
    """`app` behind the WebSocket API's emulation (devstack.websocket_gateway), whose routes call
    the events Lambda's own handler."""
    from api.websocket import handler
    from devstack.websocket_gateway import WebSocketGateway

    threading.Thread(target=_sweep_on_schedule, args=(handler,), name="events-sweep", daemon=True).start()
    return WebSocketGateway(app, handler, f"127.0.0.1:{port}")


def _sweep_on_schedule(handler) -> None:
    """The events function's Schedule event (EventBridge), locally: the template's rate, or
    ALGOCLOUD_SWEEP_SECONDS for tests. It closes the connections of revoked holders."""
    import os

    from devstack.driver import _Context
    from devstack.template import schedule_seconds

    period = float(os.environ.get("ALGOCLOUD_SWEEP_SECONDS") or schedule_seconds("EventsFunction"))
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    while True:
        time.sleep(period)
        try:
            handler(dict(event), _Context(function_name="algocloud-events-local", deadline=time.monotonic() + 10))
        except Exception as exc:  # noqa: BLE001 - the next run tries again, as the schedule would
            print(f"events sweep: {type(exc).__name__}: {exc}", flush=True)


def deliver_webhooks(consumer, stopping: threading.Event) -> None:
    """The webhook queue's event source mapping, locally: the webhook Lambda's handler on batches."""
    from devstack.driver import QueueDriver
    from worker.webhooks import handler

    driver = QueueDriver(consumer, handler, batch_size=10, timeout_seconds=60)
    while not stopping.is_set():
        try:
            if not driver.poll_once():
                stopping.wait(0.05)
        except Exception as exc:  # noqa: BLE001 - keep polling, like the event source mapping
            print(f"webhooks: {type(exc).__name__}: {exc}", flush=True)
            stopping.wait(1)


def serve_api(
    port: int, describe: str, app, root: str = "", headers: dict[str, str] | None = None, signed_in: bool = False
) -> None:
    """`app` (the API, or the gateway emulation in front of it, served under `root`) on uvicorn
    until Ctrl-C / SIGTERM; prints where it is once it answers."""
    import warnings

    import uvicorn

    from algocloud import limits

    # Powertools warns at every invocation that counted no metric (a WebSocket message, a health
    # check): noise in a terminal, where no one reads the metrics anyway.
    warnings.filterwarnings("ignore", "No application metrics to publish")
    from devstack.http_limits import BoundedHttpToolsProtocol

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        http=BoundedHttpToolsProtocol,
        ws="websockets-sansio",
        ws_max_size=limits.WEBSOCKET_MESSAGE_BYTES,  # a larger frame closes the socket (1009), as on AWS
    )
    server = uvicorn.Server(config)
    threading.Thread(
        target=_announce, args=(f"http://127.0.0.1:{port}{root}", describe, headers, signed_in), daemon=True
    ).start()
    server.run()  # returns on Ctrl-C / SIGTERM (uvicorn handles the signal)


def _announce(base: str, describe: str, headers: dict[str, str] | None, signed_in: bool) -> None:
    """Once the API answers: where it is. With sign-in on, /health needs a member, so the banner
    waits for the (open) OpenAPI document instead."""
    import httpx

    for _ in range(600):
        try:
            if signed_in:
                title = httpx.get(f"{base}/openapi.json", timeout=30).json()["info"]["title"]
                health = {"title": title, "sessions": "(sign in to see them)"}
            else:
                health = httpx.get(f"{base}/health", headers=headers, timeout=30).json()  # also seeds session main
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        return
    print(
        f"\nalgocloud is running: {health['title']}, sessions {health['sessions']}\n"
        f"  API        {base}/api/v1   (docs: {base}/docs)\n{describe}\nPress Ctrl-C to stop.",
        flush=True,
    )

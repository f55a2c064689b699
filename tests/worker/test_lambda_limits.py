"""The worker Lambda's limits: the emulation's watchdog kills an invocation past its Timeout or its
MemorySize, and the worker hands a run that would pass them to the container tier (or fails it
plainly without one) instead of being retried until the dead-letter queue."""

import threading
import time

from devstack.lambda_limits import KILLED_EXIT_CODE, FunctionLimits, function_limits, guarded


def invoke_until_killed(handler, limits: FunctionLimits) -> tuple[int | None, float]:
    killed, codes = threading.Event(), []

    def kill(code: int) -> None:
        codes.append(code)
        killed.set()

    started = time.monotonic()
    worker = threading.Thread(target=guarded(handler, limits, kill), args=({}, None), daemon=True)
    worker.start()
    killed.wait(10)
    return (codes[0] if codes else None), time.monotonic() - started


def test_an_invocation_past_its_timeout_is_killed():
    code, seconds = invoke_until_killed(lambda event, context: time.sleep(5), FunctionLimits(0.3, 10_000))
    assert code == KILLED_EXIT_CODE and 0.3 <= seconds < 1.5


def test_an_invocation_past_its_memory_is_killed():
    def hungry(event, context):
        ballast = bytearray(300 * 1024 * 1024)  # touched, so resident
        for offset in range(0, len(ballast), 4096):
            ballast[offset] = 1
        time.sleep(5)

    code, seconds = invoke_until_killed(hungry, FunctionLimits(60, 200))
    assert code == KILLED_EXIT_CODE and seconds < 5


def test_the_limits_are_the_templates_unless_overridden():
    assert function_limits() == FunctionLimits(300.0, 1769)
    assert function_limits("DeadLetterFunction") == FunctionLimits(30.0, 512)
    assert function_limits(timeout=5, memory=400) == FunctionLimits(5.0, 400)


def test_a_run_killed_at_the_timeout_is_not_retried_in_the_lambda(api, worker, stores, driver, monkeypatch):
    """The message of a run whose last attempt started longer ago than the invocation may last
    comes back: the run is not taken over in the Lambda again (the kill would repeat until the
    dead-letter queue), it goes to the container tier, or without one fails at once."""
    from algocloud.domain.scenario import Status
    from algocloud.execution.executor import Delivery
    from algocloud.run_message import parse_message

    scenario = api.run(api.create("Slow", {"duration": 30}))
    [message] = driver.receive()
    run_message = parse_message(message.body)
    attempt = {"executor": "lambda", "run_started_at": "2026-01-01T00:00:00.000+00:00"}  # killed long ago
    stores.scenarios.transition(
        run_message.tenant,
        run_message.session_id,
        scenario["id"],
        Status.PROCESSING,
        attempt,
        run_id=run_message.run_id,
    )
    outcome = worker.handle(run_message, Delivery(time.monotonic() + 5, 5.0, 1769, message.receipt))
    failed = api.get(scenario)
    assert str(outcome) == "failed" and failed["status"] == "failed"
    assert "no container tier" in failed["error"] and "5 s" in failed["error"]


def test_a_run_reaching_its_deadline_stops_before_it(api, worker, driver):
    from algocloud.execution.executor import Delivery
    from algocloud.run_message import parse_message

    scenario = api.run(api.create("Slow", {"duration": 10}))
    [message] = driver.receive()
    started = time.monotonic()
    outcome = worker.handle(parse_message(message.body), Delivery(time.monotonic() + 3, 3.0, 1769, message.receipt))
    assert str(outcome) == "failed" and time.monotonic() - started < 3  # within the invocation
    assert "no container tier" in api.get(scenario)["error"]

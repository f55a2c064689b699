"""Feed a run queue and its dead-letter queue to the worker core, as Lambda's
event source mappings do: up to `slots` runs at a time, each message deleted
once handled, and kept invisible by a heartbeat while its run is alive.

If the process dies, the heartbeat stops and the message reappears after the
(short) visibility timeout: another worker takes the run over. Idle, the
dispatcher sleeps on the queues' doorbells and a self-pipe, never polling.
"""

from __future__ import annotations

import logging
import os
import select
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from algocloud import limits
from algocloud.domain.ports import QueueConsumer, ReceivedMessage

logger = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 2  # a handler that raised: the message comes back this soon
MAX_IDLE_WAIT_SECONDS = 60.0

Handler = Callable[[ReceivedMessage], bool | None]  # False: leave the message in flight (a task holds it)


class LocalQueue(QueueConsumer, Protocol):
    """A queue of the embedded backend (algocloud.adapters.embedded.open_queues): a consumer that
    can also say when its next message is due and ring a doorbell when one is sent."""

    visibility_timeout: int
    doorbell: Any  # readable (fileno) when a message was sent; take() clears it

    def seconds_until_visible(self) -> float | None: ...


@dataclass
class _Source:
    queue: LocalQueue
    handle: Handler


class Consumer:
    def __init__(
        self,
        runs: LocalQueue,
        handle_run: Handler,
        dead_letters: LocalQueue,
        handle_dead_letter: Handler,
        slots: int = 4,
    ):
        self.sources = [_Source(runs, handle_run), _Source(dead_letters, handle_dead_letter)]
        self.slots = slots
        self.visibility_timeout = runs.visibility_timeout
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="run")
        self._in_flight: dict[str, LocalQueue] = {}  # receipt -> its queue
        self._lock = threading.Lock()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        self._stopping = threading.Event()

    # -- the loop --------------------------------------------------------------------
    def serve(self) -> None:
        """Dispatch until stop(); call from one thread."""
        heartbeat = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)
        heartbeat.start()
        while not self._stopping.is_set():
            self._dispatch()
            self._sleep()

    def stop(self) -> None:
        self._stopping.set()
        self._wake()

    def _free_slots(self) -> int:
        with self._lock:
            return self.slots - len(self._in_flight)

    def _dispatch(self) -> None:
        for source in self.sources:
            while self._free_slots() > 0:
                received = source.queue.receive(1, self.visibility_timeout)
                if not received:
                    break
                message = received[0]
                with self._lock:
                    self._in_flight[message.receipt] = source.queue
                self._pool.submit(self._handle, source, message)

    def _sleep(self) -> None:
        watched = [self._wake_read]
        timeout = MAX_IDLE_WAIT_SECONDS
        if self._free_slots() > 0:  # only then is a new message any use to us
            for source in self.sources:
                assert source.queue.doorbell is not None
                watched.append(source.queue.doorbell.fileno())
                due = source.queue.seconds_until_visible()
                if due is not None:
                    timeout = min(timeout, max(due, 0.01))
        readable, _, _ = select.select(watched, [], [], timeout)
        for descriptor in readable:
            if descriptor == self._wake_read:
                while True:
                    try:
                        if not os.read(self._wake_read, 512):
                            break
                    except BlockingIOError:
                        break
            else:
                for source in self.sources:
                    if source.queue.doorbell and source.queue.doorbell.fileno() == descriptor:
                        source.queue.doorbell.take()

    def _wake(self) -> None:
        try:
            os.write(self._wake_write, b"\x01")
        except BlockingIOError:
            pass

    # -- one message ----------------------------------------------------------------------
    def _handle(self, source: _Source, message: ReceivedMessage) -> None:
        try:
            settled = source.handle(message)
        except Exception:
            logger.exception("handling message %s failed; it will be delivered again", message.message_id)
            self._finish(message.receipt)
            source.queue.change_visibility(message.receipt, RETRY_DELAY_SECONDS)
        else:
            self._finish(message.receipt)
            if settled is False:  # a task holds it now: time for the task to start
                source.queue.change_visibility(message.receipt, limits.TASK_START_SECONDS)
            else:
                source.queue.delete([message.receipt])
        finally:
            self._wake()

    def _finish(self, receipt: str) -> None:
        with self._lock:
            self._in_flight.pop(receipt, None)

    def _heartbeat(self) -> None:
        """Keep in-flight messages invisible while their runs are alive."""
        interval = max(1.0, self.visibility_timeout / 3)
        while not self._stopping.wait(interval):
            with self._lock:
                alive = list(self._in_flight.items())
            for receipt, queue in alive:
                try:
                    queue.change_visibility(receipt, self.visibility_timeout)
                except Exception:
                    logger.exception("heartbeat failed")

"""Make each moto request atomic, as each real AWS request is.

moto is not thread-safe where it matters to us: a failed DynamoDB transaction
rolls back by restoring a deep copy of the whole table (undoing other
threads' writes made meanwhile), and two concurrent ReceiveMessage calls on a
FIFO queue can both hand out messages of the same message group. Real AWS has
neither effect. Serialising single AWS calls (our requests still interleave
between them) keeps the local stack and the tests faithful. Long polls would
hold the lock, so local consumers poll without WaitTimeSeconds.
"""

from __future__ import annotations

import threading

_lock = threading.RLock()


def _serialise(cls: type) -> None:
    if getattr(cls, "_algocloud_serialised", False):
        return
    original = cls.__call__

    def locked(self, *args, **kwargs):
        with _lock:
            return original(self, *args, **kwargs)

    cls.__call__ = locked
    cls._algocloud_serialised = True


def serialise_in_process() -> None:
    """For `mock_aws` (tests): every boto3 call handled by moto in this process."""
    from moto.core.botocore_stubber import BotocoreStubber

    _serialise(BotocoreStubber)


def serialise_server() -> None:
    """For the moto server (local stack): every HTTP request it answers."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    _serialise(DomainDispatcherApplication)

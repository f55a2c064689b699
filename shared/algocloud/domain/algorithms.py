"""The algorithm contract and how results become plain JSON."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from .errors import RunFailed
from .parameters import ParameterSet

if TYPE_CHECKING:
    from .datasource import DataSource

Progress = Callable[[float], None]
"""Called by a running algorithm with a fraction in [0, 1].

It is also the run's stop signal: the caller may raise `RunCancelled` from it,
so an algorithm should report progress regularly and let that exception pass.
"""


class Algorithm(ABC):
    """An algorithm template: a unique name, its parameters and `run`.

    `run` receives the dataset, typed parameter values, typed data-parameter
    values and a progress callback, and returns a result that `result_to_json`
    can serialise: plain JSON types, datetimes, dataclasses, numpy scalars or
    arrays, or any object with a `to_dict()` method.
    """

    name: ClassVar[str]
    parameters: ClassVar[ParameterSet] = ParameterSet()
    description: ClassVar[str] = ""
    # "container": runs always go to the container tier (long or memory-hungry work); None: the
    # worker Lambda first, handed to the container tier if it would pass the Lambda's time limit
    tier: ClassVar[str | None] = None

    @abstractmethod
    def run(
        self,
        data: DataSource,
        params: Mapping[str, Any],
        data_params: Mapping[str, Any],
        progress: Progress,
    ) -> Any: ...


def _default(value: Any) -> Any:
    """orjson fallback for types it does not know; anything else is refused."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (datetime, date, time)):  # pandas Timestamp is a datetime
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy and pandas scalars
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def result_to_json_bytes(result: Any) -> bytes:
    """Serialise a run result to JSON bytes, or raise RunFailed saying why not.

    NaN and infinity become null, as JSON has no such numbers.
    """
    try:
        return orjson.dumps(result, default=_default, option=_OPTIONS)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise RunFailed(f"the result is not JSON serialisable: {exc}") from None


def result_to_json(result: Any) -> Any:
    """The plain-JSON form of a result (dicts, lists, strings, numbers, null)."""
    return orjson.loads(result_to_json_bytes(result))

"""Typed, validated, self-describing parameters (algorithm and data parameters).

A `ParameterSet` turns the loose JSON a client sends into canonical JSON values
(what is stored and shown back) and, at run time, into typed Python values
(what an algorithm receives). Each parameter also describes itself in the
descriptor shape of the HTTP contract: name, type, required, value, and
default / min / max / choices where they apply.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from .errors import ParameterError

_MISSING = object()


def _type_name(raw: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "boolean"
    if isinstance(raw, (int, float)):
        return "number"
    if isinstance(raw, str):
        return "string"
    if isinstance(raw, (list, tuple)):
        return "array"
    if isinstance(raw, Mapping):
        return "object"
    return type(raw).__name__


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """One named parameter. Subclasses define the type, parsing and JSON form."""

    name: str
    required: bool = True
    default: Any = None
    description: str = ""

    type: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a parameter needs a name")
        if self.default is not None:
            # A bad default is a programming error in the application config:
            # fail when the config loads, not when a user first omits the value.
            object.__setattr__(self, "default", self.parse(self.to_json(self.default)))

    # -- to override -------------------------------------------------------
    def parse(self, raw: Any) -> Any:
        """JSON value -> typed value; raises ParameterError naming this parameter."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        """Typed value -> canonical JSON value."""
        return value

    def _extra_descriptor(self) -> dict[str, Any]:
        return {}

    # -- shared ------------------------------------------------------------
    def error(self, message: str) -> ParameterError:
        return ParameterError(self.name, message)

    def wrong_type(self, raw: Any, expected: str) -> ParameterError:
        return self.error(f"expected {expected}, got {_type_name(raw)}")

    def describe(self, value: Any = _MISSING) -> dict[str, Any]:
        """The descriptor; `value` is a canonical JSON value (defaults to the default)."""
        default_json = None if self.default is None else self.to_json(self.default)
        descriptor: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "value": default_json if value is _MISSING else value,
        }
        if self.default is not None:
            descriptor["default"] = default_json
        descriptor.update(self._extra_descriptor())
        if self.description:
            descriptor["description"] = self.description
        return descriptor


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what every store and JSON library here can hold


@dataclass(frozen=True, kw_only=True)
class _NumberParameter(Parameter):
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"parameter '{self.name}': min is above max")
        super().__post_init__()

    def _check_range(self, value: float) -> None:
        if self.min is not None and value < self.min:
            raise self.error(f"{value} is below the minimum {self.min}")
        if self.max is not None and value > self.max:
            raise self.error(f"{value} is above the maximum {self.max}")

    def _extra_descriptor(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max}  # numerics always carry both, null when unbounded


@dataclass(frozen=True, kw_only=True)
class IntegerParameter(_NumberParameter):
    min: int | None = None
    max: int | None = None
    type: ClassVar[str] = "integer"

    def parse(self, raw: Any) -> int:
        # bool is a subclass of int in Python; JSON true is not a number.
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise self.wrong_type(raw, "an integer")
        if isinstance(raw, float):
            if not raw.is_integer():
                raise self.error(f"expected an integer, got {raw}")
            raw = int(raw)
        if not INT64_MIN <= raw <= INT64_MAX:
            raise self.error(f"{raw} is outside the 64-bit integer range [{INT64_MIN}, {INT64_MAX}]")
        self._check_range(raw)
        return raw


@dataclass(frozen=True, kw_only=True)
class FloatParameter(_NumberParameter):
    type: ClassVar[str] = "float"

    def parse(self, raw: Any) -> float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise self.wrong_type(raw, "a number")
        try:
            value = float(raw)
        except OverflowError:  # an integer beyond any float
            raise self.error("expected a finite number") from None
        if not math.isfinite(value):
            raise self.error("expected a finite number")
        self._check_range(value)
        return value


@dataclass(frozen=True, kw_only=True)
class StringParameter(Parameter):
    max_length: int | None = None
    type: ClassVar[str] = "string"

    def parse(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise self.wrong_type(raw, "a string")
        if self.max_length is not None and len(raw) > self.max_length:
            raise self.error(f"longer than {self.max_length} characters")
        return raw

    def _extra_descriptor(self) -> dict[str, Any]:
        return {} if self.max_length is None else {"max_length": self.max_length}


@dataclass(frozen=True, kw_only=True)
class BooleanParameter(Parameter):
    type: ClassVar[str] = "boolean"

    def parse(self, raw: Any) -> bool:
        if not isinstance(raw, bool):
            raise self.wrong_type(raw, "a boolean")
        return raw


@dataclass(frozen=True, kw_only=True)
class EnumParameter(Parameter):
    choices: tuple[str, ...] = field(default_factory=tuple)
    type: ClassVar[str] = "enum"

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", tuple(self.choices))
        if not self.choices:
            raise ValueError(f"parameter '{self.name}': an enum needs choices")
        super().__post_init__()

    def _choice(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise self.wrong_type(raw, "one of the choices (a string)")
        if raw not in self.choices:
            raise self.error(f"'{raw}' is not one of {list(self.choices)}")
        return raw

    def parse(self, raw: Any) -> str:
        return self._choice(raw)

    def _extra_descriptor(self) -> dict[str, Any]:
        return {"choices": list(self.choices)}


@dataclass(frozen=True, kw_only=True)
class MultiEnumParameter(EnumParameter):
    type: ClassVar[str] = "multi_enum"

    def parse(self, raw: Any) -> list[str]:  # type: ignore[override]  # a list of the enum's choices
        if not isinstance(raw, (list, tuple)):
            raise self.wrong_type(raw, "an array of choices")
        chosen = [self._choice(item) for item in raw]
        if len(set(chosen)) != len(chosen):
            raise self.error("a choice is listed more than once")
        return chosen

    def to_json(self, value: Any) -> list[str]:
        return list(value)


def _parse_datetime(parameter: Parameter, raw: Any, what: str = "an ISO 8601 datetime") -> datetime:
    if isinstance(raw, datetime):
        return raw
    if not isinstance(raw, str):
        raise parameter.wrong_type(raw, what)
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise parameter.error(f"'{raw}' is not an ISO 8601 datetime") from None


@dataclass(frozen=True, kw_only=True)
class TimeParameter(Parameter):
    type: ClassVar[str] = "time"

    def parse(self, raw: Any) -> datetime:
        return _parse_datetime(self, raw)

    def to_json(self, value: datetime) -> str:
        return value.isoformat()


@dataclass(frozen=True, kw_only=True)
class IntervalParameter(Parameter):
    """A (start, end) pair of datetimes. JSON: {"start": ..., "end": ...} or [start, end]."""

    type: ClassVar[str] = "interval"

    def parse(self, raw: Any) -> tuple[datetime, datetime]:
        if isinstance(raw, Mapping) and set(raw) == {"start", "end"}:
            start, end = raw["start"], raw["end"]
        elif isinstance(raw, (list, tuple)) and len(raw) == 2:
            start, end = raw
        else:
            raise self.wrong_type(raw, 'an object {"start": ..., "end": ...}')
        start, end = _parse_datetime(self, start), _parse_datetime(self, end)
        if (start.tzinfo is None) != (end.tzinfo is None):
            raise self.error("start and end must both have a time zone, or neither")
        if start > end:
            raise self.error("start is after end")
        return start, end

    def to_json(self, value: tuple[datetime, datetime]) -> dict[str, str]:
        start, end = value
        return {"start": start.isoformat(), "end": end.isoformat()}


class ParameterSet:
    """An ordered set of parameters: validates user values and describes itself."""

    def __init__(self, parameters: Iterable[Parameter] = ()):
        self._parameters: dict[str, Parameter] = {}
        for parameter in parameters:
            if parameter.name in self._parameters:
                raise ValueError(f"duplicate parameter '{parameter.name}'")
            self._parameters[parameter.name] = parameter

    def __iter__(self):
        return iter(self._parameters.values())

    def __len__(self) -> int:
        return len(self._parameters)

    def __getitem__(self, name: str) -> Parameter:
        return self._parameters[name]

    def validate(self, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        """User values -> canonical JSON values for every parameter (defaults filled in).

        Raises ParameterError for unknown names, missing required values, wrong
        JSON types and values out of range or not among the choices.
        """
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise ParameterError(None, f"parameters must be an object, got {_type_name(raw)}")
        unknown = [name for name in raw if name not in self._parameters]
        if unknown:
            known = list(self._parameters) or "none"
            raise ParameterError(unknown[0], f"unknown parameter (known: {known})")
        values: dict[str, Any] = {}
        for name, parameter in self._parameters.items():
            supplied = raw.get(name)
            if supplied is not None:
                values[name] = parameter.to_json(parameter.parse(supplied))
            elif parameter.default is not None:
                values[name] = parameter.to_json(parameter.default)
            elif parameter.required:
                raise parameter.error("a value is required")
            else:
                values[name] = None
        return values

    def typed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Canonical JSON values (from `validate`) -> typed Python values for a run."""
        return {
            name: None if values.get(name) is None else parameter.parse(values[name])
            for name, parameter in self._parameters.items()
        }

    def describe(self, values: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Descriptors, each with `value` from `values` where given, else the default."""
        if values is None:
            return [parameter.describe() for parameter in self]
        return [parameter.describe(values.get(parameter.name)) for parameter in self]

"""Key performance indicators: computed from a run's plain-JSON result."""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from enum import StrEnum
from typing import Any, ClassVar

from .errors import RunFailed


class Direction(StrEnum):
    """Which values are better; the last two compare against a threshold."""

    HIGHER = "higher"
    LOWER = "lower"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


class Kpi(ABC):
    """A KPI template. Subclasses set the class attributes and `compute`."""

    name: ClassVar[str]
    unit: ClassVar[str] = ""
    better_when: ClassVar[Direction] = Direction.HIGHER
    threshold: ClassVar[float | None] = None
    description: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        needs_threshold = cls.better_when in (Direction.AT_LEAST, Direction.AT_MOST)
        if needs_threshold and cls.threshold is None:
            raise TypeError(f"KPI {cls.__name__}: {cls.better_when} needs a threshold")

    @abstractmethod
    def compute(self, result: Any) -> float:
        """The KPI value for a result (the plain-JSON form the scenario stores)."""

    def evaluate(self, result: Any) -> float:
        """`compute`, with any failure or non-number turned into RunFailed naming the KPI."""
        try:
            value = self.compute(result)
        except Exception as exc:
            raise RunFailed(f"KPI '{self.name}' failed: {type(exc).__name__}: {exc}") from exc
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise RunFailed(f"KPI '{self.name}' returned {type(value).__name__}, not a number")
        if not math.isfinite(value):
            raise RunFailed(f"KPI '{self.name}' returned {value}, not a finite number")
        return float(value)

    def is_met(self, value: float | None) -> bool | None:
        """For threshold KPIs, whether the value meets the threshold; else None."""
        if value is None or self.threshold is None:
            return None
        if self.better_when == Direction.AT_LEAST:
            return value >= self.threshold
        if self.better_when == Direction.AT_MOST:
            return value <= self.threshold
        return None

    def to_dict(self, value: float | None = None) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": value,
            "unit": self.unit,
            "better_when": str(self.better_when),
            "threshold": self.threshold,
        }

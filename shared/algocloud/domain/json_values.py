"""Table values as JSON: what orjson cannot write by itself (used by data sources and their pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def json_default(value: Any) -> Any:
    """orjson fallback for pandas missing-value markers and scalar types."""
    import pandas as pd

    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars inside object columns
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")

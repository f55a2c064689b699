"""Schemas: what an uploaded file must contain to become a table."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    INTEGER = "integer"
    FLOAT = "float"
    STRING = "string"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    CATEGORY = "category"


class FileKind(StrEnum):
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Column:
    name: str
    dtype: ColumnType
    primary_key: bool = False
    optional: bool = False  # may be absent from the file; then it is added, empty


@dataclass(frozen=True)
class Schema:
    """One logical file (and table): uploads named `<name>.<ext>` are read with it.

    `kind` is the file kind the application publishes; any supported kind is
    read, with a warning when it differs. `separator` applies to CSV, `sheet`
    to XLSX (None: the first sheet).
    """

    name: str
    columns: tuple[Column, ...]
    kind: FileKind = FileKind.CSV
    separator: str = ","
    sheet: str | None = None
    required: bool = True
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        names = [column.name for column in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"schema '{self.name}' declares a column twice")

    @property
    def primary_key(self) -> list[str]:
        return [column.name for column in self.columns if column.primary_key]

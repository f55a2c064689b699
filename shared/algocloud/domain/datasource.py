"""Data sources: named sets of pandas tables, serialised in the Algomancy shape.

The JSON shape is the original product's `DataSource.to_json()`, kept exact so
datasets move between the two products:

    {"metadata": {"id", "name", "type", "creation_datetime", "tables": [names]},
     "tables": {name: {"data": [records], "columns": [...],
                       "dtypes": {column: str(dtype)}, "index": [...]}}}

pandas is imported inside the functions that need it, never at module import.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from ..limits import MAX_TABLE_NAME_BYTES, MAX_TABLES
from .errors import DataFormatError
from .json_values import json_default
from .parameters import ParameterSet

if TYPE_CHECKING:
    import pandas as pd

    from .pages import TableRows


STORED_FORMAT = "algocloud.columns/1"


class DataSourceType(StrEnum):
    MASTER_DATA = "master_data"
    DERIVED_DATA = "derived_data"
    DUMMY_DATA = "dummy_data"


class DataSource:
    """A dataset: named tables plus id, name (the dataset key), type and creation time.

    Subclasses may declare `data_parameters`: values a scenario fills in for
    this kind of data (they reach the algorithm as `data_params`).
    """

    data_parameters: ClassVar[ParameterSet] = ParameterSet()

    def __init__(
        self,
        name: str,
        ds_type: DataSourceType | str = DataSourceType.MASTER_DATA,
        tables: Mapping[str, pd.DataFrame] | None = None,
        ds_id: str | None = None,
        creation_datetime: datetime | None = None,
    ):
        if not name:
            raise ValueError("a data source needs a name")
        self.name = name
        self.ds_type = DataSourceType(ds_type)
        self.tables: dict[str, pd.DataFrame] = dict(tables or {})
        self.id = ds_id or str(uuid.uuid4())
        self.creation_datetime = creation_datetime or datetime.now()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.ds_type}, tables={list(self.tables)})"

    def add_table(self, name: str, table: pd.DataFrame) -> None:
        self.tables[name] = table

    def get_table(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def list_tables(self) -> list[str]:
        return list(self.tables)

    def derive(self, new_key: str) -> DataSource:
        """A derived copy under a new key: new id, type derived_data, copied tables.

        Subclasses override this to transform the data as well.
        """
        return type(self)(
            name=new_key,
            ds_type=DataSourceType.DERIVED_DATA,
            tables={name: table.copy() for name, table in self.tables.items()},
        )

    def copy(self) -> DataSource:
        """The same dataset with its own table objects, safe to change: pandas' copy-on-write
        (always on from pandas 3) copies a table's data only when the copy is written to."""
        clone = copy.copy(self)
        clone.tables = {name: table.copy(deep=False) for name, table in self.tables.items()}
        return clone

    def metadata(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": str(self.ds_type),
            # str(datetime), as the original product writes it.
            "creation_datetime": str(self.creation_datetime),
            "tables": self.list_tables(),
        }

    # -- serialisation -----------------------------------------------------
    def to_json_bytes(self) -> bytes:
        payload = {
            "metadata": self.metadata(),
            "tables": {name: _table_to_json(table) for name, table in self.tables.items()},
        }
        return orjson.dumps(payload, default=json_default, option=orjson.OPT_NON_STR_KEYS)

    def to_json(self) -> str:
        return self.to_json_bytes().decode()

    def to_stored_bytes(self) -> bytes:
        """The stored form: the values of `to_json_bytes`, by column instead of by row.

        No object per row, so writing and reading a large dataset is several
        times faster; `stored_to_json` turns it into the Algomancy JSON
        without pandas.
        """

        # Written a column at a time, so only one column's Python values exist at once
        # (the same bytes as dumping the whole document).
        def dumps(value: Any) -> bytes:
            return orjson.dumps(value, default=json_default, option=orjson.OPT_NON_STR_KEYS)

        parts = [b'{"format":', dumps(STORED_FORMAT), b',"metadata":', dumps(self.metadata()), b',"tables":{']
        for number, (name, table) in enumerate(self.tables.items()):
            columns = [str(c) for c in table.columns]
            parts += [
                b"," if number else b"",
                dumps(name),
                b':{"columns":',
                dumps(columns),
                b',"values":[',
                b",".join(dumps(_column_values(table[c])) for c in table.columns),
                b'],"dtypes":',
                dumps({str(c): str(dtype) for c, dtype in table.dtypes.items()}),
                b',"index":',
                dumps(table.index.tolist()),
                b"}",
            ]
        parts.append(b"}}")
        return b"".join(parts)

    def table_rows(self, chunk_rows: int) -> Iterator[TableRows]:
        """Every table's records, `chunk_rows` at a time (for the paged form: domain.pages)."""
        from .pages import TableRows

        for name, table in self.tables.items():
            yield TableRows(
                name,
                [str(c) for c in table.columns],
                {str(c): str(dtype) for c, dtype in table.dtypes.items()},
                row_chunks(table, chunk_rows),
            )

    @classmethod
    def from_stored(cls, payload: bytes) -> DataSource:
        """Load `to_stored_bytes` output (or, for objects stored before it, the Algomancy JSON)."""
        document = orjson.loads(payload)
        if not isinstance(document, Mapping) or document.get("format") != STORED_FORMAT:
            return cls.from_json(document)
        metadata = document["metadata"]
        return cls(
            name=metadata["name"],
            ds_type=metadata["type"],
            tables={name: _table_from_columns(name, body) for name, body in document["tables"].items()},
            ds_id=metadata["id"],
            creation_datetime=_parse_creation(metadata.get("creation_datetime")),
        )

    @classmethod
    def from_json(cls, payload: bytes | str | Mapping[str, Any]) -> DataSource:
        """Load the documented shape; raises DataFormatError saying what is wrong."""
        if isinstance(payload, (bytes, bytearray, memoryview, str)):
            if not payload:
                raise DataFormatError("the data source JSON is empty")
            try:
                payload = orjson.loads(payload)
            except orjson.JSONDecodeError as exc:
                raise DataFormatError(f"malformed JSON: {exc}") from None
        if not isinstance(payload, Mapping):
            raise DataFormatError("a data source must be a JSON object with 'metadata' and 'tables'")
        metadata = _require(payload, "metadata", Mapping, "the payload")
        tables = _require(payload, "tables", Mapping, "the payload")
        name = _require(metadata, "name", str, "metadata")
        if not name:
            raise DataFormatError("metadata.name must not be empty: it is the dataset key")
        try:
            ds_type = DataSourceType(metadata.get("type", DataSourceType.MASTER_DATA))
        except ValueError:
            raise DataFormatError(f"metadata.type must be one of {[str(t) for t in DataSourceType]}") from None
        if len(tables) > MAX_TABLES:
            raise DataFormatError(f"a data source may have at most {MAX_TABLES} tables, not {len(tables):,}")
        for table in tables:
            if len(str(table).encode()) > MAX_TABLE_NAME_BYTES:
                raise DataFormatError(f"table name '{str(table)[:40]}...' is longer than {MAX_TABLE_NAME_BYTES} bytes")
        return cls(
            name=name,
            ds_type=ds_type,
            tables={str(table): _table_from_json(str(table), body) for table, body in tables.items()},
            ds_id=str(metadata.get("id") or uuid.uuid4()),
            creation_datetime=_parse_creation(metadata.get("creation_datetime")),
        )


def stored_to_json(payload: bytes) -> bytes:
    """The Algomancy JSON of a stored dataset, byte for byte what `to_json_bytes` gives."""
    document = orjson.loads(payload)
    if not isinstance(document, Mapping) or document.get("format") != STORED_FORMAT:
        return payload  # stored before the columnar form: already the Algomancy JSON
    tables = {}
    for name, body in document["tables"].items():
        columns = body["columns"]
        tables[name] = {
            "data": [dict(zip(columns, row, strict=True)) for row in zip(*body["values"], strict=True)],
            "columns": columns,
            "dtypes": body["dtypes"],
            "index": body["index"],
        }
    return orjson.dumps({"metadata": document["metadata"], "tables": tables})


_KIND_NAMES: dict[type, str] = {Mapping: "an object", list: "an array", str: "a string"}


def _require(mapping: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = mapping.get(key)
    if not isinstance(value, kind):
        expected = _KIND_NAMES[kind]
        raise DataFormatError(f"{where} needs '{key}' as {expected}")
    return value


def _parse_creation(raw: Any) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(str(raw))  # also reads str(datetime)'s space form
    except ValueError:
        raise DataFormatError(f"metadata.creation_datetime '{raw}' is not a datetime") from None


def _datetime_unit(column: pd.Series) -> str:
    """ISO text of a datetime column: whole seconds when every value is, else microseconds."""
    import pandas as pd

    values = column.to_numpy()
    present = values[~pd.isna(values)]
    return "s" if (present == present.astype("datetime64[s]")).all() else "us"


def _column_values(column: pd.Series, unit: str | None = None) -> list[Any]:
    """A column as JSON-ready Python values; missing values become None. `unit`: the
    datetime unit of the whole column, when this is a slice of it."""
    import numpy as np
    import pandas as pd

    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "M":
        # Vectorised ISO strings; the same text as Timestamp.isoformat().
        values = column.to_numpy()
        text = np.datetime_as_string(values, unit=unit or _datetime_unit(column)).astype(object)  # type: ignore[call-overload]
        text[pd.isna(values)] = None
        return text.tolist()
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return [None if pd.isna(v) else v.isoformat() for v in column]
    return column.tolist()


def row_chunks(table: pd.DataFrame, rows: int) -> Iterator[list[dict[str, Any]]]:
    """The records of `_table_to_json` `rows` at a time, never all of them at once in memory."""
    import numpy as np

    columns = [str(c) for c in table.columns]
    units = {
        c: _datetime_unit(table[c])
        for c in table.columns
        if isinstance(table[c].dtype, np.dtype) and table[c].dtype.kind == "M"
    }
    for start in range(0, len(table), rows):
        part = table.iloc[start : start + rows]
        values = [_column_values(part[c], units.get(c)) for c in table.columns]
        if not columns:
            yield [{} for _ in range(len(part))]
        else:
            yield [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _table_to_columns(table: pd.DataFrame) -> dict[str, Any]:
    return {
        "columns": [str(c) for c in table.columns],
        "values": [_column_values(table[c]) for c in table.columns],
        "dtypes": {str(c): str(dtype) for c, dtype in table.dtypes.items()},
        "index": table.index.tolist(),
    }


def _table_from_columns(name: str, body: Mapping[str, Any]) -> pd.DataFrame:
    import pandas as pd

    table = pd.DataFrame(dict(enumerate(body["values"])), index=range(len(body["index"])))
    table.columns = body["columns"]
    return _finish_table(table, body["index"], body["dtypes"], f"table '{name}'")


def _table_to_json(table: pd.DataFrame) -> dict[str, Any]:
    columns = [str(c) for c in table.columns]
    values = [_column_values(table[c]) for c in table.columns]
    return {
        "data": [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)],
        "columns": columns,
        "dtypes": {str(c): str(dtype) for c, dtype in table.dtypes.items()},
        "index": table.index.tolist(),
    }


def _table_from_json(name: str, body: Any) -> pd.DataFrame:
    import pandas as pd

    where = f"table '{name}'"
    if not isinstance(body, Mapping):
        raise DataFormatError(f"{where} must be an object with 'data' and 'columns'")
    records = _require(body, "data", list, where)
    columns = _require(body, "columns", list, where)
    dtypes = body.get("dtypes") or {}
    index = body.get("index")
    if not isinstance(dtypes, Mapping):
        raise DataFormatError(f"{where}: 'dtypes' must be an object")
    if not all(isinstance(column, str) for column in columns):
        raise DataFormatError(f"{where}: column names must be strings")
    if len(set(columns)) != len(columns):
        raise DataFormatError(f"{where}: column names must be unique")
    if not all(isinstance(record, Mapping) for record in records):
        raise DataFormatError(f"{where}: 'data' must be a list of records (objects)")
    if index is not None and (not isinstance(index, list) or len(index) != len(records)):
        raise DataFormatError(f"{where}: 'index' must be a list as long as 'data'")

    return _finish_table(pd.DataFrame.from_records(records, columns=columns), index, dtypes, where)


def _finish_table(table: pd.DataFrame, index: list | None, dtypes: Mapping[str, Any], where: str) -> pd.DataFrame:
    """Put back the index and the column dtypes JSON cannot carry."""
    import pandas as pd

    if index is not None and index != list(range(len(index))):
        table.index = pd.Index(index)
    for column, dtype in dtypes.items():
        if column in table.columns:
            table[column] = _restore_dtype(table[column], str(dtype), f"{where}, column '{column}'")
    return table


def _restore_dtype(column: pd.Series, dtype: str, where: str) -> pd.Series:
    import pandas as pd

    try:
        if dtype.startswith("datetime64"):
            restored = pd.to_datetime(column, format="ISO8601")
            return restored.astype(dtype)
        if dtype == "category":
            return column.astype("category")
        if dtype.startswith(("int", "uint")):
            # A numpy int column with missing values can only be nullable.
            numeric = pd.to_numeric(column)
            return numeric.astype(dtype if numeric.notna().all() else _nullable_int(dtype))
        if dtype.startswith(("Int", "UInt", "float", "Float")):
            return pd.to_numeric(column).astype(dtype)
        if dtype in ("bool", "boolean"):
            if not column.dropna().map(type).eq(bool).all():
                raise ValueError("values must be true, false or null")
            return column.astype(dtype if column.notna().all() else "boolean")
        if dtype in ("str", "string", "object"):
            return column.astype(dtype)
    except (ValueError, TypeError) as exc:
        raise DataFormatError(f"{where}: cannot be read as {dtype}: {exc}") from None
    # A dtype this loader has no rule for (complex, timedelta, pyarrow-backed,
    # a newer library's): keep the values JSON gave, as the original product
    # does, so foreign payloads still load and everything stored can be read back.
    return column


def _nullable_int(dtype: str) -> str:
    """'int64' -> 'Int64', 'uint8' -> 'UInt8'."""
    return "UInt" + dtype[4:] if dtype.startswith("uint") else "Int" + dtype[3:]

"""ETL: uploaded files -> validated tables -> a data source, with messages.

Files are matched to schemas by file-name stem (`sku_data.csv` -> `sku_data`),
extracted by extension (CSV, JSON records, XLSX), then validated and coerced
column by column. Every problem becomes a message; any ERROR means no data
source. Nothing a user uploads can raise out of `Etl.run`.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import orjson

from .. import limits
from .datasource import DataSource, DataSourceType
from .schema import Column, ColumnType, FileKind, Schema

if TYPE_CHECKING:
    import pandas as pd

SUPPORTED_EXTENSIONS = {f".{kind}": kind for kind in FileKind}
ROWS_LISTED = 5  # rows named in one message before "and N more"
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and legacy .xls


class Level(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


@dataclass(frozen=True)
class EtlMessage:
    level: Level
    text: str
    file: str | None = None
    column: str | None = None
    row: int | None = None  # CSV/XLSX: the row number in the sheet; JSON: record number

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": str(self.level),
            "text": self.text,
            "file": self.file,
            "column": self.column,
            "row": self.row,
        }


@dataclass
class EtlResult:
    messages: list[EtlMessage] = field(default_factory=list)
    datasource: DataSource | None = None

    @property
    def success(self) -> bool:
        return not any(message.level == Level.ERROR for message in self.messages)

    def reported_messages(self, limit: int = limits.MAX_REPORTED_MESSAGES) -> list[EtlMessage]:
        """At most `limit` messages, errors first, then one line per level counting the rest,
        so a file with a problem in every row or column still gets a short answer."""
        if len(self.messages) <= limit:
            return list(self.messages)
        ranked = sorted(self.messages, key=lambda m: m.level != Level.ERROR)  # stable: file order kept
        shown, hidden = ranked[:limit], ranked[limit:]
        for level in Level:
            count = sum(m.level == level for m in hidden)
            if count:
                shown.append(EtlMessage(level, f"... and {count:,} more {level} message(s) like these"))
        return shown


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content: bytes

    @property
    def stem(self) -> str:
        return PurePosixPath(self.filename).stem

    @property
    def extension(self) -> str:
        return file_extension(self.filename)


def file_extension(filename: str) -> str:
    """The one rule for uploaded file names: a name, then one of SUPPORTED_EXTENSIONS, which says
    how to read it. '' when there is none (`data`, or `.csv`: a name that is only an extension)."""
    return PurePosixPath(filename).suffix.lower()


def _unreadable(filenames: Iterable[str]) -> list[str]:
    return [name for name in filenames if file_extension(name) not in SUPPORTED_EXTENSIONS]


def unsupported_file_message(filenames: Iterable[str]) -> str | None:
    """Why ETL could not read files of these names (None when it can)."""
    unsupported = _unreadable(filenames)
    if not unsupported:
        return None
    return (
        f"unsupported file type: {unsupported}; a file name is a name followed by one of "
        f"{sorted(SUPPORTED_EXTENSIONS)}, e.g. 'sku_data.csv'"
    )


def unsupported_files(files: Iterable[UploadedFile]) -> list[str]:
    """Names of uploads whose extension ETL cannot read."""
    return _unreadable(f.filename for f in files)


class _Rejected(Exception):
    """A file cannot be read at all; the message says why."""


class Etl:
    """Reads uploads against the application's schemas into a data source."""

    def __init__(
        self,
        schemas: Sequence[Schema],
        datasource_cls: type[DataSource] = DataSource,
        max_xlsx_uncompressed_bytes: int = 200 * 1024 * 1024,
        max_xlsx_cells: int = 5_000_000,
        max_xlsx_seconds: float = 20.0,
    ):
        self.schemas = {schema.name: schema for schema in schemas}
        self.datasource_cls = datasource_cls
        self.max_xlsx_uncompressed_bytes = max_xlsx_uncompressed_bytes
        # Sheet XML compresses extremely well: bound the work by cells and time too,
        # well inside API Gateway's 29 s.
        self.max_xlsx_cells = max_xlsx_cells
        self.max_xlsx_seconds = max_xlsx_seconds

    def run(self, files: Sequence[UploadedFile], dataset_name: str) -> EtlResult:
        result = EtlResult()
        messages = result.messages
        by_stem: dict[str, UploadedFile] = {}
        for upload in files:
            if upload.extension not in SUPPORTED_EXTENSIONS:
                messages.append(EtlMessage(Level.ERROR, "unsupported file type", upload.filename))
            elif upload.stem in by_stem:
                text = f"two uploads for '{upload.stem}'; send one file per table"
                messages.append(EtlMessage(Level.ERROR, text, upload.filename))
            elif upload.stem not in self.schemas:
                text = f"no table named '{upload.stem}' is expected (expected: {list(self.schemas)}); ignored"
                messages.append(EtlMessage(Level.WARNING, text, upload.filename))
            else:
                by_stem[upload.stem] = upload

        tables: dict[str, pd.DataFrame] = {}
        for name, schema in self.schemas.items():
            found = by_stem.get(name)
            if found is None:
                if schema.required:
                    text = f"missing file for table '{name}' (expected {name}.{schema.kind})"
                    messages.append(EtlMessage(Level.ERROR, text))
                continue
            table = self._load(schema, found, messages)
            if table is not None:
                tables[name] = table
                text = f"read {len(table)} rows into table '{name}'"
                messages.append(EtlMessage(Level.INFO, text, found.filename))

        if result.success:
            result.datasource = self.datasource_cls(
                name=dataset_name, ds_type=DataSourceType.MASTER_DATA, tables=tables
            )
        return result

    def _load(self, schema: Schema, upload: UploadedFile, messages: list[EtlMessage]):
        kind = SUPPORTED_EXTENSIONS[upload.extension]
        if kind != schema.kind:
            text = f"table '{schema.name}' is published as {schema.kind}; reading this {kind} file"
            messages.append(EtlMessage(Level.WARNING, text, upload.filename))
        try:
            if kind == FileKind.CSV:
                frame = self._read_csv(schema, upload.content)
            elif kind == FileKind.JSON:
                frame = _read_json(upload.content)
            else:
                frame = self._read_xlsx(schema, upload.content)
        except _Rejected as rejected:
            messages.append(EtlMessage(Level.ERROR, str(rejected), upload.filename))
            return None
        first_row = 1 if kind == FileKind.JSON else 2  # after the header row
        return _validate(schema, frame, upload.filename, first_row, messages)

    # -- extractors ---------------------------------------------------------
    def _read_csv(self, schema: Schema, content: bytes) -> pd.DataFrame:
        import pandas as pd

        if b"\x00" in content[:8192]:
            raise _Rejected("binary content: this is not a CSV text file")
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Rejected(
                f"not UTF-8 text (byte 0x{content[exc.start]:02x} at position {exc.start}); "
                "save the file as 'CSV UTF-8'"
            ) from None
        # Text-like columns stay text; numbers are parsed by pandas' C reader
        # and checked afterwards. Only an empty cell counts as missing.
        text_types = (ColumnType.STRING, ColumnType.CATEGORY, ColumnType.DATETIME, ColumnType.BOOLEAN)
        dtypes = {c.name: str for c in schema.columns if c.dtype in text_types}
        try:
            frame = pd.read_csv(
                io.BytesIO(content),
                sep=schema.separator,
                dtype=dtypes,
                encoding="utf-8-sig",
                keep_default_na=False,
                na_values=[""],
            )
        except pd.errors.EmptyDataError:
            raise _Rejected("the file is empty") from None
        except (pd.errors.ParserError, ValueError) as exc:
            raise _Rejected(f"not a readable CSV file: {exc}") from None
        if len(frame.columns) == 1 and len(schema.columns) > 1:
            header = str(frame.columns[0])
            used = next((sep for sep in ",;\t|" if sep in header), None)
            if used and used != schema.separator:
                raise _Rejected(
                    f"the header reads as one column; columns must be separated by '{schema.separator}', not '{used}'"
                )
        return frame

    def _bounded_rows(self, sheet) -> list[tuple]:
        """The sheet's rows, refused past the cell or the time budget."""
        try:
            rows_declared, columns_declared = sheet.max_row or 0, sheet.max_column or 0
        except Exception:  # noqa: BLE001 - a dimension openpyxl cannot parse: count as we read
            rows_declared = columns_declared = 0
        if rows_declared * columns_declared > self.max_xlsx_cells:
            raise _too_big(self.max_xlsx_cells)
        rows: list[tuple] = []
        cells, deadline = 0, time.monotonic() + self.max_xlsx_seconds
        try:
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
                if cells > self.max_xlsx_cells:
                    raise _too_big(self.max_xlsx_cells)
                if time.monotonic() > deadline:
                    raise _Rejected(f"reading the workbook took over {self.max_xlsx_seconds:g} s; upload it as CSV")
                rows.append(row)
        except _Rejected:
            raise
        except Exception as exc:  # noqa: BLE001 - corrupt sheet XML
            raise _Rejected(f"the sheet cannot be read: {type(exc).__name__}: {exc}") from None
        return rows

    def _read_xlsx(self, schema: Schema, content: bytes) -> pd.DataFrame:
        import pandas as pd

        if content.startswith(_OLE2_SIGNATURE):
            raise _Rejected(
                "an encrypted (password-protected) workbook or an old .xls file; save it as an unprotected .xlsx"
            )
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile:
            raise _Rejected("not a valid .xlsx file (it is not a zip archive)") from None
        if unpacked > self.max_xlsx_uncompressed_bytes:
            raise _Rejected(
                f"the workbook unpacks to {unpacked // 2**20} MiB, over the "
                f"{self.max_xlsx_uncompressed_bytes // 2**20} MiB limit"
            )

        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on bad input
            raise _Rejected(f"not a valid .xlsx workbook: {type(exc).__name__}: {exc}") from None
        try:
            if schema.sheet is not None and schema.sheet not in workbook.sheetnames:
                raise _Rejected(f"no sheet named '{schema.sheet}' (sheets: {workbook.sheetnames})")
            sheet = workbook[schema.sheet] if schema.sheet else workbook.worksheets[0]
            rows = self._bounded_rows(sheet)
        finally:
            workbook.close()
        while rows and all(cell is None for cell in rows[-1]):
            rows.pop()
        if not rows:
            raise _Rejected("the sheet is empty")
        header = list(rows[0])
        while header and header[-1] is None:
            header.pop()
        if any(cell is None for cell in header):
            raise _Rejected("the header row has an empty cell")
        width = len(header)
        records = [row[:width] for row in rows[1:]]
        return pd.DataFrame.from_records(records, columns=[str(h) for h in header])


def _too_big(cells: int) -> _Rejected:
    return _Rejected(f"the sheet has more than {cells:,} cells; split it, or upload it as CSV")


def _read_json(content: bytes) -> pd.DataFrame:
    import pandas as pd

    try:
        records = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise _Rejected(f"not valid JSON: {exc}") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise _Rejected("the JSON must be a list of records (an array of objects)")
    return pd.DataFrame.from_records(records)


# -- validation ---------------------------------------------------------------
def _rows_text(rows: Sequence[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:ROWS_LISTED])
    more = len(rows) - ROWS_LISTED
    return f"row{'s' if len(rows) > 1 else ''} {shown}" + (f" and {more} more" if more > 0 else "")


def _validate(
    schema: Schema,
    frame: pd.DataFrame,
    filename: str,
    first_row: int,
    messages: list[EtlMessage],
) -> pd.DataFrame | None:
    """Check and coerce one extracted frame; None if it has an ERROR."""
    import pandas as pd

    def report(level: Level, text: str, column: str | None = None, rows: Sequence[int] = ()):
        row = rows[0] if rows else None
        messages.append(EtlMessage(level, text, filename, column, row))

    errors_before = sum(m.level == Level.ERROR for m in messages)
    frame.columns = [str(c).strip() for c in frame.columns]
    declared = {c.name for c in schema.columns}
    for extra in (c for c in frame.columns if c not in declared):
        report(Level.WARNING, f"column '{extra}' is not in the schema and was dropped", extra)

    row_numbers = pd.RangeIndex(first_row, first_row + len(frame))
    table: dict[str, pd.Series] = {}
    for column in schema.columns:
        if column.name not in frame.columns:
            if column.optional:
                report(Level.INFO, f"optional column '{column.name}' is absent", column.name)
                table[column.name] = _coerce(pd.Series([None] * len(frame), dtype=object), column)[0]
            else:
                report(Level.ERROR, f"required column '{column.name}' is missing", column.name)
            continue
        values, bad = _coerce(frame[column.name].reset_index(drop=True), column)
        if bad.any():
            rows = row_numbers[bad.to_numpy()].tolist()
            report(Level.ERROR, f"not a valid {column.dtype} at {_rows_text(rows)}", column.name, rows)
        table[column.name] = values

    if sum(m.level == Level.ERROR for m in messages) > errors_before:
        return None
    result = pd.DataFrame(table)
    key = schema.primary_key
    if key:
        missing = result[key].isna().any(axis=1).to_numpy()
        if missing.any():
            rows = row_numbers[missing].tolist()
            report(Level.ERROR, f"primary key {key} is empty at {_rows_text(rows)}", key[0], rows)
            return None
        duplicated = result.duplicated(subset=key, keep=False).to_numpy()
        if duplicated.any():
            rows = row_numbers[duplicated].tolist()
            report(Level.ERROR, f"primary key {key} repeats at {_rows_text(rows)}", key[0], rows)
            return None
    return result


def _coerce(values: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """(coerced column, mask of cells that could not be coerced)."""
    import numpy as np
    import pandas as pd

    present = values.notna()
    kind = values.dtype.kind if isinstance(values.dtype, np.dtype) else ""
    is_bool = values.map(lambda v: isinstance(v, (bool, np.bool_))) if kind == "O" else None

    if column.dtype in (ColumnType.INTEGER, ColumnType.FLOAT):
        if kind == "b":
            return values, present  # true/false is not a number
        number = values if kind in ("i", "u", "f") else pd.to_numeric(values, errors="coerce")
        bad = present & number.isna()
        if is_bool is not None:
            bad |= is_bool
        if column.dtype == ColumnType.FLOAT:
            return number.astype("float64"), bad
        fractional = number.notna() & (number % 1 != 0)
        bad |= fractional
        if bad.any():
            return values, bad
        whole = number.astype("Int64")
        return (whole.astype("int64") if whole.notna().all() else whole), bad

    if column.dtype in (ColumnType.STRING, ColumnType.CATEGORY):
        if kind != "O" or values.map(lambda v: isinstance(v, str) or v is None).all():
            text = values.astype("str")
        else:  # numbers from JSON or XLSX in a text column: keep their text
            text = values.map(lambda v: None if pd.isna(v) else str(v)).astype("str")
        text = text.where(present)
        return (text.astype("category") if column.dtype == ColumnType.CATEGORY else text), present & False

    if column.dtype == ColumnType.BOOLEAN:
        if kind == "b":
            return values, present & False

        def to_bool(v: Any) -> Any:
            if v is None or (isinstance(v, float) and np.isnan(v)):
                return None
            if isinstance(v, (bool, np.bool_)):
                return bool(v)
            text = str(v).strip().lower()
            return True if text in _TRUE else False if text in _FALSE else "invalid"

        mapped = values.map(to_bool)
        bad = mapped.map(lambda v: isinstance(v, str))
        if bad.any():
            return values, bad
        return mapped.astype("bool" if mapped.notna().all() else "boolean"), bad

    # DATETIME
    if kind == "M":
        return values, present & False
    try:
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
    except (ValueError, TypeError):  # e.g. time zones mixed with naive times
        parsed = pd.Series(pd.NaT, index=values.index)
    return parsed, present & parsed.isna()

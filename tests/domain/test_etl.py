"""ETL: extraction of CSV / JSON / XLSX, validation, and every malformed-file case."""

import io
import zipfile

import orjson
import pandas as pd
import pytest
from openpyxl import Workbook

from algocloud.domain.datasource import DataSourceType
from algocloud.domain.etl import Etl, Level, UploadedFile, unsupported_files
from algocloud.domain.schema import Column, ColumnType, FileKind, Schema

EVENTS = Schema(
    name="events",
    columns=(
        Column("event_id", ColumnType.INTEGER, primary_key=True),
        Column("site", ColumnType.CATEGORY),
        Column("weight", ColumnType.FLOAT),
        Column("done", ColumnType.BOOLEAN),
        Column("at", ColumnType.DATETIME),
        Column("note", ColumnType.STRING, optional=True),
    ),
)
ETL = Etl([EVENTS])
GOOD_CSV = b"event_id,site,weight,done,at,note\n1,north,1.5,yes,2026-01-05 08:00,ok\n2,south,2,FALSE,2026-01-06,\n"


def run(*files, etl=ETL):
    return etl.run([UploadedFile(name, content) for name, content in files], "uploaded")


def errors(result):
    return [m for m in result.messages if m.level == Level.ERROR]


def only_error(result):
    assert not result.success and result.datasource is None
    found = errors(result)
    assert len(found) == 1, result.messages
    return found[0]


def xlsx_bytes(sheets):
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_csv_is_read_coerced_and_typed():
    result = run(("events.csv", GOOD_CSV))
    assert result.success, result.messages
    table = result.datasource.get_table("events")
    assert result.datasource.name == "uploaded"
    assert result.datasource.ds_type == DataSourceType.MASTER_DATA
    assert str(table["event_id"].dtype) == "int64" and str(table["site"].dtype) == "category"
    assert table["done"].tolist() == [True, False] and str(table["done"].dtype) == "bool"
    assert table["weight"].tolist() == [1.5, 2.0]
    assert table["at"].tolist() == [pd.Timestamp("2026-01-05 08:00"), pd.Timestamp("2026-01-06")]
    assert table["note"].iloc[0] == "ok" and pd.isna(table["note"].iloc[1])
    assert [m.level for m in result.messages] == [Level.INFO]


def test_json_records_are_read_and_numbers_in_text_columns_kept_as_text():
    records = [{"event_id": 1, "site": 7, "weight": 1, "done": True, "at": "2026-01-05T08:00:00"}]
    result = run(("events.json", orjson.dumps(records)))
    assert result.success, result.messages
    table = result.datasource.get_table("events")
    assert table["site"].tolist() == ["7"] and table["weight"].dtype == "float64"
    assert any("optional column 'note' is absent" in m.text for m in result.messages)
    assert any(m.level == Level.WARNING and "published as csv" in m.text for m in result.messages)


def test_xlsx_first_sheet_is_read():
    content = xlsx_bytes(
        {
            "Data": [
                ["event_id", "site", "weight", "done", "at"],
                [1, "north", 1.5, True, pd.Timestamp("2026-01-05 08:00").to_pydatetime()],
                [2, "south", 3, False, "2026-01-07"],
            ]
        }
    )
    result = run(("events.xlsx", content))
    assert result.success, result.messages
    table = result.datasource.get_table("events")
    assert table["event_id"].tolist() == [1, 2] and table["done"].tolist() == [True, False]
    assert table["at"].iloc[1] == pd.Timestamp("2026-01-07")


def test_xlsx_named_sheet_is_read_and_a_missing_one_reported():
    schema = Schema(name="events", columns=EVENTS.columns, kind=FileKind.XLSX, sheet="Events")
    good = xlsx_bytes(
        {
            "Cover": [["nothing here"]],
            "Events": [["event_id", "site", "weight", "done", "at"], [1, "n", 1, "no", "2026-01-01"]],
        }
    )
    assert run(("events.xlsx", good), etl=Etl([schema])).success
    wrong = xlsx_bytes({"Cover": [["x"]]})
    assert "no sheet named 'Events'" in only_error(run(("events.xlsx", wrong), etl=Etl([schema]))).text


def test_csv_separator_comes_from_the_schema():
    schema = Schema(name="events", columns=EVENTS.columns, separator=";")
    result = run(("events.csv", GOOD_CSV.replace(b",", b";")), etl=Etl([schema]))
    assert result.success, result.messages


# -- malformed files -------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("events.csv", "event_id,site\n1,Zürich\n".encode("latin-1"), "not UTF-8 text"),
        ("events.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
        ("events.csv", b"", "the file is empty"),
        ("events.csv", b"event_id;site;weight;done;at\n1;n;1;yes;2026-01-01\n", "separated by ','"),
        ("events.csv", b'event_id,site\n1,"unterminated\n', "not a readable CSV"),
        ("events.xlsx", b"PK\x03\x04 definitely not a workbook", "not a zip archive"),
        ("events.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "encrypted"),
        ("events.xlsx", b"just text", "not a zip archive"),
        ("events.json", b"{not json", "not valid JSON"),
        ("events.json", b'{"event_id": 1}', "list of records"),
        ("events.json", b"[1, 2, 3]", "list of records"),
        ("events.json", b"\xff\xfe[]", "not valid JSON"),
    ],
)
def test_malformed_files_give_one_clear_error(name, content, fragment):
    message = only_error(run((name, content)))
    assert fragment in message.text and message.file == name


def test_ragged_csv_rows_are_reported():
    message = only_error(run(("events.csv", GOOD_CSV + b"3,x,1,yes,2026-01-01,a,EXTRA\n")))
    assert "not a readable CSV" in message.text and "line 4" in message.text


def test_zip_that_is_not_a_workbook_is_rejected():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a spreadsheet")
    assert "not a valid .xlsx workbook" in only_error(run(("events.xlsx", buffer.getvalue()))).text


def test_xlsx_that_unpacks_to_an_absurd_size_is_rejected_before_reading():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (3 * 2**20))
    assert len(buffer.getvalue()) < 20_000  # a small upload...
    small_limit = Etl([EVENTS], max_xlsx_uncompressed_bytes=2**20)
    message = only_error(run(("events.xlsx", buffer.getvalue()), etl=small_limit))
    assert "unpacks to 3 MiB, over the 1 MiB limit" in message.text  # ...that would expand


# -- validation ----------------------------------------------------------------
def test_missing_required_column_is_an_error_naming_it():
    message = only_error(run(("events.csv", b"event_id,site,weight,done\n1,n,1,yes\n")))
    assert message.column == "at" and "required column 'at' is missing" in message.text


def test_extra_columns_are_reported_and_dropped():
    result = run(("events.csv", b"event_id,site,weight,done,at,colour\n1,n,1,yes,2026-01-01,red\n"))
    assert result.success
    warning = next(m for m in result.messages if m.level == Level.WARNING)
    assert warning.column == "colour" and "not in the schema" in warning.text
    assert "colour" not in result.datasource.get_table("events").columns


@pytest.mark.parametrize(
    ("body", "column", "row", "fragment"),
    [
        (b"1,n,1,yes,2026-01-01\nx,n,1,yes,2026-01-01\n", "event_id", 3, "not a valid integer at row 3"),
        (b"1.5,n,1,yes,2026-01-01\n", "event_id", 2, "not a valid integer"),
        (b"1,n,heavy,yes,2026-01-01\n", "weight", 2, "not a valid float"),
        (b"1,n,1,maybe,2026-01-01\n", "done", 2, "not a valid boolean"),
        (b"1,n,1,yes,01/02/2026\n", "at", 2, "not a valid datetime"),
        (
            b"1,n,1,yes,2026-01-01\n1,s,2,no,2026-01-02\n",
            "event_id",
            2,
            "primary key ['event_id'] repeats at rows 2, 3",
        ),
        (b",n,1,yes,2026-01-01\n", "event_id", 2, "primary key ['event_id'] is empty at row 2"),
    ],
)
def test_bad_values_are_errors_with_column_and_row(body, column, row, fragment):
    message = only_error(run(("events.csv", b"event_id,site,weight,done,at\n" + body)))
    assert (message.column, message.row) == (column, row)
    assert fragment in message.text


def test_many_bad_rows_are_summarised():
    body = b"".join(b"%d,n,x,yes,2026-01-01\n" % i for i in range(20))
    message = only_error(run(("events.csv", b"event_id,site,weight,done,at\n" + body)))
    assert "rows 2, 3, 4, 5, 6 and 15 more" in message.text


def test_json_true_is_not_a_number():
    records = [{"event_id": True, "site": "n", "weight": 1, "done": True, "at": "2026-01-01"}]
    assert only_error(run(("events.json", orjson.dumps(records)))).column == "event_id"


def test_file_matching_by_stem():
    result = run(("events.csv", GOOD_CSV), ("other.csv", b"a\n1\n"))
    assert result.success
    assert any(m.level == Level.WARNING and "no table named 'other'" in m.text for m in result.messages)
    assert "missing file for table 'events'" in only_error(run(("other.csv", b"a\n1\n"))).text
    assert "two uploads for 'events'" in only_error(run(("events.csv", GOOD_CSV), ("events.json", b"[]"))).text
    assert "unsupported file type" in only_error(run(("events.csv", GOOD_CSV), ("events.txt", b""))).text
    assert unsupported_files(
        [UploadedFile("a.CSV", b""), UploadedFile("b.parquet", b""), UploadedFile("noext", b"")]
    ) == ["b.parquet", "noext"]


def test_example_files_pass_the_example_schemas(config):
    from algocloud.example.app import MASTER_DATA_KEY, example_files

    result = config.etl.run(example_files(), MASTER_DATA_KEY)
    assert result.success, result.messages
    skus = result.datasource.get_table("sku_data")
    assert len(skus) == 150 and len(result.datasource.get_table("warehouse_layout")) == 1000
    assert skus["current_slot"].is_unique


def test_xlsx_work_is_bounded_by_cells_and_time():
    header = ["event_id", "site", "weight", "done", "at"]
    rows = [header] + [[i, "n", 1, "yes", "2026-01-01"] for i in range(40)]
    content = xlsx_bytes({"events": rows})
    assert (
        "more than 100 cells" in only_error(run(("events.xlsx", content), etl=Etl([EVENTS], max_xlsx_cells=100))).text
    )
    assert "took over 0 s" in only_error(run(("events.xlsx", content), etl=Etl([EVENTS], max_xlsx_seconds=0))).text
    assert run(("events.xlsx", content), etl=Etl([EVENTS], max_xlsx_cells=1000)).success

"""Data sources: the Algomancy JSON shape, round trips and derive."""

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from algocloud.domain.datasource import DataSource, DataSourceType
from algocloud.domain.errors import DataFormatError

FIXTURE = Path(__file__).parent.parent / "fixtures" / "algomancy_datasource.json"


def test_hand_written_payload_loads_with_types_values_and_index():
    ds = DataSource.from_json(FIXTURE.read_bytes())
    assert (ds.name, ds.ds_type, ds.id) == (
        "Hand written",
        DataSourceType.MASTER_DATA,
        "5f0c2a8e-2d7b-4c1e-9a57-3f1d7e0b9c21",
    )
    assert ds.creation_datetime == datetime(2025, 3, 14, 9, 26, 53, 589793)
    orders = ds.get_table("orders")
    assert orders.index.tolist() == [100, 101, 102]
    assert {c: str(t) for c, t in orders.dtypes.items()} == {
        "order_id": "int64",
        "units": "int64",
        "backorder": "Int64",
        "price": "float64",
        "rush": "bool",
        "customer": "object",
        "channel": "category",
        "placed": "datetime64[ns]",
        "note": "object",
    }
    assert orders.loc[101, "backorder"] == 3 and orders.loc[100, "backorder"] is pd.NA
    assert np.isnan(orders.loc[101, "price"]) and pd.isna(orders.loc[101, "customer"])
    assert orders.loc[102, "placed"] == pd.Timestamp("2025-03-02T17:45:30")
    assert pd.isna(orders.loc[101, "placed"])
    assert orders.loc[102, "note"] == "café"


def test_hand_written_payload_round_trips_identically():
    first = DataSource.from_json(FIXTURE.read_text())
    second = DataSource.from_json(first.to_json())
    third = DataSource.from_json(second.to_json_bytes())
    assert second.metadata() == first.metadata() == third.metadata()
    for name in first.tables:
        pd.testing.assert_frame_equal(second.tables[name], first.tables[name], check_exact=True)
        pd.testing.assert_frame_equal(third.tables[name], first.tables[name], check_exact=True)


def test_output_keeps_the_exact_shape_of_the_original_product():
    payload = json.loads(DataSource.from_json(FIXTURE.read_bytes()).to_json())
    original = json.loads(FIXTURE.read_text())
    assert payload.keys() == original.keys() == {"metadata", "tables"}
    assert payload["metadata"] == original["metadata"]
    for name, table in original["tables"].items():
        ours = payload["tables"][name]
        assert ours.keys() == table.keys()
        assert ours["columns"] == table["columns"] and ours["index"] == table["index"]
        assert ours["dtypes"] == table["dtypes"]
        for mine, theirs in zip(ours["data"], table["data"], strict=True):
            assert mine == theirs


def every_dtype_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "int": [1, 2, 3],
            "nullable_int": pd.array([1, None, 3], dtype="Int64"),
            "float": [1.5, np.nan, 0.1 + 0.2],
            "bool": [True, False, True],
            "nullable_bool": pd.array([True, None, False], dtype="boolean"),
            "text": pd.Series(["a", None, "é"], dtype="str"),
            "string": pd.array(["a", None, "b"], dtype="string"),
            "category": pd.Categorical(["x", "y", None]),
            "datetime": pd.to_datetime(["2024-01-01", None, "2024-03-01 12:00:01.5"], format="ISO8601"),
            "utc": pd.to_datetime(["2024-01-01T10:00Z", None, "2024-06-01T12:00Z"], format="ISO8601"),
        },
        index=pd.Index(["r1", "r2", "r3"]),
    )


def test_every_supported_dtype_nan_none_and_a_string_index_round_trip():
    frame = every_dtype_frame()
    ds = DataSource("all dtypes", DataSourceType.DUMMY_DATA, {"t": frame})
    back = DataSource.from_json(ds.to_json_bytes())
    pd.testing.assert_frame_equal(back.tables["t"], frame, check_exact=True)
    assert back.ds_type == DataSourceType.DUMMY_DATA


def test_an_empty_table_round_trips():
    frame = pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="float64")})
    back = DataSource.from_json(DataSource("e", tables={"t": frame}).to_json())
    assert back.tables["t"].columns.tolist() == ["a", "b"] and len(back.tables["t"]) == 0
    assert back.tables["t"]["a"].dtype == "int64"


def test_int_column_with_nulls_from_a_foreign_payload_becomes_nullable():
    payload = {
        "metadata": {"name": "n"},
        "tables": {"t": {"data": [{"a": 1}, {"a": None}], "columns": ["a"], "dtypes": {"a": "int64"}, "index": [0, 1]}},
    }
    assert str(DataSource.from_json(payload).tables["t"]["a"].dtype) == "Int64"


def test_unknown_dtype_is_kept_as_given():
    payload = {
        "metadata": {"name": "n"},
        "tables": {"t": {"data": [{"a": "P1D"}], "columns": ["a"], "dtypes": {"a": "mystery[unit]"}, "index": [0]}},
    }
    assert DataSource.from_json(payload).tables["t"]["a"].tolist() == ["P1D"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"tables": {}}', "needs 'metadata'"),
        (b'{"metadata": {"name": "x"}}', "needs 'tables'"),
        (b'{"metadata": {"name": ""}, "tables": {}}', "must not be empty"),
        (b'{"metadata": {"name": "x", "type": "weird"}, "tables": {}}', "metadata.type"),
        (b'{"metadata": {"name": "x", "creation_datetime": "soon"}, "tables": {}}', "creation_datetime"),
        (b'{"metadata": {"name": "x"}, "tables": {"t": []}}', "table 't' must be an object"),
        (b'{"metadata": {"name": "x"}, "tables": {"t": {"data": [1], "columns": []}}}', "list of records"),
        (
            b'{"metadata": {"name": "x"}, "tables": {"t": {"data": [], "columns": [], "index": [1]}}}',
            "'index' must be a list as long",
        ),
        (
            (
                b'{"metadata": {"name": "x"}, "tables": {"t": {"data": [{"a": "x"}], "columns": ["a"],'
                b' "dtypes": {"a": "int64"}}}}'
            ),
            "column 'a': cannot be read as int64",
        ),
        (
            (
                b'{"metadata": {"name": "x"}, "tables": {"t": {"data": [{"a": "yes"}], "columns": ["a"],'
                b' "dtypes": {"a": "bool"}}}}'
            ),
            "true, false or null",
        ),
    ],
)
def test_wrong_shapes_are_clear_errors(payload, message):
    with pytest.raises(DataFormatError, match=message):
        DataSource.from_json(payload)


def test_derive_makes_an_independent_derived_copy(master_data):
    derived = master_data.derive("Scenario B data")
    assert type(derived) is type(master_data)
    assert (derived.name, derived.ds_type) == ("Scenario B data", DataSourceType.DERIVED_DATA)
    assert derived.id != master_data.id
    derived.get_table("sku_data").loc[0, "daily_picks"] = -1
    assert master_data.get_table("sku_data").loc[0, "daily_picks"] != -1
    pd.testing.assert_frame_equal(derived.get_table("warehouse_layout"), master_data.get_table("warehouse_layout"))


def test_example_master_data_round_trips(master_data):
    back = type(master_data).from_json(master_data.to_json_bytes())
    for name, table in master_data.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], table, check_exact=True)


def load_like_the_original_product(text: str) -> dict[str, pd.DataFrame]:
    """How the original product's DataSource.from_json reads a payload (its documented
    algorithm, restated): records into a frame with the given columns and index,
    then each column converted by the kind of dtype it names."""
    payload = json.loads(text)
    assert {"id", "name", "type", "creation_datetime"} <= set(payload["metadata"])
    tables = {}
    for name, body in payload["tables"].items():
        frame = pd.DataFrame(body["data"], columns=body["columns"], index=body["index"])
        for column, dtype in body["dtypes"].items():
            if "datetime" in dtype:
                frame[column] = pd.to_datetime(frame[column], errors="coerce")
            elif dtype == "category":
                frame[column] = frame[column].astype("category")
            elif "int" in dtype:
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
            else:
                frame[column] = frame[column].astype(dtype)
        tables[name] = frame
    return tables


def test_our_payload_loads_the_way_the_original_product_reads_it():
    frame = every_dtype_frame().drop(columns=["utc"])
    text = DataSource("ours", tables={"t": frame}).to_json()
    loaded = load_like_the_original_product(text)["t"]
    assert loaded.index.tolist() == ["r1", "r2", "r3"]
    assert loaded["int"].tolist() == [1, 2, 3] and loaded["nullable_int"].isna().tolist() == [False, True, False]
    assert loaded["datetime"].iloc[2] == pd.Timestamp("2024-03-01 12:00:01.5")
    assert loaded["category"].dtype == "category" and loaded["bool"].tolist() == [True, False, True]
    assert loaded["float"].iloc[2] == 0.1 + 0.2 and pd.isna(loaded["text"].iloc[1])


@pytest.mark.parametrize(
    "tables",
    [
        {"t": every_dtype_frame()},
        {"empty": pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="float64")})},
    ],
)
def test_the_stored_form_round_trips_and_reads_back_as_the_algomancy_json(tables):
    from algocloud.domain.datasource import stored_to_json

    ds = DataSource("stored", DataSourceType.DERIVED_DATA, tables)
    stored = ds.to_stored_bytes()
    assert stored_to_json(stored) == ds.to_json_bytes()  # byte for byte
    back, expected = DataSource.from_stored(stored), DataSource.from_json(ds.to_json_bytes())
    for name in tables:
        pd.testing.assert_frame_equal(back.tables[name], expected.tables[name], check_exact=True)
    assert (back.id, back.name, back.ds_type) == (ds.id, ds.name, ds.ds_type)


def test_objects_stored_as_algomancy_json_still_load():
    from algocloud.domain.datasource import stored_to_json

    payload = FIXTURE.read_bytes()
    assert DataSource.from_stored(payload).to_json_bytes() == DataSource.from_json(payload).to_json_bytes()
    assert stored_to_json(payload) == payload


def test_a_copy_can_be_changed_without_touching_the_original(master_data):
    clone = master_data.copy()
    table = clone.get_table("sku_data")
    table.loc[0, "daily_picks"] = -1
    table["extra"] = 1
    clone.add_table("new", table)
    original = master_data.get_table("sku_data")
    assert original.loc[0, "daily_picks"] != -1 and "extra" not in original and "new" not in master_data.tables

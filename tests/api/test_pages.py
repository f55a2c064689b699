"""Paged reads of a dataset: its tables, and pages of a table's rows that match the whole."""

import json

import pytest

from algocloud.domain import pages
from tests.api.test_uploads import readme_files, upload


def whole(client, base, key):
    return json.loads(client.get(f"{base}/sessions/main/data/{key}").content)


def test_tables_list_names_rows_and_columns(client, base):
    listed = client.get(f"{base}/sessions/main/data/Master data/tables")
    assert listed.status_code == 200
    tables = {t["name"]: t for t in listed.json()["tables"]}
    full = whole(client, base, "Master data")
    assert set(tables) == set(full["tables"])
    for name, table in tables.items():
        assert table["rows"] == len(full["tables"][name]["data"])
        assert [c["name"] for c in table["columns"]] == full["tables"][name]["columns"]
        assert {c["name"]: c["dtype"] for c in table["columns"]} == full["tables"][name]["dtypes"]


def test_pages_match_the_table_across_chunk_boundaries(client, base, monkeypatch):
    monkeypatch.setattr(pages, "CHUNK_ROWS", 7)  # many chunks in a small table
    client.post(f"{base}/sessions/main/data/Master data/derive", json={"new_key": "chunked"})
    data = whole(client, base, "chunked")["tables"]["sku_data"]["data"]
    url = f"{base}/sessions/main/data/chunked/tables/sku_data/rows"
    collected, offset = [], 0
    while offset is not None:
        page = client.get(url, params={"offset": offset, "limit": 10}).json()
        assert page["total"] == len(data) and len(page["rows"]) <= 10
        collected += page["rows"]
        offset = page["next_offset"]
    assert collected == data
    assert client.get(url, params={"offset": 5, "limit": 3}).json()["rows"] == data[5:8]
    assert client.get(url, params={"offset": len(data)}).json()["rows"] == []
    assert len(client.get(url).json()["rows"]) == min(200, len(data))


def test_a_copied_session_gets_its_pages_on_first_read(client, base):
    client.post(f"{base}/sessions/main/copy", json={"new_display_name": "copy"})
    page = client.get(f"{base}/sessions/copy/data/Master data/tables/sku_data/rows", params={"limit": 2})
    assert (
        page.status_code == 200
        and page.json()["rows"] == whole(client, base, "Master data")["tables"]["sku_data"]["data"][:2]
    )


@pytest.mark.parametrize("params", [{"offset": -1}, {"limit": 0}, {"limit": 1001}, {"offset": "x"}, {"limit": 1.5}])
def test_bad_paging_is_422(client, base, params):
    url = f"{base}/sessions/main/data/Master data/tables/sku_data/rows"
    assert client.get(url, params=params).status_code == 422


def test_unknown_dataset_or_table_is_404(client, base):
    data = f"{base}/sessions/main/data"
    assert client.get(f"{data}/nope/tables").status_code == 404
    assert client.get(f"{data}/Master data/tables/nope/rows").status_code == 404
    assert client.get(f"{data}/nope/tables/sku_data/rows").status_code == 404


def test_a_large_table_pages_with_one_ranged_read(client, backend, base):
    uploads = f"{base}/sessions/main/uploads"
    ids = [upload(client, backend, uploads, name, content) for name, content in readme_files().items()]
    assert client.post(f"{base}/sessions/main/etl", json={"dataset_name": "big", "uploads": ids}).json()["success"]
    url = f"{base}/sessions/main/data/big/tables/sku_data/rows"
    page = client.get(url, params={"offset": 99_950, "limit": 1000}).json()
    assert page["total"] == 100_000 and len(page["rows"]) == 50 and page["next_offset"] is None
    assert page["rows"][-1]["item_id"] == 100_000
    assert client.get(url, params={"offset": 1234, "limit": 1}).json()["rows"][0]["item_id"] == 1235

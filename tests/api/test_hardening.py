"""Hostile inputs (issue 10): a clear 4xx with a detail, never a 500, and nothing changed."""

import json
from pathlib import Path

import pytest

from algocloud.example.generate import DATA_DIR

FIXTURE = Path(__file__).parent.parent / "fixtures" / "algomancy_datasource.json"
LONG = "😀" * 64  # 256 bytes in UTF-8: one over the limit


def state(client, base):
    """What a rejected request must leave as it was."""
    sessions = client.get(f"{base}/sessions").json()
    return sessions, {
        s["id"]: (
            client.get(f"{base}/sessions/{s['id']}/scenarios").json(),
            client.get(f"{base}/sessions/{s['id']}/data").json(),
        )
        for s in sessions["sessions"]
    }


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30, 1e300, 1e19])
def test_integers_outside_64_bits_are_a_400(client, base, value):
    before = state(client, base)
    response = client.post(
        f"{base}/sessions/main/scenarios",
        json={"tag": "big", "dataset_key": "Master data", "algo_name": "Greedy", "algo_params": {"max_moves": value}},
    )
    assert response.status_code == 400 and "64-bit" in response.json()["detail"]
    assert state(client, base) == before


def test_the_largest_64_bit_integer_is_accepted(client, base):
    response = client.post(
        f"{base}/sessions/main/scenarios",
        json={
            "tag": "max",
            "dataset_key": "Master data",
            "algo_name": "Greedy",
            "algo_params": {"max_moves": 2**63 - 1},
        },
    )
    assert response.status_code == 201
    assert client.get(f"{base}/sessions/main/scenarios/{response.json()['id']}").status_code == 200


def test_a_float_beyond_any_float_is_a_400(client, base):
    response = client.post(
        f"{base}/sessions/main/scenarios",
        content=json.dumps(
            {
                "tag": "f",
                "dataset_key": "Master data",
                "algo_name": "Pick Simulation",
                "algo_params": {"demand_factor": 10**400},
            }
        ),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400 and "finite" in response.json()["detail"]


def test_numeric_descriptors_always_carry_min_and_max(client, base):
    greedy = client.get(f"{base}/sessions/main/algorithms/Greedy/parameters").json()["parameters"]
    max_moves = next(p for p in greedy if p["name"] == "max_moves")
    assert max_moves["min"] == 0 and "max" in max_moves and max_moves["max"] is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        (LONG, "bytes"),
        ("a/b", "'/'"),
        ("tab\there", "control"),
        ("   ", None),
    ],
)
def test_names_break_the_rule_with_a_422(client, base, name, fragment):
    before = state(client, base)
    attempts = [
        client.post(f"{base}/sessions", json={"display_name": name}),
        client.patch(f"{base}/sessions/main", json={"display_name": name}),
        client.post(f"{base}/sessions/main/copy", json={"new_display_name": name}),
        client.post(f"{base}/sessions/main/data/Master data/derive", json={"new_key": name}),
        client.post(
            f"{base}/sessions/main/etl",
            data={"dataset_name": name},
            files=[("files", ("warehouse_layout.csv", (DATA_DIR / "warehouse_layout.csv").read_bytes()))],
        ),
    ]
    payload = json.loads(FIXTURE.read_text())
    payload["metadata"]["name"] = name
    attempts.append(client.post(f"{base}/sessions/main/data/from-json", content=json.dumps(payload)))
    if fragment != "'/'":  # tags are not part of any URL
        attempts.append(
            client.post(
                f"{base}/sessions/main/scenarios",
                json={"tag": name, "dataset_key": "Master data", "algo_name": "Instant"},
            )
        )
    for response in attempts:
        assert response.status_code in (400, 422), (response.request.url, response.text)
        detail = response.json()["detail"]
        assert fragment is None or fragment in json.dumps(detail), detail
    assert state(client, base) == before


def test_names_are_normalised(client, base):
    decomposed = "Cafe\u0301"  # "Café" with a combining accent
    created = client.post(f"{base}/sessions", json={"display_name": f"  {decomposed} "})
    assert created.status_code == 201
    assert "Caf\u00e9" in [s["display_name"] for s in created.json()["sessions"]]
    assert client.get(f"{base}/sessions/{decomposed}/data").status_code == 200  # either spelling finds it
    assert client.post(f"{base}/sessions", json={"display_name": "Caf\u00e9"}).status_code == 409
    tagged = client.post(
        f"{base}/sessions/main/scenarios", json={"tag": " a/b ", "dataset_key": "Master data", "algo_name": "Instant"}
    )
    assert tagged.status_code == 201 and tagged.json()["tag"] == "a/b"


def with_dtype(dtype, values):
    payload = json.loads(FIXTURE.read_text())
    payload["metadata"]["name"] = f"odd-{dtype}"
    payload["tables"] = {
        "t": {
            "data": [{"v": v} for v in values],
            "columns": ["v"],
            "dtypes": {"v": dtype},
            "index": list(range(len(values))),
        }
    }
    return json.dumps(payload)


@pytest.mark.parametrize(
    ("dtype", "values"),
    [
        ("complex128", [1.5, 2.0]),
        ("complex128", ["(1+2j)", None]),
        ("timedelta64[ns]", ["1 days", None]),
        ("timedelta64[ns]", [86400000000000, 5]),
        ("string[pyarrow]", ["a", None]),
        ("period[D]", ["2024-01-01"]),
    ],
)
def test_unusual_dtypes_load_as_given_and_read_back(client, base, dtype, values):
    response = client.post(f"{base}/sessions/main/data/from-json", content=with_dtype(dtype, values))
    assert response.status_code == 201, response.text
    back = client.get(f"{base}/sessions/main/data/odd-{dtype}").json()
    assert [r["v"] for r in back["tables"]["t"]["data"]] == values


def test_payloads_no_store_can_hold_are_400(client, base):
    before = state(client, base)
    payload = json.loads(FIXTURE.read_text())
    table = next(iter(payload["tables"].values()))
    numbered = {**table, "columns": list(range(len(table["columns"])))}
    too_many = {f"t{i}": {"data": [], "columns": [], "dtypes": {}, "index": []} for i in range(1001)}
    for tables in ({"numbered": numbered}, too_many, {"x" * 300: table}):
        response = client.post(
            f"{base}/sessions/main/data/from-json", content=json.dumps({**payload, "tables": tables})
        )
        assert response.status_code == 400, response.text
    assert state(client, base) == before


def test_etl_messages_are_capped_and_counted(client, base):
    layout = (DATA_DIR / "warehouse_layout.csv").read_text().splitlines()
    extra = ";".join(f"extra{i}" for i in range(2000))
    wide = "\n".join([f"{layout[0]};{extra}"] + [f"{line};{';' * 1999}" for line in layout[1:]]) + "\n"
    response = client.post(
        f"{base}/sessions/main/etl",
        data={"dataset_name": "wide"},
        files=[
            ("files", ("warehouse_layout.csv", wide.encode())),
            ("files", ("sku_data.csv", (DATA_DIR / "sku_data.csv").read_bytes())),
        ],
    )
    assert response.status_code == 200
    messages = response.json()["messages"]
    assert len(messages) <= 103 and any("more" in m["text"] for m in messages), len(messages)
    assert len(response.content) < 100_000


def test_a_chunked_body_over_the_limit_is_a_413(make_client, base):
    client = make_client(max_request_bytes=1000)

    def chunks():
        for _ in range(10):
            yield b"x" * 500

    before = client.get(f"{base}/sessions/main/data").json()
    response = client.post(f"{base}/sessions/main/data/from-json", content=chunks())
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert client.get(f"{base}/sessions/main/data").json() == before

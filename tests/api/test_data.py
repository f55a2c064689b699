"""Data: list, read, from-json, derive, delete, data parameters, ETL uploads, size limit."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from algocloud.example.generate import DATA_DIR

FIXTURE = Path(__file__).parent.parent / "fixtures" / "algomancy_datasource.json"


@pytest.fixture
def data(base):
    return f"{base}/sessions/main/data"


def scenario_on(client, base, dataset, tag="uses-it"):
    return client.post(
        f"{base}/sessions/main/scenarios", json={"tag": tag, "dataset_key": dataset, "algo_name": "Instant"}
    )


def test_get_dataset_returns_datasource_json(client, data):
    response = client.get(f"{data}/Master data")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["metadata"]["name"] == "Master data" and body["metadata"]["type"] == "master_data"
    assert set(body["tables"]) == {"sku_data", "warehouse_layout"}
    assert len(body["tables"]["sku_data"]["data"]) == 150
    assert body["tables"]["sku_data"]["dtypes"]["item_id"] == "int64"


@pytest.mark.parametrize("accept", ["identity", "gzip;q=0", "gzip;q=0, deflate", "*;q=0", "br"])
def test_get_dataset_without_gzip_is_plain_json(client, data, accept):
    response = client.get(f"{data}/Master data", headers={"accept-encoding": accept})
    assert "content-encoding" not in response.headers
    assert json.loads(response.content)["metadata"]["name"] == "Master data"


def test_a_dataset_too_large_uncompressed_redirects_clients_without_gzip(make_client, data, backend_name):
    client = make_client(max_response_bytes=20_000)  # the gzip form fits, the plain JSON does not
    plain = client.get(f"{data}/Master data", headers={"accept-encoding": "identity"}, follow_redirects=False)
    assert plain.status_code == 307 and "location" in plain.headers
    zipped = client.get(f"{data}/Master data", headers={"accept-encoding": "gzip"}, follow_redirects=False)
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    if backend_name == "embedded":
        followed = client.get(plain.headers["location"])
        assert followed.json()["metadata"]["name"] == "Master data"


def test_unknown_dataset_or_session_is_404(client, base, data):
    for path in (f"{data}/nope", f"{data}/nope/parameters", f"{base}/sessions/nope/data"):
        assert client.get(path).status_code == 404, path
    assert client.delete(f"{data}/nope").status_code == 404
    assert client.post(f"{data}/nope/derive", json={"new_key": "x"}).status_code == 404


def test_data_parameters(client, data):
    body = client.get(f"{data}/Master data/parameters").json()
    assert body["key"] == "Master data"
    assert [p["name"] for p in body["parameters"]] == ["demand_scale", "dock_x", "dock_y"]
    assert body["parameters"][0]["type"] == "float" and body["parameters"][0]["default"] == 1.0


def test_from_json_round_trip_between_sessions(client, base, data):
    payload = client.get(f"{data}/Master data").content
    client.post(f"{base}/sessions", json={"display_name": "other"})
    response = client.post(
        f"{base}/sessions/other/data/from-json", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201 and response.json() == {"keys": ["Master data"]}
    assert client.get(f"{base}/sessions/other/data/Master data").json() == json.loads(payload)


def test_from_json_accepts_the_original_products_payload(client, data):
    response = client.post(f"{data}/from-json", content=FIXTURE.read_bytes())
    assert response.status_code == 201 and "Hand written" in response.json()["keys"]
    tables = client.get(f"{data}/Hand written").json()["tables"]
    assert tables["orders"]["index"] == [100, 101, 102]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty"),
        (b"{oops", "malformed JSON"),
        (b"[]", "JSON object"),
        (b'{"metadata": {}, "tables": {}}', "'name'"),
    ],
)
def test_from_json_rejects_bad_payloads(client, data, body, fragment):
    response = client.post(f"{data}/from-json", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and fragment in response.json()["detail"]
    assert client.get(data).json() == {"keys": ["Master data"]}


def test_from_json_will_not_replace_a_dataset_in_use(client, base, data):
    payload = client.get(f"{data}/Master data").content
    scenario_on(client, base, "Master data")
    assert client.post(f"{data}/from-json", content=payload).status_code == 409


def test_derive(client, data):
    response = client.post(f"{data}/Master data/derive", json={"new_key": "variant"})
    assert response.status_code == 201 and response.json() == {"keys": ["Master data", "variant"]}
    derived = client.get(f"{data}/variant").json()
    assert derived["metadata"]["type"] == "derived_data" and derived["metadata"]["name"] == "variant"
    assert client.post(f"{data}/Master data/derive", json={"new_key": "variant"}).status_code == 409
    assert client.post(f"{data}/Master data/derive", json={"new_key": ""}).status_code == 422
    assert client.post(f"{data}/Master data/derive", json={}).status_code == 422


def test_delete_dataset(client, base, data):
    client.post(f"{data}/Master data/derive", json={"new_key": "spare"})
    assert client.delete(f"{data}/spare").status_code == 204
    assert client.get(data).json() == {"keys": ["Master data"]}


def test_dataset_in_use_cannot_be_deleted_until_its_scenarios_are(client, base, data):
    created = scenario_on(client, base, "Master data").json()
    response = client.delete(f"{data}/Master data")
    assert response.status_code == 409 and "delete them first" in response.json()["detail"]
    client.delete(f"{base}/sessions/main/scenarios/{created['id']}")
    assert client.delete(f"{data}/Master data").status_code == 204


def test_dataset_delete_and_scenario_create_race_never_orphan(client, base, data):
    """Whatever the interleaving, no scenario may end up pointing at a deleted dataset."""
    for round_ in range(5):
        key = f"racy-{round_}"
        client.post(f"{data}/Master data/derive", json={"new_key": key})
        with ThreadPoolExecutor(max_workers=2) as pool:
            create = pool.submit(scenario_on, client, base, key, f"tag-{round_}")
            delete = pool.submit(client.delete, f"{data}/{key}")
        created, deleted = create.result().status_code, delete.result().status_code
        assert (created, deleted) in ((201, 409), (404, 204)), (created, deleted)
        keys = client.get(data).json()["keys"]
        assert (key in keys) == (created == 201)


# -- ETL -------------------------------------------------------------------------
def example_uploads():
    return [("files", (path.name, path.read_bytes(), "text/csv")) for path in sorted(DATA_DIR.glob("*.csv"))]


def test_etl_creates_a_dataset(client, base, data):
    response = client.post(f"{base}/sessions/main/etl", data={"dataset_name": "uploaded"}, files=example_uploads())
    assert response.status_code == 200
    body = response.json()
    assert body["dataset_name"] == "uploaded" and body["success"] is True
    assert body["keys"] == ["Master data", "uploaded"]
    assert {m["level"] for m in body["messages"]} == {"INFO"}
    created = scenario_on(client, base, "uploaded")
    assert created.status_code == 201


def test_etl_rejection_is_200_with_messages_and_no_dataset(client, base, data):
    files = [("files", ("sku_data.csv", b"item_id;sku\n1;a\n", "text/csv"))]
    response = client.post(f"{base}/sessions/main/etl", data={"dataset_name": "bad"}, files=files)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is False and "bad" not in body["keys"]
    errors = [m for m in body["messages"] if m["level"] == "ERROR"]
    assert any(m["column"] == "category" for m in errors)
    assert any("warehouse_layout" in m["text"] for m in errors)


def test_etl_request_errors(client, base):
    url = f"{base}/sessions/main/etl"
    csv = ("files", ("sku_data.csv", b"x", "text/csv"))
    assert client.post(url, data={"dataset_name": "x"}).status_code == 400  # no files at all
    no_files = client.post(url, data={"dataset_name": "x"}, files=[("other", ("a.csv", b"x", "text/csv"))])
    assert no_files.status_code == 400 and "no files" in no_files.json()["detail"]
    bad_ext = client.post(url, data={"dataset_name": "x"}, files=[("files", ("data.parquet", b"x", "x/y"))])
    assert bad_ext.status_code == 400 and "unsupported file type" in bad_ext.json()["detail"]
    missing_name = client.post(url, files=[csv])
    assert missing_name.status_code == 422 and missing_name.json()["detail"][0]["loc"] == ["body", "dataset_name"]
    assert client.post(url, data={"dataset_name": ""}, files=[csv]).status_code == 422
    assert client.post(f"{base}/sessions/nope/etl", data={"dataset_name": "x"}, files=[csv]).status_code == 404


def test_etl_upload_without_filename_is_400(client, base):
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="dataset_name"\r\n\r\nx\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"\r\n\r\n1;2\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    response = client.post(
        f"{base}/sessions/main/etl", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 400 and "filename" in response.json()["detail"]


def test_etl_overwrites_unless_scenarios_reference_the_dataset(client, base):
    url = f"{base}/sessions/main/etl"
    assert client.post(url, data={"dataset_name": "up"}, files=example_uploads()).json()["success"]
    assert client.post(url, data={"dataset_name": "up"}, files=example_uploads()).status_code == 200
    scenario_on(client, base, "up")
    response = client.post(url, data={"dataset_name": "up"}, files=example_uploads())
    assert response.status_code == 409 and "used by scenarios" in response.json()["detail"]


def test_request_over_the_lambda_payload_limit_is_413(make_client, base):
    client = make_client(max_request_bytes=1000)
    response = client.post(f"{base}/sessions/main/data/from-json", content=b"x" * 2000)
    assert response.status_code == 413 and "Lambda payload limit" in response.json()["detail"]


def test_large_dataset_is_served_by_redirect(make_client, base, backend_name):
    client = make_client(max_response_bytes=100)
    response = client.get(f"{base}/sessions/main/data/Master data", follow_redirects=False)
    assert response.status_code == 307
    if backend_name == "aws":
        assert "X-Amz-Signature" in response.headers["location"]
    else:  # the presigned URL is served by the API itself
        followed = client.get(response.headers["location"])
        assert followed.status_code == 200 and followed.headers["content-encoding"] == "gzip"
        assert followed.json()["metadata"]["name"] == "Master data"


def test_from_json_into_an_unknown_session_is_404(client, base):
    response = client.post(f"{base}/sessions/nope/data/from-json", content=FIXTURE.read_bytes())
    assert response.status_code == 404


def test_body_limits_follow_the_backend(client, base, backend_name):
    """On AWS a body crosses API Gateway base64-encoded, so 4.8 MB is already over Lambda's
    6 MB; without Lambda (embedded) it is an ordinary request."""
    from algocloud.limits import LAMBDA_BODY_LIMIT

    assert LAMBDA_BODY_LIMIT * 4 / 3 < 6 * 1024 * 1024
    response = client.post(f"{base}/sessions/main/data/from-json", content=b"x" * 4_800_000)
    if backend_name == "aws":
        assert response.status_code == 413 and "base64" in response.json()["detail"]
    else:
        assert response.status_code == 400 and "malformed JSON" in response.json()["detail"]

"""Direct uploads and ingestion from them, synchronous side (the worker's jobs: tests/worker)."""

import json

import pytest

from algocloud.example.generate import DATA_DIR


@pytest.fixture
def uploads(base):
    return f"{base}/sessions/main/uploads"


def upload(client, backend, uploads, filename, content, size=None):
    answer = client.post(uploads, json={"filename": filename, "size": size or len(content)})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    etags = backend.send_upload(body, content, client)
    if etags:
        parts = [{"part_number": n, "etag": etag} for n, etag in enumerate(etags, start=1)]
        completed = client.post(f"{uploads}/{body['upload_id']}/complete", json={"parts": parts})
        assert completed.status_code == 200, completed.text
    return body["upload_id"]


def example_files():
    return {path.name: path.read_bytes() for path in sorted(DATA_DIR.glob("*.csv"))}


def test_etl_from_uploads_answers_like_the_multipart_form(client, backend, base, uploads):
    ids = [upload(client, backend, uploads, name, content) for name, content in example_files().items()]
    assert client.get(f"{uploads}/{ids[0]}").json()["received"] is True
    response = client.post(f"{base}/sessions/main/etl", json={"dataset_name": "uploaded", "uploads": ids})
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True and response.json()["keys"] == ["Master data", "uploaded"]
    assert client.get(f"{uploads}/{ids[0]}").status_code == 404  # used up
    assert client.get(f"{base}/sessions/main/data/uploaded").json()["metadata"]["name"] == "uploaded"


def readme_files() -> dict[str, bytes]:
    """The README's (and bench/domain_bench.py's) 100,000-row sku_data.csv, 8.8 MB, and the layout."""
    from algocloud.example import generate

    layout = generate.layout_rows()
    sku = generate.to_csv(generate.sku_rows(100_000, layout, seed=11, unique_slots=False), generate.SKU_COLUMNS)
    return {"sku_data.csv": sku, "warehouse_layout.csv": generate.to_csv(layout, generate.LAYOUT_COLUMNS)}


def test_the_8_8_megabyte_csv_gets_in_through_an_upload(client, backend, base, uploads):
    files = readme_files()
    assert len(files["sku_data.csv"]) > 8_700_000
    ids = [upload(client, backend, uploads, name, content) for name, content in files.items()]
    response = client.post(f"{base}/sessions/main/etl", json={"dataset_name": "large", "uploads": ids})
    assert response.status_code == 200 and response.json()["success"], response.text
    tables = client.get(f"{base}/sessions/main/data/large", follow_redirects=False)
    assert tables.status_code in (200, 307)


def test_from_json_names_an_upload(client, backend, base, uploads):
    payload = json.loads(client.get(f"{base}/sessions/main/data/Master data").content)
    payload["metadata"]["name"] = "again"
    upload_id = upload(client, backend, uploads, "again.json", json.dumps(payload).encode())
    response = client.post(f"{base}/sessions/main/data/from-json", json={"upload": upload_id})
    assert response.status_code == 201 and response.json() == {"keys": ["Master data", "again"]}
    again = json.loads(client.get(f"{base}/sessions/main/data/again").content)
    assert again["tables"] == payload["tables"]


def test_upload_requests_are_checked(client, base, uploads):
    for body in (
        {"filename": "a.csv"},
        {"filename": "a.csv", "size": 0},
        {"filename": "a.csv", "size": "5"},
        {"filename": "a.csv", "size": 2 * 1024**3},
        {"filename": "", "size": 5},
    ):
        assert client.post(uploads, json=body).status_code == 422, body
    unsupported = client.post(uploads, json={"filename": "a.exe", "size": 5})
    assert unsupported.status_code == 400 and "unsupported" in unsupported.json()["detail"]
    assert client.post(f"{base}/sessions/nope/uploads", json={"filename": "a.csv", "size": 5}).status_code == 404
    for upload_id in ("nope", "../x", "0" * 32):
        assert client.get(f"{uploads}/{upload_id}").status_code == 404
    etl = f"{base}/sessions/main/etl"
    assert client.post(etl, json={"dataset_name": "x", "uploads": ["0" * 32]}).status_code == 404
    assert client.post(etl, json={"dataset_name": "x", "uploads": []}).status_code == 422
    assert client.post(etl, json={"uploads": ["a"]}).status_code == 422
    assert client.post(f"{base}/sessions/main/data/from-json", json={"upload": "0" * 32}).status_code == 404


def test_an_upload_not_yet_received_is_a_409(client, base, uploads):
    answer = client.post(uploads, json={"filename": "sku_data.csv", "size": 10}).json()
    response = client.post(f"{base}/sessions/main/etl", json={"dataset_name": "x", "uploads": [answer["upload_id"]]})
    assert response.status_code == 409 and "not been received" in response.json()["detail"]
    assert client.delete(f"{uploads}/{answer['upload_id']}").status_code == 204
    assert client.get(f"{uploads}/{answer['upload_id']}").status_code == 404


def test_more_than_the_declared_size_never_gets_in(client, backend, base, uploads):
    content = (DATA_DIR / "warehouse_layout.csv").read_bytes()
    answer = client.post(uploads, json={"filename": "warehouse_layout.csv", "size": 100}).json()
    # The store enforces the signed policy (on aws: S3's content-length-range, emulated over moto).
    refused = backend.post_form(answer["url"], answer["fields"], content, client)
    assert refused.status_code == 400 and "EntityTooLarge" in refused.text
    assert client.get(f"{uploads}/{answer['upload_id']}").json()["received"] is False


def test_multipart_uploads_complete_and_abort(client, backend, base, uploads, monkeypatch):
    from algocloud import limits

    monkeypatch.setattr(limits, "MULTIPART_THRESHOLD", 1000)
    monkeypatch.setattr(limits, "PART_BYTES", 5 * 1024 * 1024)  # S3's smallest part
    files = readme_files()
    assert len(files["sku_data.csv"]) > 5 * 1024 * 1024
    ids = [upload(client, backend, uploads, name, content) for name, content in files.items()]
    response = client.post(f"{base}/sessions/main/etl", json={"dataset_name": "parts", "uploads": ids})
    assert response.status_code == 200 and response.json()["success"], response.text
    started = client.post(uploads, json={"filename": "sku_data.csv", "size": 6 * 1024 * 1024}).json()
    assert started["method"] == "PUT" and len(started["parts"]) == 2
    bad = client.post(f"{uploads}/{started['upload_id']}/complete", json={"parts": [{"part_number": 2, "etag": "x"}]})
    assert bad.status_code == 400
    assert client.delete(f"{uploads}/{started['upload_id']}").status_code == 204
    assert client.get(f"{uploads}/{started['upload_id']}").status_code == 404

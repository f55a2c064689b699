"""A hostile client, second pass (issue 23): every probe a clear 4xx with a `detail` (or S3's
error), quickly, with nothing changed, on both backends (aws: through the gateway emulation)."""

import base64
import json
import time

import pytest

from tests.api.test_hardening import state

LONG_ID = "a" * 1100  # longer than a file name may be
ECHOED = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity", "1e400": "Infinity"}


def raw_json(client, method, url, text):
    return client.request(method, url, content=text, headers={"content-type": "application/json"})


@pytest.fixture
def main(base):
    return f"{base}/sessions/main"


@pytest.fixture
def multipart_upload(client, main, monkeypatch):
    from algocloud import limits

    monkeypatch.setattr(limits, "MULTIPART_THRESHOLD", 1000)
    monkeypatch.setattr(limits, "PART_BYTES", 5 * 1024 * 1024)  # S3's smallest part
    answer = client.post(f"{main}/uploads", json={"filename": "sku_data.csv", "size": 6 * 1024 * 1024})
    assert answer.status_code == 201 and answer.json()["method"] == "PUT"
    return answer.json()


# -- 1. NaN, Infinity, 1e400 -----------------------------------------------------------------
@pytest.mark.parametrize("token", list(ECHOED))
def test_numbers_json_cannot_carry_are_a_422_that_names_them(client, base, main, multipart_upload, token):
    before = state(client, base)
    upload_id = multipart_upload["upload_id"]
    probes = [
        ("POST", f"{base}/sessions", '{"display_name": %s}'),
        ("POST", f"{main}/copy", '{"new_display_name": %s}'),
        ("PATCH", main, '{"display_name": %s}'),
        ("POST", f"{main}/scenarios", '{"tag": %s, "dataset_key": "Master data", "algo_name": "Slow"}'),
        ("POST", f"{main}/data/Master%20data/derive", '{"new_key": %s}'),
        ("POST", f"{main}/uploads", '{"filename": "a.csv", "size": %s}'),
        ("POST", f"{main}/uploads/{upload_id}/complete", '{"parts": [{"part_number": %s, "etag": "x"}]}'),
    ]
    for method, url, body in probes:
        response = raw_json(client, method, url, body % token)
        assert response.status_code == 422, (url, response.text)
        assert ECHOED[token] in [error.get("input") for error in response.json()["detail"]], response.text
    assert state(client, base) == before


def test_a_long_refused_input_is_echoed_cut_short(client, base):
    response = client.post(f"{base}/sessions", json={"display_name": ["x" * 100_000]})
    assert response.status_code == 422 and len(response.content) < 2_000


# -- 2. ids the API never issued ---------------------------------------------------------------
@pytest.mark.parametrize("bad_id", [LONG_ID, "A" * 32, "../" + "0" * 29, "0" * 31])
def test_ids_of_another_form_are_a_404_without_touching_storage(client, base, main, bad_id):
    before = state(client, base)
    for method, url, body in [
        ("GET", f"{main}/uploads/{bad_id}", None),
        ("DELETE", f"{main}/uploads/{bad_id}", None),
        ("POST", f"{main}/uploads/{bad_id}/complete", {"parts": [{"part_number": 1, "etag": "x"}]}),
        ("GET", f"{main}/etl/{bad_id}", None),
    ]:
        started = time.monotonic()
        response = client.request(method, url, json=body)
        assert response.status_code == 404 and "not found" in response.json()["detail"].lower(), (
            method,
            url,
            response.text,
        )
        assert len(response.json()["detail"]) < 200 and time.monotonic() - started < 2
    named = client.post(f"{main}/etl", json={"dataset_name": "x", "uploads": ["a" * 64]})
    assert named.status_code == 404
    assert state(client, base) == before


# -- 5. a part larger than its part size ---------------------------------------------------------
def test_a_part_over_its_size_never_makes_an_upload(client, backend, main, multipart_upload):
    answer, part_size = multipart_upload, multipart_upload["part_size"]
    too_big = b"x" * (part_size + 1024 * 1024)
    url = answer["parts"][0]["url"]
    if backend.name == "embedded":  # the signed part size is enforced at the PUT, before the part is stored
        started = time.monotonic()
        response = backend.put_part(url, too_big, client)
        assert response.status_code == 400 and "EntityTooLarge" in response.json()["detail"]
        assert time.monotonic() - started < 5
        etag = backend.put_part(url, b"x" * part_size, client).headers["ETag"]  # the right size still goes
    else:  # S3 cannot bound a presigned part: completion checks the declared size, and discards
        etag = backend.put_part(url, too_big, client).headers["ETag"]
    tail = backend.put_part(answer["parts"][1]["url"], b"y" * (answer["size"] - part_size), client)
    parts = [{"part_number": 1, "etag": etag}, {"part_number": 2, "etag": tail.headers["ETag"]}]
    completed = client.post(f"{main}/uploads/{answer['upload_id']}/complete", json={"parts": parts})
    if backend.name == "embedded":
        assert completed.status_code == 200 and completed.json()["received_bytes"] == answer["size"]
    else:
        assert completed.status_code == 400 and "more than the" in completed.json()["detail"]
        assert client.get(f"{main}/uploads/{answer['upload_id']}").status_code == 404


def test_a_part_put_after_completion_is_no_such_upload(client, backend, main, multipart_upload):
    answer = multipart_upload
    etags = backend.send_upload(answer, b"z" * answer["size"], client)
    parts = [{"part_number": n, "etag": etag} for n, etag in enumerate(etags, start=1)]
    assert client.post(f"{main}/uploads/{answer['upload_id']}/complete", json={"parts": parts}).status_code == 200
    late = backend.put_part(answer["parts"][0]["url"], b"late", client)
    assert late.status_code == 404 and "NoSuchUpload" in late.text
    assert client.get(f"{main}/uploads/{answer['upload_id']}").json()["received_bytes"] == answer["size"]


# -- 6. one naming rule for uploaded files -------------------------------------------------------
@pytest.mark.parametrize("filename", [".csv", "data", "data.", "data.txt", ".csv.", " .json"])
def test_a_file_name_etl_cannot_read_is_refused_at_the_upload(client, backend, main, main_id, filename):
    before = backend.objects()
    response = client.post(f"{main}/uploads", json={"filename": filename, "size": 10})
    assert response.status_code == 400 and "sku_data.csv" in response.json()["detail"], response.text
    assert backend.objects() == before


def test_the_extension_is_read_whatever_its_case(client, main):
    assert client.post(f"{main}/uploads", json={"filename": "Sku Data.CSV", "size": 10}).status_code == 201


# -- 7. the signed form POST: what S3 checks, on both backends -----------------------------------
def _tampered_key_fields(answer: dict) -> dict:
    fields = dict(answer["fields"])
    fields["key"] = fields["key"].replace("/uploads/", "/datasets/")  # another place under the prefix
    return fields


def test_a_form_post_with_a_rewritten_key_is_refused(client, backend, main, main_id):
    answer = client.post(f"{main}/uploads", json={"filename": "a.csv", "size": 11}).json()
    before = backend.objects()
    response = backend.post_form(answer["url"], _tampered_key_fields(answer), b"slot;x\n1;2\n", client)
    assert response.status_code == 403, response.text
    assert backend.objects() == before


def test_a_form_post_with_a_rewritten_policy_or_size_is_refused(client, backend, main):
    answer = client.post(f"{main}/uploads", json={"filename": "a.csv", "size": 10}).json()
    fields = dict(answer["fields"])
    if backend.name == "aws":
        policy = json.loads(base64.b64decode(fields["policy"]))
        policy["conditions"] = [c for c in policy["conditions"] if "content-length-range" not in c]
        fields["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()
    else:
        fields["max_bytes"] = "1000000"
    before = backend.objects()
    response = backend.post_form(answer["url"], fields, b"x" * 1000, client)
    assert response.status_code in (400, 403), response.text
    assert (
        backend.objects() == before and client.get(f"{main}/uploads/{answer['upload_id']}").json()["received"] is False
    )


def test_a_form_post_within_the_policy_still_arrives(client, backend, main):
    content = b"slot;x\n1;2.5\n"
    answer = client.post(f"{main}/uploads", json={"filename": "a.csv", "size": len(content)}).json()
    assert backend.post_form(answer["url"], answer["fields"], content, client).status_code in (200, 204)
    assert client.get(f"{main}/uploads/{answer['upload_id']}").json()["received_bytes"] == len(content)


# -- 8. cursors, compare, links ------------------------------------------------------------------
def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_cursors_the_api_never_gave_out_are_a_400(client, base, main):
    for index in range(3):
        client.post(f"{main}/scenarios", json={"tag": f"t{index}", "dataset_key": "Master data", "algo_name": "Slow"})
    assert client.post(f"{main}/copy", json={"new_display_name": "other"}).status_code in (200, 201)
    ours = client.get(f"{main}/scenarios", params={"limit": 1}).headers["x-next-cursor"]
    theirs = client.get(f"{base}/sessions/other/scenarios", params={"limit": 1}).headers["x-next-cursor"]
    sessions = client.get(f"{base}/sessions", params={"limit": 1}).headers["x-next-cursor"]
    assert client.get(f"{main}/scenarios", params={"limit": 1, "cursor": ours}).status_code == 200
    payload, mac = ours.split(".")
    for forged in [
        _b64({"a": 1}),
        _b64("ab"),
        _b64(["2026-01-01", "x"]),
        f"{_b64(['9999', 'z'])}.{mac}",  # a position of our own choosing, under a real MAC
        f"{payload}.{mac[:-2]}AA",
        theirs,  # another session's
        sessions,  # another list's
        "%%%",
        "ö",
    ]:
        response = client.get(f"{main}/scenarios", params={"limit": 1, "cursor": forged})
        assert response.status_code == 400 and "cursor" in response.json()["detail"], (forged, response.text)
    assert client.get(f"{base}/sessions", params={"limit": 1, "cursor": ours}).status_code == 400


def test_cursors_are_bound_to_their_tenant():
    from algocloud.domain.cursors import Cursors
    from algocloud.domain.errors import InvalidRequest

    cursors = Cursors(b"k" * 32)
    cursor = cursors.encode("t-1/sessions", ("2026-12-01T00:00:00Z", "id"))
    assert cursors.decode("t-1/sessions", cursor) == ("2026-12-01T00:00:00Z", "id")
    with pytest.raises(InvalidRequest):
        cursors.decode("t-2/sessions", cursor)
    with pytest.raises(InvalidRequest):
        Cursors(b"j" * 32).decode("t-1/sessions", cursor)  # another deployment's key


def test_compare_trims_the_baseline_as_it_trims_the_ids(client, main):
    made = [
        client.post(f"{main}/scenarios", json={"tag": t, "dataset_key": "Master data", "algo_name": "Slow"}).json()
        for t in ("a", "b")
    ]
    ids = f" {made[0]['id']} , {made[1]['id']} "
    trimmed = client.get(f"{main}/scenarios/compare", params={"ids": ids, "baseline": made[0]["id"]})
    spaced = client.get(f"{main}/scenarios/compare", params={"ids": ids, "baseline": f"  {made[0]['id']} "})
    assert trimmed.status_code == spaced.status_code == 200 and spaced.json() == trimmed.json()


def test_links_name_the_public_address_not_the_callers_host(client, base, main, backend_name):
    for index in range(2):
        client.post(f"{main}/scenarios", json={"tag": f"t{index}", "dataset_key": "Master data", "algo_name": "Slow"})
    response = client.get(f"{main}/scenarios", params={"limit": 1}, headers={"Host": "evil.example"})
    link = response.headers["link"]
    assert "evil.example" not in link
    public = (
        "http://testserver"
        if backend_name == "embedded"
        else "https://local0api1.execute-api.us-east-1.amazonaws.com/Prod"
    )
    assert link.startswith(f"<{public}/api/v1/sessions/main/scenarios?"), link
    configured = client.api.state.settings.model_copy(update={"api_public_url": "https://api.example.com/v"})
    client.api.state.settings = configured
    again = client.get(f"{main}/scenarios", params={"limit": 1}, headers={"Host": "evil.example"})
    assert again.headers["link"].startswith("<https://api.example.com/v/api/v1/sessions/main/scenarios?")

"""The AWS request path at its real limits: API Gateway (emulated) -> Mangum -> the app on moto.

Uploads and downloads just under and just over each limit: the app's own
body limit (the largest body whose base64 event fits Lambda's 6 MB), Lambda's
6 MB, API Gateway's 10 MB; and responses that would be over 6 MB encoded,
which are never attempted (a 502 from API Gateway) but linked or redirected.
"""

import json

import pytest

from algocloud.limits import LAMBDA_BODY_LIMIT
from tests.api.test_copy import complete_run
from tests.api.test_data import FIXTURE

pytestmark = pytest.mark.parametrize("backend_name", ["aws"])  # the path only AWS has


def padded(size: int) -> bytes:
    """A valid DataSource JSON payload of exactly `size` bytes (trailing spaces are JSON whitespace)."""
    payload = FIXTURE.read_bytes()
    return payload + b" " * (size - len(payload))


def test_uploads_just_under_and_over_each_limit(client, base):
    url = f"{base}/sessions/main/data/from-json"
    assert client.post(url, content=padded(LAMBDA_BODY_LIMIT)).status_code == 201
    over_app = client.post(url, content=padded(LAMBDA_BODY_LIMIT + 1))
    assert over_app.status_code == 413 and "Lambda payload limit" in over_app.json()["detail"]
    over_lambda = client.post(url, content=padded(4_800_000))  # 6.4 MB once base64-encoded
    assert over_lambda.status_code == 413 and "4.5 MB" in over_lambda.json()["detail"]
    over_edge = client.post(url, content=padded(10 * 1024 * 1024 + 1))
    assert over_edge.status_code == 413 and "10485760" in over_edge.text
    assert client.get(f"{base}/sessions/main/data").json()["keys"] == ["Hand written", "Master data"]


def sku_upload(rows: int) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The example's two files, sku_data with `rows` one-word items."""
    from algocloud.example.generate import DATA_DIR

    layout = (DATA_DIR / "warehouse_layout.csv").read_bytes()
    slots = [line.split(";")[0] for line in layout.decode().splitlines()[1:]]
    lines = ["item_id;sku;description;category;daily_picks;volume;weight;current_slot"]
    lines += [
        f"{i};SKU-{10000 + i};tape;tools;{i % 400 + 1};{i % 60 + 0.5};{i % 30 + 0.25};{slots[i % len(slots)]}"
        for i in range(1, rows + 1)
    ]
    return [
        ("files", ("sku_data.csv", ("\n".join(lines) + "\n").encode(), "text/csv")),
        ("files", ("warehouse_layout.csv", layout, "text/csv")),
    ]


def test_a_dataset_larger_than_a_response_is_redirected_never_a_502(client, base, backend):
    upload = sku_upload(50_000)
    assert sum(len(f[1][1]) for f in upload) < LAMBDA_BODY_LIMIT
    etl = client.post(f"{base}/sessions/main/etl", data={"dataset_name": "big"}, files=upload)
    assert etl.status_code == 200 and etl.json()["success"], etl.text
    plain = client.get(
        f"{base}/sessions/main/data/big", headers={"Accept-Encoding": "identity"}, follow_redirects=False
    )
    assert plain.status_code == 307  # its JSON is over 4.5 MB: read from storage
    stored = json.loads(__import__("gzip").decompress(backend.read_url(plain.headers["location"], client)))
    assert len(stored["tables"]["sku_data"]["data"]) == 50_000
    zipped = client.get(f"{base}/sessions/main/data/big", follow_redirects=False)
    assert zipped.status_code in (200, 307) and zipped.num_bytes_downloaded <= LAMBDA_BODY_LIMIT


def test_a_scenario_list_over_six_megabytes_links_results_instead(client, base, main_id):
    scenarios = f"{base}/sessions/main/scenarios"
    for index in range(30):  # 30 results of 200 KB each: 6 MB of JSON
        made = client.post(
            scenarios, json={"tag": f"t{index}", "dataset_key": "Master data", "algo_name": "Instant"}
        ).json()
        client.post(f"{scenarios}/{made['id']}/run")
        complete_run(client, main_id, made["id"], {"blob": f"{index:03d}" * 66_000}, {})
    for encoding in ("identity", "gzip"):
        response = client.get(scenarios, headers={"Accept-Encoding": encoding})
        assert response.status_code == 200 and len(response.json()) == 30
        assert response.num_bytes_downloaded <= LAMBDA_BODY_LIMIT
        linked = [s for s in response.json() if s.get("result_url")]
        assert 0 < len(linked) < 30


def test_any_other_response_over_the_limit_is_a_413_that_says_what_to_do(make_client, root):
    unlimited = make_client()
    plain = unlimited.get(f"{root}/openapi.json", headers={"Accept-Encoding": "identity"})
    zipped = unlimited.get(f"{root}/openapi.json")
    assert zipped.num_bytes_downloaded < len(plain.content)
    client = make_client(max_response_bytes=zipped.num_bytes_downloaded)  # the gzip form fits exactly
    response = client.get(f"{root}/openapi.json", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 413 and "Lambda response limit" in response.json()["detail"]
    assert client.get(f"{root}/openapi.json").status_code == 200  # gzip brings it under


def test_with_keys_required_the_docs_need_none_and_the_api_one(make_client, root, operator):
    import re

    from devstack.apigateway import config_from_template

    operator.create_tenant("one")
    operator.issue_key("one", "key-one-0123456789abcdef")
    gateway = config_from_template(
        stage="Prod", stage_throttle=None, require_api_key=True, api_keys=operator.gateway_keys
    )
    client = make_client(gateway=gateway, require_api_key=True)
    html = client.get(f"{root}/docs").text
    for asset in re.findall(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""", html):
        assert client.get(asset).status_code == 200, asset
    assert client.get(f"{root}/redoc").status_code == 200
    assert client.get(f"{root}/api/v1/sessions").status_code == 403
    listed = client.get(f"{root}/api/v1/sessions", headers={"x-api-key": "key-one-0123456789abcdef"})
    assert listed.status_code == 200 and listed.json()["sessions"][0]["display_name"] == "main"

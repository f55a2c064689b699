"""Optional pages of the session and scenario lists (limit, cursor, X-Next-Cursor / Link)."""

import pytest


def walk(client, url, limit):
    items, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get(url, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body if isinstance(body, list) else body["sessions"]
        pages += 1
        cursor = response.headers.get("x-next-cursor")
        if cursor is None:
            assert "link" not in response.headers
            return items, pages
        assert 'rel="next"' in response.headers["link"] and f"cursor={cursor}" in response.headers["link"]


def test_scenario_pages_add_up_to_the_whole_list(client, base):
    url = f"{base}/sessions/main/scenarios"
    for index in range(7):
        client.post(url, json={"tag": f"t{index}", "dataset_key": "Master data", "algo_name": "Instant"})
    whole = client.get(url)
    assert "x-next-cursor" not in whole.headers  # no limit: the reference's whole list
    items, pages = walk(client, url, 3)
    assert items == whole.json() and pages == 3


def test_a_page_resumes_right_after_deletes(client, base):
    url = f"{base}/sessions/main/scenarios"
    made = [
        client.post(url, json={"tag": f"t{i}", "dataset_key": "Master data", "algo_name": "Instant"}).json()
        for i in range(5)
    ]
    first = client.get(url, params={"limit": 2})
    assert [s["id"] for s in first.json()] == [m["id"] for m in made[:2]]
    client.delete(f"{url}/{made[1]['id']}")  # the page's last item goes
    client.delete(f"{url}/{made[2]['id']}")
    second = client.get(url, params={"limit": 2, "cursor": first.headers["x-next-cursor"]})
    assert [s["id"] for s in second.json()] == [m["id"] for m in made[3:5]]


def test_session_pages_keep_the_default(client, base):
    for name in ("b", "c", "d"):
        client.post(f"{base}/sessions", json={"display_name": name})
    whole = client.get(f"{base}/sessions").json()
    first = client.get(f"{base}/sessions", params={"limit": 1})
    assert first.json() == {"sessions": whole["sessions"][:1], "default": whole["default"]}
    items, pages = walk(client, f"{base}/sessions", 2)
    assert items == whole["sessions"] and pages == 2


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 0}, 422),
        ({"limit": 1001}, 422),
        ({"limit": "x"}, 422),
        ({"limit": 2, "cursor": "not-a-cursor"}, 400),
        ({"cursor": "W10"}, 400),
    ],
)
def test_bad_pages_are_4xx(client, base, params, status):
    for url in (f"{base}/sessions", f"{base}/sessions/main/scenarios"):
        response = client.get(url, params=params)
        assert response.status_code == status, (url, params, response.text)

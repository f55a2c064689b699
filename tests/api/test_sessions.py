"""Sessions: the default session, create, copy, rename, delete, health."""

from concurrent.futures import ThreadPoolExecutor


def names(body):
    return [s["display_name"] for s in body["sessions"]]


def test_first_request_creates_main_with_master_data(client, base):
    body = client.get(f"{base}/sessions").json()
    assert names(body) == ["main"] and body["default"] == body["sessions"][0]["id"]
    assert client.get(f"{base}/sessions/main/data").json() == {"keys": ["Master data"]}
    assert client.get(f"{base}/sessions/{body['default']}/data").json() == {"keys": ["Master data"]}


def test_health_at_both_paths(client, root, base):
    for path in (f"{root}/health", f"{base}/health"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "title": "Warehouse slotting (example)", "sessions": ["main"]}


def test_create_session_returns_the_refreshed_list(client, base):
    response = client.post(f"{base}/sessions", json={"display_name": "what-if"})
    assert response.status_code == 201
    assert names(response.json()) == ["main", "what-if"]
    assert client.get(f"{base}/sessions/what-if/data").json() == {"keys": []}


def test_create_session_errors(client, base):
    assert client.post(f"{base}/sessions", json={"display_name": "main"}).status_code == 409
    for body in ({}, {"display_name": ""}, {"display_name": "   "}, {"display_name": 5}, {"name": "x"}):
        response = client.post(f"{base}/sessions", json=body)
        assert response.status_code == 422, body
        assert isinstance(response.json()["detail"], list)
    assert names(client.get(f"{base}/sessions").json()) == ["main"]


def test_twenty_concurrent_creates_with_one_name_give_one_winner(client, base):
    client.get(f"{base}/sessions")
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(
            pool.map(lambda _: client.post(f"{base}/sessions", json={"display_name": "race"}).status_code, range(20))
        )
    assert sorted(codes) == [201] + [409] * 19
    assert names(client.get(f"{base}/sessions").json()).count("race") == 1


def test_rename(client, base, main_id):
    client.post(f"{base}/sessions", json={"display_name": "other"})
    response = client.patch(f"{base}/sessions/main", json={"display_name": "renamed"})
    assert response.status_code == 200 and response.json() == {"id": main_id, "display_name": "renamed"}
    assert client.get(f"{base}/sessions/renamed/data").status_code == 200
    assert client.get(f"{base}/sessions/main/data").status_code == 404
    assert client.patch(f"{base}/sessions/{main_id}", json={"display_name": "other"}).status_code == 409
    assert client.patch(f"{base}/sessions/nope", json={"display_name": "x"}).status_code == 404
    assert client.patch(f"{base}/sessions/{main_id}", json={}).status_code == 422
    assert client.patch(f"{base}/sessions/{main_id}", json={"display_name": "renamed"}).status_code == 200
    # the old name is free again
    assert client.post(f"{base}/sessions", json={"display_name": "main"}).status_code == 201


def test_delete_session_and_the_last_session_rule(client, base, main_id):
    client.post(f"{base}/sessions", json={"display_name": "b"})
    response = client.delete(f"{base}/sessions/{main_id}")
    assert response.status_code == 200 and names(response.json()) == ["b"]
    assert client.get(f"{base}/sessions/{main_id}/scenarios").status_code == 404
    assert client.delete(f"{base}/sessions/{main_id}").status_code == 404
    response = client.delete(f"{base}/sessions/b")
    assert response.status_code == 200
    body = response.json()
    assert names(body) == ["main"] and body["default"] not in (main_id,)
    assert client.get(f"{base}/sessions/main/data").json() == {"keys": ["Master data"]}


def test_delete_removes_contents(client, base, main_id):
    client.post(
        f"{base}/sessions/main/scenarios", json={"tag": "a", "dataset_key": "Master data", "algo_name": "Instant"}
    )
    client.post(f"{base}/sessions", json={"display_name": "keep"})
    client.delete(f"{base}/sessions/main")
    # a new session with the old name starts empty
    client.post(f"{base}/sessions", json={"display_name": "main"})
    assert client.get(f"{base}/sessions/main/scenarios").json() == []
    assert client.get(f"{base}/sessions/main/data").json() == {"keys": []}


def test_session_creation_can_be_disabled(make_client, base):
    client = make_client(allow_session_create=False)
    assert client.post(f"{base}/sessions", json={"display_name": "x"}).status_code == 403
    assert client.post(f"{base}/sessions/main/copy", json={"new_display_name": "x"}).status_code == 403
    assert client.get(f"{base}/sessions").status_code == 200


def test_racing_cold_starts_bootstrap_the_tenant_once(make_client, base):
    """Two containers' first requests at once: one main, one Master data."""
    from algocloud.usecases import sessions

    clients = [make_client() for _ in range(6)]

    def first_request(client):
        sessions._bootstrapped.clear()  # every "container" starts cold
        return client.get(f"{base}/sessions").status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(first_request, clients)) == [200] * 6
    body = clients[0].get(f"{base}/sessions").json()
    assert names(body) == ["main"]
    assert clients[0].get(f"{base}/sessions/main/data").json() == {"keys": ["Master data"]}


def test_cors_allows_the_configured_origins(make_client, base):
    client = make_client(cors_origins=("https://app.example.com",))
    preflight = client.options(
        f"{base}/sessions", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    other = client.get(f"{base}/sessions", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers

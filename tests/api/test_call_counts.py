"""Every read endpoint makes the same number of AWS calls with 1 or with 200 scenarios."""

from collections import Counter

import pytest


@pytest.fixture
def counted(client, backend_name, root):
    """Counts AWS API calls made through the app's clients (botocore event hooks)."""
    from api import deps

    if backend_name != "aws":
        pytest.skip("counts AWS API calls")
    client.get(f"{root}/health")  # build the adapters and bootstrap the tenant first
    calls = Counter()
    built = deps.adapters(client.api.state.settings)
    for adapter in (
        getattr(built.stores.scenarios, "_inner", built.stores.scenarios),
        built.blobs,
        built.queue,
    ):  # below publishing
        inner = next(v for k, v in vars(adapter).items() if k in ("_db", "_s3", "_sqs"))
        inner.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))

    def measure(method, path, **kwargs):
        calls.clear()
        response = getattr(client, method)(root + path, **kwargs)
        assert response.status_code < 400, response.text
        return sum(calls.values()), dict(calls)

    return measure


READS = [
    "/api/v1/sessions",
    "/api/v1/health",
    "/api/v1/sessions/main/scenarios",
    "/api/v1/sessions/main/scenarios/{id}",
    "/api/v1/sessions/main/scenarios/{id}/status",
    "/api/v1/sessions/main/processing",
    "/api/v1/sessions/main/data",
    "/api/v1/sessions/main/algorithms",
    "/api/v1/sessions/main/data/Master data/parameters",
]


def read_costs(counted, scenario_id):
    return {path: counted("get", path.format(id=scenario_id)) for path in READS}


def test_read_endpoints_do_not_grow_with_the_number_of_scenarios(client, counted, root):
    url = f"{root}/api/v1/sessions/main/scenarios"
    first = client.post(url, json={"tag": "s0", "dataset_key": "Master data", "algo_name": "Instant"}).json()
    with_one = read_costs(counted, first["id"])
    for index in range(1, 200):
        client.post(url, json={"tag": f"s{index}", "dataset_key": "Master data", "algo_name": "Instant"})
    assert len(client.get(url).json()) == 200
    with_200 = read_costs(counted, first["id"])
    assert with_200 == with_one
    # and the absolute numbers stay small: a session lookup plus one or two reads
    assert all(total <= 3 for total, _ in with_one.values()), with_one
    assert with_one["/api/v1/sessions/main/scenarios"][1] == {"GetItem": 1, "Query": 1}

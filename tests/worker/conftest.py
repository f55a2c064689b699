import threading

import pytest

from devstack.driver import QueueDriver


@pytest.fixture
def worker(client):
    """The worker's executor on the same adapters as the API client (progress writes every 0.2 s)."""
    from algocloud.appconfig import load_app_config
    from algocloud.execution.registry import in_process_executor
    from api import deps

    adapters = deps.adapters(client.api.state.settings)
    return in_process_executor(load_app_config(), adapters.stores, adapters.blobs, adapters.accounts, 0.2)


@pytest.fixture
def stores(client):
    """The stores the API and the worker share."""
    from api import deps

    return deps.adapters(client.api.state.settings).stores


@pytest.fixture
def handlers(worker):
    from worker.lambda_adapter import build_handlers

    return build_handlers(worker)


@pytest.fixture
def driver(backend, handlers):
    return QueueDriver(backend.runs, handlers[0], visibility_timeout=30)


@pytest.fixture
def dead_letters(backend, handlers):
    return QueueDriver(backend.dead_letters, handlers[1])


@pytest.fixture
def background(driver):
    """Run the driver in a thread while the test polls through the API."""
    stop = threading.Event()
    errors = []

    def loop():
        while not stop.is_set():
            try:
                if not driver.poll_once():
                    stop.wait(0.05)
            except Exception as exc:  # noqa: BLE001 - surfaced by the test
                errors.append(exc)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)
    assert not errors, errors


@pytest.fixture
def api(client, base):
    """Small helpers over the HTTP API of session `main`."""

    class Api:
        scenarios = f"{base}/sessions/main/scenarios"

        def create(self, algo="Instant", params=None, tag=None, session="main", dataset="Master data"):
            url = f"{base}/sessions/{session}/scenarios"
            body = {
                "tag": tag or f"{algo}-{id(params)}-{len(client.get(url).json())}",
                "dataset_key": dataset,
                "algo_name": algo,
                "algo_params": params,
            }
            response = client.post(url, json=body)
            assert response.status_code == 201, response.text
            return response.json()

        def run(self, scenario, session="main"):
            response = client.post(f"{base}/sessions/{session}/scenarios/{scenario['id']}/run")
            assert response.status_code == 202, response.text
            return response.json()

        def get(self, scenario, session="main"):
            return client.get(f"{base}/sessions/{session}/scenarios/{scenario['id']}").json()

        def status(self, scenario, session="main"):
            return client.get(f"{base}/sessions/{session}/scenarios/{scenario['id']}/status").json()

    return Api()

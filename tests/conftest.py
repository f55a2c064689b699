import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from algocloud.appconfig import load_app_config
from tests.support import (
    BUCKET,
    CONNECTIONS_TABLE,
    QUEUE,
    REGION,
    TABLE,
    WEBHOOK_QUEUE,
    Backend,
    clear_caches,
    create_resources,
    serialise_moto_requests,
)

serialise_moto_requests()

ROOT = Path(__file__).resolve().parents[1]

BACKENDS = ["aws", "embedded"]
STAGE = "Prod"


@pytest.fixture(scope="session")
def config():
    return load_app_config()


@pytest.fixture(scope="session")
def master_data(config):
    return config.seed_datasets()[0]


@pytest.fixture
def aws_env(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        clear_caches()
        yield create_resources()
    clear_caches()


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    """Every API and worker test runs on both adapter sets."""
    return request.param


@pytest.fixture
def settings(request, backend_name, tmp_path):
    from api.settings import ApiSettings

    if backend_name == "aws":
        queue_url, _dlq = request.getfixturevalue("aws_env")
        yield ApiSettings(
            backend="aws",
            table_name=TABLE,
            bucket_name=BUCKET,
            queue_url=queue_url,
            connections_table=CONNECTIONS_TABLE,
            webhook_queue_url=queue_url.replace(QUEUE, WEBHOOK_QUEUE),
        )
        return
    clear_caches()
    yield ApiSettings(backend="embedded", state_dir=tmp_path / "state", public_url="http://testserver")
    clear_caches()


@pytest.fixture
def backend(request, settings):
    """What tests look at below the API: raw records, objects, queue contents."""
    return Backend.for_settings(settings, request)


@pytest.fixture
def make_client(settings):
    """A client of the app as deployed: on the aws backend through API Gateway and the Lambda handler."""
    from api.main import create_app

    def make(gateway=None, **overrides):
        app = create_app(settings.model_copy(update=overrides))
        if settings.backend != "aws":
            from devstack.local_storage import with_local_storage

            client = TestClient(with_local_storage(app))
        else:
            from api.lambda_adapter import build_handler
            from devstack.apigateway import RestApiGateway, config_from_template

            # The template's stage and gateway responses; throttling only where a test asks for it.
            gateway = gateway or config_from_template(stage=STAGE, stage_throttle=None)
            client = TestClient(RestApiGateway(build_handler(app), gateway))
        client.api = app  # the FastAPI app behind it, for its settings
        return client

    return make


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def root(backend_name):
    """Where the app is: behind the stage on API Gateway."""
    return f"/{STAGE}" if backend_name == "aws" else ""


@pytest.fixture
def base(root):
    return f"{root}/api/v1"


@pytest.fixture
def sqs(aws_env):
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def main_id(client, base):
    return client.get(f"{base}/sessions").json()["default"]


@pytest.fixture
def accounts(settings):
    """Tenants, keys and usage, on the backend's store (as the app sees them)."""
    from api import deps

    return deps.adapters(settings).accounts


@pytest.fixture
def operator(aws_env, accounts):
    """The operator (algocloud-admin's core) on moto's API Gateway: a usage plan, keys in it.
    `operator.gateway_keys` is what the API Gateway emulator reads the keys from."""
    from algocloud.adapters.aws.apigateway import ApiGatewayKeys
    from algocloud.usecases.operator import Operator
    from devstack.local_keys import KeySource, ensure_usage_plan

    apigateway = boto3.client("apigateway", region_name=REGION)
    plan = ensure_usage_plan(apigateway, rate=1000, burst=1000, daily_quota=100_000)
    made = Operator(accounts, ApiGatewayKeys(lambda: apigateway, plan))
    made.gateway_keys = KeySource(apigateway, plan)  # type: ignore[attr-defined]
    return made


# -- the reference frontend in headless Chromium (tests/test_events_on_local_stack.py, test_signin_on_local_stack.py)
class _Frontend(SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(ROOT / "frontend"), **kwargs)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def frontend():
    """The reference frontend, served from an origin of its own."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Frontend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's chromium and chromium-driver, installed when missing)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    subprocess.run(["bash", str(ROOT / "scripts" / "install-chromium.sh")], check=True)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1400"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    yield driver
    driver.quit()

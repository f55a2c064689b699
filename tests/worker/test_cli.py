"""The `algocloud` CLI end to end against the app (through API Gateway on the aws backend)."""

import json

import pytest
from typer.testing import CliRunner

from algocloud.example.generate import DATA_DIR
from algocloud_client import Client, cli


@pytest.fixture
def run(client, base, monkeypatch, background):
    """Invoke the CLI with its client on the test app (and a worker running in the background)."""
    monkeypatch.setattr(cli, "Client", lambda url, api_key=None: Client(f"http://testserver{base}", http=client))
    runner = CliRunner()

    def invoke(*args: str) -> str:
        result = runner.invoke(cli.app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_create_run_wait_compare_and_plot(run, tmp_path):
    made = [json.loads(run("--json", "scenarios", "create", tag, "--dataset", "Master data", "--algorithm", algo))
            for tag, algo in (("greedy", "Greedy"), ("as-is", "As-is"), ("slow", "Slow"))]
    for scenario in made[:2]:
        assert json.loads(run("--json", "scenarios", "run", scenario["id"], "--wait"))["status"] == "complete"
    assert "greedy" in run("scenarios", "compare", made[0]["id"], made[1]["id"])
    chart = tmp_path / "kpis.png"
    compared = json.loads(run("--json", "scenarios", "compare", made[0]["id"], made[1]["id"],
                              "--baseline", made[1]["id"], "--plot", str(chart)))
    from matplotlib import image

    pixels = image.imread(chart)
    assert pixels.shape[1] > pixels.shape[0] * len(compared["kpis"]) * 0.8  # one chart per KPI, side by side
    run("scenarios", "run", made[2]["id"])
    assert json.loads(run("--json", "scenarios", "cancel", made[2]["id"]))["error"] == "cancelled"


@pytest.mark.parametrize("backend_name", ["embedded"])  # S3's upload URLs are not this test client's
def test_sessions_upload_and_get(run):
    assert "main" in run("sessions")
    files = [str(path) for path in sorted(DATA_DIR.glob("*.csv"))]
    assert "read 150 rows" in run("data", "upload", *files, "--dataset", "uploaded")
    assert json.loads(run("data", "get", "uploaded"))["metadata"]["name"] == "uploaded"


def test_an_api_error_is_a_message_and_exit_code_1(client, base, monkeypatch):
    monkeypatch.setattr(cli, "Client", lambda url, api_key=None: Client(f"http://testserver{base}", http=client))
    result = CliRunner().invoke(cli.app, ["scenarios", "cancel", "nope"])
    assert result.exit_code == 1 and "error 404" in result.output

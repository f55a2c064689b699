"""The `algocloud` command end to end against the local stack (a subprocess on free ports, both
backends; on aws with an API key required, uploads going to the emulated S3 over real HTTP)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from algocloud.example.generate import DATA_DIR
from tests.test_local_stack import Stack, free_port

API_KEY = "cli-test-key-0123456789"


@pytest.fixture(scope="module", params=["embedded", "aws"])
def algocloud(request, tmp_path_factory):
    """Runs `python -m algocloud_client ARGS…` (the `algocloud` command) against a stack of this module."""
    mode = request.param
    api_key = API_KEY if mode == "aws" else None
    state = tmp_path_factory.mktemp(f"stack-{mode}") / "state"
    stack = Stack(state, free_port(), free_port(), mode=mode, api_key=api_key).start()
    env = {**os.environ, "ALGOCLOUD_URL": stack.base, "COLUMNS": "200"}
    if mode == "aws":
        env["ALGOCLOUD_API_KEY"] = API_KEY

    def run(*args: str, expect: int = 0) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "algocloud_client", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == expect, done.stdout + done.stderr
        return done.stdout + done.stderr

    run.keyed = api_key is not None
    run.base, run.api_key = stack.base, api_key
    yield run
    code, _out, err = stack.stop()
    assert code == 0 and "Traceback" not in err, err


def bars_in(png) -> int:
    """The bars drawn, read back from the PNG: runs of bar colour (green: best, gray: others) at
    least 20 px wide, along a row just above the bars' common base line."""
    pixels = image.imread(png)[:, :, :3]
    green, gray = np.array([0x2C, 0xA0, 0x2C]) / 255, np.array([0x7F, 0x7F, 0x7F]) / 255
    is_bar = (np.abs(pixels - green).sum(axis=2) < 0.05) | (np.abs(pixels - gray).sum(axis=2) < 0.05)

    def runs(row) -> list[int]:
        edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(int), [0]])))
        return [int(stop - start) for start, stop in zip(edges[::2], edges[1::2], strict=True)]

    base = max(y for y in range(is_bar.shape[0]) if any(width >= 20 for width in runs(is_bar[y])))
    return sum(width >= 20 for width in runs(is_bar[base - 2]))


def test_upload_run_wait_cancel_compare_and_plot(algocloud, tmp_path):
    assert "main" in algocloud("sessions")
    if algocloud.keyed:  # API Gateway's own refusal, with the detail of the template's gateway response
        assert "error 403" in algocloud("--api-key", "wrong", "sessions", expect=1)
    files = [str(path) for path in sorted(DATA_DIR.glob("*.csv"))]
    assert "read 150 rows" in algocloud("data", "upload", *files, "--dataset", "uploaded")
    assert json.loads(algocloud("data", "get", "uploaded"))["metadata"]["name"] == "uploaded"

    made = {
        tag: json.loads(
            algocloud("--json", "scenarios", "create", tag, "--dataset", "uploaded", "--algorithm", algorithm, *params)
        )["id"]
        for tag, algorithm, params in (
            ("greedy", "Greedy", ()),
            ("as-is", "As-is", ()),
            ("long", "Slow", ("--param", "duration=60")),
        )
    }
    for tag in ("greedy", "as-is"):
        assert json.loads(algocloud("--json", "scenarios", "run", made[tag], "--wait"))["status"] == "complete"

    algocloud("scenarios", "run", made["long"])
    cancelled = json.loads(algocloud("--json", "scenarios", "cancel", made["long"]))
    assert cancelled["status"] == "failed" and cancelled["error"] == "cancelled"
    assert "error 409" in algocloud("scenarios", "cancel", made["long"], expect=1)

    chart = tmp_path / "kpis.png"
    compared = json.loads(
        algocloud(
            "--json",
            "scenarios",
            "compare",
            made["greedy"],
            made["as-is"],
            made["long"],
            "--baseline",
            made["as-is"],
            "--plot",
            str(chart),
        )
    )
    assert [s["id"] for s in compared["not_compared"]] == [made["long"]]  # not complete: reported, not dropped
    values = [value for kpi in compared["kpis"] for value in kpi["values"].values()]
    assert len(values) == 2 * len(compared["kpis"]) and len(compared["kpis"]) == 4
    assert bars_in(chart) == sum(1 for value in values if value)  # a bar per scenario and KPI (0: no bar)
    assert "greedy" in algocloud("scenarios", "compare", made["greedy"], made["as-is"])
    sweep = tmp_path / "sweep.png"
    experiment = json.loads(
        algocloud(
            "--json", "experiments", "run", "--algorithm", "Pick Simulation", "--dataset", "Master data",
            "--grid", "policy=as-is,greedy", "--repeat", "2", "--baseline-set", "1",
            "--accept", "Travel distance<=+1%", "--wait",
        )
    )  # fmt: skip
    assert experiment["done"] and experiment["counts"] == {"complete": 4}
    assert [s["acceptance"]["passed"] for s in experiment["parameter_sets"]] == [False, True]  # as-is travels more
    report = algocloud("experiments", "report", experiment["id"], "--plot", str(sweep))
    assert "policy=greedy" in report and sweep.stat().st_size > 0
    listed = {s["tag"]: s for s in json.loads(algocloud("--json", "scenarios", "list"))}
    assert listed["greedy"]["result_available"] and not listed["long"]["result_available"]
    assert "result" not in listed["greedy"] and "greedy" in algocloud("scenarios", "list")


def test_the_operator_issues_keys_on_the_local_aws_stack_and_they_survive_a_restart(tmp_path):
    """`algocloud-admin` against the emulation, as the stack's start-up line says to run it."""
    import httpx

    ports = free_port(), free_port()
    state = tmp_path / "state"
    stack = Stack(state, *ports, mode="aws", api_key=API_KEY).start()
    admin_env = {
        **os.environ,
        "TABLE_NAME": "algocloud-local",
        "USAGE_PLAN_ID": "localplan1",
        "ALGOCLOUD_AWS_ENDPOINT_URL": f"http://127.0.0.1:{ports[1]}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    def admin(*args: str) -> dict:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("algocloud-admin")), *args],
            env=admin_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)

    try:
        tenant = admin("tenants", "create", "acme")
        issued = admin("keys", "issue", "acme")
        headers = {"x-api-key": issued["value"]}
        assert httpx.post(f"{stack.base}/sessions", json={"display_name": "plans"}, headers=headers).status_code == 201
    finally:
        code, out, _err = stack.stop()
    assert code == 0 and "USAGE_PLAN_ID=localplan1" in out  # the operator line it printed

    stack = Stack(state, *ports, mode="aws", api_key=API_KEY).start()
    try:
        listed = httpx.get(f"{stack.base}/sessions", headers=headers)
        assert [s["display_name"] for s in listed.json()["sessions"]] == ["main", "plans"]
        usage = httpx.get(f"{stack.base}/usage", headers=headers).json()
        assert usage["tenant"] == tenant["id"] and usage["totals"]["api_requests"] is None
        admin("keys", "revoke", issued["key_id"])
        assert httpx.get(f"{stack.base}/sessions", headers=headers).status_code == 403
        # the stack's own key (tenant "local") is unaffected
        assert httpx.get(f"{stack.base}/sessions", headers={"x-api-key": API_KEY}).status_code == 200
    finally:
        code, _out, err = stack.stop()
    assert code == 0 and "Traceback" not in err, err


def test_the_async_client_uploads_runs_and_compares_on_the_stack(algocloud, tmp_path):
    """The library itself over real HTTP (on aws: the upload goes to the emulated S3's presigned POST)."""
    import asyncio

    from algocloud_client import AsyncClient, models

    big = tmp_path / "sku_data.csv"
    big.write_bytes((DATA_DIR / "sku_data.csv").read_bytes())

    async def story() -> tuple[models.Scenario, models.Comparison, list[int]]:
        sent: list[int] = []
        async with AsyncClient(algocloud.base, api_key=algocloud.api_key) as api:
            sid = (await api.sessions()).default
            upload_id = await api.upload(sid, big)
            assert (await api.upload_status(sid, upload_id)).received
            made = [
                await api.create_scenario(sid, tag, "Master data", algo)
                for tag, algo in (("a", "Greedy"), ("b", "As-is"))
            ]
            for scenario in made:
                await api.run(sid, scenario.id)
            done = [await api.wait(sid, s.id, poll=0.1, timeout=60, on_status=lambda s: sent.append(1)) for s in made]
            compared = await api.compare(sid, [s.id for s in made], baseline=made[1].id)
            return done[0], compared, sent

    done, compared, polls = asyncio.run(story())
    assert done.status == models.Status.COMPLETE and polls
    assert [row.id for row in compared.ranking] and compared.baseline

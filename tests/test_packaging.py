"""The project is installable (one wheel from the Lambda import roots), and an application module
outside the tree runs on it (ALGOCLOUD_APP)."""

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MY_APP = textwrap.dedent("""
    from dataclasses import replace

    from algocloud.example.app import build_config as example


    def build_config():
        return replace(example(), title="My own app")
""")

PROBE = textwrap.dedent("""
    import algocloud, api
    from fastapi.testclient import TestClient
    from api.main import create_app

    health = TestClient(create_app()).get("/api/v1/health").json()
    print(health["title"], algocloud.__file__, api.__file__)
""")


def test_the_wheel_holds_every_package_and_runs_an_app_from_outside_the_tree(tmp_path):
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("algocloud-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    for module in (
        "algocloud/usecases/scenarios.py",
        "algocloud/adapters/embedded/stores.py",
        "api/main.py",
        "api/routers/scenarios.py",
        "worker/handler.py",
        "devstack/__main__.py",
        "algocloud/example/data/sku_data.csv",
    ):
        assert module in names, module
    assert "algocloud-admin = algocloud.admin:app" in entry_points

    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "my_app.py").write_text(MY_APP)
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path / 'site'}{os.pathsep}{tmp_path / 'apps'}",
        "ALGOCLOUD_APP": "my_app",
        "ALGOCLOUD_BACKEND": "embedded",
        "ALGOCLOUD_STATE_DIR": str(tmp_path / "state"),
    }
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert probe.returncode == 0, probe.stderr
    title, *files = probe.stdout.split("\n")[0].rsplit(" ", 2)
    assert title == "My own app" and all(f.startswith(str(tmp_path / "site")) for f in files)

"""A client generated from /openapi.json (openapi-python-client) type-checks, and reads the live
responses of the app into its typed models."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.parametrize("backend_name", ["embedded"])  # the document is the same on both

PROGRAM = textwrap.dedent('''
    """Drives the app through the generated client; every answer is a typed model."""
    import httpx

    from generated import Client
    from generated.api.scenarios import (compare_scenarios, create_scenario, get_scenario, list_scenarios,
                                         scenario_status)
    from generated.api.sessions import list_sessions
    from generated.models import Comparison, Scenario, ScenarioBody, ScenarioStatus, SessionList, Status


    def drive(http: httpx.Client) -> list[str]:
        client = Client(base_url="http://testserver")
        client.set_httpx_client(http)
        sessions = list_sessions.sync(client=client)
        assert isinstance(sessions, SessionList)
        sid: str = sessions.default
        made: list[str] = []
        for tag in ("a", "b"):
            body = ScenarioBody(tag=tag, dataset_key="Master data", algo_name="Instant")
            scenario = create_scenario.sync(sid, client=client, body=body)
            assert isinstance(scenario, Scenario) and scenario.status == Status.CREATED
            made.append(scenario.id)
        status = scenario_status.sync(sid, made[0], client=client)
        assert isinstance(status, ScenarioStatus) and status.progress == 0.0
        full = get_scenario.sync(sid, made[0], client=client)
        assert isinstance(full, Scenario) and full.algorithm.name == "Instant"
        listed = list_scenarios.sync(sid, client=client)
        assert isinstance(listed, list) and [s.id for s in listed] == made
        compared = compare_scenarios.sync(sid, client=client, ids=",".join(made))
        assert isinstance(compared, Comparison) and len(compared.not_compared) == 2
        return [s.tag for s in listed]
''')


def test_a_generated_client_type_checks_and_reads_live_answers(client, root, tmp_path):
    schema = client.get(f"{root}/openapi.json").json()
    (tmp_path / "openapi.json").write_text(json.dumps(schema))
    bin_dir = Path(sys.executable).parent
    environment = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            "openapi.json",
            "--output-path",
            "generated",
            "--meta",
            "none",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout, generated.stdout  # every schema turned into a model
    (tmp_path / "program.py").write_text(PROGRAM)
    # Strict over the program and the generated models and operations; the generator's own
    # client.py template has strict-mode findings of its own (its *args in __exit__), not ours.
    (tmp_path / "mypy.ini").write_text("[mypy]\nstrict = True\n\n[mypy-generated.client]\nignore_errors = True\n")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--config-file", "mypy.ini", "program.py"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import program  # type: ignore[import-not-found]

        assert program.drive(client) == ["a", "b"]
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "program" or m.startswith("generated")]:
            del sys.modules[name]

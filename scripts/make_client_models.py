"""Writes the Python client's models (clients/python/algocloud_client/models.py) from the API's
OpenAPI document, so the client's types are the server's (rerun after changing api/models.py or
api/schemas.py; a test fails while the file is stale).

    .venv/bin/python scripts/make_client_models.py [--check]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "clients" / "python" / "algocloud_client" / "models.py"
OPTIONS = [
    "--input-file-type",
    "openapi",
    "--output-model-type",
    "pydantic_v2.BaseModel",
    "--target-python-version",
    "3.11",  # the client's requires-python
    "--use-standard-collections",
    "--use-union-operator",
    "--field-constraints",
    "--extra-fields",
    "allow",  # the server may add fields; old clients keep working
    "--use-schema-description",
    "--use-field-description",
    "--disable-timestamp",
    "--capitalise-enum-members",
    "--formatters",
    "ruff-format",
    "ruff-check",
]


def openapi_document() -> dict:
    sys.path[:0] = [str(ROOT / "shared"), str(ROOT / "functions" / "api")]
    with tempfile.TemporaryDirectory() as state:
        os.environ.update(ALGOCLOUD_BACKEND="embedded", ALGOCLOUD_STATE_DIR=state)
        from api.main import create_app

        return create_app().openapi()


def generated_models() -> str:
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "openapi.json", MODELS.parent / ".models.generated.py"
        source.write_text(json.dumps(openapi_document()))
        codegen = Path(sys.executable).with_name("datamodel-codegen")
        try:
            # Written beside models.py so that ruff formats it with this project's settings.
            subprocess.run(
                [str(codegen), "--input", str(source), "--output", str(target), *OPTIONS],
                check=True,
                capture_output=True,
                text=True,
            )
            text = target.read_text()
        finally:
            target.unlink(missing_ok=True)
    header = (
        '"""The API\'s request and response models, generated from its OpenAPI document by\n'
        'scripts/make_client_models.py (datamodel-code-generator): do not edit."""\n'
    )
    text = header + text.split("\n", 3)[3]  # the generator's header names a temporary file
    # Formatted as `ruff format` formats this project (the generator's own formatting differs).
    ruff = Path(sys.executable).with_name("ruff")
    formatted = subprocess.run(
        [str(ruff), "format", "--stdin-filename", str(MODELS), "-"],
        input=text,
        check=True,
        capture_output=True,
        text=True,
    )
    return formatted.stdout


def main() -> int:
    text = generated_models()
    if "--check" in sys.argv:
        if MODELS.read_text() != text:
            print(f"{MODELS.relative_to(ROOT)} is stale: run scripts/make_client_models.py", file=sys.stderr)
            return 1
        return 0
    MODELS.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

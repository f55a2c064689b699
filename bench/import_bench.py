"""Cold import time of each handler with and without compiled .pyc, and artefact sizes.

    .venv/bin/python bench/import_bench.py

Lambda's code directories are read-only, so without shipped .pyc every cold
start compiles every module it imports. This lays out what Lambda gets — a
function directory and the layer's python/ directory, each installed from its
pinned requirements with --no-deps, as the sam build Makefiles do, but with
this machine's wheels — twice: with .pyc compiled like the Makefiles
(unchecked-hash) and without. Fresh interpreters then import each handler
with bytecode writing off, as on Lambda. (That the imports succeed also shows
each requirements file is complete.) Also prints the sizes of .aws-sam/build
after `make build` (the arm64 artefacts).
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBES = {
    "api handler (FastAPI, boto3; no pandas)": "import api.handler",
    "worker handler (Powertools, boto3)": "import worker.handler",
    # On Lambda with tracing active the Powertools Tracer also loads the X-Ray SDK.
    "api handler, X-Ray tracing on": "import os; os.environ['AWS_LAMBDA_FUNCTION_NAME'] = 'api'; import api.handler",
    "pandas + openpyxl (first ETL or run)": "import pandas, openpyxl",
}
ENV = {
    "TABLE_NAME": "t",
    "BUCKET_NAME": "b",
    "QUEUE_URL": "q",
    "AWS_DEFAULT_REGION": "us-east-1",
    "PYTHONDONTWRITEBYTECODE": "1",
}


PARTS = {  # directory in the Lambda layout: (requirements file, code package)
    "layer": (ROOT / "shared" / "requirements.txt", ROOT / "shared" / "algocloud"),
    "api": (ROOT / "functions" / "api" / "requirements.txt", ROOT / "functions" / "api" / "api"),
    "worker": (ROOT / "functions" / "worker" / "requirements.txt", ROOT / "functions" / "worker" / "worker"),
}
FUNCTION_OF = {"api handler": "api", "worker handler": "worker"}


def build_tree(target: Path, compiled: bool) -> None:
    for part, (requirements, package) in PARTS.items():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--target",
                str(target / part),
                "-r",
                str(requirements),
            ],
            check=True,
        )
        shutil.copytree(package, target / part / package.name, ignore=shutil.ignore_patterns("__pycache__"))
    for cache in list(target.rglob("__pycache__")):
        shutil.rmtree(cache)
    if compiled:
        compileall.compile_dir(
            target, quiet=1, workers=0, invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH
        )


def time_import(tree: Path, label: str, statement: str, repeats: int = 5) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    function = next((part for prefix, part in FUNCTION_OF.items() if label.startswith(prefix)), "api")
    # /var/task (the function) before /opt/python (the layer), as on Lambda
    env = {**os.environ, **ENV, "PYTHONPATH": os.pathsep.join([str(tree / function), str(tree / "layer")])}
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-S", "-c", code], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(repeats)
    ]
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for compiled in (False, True):
            trees[compiled] = Path(tmp) / ("pyc" if compiled else "source")
            build_tree(trees[compiled], compiled)
        print(f"{'cold import':45} {'no .pyc':>9} {'with .pyc':>10}")
        for label, statement in PROBES.items():
            without, with_pyc = (time_import(trees[c], label, statement) for c in (False, True))
            print(f"{label:45} {without * 1000:7.0f} ms {with_pyc * 1000:8.0f} ms")
    build = ROOT / ".aws-sam" / "build"
    if build.exists():
        print("\nsam build artefacts (unzipped; Lambda's limit is 250 MB for function + layers):")
        for artefact in sorted(build.iterdir()):
            if artefact.is_dir():
                size = sum(f.stat().st_size for f in artefact.rglob("*") if f.is_file())
                print(f"  {artefact.name:22} {size / 2**20:7.1f} MiB")
    else:
        print("\n(run `make build` first to also print the artefact sizes)")


if __name__ == "__main__":
    main()

"""Cold start: the domain and the example config must not import pandas or openpyxl."""

import re
import subprocess
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"

PROBE = """
import sys
import algocloud.domain.parameters, algocloud.domain.algorithms, algocloud.domain.kpis
import algocloud.domain.datasource, algocloud.domain.etl, algocloud.domain.scenario
import algocloud.domain.runner, algocloud.domain.config
from algocloud.appconfig import load_app_config
config = load_app_config()
config.new_scenario("t", "Master data", "Slow", {"duration": 2})
heavy = sorted(m for m in ("pandas", "numpy", "openpyxl", "boto3", "botocore") if m in sys.modules)
print(",".join(heavy))
"""


def test_domain_and_config_import_without_pandas_openpyxl_or_boto3():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=SHARED, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_domain_has_no_boto3_import_anywhere():
    aws_import = re.compile(r"^\s*(import|from)\s+(boto3|botocore|aioboto3)\b", re.MULTILINE)
    for path in (SHARED / "algocloud" / "domain").rglob("*.py"):
        assert not aws_import.search(path.read_text()), path

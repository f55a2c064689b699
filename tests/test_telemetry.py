"""On Lambda the handlers are traced (X-Ray via the Powertools Tracer); elsewhere the X-Ray SDK is
never imported (its import is most of the tracing's cold-start cost)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import sys
from algocloud.telemetry import TRACING, instrumented

class Context:
    function_name, memory_limit_in_mb, aws_request_id = "api", 1769, "r-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api"

answer = instrumented(lambda event, context: {"statusCode": 200})({}, Context())
print(TRACING, "aws_xray_sdk" in sys.modules, answer["statusCode"])
"""


def probe(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_FUNCTION_NAME"}
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={**environment, "PYTHONPATH": str(ROOT / "shared"), **env},
    )
    return done.stdout.strip()


def test_traced_on_lambda_only():
    assert probe(AWS_LAMBDA_FUNCTION_NAME="algocloud-api") == "True True 200"
    assert probe(AWS_LAMBDA_FUNCTION_NAME="algocloud-api", POWERTOOLS_TRACE_DISABLED="true") == "False False 200"
    assert probe() == "False False 200"

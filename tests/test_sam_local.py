"""What `sam local` needs to run against the local AWS emulation (`make local ARGS="--aws"`).

sam local cannot run here (no Docker); these check that its inputs agree with
the template and with the emulation, so they work where Docker does.
"""

import json
from pathlib import Path

from algocloud.adapters.settings import BackendSettings
from algocloud.run_message import RunMessage
from devstack.aws_stack import NAMES
from devstack.stack import parse_args
from devstack.template import load_template

EVENTS = Path(__file__).resolve().parents[1] / "events"


def test_the_env_vars_file_sets_only_declared_variables_pointing_at_the_emulation():
    template = load_template()
    declared = set(template["Globals"]["Function"]["Environment"]["Variables"])
    values = json.loads((EVENTS / "local-env.json").read_text())["Parameters"]
    assert set(values) <= declared  # sam local overrides declared variables only
    endpoint = f"http://127.0.0.1:{parse_args([]).aws_port}"
    assert values["ALGOCLOUD_AWS_ENDPOINT_URL"] == endpoint
    assert values["TABLE_NAME"] == NAMES["Table"] and values["BUCKET_NAME"] == NAMES["Bucket"]
    assert values["QUEUE_URL"] == f"{endpoint}/123456789012/{NAMES['RunQueue']}"


def test_the_endpoint_variable_is_unset_when_empty_as_on_aws():
    common = {"table_name": "t", "bucket_name": "b", "queue_url": "q"}
    assert BackendSettings(**common, algocloud_aws_endpoint_url="").aws_endpoint_url is None
    assert BackendSettings(**common, algocloud_aws_endpoint_url="http://x:1").aws_endpoint_url == "http://x:1"


def test_the_sqs_event_is_a_fifo_batch_of_run_messages():
    records = json.loads((EVENTS / "sqs-run-batch.json").read_text())["Records"]
    assert records
    for record in records:
        message = RunMessage.from_body(record["body"])
        assert record["attributes"]["MessageGroupId"] == message.group_id
        assert record["attributes"]["MessageDeduplicationId"] == message.deduplication_id
        assert record["attributes"]["SequenceNumber"].isdigit()
        assert record["eventSourceARN"].endswith(f":{NAMES['RunQueue']}")
        for name in ("session_id", "scenario_id", "run_id"):
            __import__("uuid").UUID(getattr(message, name))

"""Generated requests for every operation of the OpenAPI document: no 5xx, and every
response matches the documented schema.

Path parameters are pinned to things that exist (session `main`, its dataset,
a scenario, an algorithm), so the generated bodies and query strings reach the
code behind the 404 checks; made-up ids are covered by the hand-written tests.
On the aws backend the requests go through API Gateway and the Lambda handler.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

EXAMPLES_PER_OPERATION = 30


@pytest.fixture
def real_ids(client, base):
    scenario = client.post(
        f"{base}/sessions/main/scenarios", json={"tag": "existing", "dataset_key": "Master data", "algo_name": "Slow"}
    ).json()
    return {"sid": "main", "scenario_id": scenario["id"], "key": "Master data", "name": "Slow"}


def test_no_server_error_and_responses_match_the_schema(client, root, real_ids):
    from hypothesis import given

    schema = schemathesis.openapi.from_asgi(f"{root}/openapi.json", client.app)
    failures = []
    operations = [loaded.ok() for loaded in schema.get_all_operations()]
    # Valid requests everywhere; invalid ones where there is a body to get wrong (path
    # parameters are free-form strings, so only bodies can be made invalid).
    runs = [(op, GenerationMode.POSITIVE) for op in operations]
    runs += [(op, GenerationMode.NEGATIVE) for op in operations if len(op.body)]
    for operation, mode in runs:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            if case.path_parameters:
                case.path_parameters.update({k: v for k, v in real_ids.items() if k in case.path_parameters})
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
            failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)

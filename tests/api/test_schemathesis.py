"""Generated requests for every operation of the OpenAPI document: no 5xx, and every
response matches the documented schema.

Path parameters are pinned to things that exist (session `main`, its dataset,
a scenario, an algorithm), so the generated bodies and query strings reach the
code behind the 404 checks; made-up ids are covered by the hand-written tests.
On the aws backend the requests go through API Gateway and the Lambda handler.
"""

import json

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
    hook = client.post(f"{base}/webhooks", json={"url": "https://example.com/hook"}).json()
    return {"sid": "main", "scenario_id": scenario["id"], "key": "Master data", "name": "Slow", "hook_id": hook["id"]}


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


NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e400")  # JSON cannot carry them; Python's parser reads them


def _operations(client, root):
    document = client.get(f"{root}/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _fill(path: str, real_ids: dict) -> str:
    for name, value in real_ids.items():
        path = path.replace("{" + name + "}", value.replace(" ", "%20"))
    return path.replace("{upload_id}", "0" * 32).replace("{job_id}", "0" * 32).replace("{table}", "sku_data")


def test_every_json_body_field_refuses_numbers_json_cannot_carry(client, root, real_ids):
    """A hand-written complement to the generated requests (which never send NaN): each field of
    each operation's example body, set to NaN, ±Infinity or 1e400, is a 4xx with a detail."""
    failures, probed = [], set()
    for path, method, operation in _operations(client, root):
        content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        examples = content.get("schema", {}).get("examples") or content.get("examples") or []
        example = examples[0] if isinstance(examples, list) and examples else None
        if not isinstance(example, dict):
            continue
        for field in example:
            probed.add(f"{method.upper()} {path} {field}")
            for token in NON_FINITE:
                body = json.dumps({**example, field: "__non_finite__"}).replace('"__non_finite__"', token)
                response = client.request(
                    method, f"{root}{_fill(path, real_ids)}", content=body, headers={"content-type": "application/json"}
                )
                if not 400 <= response.status_code < 500 or "detail" not in response.json():
                    failures.append(
                        f"{method.upper()} {path} {field}={token}: {response.status_code} {response.text[:200]}"
                    )
    assert not failures, "\n".join(failures)


def test_every_operation_refuses_headers_over_api_gateways_limit(client, root, real_ids, backend_name):
    failures = []
    for path, method, _operation in _operations(client, root):
        response = client.request(method, f"{root}{_fill(path, real_ids)}", headers={"x-padding": "a" * 11_000})
        expected = 431 if backend_name == "embedded" else 413  # aws: API Gateway's REQUEST_TOO_LARGE
        if response.status_code != expected or "detail" not in response.json():
            failures.append(f"{method.upper()} {path}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)

"""template.yaml: the security and reliability properties the deployment depends on."""

import re
from pathlib import Path

import pytest

from devstack.template import load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
PARAMETERS = TEMPLATE["Parameters"]


def props(logical_id):
    return RESOURCES[logical_id]["Properties"]


def test_table_is_on_demand_encrypted_and_recoverable():
    table = props("Table")
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    assert RESOURCES["Table"]["DeletionPolicy"] == "Retain"


def test_bucket_is_private_encrypted_tls_only_and_cleans_abandoned_uploads():
    bucket = props("Bucket")
    assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert any("AbortIncompleteMultipartUpload" in r for r in bucket["LifecycleConfiguration"]["Rules"])
    [policy] = resources_of_type(TEMPLATE, "AWS::S3::BucketPolicy").values()
    assert policy["Bucket"] == {"Ref": "Bucket"}
    [deny] = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Action"] == "s3:*"


def test_run_queue_has_a_dead_letter_queue_and_a_long_enough_visibility_timeout():
    queue, dlq = props("RunQueue"), props("RunDeadLetterQueue")
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["RunDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 5
    assert queue["VisibilityTimeout"] >= 6 * props("WorkerFunction")["Timeout"]
    assert dlq["VisibilityTimeout"] >= 6 * props("DeadLetterFunction")["Timeout"]
    assert queue["FifoQueue"] is True and dlq["FifoQueue"] is True  # one message group per session
    assert queue["SqsManagedSseEnabled"] and dlq["SqsManagedSseEnabled"]
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]


def test_worker_concurrency_is_capped_within_its_reservation():
    worker = props("WorkerFunction")
    runs = worker["Events"]["Runs"]["Properties"]
    assert runs["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "WorkerMaxConcurrency"}
    assert worker["ReservedConcurrentExecutions"] == {"Ref": "WorkerReservedConcurrency"}
    assert PARAMETERS["WorkerMaxConcurrency"]["Default"] <= PARAMETERS["WorkerReservedConcurrency"]["Default"]
    assert PARAMETERS["WorkerMaxConcurrency"]["MinValue"] >= 2  # Lambda's minimum for MaximumConcurrency
    for function in ("WorkerFunction", "DeadLetterFunction"):
        for event in props(function)["Events"].values():
            assert event["Type"] == "SQS"
            assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_dead_letter_queue_depth_raises_an_alarm():
    alarm = props("DeadLetterAlarm")
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["RunDeadLetterQueue", "QueueName"]}
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"


def policy_statements():
    """Each function's statements: its own, and those of the template's managed policies it names."""
    managed = {name: props(name)["PolicyDocument"] for name in resources_of_type(TEMPLATE, "AWS::IAM::ManagedPolicy")}
    for name, function in resources_of_type(TEMPLATE, "AWS::Serverless::Function").items():
        for policy in function.get("Policies", []):
            if isinstance(policy, dict) and policy.get("Ref") in managed:
                policy = managed[policy["Ref"]]
            assert isinstance(policy, dict) and "Statement" in policy, f"{name}: only explicit statements"
            for statement in policy["Statement"]:
                if "Fn::If" in statement:  # a statement only some deployments have: check the one they get
                    statement = statement["Fn::If"][1]
                yield name, statement


@pytest.mark.parametrize(("function", "statement"), list(policy_statements()))
def test_least_privilege_no_wildcards(function, statement):
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    assert all("*" not in action for action in actions), (function, actions)
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    assert "*" not in resources, function


def test_only_the_api_may_send_runs_and_the_dead_letter_handler_touches_no_objects():
    def actions(function):
        return {
            a
            for _, s in policy_statements()
            if _ == function
            for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        }

    def run_queue_actions(function):
        run_queue = {"Fn::GetAtt": ["RunQueue", "Arn"]}
        return {
            a
            for _, s in policy_statements()
            if _ == function and s["Resource"] == run_queue
            for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        }

    assert "sqs:SendMessage" in run_queue_actions("ApiFunction")
    # SAM adds the poller policy; the worker itself only keeps its runs' messages hidden (heartbeat)
    assert run_queue_actions("WorkerFunction") == {"sqs:ChangeMessageVisibility", "sqs:GetQueueUrl"}
    # every function that changes a status may queue webhook deliveries, and only those
    webhook_queue = {"Fn::GetAtt": ["WebhookQueue", "Arn"]}
    senders = {f for f, s in policy_statements() if s["Resource"] == webhook_queue}
    assert senders == {"ApiFunction", "WorkerFunction", "DeadLetterFunction", "ReconcilerFunction", "WebhookFunction"}
    assert not any(a.startswith("s3:") for a in actions("DeadLetterFunction"))


def test_functions_are_python313_with_the_shared_layer_and_real_handlers():
    glob = TEMPLATE["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13" and glob["Layers"] == [{"Ref": "SharedLayer"}]
    assert RESOURCES["SharedLayer"]["Properties"]["ContentUri"] == "shared/"
    for function in resources_of_type(TEMPLATE, "AWS::Serverless::Function").values():
        module, attribute = function["Handler"].rsplit(".", 1)
        path = ROOT / function["CodeUri"] / (module.replace(".", "/") + ".py")
        assert path.exists(), path
        assert re.search(rf"^[\w, ]*\b{attribute}\b[\w, ]* =", path.read_text(), re.MULTILINE), function


def test_api_accepts_uploads_and_logs_access():
    api = props("Api")
    assert "multipart~1form-data" in api["BinaryMediaTypes"]
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert api["MethodSettings"][0]["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    assert api["StageName"] == {"Ref": "StageName"} and PARAMETERS["StageName"]["Default"] == "Prod"


def test_outputs_name_what_a_deployer_needs():
    assert {"ApiUrl", "DocsUrl", "TableName", "BucketName", "RunQueueUrl"} <= set(TEMPLATE["Outputs"])


def test_function_settings_come_from_parameters():
    api_env = props("ApiFunction")["Environment"]["Variables"]
    assert api_env == {
        "CORS_ORIGINS": {"Ref": "CorsOrigins"},
        "ALLOW_SESSION_CREATE": {"Ref": "AllowSessionCreate"},
        "REQUIRE_API_KEY": {"Fn::If": ["ApiKeysRequired", "true", "false"]},
        "USAGE_PLAN_ID": {"Ref": "UsagePlan"},
        "OIDC_ISSUER": {"Fn::If": ["SignInOn", ISSUER, ""]},
        "OIDC_AUDIENCE": {"Fn::If": ["SignInOn", AUDIENCE, ""]},
    }
    authorizer_env = props("AuthorizerFunction")["Environment"]["Variables"]
    assert authorizer_env == {"OIDC_ISSUER": ISSUER, "OIDC_AUDIENCE": AUDIENCE}
    assert set(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]) >= {
        "TABLE_NAME",
        "BUCKET_NAME",
        "QUEUE_URL",
    }
    assert {
        "StageName",
        "WorkerMaxConcurrency",
        "CorsOrigins",
        "LogRetentionDays",
        "AllowSessionCreate",
        "AuthMode",
    } <= set(PARAMETERS)


ISSUER = {
    "Fn::If": [
        "OwnUserPool",
        {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"},
        {"Ref": "SignInIssuer"},
    ]
}
AUDIENCE = {"Fn::If": ["OwnUserPool", {"Ref": "UserPoolClient"}, {"Ref": "SignInAudience"}]}


def test_a_default_deployment_lets_no_anonymous_caller_in():
    """Secure by default: `sam deploy` with the defaults gives an API that needs a key on every
    operation but the documentation and CORS preflights; opening it is an explicit AuthMode=none."""
    assert PARAMETERS["AuthMode"]["Default"] == "key"
    assert TEMPLATE["Conditions"]["ApiKeysRequired"] == {"Fn::Equals": [{"Ref": "AuthMode"}, "key"]}
    [api] = [r["Properties"] for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    condition, signed_in, otherwise = api["Auth"]["Fn::If"]
    assert condition == "SignInOn" and signed_in["DefaultAuthorizer"] == "SignIn"
    assert otherwise == {"ApiKeyRequired": {"Fn::If": ["ApiKeysRequired", True, False]}}


@pytest.mark.parametrize("mode", ["signin"])
def test_sign_in_puts_the_authorizer_on_every_method_but_the_preflight_and_the_documentation(mode):
    """AuthMode=signin, after LanguageExtensions and SAM: the Lambda authorizer (identity: the
    Authorization header, cached a minute) guards every method; a Cognito user pool and its public
    client come with it when no external issuer is named."""
    output = translated(False, mode)
    body = output["Resources"]["Api"]["Properties"]["Body"]
    authorizer = body["securityDefinitions"]["SignIn"]["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "request" and authorizer["identitySource"] == "method.request.header.Authorization"
    assert authorizer["authorizerResultTtlInSeconds"] == 60
    for path, methods in body["paths"].items():
        for method, operation in methods.items():
            opened = method == "options" or path in {
                "/docs",
                "/redoc",
                "/openapi.json",
                "/static-offline-docs/{proxy+}",
            }
            assert operation.get("security") == ([{"NONE": []}] if opened else [{"SignIn": []}]), (path, method)
    client = next(r["Properties"] for r in output["Resources"].values() if r["Type"] == "AWS::Cognito::UserPoolClient")
    assert client["GenerateSecret"] is False and client["AllowedOAuthFlows"] == ["code"]


def test_local_resources_follow_the_template(aws_env):
    import boto3

    from tests.support import REGION, TABLE

    table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == props("Table")["KeySchema"]
    queue_url, _dlq = aws_env
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["All"]
    )["Attributes"]
    assert int(attributes["VisibilityTimeout"]) == props("RunQueue")["VisibilityTimeout"]
    assert attributes["FifoQueue"] == "true"
    assert '"maxReceiveCount": 5' in attributes["RedrivePolicy"]


SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"


def translated(require_api_key: bool, mode: str | None = None) -> dict:
    """The template after the SAM transform (run in the SAM CLI's own environment)."""
    import json
    import subprocess

    if not SAM_PYTHON.exists():
        pytest.skip("needs the SAM CLI environment: run `make check-template` (part of `make test`)")
    args = [str(SAM_PYTHON), str(ROOT / "scripts" / "translate_template.py")]
    if require_api_key:
        args.append("--require-api-key")
    if mode:
        args += ["--auth-mode", mode]
    return json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


@pytest.mark.parametrize("require_api_key", [True, False])
def test_api_keys_guard_every_method_but_the_cors_preflight(require_api_key):
    output = translated(require_api_key)
    paths = output["Resources"]["Api"]["Properties"]["Body"]["paths"]
    any_method = "x-amazon-apigateway-any-method"
    for path in ("/", "/{proxy+}"):
        assert bool(paths[path][any_method].get("security")) is require_api_key
    assert not paths["/{proxy+}"]["options"].get("security")
    kinds = {resource["Type"] for resource in output["Resources"].values()}
    assert {"AWS::ApiGateway::UsagePlan", "AWS::Lambda::EventSourceMapping"} <= kinds
    # keys are issued per tenant by the operator (algocloud-admin), never by the template
    assert "AWS::ApiGateway::ApiKey" not in kinds
    [plan] = [r["Properties"] for r in output["Resources"].values() if r["Type"] == "AWS::ApiGateway::UsagePlan"]
    [stage] = plan["ApiStages"]
    assert stage["ApiId"] == {"Ref": "Api"} and output["Outputs"]["UsagePlanId"]["Value"] == {"Ref": "UsagePlan"}


def test_the_worker_event_source_reports_partial_failures_and_caps_concurrency():
    output = translated(False)
    mappings = [r["Properties"] for r in output["Resources"].values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    runs = next(m for m in mappings if m["EventSourceArn"] == {"Fn::GetAtt": ["RunQueue", "Arn"]})
    assert runs["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert runs["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "WorkerMaxConcurrency"}}


def test_tracing_one_service_name_and_metrics_on_every_function():
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Tracing"] == "Active" and props("Api")["TracingEnabled"] is True
    variables = globals_["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "algocloud" and variables["ALGOCLOUD_METRICS"] == "true"
    assert all(
        "Tracing" not in p and "POWERTOOLS_SERVICE_NAME" not in p.get("Environment", {}).get("Variables", {})
        for p in resources_of_type(TEMPLATE, "AWS::Serverless::Function").values()
    )  # nothing overrides


def test_alarms_watch_5xx_worker_errors_throttles_queue_age_and_dead_letters():
    alarms = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm")
    watched = {(a["Namespace"], a["MetricName"]) for a in alarms.values() if "MetricName" in a}
    assert {
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/Lambda", "Errors"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    } <= watched
    throttles = [a for a in alarms.values() if "Metrics" in a]
    assert throttles and {
        q["MetricStat"]["Metric"]["MetricName"] for q in throttles[0]["Metrics"] if "MetricStat" in q
    } == {"Throttles"}
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms.values())
    api_5xx = next(a for a in alarms.values() if a.get("MetricName") == "5XXError")
    assert {"Name": "ApiName", "Value": props("Api")["Name"]} in api_5xx["Dimensions"]


def test_the_dashboard_is_valid_json_over_the_deployments_metrics():
    import json

    [dashboard] = resources_of_type(TEMPLATE, "AWS::CloudWatch::Dashboard").values()
    body, variables = dashboard["DashboardBody"]["Fn::Sub"]
    names = set(re.findall(r"\$\{([^}]+)\}", body))
    assert names <= set(variables) | set(RESOURCES) | set(PARAMETERS) | {"AWS::Region"}
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    metrics = {m[1] for w in widgets for m in w["properties"]["metrics"] if m[0] not in (".", "...")}
    # the functions' own metrics (algocloud/telemetry.py and the worker's adapter) are on it
    assert {"Runs", "RunDuration", "QueueWait", "IngestedBytes", "ComputeSeconds", "Count", "Errors"} <= metrics


def test_api_gateways_own_refusals_carry_cors_headers():
    responses = props("Api")["GatewayResponses"]
    for kind in (
        "INVALID_API_KEY",
        "THROTTLED",
        "QUOTA_EXCEEDED",
        "REQUEST_TOO_LARGE",
        "INTEGRATION_TIMEOUT",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    ):
        headers = responses[kind]["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == "method.request.header.origin", kind


def test_usage_events_expire_and_the_api_may_read_request_counts():
    assert props("Table")["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    api = props("ApiFunction")
    assert api["Environment"]["Variables"]["USAGE_PLAN_ID"] == {"Ref": "UsagePlan"}
    statements = [s for name, s in policy_statements() if name == "ApiFunction"]
    assert any(s["Action"] == "apigateway:GET" and "usageplans" in str(s["Resource"]) for s in statements)


def test_the_container_tier_is_optional_and_runs_the_same_worker():
    conditioned = [
        "ContainerCluster",
        "ContainerLogs",
        "ContainerExecutionRole",
        "ContainerTaskRole",
        "ContainerTaskDefinition",
        "ReconcilerFunction",
        "ContainerTasksFailedAlarm",
    ]
    assert all(RESOURCES[name]["Condition"] == "HasContainerTier" for name in conditioned)
    assert PARAMETERS["ContainerImageUri"]["Default"] == ""  # deploys without an image
    task = props("ContainerTaskDefinition")
    assert task["RequiresCompatibilities"] == ["FARGATE"] and task["NetworkMode"] == "awsvpc"
    assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    assert (task["Cpu"], task["Memory"]) == ({"Ref": "ContainerCpu"}, {"Ref": "ContainerMemory"})
    [container] = task["ContainerDefinitions"]
    assert container["Command"] == ["python", "-m", "worker.task"] and container["Image"] == {
        "Ref": "ContainerImageUri"
    }
    assert (ROOT / "functions/worker/worker/task.py").exists()
    assert container["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": "ContainerLogs"}
    assert task["TaskRoleArn"] == {"Fn::GetAtt": ["ContainerTaskRole", "Arn"]}
    task_actions = {
        action
        for statement in props("ContainerTaskRole")["Policies"][0]["PolicyDocument"]["Statement"]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    assert {"sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "dynamodb:UpdateItem", "s3:PutObject"} <= task_actions
    assert not any("*" in action for action in task_actions)
    rule = props("ReconcilerFunction")["Events"]["TaskStopped"]
    assert rule["Type"] == "EventBridgeRule"
    assert rule["Properties"]["Pattern"]["detail"]["lastStatus"] == ["STOPPED"]
    assert props("ContainerTasksFailedAlarm")["MetricName"] == "ContainerTasksFailed"
    # every function knows the container tier: the worker launches there, the API takes scenarios
    # that ask for it, and both stop a task whose run was cancelled (the API frees its message too)
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CONTAINER_CLUSTER"] == {"Fn::If": ["HasContainerTier", {"Ref": "ContainerCluster"}, ""]}

    def actions(function: str) -> set[str]:
        found = set()
        for name, statement in policy_statements():
            if name == function:
                action = statement["Action"]
                found |= set(action) if isinstance(action, list) else {action}
        return found

    assert {"ecs:RunTask", "ecs:StopTask", "iam:PassRole"} <= actions("WorkerFunction")
    assert {"ecs:StopTask", "sqs:DeleteMessage", "sqs:SendMessage"} <= actions("ApiFunction")
    assert "ecs:RunTask" not in actions("ApiFunction")


def test_events_have_a_websocket_api_with_an_authorized_connect_and_webhooks_a_queue():
    assert props("EventsApi")["ProtocolType"] == "WEBSOCKET"
    assert props("EventsApi")["RouteSelectionExpression"] == "$request.body.action"
    routes = {props(name)["RouteKey"]: props(name) for name in resources_of_type(TEMPLATE, "AWS::ApiGatewayV2::Route")}
    assert set(routes) == {"$connect", "$disconnect", "subscribe", "$default"}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert routes["$connect"]["AuthorizerId"] == {"Ref": "EventsAuthorizer"}
    assert props("EventsAuthorizer")["IdentitySource"] == ["route.request.querystring.token"]
    assert props("EventsFunction")["Handler"] == "api.websocket.handler"
    assert props("ConnectionsTable")["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props("WebhookQueue")["VisibilityTimeout"] >= 6 * props("WebhookFunction")["Timeout"]
    assert "FifoQueue" not in props("WebhookQueue")  # standard: per-message delays for the retries
    manage = props("EventsPublishingPolicy")["PolicyDocument"]["Statement"][0]
    assert manage["Action"] == "execute-api:ManageConnections" and "@connections" in manage["Resource"]["Fn::Sub"]
    task = props("ContainerTaskDefinition")["ContainerDefinitions"][0]["Environment"]
    assert {"EVENTS_ENDPOINT", "CONNECTIONS_TABLE", "WEBHOOK_QUEUE_URL"} <= {v["Name"] for v in task}
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["EVENTS_URL"]["Fn::Sub"].startswith("wss://")


def test_what_the_template_decides_is_read_from_it_by_the_local_stacks():
    """maxReceiveCount, the container task's size: the emulation reads them from the template; the
    embedded backend's default agrees with it."""
    from algocloud import limits
    from devstack import fargate
    from devstack.template import max_receive_count, parameter_default

    assert max_receive_count("RunQueue") == max_receive_count("WebhookQueue") == limits.MAX_RECEIVE_COUNT
    assert fargate.TASK_MEMORY_MB == int(parameter_default("ContainerMemory"))
    assert fargate.TASK_CPU == int(parameter_default("ContainerCpu"))

"""Read template.yaml (CloudFormation short-form tags included) and create its
stateful resources (table, bucket, queues) on a local AWS.

The local stack and the tests both create their resources here, from the SAM
template's own definitions, so a changed key schema or queue setting changes
the deployment, the local stack and the tests alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads `!Ref X` as {"Ref": "X"}, `!GetAtt A.B` as {"Fn::GetAtt": [A, B]}, ..."""


def _construct(tag: str):
    def construct(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            assert isinstance(node, yaml.MappingNode)
            value = loader.construct_mapping(node, deep=True)
        return {"Ref" if tag == "Ref" else f"Fn::{tag}": value}

    return construct


for _tag in (
    "Ref",
    "GetAtt",
    "Sub",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "ImportValue",
    "Base64",
    "Condition",
    "GetAZs",
    "Cidr",
    "ToJsonString",
    "Length",
):
    _CfnLoader.add_constructor(f"!{_tag}", _construct(_tag))


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CfnLoader)


def parameter_default(name: str, path: Path = TEMPLATE) -> Any:
    """What a deployment with the template's defaults gets for parameter `name`."""
    return load_template(path)["Parameters"][name]["Default"]


def max_receive_count(queue_id: str, path: Path = TEMPLATE) -> int:
    """How many receives the template's queue allows before its dead-letter queue."""
    queue = resources_of_type(load_template(path), "AWS::SQS::Queue")[queue_id]
    return int(queue["RedrivePolicy"]["maxReceiveCount"])


def schedule_seconds(function_id: str, path: Path = TEMPLATE) -> float:
    """The period of the function's Schedule event (`rate(N minute[s])`), in seconds."""
    function = resources_of_type(load_template(path), "AWS::Serverless::Function")[function_id]
    [rate] = [e["Properties"]["Schedule"] for e in function.get("Events", {}).values() if e["Type"] == "Schedule"]
    count, unit = rate.removeprefix("rate(").removesuffix(")").split()
    return float(count) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}[unit]


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r.get("Properties", {}) for name, r in template["Resources"].items() if r["Type"] == kind}


def _one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    [(name, properties)] = resources_of_type(template, kind).items()
    return name, properties


def _queue_attributes(properties: dict[str, Any], arns: dict[str, str]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for key in (
        "FifoQueue",
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DeduplicationScope",
        "FifoThroughputLimit",
        "ContentBasedDeduplication",
        "DelaySeconds",
    ):
        if key in properties:
            value = properties[key]
            attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
    redrive = properties.get("RedrivePolicy")
    if redrive:
        target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": arns[target], "maxReceiveCount": int(redrive["maxReceiveCount"])}
        )
    return attributes


def create_stateful_resources(dynamodb, s3, sqs, names: dict[str, str], path: Path = TEMPLATE) -> dict[str, str]:
    """Create the template's table, bucket and queues under the given physical names.

    `names` maps logical ids (Table, Bucket, RunQueue, RunDeadLetterQueue, ...) to names (others
    are named after the table). Returns the table names, bucket name and queue URLs by logical id.
    """
    template = load_template(path)
    created: dict[str, str] = {}
    names = {**{logical: f"{names['Table']}-{logical.lower()}" for logical in template["Resources"]}, **names}

    for table_id, table in resources_of_type(template, "AWS::DynamoDB::Table").items():
        request = {
            "TableName": names[table_id],
            "KeySchema": table["KeySchema"],
            "AttributeDefinitions": table["AttributeDefinitions"],
            "BillingMode": table.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if table.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = table["GlobalSecondaryIndexes"]
        dynamodb.create_table(**request)
        ttl = table.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=names[table_id], TimeToLiveSpecification=ttl)
        created[table_id] = names[table_id]

    bucket_id, _bucket = _one(template, "AWS::S3::Bucket")
    s3.create_bucket(Bucket=names[bucket_id])
    created[bucket_id] = names[bucket_id]

    queues = resources_of_type(template, "AWS::SQS::Queue")
    arns: dict[str, str] = {}
    # Dead-letter queues first: the others' redrive policies point at them.
    for queue_id in sorted(queues, key=lambda q: "RedrivePolicy" in queues[q]):
        name = names[queue_id]
        if queues[queue_id].get("FifoQueue") and not name.endswith(".fifo"):
            name += ".fifo"
        url = sqs.create_queue(QueueName=name, Attributes=_queue_attributes(queues[queue_id], arns))["QueueUrl"]
        arns[queue_id] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        created[queue_id] = url
    return created


def bucket_cors(origins: list[str], path: Path = TEMPLATE) -> dict[str, Any]:
    """The bucket's CorsConfiguration as the template gives it, for these origins."""
    bucket = load_template(path)["Resources"]["Bucket"]["Properties"]["CorsConfiguration"]["Fn::If"][1]
    rules = []
    for rule in bucket["CorsRules"]:
        rules.append(
            {
                "AllowedMethods": rule["AllowedMethods"],
                "AllowedOrigins": list(origins),
                "AllowedHeaders": rule.get("AllowedHeaders", []),
                "ExposeHeaders": rule.get("ExposedHeaders", []),
                "MaxAgeSeconds": rule.get("MaxAge", 0),
            }
        )
    return {"CORSRules": rules}


def key_optional(auth: Any) -> bool:
    """An event's Auth that turns the key (or the authorizer) off, directly or in the template's !If."""
    if isinstance(auth, dict) and "Fn::If" in auth:
        return any(key_optional(branch) for branch in auth["Fn::If"][1:])
    return isinstance(auth, dict) and (auth.get("ApiKeyRequired") is False or auth.get("Authorizer") == "NONE")


def signin_authorizer(auth: Any) -> dict[str, Any]:
    """The template's sign-in authorizer (the Api's Auth on AuthMode=signin): its identity and TTL."""
    branch = auth["Fn::If"][1] if isinstance(auth, dict) and "Fn::If" in auth else auth
    authorizer = branch["Authorizers"][branch["DefaultAuthorizer"]]
    [header] = authorizer["Identity"]["Headers"]
    return {"authorizer_header": header.lower(), "authorizer_ttl": float(authorizer["Identity"]["ReauthorizeEvery"])}

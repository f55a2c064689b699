"""Print template.yaml after the SAM transform, offline, as JSON.

    .venv-sam/bin/python scripts/translate_template.py [--require-api-key | --auth-mode key|signin|none]

Runs in the SAM CLI's environment (samtranslator pins its own pydantic).
CloudFormation's LanguageExtensions transform resolves Fn::If on parameter
conditions before SAM runs; this does the same for the conditions on AuthMode
(the other parameters at their defaults).
"""

import json
import os
import sys
from pathlib import Path

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[1]


class NoManagedPolicies:
    def load(self):
        return {}


NO_VALUE = {"Ref": "AWS::NoValue"}


AUTH_CONDITIONS = {"ApiKeysRequired", "SignInOn", "OwnUserPool"}


def condition_values(template: dict, parameters: dict) -> dict[str, bool]:
    """The template's conditions on parameters alone, evaluated (Equals, Not, And, Or, Condition)."""
    conditions = template.get("Conditions", {})
    known: dict[str, bool] = {}

    def value(node):
        if isinstance(node, dict) and set(node) == {"Ref"}:
            return parameters[node["Ref"]]
        if isinstance(node, dict) and set(node) == {"Fn::Join"}:
            separator, items = node["Fn::Join"]
            return separator.join(value(items) if isinstance(items, dict) else items)
        return node

    def truth(node) -> bool:
        [(function, arguments)] = node.items()
        if function == "Condition":
            return evaluate(arguments)
        if function == "Fn::Equals":
            return value(arguments[0]) == value(arguments[1])
        if function == "Fn::Not":
            return not truth(arguments[0])
        if function == "Fn::And":
            return all(truth(a) for a in arguments)
        if function == "Fn::Or":
            return any(truth(a) for a in arguments)
        raise ValueError(function)

    def evaluate(name: str) -> bool:
        if name not in known:
            known[name] = truth(conditions[name])
        return known[name]

    return {name: evaluate(name) for name in conditions}


def resolve(node, conditions: dict[str, bool]):
    """Replace Fn::If on the AuthMode conditions by its branch; drop AWS::NoValue."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"} and node["Fn::If"][0] in AUTH_CONDITIONS:
            return resolve(node["Fn::If"][1 if conditions[node["Fn::If"][0]] else 2], conditions)
        condition = node.get("Condition")
        if isinstance(condition, str) and condition in AUTH_CONDITIONS and "Type" in node and not conditions[condition]:
            return NO_VALUE  # a resource this AuthMode leaves out
        resolved = {key: resolve(value, conditions) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value != NO_VALUE}
    if isinstance(node, list):
        return [resolve(item, conditions) for item in node]
    return node


def main() -> None:
    template = yaml_parse((ROOT / "template.yaml").read_text())
    template["Transform"] = "AWS::Serverless-2016-10-31"
    mode = sys.argv[sys.argv.index("--auth-mode") + 1] if "--auth-mode" in sys.argv else None
    mode = mode or ("key" if "--require-api-key" in sys.argv else "none")
    parameters = {name: p.get("Default", "") for name, p in template["Parameters"].items()} | {"AuthMode": mode}
    conditions = condition_values(template, parameters)
    template["Resources"] = resolve(template["Resources"], conditions)
    for resource in template["Resources"].values():  # local paths are uploaded by sam deploy
        for uri in ("CodeUri", "ContentUri"):
            if uri in resource.get("Properties", {}):
                resource["Properties"][uri] = "s3://bucket/key"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    print(json.dumps(transform(template, {}, NoManagedPolicies()), default=str))


if __name__ == "__main__":
    main()

"""Print template.yaml after the SAM transform, offline, as JSON.

    .venv-sam/bin/python scripts/translate_template.py [--require-api-key]

Runs in the SAM CLI's environment (samtranslator pins its own pydantic).
CloudFormation's LanguageExtensions transform resolves Fn::If on parameter
conditions before SAM runs; this does the same for the ApiKeysRequired condition.
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


def resolve(node, require_api_key: bool):
    """Replace Fn::If on ApiKeysRequired by its branch; drop AWS::NoValue."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"} and node["Fn::If"][0] == "ApiKeysRequired":
            return resolve(node["Fn::If"][1 if require_api_key else 2], require_api_key)
        resolved = {key: resolve(value, require_api_key) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value != NO_VALUE}
    if isinstance(node, list):
        return [resolve(item, require_api_key) for item in node]
    return node


def main() -> None:
    template = yaml_parse((ROOT / "template.yaml").read_text())
    template["Transform"] = "AWS::Serverless-2016-10-31"
    template["Resources"] = resolve(template["Resources"], "--require-api-key" in sys.argv)
    for resource in template["Resources"].values():  # local paths are uploaded by sam deploy
        for uri in ("CodeUri", "ContentUri"):
            if uri in resource.get("Properties", {}):
                resource["Properties"][uri] = "s3://bucket/key"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    print(json.dumps(transform(template, {}, NoManagedPolicies()), default=str))


if __name__ == "__main__":
    main()

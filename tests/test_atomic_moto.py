"""The moto patches of the test suite and the --aws local stack: a failed DynamoDB
transaction undoes exactly its own writes, without copying whole tables."""

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support import REGION, TABLE


def test_a_cancelled_transaction_restores_only_what_it_touched(aws_env, monkeypatch):
    from moto.dynamodb.models.table import Table

    def no_table_copies(self, memo):
        raise AssertionError("a transaction deep-copied a whole table")

    monkeypatch.setattr(Table, "__deepcopy__", no_table_copies, raising=False)
    db = boto3.client("dynamodb", region_name=REGION)
    db.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    db.put_item(TableName=TABLE, Item={"pk": {"S": "guard"}, "sk": {"S": "1"}})
    with pytest.raises(ClientError, match="TransactionCanceled"):
        db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "new"}, "sk": {"S": "1"}}}},
                {
                    "Delete": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "guard"}, "sk": {"S": "1"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    items = {i["pk"]["S"]: i for i in db.scan(TableName=TABLE)["Items"]}
    assert set(items) == {"a", "guard"} and items["a"]["n"] == {"N": "1"}
    db.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "new"}, "sk": {"S": "1"}}}},
        ]
    )
    items = {i["pk"]["S"]: i for i in db.scan(TableName=TABLE)["Items"]}
    assert set(items) == {"a", "guard", "new"} and items["a"]["n"] == {"N": "2"}

"""Every store on the one DynamoDB table."""

from __future__ import annotations

from ...domain.stores import Stores
from .datasets import DynamoDatasets
from .experiments import DynamoExperiments
from .jobs import DynamoJobs
from .scenarios import DynamoScenarios
from .sessions import DynamoSecrets, DynamoSessions


def dynamo_stores(dynamodb_client, table_name: str) -> Stores:
    return Stores(
        secrets=DynamoSecrets(dynamodb_client, table_name),
        sessions=DynamoSessions(dynamodb_client, table_name),
        datasets=DynamoDatasets(dynamodb_client, table_name),
        scenarios=DynamoScenarios(dynamodb_client, table_name),
        jobs=DynamoJobs(dynamodb_client, table_name),
        experiments=DynamoExperiments(dynamodb_client, table_name),
    )

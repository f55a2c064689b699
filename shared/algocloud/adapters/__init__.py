"""AWS adapters: DynamoDB repository, S3 blob store, SQS run queue, clients and settings."""

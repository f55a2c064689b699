"""The AWS adapter set (production): DynamoDB, S3, SQS FIFO and API Gateway's keys.

clients    boto3 clients, built once per container
table      the one DynamoDB table: tenant-scoped keys, conditional writes and transactions
stores     every store on it (domain.stores), one module each: sessions, datasets, scenarios,
           jobs, experiments
accounts   the Accounts: tenants, API keys and usage counters, in the same table
s3         the BlobStore: objects, presigned GET / form POST / part PUT URLs, multipart uploads
sqs        the RunQueue (and, for local event sources, the QueueConsumer) on SQS FIFO
apigateway the KeyGateway: API Gateway's keys in the deployment's usage plan
"""

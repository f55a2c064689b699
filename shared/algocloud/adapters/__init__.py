"""The adapters: `aws` (DynamoDB, S3, SQS, API Gateway) and `embedded` (SQLite and files) behind the
ports, the composition root (`factory`) and the settings."""

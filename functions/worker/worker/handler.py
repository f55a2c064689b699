"""Lambda entry points (built once per container):

    worker.handler.handler              the run queue's event source
    worker.handler.dead_letter_handler  the dead-letter queue's event source
"""

from algocloud.adapters.aws import client
from algocloud.adapters.dynamodb import DynamoRepository
from algocloud.adapters.s3 import S3BlobStore
from algocloud.adapters.settings import aws_settings
from algocloud.appconfig import load_app_config
from algocloud.worker import RunWorker

from .lambda_adapter import build_handlers

_settings = aws_settings()
_worker = RunWorker(
    config=load_app_config(),
    repo=DynamoRepository(client("dynamodb", _settings), _settings.table_name),
    blobs=S3BlobStore(client("s3", _settings), _settings.bucket_name),
)
handler, dead_letter_handler = build_handlers(_worker)

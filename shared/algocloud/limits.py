"""Every size, count and time limit of the product, in one place.

The API, the use cases, the domain and the local AWS emulation all read these, so a
limit the emulation enforces is the one the code was written against. Code reads them
as `limits.NAME` at call time (tests may lower one with monkeypatch). No imports: any
layer may import this module.
"""

# -- AWS: what the platform allows (the devstack emulates each) ----------------------------
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024  # Lambda, synchronous: 6 MB event and 6 MB response
API_GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024  # API Gateway (REST): 10 MB per request
API_GATEWAY_HEADER_BYTES = 10 * 1024  # API Gateway (REST): request line and headers, 10,240 bytes in all
API_GATEWAY_TIMEOUT_SECONDS = 29.0  # API Gateway's integration timeout
BODY_READ_TIMEOUT_SECONDS = 30.0  # the longest wait for the next piece of a request body
DYNAMODB_ITEM_BYTES = 400 * 1024  # DynamoDB: one item, names and values
DYNAMODB_BATCH_WRITE_ITEMS = 25  # DynamoDB: BatchWriteItem, requests per call
DYNAMODB_BATCH_GET_KEYS = 100  # DynamoDB: BatchGetItem, keys per call
DYNAMODB_TRANSACTION_ITEMS = 100  # DynamoDB: TransactWriteItems, actions per call
SQS_BATCH_ENTRIES = 10  # SQS: SendMessageBatch / DeleteMessageBatch, entries per call

WEBSOCKET_MESSAGE_BYTES = 128 * 1024  # API Gateway WebSocket: one message (frame) at most 128 KB
WEBSOCKET_IDLE_SECONDS = 600  # API Gateway WebSocket: closed after 10 minutes without a client message
WEBSOCKET_LIFETIME_SECONDS = 7200  # API Gateway WebSocket: a connection lives at most 2 hours

# SQS: receives of a message before its dead-letter queue (template.yaml's RedrivePolicy decides;
# the local stacks read it from there, and a test checks this default agrees)
MAX_RECEIVE_COUNT = 5

# -- HTTP: what the API takes and answers ----------------------------------------------------
# On AWS every body crosses API Gateway base64-encoded (BinaryMediaTypes */*), and Lambda takes
# at most 6 MB of event or response, envelope included: a raw body may use 3/4 of what is left
# after the envelope. Without Lambda (embedded) only memory bounds a body.
LAMBDA_BODY_LIMIT = (LAMBDA_PAYLOAD_LIMIT - 64 * 1024) * 3 // 4
EMBEDDED_BODY_LIMIT = 256 * 1024 * 1024
MAX_HEADERS = 100  # the embedded server's cap on their number (API Gateway caps their size)
RAW_HEAD_LIMIT = 64 * 1024  # the local servers' parser drops a request head past this while it arrives
ECHO_LIMIT = 200  # characters of a refused input echoed back in a 422
MAX_LIST_PAGE = 1000  # sessions or scenarios in one page of a list
MAX_EXPERIMENT_RUNS = 1000  # parameter sets x datasets x repetitions of one experiment
INLINE_PLAN_BYTES = 256 * 1024  # an experiment's plan in its record up to this; larger: an object
# Cancelling or deleting more runs than this in flight (deleting more than DELETE in all) is a
# job on the worker, answered 202: a thousand conditional writes do not fit API Gateway's 29 s.
EXPERIMENT_SYNC_CANCEL_RUNS = 50
EXPERIMENT_SYNC_DELETE_RUNS = 200
MAX_CRITERION_CHARS = 300  # one acceptance criterion ('KPI<=+2%'): a KPI name and a number
MAX_PARALLEL_RUNS = 100  # the most a tenant's experiments may run at once (its lanes: domain.experiments)
MAX_ROWS_PAGE = 1000  # rows in one page of GET …/tables/{table}/rows
DEFAULT_ROWS_PAGE = 200

# -- Names and datasets ----------------------------------------------------------------------
MAX_NAME_BYTES = 255  # a session name, tag, dataset key, file name (UTF-8)
MAX_TABLES = 1000  # the table names travel in the dataset's metadata record (DynamoDB_ITEM_BYTES)
MAX_TABLE_NAME_BYTES = 255
MAX_REPORTED_MESSAGES = 100  # ETL messages in one answer (the rest are counted)

# -- Results ---------------------------------------------------------------------------------
INLINE_RESULT_LIMIT = 256 * 1024  # bytes of result JSON kept in the scenario's record; larger: an object

# -- Uploads and ingestion -------------------------------------------------------------------
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024  # 1 GiB per file
MULTIPART_THRESHOLD = 100 * 1000 * 1000  # larger files go up in parts
PART_BYTES = 16 * 1024 * 1024  # S3 takes parts of 5 MiB to 5 GiB, at most 10,000
UPLOAD_URL_SECONDS = 3600
FORM_OVERHEAD_BYTES = 64 * 1024  # a form upload's fields and part headers around the file
# Ingested within the request up to this many bytes of uploads (an 8.8 MB CSV of 100,000 rows
# takes about 0.3 s here: see bench/ingest_bench.py), as a job beyond.
SYNC_INGEST_BYTES = 16 * 1024 * 1024
MAX_UPLOADS_PER_INGEST = 100
UPLOAD_RETENTION_SECONDS = 24 * 3600  # never-used uploads go after a day (bucket lifecycle rule)
# A worker's peak memory to ingest files: this much, plus this many times the files' size
# (measured by bench/ingest_bench.py: 871 MiB for a 102 MB CSV). A job that would need more
# than the worker Lambda's memory goes to the container tier.
INGEST_BASE_MB = 200
INGEST_MEMORY_PER_FILE_BYTE = 7.0
# And its time, on the safe side (measured: 8.8 MB of CSV in 0.3 s, about 30 MB/s; XLSX is
# slower): a job that would not end before the invocation's deadline goes to the container tier.
INGEST_BASE_SECONDS = 1.0
INGEST_SECONDS_PER_MB = 0.15

# -- The worker ------------------------------------------------------------------------------
PROGRESS_INTERVAL_SECONDS = 1.0  # at most one progress write per run per interval
HEARTBEAT_VISIBILITY_SECONDS = 60  # a message in work stays hidden this long past each heartbeat
TASK_START_SECONDS = 600  # a handed-over message stays hidden this long for its task to start and hold it
HANDOVER_MARGIN_MIN_SECONDS = 2.0  # a job stops at least this long before its invocation's deadline
CANCEL_GRACE_SECONDS = 10  # a container task whose job was cancelled and did not stop by itself is stopped

# -- Events and webhooks ----------------------------------------------------------------------
MAX_SUBSCRIPTIONS = 20  # topics per WebSocket connection: what one event's fan-out read may find stays small
MAX_WEBHOOKS = 20  # per tenant
MAX_WEBHOOK_URL_CHARS = 2000
WEBHOOK_DELIVERY_TIMEOUT_SECONDS = 10.0  # one POST to a receiver, connect and answer
WEBHOOK_ERROR_CHARS = 500  # of a failed attempt's reason, in the delivery log

# The audit log (domain.audit, usecases.audit). Ours: a year of entries by default
# (AUDIT_RETENTION_DAYS), sealed once older than the longest a request can take (API Gateway's
# 29 s, with room), and a page of a filtered listing reads at most this many entries.
AUDIT_RETENTION_DAYS = 365
AUDIT_SEAL_MARGIN_SECONDS = 60.0
AUDIT_SCAN_ENTRIES = 1000

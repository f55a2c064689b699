"""What the run pipeline adds to an algorithm, and the AWS requests one run costs.

    .venv/bin/python bench/pipeline_bench.py [runs]

In-process: the API app (TestClient), moto (mock_aws) and the worker handler
fed by the SQS driver, so the figures are this code's overhead without network
latency. For each of Instant and Slow(duration=1): the time from the
`POST .../run` call to the status being visible as complete, minus the
algorithm's own run time, and the DynamoDB / S3 / SQS requests of one run
(API run call + worker + the final status read).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in ("shared", "functions/api", "functions/worker", "."):
    sys.path.insert(0, str(ROOT / path))
os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"})

import warnings

warnings.filterwarnings("ignore", message="Using `httpx`")
from fastapi.testclient import TestClient
from moto import mock_aws

from tests.support import BUCKET, REGION, TABLE, create_resources


def main(runs: int = 10) -> None:
    with mock_aws():
        queue_url, _dlq = create_resources()
        import boto3

        from algocloud.adapters.aws.sqs import SqsQueueConsumer
        from algocloud.appconfig import load_app_config
        from algocloud.execution.registry import in_process_executor
        from api import deps
        from api.main import create_app
        from api.settings import ApiSettings
        from devstack.driver import QueueDriver
        from worker.lambda_adapter import build_handlers

        client = TestClient(create_app(ApiSettings(table_name=TABLE, bucket_name=BUCKET, queue_url=queue_url)))
        client.get("/health")
        built = deps.adapters(client.app.state.settings)
        stores, blobs, _queue = built.stores, built.blobs, built.queue
        handler, _ = build_handlers(in_process_executor(load_app_config(), stores, blobs, built.accounts))
        driver = QueueDriver(SqsQueueConsumer(boto3.client("sqs", region_name=REGION), queue_url), handler)

        calls: Counter = Counter()
        for adapter in (stores.scenarios, blobs):  # every store shares the one DynamoDB client
            inner = adapter._db if hasattr(adapter, "_db") else adapter._s3
            inner.meta.events.register(
                "before-call", lambda model, **_: calls.update([f"{model.service_model.service_name}:{model.name}"])
            )
        _queue.__dict__["_sqs"].meta.events.register(
            "before-call", lambda model, **_: calls.update([f"sqs:{model.name}"])
        )

        base = "/api/v1/sessions/main/scenarios"
        print(f"{'algorithm':10} {'run -> complete (median)':>25} {'algorithm':>10} {'overhead':>9}   requests per run")
        for algorithm, params, algorithm_seconds in (("Instant", None, 0.0), ("Slow", {"duration": 1}, 1.0)):
            samples = []
            for index in range(runs if algorithm == "Instant" else max(3, runs // 3)):
                calls.clear()
                scenario = client.post(
                    base,
                    json={
                        "tag": f"{algorithm}-{index}",
                        "dataset_key": "Master data",
                        "algo_name": algorithm,
                        "algo_params": params,
                    },
                ).json()
                create_calls = sum(calls.values())
                calls.clear()
                start = time.perf_counter()
                client.post(f"{base}/{scenario['id']}/run")
                driver.poll_once()
                status = client.get(f"{base}/{scenario['id']}/status").json()
                samples.append(time.perf_counter() - start)
                assert status["status"] == "complete", status
            median = statistics.median(samples)
            per_run = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))
            print(
                f"{algorithm:10} {median * 1000:22.0f} ms {algorithm_seconds * 1000:7.0f} ms "
                f"{(median - algorithm_seconds) * 1000:6.0f} ms   {sum(calls.values())}: {per_run}"
                f" (and {create_calls} to create it)"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)

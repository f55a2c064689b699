"""Large datasets end to end on the local stack (issue 11's figures).

    .venv/bin/python bench/ingest_bench.py            # embedded `make local` on free ports, clean state
    .venv/bin/python bench/ingest_bench.py --aws      # the AWS emulation (API Gateway, moto) instead
    .venv/bin/python bench/ingest_bench.py --sizes 10,100 --page-samples 50

For each size (MB of sku_data.csv, the README's generator): the time from
the first upload request to the dataset being there (uploads -> ETL ->
job complete, or the synchronous answer under the job threshold), and the
peak RSS (VmHWM) of the worker and API processes. Then p50 of a 200-row
page at random offsets of the largest table. Goals: 100 MB in under 30 s,
peak worker RSS under 1.5 GB, a page in under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from bench.local_bench import process_tree
from tests.test_local_stack import Stack, free_port

BYTES_PER_ROW = 88  # about, for the README's sku_data rows


def peak_rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return 0.0


def sku_csv(megabytes: int) -> bytes:
    from algocloud.example import generate

    rows = generate.sku_rows(int(megabytes * 1e6 / BYTES_PER_ROW), generate.layout_rows(), seed=11, unique_slots=False)
    return generate.to_csv(rows, generate.SKU_COLUMNS)


def layout_csv() -> bytes:
    from algocloud.example import generate

    return generate.to_csv(generate.layout_rows(), generate.LAYOUT_COLUMNS)


def send(http: httpx.Client, base: str, filename: str, content: bytes, headers: dict[str, str]) -> str:
    """One upload the way a client makes it: POST …/uploads, then the form POST or the part PUTs."""
    answer = http.post(
        f"{base}/sessions/main/uploads", json={"filename": filename, "size": len(content)}, headers=headers
    )
    answer.raise_for_status()
    body = answer.json()
    if body["method"] == "POST":
        http.post(body["url"], data=body["fields"], files={"file": (filename, content)}).raise_for_status()
    else:
        size, etags = body["part_size"], []
        for part in body["parts"]:
            start = (part["part_number"] - 1) * size
            response = http.put(part["url"], content=content[start : start + size])
            response.raise_for_status()
            etags.append({"part_number": part["part_number"], "etag": response.headers["ETag"]})
        http.post(
            f"{base}/sessions/main/uploads/{body['upload_id']}/complete", json={"parts": etags}, headers=headers
        ).raise_for_status()
    return body["upload_id"]


def ingest(http: httpx.Client, base: str, name: str, files: dict[str, bytes]) -> str:
    ids = [send(http, base, filename, content, {}) for filename, content in files.items()]
    response = http.post(f"{base}/sessions/main/etl", json={"dataset_name": name, "uploads": ids})
    response.raise_for_status()
    if response.status_code == 200:
        assert response.json()["success"], response.text
        return "in the request"
    job = response.json()
    while job["status"] not in ("complete", "failed"):
        time.sleep(0.2)
        job = http.get(f"{base}/sessions/main/etl/{job['job_id']}").json()
    assert job["status"] == "complete", job
    return "as a job"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aws", action="store_true")
    parser.add_argument("--sizes", default="10,100", help="MB of sku_data.csv, comma-separated")
    parser.add_argument("--page-samples", type=int, default=50)
    args = parser.parse_args()
    extra = ["--aws", "--no-throttle"] if args.aws else []
    with tempfile.TemporaryDirectory() as state:
        stack = Stack(
            Path(state) / "state", free_port(), free_port(), mode="aws" if args.aws else "embedded", extra=extra
        ).start()
        try:
            http = httpx.Client(timeout=300)
            base = stack.base
            layout = layout_csv()
            largest = None
            for megabytes in (int(size) for size in args.sizes.split(",")):
                sku = sku_csv(megabytes)
                started = time.perf_counter()
                how = ingest(http, base, f"sku-{megabytes}", {"sku_data.csv": sku, "warehouse_layout.csv": layout})
                seconds = time.perf_counter() - started
                tree = process_tree(stack.process.pid)
                workers = [pid for pid in tree if pid != stack.process.pid]
                print(
                    f"{len(sku) / 1e6:6.1f} MB CSV, {sku.count(b'\n') - 1:>9,} rows: {seconds:6.2f} s end to end "
                    f"({how}); peak RSS: worker {max(map(peak_rss_mib, workers), default=0):6.0f} MiB, "
                    f"API {peak_rss_mib(stack.process.pid):6.0f} MiB",
                    flush=True,
                )
                largest = (f"sku-{megabytes}", sku.count(b"\n") - 1)
            assert largest is not None
            name, rows = largest
            url = f"{base}/sessions/main/data/{name}/tables/sku_data/rows"
            http.get(url, params={"offset": 0, "limit": 200}).raise_for_status()  # the index, warm
            rng, samples = random.Random(3), []
            for _ in range(args.page_samples):
                offset = rng.randrange(0, rows - 200)
                started = time.perf_counter()
                page = http.get(url, params={"offset": offset, "limit": 200})
                samples.append(time.perf_counter() - started)
                assert page.status_code == 200 and len(page.json()["rows"]) == 200
            print(
                f"200-row page of a {rows:,}-row table: p50 {statistics.median(samples) * 1000:.1f} ms "
                f"(max {max(samples) * 1000:.1f} ms, {args.page_samples} random offsets)"
            )
        finally:
            stack.stop()


if __name__ == "__main__":
    main()

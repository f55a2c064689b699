"""`GET …/scenarios?view=summary` of N complete scenarios beside the original product's list of
the same (its 0.10 list answers summaries), in one interleaved run on this machine.

    .venv/bin/python bench/summary_vs_peer.py                  # N = 1,000
    .venv/bin/python bench/summary_vs_peer.py --runs 300

Needs the peer's venv (../shared/peer/setup.sh makes /tmp/upstream-venv). Starts ours (the
embedded `make local`) and upstream's example on free ports, creates and runs N Instant
scenarios in a new session of each, then alternates the two list requests (the peer's own
HTTP client, gzip accepted) and prints p50 / p90 and the ratio ours / upstream.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT.parent / "shared" / "peer"
sys.path[:0] = [str(ROOT), str(PEER)]

from side_by_side import Client, Server, pct  # the peer's own harness

from tests.test_local_stack import Stack, free_port


def start_upstream(venv: Path, work: Path) -> tuple[subprocess.Popen, str]:
    shutil.copytree(venv / "example-pristine" / "example", work / "example")
    port = free_port()
    process = subprocess.Popen(
        [str(venv / "bin" / "python"), str(PEER / "serve.py"), "--port", str(port), "--dir", str(work), "--quiet"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/sessions", timeout=5).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit("upstream did not start")


def fill(server: Server, runs: int) -> str:
    sid = server.new_session("summary")
    server.add_small_dataset(sid)
    pending = []
    for index in range(runs):
        scenario = server.create(sid, f"instant-{index}", *server.instant)
        server.run(sid, scenario)
        pending.append((sid, scenario))
    outcome = server.wait_all(pending, timeout=1800, interval=0.05)
    done = sum(1 for status in outcome.values() if status == "complete")
    print(f"{server.name}: {done} of {runs} complete", file=sys.stderr)
    return sid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20, help="list requests per server")
    parser.add_argument("--upstream-venv", type=Path, default=Path("/tmp/upstream-venv"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state, tempfile.TemporaryDirectory() as upstream_dir:
        ours_stack = Stack(Path(state), free_port(), free_port())
        ours_stack.start()
        upstream, upstream_url = start_upstream(args.upstream_venv, Path(upstream_dir))
        try:
            ours, theirs = Server(Client(ours_stack.base, "ours")), Server(Client(upstream_url, "upstream"))
            sids = {server.name: fill(server, args.runs) for server in (ours, theirs)}
            paths = {
                "ours": f"/sessions/{sids['ours']}/scenarios?view=summary",
                "upstream": f"/sessions/{sids['upstream']}/scenarios",
            }
            latency: dict[str, list[float]] = {"ours": [], "upstream": []}
            wire: dict[str, int] = {}
            for index in range(args.requests):
                for server in (ours, theirs) if index % 2 == 0 else (theirs, ours):
                    response = server.c.get(paths[server.name])
                    listed = len(response.json())
                    assert response.status == 200 and listed >= args.runs, (server.name, response.status, listed)
                    latency[server.name].append(response.elapsed * 1000)
                    wire[server.name] = response.wire
        finally:
            ours_stack.stop()
            subprocess.run(["kill", "--", f"-{upstream.pid}"], check=False)
            upstream.wait(timeout=30)
    ours_p50, theirs_p50 = pct(latency["ours"], 50), pct(latency["upstream"], 50)
    print(f"list of {args.runs:,} complete scenarios, p50 (p90), {args.requests} requests each, interleaved")
    print(f"  ours  view=summary  {ours_p50:8.1f} ms ({pct(latency['ours'], 90):.1f})  {wire['ours']:,} B on the wire")
    print(
        f"  upstream list      {theirs_p50:8.1f} ms ({pct(latency['upstream'], 90):.1f})  "
        f"{wire['upstream']:,} B on the wire"
    )
    print(f"  ratio ours / upstream  {ours_p50 / theirs_p50:.2f}")


if __name__ == "__main__":
    main()

"""Load on `sigkit proxy` (reverse mode) in front of a real S3 store, against the store directly,
in the same run. A benchmark, not a test.

- Small requests: CLIENTS concurrent keep-alive clients (aiohttp, one connection each) send
  REQUESTS presigned GETs of a small object in all, first directly, then through the proxy
  (the URLs are presigned for each endpoint once; the store verifies every one). Reported:
  latency p50/p90/p99 each way, what the proxy adds, requests per second, and errors; then
  one client alone (requests/10 GETs, one at a time), where the added latency is the proxy's
  own and not queueing behind the other clients. An error
  "of the proxy's own" is an answer the proxy made itself (x-sigkit-proxy header: 502/504/400)
  or a connection it dropped; any other non-200 is the store's.
- Large objects: a SIZE object PUT then GET through presigned URLs (UNSIGNED-PAYLOAD), one
  stream at a time, directly and through the proxy: MB/s each way, and the proxy's peak
  resident size (VmHWM) over the whole run.

The proxy runs as users run it (`sigkit proxy --upstream URL`, its log line per request going
to a file). Needs the store's environment (S3_ENDPOINT, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY), e.g. `source /tmp/rgw.env`:

    python bench/proxy_load.py                     # 200 clients, 5,000 requests, 100 MiB
    python bench/proxy_load.py --json
    python bench/proxy_load.py --no-diagnose       # the proxy's plain log instead of diagnosis
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any


def _presign(endpoint: str, method: str, bucket: str, key: str) -> str:
    import boto3
    from botocore.config import Config

    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    op = {"GET": "get_object", "PUT": "put_object", "DELETE": "delete_object"}[method]
    return str(s3.generate_presigned_url(op, Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _small(url: str, clients: int, requests: int) -> dict[str, Any]:
    import aiohttp
    from yarl import URL

    target = URL(url, encoded=True)
    latencies: list[float] = []
    store_errors = proxy_errors = 0
    per_client = [
        requests // clients + (1 if i < requests % clients else 0) for i in range(clients)
    ]

    async def client(count: int) -> None:
        nonlocal store_errors, proxy_errors
        connector = aiohttp.TCPConnector(limit=1, force_close=False)
        async with aiohttp.ClientSession(connector=connector) as session:
            for _ in range(count):
                started = time.perf_counter()
                try:
                    async with session.get(target) as answer:
                        await answer.read()
                        if "x-sigkit-proxy" in answer.headers:
                            proxy_errors += 1
                        elif answer.status != 200:
                            store_errors += 1
                except (TimeoutError, aiohttp.ClientError, OSError):
                    proxy_errors += 1
                    continue
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in per_client))
    elapsed = time.perf_counter() - started
    return {
        "requests": requests,
        "clients": clients,
        "seconds": round(elapsed, 2),
        "per_second": round(requests / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p90_ms": round(_percentile(latencies, 0.90) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "store_errors": store_errors,
        "own_errors": proxy_errors,
    }


def _large(put_url: str, get_url: str, size: int) -> dict[str, float]:
    import urllib.request

    block = os.urandom(1 << 20)

    class Body:
        def __init__(self) -> None:
            self.left = size

        def read(self, n: int = -1) -> bytes:
            if self.left <= 0:
                return b""
            chunk = block[: min(len(block), self.left)]
            self.left -= len(chunk)
            return chunk

    request = urllib.request.Request(put_url, data=Body(), method="PUT")  # type: ignore[arg-type]
    request.add_header("Content-Length", str(size))
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as answer:
        answer.read()
    put_seconds = time.perf_counter() - started
    started = time.perf_counter()
    got = 0
    with urllib.request.urlopen(get_url, timeout=600) as answer:
        while chunk := answer.read(1 << 20):
            got += len(chunk)
    get_seconds = time.perf_counter() - started
    assert got == size, (got, size)
    return {
        "put_mb_s": round(size / put_seconds / 1e6, 1),
        "get_mb_s": round(size / get_seconds / 1e6, 1),
    }


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run(clients: int, requests: int, size: int, *proxy_args: str) -> dict[str, Any]:
    import boto3
    from botocore.config import Config

    endpoint = os.environ["S3_ENDPOINT"]
    bucket = f"p1-bench-{uuid.uuid4().hex[:8]}"
    s3 = boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )  # fmt: skip
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="small.txt", Body=b"a small object\n" * 10)
    work = Path(tempfile.mkdtemp(prefix="sigkit-bench-"))
    log = work / "proxy.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("wb") as out, (work / "proxy.err").open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sigkit.cli.app", "proxy", "--upstream", endpoint,
             "--port", "0", "--json", "--max-connections", str(clients * 2), *proxy_args],
            stdout=out, stderr=err, env=env,
        )  # fmt: skip
    try:
        while not log.read_text().strip():
            if proc.poll() is not None:
                raise SystemExit((work / "proxy.err").read_text())
            time.sleep(0.05)
        proxy = json.loads(log.read_text().splitlines()[0])["listening"]
        small: dict[str, Any] = {}
        for name, at in (("direct", endpoint), ("proxy", proxy)):
            url = _presign(at, "GET", bucket, "small.txt")
            small[name] = asyncio.run(_small(url, clients, requests))
        alone: dict[str, Any] = {}  # one client, one request at a time: no queueing
        for name, at in (("direct", endpoint), ("proxy", proxy)):
            url = _presign(at, "GET", bucket, "small.txt")
            alone[name] = asyncio.run(_small(url, 1, max(requests // 10, 50)))
        large: dict[str, Any] = {}
        for name, at in (("direct", endpoint), ("proxy", proxy)):
            key = f"large-{name}.bin"
            large[name] = _large(
                _presign(at, "PUT", bucket, key), _presign(at, "GET", bucket, key), size
            )
            s3.delete_object(Bucket=bucket, Key=key)
        peak = _peak_kib(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        s3.delete_object(Bucket=bucket, Key="small.txt")
        s3.delete_bucket(Bucket=bucket)
        _collect_garbage()
    logged = len(log.read_text().splitlines()) - 1
    return {
        "small": small,
        "added_p50_ms": round(small["proxy"]["p50_ms"] - small["direct"]["p50_ms"], 2),
        "added_p99_ms": round(small["proxy"]["p99_ms"] - small["direct"]["p99_ms"], 2),
        "alone": alone,
        "alone_added_p50_ms": round(alone["proxy"]["p50_ms"] - alone["direct"]["p50_ms"], 2),
        "alone_added_p99_ms": round(alone["proxy"]["p99_ms"] - alone["direct"]["p99_ms"], 2),
        "large": large,
        "large_size": size,
        "proxy_peak_kib": peak,
        "proxy_log_lines": logged,
    }


def _collect_garbage() -> None:
    """RGW frees deleted objects through its collector; run it now when we can (test RGW)."""
    state = os.environ.get("S3SERVER_STATE")
    conf = Path(state or "/nonexistent") / "ceph.conf"
    if conf.exists():
        subprocess.run(
            ["radosgw-admin", "-c", str(conf), "gc", "process", "--include-all"],
            capture_output=True, timeout=300, check=False,
        )  # fmt: skip


def _table(result: dict[str, Any]) -> str:
    small, large = result["small"], result["large"]
    lines = [
        "| path | req/s | p50 ms | p90 ms | p99 ms | store errors | proxy's own errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("direct", "proxy"):
        row = small[name]
        lines.append(
            f"| {name} | {row['per_second']} | {row['p50_ms']} | {row['p90_ms']} | "
            f"{row['p99_ms']} | {row['store_errors']} | {row['own_errors']} |"
        )
    lines += [
        "",
        f"Added latency: p50 {result['added_p50_ms']} ms, p99 {result['added_p99_ms']} ms.",
        "",
        "| one client, sequential | req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for name in ("direct", "proxy"):
        row = result["alone"][name]
        lines.append(f"| {name} | {row['per_second']} | {row['p50_ms']} | {row['p99_ms']} |")
    lines += [
        "",
        f"Added latency, one client: p50 {result['alone_added_p50_ms']} ms, "
        f"p99 {result['alone_added_p99_ms']} ms.",
        "",
        f"| {result['large_size'] >> 20} MiB object | PUT MB/s | GET MB/s |",
        "|---|---:|---:|",
    ]
    for name in ("direct", "proxy"):
        lines.append(f"| {name} | {large[name]['put_mb_s']} | {large[name]['get_mb_s']} |")
    lines.append("")
    lines.append(
        f"Proxy peak resident size over the run: {result['proxy_peak_kib'] / 1024:.1f} MiB."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--no-diagnose", action="store_true", help="run the proxy with --no-diagnose (plain log)"
    )
    args = parser.parse_args()
    extra = ("--no-diagnose",) if args.no_diagnose else ()
    result = run(args.clients, args.requests, args.size_mib << 20, *extra)
    print(json.dumps(result, indent=2) if args.json else _table(result))


if __name__ == "__main__":
    main()

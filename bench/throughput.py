"""Throughput and peak memory of payload hashing and aws-chunked encoding on large bodies.

A benchmark, not a test. Every case runs in a fresh interpreter, so that its peak resident size
(``ru_maxrss``) is its own, and is timed a few times there (best and median reported).

Payload hashing: the baseline is ``hashlib.sha256`` over bytes already in memory, a random
1 MiB block fed again and again as a memoryview, so the baseline needs no 1 GiB of RAM (it
measured within 1% of hashing 1 GiB of distinct bytes: SHA-256 is far below memory bandwidth).
The file is written once to a temporary directory, flushed (so that writeback does not compete)
and deleted after; it is read from the page cache (warm), as a cold read would measure the
disk. On a machine with a busy second core, the file row loses the overlap sha256_stream gets
from its read-ahead thread (see sigkit/payload.py).

aws-chunked: the source is generated (the 1 MiB random block repeated, read with readinto,
no seek) and the encoded bytes are dropped as a socket would take them. The baseline is the
issue's: ``hashlib.sha256`` over the same bytes in memory. The row "hashlib.sha256, generated
stream" (the same stream read in 1 MiB pieces and hashed) shows what reading the source adds:
every signed chunk costs at least that hash and that read. The pure-Python CRC32C cases run on
an eighth of the size (at least 8 MiB) to keep the run short; their rate does not depend on
the size.

    python bench/throughput.py                 # 1 GiB, 64 KiB chunks (the CLI's default)
    python bench/throughput.py --size 64MiB    # quicker
    python bench/throughput.py --json          # the rows, for bench/run.py and scripts

``rows(size)`` gives the same rows to bench/run.py.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LIMIT_MIB = 64  # the acceptance bound on peak memory
BLOCK = 1 << 20
DEFAULT_CHUNK = 64 * 1024  # ChunkedConfig's default and `sigkit chunked --chunk-size`
REPEATS = 5
CRC32C_SHARE = 8  # the CRC32C cases encode size // CRC32C_SHARE bytes

HASH_GROUP = "Payload hashing"
CHUNKED_GROUP = "aws-chunked"
IN_MEMORY = "hashlib.sha256, bytes in memory"
STREAM_BASELINE = "hashlib.sha256, generated stream"

# name -> (group, kind, payload, checksum, baseline, note)
CASES: dict[str, tuple[str, str, str | None, str | None, str | None, str]] = {
    IN_MEMORY: (HASH_GROUP, "memory", None, None, None, "1 MiB random block, cached"),
    "sigkit sha256_stream, file": (HASH_GROUP, "file", None, None, IN_MEMORY, "warm page cache"),
    "hashlib.file_digest, file": (HASH_GROUP, "file_digest", None, None, IN_MEMORY, "reference"),
    STREAM_BASELINE: (CHUNKED_GROUP, "stream", None, None, IN_MEMORY, "1 MiB reads"),
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": (
        CHUNKED_GROUP,
        "encode",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        None,
        IN_MEMORY,
        "",
    ),
    "…-PAYLOAD-TRAILER + crc32c": (
        CHUNKED_GROUP,
        "encode",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "crc32c",
        IN_MEMORY,
        "",
    ),
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER + crc32": (
        CHUNKED_GROUP,
        "encode",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "crc32",
        IN_MEMORY,
        "",
    ),
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER + crc32c": (
        CHUNKED_GROUP,
        "encode",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "crc32c",
        IN_MEMORY,
        "",
    ),
    "crc32c only": (CHUNKED_GROUP, "crc32c", None, "crc32c", STREAM_BASELINE, ""),
}


class Generated(io.RawIOBase):
    """`size` bytes from a repeated 1 MiB random block, read with readinto; cannot seek."""

    def __init__(self, size: int, block: bytes) -> None:
        self._block = memoryview(block)
        self._left = size
        self._at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self._left, len(self._block) - self._at)
        buffer[:n] = self._block[self._at : self._at + n]
        self._at = (self._at + n) % len(self._block)
        self._left -= n
        return n


def case_size(name: str, size: int) -> int:
    """Bytes a case processes: the slow pure-Python CRC32C cases take a share of `size`."""
    checksum = CASES[name][3]
    if checksum == "crc32c":
        return min(size, max(size // CRC32C_SHARE, 8 << 20))
    return size


def run_once(name: str, size: int, chunk: int, block: bytes, path: str | None) -> None:
    """Process `size` bytes once the way case `name` does."""
    _, kind, payload, checksum, _, _ = CASES[name]
    if kind == "memory":
        view, digest = memoryview(block), hashlib.sha256()
        for start in range(0, size, BLOCK):
            digest.update(view[: min(BLOCK, size - start)])
        return
    if kind in ("file", "file_digest"):
        from sigkit.payload import sha256_stream

        assert path is not None
        with open(path, "rb") as file:
            if kind == "file":
                sha256_stream(file)
            else:
                hashlib.file_digest(file, "sha256")
        return
    source = Generated(size, block)
    if kind in ("stream", "crc32c"):
        from sigkit.sigv4.chunked import crc32c

        buffer = memoryview(bytearray(BLOCK if kind == "stream" else chunk))
        digest, crc = hashlib.sha256(), 0
        while n := source.readinto(buffer):
            if kind == "stream":
                digest.update(buffer[:n])
            else:
                crc = crc32c(buffer[:n], crc)
        return
    from sigkit.sigv4.chunked import ChunkedBody, ChunkedConfig, ChunkSigner
    from sigkit.sigv4.signer import signing_key

    assert payload is not None
    config = ChunkedConfig(payload, chunk, checksum)
    signer = None
    if config.signed:
        key = signing_key("secret", "20260101", "us-east-1", "s3")[3]
        when = datetime(2026, 1, 1, tzinfo=UTC)
        signer = ChunkSigner.sigv4("0" * 64, when, "20260101/us-east-1/s3/aws4_request", key)
    body = ChunkedBody(source, size, config, signer)
    produced = 0
    for piece in body:
        produced += len(piece)
    assert produced == body.length, (produced, body.length)


def child(name: str, size: int, chunk: int, repeats: int, path: str | None) -> None:
    """Time case `name` `repeats` times in this (fresh) interpreter; print JSON."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import sigkit.payload
    import sigkit.sigv4.chunked  # noqa: F401 - imports are not part of the timing

    block = os.urandom(BLOCK)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run_once(name, size, chunk, block, path)
        seconds.append(time.perf_counter() - start)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "rss": rss}))


def spawn(name: str, size: int, chunk: int, repeats: int, path: str | None) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", name, "--size", str(size)]
    args += ["--chunk", str(chunk), "--repeats", str(repeats)]
    if path is not None:
        args += ["--path", path]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def write_file(directory: str, size: int) -> str:
    """A `size`-byte file of random blocks (each block fresh, so nothing dedups), flushed to
    disk so that the kernel's writeback does not compete with the timed reads."""
    path = os.path.join(directory, "body.bin")
    with open(path, "wb") as file:
        left = size
        while left:
            n = min(BLOCK, left)
            file.write(os.urandom(n))
            left -= n
        file.flush()
        os.fsync(file.fileno())
    return path


def rows(size: int, chunk: int = DEFAULT_CHUNK, repeats: int = REPEATS) -> list[dict[str, Any]]:
    """One dict per case (see the module docstring); rates in MB/s (10^6 bytes a second)."""
    directory = tempfile.mkdtemp(prefix="sigkit-bench-")
    try:
        path = write_file(directory, size)
        out = []
        for name, (group, kind, _, _, baseline, note) in CASES.items():
            n = case_size(name, size)
            result = spawn(name, n, chunk, repeats, path if "file" in kind else None)
            rates = [n / 1e6 / s for s in result["seconds"]]
            if n != size:
                note = f"{n >> 20} MiB" + (f"; {note}" if note else "")
            out.append(
                {
                    "group": group,
                    "name": name,
                    "unit": "MB/s",
                    "min": max(rates),  # the best run: least disturbed by the machine
                    "median": statistics.median(rates),
                    "baseline": baseline,
                    "peak_mib": result["rss"] / (1 << 20),
                    "note": note,
                }
            )
        return out
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def idle_rss() -> int:
    """Resident size of an interpreter that imported sigkit and did nothing."""
    code = (
        "import resource, sigkit.payload, sigkit.sigv4.chunked;"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout)


def parse_size(text: str) -> int:
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    for unit, factor in units.items():
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def report(table: list[dict[str, Any]], size: int, chunk: int, repeats: int) -> None:
    python = sys.version.split()[0]
    print(f"{size >> 20} MiB, {chunk >> 10} KiB chunks, Python {python}, best of {repeats}")
    print(f"idle interpreter with sigkit imported: {idle_rss() / (1 << 20):.1f} MiB resident")
    best = {row["name"]: row["min"] for row in table}
    print(f"{'case':45} {'MB/s':>7} {'median':>7} {'ratio':>6} {'max RSS':>8}  note")
    group = None
    for row in table:
        if row["group"] != group:
            group = row["group"]
            print(f"-- {group}")
        ratio = row["min"] / best[row["baseline"]] if row["baseline"] else 1.0
        print(
            f"{row['name']:45} {row['min']:7.0f} {row['median']:7.0f} {ratio:6.2f} "
            f"{row['peak_mib']:7.1f}M  {row['note']}"
        )
    worst = max(row["peak_mib"] for row in table)
    verdict = "under" if worst < LIMIT_MIB else "OVER"
    print(f"largest resident size {worst:.1f} MiB: {verdict} the {LIMIT_MIB} MiB bound")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=1 << 30, help="e.g. 64MiB")
    parser.add_argument("--chunk", type=parse_size, default=DEFAULT_CHUNK)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.size, options.chunk, options.repeats, options.path)
        return
    table = rows(options.size, options.chunk, options.repeats)
    if options.json:
        print(json.dumps(table, indent=2))
        return
    report(table, options.size, options.chunk, options.repeats)
    if max(row["peak_mib"] for row in table) >= LIMIT_MIB:
        sys.exit(1)


if __name__ == "__main__":
    main()

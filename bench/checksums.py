"""Throughput of every x-amz-checksum-* algorithm, each backend, next to hashlib.sha256.

A benchmark, not a test. In one interpreter: a random 1 MiB block is fed again and again (as
bytes, the way `sigkit.checksums.of_stream` feeds its reads) to ``hashlib.sha256`` and to each
algorithm through `sigkit.checksums.new`, with the C backend sigkit picks (awscrt, zlib or
hashlib) and with the pure-Python fallback (``new(alg, "pure")``, on a smaller size: its rate
does not depend on the size). The sha256 baseline is timed before and after the algorithms and
its best run is the one compared against: ratio = algorithm MB/s ÷ sha256 MB/s, above 1 faster.
Issue #11's target: every CRC and xxHash at least as fast as sha256 with the ``fast`` extra.
One more row hashes all ten algorithms in one pass over a stream (`checksums.summarise`), what
``sigkit checksum FILE`` does.

    python bench/checksums.py                  # 256 MiB (C), 8 MiB (pure), best of 5
    python bench/checksums.py --size 64MiB --pure-size 2MiB --repeats 3
    python bench/checksums.py --json           # rows for bench/run.py and scripts

``rows(size, pure_size, repeats)`` gives the rows to bench/run.py.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sigkit import checksums

GROUP = "Checksums"
BASELINE = "hashlib.sha256"
BLOCK = 1 << 20
SIZE = 256 << 20
PURE_SIZE = 8 << 20
REPEATS = 5
TARGET = 1.0  # each CRC and xxHash (C backend) ÷ sha256, at least
TARGETED = ("crc32", "crc32c", "crc64nvme", "xxhash64", "xxhash3", "xxhash128")


def _rates(run: Callable[[], None], size: int, repeats: int) -> list[float]:
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        rates.append(size / 1e6 / (time.perf_counter() - start))
    return rates


def _feed(make: Callable[[], Any], block: bytes, size: int) -> Callable[[], None]:
    def run() -> None:
        state = make()
        for _ in range(size // BLOCK):
            state.update(block)
        state.digest()

    return run


def _row(name: str, rates: list[float], baseline: float | None, note: str) -> dict[str, Any]:
    best = max(rates)
    return {
        "group": GROUP,
        "name": name,
        "unit": "MB/s",
        "min": best,  # bench/run.py's key for the best run
        "median": statistics.median(rates),
        "baseline": BASELINE if baseline is not None else None,
        "ratio": best / baseline if baseline else None,
        "note": note,
    }


def rows(
    size: int = SIZE, pure_size: int = PURE_SIZE, repeats: int = REPEATS
) -> list[dict[str, Any]]:
    """One dict per measurement; rates in MB/s (10^6 bytes a second)."""
    size, pure_size = max(size // BLOCK, 1) * BLOCK, max(pure_size // BLOCK, 1) * BLOCK
    block = os.urandom(BLOCK)
    sha256 = _feed(hashlib.sha256, block, size)
    before = _rates(sha256, size, repeats)
    few = max(2, repeats // 2)
    measured: list[tuple[str, list[float], str]] = []
    for alg in checksums.ALGORITHMS:
        run = _feed(lambda a=alg: checksums.new(a), block, size)
        measured.append((f"{alg} ({checksums.backend(alg)})", _rates(run, size, repeats), ""))
    for alg in checksums.ALGORITHMS:
        if checksums.backend(alg, "pure") != "pure":
            continue  # SHA and MD5: hashlib is always there
        run = _feed(lambda a=alg: checksums.new(a, "pure"), block, pure_size)
        note = f"{pure_size >> 20} MiB"
        measured.append((f"{alg} (pure Python)", _rates(run, pure_size, few), note))

    def one_pass() -> None:
        checksums.summarise(_Repeated(block, size))

    name = "all ten, one pass (checksums.summarise)"
    measured.append((name, _rates(one_pass, size, few), "every algorithm over each read"))
    after = _rates(sha256, size, repeats)
    baseline = max(before + after)
    out = [_row(BASELINE, before + after, None, f"{size >> 20} MiB, 1 MiB random block")]
    out += [_row(name, rates, baseline, note) for name, rates, note in measured]
    return out


class _Repeated(io.RawIOBase):
    """`size` bytes of one block repeated, read as a file would be."""

    def __init__(self, block: bytes, size: int) -> None:
        self._block, self._left = block, size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        piece = self._block if n < 0 or n >= len(self._block) else self._block[:n]
        piece = piece[: self._left]
        self._left -= len(piece)
        return piece


def markdown(table: list[dict[str, Any]]) -> str:
    lines = [
        "| algorithm (backend) | MB/s best | MB/s median | ÷ sha256 | target |",
        "|---|---:|---:|---:|---|",
    ]
    for row in table:
        ratio = f"{row['ratio']:.2f}" if row.get("ratio") else "1.00"
        alg = row["name"].split(" ")[0]
        target = ""
        if alg in TARGETED and "pure" not in row["name"]:
            target = f"≥ {TARGET:.1f}: " + ("met" if (row["ratio"] or 0) >= TARGET else "MISSED")
        lines.append(
            f"| {row['name']} | {row['min']:.0f} | {row['median']:.0f} | {ratio} | {target} |"
        )
    return "\n".join(lines)


def _size(text: str) -> int:
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    for unit, scale in units.items():
        if text.endswith(unit):
            return int(text[: -len(unit)]) * scale
    return int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=_size, default=SIZE)
    parser.add_argument("--pure-size", type=_size, default=PURE_SIZE)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    table = rows(args.size, args.pure_size, args.repeats)
    if args.json:
        print(json.dumps(table, indent=2))
    else:
        print(markdown(table))


if __name__ == "__main__":
    main()

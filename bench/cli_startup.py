#!/usr/bin/env python3
"""How long the command line takes to start, hyperfine-style: N runs each, min and median.

The goal is ``sigkit --help`` under 300 ms on the developer machine; `python -c pass`,
`import typer` and `aws --version` put the number in context. With ``--imports`` it also lists
what ``sigkit --help`` imports (``python -X importtime``), the slowest first, and says whether a
heavy dependency (cryptography, pygments, XML, rich) is among them: none of them should be.

Not part of the test suite (timings depend on the machine)::

    python bench/cli_startup.py                 # table
    python bench/cli_startup.py --runs 50 --json
    python bench/cli_startup.py --imports
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_MS = 300.0
HEAVY = ("cryptography", "pygments", "xml", "rich", "sigkit.vectors", "sigkit.sigv4.post_policy")


def sigkit_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("sigkit")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "sigkit.cli.app"]


def commands() -> list[tuple[str, list[str] | None]]:
    sigkit = sigkit_command()
    aws = shutil.which("aws")
    return [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("python -c 'import typer'", [sys.executable, "-c", "import typer"]),
        ("sigkit --help", [*sigkit, "--help"]),
        ("sigkit sign --example", [*sigkit, "sign", "--example"]),
        ("aws --version", [aws, "--version"] if aws else None),
    ]


def measure(argv: list[str], runs: int, warmup: int) -> dict[str, float | int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["NO_COLOR"] = "1"
    times: list[float] = []
    failures = 0
    for i in range(warmup + runs):
        start = time.perf_counter()
        proc = subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
        )
        elapsed = (time.perf_counter() - start) * 1000
        if i >= warmup:
            times.append(elapsed)
            failures += proc.returncode != 0
    return {
        "runs": runs,
        "min_ms": round(min(times), 1),
        "median_ms": round(statistics.median(times), 1),
        "mean_ms": round(statistics.fmean(times), 1),
        "max_ms": round(max(times), 1),
        "nonzero_exits": failures,
    }


def imports() -> list[tuple[str, int]]:
    """(module, cumulative microseconds) for every module ``sigkit --help`` imports."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sigkit.cli.app", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    out = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        if cumulative.isdigit():
            out.append((name, int(cumulative)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--imports", action="store_true", help="list what `sigkit --help` imports")
    args = parser.parse_args()
    results: dict[str, dict[str, float | int] | None] = {}
    for name, argv in commands():
        results[name] = measure(argv, args.runs, args.warmup) if argv else None
    help_result = results["sigkit --help"]
    verdict = help_result is not None and float(help_result["median_ms"]) < TARGET_MS
    loaded = imports() if args.imports else []
    heavy = sorted({n for n, _ in loaded if n.split(".")[0] in HEAVY or n in HEAVY})
    if args.json:
        document = {
            "python": sys.version.split()[0],
            "target_ms": TARGET_MS,
            "sigkit_help_under_target": verdict,
            "results": results,
            **({"heavy_imports": heavy, "modules": len(loaded)} if args.imports else {}),
        }
        print(json.dumps(document, indent=2))
        return 0
    print(f"{'command':<28} {'min ms':>8} {'median ms':>10} {'mean ms':>8} {'max ms':>8}")
    for name, result in results.items():
        if result is None:
            print(f"{name:<28} {'(not installed)':>36}")
            continue
        print(
            f"{name:<28} {result['min_ms']:>8} {result['median_ms']:>10} "
            f"{result['mean_ms']:>8} {result['max_ms']:>8}"
            + (f"  ({result['nonzero_exits']} non-zero exits)" if result["nonzero_exits"] else "")
        )
    print(
        f"\nsigkit --help median {'<' if verdict else '>='} {TARGET_MS:.0f} ms target"
        f" ({args.runs} runs, {args.warmup} warm-up)"
    )
    if args.imports:
        print(f"\n`sigkit --help` imports {len(loaded)} modules; slowest (cumulative):")
        for name, micros in sorted(loaded, key=lambda p: -p[1])[:15]:
            print(f"  {micros / 1000:7.1f} ms  {name}")
        print("heavy modules imported: " + (", ".join(heavy) if heavy else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

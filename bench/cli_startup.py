#!/usr/bin/env python3
"""How long the command line takes to start, hyperfine-style: N runs each, min and median.

Targets (issue #6): ``sigkit sign --example`` in at most 100 ms median, and ``sigkit --help`` no
slower than the ``--help`` of a bare two-command Typer app (written by this bench to a temporary
file), so that sigkit's own start-up adds nothing to Typer's. `python -c pass`,
`import typer` and `aws --version` put the numbers in context. With ``--imports`` it also lists
what both sigkit commands import (``python -X importtime``), the slowest first, and says whether
a heavy dependency is among them: none should be (sign writes to a pipe here, so not even
pygments).

`rows(runs)` gives the same measurements to bench/run.py, one dict per command. Not part of the
test suite (timings depend on the machine)::

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
import tempfile
import time
from pathlib import Path
from typing import Any

GROUP = "CLI start-up"
SIGN_TARGET_MS = 100.0
PASS = "python -c pass"
IMPORT_TYPER = "python -c 'import typer'"
BARE_HELP = "bare Typer app --help"
HELP = "sigkit --help"
SIGN = "sigkit sign --example"
AWS = "aws --version"
HEAVY = (
    "cryptography",
    "pygments",
    "xml",
    "rich",
    "pydantic",
    "pydantic_core",
    "sigkit.vectors",
    "sigkit.sigv4.post_policy",
    "sigkit.sigv4.chunked",
)

# The yardstick for `sigkit --help`: what any two-command Typer app costs, with Typer's defaults
# (rich help when rich is installed, as it is with typer).
BARE_APP = '''\
import typer

app = typer.Typer()


@app.command()
def hello(name: str, count: int = 1) -> None:
    """Say hello."""
    for _ in range(count):
        print(f"hello {name}")


@app.command()
def bye(name: str = "world", loud: bool = False) -> None:
    """Say goodbye."""
    print(f"bye {name}".upper() if loud else f"bye {name}")


if __name__ == "__main__":
    app()
'''


def sigkit_command() -> list[str]:
    """The installed console script next to this interpreter (what users run), else
    ``python -m``."""
    script = Path(sys.executable).with_name("sigkit")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "sigkit.cli.app"]


def commands(bare_app: Path) -> list[tuple[str, list[str] | None, str | None]]:
    """(row name, argv or None when not installed, name of the row it is compared with)."""
    sigkit = sigkit_command()
    aws = shutil.which("aws")
    return [
        (PASS, [sys.executable, "-c", "pass"], None),
        (IMPORT_TYPER, [sys.executable, "-c", "import typer"], PASS),
        (BARE_HELP, [sys.executable, str(bare_app), "--help"], IMPORT_TYPER),
        (HELP, [*sigkit, "--help"], BARE_HELP),
        (SIGN, [*sigkit, "sign", "--example"], None),
        (AWS, [aws, "--version"] if aws else None, None),
    ]


def _env() -> dict[str, str]:
    """No AWS_* variable (sign --example must not need one) and NO_COLOR, as in a script.

    PYTHONDONTWRITEBYTECODE is dropped so that the warm-up runs cache bytecode, as an install
    does: otherwise every run would compile the changed sources again and measure that."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["NO_COLOR"] = "1"
    return env


def measure(argv: list[str], runs: int, warmup: int) -> dict[str, float | int]:
    """Wall time of whole processes, output to /dev/null (not a terminal)."""
    env = _env()
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


def _measure_all(
    runs: int, warmup: int
) -> list[tuple[str, dict[str, float | int] | None, str | None]]:
    with tempfile.TemporaryDirectory(prefix="cli_startup-") as tmp:
        bare_app = Path(tmp) / "bare_typer_app.py"
        bare_app.write_text(BARE_APP, encoding="utf-8")
        return [
            (name, measure(argv, runs, warmup) if argv else None, baseline)
            for name, argv, baseline in commands(bare_app)
        ]


def _note(
    name: str,
    result: dict[str, float | int],
    baseline: str | None,
    by_name: dict[str, dict[str, float | int] | None],
) -> str:
    """The verdict against the target of the row, if it has one."""
    median = float(result["median_ms"])
    parts = []
    if name == SIGN:
        verdict = "met" if median <= SIGN_TARGET_MS else "MISSED"
        parts.append(f"target <= {SIGN_TARGET_MS:.0f} ms: {verdict}")
    elif name == HELP and baseline is not None and by_name.get(baseline):
        reference = float(by_name[baseline]["median_ms"])  # type: ignore[index]
        verdict = "met" if median <= reference else "MISSED"
        parts.append(f"target <= {baseline} ({reference:.1f} ms): {verdict}")
    elif baseline is not None and by_name.get(baseline):
        reference = float(by_name[baseline]["median_ms"])  # type: ignore[index]
        parts.append(f"{median - reference:+.1f} ms over {baseline}")
    if name == AWS:
        parts.append("context: the AWS CLI")
    if result["nonzero_exits"]:
        parts.append(f"{result['nonzero_exits']} non-zero exits")
    return "; ".join(parts)


def rows_from(
    measured: list[tuple[str, dict[str, float | int] | None, str | None]],
) -> list[dict[str, Any]]:
    """The rows for measurements already made (main prints both without measuring twice)."""
    by_name = {name: result for name, result, _ in measured}
    return [
        {
            "group": GROUP,
            "name": name,
            "unit": "ms",
            "min": float(result["min_ms"]),
            "median": float(result["median_ms"]),
            "baseline": baseline,
            "note": _note(name, result, baseline, by_name),
        }
        for name, result, baseline in measured
        if result is not None
    ]


def rows(runs: int, warmup: int = 3) -> list[dict[str, Any]]:
    """One dict per command for bench/run.py: group, name, unit, min, median (ms), baseline
    (the row it is compared with, or None) and note (target verdict). A command that is not
    installed (aws) gives no row rather than a made-up number."""
    return rows_from(_measure_all(runs, warmup))


def imports(*args: str) -> list[tuple[str, int]]:
    """(module, cumulative microseconds) for every module ``sigkit ARGS`` imports."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sigkit.cli.app", *args],
        capture_output=True,
        text=True,
        env=_env(),
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


def heavy(loaded: list[tuple[str, int]]) -> list[str]:
    """The heavy packages among the modules (a package once, not each of its modules)."""
    found = set()
    for name, _ in loaded:
        found.update(h for h in HEAVY if name == h or name.startswith(h + "."))
    return sorted(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--imports", action="store_true", help="list what `sigkit --help` and `sign` import"
    )
    args = parser.parse_args()
    measured = _measure_all(args.runs, args.warmup)
    results = {name: result for name, result, _ in measured}
    table = rows_from(measured)
    loaded = (
        {" ".join(argv): imports(*argv) for argv in (["--help"], ["sign", "--example"])}
        if args.imports
        else {}
    )
    if args.json:
        document = {
            "python": sys.version.split()[0],
            "sign_target_ms": SIGN_TARGET_MS,
            "results": results,
            "rows": table,
            **(
                {
                    "imports": {
                        f"sigkit {k}": {"heavy_imports": heavy(v), "modules": len(v)}
                        for k, v in loaded.items()
                    }
                }
                if args.imports
                else {}
            ),
        }
        print(json.dumps(document, indent=2))
        return 0
    print(f"{'command':<28} {'min ms':>8} {'median ms':>10} {'mean ms':>8} {'max ms':>8}  note")
    notes = {row["name"]: row["note"] for row in table}
    for name, result in results.items():
        if result is None:
            print(f"{name:<28} {'(not installed)':>36}")
            continue
        print(
            f"{name:<28} {result['min_ms']:>8} {result['median_ms']:>10} "
            f"{result['mean_ms']:>8} {result['max_ms']:>8}  {notes.get(name, '')}"
        )
    print(f"\n({args.runs} runs, {args.warmup} warm-up, output to /dev/null, NO_COLOR=1)")
    for what, modules in loaded.items():
        print(f"\n`sigkit {what}` imports {len(modules)} modules; slowest (cumulative):")
        for name, micros in sorted(modules, key=lambda p: -p[1])[:15]:
            print(f"  {micros / 1000:7.1f} ms  {name}")
        found = heavy(modules)
        print("heavy modules imported: " + (", ".join(found) if found else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

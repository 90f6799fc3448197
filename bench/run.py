#!/usr/bin/env python3
"""Run every benchmark and print one table (Markdown) with ratios and the targets of issues #6
and #13.

Four parts, each its own module in this directory:

- ``signing``: µs per signature of sigkit, the floor (``reference.py``), botocore,
  requests-aws4auth and awscrt, each signature checked equal to sigkit's first;
- ``build``: µs from method + URL + headers to the signed headers or presigned URL
  (``build_sign.py``): the request built anew every call, by each library's own model;
- ``payload``: MB/s and peak memory of payload hashing and aws-chunked (``throughput.py``);
- ``cli``: start-up of the command line in ms (``cli_startup.py``).

Extra benchmarks other parts of sigkit keep (``checksums.py``, ``integrations.py``,
``proxy_load.py``, those present) run only when asked: ``--extra NAME`` or ``--all``. Each is
run as ``python bench/NAME.py`` (its Markdown table is shown as it prints it) or with
``--json`` (its JSON output kept under ``extras`` in the document).

Ratios: signing and build use min times (sigkit ÷ floor, competitor ÷ sigkit: above 1, sigkit is
faster); payload uses best rates (rate ÷ baseline rate); CLI uses medians (ms ÷ baseline ms).
Takes about a minute on a 2-core machine; ``--quick`` is shorter. See docs/performance.md.

    python bench/run.py                          # everything, Markdown table
    python bench/run.py --quick                  # smaller sizes, fewer runs
    python bench/run.py --only signing --only cli
    python bench/run.py --only build             # the build + sign rows alone (~20 s)
    python bench/run.py --all                    # every part and every extra benchmark
    python bench/run.py --extra checksums        # the default parts and bench/checksums.py
    python bench/run.py --json > bench.json      # machine info, rows, ratios, targets
    python bench/run.py --markdown-out table.md  # also write the table to a file
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shlex
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import build_sign  # noqa: E402
import cli_startup  # noqa: E402
import signing  # noqa: E402
import throughput  # noqa: E402

X = "\N{MULTIPLICATION SIGN}"  # ratios print as 1.25 and this sign
PARTS = ("signing", "build", "payload", "cli")
# Benchmarks of other features, run only when asked (--extra NAME, --all), if present.
EXTRAS = ("checksums", "integrations", "proxy_load")
# What --quick passes to each (a script takes only the options it declares).
EXTRA_QUICK: dict[str, list[str]] = {
    "checksums": ["--size", "64MiB", "--pure-size", "2MiB", "--repeats", "3"],
    "integrations": ["--quick"],
    "proxy_load": ["--clients", "50", "--requests", "1000", "--size-mib", "16"],
}
PACKAGES = ("sigkit", "botocore", "requests-aws4auth", "awscrt", "typer", "cryptography")

# Full and --quick settings. Full: about a minute here (signing ~12 s, payload ~35 s at 1 GiB,
# CLI ~20 s at 20 runs).
FULL: dict[str, Any] = {"repeats": 21, "seconds": 0.02, "size": 1 << 30, "runs": 20}
QUICK: dict[str, Any] = {"repeats": 7, "seconds": 0.01, "size": 256 << 20, "runs": 10}

# Signing targets (issue #6): sigkit's min time ÷ the floor's min time, at most this.
SIGNING_TARGETS = {
    "SigV4 S3 PUT, 4 headers, UNSIGNED-PAYLOAD": 1.3,
    "SigV4 S3 PUT, 4 headers, 1 KiB body hashed": 1.3,
    "SigV4 S3 presigned GET, 1 hour": 1.3,
    "S3 V2 (HmacV1) PUT, 4 headers": 1.3,
    "S3 V2 presigned GET, 1 hour": 1.3,
    "SigV4A S3 PUT, 4 headers, UNSIGNED-PAYLOAD (ECDSA P-256)": 1.1,
}
# Build + sign targets (issue #13): sigkit's min time ÷ the floor's, at most this, every case.
BUILD_TARGET = 1.5
HASH_FILE_TARGET = 0.9  # sigkit sha256_stream of a file ÷ hashlib.sha256 in memory, at least
CHUNKED_TARGET = 0.85  # aws-chunked encoding ÷ hashlib.sha256 of the same bytes in memory


# ------------------------------------------------------------------------------- machine


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def source() -> str:
    """The commit measured, and whether sigkit/ differs from it (read-only git commands)."""
    root = HERE.parent

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )

    try:
        head = git("rev-parse", "--short", "HEAD")
        if head.returncode != 0:
            return "unknown (not a git checkout)"
        dirty = git("diff-index", "--quiet", "HEAD", "--", "sigkit").returncode != 0
    except OSError:
        return "unknown (no git)"
    return head.stdout.strip() + (" + uncommitted changes in sigkit/" if dirty else "")


def machine() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "openssl": ssl.OPENSSL_VERSION,
        "packages": {name: version(name) for name in PACKAGES},
        "source": source(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def machine_lines(info: dict[str, Any]) -> list[str]:
    load = ", ".join(f"{x:.2f}" for x in info["load_average_at_start"])
    cores = f"{info['cores']} cores"
    if info["usable_cores"] != info["cores"]:
        cores += f" ({info['usable_cores']} usable)"
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    lines = [
        f"- Date: {info['date']}",
        f"- CPU: {info['cpu']}, {cores}",
        f"- System: {info['system']}",
        f"- Python: {info['python']}, {info['openssl']}",
        f"- Packages: {packages}",
        f"- sigkit source: git {info['source']}",
        f"- Load average at start (1, 5, 15 min): {load}",
    ]
    if "load_average_at_end" in info:
        end = ", ".join(f"{x:.2f}" for x in info["load_average_at_end"])
        lines.append(f"- Load average at end: {end}")
    return lines


# -------------------------------------------------------------------------------- ratios


def _verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def annotate_signing(
    rows: list[dict[str, Any]], limits: Callable[[str], float | None] = SIGNING_TARGETS.get
) -> list[dict[str, Any]]:
    """Add ratio_to_floor, ratio_to_sigkit (competitors) and the sigkit row's target
    (`limits`: a case's limit on sigkit ÷ floor, or None)."""
    by_case: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_case.setdefault(row["case"], {})[row["name"]] = row
    targets = []
    for case, named in by_case.items():
        floor = named.get(signing.FLOOR)
        own = named.get(signing.SIGKIT)
        for name, row in named.items():
            row["ratio_to_floor"] = round(row["min"] / floor["min"], 3) if floor else None
            competitor = name not in (signing.SIGKIT, signing.FLOOR)
            row["ratio_to_sigkit"] = (
                round(row["min"] / own["min"], 3) if own and competitor else None
            )
        limit = limits(case)
        if own is not None and limit is not None and own["ratio_to_floor"] is not None:
            ok = own["ratio_to_floor"] <= limit
            own["target"] = {"text": f"≤ {limit:.1f}{X} floor", "ok": ok}
            targets.append(
                {
                    "target": f"{case}: sigkit ≤ {limit:.1f}{X} floor (min times)",
                    "measured": f"{own['ratio_to_floor']:.2f}{X}",
                    "ok": ok,
                }
            )
        elif own is not None:
            own["target"] = {"text": "no target", "ok": None}
    return targets


def annotate_payload(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ratio_to_baseline (best rate ÷ baseline's best rate) and the targets."""
    best = {row["name"]: row["min"] for row in rows}
    targets = []
    for row in rows:
        base = best.get(row["baseline"]) if row["baseline"] else None
        row["ratio_to_baseline"] = round(row["min"] / base, 3) if base else None
        case = throughput.CASES.get(row["name"])
        kind, checksum = (case[1], case[3]) if case else (None, None)
        under = row["peak_mib"] < throughput.LIMIT_MIB
        ratio = row["ratio_to_baseline"]
        if kind == "file" and ratio is not None:
            ok = ratio >= HASH_FILE_TARGET
            row["target"] = {"text": f"≥ {HASH_FILE_TARGET}{X} hashlib", "ok": ok}
            targets.append(
                {
                    "target": f"file payload hash ≥ {HASH_FILE_TARGET}{X} hashlib (best rates)",
                    "measured": f"{ratio:.2f}{X}",
                    "ok": ok,
                }
            )
        elif kind == "encode" and checksum != "crc32c" and ratio is not None:
            ok = ratio >= CHUNKED_TARGET and under
            row["target"] = {
                "text": f"≥ {CHUNKED_TARGET}{X}, < {throughput.LIMIT_MIB} MiB",
                "ok": ok,
            }
            targets.append(
                {
                    "target": f"aws-chunked {row['name']} ≥ {CHUNKED_TARGET}{X} hashlib in "
                    f"memory, peak < {throughput.LIMIT_MIB} MiB",
                    "measured": f"{ratio:.2f}{X}, {row['peak_mib']:.1f} MiB",
                    "ok": ok,
                }
            )
        elif kind == "encode":
            row["target"] = {"text": "none: pure-Python CRC32C", "ok": None}
        elif not under:
            row["target"] = {"text": f"peak < {throughput.LIMIT_MIB} MiB", "ok": False}
    if rows:
        worst = max(rows, key=lambda row: row["peak_mib"])
        targets.append(
            {
                "target": f"peak resident size of every payload case < {throughput.LIMIT_MIB} MiB",
                "measured": f"{worst['peak_mib']:.1f} MiB ({worst['name']})",
                "ok": worst["peak_mib"] < throughput.LIMIT_MIB,
            }
        )
    return targets


def annotate_cli(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ratio_to_baseline (median ÷ baseline's median) and the targets."""
    median = {row["name"]: row["median"] for row in rows}
    targets = []
    for row in rows:
        base = median.get(row["baseline"]) if row["baseline"] else None
        row["ratio_to_baseline"] = round(row["median"] / base, 3) if base else None
        if row["name"] == cli_startup.SIGN:
            limit = cli_startup.SIGN_TARGET_MS
            ok = row["median"] <= limit
            row["target"] = {"text": f"median ≤ {limit:.0f} ms", "ok": ok}
            targets.append(
                {
                    "target": f"`{row['name']}` median ≤ {limit:.0f} ms",
                    "measured": f"{row['median']:.1f} ms",
                    "ok": ok,
                }
            )
        elif row["name"] == cli_startup.HELP and base is not None:
            ok = row["median"] <= base
            row["target"] = {"text": f"median ≤ {row['baseline']}", "ok": ok}
            targets.append(
                {
                    "target": f"`{row['name']}` median ≤ {row['baseline']} median",
                    "measured": f"{row['median']:.1f} ms vs {base:.1f} ms",
                    "ok": ok,
                }
            )
    return targets


# --------------------------------------------------------------------------------- table


def markdown_table(header: Sequence[str], body: Iterable[Sequence[str]], right: set[int]) -> str:
    """A Markdown table padded to fixed widths, readable as plain text too."""
    lines = [list(header), *(list(row) for row in body)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        padded = (
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        "-" * (w + 1) + ":" if i in right else "-" * (w + 2) for i, w in enumerate(widths)
    )
    return "\n".join([fmt(lines[0]), rule + "|", *(fmt(line) for line in lines[1:])])


def _x(ratio: float | None) -> str:
    return f"{ratio:.2f}{X}" if ratio is not None else ""


def _target(row: dict[str, Any]) -> str:
    target = row.get("target")
    if not target:
        return ""
    if target["ok"] is None:
        return str(target["text"])
    return f"{target['text']}: {_verdict(target['ok'])}"


def signing_section(
    rows: list[dict[str, Any]], repeats: int, title: str = "Signing: µs per signature"
) -> list[str]:
    out = [
        f"### {title} (min and median of {repeats} rounds)",
        "",
        "Ratios use min times. `÷ floor`: this row ÷ the floor. `÷ sigkit`: this competitor ÷ "
        "sigkit (above 1: sigkit is faster).",
    ]
    cases: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        cases.setdefault(row["case"], []).append(row)
    for case, group in cases.items():
        body = [
            [
                row["name"],
                f"{row['min']:.2f}",
                f"{row['median']:.2f}",
                _x(row.get("ratio_to_floor")),
                _x(row.get("ratio_to_sigkit")),
                _target(row),
                row["note"],
            ]
            for row in group
        ]
        header = ["signer", "min µs", "median µs", "÷ floor", "÷ sigkit", "target", "note"]
        out += ["", f"**{case}**", "", markdown_table(header, body, {1, 2, 3, 4})]
    return out


def payload_section(rows: list[dict[str, Any]], size: int) -> list[str]:
    out = [
        f"### Payload hashing and aws-chunked: MB/s over {size >> 20} MiB "
        f"(best and median of {throughput.REPEATS} runs, 64 KiB chunks)",
        "",
        "`÷ baseline`: best rate ÷ the best rate of the group's baseline (the row with no ratio). "
        "Peak: the case's process's maximum resident size.",
    ]
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)
    for group, members in groups.items():
        body = [
            [
                row["name"],
                f"{row['min']:.0f}",
                f"{row['median']:.0f}",
                _x(row.get("ratio_to_baseline")) or "baseline",
                f"{row['peak_mib']:.1f}",
                _target(row),
                row["note"],
            ]
            for row in members
        ]
        header = ["case", "best MB/s", "median MB/s", "÷ baseline", "peak MiB", "target", "note"]
        out += ["", f"**{group}**", "", markdown_table(header, body, {1, 2, 3, 4})]
    return out


def cli_section(rows: list[dict[str, Any]], runs: int) -> list[str]:
    def note(row: dict[str, Any]) -> str:
        # cli_startup puts its own target verdict in the note; the target column has it here
        parts = [p for p in row["note"].split("; ") if p and not p.startswith("target")]
        return "; ".join(parts)

    body = [
        [
            row["name"],
            f"{row['min']:.1f}",
            f"{row['median']:.1f}",
            f"{_x(row['ratio_to_baseline'])} {row['baseline']}" if row["baseline"] else "",
            _target(row),
            note(row),
        ]
        for row in rows
    ]
    header = ["command", "min ms", "median ms", "÷ baseline (medians)", "target", "note"]
    return [
        f"### CLI start-up: ms per process ({runs} runs after 3 warm-up, output to /dev/null)",
        "",
        markdown_table(header, body, {1, 2}),
    ]


def targets_section(targets: list[dict[str, Any]]) -> list[str]:
    body = [[t["target"], t["measured"], _verdict(t["ok"])] for t in targets]
    met = sum(t["ok"] for t in targets)
    return [
        f"### Targets (issues #6 and #13): {met} of {len(targets)} met",
        "",
        markdown_table(["target", "measured", "verdict"], body, set()),
    ]


# ---------------------------------------------------------------------------------- main


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _run(part: str, call: Callable[[], Any], errors: dict[str, str]) -> Any:
    """Run one part; a failure (e.g. a competitor's signature differing: signing.rows raises
    SystemExit) is reported and the other parts still run."""
    _progress(f"bench: {part}...")
    start = time.perf_counter()
    try:
        rows = call()
    except (Exception, SystemExit) as error:
        message = str(error) or type(error).__name__
        errors[part] = message
        _progress(f"bench: {part} FAILED: {message}")
        return []
    _progress(f"bench: {part} done in {time.perf_counter() - start:.0f} s")
    return rows


def payload_rows(size: int) -> list[dict[str, Any]]:
    """``throughput.rows(size)``, run by ``throughput.py --json`` in a small fresh interpreter.

    Each case's peak is its process's ``ru_maxrss``, and Linux carries ru_maxrss across exec:
    a case spawned from this process (which has imported botocore, awscrt, ...) would report at
    least this process's size, not its own.
    """
    argv = [sys.executable, throughput.__file__, "--json", "--size", str(size)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return list(json.loads(done.stdout))


def cli_rows(runs: int) -> list[dict[str, Any]]:
    """``cli_startup.rows(runs)``, run by ``cli_startup.py --json`` in a small fresh interpreter.

    The commands then start from a small process, as from a shell, not from this one (large
    once botocore and awscrt are imported), so the parent's size cannot weigh on the numbers.
    """
    argv = [sys.executable, cli_startup.__file__, "--json", "--runs", str(runs)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return list(json.loads(done.stdout)["rows"])


def extra_names(options: argparse.Namespace) -> list[str]:
    """The extra benchmarks asked for (--extra, or every one present with --all)."""
    asked = list(EXTRAS) if options.all else list(options.extra or [])
    missing = [name for name in asked if not (HERE / f"{name}.py").exists()]
    if missing and not options.all:
        raise SystemExit(f"bench/run.py: no bench/{missing[0]}.py here")
    return [name for name in asked if name not in missing]


def _run_extra(name: str, as_json: bool, errors: dict[str, str], extra: list[str]) -> Any:
    """``python bench/NAME.py`` (``--json`` for a JSON document): its table, or its rows."""

    def run() -> Any:
        argv = [sys.executable, str(HERE / f"{name}.py"), *extra, *(["--json"] if as_json else [])]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            raise RuntimeError(f"bench/{name}.py exited {done.returncode}: {tail[0]}")
        return json.loads(done.stdout) if as_json else done.stdout

    return _run(name, run, errors)


def command_line(argv: Sequence[str] | None) -> str:
    """How this run was started, without --markdown-out (where it was written is no result)."""
    args, kept = list(sys.argv[1:] if argv is None else argv), []
    while args:
        arg = args.pop(0)
        if arg == "--markdown-out":
            args = args[1:]
        elif not arg.startswith("--markdown-out="):
            kept.append(arg)
    return shlex.join(["python", "bench/run.py", *kept])


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Targets and what each row measures: docs/performance.md.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller run: 256 MiB, 10 CLI runs, 7 signing rounds (noisier)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part (repeatable); default: all",
    )
    parser.add_argument(
        "--size",
        type=throughput.parse_size,
        help="bytes for the payload part, e.g. 64MiB (default 1GiB; --quick 256MiB)",
    )
    parser.add_argument("--runs", type=int, help="runs per CLI command (default 20; --quick 10)")
    parser.add_argument(
        "--repeats", type=int, help="signing rounds per signer (default 21; --quick 7)"
    )
    parser.add_argument(
        "--extra",
        action="append",
        choices=EXTRAS,
        help="also run bench/NAME.py (repeatable; those not present are refused)",
    )
    parser.add_argument(
        "--all", action="store_true", help="every part and every extra benchmark present"
    )
    parser.add_argument("--markdown-out", type=Path, help="also write the table to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    settings = dict(QUICK if options.quick else FULL)
    for key in ("size", "runs", "repeats"):
        if getattr(options, key) is not None:
            settings[key] = getattr(options, key)
    parts = list(PARTS) if options.all else options.only or list(PARTS)
    wanted = extra_names(options)  # a missing script is refused before anything runs
    info = machine()
    started = time.perf_counter()
    errors: dict[str, str] = {}

    rows: dict[str, list[dict[str, Any]]] = {part: [] for part in PARTS}
    targets: list[dict[str, Any]] = []
    if "signing" in parts:
        rows["signing"] = _run(
            "signing",
            lambda: signing.rows(repeats=settings["repeats"], seconds=settings["seconds"]),
            errors,
        )
        targets += annotate_signing(rows["signing"])
    if "build" in parts:
        rows["build"] = _run(
            "build",
            lambda: signing.rows(
                repeats=settings["repeats"],
                seconds=settings["seconds"],
                make_cases=build_sign.cases,
                group="Build + sign",
            ),
            errors,
        )
        targets += annotate_signing(
            rows["build"], lambda case: BUILD_TARGET if case.startswith(build_sign.PREFIX) else None
        )
    if "payload" in parts:
        rows["payload"] = _run("payload", lambda: payload_rows(settings["size"]), errors)
        targets += annotate_payload(rows["payload"])
    if "cli" in parts:
        rows["cli"] = _run("cli", lambda: cli_rows(settings["runs"]), errors)
        targets += annotate_cli(rows["cli"])
    extras = {
        name: _run_extra(
            name, options.json, errors, EXTRA_QUICK.get(name, []) if options.quick else []
        )
        for name in wanted
    }
    elapsed = time.perf_counter() - started
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    if options.json:
        document = {
            "machine": info,
            "settings": {**settings, "parts": parts, "quick": options.quick},
            "elapsed_s": round(elapsed, 1),
            "rows": [row for part in PARTS for row in rows[part]],
            "targets": targets,
            "extras": extras,
            "errors": errors,
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    lines = [
        "Machine:",
        "",
        *machine_lines(info),
        f"- Run: `{command_line(argv)}`, {elapsed:.0f} s",
    ]
    if rows["signing"]:
        lines += ["", *signing_section(rows["signing"], settings["repeats"])]
    if rows["build"]:
        title = "Build + sign: µs from method, URL and headers to the signed request"
        lines += ["", *signing_section(rows["build"], settings["repeats"], title)]
    if rows["payload"]:
        lines += ["", *payload_section(rows["payload"], settings["size"])]
    if rows["cli"]:
        lines += ["", *cli_section(rows["cli"], settings["runs"])]
    if targets:
        lines += ["", *targets_section(targets)]
    for name, output in extras.items():
        if isinstance(output, str) and output:
            lines += ["", f"### Extra: bench/{name}.py", "", output.rstrip("\n")]
    for part, message in errors.items():
        lines += ["", f"**{part} failed**: {message}"]
    text = "\n".join(lines) + "\n"
    if not options.json:
        print(text, end="")
    if options.markdown_out is not None:
        options.markdown_out.write_text(text, encoding="utf-8")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""`sigkit vectors`: run test-vector suites and report per case variant."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from sigkit.vectors import run_suites


def vectors(
    paths: Annotated[list[Path], typer.Argument(help="suite folders or case folders")],
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> int:
    """Run every case folder (context.json + request.txt) under PATHS; exit 1 if any failed."""
    results = run_suites(paths)
    passed = sum(r.status == "passed" for r in results)
    failed = sum(r.status == "failed" for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    if as_json:
        document = {
            "passed": passed,
            "failed": failed,
            "skipped": skipped,
            "results": [
                {
                    "case": r.case,
                    "variant": r.variant,
                    "algorithm": r.algorithm,
                    "status": r.status,
                    **({"reason": r.reason} if r.reason else {}),
                    "failures": [{"check": c.name, "detail": c.detail} for c in r.failures],
                }
                for r in results
            ],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        for r in results:
            for check in r.failures:
                print(f"FAIL {r.case} [{r.variant}] {check.name}: {check.detail}")
        reasons = Counter(r.reason for r in results if r.status == "skipped")
        for reason, count in sorted(reasons.items()):
            print(f"SKIP {count}: {reason}")
        line = f"{passed} passed, {failed} failed"
        if skipped:
            line += f", {skipped} skipped"
        print(line)
    return 1 if failed else 0

"""The checked-in generated suites are exactly what their sources produce today.

`make_vectors.py --check` re-signs every case with botocore (the oracle) and compares the
bytes; `convert_aws_docs.py --check` rebuilds the documentation cases from the shared records.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _check(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tests" / "oracle" / script), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_botocore_generated_vectors_are_current() -> None:
    proc = _check("make_vectors.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_aws_docs_vectors_are_current() -> None:
    if not (ROOT.parent / "shared" / "vectors" / "aws-docs").is_dir():
        pytest.skip("the shared vector records are not beside this checkout")
    proc = _check("convert_aws_docs.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr

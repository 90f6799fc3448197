"""What the command line imports to start (issue #6), checked by module name, never by time:
the timings live in bench/cli_startup.py. A heavy import is the usual way start-up regresses,
and unlike a timing it can be checked on any machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("cryptography", "pygments", "xml", "rich", "pydantic", "pydantic_core")
MARKER = "sigkit-test-modules:"

# Runs sigkit in a fresh interpreter with stdout a pipe (not a terminal), then lists the modules
# it imported on stderr; sys.exit is caught so that --help is covered as well.
PROBE = f"""
import sys
from sigkit.cli.app import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print({MARKER!r}, code, *sorted(sys.modules), file=sys.stderr)
"""


def _imported(tmp_path: Path, *argv: str) -> tuple[int, set[str]]:
    """(exit status, modules imported) for ``sigkit ARGV``, without AWS_* or a real ~/.aws."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "NO_COLOR"}
    env["HOME"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    lines = [line for line in proc.stderr.splitlines() if line.startswith(MARKER)]
    assert lines, proc.stderr
    code, *modules = lines[-1][len(MARKER) :].split()
    return int(code), set(modules)


def _heavy(modules: set[str]) -> list[str]:
    return sorted({m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY})


def test_sign_example_imports_nothing_heavy(tmp_path: Path) -> None:
    # Not even pygments: the output is a pipe, so there is no colour to highlight. pydantic
    # comes with typer 0.29 and later, which converts every parameter through it (+70 ms):
    # pyproject.toml holds typer below 0.29 for this.
    code, modules = _imported(tmp_path, "sign", "--example")
    assert code == 0
    assert _heavy(modules) == []
    # SigV2 is imported for --sig v2 only.
    assert not {m for m in modules if m.startswith("sigkit.sigv2")}


def test_sigv4a_is_where_cryptography_comes_in(tmp_path: Path) -> None:
    """The other side of the check above: the probe does see a lazy import when one happens."""
    code, modules = _imported(tmp_path, "sign", "--example", "--sig", "v4a")
    assert code == 0
    assert "cryptography" in _heavy(modules)
    assert "pygments" not in _heavy(modules)


@pytest.mark.parametrize("argv", [["--help"], ["sign", "--help"], ["presign", "--help"]])
def test_help_imports_neither_rich_nor_pydantic(tmp_path: Path, argv: list[str]) -> None:
    # Help is plain click text (rich_markup_mode=None): rich would cost more than all of sigkit.
    code, modules = _imported(tmp_path, *argv)
    assert code == 0
    assert _heavy(modules) == []


def test_sign_v2_still_signs(tmp_path: Path) -> None:
    """SigV2 is imported inside the command now; a V2 signature still comes out."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sigkit.cli.app",
            "sign",
            "--sig",
            "v2",
            "https://examplebucket.s3.amazonaws.com/test.txt",
            "--date",
            "20130524T000000Z",
            "--access-key",
            "AKIAIOSFODNN7EXAMPLE",
            "--secret-key",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "--json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["algorithm"] == "s3v2"

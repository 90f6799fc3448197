"""Shared fixtures: where the project's vectors live, and a real S3 server (Ceph RGW from
Debian packages) for the tests that talk to one (tests/e2e/, and the help examples that run
against it).

The server is started once per test session on a free loopback port by tests/e2e/s3server.sh.
Where it cannot be had (not root and radosgw not installed) those tests are skipped, except
under CI, where that is a failure: CI must exercise a real server.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "vectors"


@pytest.fixture
def vectors_dir() -> Path:
    return VECTORS


SCRIPT = Path(__file__).resolve().parent / "e2e" / "s3server.sh"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"end-to-end S3 server unavailable under CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exports(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            env[name] = shlex.split(value)[0] if value else ""
    return env


@pytest.fixture(scope="session")
def s3server() -> Iterator[dict[str, str]]:
    """Environment of the running server: S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.

    With SIGKIT_S3SERVER_ENV naming a file of `s3server.sh start`'s export lines, that running
    server is used and left running (one cluster per machine: several test runs can share it).
    """
    shared = os.environ.get("SIGKIT_S3SERVER_ENV")
    if shared:
        yield _exports(Path(shared).read_text())
        return
    if shutil.which("radosgw") is None and not Path("/usr/bin/radosgw").exists():
        if os.geteuid() != 0:
            _unavailable("radosgw is not installed and installing it needs root")
        proc = subprocess.run(
            ["bash", str(SCRIPT), "install"], capture_output=True, text=True, timeout=900
        )
        if proc.returncode != 0:
            _unavailable(f"installing radosgw failed: {proc.stderr.strip()[-500:]}")
    proc = subprocess.run(
        ["bash", str(SCRIPT), "start", str(_free_port())],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    env = _exports(proc.stdout)
    if proc.returncode != 0 or "S3_ENDPOINT" not in env:
        _unavailable(f"starting the S3 server failed: {proc.stderr.strip()[-1500:]}")
    try:
        yield env
    finally:
        subprocess.run(
            ["bash", str(SCRIPT), "stop", env.get("S3SERVER_STATE", "")],
            capture_output=True,
            text=True,
            timeout=120,
        )

"""tests/e2e/s3server.sh names a cluster by the PORT it was started on as well as by its
state folder (`status`; `stop` resolves its argument the same way)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).resolve().parent / "s3server.sh"


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "S3SERVER_STATE"}
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_status_by_port_and_by_state(s3server: dict[str, str]) -> None:
    port = str(urlsplit(s3server["S3_ENDPOINT"]).port)
    by_port, by_state = _script("status", port), _script("status", s3server["S3SERVER_STATE"])
    assert by_port.returncode == 0 and by_state.returncode == 0, by_port.stderr
    assert "radosgw running (pid " in by_port.stderr
    assert by_port.stderr == by_state.stderr


def test_a_port_no_cluster_has_is_refused(s3server: dict[str, str]) -> None:
    port = int(urlsplit(s3server["S3_ENDPOINT"]).port or 0)
    other = str(port + 1 if port < 65535 else port - 1)
    done = _script("stop", other)
    assert done.returncode == 1
    assert done.stderr.strip().endswith(f"has rgw on 127.0.0.1:{other}")

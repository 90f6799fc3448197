"""`sigkit presign --curl`: the printed commands, run by bash and curl against a real S3 server,
upload, download, probe and delete objects with awkward keys and file names, V4 and V2."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sigkit import Credentials, Request, SigV4Config, sign_v4
from tests.e2e.wire import send

pytestmark = pytest.mark.e2e
BUCKET = "sigkit-presign-e2e"
KEYS = [
    "plain.bin",
    'dir/it\'s "odd" $(touch pwned) `touch pwned` ü+&=%20 [x]{y}.bin',
    "folder-marker/",
    "dots/./and/../segments",
]


def sigkit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sigkit.cli.app", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def cli_env(s3server: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(s3server)
    creds = Credentials(s3server["AWS_ACCESS_KEY_ID"], s3server["AWS_SECRET_ACCESS_KEY"])
    create = Request.from_url(
        "PUT", f"{s3server['S3_ENDPOINT']}/{BUCKET}", [("Content-Length", "0")]
    )
    result = sign_v4(create, creds, datetime.now(UTC), SigV4Config.s3("us-east-1"))
    assert send(s3server["S3_ENDPOINT"], result.request)[0] == 200
    return env


def curl(env: dict[str, str], sig: str, target: str, *args: str, cwd: Path) -> str:
    """Run what `sigkit presign --curl` prints; curl's output (its stdout)."""
    proc = sigkit(
        "presign",
        target,
        "--sig",
        sig,
        "--endpoint-url",
        env["S3_ENDPOINT"],
        "--curl",
        *args,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    run = subprocess.run(
        ["bash", "-c", proc.stdout], capture_output=True, text=True, env=env, cwd=cwd, check=False
    )
    assert run.returncode == 0, proc.stdout + run.stdout + run.stderr
    assert not (cwd / "pwned").exists()
    return run.stdout


@pytest.mark.parametrize("sig", ["v4", "v2"])
@pytest.mark.parametrize("key", KEYS, ids=["plain", "odd", "trailing-slash", "dot-segments"])
def test_put_get_head_delete(cli_env: dict[str, str], tmp_path: Path, sig: str, key: str) -> None:
    target = f"s3://{BUCKET}/{sig}/{key}"
    upload = tmp_path / "it's a file $(touch pwned) é.bin"
    data = os.urandom(3000)
    upload.write_bytes(data)
    curl(cli_env, sig, target, "--method", "PUT", "--file", str(upload), cwd=tmp_path)
    download = tmp_path / "down $(x).bin"
    curl(cli_env, sig, target, "--file", str(download), cwd=tmp_path)
    assert download.read_bytes() == data
    head = curl(cli_env, sig, target, "--method", "HEAD", cwd=tmp_path)
    assert "Content-Length: 3000" in head.replace("content-length", "Content-Length")
    curl(cli_env, sig, target, "--method", "DELETE", cwd=tmp_path)
    proc = sigkit(
        "presign", target, "--sig", sig, "--endpoint-url", cli_env["S3_ENDPOINT"], env=cli_env
    )
    gone = subprocess.run(
        [
            "curl",
            "-sS",
            "-g",
            "--path-as-is",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            proc.stdout.strip(),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert gone.stdout == "404"


def test_expired_url_is_refused(cli_env: dict[str, str]) -> None:
    proc = sigkit(
        "presign",
        f"s3://{BUCKET}/whatever",
        "--endpoint-url",
        cli_env["S3_ENDPOINT"],
        "--expires",
        "1",
        "--date",
        "20200101T000000Z",
        env=cli_env,
    )
    assert proc.returncode == 0, proc.stderr
    run = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", proc.stdout.strip()],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.stdout == "403"

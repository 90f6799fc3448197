"""sigkit's printed commands, run by a real shell and real curl against a real S3 server."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from sigkit import Credentials, Request, SigV4Config, sign_v4
from tests.e2e.wire import send

pytestmark = pytest.mark.e2e
BUCKET = "sigkit-cli-e2e"


def sigkit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sigkit.cli.app", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def signed_get(server: dict[str, str], key: str) -> tuple[int, bytes]:
    creds = Credentials(server["AWS_ACCESS_KEY_ID"], server["AWS_SECRET_ACCESS_KEY"])
    url = f"{server['S3_ENDPOINT']}/{BUCKET}/{quote(key, safe='/~')}"
    result = sign_v4(
        Request.from_url("GET", url), creds, datetime.now(UTC), SigV4Config.s3("us-east-1")
    )
    return send(server["S3_ENDPOINT"], result.request)


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


@pytest.mark.parametrize("sig", ["v4", "v2"])
def test_post_policy_curl_command_uploads(
    cli_env: dict[str, str], tmp_path: Path, sig: str
) -> None:
    # RGW 16 mis-parses a multipart filename holding '"' or ';', so the file name avoids them.
    path = tmp_path / "it's a file $(touch pwned) `touch pwned` é.txt"
    data = os.urandom(2048)
    path.write_bytes(data)
    key = f'uploads/{sig}/it\'s "odd" $(touch pwned) `touch pwned` ü+&\n.txt'
    proc = sigkit(
        "post-policy",
        f"s3://{BUCKET}/{key}",
        "--sig",
        sig,
        "--endpoint-url",
        cli_env["S3_ENDPOINT"],
        "--file",
        str(path),
        "--condition",
        '["content-length-range", 1, 4096]',
        env=cli_env,
    )
    assert proc.returncode == 0, proc.stderr
    command = proc.stdout.split("== Upload with curl (the file part must come last)\n", 1)[1]
    run = subprocess.run(
        ["bash", "-c", command], capture_output=True, env=cli_env, check=False, cwd=tmp_path
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert not (tmp_path / "pwned").exists()
    assert signed_get(cli_env, key) == (200, data)


def test_post_policy_refuses_a_file_outside_the_length_range(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 5000)
    proc = sigkit(
        "post-policy",
        f"s3://{BUCKET}/big/${{filename}}",
        "--endpoint-url",
        cli_env["S3_ENDPOINT"],
        "--file",
        str(path),
        "--condition",
        '["content-length-range", 1, 4096]',
        env=cli_env,
    )
    assert proc.returncode == 0, proc.stderr
    command = proc.stdout.split("== Upload with curl (the file part must come last)\n", 1)[1]
    run = subprocess.run(["bash", "-c", command], capture_output=True, env=cli_env, check=False)
    assert run.returncode != 0
    assert signed_get(cli_env, "big/big.bin")[0] == 404


def test_chunked_output_uploads_and_a_tampered_chunk_is_refused(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    from sigkit import parse_request_text

    data = os.urandom(150_000)
    (tmp_path / "in.bin").write_bytes(data)
    key = f"chunked-{os.urandom(4).hex()}.bin"  # fresh per run: a reused server keeps objects
    url = f"{cli_env['S3_ENDPOINT']}/{BUCKET}/{key}"
    proc = sigkit(
        "chunked",
        url,
        "--data-file",
        str(tmp_path / "in.bin"),
        "--output",
        str(tmp_path / "out.bin"),
        "--region",
        "us-east-1",
        "--service",
        "s3",
        "--json",
        env=cli_env,
    )
    assert proc.returncode == 0, proc.stderr
    import json

    seed = {s["name"]: s["value"] for s in json.loads(proc.stdout)["seed"]}
    request = parse_request_text(seed["signed_request"].encode())
    encoded = (tmp_path / "out.bin").read_bytes()
    tampered = bytearray(encoded)
    tampered[70_000] ^= 1
    assert send(cli_env["S3_ENDPOINT"], request.with_body(bytes(tampered)))[0] == 403
    assert signed_get(cli_env, key)[0] == 404
    assert send(cli_env["S3_ENDPOINT"], request.with_body(encoded))[0] == 200
    assert signed_get(cli_env, key) == (200, data)

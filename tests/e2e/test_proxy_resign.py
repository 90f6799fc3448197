"""Re-sign mode live: plain curl, which signs nothing, through `sigkit proxy --resign` to Ceph
RGW: create a bucket, PUT a 100 MiB file, GET it back byte for byte, list with a prefix holding
a space and '+', for SigV4 (UNSIGNED-PAYLOAD, and aws-chunked) and S3 V2. With --client-key,
a client that does not sign with that key is refused by the proxy (nothing reaches the store)
and one that does (boto3) is let through."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("h11")

pytestmark = pytest.mark.e2e

_CLI = "import sys; from sigkit.cli.app import main; sys.exit(main(sys.argv[1:]))"
SIZE = 100 * 1024 * 1024
CLIENT_KEY = ("AKIDPROXYCLIENTP2001", "client-secret-of-the-proxy/p2+test")


class Proxy:
    def __init__(self, upstream: str, env: dict[str, str], *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CLI, "proxy", "--upstream", upstream, "--port", "0",
             "--json", "--resign", *extra],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None and self.proc.stderr is not None
        first = self.proc.stdout.readline()
        if not first:
            raise AssertionError(f"the proxy did not start: {self.proc.stderr.read()[-2000:]}")
        self.url: str = json.loads(first)["listening"]
        self.chunked = "chunked" in extra

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck proxy
            self.proc.kill()
            self.proc.wait()


def curl(*args: str) -> tuple[int, bytes]:
    """curl with no signing at all: the HTTP status and the body."""
    done = subprocess.run(
        ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", *args],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    body, _, status = done.stdout.rpartition(b"\n")
    return int(status), body


def _write(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = os.urandom(1 << 20)
    with path.open("wb") as out:
        for i in range(size >> 20):
            piece = i.to_bytes(8, "big") + block[8:]
            out.write(piece)
            digest.update(piece)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, str]]:
    """The 100 MiB file, and a 16 MiB one for the aws-chunked mode (RGW's test store is a
    1 GiB memstore, and deleted objects are freed only by its garbage collector, later)."""
    folder = tmp_path_factory.mktemp("resign")
    out = {}
    for size in (SIZE, 16 << 20):
        path = folder / f"{size}.bin"
        out[size] = (path, _write(path, size))
    return out


def _env(s3server: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **s3server}
    env.pop("AWS_PROFILE", None)
    return env


@pytest.fixture(scope="module", params=["v4", "v4-chunked", "v2"])
def resigning(request: pytest.FixtureRequest, s3server: dict[str, str]) -> Iterator[Proxy]:
    mode = str(request.param)
    extra = {"v4": [], "v4-chunked": ["--payload", "chunked"], "v2": ["--sig", "v2"]}[mode]
    proxy = Proxy(s3server["S3_ENDPOINT"], _env(s3server), "--region", "us-east-1", *extra)
    try:
        yield proxy
    finally:
        proxy.stop()


def test_unsigned_curl_through_resign(resigning: Any, files: dict[int, tuple[Path, str]]) -> None:
    size = SIZE if isinstance(resigning, Proxy) else 16 << 20
    path, digest = files[size]
    bucket = f"p2-resign-{uuid.uuid4().hex[:10]}"
    base = f"{resigning.url}/{bucket}"
    assert curl("-X", "PUT", base)[0] == 200
    key = "dir/a b+c.bin"
    quoted = "dir/a%20b%2Bc.bin"
    status, body = curl("-T", str(path), f"{base}/{quoted}")
    assert status == 200, body[:500]
    status, body = curl(f"{base}/{quoted}")
    assert status == 200 and len(body) == size
    assert hashlib.sha256(body).hexdigest() == digest
    status, body = curl(f"{base}?list-type=2&prefix=dir%2Fa%20b%2B")
    assert status == 200, body[:500]
    assert f"<Key>{key}</Key>".encode() in body
    assert f"<Size>{size}</Size>".encode() in body
    status, body = curl("-X", "DELETE", f"{base}/{quoted}")
    assert status == 204, body[:500]
    assert curl("-X", "DELETE", base)[0] == 204


@pytest.fixture(scope="module", params=["flag", "file", "env"])
def guarded(
    request: pytest.FixtureRequest,
    s3server: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Proxy]:
    """The client key given on the command line, in --client-key-file, or in
    $SIGKIT_PROXY_CLIENT_KEY (the last two keep the secret out of `ps`)."""
    key, secret = CLIENT_KEY
    env = _env(s3server)
    if request.param == "flag":
        extra = ["--client-key", f"{key}:{secret}"]
    elif request.param == "file":
        keys = tmp_path_factory.mktemp("client-key") / "keys"
        keys.write_text(f"# the proxy's clients\n\n{key}:{secret}\n")
        extra = ["--client-key-file", str(keys)]
    else:
        env["SIGKIT_PROXY_CLIENT_KEY"] = f"{key}:{secret}"
        extra = []
    proxy = Proxy(s3server["S3_ENDPOINT"], env, "--region", "us-east-1", *extra)
    if request.param != "flag":
        command_line = Path(f"/proc/{proxy.proc.pid}/cmdline").read_bytes()
        assert secret.encode() not in command_line
    try:
        yield proxy
    finally:
        proxy.stop()


def test_client_key_refuses_others(guarded: Proxy, s3server: dict[str, str]) -> None:
    boto3 = pytest.importorskip("boto3")
    from botocore.config import Config
    from botocore.exceptions import ClientError

    bucket = f"p2-guard-{uuid.uuid4().hex[:10]}"
    status, body = curl("-X", "PUT", f"{guarded.url}/{bucket}")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body

    def client(key: str, secret: str) -> Any:
        config = Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 1},
        )
        return boto3.client(
            "s3", endpoint_url=guarded.url, aws_access_key_id=key, aws_secret_access_key=secret,
            region_name="us-east-1", config=config,
        )  # fmt: skip

    # The store's own key is not the proxy's client key: refused by the proxy.
    store = client(s3server["AWS_ACCESS_KEY_ID"], s3server["AWS_SECRET_ACCESS_KEY"])
    with pytest.raises(ClientError) as refused:
        store.create_bucket(Bucket=bucket)
    assert refused.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    wrong = client(CLIENT_KEY[0], CLIENT_KEY[1] + "x")
    with pytest.raises(ClientError) as refused:
        wrong.create_bucket(Bucket=bucket)
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    # The key holder passes; the proxy signs for the store.
    holder = client(*CLIENT_KEY)
    holder.create_bucket(Bucket=bucket)
    holder.put_object(Bucket=bucket, Key="a b+c", Body=b"through the proxy")
    assert holder.get_object(Bucket=bucket, Key="a b+c")["Body"].read() == b"through the proxy"
    listed = holder.list_objects_v2(Bucket=bucket, Prefix="a b+")
    assert [o["Key"] for o in listed["Contents"]] == ["a b+c"]
    holder.delete_object(Bucket=bucket, Key="a b+c")
    holder.delete_bucket(Bucket=bucket)

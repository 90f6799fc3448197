"""`sigkit proxy` is transparent, against the suite's Ceph RGW: the same boto3 workload and the
same AWS CLI workload give exactly the same results (keys, ETags, sizes, bytes, error codes)
directly and through the proxy, in reverse mode (endpoint = proxy, plain HTTP) and in forward
mode over TLS (HTTPS_PROXY = proxy, the proxy's own CA trusted, the proxy trusting RGW's CA).

The workload: create a bucket, put keys with spaces, '+', quotes and non-ASCII, list (all, and
by a prefix), get, a 100 MiB multipart upload and its download, presigned GET and PUT, a
missing key, delete. The proxy's own log (--json) shows that every request went through it.

The suite's RGW keeps its data in a 1 GiB memory store and frees deleted objects through its
garbage collector (normally hours later): each workload deletes what it wrote and runs the
collector, so the suite never fills the store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("h11")
boto3 = pytest.importorskip("boto3")
requests = pytest.importorskip("requests")

from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from tests.e2e.realclients import find_aws  # noqa: E402

pytestmark = pytest.mark.e2e

KEYS = (
    "plain.txt",
    "with space.txt",
    "plus+sign.txt",
    "quote's \"double\".txt",
    "unicodé/ключ/日本.txt",
    "a+b c%2F=&?.txt",
)
PART = 10 * 1024 * 1024
PARTS = 10  # 100 MiB
BIG_KEY = "big/multi part+.bin"


def body_of(key: str) -> bytes:
    return f"content of {key!r}\n".encode() * 3


def big_parts() -> list[bytes]:
    return [random.Random(i).randbytes(PART) for i in range(PARTS)]


def collect_garbage(server: dict[str, str]) -> None:
    """Free what the workload deleted now (RGW's collector otherwise waits two hours)."""
    state = server.get("S3SERVER_STATE", "")
    conf = Path(state) / "ceph.conf"
    admin = shutil.which("radosgw-admin")
    if state and conf.exists() and admin:
        subprocess.run(
            [admin, "-c", str(conf), "gc", "process", "--include-all"],
            capture_output=True,
            timeout=300,
            check=False,
        )


# --- the proxy as users run it ---------------------------------------------------------------


@dataclass
class Proxy:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    err: Path
    ca: str | None

    def records(self) -> list[dict[str, Any]]:
        lines = self.log.read_text().splitlines()[1:]
        return [json.loads(line) for line in lines if line.strip()]

    def peak_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "XDG_DATA_HOME": str(home / "data"),
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }
    env.update(extra)
    return env


@contextlib.contextmanager
def run_proxy(home: Path, *args: str) -> Iterator[Proxy]:
    home.mkdir(parents=True, exist_ok=True)
    log, err = home / "proxy.jsonl", home / "proxy.err"
    with log.open("wb") as out, err.open("wb") as errs:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sigkit.cli.app", "proxy", *args, "--port", "0", "--json"],
            stdout=out,
            stderr=errs,
            stdin=subprocess.DEVNULL,
            env=clean_env(home),
        )
    try:
        deadline = time.monotonic() + 60
        while not log.read_text().strip():
            assert proc.poll() is None, err.read_text()
            assert time.monotonic() < deadline, "the proxy did not start"
            time.sleep(0.05)
        start = json.loads(log.read_text().splitlines()[0])
        yield Proxy(start["listening"], proc, log, err, start.get("ca"))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# --- the two workloads -----------------------------------------------------------------------


@dataclass
class Client:
    """How a client reaches the store: endpoint, proxy and CA bundle (the same for boto3,
    the AWS CLI and the presigned URL fetches)."""

    endpoint: str
    proxy: str | None
    ca: str | None

    def http(self, method: str, url: str, data: bytes | None = None) -> tuple[int, bytes]:
        answer = requests.request(
            method,
            url,
            data=data,
            proxies={"http": self.proxy, "https": self.proxy} if self.proxy else {},
            verify=self.ca or True,
            timeout=60,
        )
        return answer.status_code, answer.content


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def boto3_workload(server: dict[str, str], client_at: Client, bucket: str) -> dict[str, Any]:
    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url=client_at.endpoint,
        region_name="us-east-1",
        aws_access_key_id=server["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=server["AWS_SECRET_ACCESS_KEY"],
        verify=client_at.ca or True,
        config=Config(
            s3={"addressing_style": "path"},
            proxies=(
                {"http": client_at.proxy, "https": client_at.proxy} if client_at.proxy else None
            ),
            retries={"max_attempts": 1, "mode": "standard"},
            # RGW 16 takes no aws-chunked trailer, which the 2025 SDKs send over TLS by default
            request_checksum_calculation="when_required",
        ),
    )
    out: dict[str, Any] = {}
    s3.create_bucket(Bucket=bucket)
    try:
        out["put"] = {
            key: s3.put_object(Bucket=bucket, Key=key, Body=body_of(key))["ETag"] for key in KEYS
        }
        listing = s3.list_objects_v2(Bucket=bucket)["Contents"]
        out["list"] = [(o["Key"], o["ETag"], o["Size"]) for o in listing]
        by_prefix = s3.list_objects_v2(Bucket=bucket, Prefix="unicodé/")["Contents"]
        out["list_prefix"] = [o["Key"] for o in by_prefix]
        out["get"] = {
            key: sha(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in KEYS
        }
        ranged = s3.get_object(Bucket=bucket, Key=KEYS[1], Range="bytes=3-9")
        out["range"] = (ranged["ContentRange"], ranged["Body"].read())
        upload = s3.create_multipart_upload(Bucket=bucket, Key=BIG_KEY)["UploadId"]
        parts = [
            {"PartNumber": n, "ETag": s3.upload_part(
                Bucket=bucket, Key=BIG_KEY, UploadId=upload, PartNumber=n, Body=data
            )["ETag"]}
            for n, data in enumerate(big_parts(), 1)
        ]  # fmt: skip
        done = s3.complete_multipart_upload(
            Bucket=bucket, Key=BIG_KEY, UploadId=upload, MultipartUpload={"Parts": parts}
        )
        out["multipart"] = (done["ETag"], [p["ETag"] for p in parts])
        head = s3.head_object(Bucket=bucket, Key=BIG_KEY)
        out["big_head"] = (head["ContentLength"], head["ETag"])
        digest = hashlib.sha256()
        for chunk in s3.get_object(Bucket=bucket, Key=BIG_KEY)["Body"].iter_chunks(1 << 20):
            digest.update(chunk)
        out["big_get"] = digest.hexdigest()
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": KEYS[4]})
        status, data = client_at.http("GET", url)
        out["presigned_get"] = (status, sha(data))
        put_key = "presigned put+ é.txt"
        url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": put_key})
        status, _ = client_at.http("PUT", url, b"put through a presigned URL\n")
        out["presigned_put"] = (status, s3.head_object(Bucket=bucket, Key=put_key)["ETag"])
        try:
            s3.get_object(Bucket=bucket, Key="missing key+")
        except ClientError as exc:
            out["missing"] = (exc.response["ResponseMetadata"]["HTTPStatusCode"],
                              exc.response["Error"]["Code"])  # fmt: skip
        for key in (*KEYS, BIG_KEY, put_key):
            s3.delete_object(Bucket=bucket, Key=key)
        out["after_delete"] = s3.list_objects_v2(Bucket=bucket).get("KeyCount")
    finally:
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
        s3.delete_bucket(Bucket=bucket)
    return out


def cli_workload(
    server: dict[str, str], client_at: Client, bucket: str, home: Path
) -> dict[str, Any]:
    """Few calls (each AWS CLI start costs a second or two): the keys and the 100 MiB file
    go up in one recursive copy (the big one as a multipart upload of 8 MiB parts) and come
    back in another."""
    home.mkdir(parents=True, exist_ok=True)
    extra = {
        "AWS_ACCESS_KEY_ID": server["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": server["AWS_SECRET_ACCESS_KEY"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
        "AWS_MAX_ATTEMPTS": "1",
    }
    if client_at.ca:
        extra["AWS_CA_BUNDLE"] = client_at.ca
    if client_at.proxy:
        extra["HTTPS_PROXY"] = extra["HTTP_PROXY"] = client_at.proxy
    env = clean_env(home, **extra)

    def aws(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(
            [find_aws(), "--endpoint-url", client_at.endpoint, *args],
            capture_output=True,
            timeout=300,
            env=env,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if check:
            assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-2000:]
        return proc

    up, down = home / "up", home / "down"
    for key in KEYS:
        (up / key).parent.mkdir(parents=True, exist_ok=True)
        (up / key).write_bytes(body_of(key))
    (up / BIG_KEY).parent.mkdir(parents=True, exist_ok=True)
    with (up / BIG_KEY).open("wb") as f:
        for part in big_parts():
            f.write(part)
    out: dict[str, Any] = {}
    aws("s3", "mb", f"s3://{bucket}")
    try:
        aws("s3", "cp", "--recursive", "--quiet", str(up), f"s3://{bucket}/")
        listing = json.loads(aws("s3api", "list-objects-v2", "--bucket", bucket).stdout)
        out["list"] = [(o["Key"], o["ETag"], o["Size"]) for o in listing["Contents"]]
        aws("s3", "cp", "--recursive", "--quiet", f"s3://{bucket}/", str(down))
        out["get"] = {
            str(path.relative_to(down)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(down.rglob("*"))
            if path.is_file()
        }
        url = aws("s3", "presign", f"s3://{bucket}/{KEYS[3]}").stdout.decode().strip()
        status, data = client_at.http("GET", url)
        out["presigned_get"] = (status, sha(data))
        missing = aws("s3api", "head-object", "--bucket", bucket, "--key", "missing", check=False)
        out["missing"] = (missing.returncode, b"Not Found" in missing.stderr)
    finally:
        removed = aws("s3", "rb", "--force", f"s3://{bucket}", check=False)
        out["removed"] = removed.returncode
        shutil.rmtree(up, ignore_errors=True)
        shutil.rmtree(down, ignore_errors=True)
    return out


# --- the comparisons -------------------------------------------------------------------------


def _bucket(kind: str) -> str:
    return f"p1-px-{kind}-{uuid.uuid4().hex[:10]}"


def _through(proxy: Proxy, before: int) -> list[dict[str, Any]]:
    records = proxy.records()[before:]
    assert records, "nothing went through the proxy"
    assert [r for r in records if r["verdict"] == "proxy-error"] == []
    return records


Runner = Callable[[Client, str], dict[str, Any]]
Outcome = tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]


def _compare_modes(
    server: dict[str, str], run: Runner, reverse: Proxy, forward: Proxy | None, kind: str
) -> dict[str, Outcome]:
    """The workload directly and through each proxy, all side by side (the AWS CLI starts
    slowly); per mode: (direct result, proxied result, the proxy's records)."""
    plan: dict[str, tuple[Client, Client, Proxy]] = {
        "reverse": (
            Client(server["S3_ENDPOINT"], None, None), Client(reverse.url, None, None), reverse
        )
    }  # fmt: skip
    if forward is not None and forward.ca is not None:
        tls = server["S3_TLS_ENDPOINT"]
        plan["forward"] = (
            Client(tls, None, server["S3_CA_BUNDLE"]), Client(tls, forward.url, forward.ca), forward
        )  # fmt: skip
    collect_garbage(server)  # what earlier tests deleted, freed before 400 MiB go in
    before = {mode: len(proxy.records()) for mode, (_, _, proxy) in plan.items()}
    with ThreadPoolExecutor(2 * len(plan)) as pool:
        runs = {
            mode: (
                pool.submit(run, direct, _bucket(kind)),
                pool.submit(run, proxied, _bucket(kind)),
            )
            for mode, (direct, proxied, _) in plan.items()
        }
        results = {mode: (a.result(), b.result()) for mode, (a, b) in runs.items()}
    collect_garbage(server)
    return {
        mode: (*results[mode], _through(proxy, before[mode]))
        for mode, (_, _, proxy) in plan.items()
    }


@pytest.fixture(scope="module")
def reverse(s3server: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    with run_proxy(
        tmp_path_factory.mktemp("reverse"), "--upstream", s3server["S3_ENDPOINT"]
    ) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def forward(
    s3server: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy | None]:
    if not s3server.get("S3_TLS_ENDPOINT"):
        yield None  # this RGW serves no TLS: the forward tests skip
        return
    home = tmp_path_factory.mktemp("forward")
    with run_proxy(
        home, "--forward", "--ca-dir", str(home / "ca"), "--upstream-ca", s3server["S3_CA_BUNDLE"]
    ) as proxy:
        assert proxy.ca == str(home / "ca" / "ca.pem")
        assert (home / "ca" / "ca-key.pem").stat().st_mode & 0o777 == 0o600
        yield proxy


@pytest.fixture(scope="module")
def boto3_outcomes(
    s3server: dict[str, str], reverse: Proxy, forward: Proxy | None
) -> dict[str, Outcome]:
    return _compare_modes(
        s3server, lambda at, bucket: boto3_workload(s3server, at, bucket), reverse, forward, "b3"
    )


@pytest.fixture(scope="module")
def cli_outcomes(
    s3server: dict[str, str],
    reverse: Proxy,
    forward: Proxy | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Outcome]:
    try:
        find_aws()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    home = tmp_path_factory.mktemp("cli")
    return _compare_modes(
        s3server,
        lambda at, bucket: cli_workload(s3server, at, bucket, home / bucket),
        reverse,
        forward,
        "cli",
    )


def _outcome(outcomes: dict[str, Outcome], mode: str) -> Outcome:
    if mode not in outcomes:
        pytest.skip("this RGW serves no TLS")
    return outcomes[mode]


def test_boto3_reverse_mode(boto3_outcomes: dict[str, Outcome], reverse: Proxy) -> None:
    expected, got, records = _outcome(boto3_outcomes, "reverse")
    assert got == expected
    methods = [(r["method"], r["status"]) for r in records]
    assert ("POST", 200) in methods and ("GET", 404) in methods
    assert sum(1 for r in records if "partNumber=" in r["target"]) == PARTS
    assert reverse.peak_kib() < 64 * 1024


def test_boto3_forward_mode_over_tls(
    s3server: dict[str, str], boto3_outcomes: dict[str, Outcome]
) -> None:
    expected, got, records = _outcome(boto3_outcomes, "forward")
    assert got == expected
    tls_host = s3server["S3_TLS_ENDPOINT"].split("://", 1)[1]
    assert {r["authority"] for r in records if "authority" in r} <= {tls_host}
    assert sum(1 for r in records if "partNumber=" in r["target"]) == PARTS


def test_aws_cli_reverse_mode(cli_outcomes: dict[str, Outcome], reverse: Proxy) -> None:
    expected, got, records = _outcome(cli_outcomes, "reverse")
    assert got == expected
    assert sum(1 for r in records if "partNumber=" in r["target"]) == 13  # 8 MiB parts
    assert reverse.peak_kib() < 64 * 1024


def test_aws_cli_forward_mode_over_tls(cli_outcomes: dict[str, Outcome]) -> None:
    expected, got, records = _outcome(cli_outcomes, "forward")
    assert got == expected
    assert sum(1 for r in records if "partNumber=" in r["target"]) == 13


def test_forward_mode_without_the_ca_tunnels_unseen(
    s3server: dict[str, str], tmp_path: Path
) -> None:
    if not s3server.get("S3_TLS_ENDPOINT"):
        pytest.skip("this RGW serves no TLS")
    with run_proxy(tmp_path, "--forward", "--no-mitm") as proxy:
        assert proxy.ca is None
        client = Client(s3server["S3_TLS_ENDPOINT"], proxy.url, s3server["S3_CA_BUNDLE"])
        status, body = client.http("GET", s3server["S3_TLS_ENDPOINT"] + "/")
        time.sleep(0.2)
        assert proxy.records() == []  # nothing seen inside
    # anonymous listing: RGW's answer, through a tunnel the proxy cannot read
    assert status == 200 and b"<ListAllMyBucketsResult" in body
    host = s3server["S3_TLS_ENDPOINT"].split("://", 1)[1]
    assert f"CONNECT {host}: tunnelled untouched; the proxy cannot see inside" in (
        proxy.err.read_text()
    )


def test_forward_mode_refuses_an_untrusted_store(s3server: dict[str, str], tmp_path: Path) -> None:
    """Without --upstream-ca the proxy does not trust RGW's private CA: 502, named."""
    if not s3server.get("S3_TLS_ENDPOINT"):
        pytest.skip("this RGW serves no TLS")
    with run_proxy(tmp_path, "--forward", "--ca-dir", str(tmp_path / "ca")) as proxy:
        assert proxy.ca is not None
        client = Client(s3server["S3_TLS_ENDPOINT"], proxy.url, proxy.ca)
        status, body = client.http("GET", s3server["S3_TLS_ENDPOINT"] + "/")
    assert status == 502
    assert b"its TLS certificate is not trusted" in body and b"--upstream-ca" in body


def test_one_gib_object_through_the_proxy_to_rgw(s3server: dict[str, str], tmp_path: Path) -> None:
    """A 1 GiB object PUT in one request and read back through the reverse proxy from the real
    RGW (its test store is 4 GiB and frees deleted objects within seconds): every byte arrives
    (SHA-256 on both ends) and the proxy's peak resident size (VmHWM) stays below 64 MiB."""
    block = random.Random(11).randbytes(1 << 20)
    path = tmp_path / "one-gib.bin"
    sent = hashlib.sha256()
    with path.open("wb") as out:
        for i in range(1024):
            piece = i.to_bytes(8, "big") + block[8:]
            sent.update(piece)
            out.write(piece)
    with run_proxy(tmp_path / "gib", "--upstream", s3server["S3_ENDPOINT"]) as proxy:
        s3 = boto3.client(
            "s3",
            endpoint_url=proxy.url,
            aws_access_key_id=s3server["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=s3server["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                read_timeout=300,
            ),
        )
        bucket = _bucket("gib")
        s3.create_bucket(Bucket=bucket)
        try:
            with path.open("rb") as body:
                s3.put_object(Bucket=bucket, Key="one-gib.bin", Body=body)
            got = hashlib.sha256()
            stream = s3.get_object(Bucket=bucket, Key="one-gib.bin")["Body"]
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                got.update(chunk)
            assert got.hexdigest() == sent.hexdigest()
            assert proxy.peak_kib() < 64 * 1024
        finally:
            s3.delete_object(Bucket=bucket, Key="one-gib.bin")
            s3.delete_bucket(Bucket=bucket)
            collect_garbage(s3server)

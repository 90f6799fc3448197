"""The checksum era end to end, with the installed AWS CLI v1 and its default checksum settings.

1. Ceph RGW over TLS (the suite's server, `S3_TLS_ENDPOINT`): botocore 1.43 streams PutObject
   as aws-chunked with a trailing CRC32 (STREAMING-UNSIGNED-PAYLOAD-TRAILER, Transfer-Encoding:
   chunked, no Content-Length). RGW 16 answers that with 411 MissingContentLength and no
   Message (its real answer, checked here, not assumed). `sigkit explain` on the CLI's failed
   --debug log names content-length-chunked and the AWS CLI's setting; the same command with
   AWS_REQUEST_CHECKSUM_CALCULATION=when_required succeeds against the same endpoint.
2. `sigkit serve --store NAME`, one refusal row of the issue's table each (R2, B2, Hetzner, Ceph,
   Scality, Aliyun, Storj over TLS where the refusal is of the trailer; MinIO's DeleteObjects;
   a presigned URL bound to the empty body's CRC32 against R2): the store's exact answer
   reaches the CLI; `sigkit explain` on the failed log names the cause and the setting, from
   the log as the client wrote it and from the log with every element sigkit serve adds
   (<Cause>, <Certain>, <Evidence>, <Fix>, x-sigkit-cause) removed, so the store's own words
   are what is recognised; the setting (or the way the finding gives) makes the command pass.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import realclients as rc

pytestmark = pytest.mark.e2e

SIGKIT = str(Path(sys.executable).parent / "sigkit")
KEY, SECRET = "AKIDCHECKSUMERA00001", "checksum/era/EXAMPLEKEY+0123456789abcdefgh"
SETTING = "AWS_REQUEST_CHECKSUM_CALCULATION=when_required"
WHEN_REQUIRED = {"AWS_REQUEST_CHECKSUM_CALCULATION": "when_required"}


def _cli_version() -> str:
    """The installed AWS CLI's version, as `aws --version` prints it (an independent source of
    what the User-Agent says)."""
    proc = subprocess.run(
        [rc.find_aws(), "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    found = re.search(r"aws-cli/(\d+\.\d+\.\d+)", proc.stdout + proc.stderr)
    assert found is not None, proc.stdout + proc.stderr
    return found.group(1)


def _explain(log: Path, *extra: str) -> dict[str, Any]:
    proc = subprocess.run(
        [SIGKIT, "explain", str(log), "--json", *extra],
        capture_output=True,
        text=True,
        timeout=60,
        env=rc.clean_env(str(log.parent)),
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert isinstance(doc, dict)
    return doc


# Everything `sigkit serve` adds to a store's answer: its cause elements and header.
_SIGKIT_ELEMENTS = re.compile(r"<(Cause|Certain|Evidence|Fix|Finding)>.*?</\1>", re.DOTALL)
_SIGKIT_HEADER = re.compile(r",? ?'x-sigkit-cause': b?'[^']*'", re.IGNORECASE)
_SIGKIT_PARSED = re.compile(r",? ?'(Cause|Certain|Evidence|Fix)': '(?:[^'\\]|\\.)*'")


def _store_words_only(log: str) -> str:
    """The client's log as a real store's answer would leave it: no sigkit element, no
    x-sigkit-cause header."""
    stripped = _SIGKIT_PARSED.sub("", _SIGKIT_HEADER.sub("", _SIGKIT_ELEMENTS.sub("", log)))
    assert "<Cause>" not in stripped and "x-sigkit-cause" not in stripped.lower(), stripped
    assert "'Cause'" not in stripped, stripped
    return stripped


def _check_named(doc: dict[str, Any], cause: str, setting: str) -> None:
    top = doc["findings"][0]
    assert (top["cause"], top["certain"]) == (cause, True), json.dumps(doc["findings"], indent=1)
    assert doc["verdict"] == "mismatch"  # a refused request is never a match
    assert setting in (top.get("detail") or ""), top


# -- 1. Ceph RGW over TLS ------------------------------------------------------------------------
def test_rgw_tls_trailer_upload(s3server: dict[str, str], tmp_path: Path) -> None:
    endpoint, bundle = s3server.get("S3_TLS_ENDPOINT"), s3server.get("S3_CA_BUNDLE")
    if not endpoint or not bundle:
        pytest.skip("the RGW fixture serves no TLS endpoint")
    env = {
        "AWS_ACCESS_KEY_ID": s3server["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": s3server["AWS_SECRET_ACCESS_KEY"],
        "AWS_DEFAULT_REGION": s3server.get("AWS_DEFAULT_REGION") or "us-east-1",
        "AWS_CA_BUNDLE": bundle,
    }
    bucket = f"h4-era-{uuid.uuid4().hex[:10]}"
    home = str(tmp_path)
    create = ["s3api", "create-bucket", "--bucket", bucket, "--endpoint-url", endpoint]
    made = rc.run_aws(home, create, **env)
    assert made.returncode == 0, made.stderr[-2000:]
    body = tmp_path / "body.txt"
    body.write_bytes(b"the checksum era, over TLS\n")
    put = ["s3api", "put-object", "--bucket", bucket, "--key", "k.txt", "--body", str(body)]
    put += ["--endpoint-url", endpoint]

    failed = rc.run_aws(home, put, **env)
    assert failed.returncode != 0, failed.stderr[-2000:]
    # RGW 16's real answer to the trailer upload: 411 MissingContentLength, no Message.
    assert '" 411 ' in failed.stderr and "<Code>MissingContentLength</Code>" in failed.stderr
    assert "STREAMING-UNSIGNED-PAYLOAD-TRAILER" in failed.stderr
    log = tmp_path / "failed.log"
    log.write_text(failed.stderr)
    doc = _explain(log)
    _check_named(doc, "content-length-chunked", SETTING)
    top = doc["findings"][0]
    assert f"AWS CLI v1 {_cli_version()}" in top["detail"]
    assert "STREAMING-UNSIGNED-PAYLOAD-TRAILER" in top["evidence"]
    assert "no Content-Length" in top["evidence"]
    # The Ceph profile agrees, and names the trailer RGW 16 does not take.
    with_store = _explain(log, "--store", "ceph")
    assert with_store["findings"][0]["cause"] == "content-length-chunked"

    fixed = rc.run_aws(home, put, **env, **WHEN_REQUIRED)
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    out = tmp_path / "back.txt"
    get = ["s3api", "get-object", "--bucket", bucket, "--key", "k.txt", str(out)]
    got = rc.run_aws(home, [*get, "--endpoint-url", endpoint], **env, **WHEN_REQUIRED)
    assert got.returncode == 0, got.stderr[-2000:]
    assert out.read_bytes() == body.read_bytes()


# -- 2. sigkit serve --store ---------------------------------------------------------------------
@dataclass(frozen=True)
class Served:
    url: str
    tls_bundle: str | None


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost (the test's own, for serve --tls-cert)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(key_path, 0o600)
    return cert_path, key_path


@contextlib.contextmanager
def _serve(store: str, directory: Path, tls: bool) -> Iterator[Served]:
    argv = [SIGKIT, "serve", "--port", "0", "--json", "--store", store, "--access-key", KEY]
    argv += ["--secret-key", SECRET, "--region", "us-east-1"]
    bundle = None
    if tls:
        cert, key = _certificate(directory)
        argv += ["--tls-cert", str(cert), "--tls-key", str(key)]
        bundle = str(cert)
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=rc.clean_env(str(directory)),
        stdin=subprocess.DEVNULL,
    )
    listening: list[str] = []
    started = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with contextlib.suppress(ValueError):
                data = json.loads(line)
                if isinstance(data, dict) and "listening" in data:
                    listening.append(str(data["listening"]))
                    started.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        assert started.wait(30), f"sigkit serve --store {store} did not start"
        port = int(listening[0].rstrip("/").rsplit(":", 1)[1])
        scheme, host = ("https", "localhost") if tls else ("http", "127.0.0.1")
        yield Served(f"{scheme}://{host}:{port}", bundle)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()


@dataclass(frozen=True)
class Row:
    store: str
    tls: bool
    cause: str
    command: tuple[str, ...]  # the s3api operation and its arguments ({body} is the file)
    code: str  # the store's error code, as its profile (sigkit.stores) publishes it
    setting: str  # what the finding's detail must give
    fixed: tuple[str, ...] | None = None  # the command the finding's way runs instead


PUT = ("put-object", "--bucket", "b", "--key", "k.txt", "--body", "{body}")
DELETE = ("delete-objects", "--bucket", "b", "--delete", '{"Objects":[{"Key":"k.txt"}]}')
ROWS = (
    Row("r2", False, "checksum-unsupported", PUT, "NotImplemented", SETTING),
    Row("b2", False, "checksum-unsupported", PUT, "InvalidArgument", SETTING),
    Row("hetzner", True, "aws-chunked-unsupported", PUT, "XAmzContentSHA256Mismatch", SETTING),
    Row("ceph", True, "content-length-chunked", PUT, "MissingContentLength", SETTING),
    Row("scality", True, "aws-chunked-unsupported", PUT, "BadRequest", SETTING),
    Row("aliyun", True, "aws-chunked-unsupported", PUT, "InvalidArgument", SETTING),
    Row("storj", True, "content-length-chunked", PUT, "MissingContentLength", SETTING),
    # botocore 1.43 sends a CRC32 for DeleteObjects even with when_required (checked below):
    # the finding gives the AWS CLI's way, one delete-object per key.
    Row(
        "minio",
        False,
        "content-md5-required",
        DELETE,
        "MissingContentMD5",
        "aws s3api delete-object",
        ("delete-object", "--bucket", "b", "--key", "k.txt"),
    ),
)


def _aws(row: Row, served: Served, home: Path, *args: str, **extra: str) -> Any:
    env = {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    if served.tls_bundle:
        env["AWS_CA_BUNDLE"] = served.tls_bundle
    env.update(extra)
    words = [a.replace("{body}", str(home / "body.txt")) for a in args]
    return rc.run_aws(str(home), ["s3api", *words, "--endpoint-url", served.url], **env)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.store}-{r.cause}" for r in ROWS])
def test_store_refusal_named_and_fixed(row: Row, tmp_path: Path) -> None:
    (tmp_path / "body.txt").write_bytes(b"a body of the checksum era\n")
    with _serve(row.store, tmp_path, row.tls) as served:
        failed = _aws(row, served, tmp_path, *row.command)
        assert failed.returncode != 0, failed.stderr[-2000:]
        assert f"<Code>{row.code}</Code>" in failed.stderr, failed.stderr[-3000:]
        for name, text in (("as-sent", failed.stderr), ("store-words", None)):
            log = tmp_path / f"{name}.log"
            log.write_text(text if text is not None else _store_words_only(failed.stderr))
            doc = _explain(log)
            _check_named(doc, row.cause, row.setting)
            assert f"AWS CLI v1 {_cli_version()}" in doc["findings"][0]["detail"]
        if row.fixed is None:
            fixed = _aws(row, served, tmp_path, *row.command, **WHEN_REQUIRED)
        else:
            still = _aws(row, served, tmp_path, *row.command, **WHEN_REQUIRED)
            assert still.returncode != 0  # when_required does not bring Content-MD5 back
            fixed = _aws(row, served, tmp_path, *row.fixed)
        assert fixed.returncode == 0, fixed.stderr[-2000:]


def test_presigned_url_bound_to_the_empty_body(tmp_path: Path) -> None:
    """A presigned PUT that signs x-amz-checksum-crc32=AAAAAA== (what aws-sdk-js 3.729+ makes
    for a PutObjectCommand without a Body, made here with sigkit presign --checksum crc32 and
    no --file), used by curl with a real body: R2 refuses it; explain on curl -v names
    presigned-checksum; a URL presigned without a checksum uploads the same body."""
    body = tmp_path / "body.txt"
    body.write_bytes(b"the real upload\n")
    env = rc.clean_env(str(tmp_path), AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    with _serve("r2", tmp_path, False) as served:

        def presign(*extra: str) -> str:
            proc = subprocess.run(
                [SIGKIT, "presign", "s3://era-bucket/k.txt", "--method", "PUT", "--endpoint-url",
                 served.url, "--region", "us-east-1", "--expires", "600", *extra],
                capture_output=True, text=True, env=env, timeout=60, check=False,
            )  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            return proc.stdout.strip().splitlines()[-1]

        bound = presign("--checksum", "crc32")
        assert "x-amz-checksum-crc32=aaaaaa%3d%3d" in bound.lower(), bound
        out = rc.run_curl("-T", str(body), bound)
        assert "< HTTP/1.1 400" in out and "InvalidDigest" in out, out[-2000:]
        log = tmp_path / "curl.txt"
        log.write_text(out)
        doc = _explain(log)
        top = doc["findings"][0]
        assert (top["cause"], top["certain"]) == ("presigned-checksum", True), doc["findings"]
        assert "AAAAAA==" in top["evidence"]
        plain = presign()
        ok = rc.run_curl("-T", str(body), plain)
        assert "< HTTP/1.1 200" in ok, ok[-2000:]

"""Signing with checksums (`sign`, `curl`, `presign`, `chunked` --checksum): exactly what
botocore 1.43 sends for the same body, verified by sigkit's verifier and accepted by a real
Ceph RGW.

The oracle is botocore's own client stack with its HTTP layer replaced by a recorder (the
``before-send`` event answers instead of the network), so the request it would have sent is
compared with sigkit's, header for header and signature for signature, at the same
X-Amz-Date. The installed AWS CLI over TLS (a real ``--debug`` log) is the oracle of the
trailer form end to end.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from sigkit.cli.app import main
from sigkit.credentials import Credentials
from sigkit.http import parse_request_text
from sigkit.verify import verify_request

ACCESS = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
BODY = b"hello world"
# botocore's flexible checksums (1.43 refuses MD5: "Unsupported checksum algorithm: md5").
BOTOCORE_ALGORITHMS = (
    "CRC32",
    "CRC32C",
    "CRC64NVME",
    "SHA1",
    "SHA256",
    "SHA512",
    "XXHASH64",
    "XXHASH3",
    "XXHASH128",
)
# What the SDK adds that has nothing to do with signing or checksums.
_SDK_ONLY = {"user-agent", "expect", "amz-sdk-invocation-id", "amz-sdk-request", "content-length"}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the oracle: botocore 1.43 with a recording HTTP layer -----------------------------------


def botocore_sends(
    endpoint: str, *, config: dict[str, Any] | None = None, bucket: str = "b", **params: Any
) -> tuple[dict[str, str], bytes]:
    """The headers (lower-case names) and body botocore's put_object would send."""
    import botocore.session
    from botocore.awsrequest import AWSResponse
    from botocore.config import Config

    captured: list[Any] = []

    class _Raw:
        def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
            return iter([b""])

    def before_send(request: Any, **kwargs: Any) -> AWSResponse:
        captured.append(request)
        return AWSResponse(request.url, 200, {}, _Raw())

    session = botocore.session.Session()
    client = session.create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        config=Config(**(config or {})),
    )
    client.meta.events.register("before-send.s3", before_send)
    client.put_object(Bucket=bucket, Key="k", Body=BODY, **params)
    request = captured[0]
    headers = {
        name.lower(): value.decode() if isinstance(value, bytes) else str(value)
        for name, value in request.headers.items()
    }
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    return headers, bytes(body or b"")


def botocore_presigns(**params: Any) -> str:
    import botocore.session
    from botocore.config import Config

    client = botocore.session.Session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9000",
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        config=Config(signature_version="s3v4"),
    )
    url: str = client.generate_presigned_url(
        "put_object", Params={"Bucket": "bkt", "Key": "k", **params}
    )
    return url


def signed_by_sigkit(
    capsys: pytest.CaptureFixture[str], url: str, date: str, *extra: str
) -> tuple[dict[str, str], bytes, str]:
    """sigkit sign's signed request: headers (lower-case), body, stderr."""
    code, out, err = run(
        capsys,
        "sign",
        "PUT",
        url,
        "-d",
        BODY.decode(),
        "--service",
        "s3",
        "--region",
        "us-east-1",
        "--date",
        date,
        "--access-key",
        ACCESS,
        "--secret-key",
        SECRET,
        "--json",
        *extra,
    )
    assert code == 0, err
    steps = {s["name"]: s["value"] for s in json.loads(out)["steps"]}
    request = parse_request_text(steps["signed_request"].encode())
    headers = {n.lower(): v for n, v in request.headers}
    return headers, request.body_bytes(), err


def _comparable(headers: dict[str, str]) -> dict[str, str]:
    return {n: v for n, v in headers.items() if n not in _SDK_ONLY}


# --- sign: the header form, the trailer form and when_required ------------------------------


@pytest.mark.parametrize("algorithm", BOTOCORE_ALGORITHMS)
def test_sign_header_form_is_botocores(
    capsys: pytest.CaptureFixture[str], algorithm: str
) -> None:
    """PutObject over http with ChecksumAlgorithm: x-amz-checksum-<alg> and
    x-amz-sdk-checksum-algorithm, both signed; the same Authorization to the character."""
    theirs, their_body = botocore_sends("http://127.0.0.1:9000", ChecksumAlgorithm=algorithm)
    ours, our_body, _ = signed_by_sigkit(
        capsys,
        "http://127.0.0.1:9000/b/k",
        theirs["x-amz-date"],
        "--checksum",
        algorithm.lower(),
    )
    assert _comparable(ours) == _comparable(theirs)
    assert our_body == their_body == BODY


def test_sign_default_checksum_is_crc32_as_botocore(capsys: pytest.CaptureFixture[str]) -> None:
    """botocore 1.43 with no checksum asked for sends CRC32 (when_supported)."""
    theirs, _ = botocore_sends("http://127.0.0.1:9000")
    assert theirs["x-amz-sdk-checksum-algorithm"] == "CRC32"
    ours, _, _ = signed_by_sigkit(
        capsys, "http://127.0.0.1:9000/b/k", theirs["x-amz-date"], "--checksum", "crc32"
    )
    assert _comparable(ours) == _comparable(theirs)


@pytest.mark.parametrize("algorithm", BOTOCORE_ALGORITHMS)
def test_sign_trailer_form_is_botocores(
    capsys: pytest.CaptureFixture[str], algorithm: str
) -> None:
    """PutObject over https: aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER, x-amz-trailer,
    x-amz-decoded-content-length and x-amz-sdk-checksum-algorithm; the body byte for byte."""
    theirs, their_body = botocore_sends("https://127.0.0.1:9000", ChecksumAlgorithm=algorithm)
    assert theirs["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    ours, our_body, _ = signed_by_sigkit(
        capsys,
        "https://127.0.0.1:9000/b/k",
        theirs["x-amz-date"],
        "--checksum",
        algorithm,
        "--trailer",
    )
    assert _comparable(ours) == _comparable(theirs)
    assert our_body == their_body


def test_sign_checksum_none_is_when_required(capsys: pytest.CaptureFixture[str]) -> None:
    theirs, _ = botocore_sends(
        "http://127.0.0.1:9000", config={"request_checksum_calculation": "when_required"}
    )
    assert not any("checksum" in name for name in theirs)
    ours, _, _ = signed_by_sigkit(
        capsys, "http://127.0.0.1:9000/b/k", theirs["x-amz-date"], "--checksum", "none"
    )
    assert _comparable(ours) == _comparable(theirs)


@pytest.mark.parametrize("form", [(), ("--trailer",)])
def test_sign_checksum_verifies(capsys: pytest.CaptureFixture[str], form: tuple[str, ...]) -> None:
    """sigkit's own verifier accepts what sign --checksum made (the checksum headers signed)."""
    code, out, err = run(
        capsys,
        "sign",
        "PUT",
        "https://b.s3.amazonaws.com/k",
        "-d",
        "payload",
        "--checksum",
        "sha256",
        *form,
        "--date",
        "20250115T120000Z",
        "--access-key",
        ACCESS,
        "--secret-key",
        SECRET,
        "--json",
    )
    assert code == 0, err
    steps = {s["name"]: s["value"] for s in json.loads(out)["steps"]}
    request = parse_request_text(steps["signed_request"].encode())
    verdict = verify_request(
        request, Credentials(ACCESS, SECRET), datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    )
    assert verdict.signature_matches and verdict.problems == ()
    assert "x-amz-sdk-checksum-algorithm" in steps["signed_headers"].split(";")


def test_sign_checksum_refusals(capsys: pytest.CaptureFixture[str]) -> None:
    base = ("sign", "PUT", "https://b.s3.amazonaws.com/k", "-d", "x", "--access-key", ACCESS)
    cases = [
        (("--checksum", "crc99"), "--checksum: 'crc99' is not one of crc32, crc32c"),
        (("--trailer",), "--trailer: sends a checksum as a trailer; give --checksum ALG too"),
        (
            ("--checksum", "crc32", "--presign", "--trailer"),
            "--trailer: a presigned URL carries no body framing",
        ),
        (
            ("--checksum", "crc32", "-H", "x-amz-checksum-crc32: AAAAAA=="),
            "header x-amz-checksum-crc32: given with -H and by --checksum; give one",
        ),
        (
            ("--checksum", "crc32", "--trailer", "--unsigned-payload"),
            "--trailer: signs its own payload line; drop --unsigned-payload/--payload-hash",
        ),
    ]
    for extra, message in cases:
        code, out, err = run(capsys, *base, "--secret-key", SECRET, *extra)
        assert code == 2 and out == ""
        assert err.startswith(f"sigkit: error: {message}"), err
        assert err.count("\n") == 1


# --- presign ---------------------------------------------------------------------------------


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def test_presign_checksum_in_header_is_botocores(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """botocore 1.43 signs a presigned PUT's checksum as headers (X-Amz-SignedHeaders), which
    the uploader must send: the same URL, parameter for parameter."""
    body = tmp_path / "body.txt"
    body.write_bytes(BODY)
    theirs = botocore_presigns(ChecksumAlgorithm="CRC32", ChecksumCRC32="DUoRhQ==")
    date = _query(theirs)["X-Amz-Date"]
    code, out, err = run(
        capsys,
        "presign",
        "s3://bkt/k",
        "-X",
        "PUT",
        "--endpoint-url",
        "http://127.0.0.1:9000",
        "--region",
        "us-east-1",
        "--checksum",
        "crc32",
        "--checksum-in",
        "header",
        "--file",
        str(body),
        "--date",
        date,
        "--access-key",
        ACCESS,
        "--secret-key",
        SECRET,
        "--json",
    )
    assert code == 0, err
    document = json.loads(out)
    assert _query(document["url"]) == _query(theirs)
    assert document["url"].split("?")[0] == theirs.split("?")[0]
    assert document["headers"] == [
        ["x-amz-checksum-crc32", "DUoRhQ=="],
        ["x-amz-sdk-checksum-algorithm", "CRC32"],
    ]
    assert "-H 'x-amz-checksum-crc32: DUoRhQ==' -H 'x-amz-sdk-checksum-algorithm: CRC32'" in (
        document["curl"]
    )


def test_presign_checksum_in_query_of_an_absent_body_is_the_pitfall(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without the body, the URL binds the empty body's CRC32, AAAAAA== (the value JS v3
    3.729's presigner puts in the URL: seaweedfs/seaweedfs#10216, localstack#12169), and
    sigkit says so."""
    code, out, err = run(
        capsys,
        "presign",
        "https://b.s3.amazonaws.com/k",
        "-X",
        "PUT",
        "--checksum",
        "crc32",
        "--date",
        "20250115T120000Z",
        "--access-key",
        ACCESS,
        "--secret-key",
        SECRET,
    )
    assert code == 0, err
    query = _query(out.strip())
    assert query["x-amz-checksum-crc32"] == "AAAAAA=="
    assert query["x-amz-sdk-checksum-algorithm"] == "CRC32"
    assert query["X-Amz-SignedHeaders"] == "host"
    assert "x-amz-checksum-crc32=AAAAAA%3D%3D" in out
    assert "the checksum of an empty body" in err and "presigned-checksum" in err
    target = out.strip()[len("https://b.s3.amazonaws.com") :]
    request = parse_request_text(f"PUT {target} HTTP/1.1\r\nHost: b.s3.amazonaws.com\r\n\r\n")
    verdict = verify_request(
        request, Credentials(ACCESS, SECRET), datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    )
    assert verdict.signature_matches and verdict.problems == ()


def test_presign_checksum_of_the_body(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = tmp_path / "b.bin"
    body.write_bytes(BODY)
    code, out, err = run(
        capsys, "presign", "https://b.s3.amazonaws.com/k", "-X", "PUT", "--checksum", "sha256",
        "--file", str(body), "--access-key", ACCESS, "--secret-key", SECRET,
    )  # fmt: skip
    assert code == 0, err
    expected = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert _query(out.strip())["x-amz-checksum-sha256"] == expected
    assert "empty body" not in err


def test_presign_checksum_refusals(capsys: pytest.CaptureFixture[str]) -> None:
    base = ("presign", "https://b.s3.amazonaws.com/k", "--access-key", ACCESS, "--secret-key")
    for extra, message in [
        (("--checksum", "crc32"), "--checksum: binds an upload's checksum: applies to --method"),
        (("-X", "PUT", "--checksum", "crc32", "--sig", "v2"), "--checksum: applies to --sig v4"),
        (("-X", "PUT", "--checksum", "crc32", "--checksum-in", "body"), "--checksum-in: 'body'"),
    ]:
        code, out, err = run(capsys, *base, SECRET, *extra)
        assert code == 2 and out == ""
        assert err.startswith(f"sigkit: error: {message}"), err


# --- chunked ---------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC64NVME", "SHA512", "XXHASH128"])
def test_chunked_checksum_body_is_botocores(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, algorithm: str
) -> None:
    """chunked --checksum: the SDK's payload (STREAMING-UNSIGNED-PAYLOAD-TRAILER), its signed
    x-amz-sdk-checksum-algorithm and the same encoded body as botocore over https."""
    theirs, their_body = botocore_sends("https://127.0.0.1:9000", ChecksumAlgorithm=algorithm)
    source = tmp_path / "in.bin"
    source.write_bytes(BODY)
    encoded = tmp_path / "out.chunked"
    code, out, err = run(
        capsys, "chunked", "https://127.0.0.1:9000/b/k", "--data-file", str(source),
        "--checksum", algorithm, "--output", str(encoded), "--region", "us-east-1",
        "--service", "s3", "--access-key", ACCESS, "--secret-key", SECRET, "--json",
    )  # fmt: skip
    assert code == 0, err
    assert encoded.read_bytes() == their_body
    seed = {s["name"]: s["value"] for s in json.loads(out)["seed"]}
    signed = set(seed["signed_headers"].split(";"))
    assert {n for n in theirs if n in signed or n == "x-amz-sdk-checksum-algorithm"} <= signed
    assert "x-amz-sdk-checksum-algorithm:" + theirs["x-amz-sdk-checksum-algorithm"] in (
        seed["canonical_request"]
    )
    payload_line = "\nx-amz-content-sha256:STREAMING-UNSIGNED-PAYLOAD-TRAILER\n"
    assert payload_line in seed["canonical_request"]
    # the one difference the help states: botocore streams, chunked signs the length
    assert theirs.get("transfer-encoding") == "chunked" and "content-length" not in theirs
    their_signed = theirs["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert signed - set(their_signed.split(";")) == {"content-length"}


def test_chunked_checksum_none(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(BODY)
    code, out, err = run(
        capsys, "chunked", "https://b.s3.amazonaws.com/k", "--data-file", str(source),
        "--checksum", "none", "--access-key", ACCESS, "--secret-key", SECRET, "--json",
    )  # fmt: skip
    assert code == 0, err
    seed = {s["name"]: s["value"] for s in json.loads(out)["seed"]}
    assert "checksum" not in seed["signed_headers"]
    assert "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" in seed["canonical_request"]


# --- curl ------------------------------------------------------------------------------------


def test_curl_put_checksum_headers_in_every_style(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = tmp_path / "f.bin"
    body.write_bytes(BODY)
    crc = "yZRlqg=="  # botocore's x-amz-checksum-crc32c of BODY (test_sign_header_form...)
    for style in ("aws-sigv4", "headers", "script"):
        code, out, err = run(
            capsys, "curl", "put", str(body), "s3://bkt/k", "--checksum", "crc32c",
            "--style", style, "--endpoint-url", "http://127.0.0.1:9000",
            "--access-key", ACCESS, "--secret-key", SECRET,
        )  # fmt: skip
        assert code == 0, err
        assert f"-H 'x-amz-checksum-crc32c: {crc}'" in out
        assert "-H 'x-amz-sdk-checksum-algorithm: CRC32C'" in out
        assert "as it is now" in err
    signed = "x-amz-checksum-crc32c;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm"
    assert signed in out


def test_curl_request_checksum_needs_a_body(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "curl", "request", "GET", "https://b.s3.amazonaws.com/k", "--checksum", "crc32"
    )
    assert (code, out) == (2, "")
    assert err == "sigkit: error: --checksum: the request sends no body (give -d or --data-file)\n"


# --- against the real Ceph RGW ---------------------------------------------------------------


def _rgw_client(env: dict[str, str]) -> Any:
    import botocore.session
    from botocore.config import Config

    return botocore.session.Session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=env["S3_ENDPOINT"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=Config(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=10,
            read_timeout=60,
            retries={"max_attempts": 2},  # a server that stopped answering fails fast
        ),
    )


@pytest.fixture(scope="module")
def rgw(s3server: dict[str, str]) -> Iterator[tuple[dict[str, str], Any, str]]:
    client = _rgw_client(s3server)
    bucket = f"h2-checksum-{os.getpid()}"
    client.create_bucket(Bucket=bucket)
    yield s3server, client, bucket
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


_MAIN = "import sys; from sigkit.cli.app import main; sys.exit(main(sys.argv[1:]))"


def _cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _MAIN, *argv], capture_output=True, text=True, env=env,
        timeout=60, check=False,
    )  # fmt: skip


def _env(server: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": server["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": server["AWS_SECRET_ACCESS_KEY"],
        "AWS_DEFAULT_REGION": "us-east-1",
    }


KEYS = [
    ("crc32", "aws-sigv4", "plain.txt"),
    ("crc32c", "headers", "a key with spaces & 'quotes' \"q\" $HOME `x`"),
    ("sha256", "script", "ünïcödé/ключ €.bin"),
    ("crc64nvme", "aws-sigv4", "dollar $(echo no) and + plus"),
    ("sha1", "headers", "k"),
    ("xxhash3", "script", "x"),
]


@pytest.mark.parametrize(("algorithm", "style", "key"), KEYS)
def test_rgw_accepts_curl_put_with_checksum(
    rgw: tuple[dict[str, str], Any, str], tmp_path: Path, algorithm: str, style: str, key: str
) -> None:
    """The generated command, run by bash, is accepted by RGW with the checksum headers
    signed; the object reads back byte for byte.

    Ceph 16 (Pacific) neither checks nor keeps the checksum: head-object with
    --checksum-mode ENABLED shows no Checksum* field (pinned below: RGW's answer as it is)."""
    server, client, bucket = rgw
    data = os.urandom(70_000) + b"\r\n\0end"
    source = tmp_path / "body.bin"
    source.write_bytes(data)
    env = _env(server, tmp_path)
    made = _cli(
        "curl", "put", str(source), f"s3://{bucket}/{key}", "--endpoint-url",
        server["S3_ENDPOINT"], "--checksum", algorithm, "--style", style, env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    ran = subprocess.run(
        ["bash"], input=made.stdout, capture_output=True, text=True, env=env, timeout=60,
        check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert not [name for name in head if name.startswith("Checksum")]  # RGW 16 keeps none


def test_rgw_presigned_put_bound_to_a_checksum(
    rgw: tuple[dict[str, str], Any, str], tmp_path: Path
) -> None:
    """A presigned PUT bound to the body's CRC32 (query form) is accepted with that body.
    RGW 16 does not check the bound value: another body is accepted too (its answer, pinned;
    AWS S3 refuses it with BadDigest)."""
    import urllib.request

    server, client, bucket = rgw
    body = tmp_path / "body.bin"
    body.write_bytes(BODY)
    env = _env(server, tmp_path)
    for key, payload in (("bound same 'q' $x ü", BODY), ("bound \"other\" €", b"another")):
        made = _cli(
            "presign", f"s3://{bucket}/{key}", "-X", "PUT", "--endpoint-url",
            server["S3_ENDPOINT"], "--checksum", "crc32", "--file", str(body), env=env,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        url = made.stdout.strip()
        assert "x-amz-checksum-crc32=DUoRhQ%3D%3D" in url
        request = urllib.request.Request(url, data=payload, method="PUT")
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200
        assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == payload


def test_rgw_presigned_put_with_checksum_headers(
    rgw: tuple[dict[str, str], Any, str], tmp_path: Path
) -> None:
    """--checksum-in header (botocore's form): the --curl command sends the signed checksum
    headers and RGW accepts the upload; the object reads back byte for byte."""
    server, client, bucket = rgw
    body = tmp_path / "a b.bin"
    body.write_bytes(os.urandom(40_000))
    env = _env(server, tmp_path)
    key = "header form 'q' $y ü"
    made = _cli(
        "presign", f"s3://{bucket}/{key}", "-X", "PUT", "--endpoint-url", server["S3_ENDPOINT"],
        "--checksum", "sha256", "--checksum-in", "header", "--file", str(body), "--curl",
        env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "X-Amz-SignedHeaders=host%3Bx-amz-checksum-sha256%3Bx-amz-sdk-checksum-algorithm" in (
        made.stdout
    )
    ran = subprocess.run(
        ["bash"], input=made.stdout, capture_output=True, text=True, env=env, timeout=60,
        check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == body.read_bytes()


def test_rgw_sign_checksum_request_accepted(
    rgw: tuple[dict[str, str], Any, str], tmp_path: Path
) -> None:
    """sign --checksum's signed request, sent as is, is accepted by RGW (header form)."""
    from tests.e2e.wire import send

    server, client, bucket = rgw
    env = _env(server, tmp_path)
    url = f"{server['S3_ENDPOINT']}/{bucket}/signed%20k%24y"
    made = _cli(
        "sign", "PUT", url, "-d", "signed body", "--checksum", "crc32", "--service", "s3",
        "--region", "us-east-1", "--json", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    steps = {s["name"]: s["value"] for s in json.loads(made.stdout)["steps"]}
    request = parse_request_text(steps["signed_request"].encode())
    request = request.with_headers([("Content-Length", str(len(request.body_bytes())))])
    status, answer = send(server["S3_ENDPOINT"], request)
    assert status == 200, answer
    assert client.get_object(Bucket=bucket, Key="signed k$y")["Body"].read() == b"signed body"


def test_aws_cli_over_tls_is_sign_trailer(
    rgw: tuple[dict[str, str], Any, str], tmp_path: Path
) -> None:
    """The installed AWS CLI (botocore 1.43, default checksums) over TLS sends the trailer
    form: sigkit sign --checksum crc32 --trailer signs the same headers to the same
    signature at the same X-Amz-Date. RGW 16 refuses the SDK's chunked transfer with 411
    MissingContentLength (its answer, pinned)."""
    from tests.e2e.realclients import find_aws

    server, _, bucket = rgw
    if "S3_TLS_ENDPOINT" not in server:
        pytest.skip("this RGW serves no TLS endpoint")
    body = tmp_path / "body.txt"
    body.write_bytes(BODY)
    env = _env(server, tmp_path) | {"AWS_CA_BUNDLE": server["S3_CA_BUNDLE"]}
    done = subprocess.run(
        [find_aws(), "--endpoint-url", server["S3_TLS_ENDPOINT"], "s3api", "put-object",
         "--bucket", bucket, "--key", "tls", "--body", str(body), "--debug"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    sent = re.search(r"Sending http request: <AWSPreparedRequest .*headers=(\{.*\})>", done.stderr)
    assert sent is not None, done.stderr[-2000:]
    theirs = {
        k.lower(): v.decode() if isinstance(v, bytes) else v
        for k, v in ast.literal_eval(sent.group(1)).items()
    }
    assert theirs["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    url = f"{server['S3_TLS_ENDPOINT']}/{bucket}/tls"
    made = _cli(
        "sign", "PUT", url, "--data-file", str(body), "--checksum", "crc32", "--trailer",
        "--service", "s3", "--region", "us-east-1", "--date", theirs["x-amz-date"], "--json",
        env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    steps = {s["name"]: s["value"] for s in json.loads(made.stdout)["steps"]}
    ours = {n.lower(): v for n, v in parse_request_text(steps["signed_request"].encode()).headers}
    ours.pop("host")  # botocore's log shows the headers before urllib3 adds Host
    assert _comparable(ours) == _comparable(theirs)
    # RGW 16's answer to the SDK's chunked transfer (no Content-Length), as it is:
    assert done.returncode != 0
    assert '"PUT /' + bucket + '/tls HTTP/1.1" 411 ' in done.stderr
    assert "<Code>MissingContentLength</Code>" in done.stderr


def test_curl_request_and_walkthrough_carry_the_checksum(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The other sub-commands that send a body: the same values botocore sends for it."""
    code, out, err = run(
        capsys, "curl", "request", "PUT", "https://bkt.s3.amazonaws.com/k", "-d",
        BODY.decode(), "--checksum", "crc32", *("--access-key", ACCESS, "--secret-key", SECRET),
    )  # fmt: skip
    assert code == 0, err
    pair = "-H 'x-amz-checksum-crc32: DUoRhQ==' \\\n  -H 'x-amz-sdk-checksum-algorithm: CRC32'"
    assert pair in out
    body = tmp_path / "f.bin"
    body.write_bytes(BODY)
    code, out, err = run(
        capsys, "curl", "walkthrough", "s3://bkt", str(body), "--checksum", "crc64nvme",
        *("--access-key", ACCESS, "--secret-key", SECRET), "--json",
    )  # fmt: skip
    assert code == 0, err
    commands = {c["name"]: c["command"] for c in json.loads(out)["commands"]}
    assert "x-amz-checksum-crc64nvme: jSnVw/bqjr4=" in commands["put"]
    assert all("checksum" not in commands[n] for n in ("mb", "ls", "get", "rm", "rb"))


def test_decide_is_one_rule() -> None:
    """The pure rule every command follows (sigkit.checksum_headers.decide)."""
    from sigkit import stores
    from sigkit.checksum_headers import NONE, decide, parse_algorithm

    r2, ceph, minio = stores.get("r2"), stores.get("ceph"), stores.get("minio")
    assert parse_algorithm("CRC64NVME") == "crc64nvme"
    assert parse_algorithm("x-amz-checksum-sha256") == "sha256"
    assert parse_algorithm("when_required") == NONE
    assert parse_algorithm(None) is None
    assert decide(None).algorithm is None
    assert decide("crc32").algorithm == "crc32"
    assert decide(NONE, store=r2) == decide(NONE)  # nothing to say: nothing is sent
    refused = decide(None, store=r2, default="crc32")
    assert refused.algorithm is None and refused.notes and not refused.warnings
    forced = decide("crc32", store=r2)
    assert forced.algorithm == "crc32" and forced.warnings and not forced.notes
    assert decide("crc32", store=minio).warnings == ()
    assert decide("crc32", store=ceph).warnings == ()
    assert decide("crc32", form="trailer", store=ceph).warnings != ()


@pytest.mark.parametrize("command", ["sign", "presign", "chunked"])
def test_checksum_examples_in_help_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    """The --checksum/--store examples in each command's help text run as written."""
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out.split("\nArguments:")[0]
    examples = re.sub(r" \\\n\s+", " ", text).splitlines()
    examples = [line.strip() for line in examples if line.strip().startswith("sigkit ")]
    assert any("--checksum" in line for line in examples)
    (tmp_path / "f").write_bytes(b"hello")
    (tmp_path / "up.bin").write_bytes(b"up")
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": ACCESS,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for line in examples:
        done = subprocess.run(
            ["bash", "-c", line.replace("sigkit ", f"{sys.executable} -c '{_MAIN}' ", 1)],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (line, done.stderr)


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA256", "XXHASH64"])
def test_curl_put_headers_style_is_botocores(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, algorithm: str
) -> None:
    """curl put --checksum --style headers: the Authorization botocore's PutObject sends for
    the same file at the same time, and the same checksum headers."""
    theirs, _ = botocore_sends(
        "http://127.0.0.1:9000", bucket="bkt", ChecksumAlgorithm=algorithm,
        config={"s3": {"addressing_style": "path"}},
    )  # fmt: skip
    body = tmp_path / "f.bin"
    body.write_bytes(BODY)
    code, out, err = run(
        capsys, "curl", "put", str(body), "s3://bkt/k", "--checksum", algorithm,
        "--style", "headers", "--endpoint-url", "http://127.0.0.1:9000", "--region",
        "us-east-1", "--date", theirs["x-amz-date"], "--access-key", ACCESS,
        "--secret-key", SECRET,
    )  # fmt: skip
    assert code == 0, err
    assert f"-H 'Authorization: {theirs['authorization']}'" in out
    name = f"x-amz-checksum-{algorithm.lower()}"
    assert f"-H '{name}: {theirs[name]}'" in out
    assert f"-H 'x-amz-sdk-checksum-algorithm: {algorithm}'" in out


def test_sign_presign_binds_the_body_checksum_in_the_query(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """sign --presign --checksum: the same query form as presign (the steps shown), with the
    checksum of the body given (botocore's CRC32 of it), verified by sigkit's verifier."""
    code, out, err = run(
        capsys, "sign", "PUT", "https://bkt.s3.amazonaws.com/k", "--presign", "-d",
        BODY.decode(), "--checksum", "crc32", "--date", "20250115T120000Z", "--access-key",
        ACCESS, "--secret-key", SECRET, "--json",
    )  # fmt: skip
    assert code == 0, err
    steps = {s["name"]: s["value"] for s in json.loads(out)["steps"]}
    query = _query(steps["url"])
    assert (query["x-amz-checksum-crc32"], query["x-amz-sdk-checksum-algorithm"]) == (
        "DUoRhQ==",
        "CRC32",
    )
    assert "empty body" not in err
    target = steps["url"][len("https://bkt.s3.amazonaws.com") :]
    request = parse_request_text(f"PUT {target} HTTP/1.1\r\nHost: bkt.s3.amazonaws.com\r\n\r\n")
    verdict = verify_request(
        request, Credentials(ACCESS, SECRET), datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    )
    assert verdict.signature_matches and verdict.problems == ()
    code, out, err = run(
        capsys, "sign", "PUT", "https://bkt.s3.amazonaws.com/k", "--presign", "--checksum",
        "crc32", "--access-key", ACCESS, "--secret-key", SECRET,
    )  # fmt: skip
    assert code == 0
    assert "x-amz-checksum-crc32=AAAAAA==, the checksum of an empty body" in err
    assert "give the body (-d or --data-file)" in err

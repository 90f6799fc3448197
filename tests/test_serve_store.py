"""`sigkit serve --store NAME` against real clients: the installed AWS CLI (botocore 1.43,
default checksums on) gets each store's refusal exactly (status, code, message as the public
reports show them, see sigkit/stores.py), and the same command with
AWS_REQUEST_CHECKSUM_CALCULATION=when_required succeeds. Header-form checksums go over http;
the trailer form (aws-chunked, Transfer-Encoding: chunked) is what botocore sends over https,
so those cases run against `serve --tls-cert/--tls-key` with a certificate made here. The
Ceph case is also run against the suite's real RGW 16 over TLS: both answer alike."""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import os
import ssl
import subprocess
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
BODY = b"hello world\n"
CRC32 = base64.b64encode(zlib.crc32(BODY).to_bytes(4, "big")).decode()
_MAIN = "import sys; from sigkit.cli.app import main; sys.exit(main(sys.argv[1:]))"


def _aws_path() -> str | None:
    try:
        from tests.e2e.realclients import find_aws

        return find_aws()
    except RuntimeError:
        return None


AWS = _aws_path()
needs_aws = pytest.mark.skipif(AWS is None, reason="the AWS CLI (aws) is not installed")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost (its own CA bundle) and its key."""
    where = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = where / "cert.pem", where / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return cert_file, key_file


@contextmanager
def serving(store: str, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """`sigkit serve --store STORE` on a free port; yields its URL."""
    argv = [sys.executable, "-c", _MAIN, "serve", "--port", "0", "--json", "--store", store]
    argv += ["--access-key", KEY, "--secret-key", SECRET, "--region", "us-east-1"]
    if tls is not None:
        argv += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, f"sigkit serve --store {store} did not start"
        started = json.loads(line)
        assert started["store"] == store
        url: str = started["listening"]
        yield url.replace("127.0.0.1", "localhost") if tls else url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _aws(
    url: str,
    tmp_path: Path,
    *args: str,
    ca: Path | None = None,
    when_required: bool = False,
    key: str = KEY,
    secret: str = SECRET,
) -> subprocess.CompletedProcess[str]:
    """The installed AWS CLI, nothing from the user's configuration, checksums as shipped
    (or when_required)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
    }
    if ca is not None:
        env["AWS_CA_BUNDLE"] = str(ca)
    if when_required:
        env["AWS_REQUEST_CHECKSUM_CALCULATION"] = "when_required"
        env["AWS_RESPONSE_CHECKSUM_VALIDATION"] = "when_required"
    assert AWS is not None
    return subprocess.run(
        [AWS, "--endpoint-url", url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _body(tmp_path: Path) -> Path:
    source = tmp_path / "hello.txt"
    source.write_bytes(BODY)
    return source


def _error_line(code: str, operation: str, message: str) -> str:
    return f"An error occurred ({code}) when calling the {operation} operation: {message}"


# --- header-form checksums (botocore over http) ----------------------------------------------

HEADER_CASES = [
    (
        "r2",
        _error_line(
            "NotImplemented",
            "PutObject",
            f"Header 'x-amz-checksum-crc32' with value '{CRC32}' not implemented",
        ),
    ),
    (
        "b2",
        _error_line(
            "InvalidArgument",
            "PutObject",
            "Unsupported header 'x-amz-sdk-checksum-algorithm' received for this API call.",
        ),
    ),
]


@needs_aws
@pytest.mark.parametrize(("store", "line"), HEADER_CASES)
def test_aws_cli_put_object_gets_the_stores_refusal_and_when_required_succeeds(
    store: str, line: str, tmp_path: Path
) -> None:
    source = _body(tmp_path)
    put = ("s3api", "put-object", "--bucket", "bk", "--key", "k", "--body", str(source))
    with serving(store) as url:
        refused = _aws(url, tmp_path, *put)
        assert refused.returncode != 0
        assert refused.stderr.strip() == line
        fixed = _aws(url, tmp_path, *put, when_required=True)
        assert fixed.returncode == 0, fixed.stderr


@needs_aws
def test_a_bad_signature_is_still_answered_first(tmp_path: Path) -> None:
    source = _body(tmp_path)
    with serving("r2") as url:
        run = _aws(
            url, tmp_path, "s3api", "put-object", "--bucket", "bk", "--key", "k",
            "--body", str(source), secret="x" * 40,
        )  # fmt: skip
    assert "An error occurred (SignatureDoesNotMatch)" in run.stderr, run.stderr


def test_the_answer_carries_the_stores_text_and_sigkits_cause() -> None:
    """The raw answer: R2's status, code and message exactly; sigkit's cause beside them."""
    creds = BotoCredentials(KEY, SECRET)
    with serving("r2") as url:
        port = int(url.rsplit(":", 1)[1])
        request = AWSRequest(
            method="PUT",
            url=f"{url}/bk/k",
            data=BODY,
            headers={"x-amz-checksum-crc32": CRC32, "x-amz-sdk-checksum-algorithm": "CRC32"},
        )
        S3SigV4Auth(creds, "s3", "us-east-1").add_auth(request)
        prepared = request.prepare()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("PUT", "/bk/k", body=BODY, headers=dict(prepared.headers.items()))
        answer = conn.getresponse()
        body = answer.read()
        conn.close()
    assert answer.status == 501
    assert answer.getheader("x-sigkit-cause") == "checksum-unsupported (certain)"
    xml = ElementTree.fromstring(body)
    assert xml.findtext("Code") == "NotImplemented"
    assert xml.findtext("Message") == (
        f"Header 'x-amz-checksum-crc32' with value '{CRC32}' not implemented"
    )
    assert xml.findtext("Cause") == "checksum-unsupported"
    assert "x-amz-checksum-crc32" in (xml.findtext("Evidence") or "")


# --- the trailer form (botocore over https) ---------------------------------------------------

# RGW (and Hetzner's) empty <Message></Message> is None to botocore; the AWS CLI v1 then
# fails in its own error formatting, so those two are read through boto3 below.
CLI_NONE_MESSAGE = "argument of type 'NoneType' is not iterable"
TRAILER_CASES = [
    ("ceph", CLI_NONE_MESSAGE),
    ("hetzner", CLI_NONE_MESSAGE),
    ("scality", _error_line("BadRequest", "PutObject", "trailing checksum is not supported")),
    (
        "aliyun",
        _error_line(
            "InvalidArgument",
            "PutObject",
            "aws-chunked encoding is not supported with the specified x-amz-content-sha256 "
            "value.",
        ),
    ),
    (
        "storj",
        _error_line(
            "MissingContentLength",
            "PutObject",
            "You must provide the Content-Length HTTP header.",
        ),
    ),
]


@needs_aws
@pytest.mark.parametrize(("store", "line"), TRAILER_CASES)
def test_aws_cli_over_tls_gets_the_stores_trailer_refusal(
    store: str, line: str, tmp_path: Path, tls: tuple[Path, Path]
) -> None:
    """The AWS CLI over TLS sends the trailer form; each store's refusal, then success."""
    source = _body(tmp_path)
    put = ("s3api", "put-object", "--bucket", "bk", "--key", "k", "--body", str(source))
    with serving(store, tls) as url:
        refused = _aws(url, tmp_path, *put, ca=tls[0])
        assert refused.returncode != 0
        assert refused.stderr.strip() == line
        fixed = _aws(url, tmp_path, *put, ca=tls[0], when_required=True)
        assert fixed.returncode == 0, fixed.stderr


def _boto3_put(url: str, ca: Path, bucket: str, key: str, secret: str) -> str:
    """boto3 (botocore 1.43, default checksums) PutObject over TLS: its error text."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    client = boto3.client(
        "s3",
        endpoint_url=url,
        verify=str(ca),
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )
    try:
        client.put_object(Bucket=bucket, Key="k", Body=BODY)
    except ClientError as exc:
        return str(exc)
    return "accepted"


@pytest.mark.parametrize(
    ("store", "code"), [("ceph", "MissingContentLength"), ("hetzner", "XAmzContentSHA256Mismatch")]
)
def test_boto3_reads_the_empty_message_as_none(
    store: str, code: str, tls: tuple[Path, Path]
) -> None:
    """As home-assistant/core#144015 shows Hetzner's answer: '... operation: None'."""
    with serving(store, tls) as url:
        said = _boto3_put(url, tls[0], "bk", KEY, SECRET)
    assert said == _error_line(code, "PutObject", "None")


@needs_aws
def test_serve_store_ceph_answers_as_the_real_rgw_does(
    s3server: dict[str, str], tmp_path: Path, tls: tuple[Path, Path]
) -> None:
    """The same command against the suite's RGW 16 over TLS and against serve --store ceph:
    the same error line (RGW 16 takes no chunked transfer without Content-Length)."""
    if "S3_TLS_ENDPOINT" not in s3server:
        pytest.skip("this RGW serves no TLS endpoint")
    key, secret = s3server["AWS_ACCESS_KEY_ID"], s3server["AWS_SECRET_ACCESS_KEY"]
    ca = Path(s3server["S3_CA_BUNDLE"])
    rgw = s3server["S3_TLS_ENDPOINT"]
    bucket = "h3-serve-store-ceph"
    plain = s3server["S3_ENDPOINT"]
    there = _aws(
        plain, tmp_path, "s3api", "head-bucket", "--bucket", bucket, key=key, secret=secret
    )
    if there.returncode != 0:
        made = _aws(
            plain, tmp_path, "s3api", "create-bucket", "--bucket", bucket, key=key, secret=secret
        )
        assert made.returncode == 0 or "BucketAlreadyOwnedByYou" in made.stderr, made.stderr
    source = _body(tmp_path)
    put = ("s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(source))
    real = _aws(rgw, tmp_path, *put, ca=ca, key=key, secret=secret)
    assert real.returncode != 0
    real_boto3 = _boto3_put(rgw, ca, bucket, key, secret)
    with serving("ceph", tls) as url:
        ours = _aws(url, tmp_path, *put, ca=tls[0])
        ours_boto3 = _boto3_put(url, tls[0], bucket, KEY, SECRET)
    assert ours.stderr.strip() == real.stderr.strip() == CLI_NONE_MESSAGE
    assert ours_boto3 == real_boto3 == _error_line("MissingContentLength", "PutObject", "None")
    fixed = _aws(rgw, tmp_path, *put, ca=ca, key=key, secret=secret, when_required=True)
    assert fixed.returncode == 0, fixed.stderr


@needs_aws
def test_gcs_keeps_the_aws_chunked_framing_in_the_object(
    tmp_path: Path, tls: tuple[Path, Path]
) -> None:
    """GCS interop stores an aws-chunked upload as it came: a GET returns the chunk-size
    line, the data, the last chunk and the trailer (the framing of AWS's sigv4-streaming
    trailer documentation, with the body's CRC32)."""
    source = _body(tmp_path)
    framed = (
        f"{len(BODY):x}\r\n".encode()
        + BODY
        + f"\r\n0\r\nx-amz-checksum-crc32:{CRC32}\r\n\r\n".encode()
    )
    got = tmp_path / "got"
    with serving("gcs", tls) as url:
        for key, when_required, expected in (("framed", False, framed), ("plain", True, BODY)):
            put = _aws(
                url, tmp_path, "s3api", "put-object", "--bucket", "bk", "--key", key,
                "--body", str(source), ca=tls[0], when_required=when_required,
            )  # fmt: skip
            assert put.returncode == 0, put.stderr
            get = _aws(
                url, tmp_path, "s3api", "get-object", "--bucket", "bk", "--key", key,
                str(got), ca=tls[0], when_required=True,
            )  # fmt: skip
            assert get.returncode == 0, get.stderr
            assert got.read_bytes() == expected
            assert json.loads(get.stdout).get("ContentEncoding") == (
                "aws-chunked" if key == "framed" else None
            )


# --- DeleteObjects and Content-MD5 ------------------------------------------------------------


@needs_aws
def test_delete_objects_without_content_md5_is_refused_as_older_minio_does(
    tmp_path: Path,
) -> None:
    """botocore sends a CRC32 for DeleteObjects; when_required does not bring MD5 back (the
    operation requires a checksum), so the older MinIO refusal stays: the fix is on the
    store's side or a Content-MD5 added by hand."""
    delete = ("s3api", "delete-objects", "--bucket", "bk", "--delete", '{"Objects":[{"Key":"k"}]}')
    line = _error_line(
        "MissingContentMD5",
        "DeleteObjects",
        "Missing required header for this request: Content-Md5.",
    )
    with serving("minio") as url:
        for when_required in (False, True):
            run = _aws(url, tmp_path, *delete, when_required=when_required)
            assert run.returncode != 0
            assert run.stderr.strip() == line
        # a single-object delete carries no checksum requirement: accepted
        one = _aws(url, tmp_path, "s3api", "delete-object", "--bucket", "bk", "--key", "k")
        assert one.returncode == 0, one.stderr


# --- a presigned PUT that binds a checksum ----------------------------------------------------


def _presigned_put(url: str, bound: str) -> str:
    """A presigned PUT whose query carries x-amz-checksum-crc32 (as aws-sdk-js-v3's presigner
    writes it since 3.729), signed by botocore."""
    creds = BotoCredentials(KEY, SECRET)
    request = AWSRequest(
        method="PUT",
        url=f"{url}/bk/k",
        params={"x-amz-checksum-crc32": bound, "x-amz-sdk-checksum-algorithm": "CRC32"},
    )
    S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=300).add_auth(request)
    return str(request.prepare().url)


@pytest.mark.parametrize(
    ("store", "code"),
    [("seaweedfs", "BadDigest"), ("garage", "InvalidDigest"), ("r2", "InvalidDigest")],
)
def test_presigned_put_bound_to_the_empty_bodys_checksum_is_refused(
    store: str, code: str, tmp_path: Path
) -> None:
    """curl uploads a file to a URL presigned without a body (AAAAAA== is CRC32 of nothing):
    the store refuses it; the URL bound to the file's CRC32 is accepted."""
    source = _body(tmp_path)
    answer = tmp_path / "answer.xml"
    with serving(store) as url:
        for bound, status in (("AAAAAA==", 400), (CRC32, 200)):
            run = subprocess.run(
                ["curl", "-sS", "-o", str(answer), "-D", "-", "-w", "%{http_code}",
                 "-T", str(source), _presigned_put(url, bound)],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            assert run.returncode == 0, run.stderr
            assert run.stdout.endswith(str(status)), run.stdout
            if status == 400:
                xml = ElementTree.fromstring(answer.read_bytes())
                assert xml.findtext("Code") == code
                if store == "garage":  # its text as usekaneo/kaneo#1173 quotes it
                    digest = ", ".join(str(b) for b in base64.b64decode(CRC32))
                    assert xml.findtext("Message") == (
                        "Invalid digest: Failed to validate checksum for algorithm Crc32: "
                        f"calculated Some(Crc32([{digest}])), expected Crc32([0, 0, 0, 0])"
                    )
                    assert xml.findtext("Region") == "garage"
                else:
                    assert xml.find("Message") is None  # no published text: none invented
                assert xml.findtext("Cause") == "presigned-checksum"
                assert "x-amz-checksum-crc32=AAAAAA== (the empty body's)" in (
                    xml.findtext("Evidence") or ""
                )
                assert "x-sigkit-cause: presigned-checksum (certain)" in run.stdout.lower()


def test_serve_store_unknown_is_one_line_and_exit_2() -> None:
    run = subprocess.run(
        [sys.executable, "-c", _MAIN, "serve", "--store", "nosuch", "--access-key", KEY,
         "--secret-key", SECRET, "--port", "0"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "--store" in lines[0] and "r2" in lines[0], run.stderr


def test_serve_tls_needs_both_files(tls: tuple[Path, Path]) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _MAIN, "serve", "--tls-cert", str(tls[0]), "--access-key", KEY,
         "--secret-key", SECRET, "--port", "0"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert "--tls-key" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_tls_handshake_then_verdict(tls: tuple[Path, Path]) -> None:
    """Over TLS serve verifies as over http (a plain signed GET matches)."""
    creds = BotoCredentials(KEY, SECRET)
    with serving("aws", tls) as url:
        port = int(url.rsplit(":", 1)[1])
        request = AWSRequest(method="GET", url=f"{url}/bk/k")
        S3SigV4Auth(creds, "s3", "us-east-1").add_auth(request)
        context = ssl.create_default_context(cafile=str(tls[0]))
        conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=10)
        conn.request("GET", "/bk/k", headers=dict(request.prepare().headers.items()))
        answer = conn.getresponse()
        body = answer.read()
        conn.close()
    assert answer.status == 200, body
    assert ElementTree.fromstring(body).findtext("Verdict") == "match"


# --- the loop a user runs: the failed --debug log explained, the setting applied --------------

EXPLAIN_CASES = [
    ("r2", False, "checksum-unsupported"),
    ("scality", True, "aws-chunked-unsupported"),
    ("storj", True, "content-length-chunked"),
]


@needs_aws
@pytest.mark.parametrize(("store", "over_tls", "cause"), EXPLAIN_CASES)
def test_sigkit_explain_names_the_cause_and_the_setting_that_then_works(
    store: str, over_tls: bool, cause: str, tmp_path: Path, tls: tuple[Path, Path]
) -> None:
    """The AWS CLI's --debug log of the refused upload, given to sigkit explain, names the
    cause and the CLI's own setting; the same command with that setting is accepted."""
    source = _body(tmp_path)
    put = ("s3api", "put-object", "--bucket", "bk", "--key", "k", "--body", str(source))
    ca = tls[0] if over_tls else None
    with serving(store, tls if over_tls else None) as url:
        failed = _aws(url, tmp_path, *put, "--debug", ca=ca)
        assert failed.returncode != 0
        log = tmp_path / "failed.log"
        log.write_text(failed.stderr, encoding="utf-8")
        explained = subprocess.run(
            [sys.executable, "-c", _MAIN, "explain", str(log), "--json"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        report = json.loads(explained.stdout)
        top = report["findings"][0]
        assert (top["cause"], top["certain"]) == (cause, True)
        assert "AWS_REQUEST_CHECKSUM_CALCULATION=when_required" in top["detail"]
        again = _aws(url, tmp_path, *put, ca=ca, when_required=True)
        assert again.returncode == 0, again.stderr


def test_ceph_refuses_a_trailer_sent_with_its_length(tls: tuple[Path, Path]) -> None:
    """The trailer form with Content-Length (as SDKs that know the length send it): RGW
    before trailer support answers XAmzContentSHA256Mismatch with an empty message and the
    bucket (fsspec/s3fs#932); botocore signs the request, the framing is AWS's."""
    framed = (
        f"{len(BODY):x}\r\n".encode()
        + BODY
        + f"\r\n0\r\nx-amz-checksum-crc32:{CRC32}\r\n\r\n".encode()
    )
    creds = BotoCredentials(KEY, SECRET)
    with serving("ceph", tls) as url:
        port = int(url.rsplit(":", 1)[1])
        request = AWSRequest(
            method="PUT",
            url=f"{url}/bk/k",
            data=framed,
            headers={
                "Content-Encoding": "aws-chunked",
                "X-Amz-Trailer": "x-amz-checksum-crc32",
                "X-Amz-Decoded-Content-Length": str(len(BODY)),
                "x-amz-sdk-checksum-algorithm": "CRC32",
            },
        )
        request.context["checksum"] = {
            "request_algorithm": {"in": "trailer", "algorithm": "crc32"}
        }
        S3SigV4Auth(creds, "s3", "us-east-1").add_auth(request)
        headers = dict(request.prepare().headers.items())
        assert headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        context = ssl.create_default_context(cafile=str(tls[0]))
        conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=10)
        conn.request("PUT", "/bk/k", body=framed, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        conn.close()
    assert answer.status == 400
    xml = ElementTree.fromstring(body)
    assert xml.findtext("Code") == "XAmzContentSHA256Mismatch"
    message = xml.find("Message")
    assert message is not None and not message.text
    assert xml.findtext("BucketName") == "bk"
    assert xml.findtext("Cause") == "aws-chunked-unsupported"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"zz\r\nhello\r\n0\r\n\r\n", 400, "IncompleteBody"),  # no chunk size
        (b"5\r\nhel", 400, "IncompleteBody"),  # the transfer ends early
        (b"2000000\r\n" + b"x" * 16, 413, "EntityTooLarge"),  # 32 MiB: over --max-body
    ],
)
def test_a_chunked_transfer_is_read_within_bounds(body: bytes, status: int, code: str) -> None:
    """Under --store a chunked transfer is read (bounded); malformed or too large, it is
    refused with S3's codes, never a traceback."""
    import socket

    with serving("aws") as url:
        port = int(url.rsplit(":", 1)[1])
        head = (
            b"PUT /bk/k HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(head + body)
            conn.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == str(status).encode(), answer[:200]
    xml = ElementTree.fromstring(rest.split(b"\r\n\r\n", 1)[1])
    assert xml.findtext("Code") == code


# --- the object store: bounded, and behind verification ---------------------------------------


def _raw(
    port: int, method: str, path: str, body: bytes | None, auth: AWSRequest
) -> tuple[int, bytes]:
    prepared = auth.prepare()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=dict(prepared.headers.items()))
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    return answer.status, data


def test_a_stored_object_is_never_served_to_a_request_that_fails_verification() -> None:
    """gcs keeps a verified PUT's object for a GET; a GET signed with another secret is
    answered 403 SignatureDoesNotMatch and carries nothing of the object."""
    secret_body = b"only for the signer\n"
    with serving("gcs") as url:
        port = int(url.rsplit(":", 1)[1])
        put = AWSRequest(method="PUT", url=f"{url}/bk/private", data=secret_body)
        S3SigV4Auth(BotoCredentials(KEY, SECRET), "s3", "us-east-1").add_auth(put)
        assert _raw(port, "PUT", "/bk/private", secret_body, put)[0] == 200
        good = AWSRequest(method="GET", url=f"{url}/bk/private")
        S3SigV4Auth(BotoCredentials(KEY, SECRET), "s3", "us-east-1").add_auth(good)
        assert _raw(port, "GET", "/bk/private", None, good) == (200, secret_body)
        bad = AWSRequest(method="GET", url=f"{url}/bk/private")
        S3SigV4Auth(BotoCredentials(KEY, SECRET[:-1] + "X"), "s3", "us-east-1").add_auth(bad)
        status, data = _raw(port, "GET", "/bk/private", None, bad)
    assert status == 403
    assert ElementTree.fromstring(data).findtext("Code") == "SignatureDoesNotMatch"
    assert secret_body not in data


def test_the_object_store_is_bounded() -> None:
    """At most MAX_STORED_OBJECTS objects and MAX_STORED_BYTES bytes, the oldest dropped first;
    an object larger than the whole bound is not kept."""
    from sigkit.serve import MAX_STORED_BYTES, MAX_STORED_OBJECTS, ObjectStore

    store = ObjectStore()
    for number in range(MAX_STORED_OBJECTS + 1):
        store.put(f"/b/{number}", b"x")
    assert store.get("/b/0") is None
    assert store.get("/b/1") == (b"x", None)
    assert store.get(f"/b/{MAX_STORED_OBJECTS}") == (b"x", None)
    store.put("/b/huge", b"y" * (MAX_STORED_BYTES + 1))
    assert store.get("/b/huge") is None
    half = b"z" * (MAX_STORED_BYTES // 2)
    store.put("/b/h1", half)
    store.put("/b/h2", half)
    store.put("/b/h3", half)
    assert store.get("/b/h1") is None and store.get("/b/1") is None
    assert store.get("/b/h2") == (half, None) and store.get("/b/h3") == (half, None)

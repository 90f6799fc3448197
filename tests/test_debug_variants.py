"""The variant search: each catalogued slip made by an independent client, then found.

The client's signature comes from botocore 1.43.11 (subclassed or patched only to introduce
the slip), from the real curl 7.88.1 ``--aws-sigv4`` talking to a local socket that records
the bytes, from the AWS documentation's openssl V2 recipe run with bash and openssl, or from
botocore's request with a transport rewrite made by hand. The search must name the exact
cause, certain, with the client's canonical request (SigV4) or string to sign (V2): where
botocore signs, its own logged canonical request / string to sign is the expected text.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import socket
import string
import subprocess
import threading
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from botocore.auth import (  # type: ignore[import-untyped]
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
)
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials as BotoCredentials  # type: ignore[import-untyped]
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sigkit import Credentials, Request, S3V2Config, SigV4Config
from sigkit.debug import causes
from sigkit.debug.model import Finding
from sigkit.debug.variants import (
    V2_GENERATORS,
    V4_GENERATORS,
    SearchReport,
    find_variant,
    find_variant_v2,
    host_scope,
    search_v2,
    search_v4,
)
from sigkit.errors import SigkitError
from sigkit.http import parse_request_text
from sigkit.sigv4.config import EMPTY_SHA256

WHEN = dt.datetime(2026, 11, 24, 12, 0, 0, tzinfo=dt.UTC)
HTTP_DATE = "Tue, 24 Nov 2026 12:00:00 GMT"
KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(KEY, SECRET)
S3 = SigV4Config.s3("us-east-1")
CURL = "/usr/bin/curl"
CURL_SIGV4 = (CURL, "-sS", "-o", "/dev/null", "--aws-sigv4", "aws:amz:us-east-1:s3")
needs_curl = pytest.mark.skipif(not os.path.exists(CURL), reason="curl 7.88.1 is not installed")


# --- independent clients ----------------------------------------------------------------------


class _Record:
    """Keeps what botocore computed: its canonical request, string to sign and signature."""

    seen: dict[str, str]

    def canonical_request(self, request: Any) -> str:
        value: str = super().canonical_request(request)  # type: ignore[misc]
        self.seen["canonical_request"] = value
        return value

    def signature(self, string_to_sign: str, request: Any) -> str:
        value: str = super().signature(string_to_sign, request)  # type: ignore[misc]
        self.seen["signature"] = value
        return value


class V4(_Record, SigV4Auth):  # type: ignore[misc]
    pass


class S3V4(_Record, S3SigV4Auth):  # type: ignore[misc]
    pass


class S3V4Query(_Record, S3SigV4QueryAuth):  # type: ignore[misc]
    pass


class V2(HmacV1Auth):  # type: ignore[misc]
    seen: dict[str, str]

    def sign_string(self, string_to_sign: str) -> str:
        value: str = super().sign_string(string_to_sign)
        self.seen = {"string_to_sign": string_to_sign, "signature": value}
        return value


class V2Query(HmacV1QueryAuth):  # type: ignore[misc]
    seen: dict[str, str]

    def sign_string(self, string_to_sign: str) -> str:
        value: str = super().sign_string(string_to_sign)
        self.seen = {"string_to_sign": string_to_sign, "signature": value}
        return value


def boto(
    signer: Any,
    url: str,
    headers: dict[str, str] | None = None,
    *,
    method: str = "GET",
    body: bytes | None = None,
) -> tuple[dict[str, str], Request]:
    """Sign with `signer` at WHEN; what botocore computed and the request it sends."""
    signer.seen = {}
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=WHEN.replace(tzinfo=None)),
        mock.patch("botocore.auth.formatdate", return_value=HTTP_DATE),
        mock.patch("time.time", return_value=WHEN.timestamp()),
    ):
        signer.add_auth(request)
    sent = Request.from_url(method, request.url, list(request.headers.items()), body)
    return signer.seen, sent


def creds(secret: str = SECRET, token: str | None = None) -> BotoCredentials:
    return BotoCredentials(KEY, secret, token)


def rewritten(request: Request, name: str, value: str | None) -> Request:
    """The request with one header set to `value` (None: removed), as a transport does it."""
    kept = tuple((n, v) for n, v in request.headers if n.lower() != name.lower())
    added = () if value is None else ((name, value),)
    return Request(
        request.method,
        request.path,
        request.query,
        kept + added,
        request.body,
        request.scheme,
        request.authority,
    )


def v4_signature(request: Request) -> str:
    match = re.search(r"Signature=([0-9a-f]{64})", request.header("authorization") or "")
    if match is None:
        match = re.search(r"X-Amz-Signature=([0-9a-f]{64})", request.query or "")
    assert match, request
    return match.group(1)


def certain(report: SearchReport | Finding | None, cause: str) -> str:
    """The evidence of a certain finding of `cause`."""
    finding = report.finding if isinstance(report, SearchReport) else report
    assert finding is not None
    assert (finding.cause, finding.certain) == (cause, True), finding.evidence
    return finding.evidence


class Listener:
    """A local socket that records the bytes of one request and answers 200."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.raw = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            if b"100-continue" in head.lower():
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            length = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
            while length and len(rest) < int(length.group(1)):
                rest += conn.recv(65536)
            self.raw = head + b"\r\n\r\n" + rest
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def received(self) -> Request:
        self.thread.join(10)
        self.sock.close()
        sent = parse_request_text(self.raw)
        return Request(sent.method, sent.path, sent.query, sent.headers, sent.body, "http")


def curl(target: str, *args: str) -> tuple[Request, str]:
    """curl 7.88.1 --aws-sigv4 (S3, us-east-1) to a local listener: the request as received
    and the base URL it was sent to."""
    listener = Listener()
    base = f"http://127.0.0.1:{listener.port}"
    subprocess.run(
        [*CURL_SIGV4, "--user", f"{KEY}:{SECRET}", *args, base + target],
        check=True,
        timeout=20,
    )
    return listener.received(), base


def curl_time(request: Request) -> dt.datetime:
    stamp = request.header("x-amz-date")
    assert stamp
    return dt.datetime.strptime(stamp.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def curl_canonical(request: Request, method: str, uri: str, query: str, payload: str) -> str:
    """What curl 7.88 signs: host and x-amz-date only."""
    return (
        f"{method}\n{uri}\n{query}\nhost:{request.host}\n"
        f"x-amz-date:{curl_time(request):%Y%m%dT%H%M%SZ}\n\nhost;x-amz-date\n{payload}"
    )


# --- SigV4: the query ---------------------------------------------------------------------------


class Unsorted(S3V4):
    """A signer that joins the query in the caller's order (the slip)."""

    def _canonical_query_string_url(self, parts: Any) -> str:
        return str(parts.query)


def test_query_order_botocore_unsorted() -> None:
    seen, sent = boto(Unsorted(creds(), "s3", "us-east-1"), "https://b.s3.amazonaws.com/k?z=1&a=2")
    evidence = certain(search_v4(sent, CREDS, WHEN, S3, v4_signature(sent)), "query-order")
    assert "z=1&a=2" in seen["canonical_request"]
    assert evidence.endswith("canonical request was:\n" + seen["canonical_request"])


@needs_curl
def test_acl_signed_bare_curl() -> None:
    sent, _ = curl("/bucket?acl")
    evidence = certain(
        search_v4(sent, CREDS, curl_time(sent), S3, v4_signature(sent)), "empty-query-value"
    )
    assert evidence.endswith(curl_canonical(sent, "GET", "/bucket", "acl", EMPTY_SHA256))


@needs_curl
def test_raw_plus_in_the_query_curl_signs_it_as_sent() -> None:
    sent, _ = curl("/bucket/k?prefix=a+b")
    evidence = certain(
        search_v4(sent, CREDS, curl_time(sent), S3, v4_signature(sent)), "query-encoding"
    )
    assert "curl before 8.3" in evidence
    assert evidence.endswith(curl_canonical(sent, "GET", "/bucket/k", "prefix=a+b", EMPTY_SHA256))


@needs_curl
def test_raw_plus_in_the_path_curl_signs_it_as_sent() -> None:
    sent, _ = curl("/bucket/a+b")
    evidence = certain(
        search_v4(sent, CREDS, curl_time(sent), S3, v4_signature(sent)), "path-encoding"
    )
    assert "curl before 8.9" in evidence
    assert evidence.endswith(curl_canonical(sent, "GET", "/bucket/a+b", "", EMPTY_SHA256))


@needs_curl
def test_curl_query_and_path_both_as_sent() -> None:
    sent, _ = curl("/bucket/a+b?z=1&b=a+c&acl")
    evidence = certain(
        search_v4(sent, CREDS, curl_time(sent), S3, v4_signature(sent)), "query-encoding"
    )
    assert "the query and the path signed exactly as sent" in evidence
    expected = curl_canonical(sent, "GET", "/bucket/a+b", "z=1&b=a+c&acl", EMPTY_SHA256)
    assert evidence.endswith(expected)


@needs_curl
def test_curl_788_upload_signs_the_query_as_sent_and_the_empty_hash(tmp_path: Path) -> None:
    upload = tmp_path / "file.txt"
    upload.write_bytes(b"hello world\n")
    sent, _ = curl("/bucket/k?x=1&a=b+c", "-T", str(upload))
    assert sent.body == b"hello world\n"
    evidence = certain(
        search_v4(sent, CREDS, curl_time(sent), S3, v4_signature(sent)), "query-encoding"
    )
    assert "(curl 7.88 -T)" in evidence
    assert evidence.endswith(curl_canonical(sent, "PUT", "/bucket/k", "x=1&a=b+c", EMPTY_SHA256))


@needs_curl
@pytest.mark.parametrize(
    ("target", "cause", "query"),
    [
        ("/bucket/a+b", "path-encoding", ""),
        ("/bucket/a+b?z=1&b=c+d", "query-encoding", "z=1&b=c+d"),
    ],
)
def test_curl_788_upload_to_a_path_with_a_plus(
    tmp_path: Path, target: str, cause: str, query: str
) -> None:
    upload = tmp_path / "file.txt"
    upload.write_bytes(b"hello\n")
    sent, _ = curl(target, "-T", str(upload))
    evidence = certain(search_v4(sent, CREDS, curl_time(sent), S3, v4_signature(sent)), cause)
    assert evidence.endswith(curl_canonical(sent, "PUT", "/bucket/a+b", query, EMPTY_SHA256))


@needs_curl
def test_curl_signs_an_expect_header_it_does_not_send(tmp_path: Path) -> None:
    upload = tmp_path / "file.txt"
    upload.write_bytes(b"abc")
    sent, _ = curl("/bucket/k", "-T", str(upload), "-H", "Expect:")
    assert sent.header("expect") is None
    assert "SignedHeaders=expect;host;x-amz-date" in (sent.header("authorization") or "")
    evidence = certain(
        search_v4(sent, CREDS, curl_time(sent), S3, v4_signature(sent)), "unsigned-header"
    )
    assert f"expect: '' signed but not sent, and payload line {EMPTY_SHA256}" in evidence


def test_query_pairs_kept_as_sent_by_botocore() -> None:
    """botocore sorts the query of a URL but keeps each pair as written: a raw '+' is signed
    as '+', which AWS reads as a space."""
    seen, sent = boto(S3V4(creds(), "s3", "us-east-1"), "https://b.s3.amazonaws.com/k?p=a+b&c=d")
    evidence = certain(search_v4(sent, CREDS, WHEN, S3, v4_signature(sent)), "query-encoding")
    assert "c=d&p=a+b" in seen["canonical_request"]
    assert evidence.endswith(seen["canonical_request"])


@pytest.mark.parametrize(
    ("signed", "sent_as", "plus_as_space", "how"),
    [
        ("a%2Bb", "a+b", True, "'+' in the query read as %2B"),
        ("a%20b", "a+b", False, "'+' in the query read as a space"),
    ],
)
def test_plus_in_the_query_decoded_in_transit(
    signed: str, sent_as: str, plus_as_space: bool, how: str
) -> None:
    """botocore signs the plus (or space) encoded; the HTTP stack sends a raw '+'."""
    seen, sent = boto(S3V4(creds(), "s3", "us-east-1"), f"https://b.s3.amazonaws.com/k?t={signed}")
    received = sent.with_query(f"t={sent_as}")
    config = SigV4Config.s3("us-east-1", plus_as_space=plus_as_space)
    evidence = certain(
        search_v4(received, CREDS, WHEN, config, v4_signature(sent)), "query-encoding"
    )
    assert how in evidence
    assert evidence.endswith(seen["canonical_request"])


# --- SigV4: the path ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "how"),
    [
        ("/bucket/my%20key", "path encoded twice"),
        ("/bucket/a/./b", "path normalised"),
    ],
)
def test_path_signed_with_the_generic_rules_botocore(path: str, how: str) -> None:
    seen, sent = boto(V4(creds(), "s3", "us-east-1"), "https://b.s3.amazonaws.com" + path)
    evidence = certain(search_v4(sent, CREDS, WHEN, S3, v4_signature(sent)), "path-encoding")
    assert how in evidence
    assert evidence.endswith(seen["canonical_request"])


def test_path_single_encoded_for_a_generic_service() -> None:
    seen, sent = boto(S3V4(creds(), "execute-api", "us-east-1"), "https://a.example.com/p/a%20b")
    config = SigV4Config("us-east-1", "execute-api")
    evidence = certain(search_v4(sent, CREDS, WHEN, config, v4_signature(sent)), "path-encoding")
    assert "path encoded once" in evidence
    assert evidence.endswith(seen["canonical_request"])


def test_plus_in_the_path_read_as_a_space() -> None:
    """botocore signs a space in the key; a form-encoding HTTP stack sends it as '+'."""
    seen, sent = boto(S3V4(creds(), "s3", "us-east-1"), "https://b.s3.amazonaws.com/a%20b")
    received = Request.from_url("GET", "https://b.s3.amazonaws.com/a+b", sent.headers)
    evidence = certain(search_v4(received, CREDS, WHEN, S3, v4_signature(sent)), "path-encoding")
    assert "'+' in the path read as a space" in evidence
    assert evidence.endswith(seen["canonical_request"])


# --- SigV4: headers rewritten in transit --------------------------------------------------------


@pytest.mark.parametrize(
    ("signed", "sent_as"),
    [
        ("text/plain", "text/plain; charset=utf-8"),
        ("text/plain", "text/plain;charset=UTF-8"),
        ("text/plain; charset=utf-8", "text/plain; charset=UTF-8"),
    ],
)
def test_content_type_charset_rewritten(signed: str, sent_as: str) -> None:
    seen, sent = boto(
        S3V4(creds(), "s3", "us-east-1"),
        "https://b.s3.amazonaws.com/k",
        {"Content-Type": signed},
        method="PUT",
        body=b"hi",
    )
    received = rewritten(sent, "Content-Type", sent_as)
    evidence = certain(search_v4(received, CREDS, WHEN, S3, v4_signature(sent)), "header-changed")
    assert f"content-type signed as {signed!r}, sent as {sent_as!r}" in evidence
    assert evidence.endswith(seen["canonical_request"])


@pytest.mark.parametrize(("signed", "sent_as"), [("a;b", "a; b"), ("a, b", "a,b"), ("a; b", "a;b")])
def test_header_value_spacing_or_case_rewritten(signed: str, sent_as: str) -> None:
    seen, sent = boto(
        S3V4(creds(), "s3", "us-east-1"), "https://b.s3.amazonaws.com/k", {"x-amz-meta-v": signed}
    )
    received = rewritten(sent, "x-amz-meta-v", sent_as)
    evidence = certain(search_v4(received, CREDS, WHEN, S3, v4_signature(sent)), "header-changed")
    assert evidence.endswith(seen["canonical_request"])


@pytest.mark.parametrize(
    ("url", "host_received"),
    [
        ("http://minio.local:9000/bucket/key", "minio.local"),  # a proxy dropped the port
        ("https://s3.example.com/bucket/key", "s3.example.com:443"),  # default port written
        ("http://rgw.local:7480/bucket/key", "rgw.local:8080"),  # another port
        ("http://rgw.local/bucket/key", "rgw.local:9000"),  # a port added
    ],
)
def test_host_port(url: str, host_received: str) -> None:
    seen, sent = boto(S3V4(creds(), "s3", "us-east-1"), url)
    received = rewritten(sent, "Host", host_received)
    evidence = certain(search_v4(received, CREDS, WHEN, S3, v4_signature(sent)), "host-port")
    assert evidence.endswith(seen["canonical_request"])


# --- SigV4: scope, method, query sent, token ----------------------------------------------------


class KeyForYesterday(S3V4):
    """Derives the key from the local date of a client west of UTC (the slip); the scope in
    the string to sign stays X-Amz-Date's day."""

    def signature(self, string_to_sign: str, request: Any) -> str:
        stamp = request.context["timestamp"]
        day = dt.datetime.strptime(stamp[:8], "%Y%m%d") - dt.timedelta(days=1)
        request.context["timestamp"] = day.strftime("%Y%m%d") + stamp[8:]
        try:
            return super().signature(string_to_sign, request)
        finally:
            request.context["timestamp"] = stamp


def test_key_derived_for_the_previous_day() -> None:
    _, sent = boto(KeyForYesterday(creds(), "s3", "us-east-1"), "https://b.s3.amazonaws.com/k")
    evidence = certain(search_v4(sent, CREDS, WHEN, S3, v4_signature(sent)), "scope-date")
    assert "key derived for 20261123 while the scope says 20261124" in evidence


@pytest.mark.parametrize(
    ("host", "region", "service", "config", "cause"),
    [
        ("b.s3.me-central-1.amazonaws.com", "me-central-1", "s3", S3, "region"),
        ("b.s3.dualstack.il-central-1.amazonaws.com", "il-central-1", "s3", S3, "region"),
        ("b.s3-ap-southeast-3.amazonaws.com", "ap-southeast-3", "s3", S3, "region"),
        ("acct.r2.cloudflarestorage.com", "auto", "s3", S3, "region"),
        ("storage.yandexcloud.net", "ru-central1", "s3", S3, "region"),
        (
            "search-d-abc.mx-central-1.es.amazonaws.com",
            "mx-central-1",
            "es",
            SigV4Config("us-east-1", "execute-api"),
            "service",  # both differ: the service names the pair
        ),
    ],
)
def test_region_and_service_read_from_the_host(
    host: str, region: str, service: str, config: SigV4Config, cause: str
) -> None:
    """Only the signature is known (no Authorization to read the scope from)."""
    signer = (S3V4 if service == "s3" else V4)(creds(), service, region)
    seen, sent = boto(signer, f"https://{host}/bucket/key")
    received = rewritten(sent, "Authorization", None)
    report = search_v4(received, CREDS, WHEN, config, v4_signature(sent))
    evidence = certain(report, cause)
    assert f"region {region}" in evidence and "read from the host" in evidence
    assert report.tried < 120  # the host's region is tried before the list
    assert evidence.endswith(seen["canonical_request"])


def test_host_scope() -> None:
    assert host_scope("bucket.s3.eu-west-1.amazonaws.com") == (["eu-west-1"], ["s3"])
    assert host_scope("s3.dualstack.us-west-2.amazonaws.com:443") == (["us-west-2"], ["s3"])
    assert host_scope("abc.execute-api.us-east-2.amazonaws.com") == (["us-east-2"], ["execute-api"])
    assert host_scope("x.r2.cloudflarestorage.com") == (["auto"], ["s3"])
    assert host_scope("storage.yandexcloud.net") == (["ru-central1"], ["s3"])
    assert host_scope("s3.fr-par.scw.cloud") == (["fr-par"], ["s3"])
    assert host_scope("localhost:9000") == ([], [])


def test_presigned_get_url_used_with_put() -> None:
    seen, sent = boto(
        S3V4Query(creds(), "s3", "us-east-1", expires=600), "https://b.s3.amazonaws.com/k"
    )
    received = Request.from_url("PUT", sent.url, sent.headers, b"data")
    evidence = certain(search_v4(received, CREDS, WHEN, S3, v4_signature(sent)), "method")
    assert "signed for GET, sent as PUT" in evidence
    assert evidence.endswith(seen["canonical_request"])


@pytest.mark.parametrize(
    ("signed_url", "received_url", "how"),
    [
        ("https://b.s3.amazonaws.com/?list-type=2", "https://b.s3.amazonaws.com/", "signed but"),
        ("https://b.s3.amazonaws.com/k", "https://b.s3.amazonaws.com/k?x-id=GetObject", "added"),
    ],
)
def test_query_parameter_not_sent_or_added(signed_url: str, received_url: str, how: str) -> None:
    seen, sent = boto(S3V4(creds(), "s3", "us-east-1"), signed_url)
    received = Request.from_url("GET", received_url, sent.headers)
    evidence = certain(search_v4(received, CREDS, WHEN, S3, v4_signature(sent)), "query-not-sent")
    assert how in evidence
    assert evidence.endswith(seen["canonical_request"])


class TokenNotSigned(S3V4):
    def headers_to_sign(self, request: Any) -> Any:
        headers = super().headers_to_sign(request)
        del headers["x-amz-security-token"]
        return headers


def test_session_token_left_out_of_the_signed_set() -> None:
    """Only the signature is known; the signer sent the token but did not sign it."""
    token = "FwoGZXIvYXdzEJr//////////wEaDAbc"
    seen, sent = boto(
        TokenNotSigned(creds(token=token), "s3", "us-east-1"), "https://b.s3.amazonaws.com/k"
    )
    received = rewritten(sent, "Authorization", None)
    evidence = certain(search_v4(received, CREDS, WHEN, S3, v4_signature(sent)), "session-token")
    assert evidence.endswith(seen["canonical_request"])


def test_presigned_token_appended_after_signing() -> None:
    """aws-c-auth's omit-session-token: the token parameter is appended, not signed."""
    seen, sent = boto(
        S3V4Query(creds(), "s3", "us-east-1", expires=600), "https://b.s3.amazonaws.com/k"
    )
    received = sent.with_query(f"{sent.query}&X-Amz-Security-Token=FwoGZXIvYXdzEJr%2F%2F")
    evidence = certain(search_v4(received, CREDS, WHEN, S3, v4_signature(sent)), "session-token")
    assert evidence.endswith(seen["canonical_request"])


@pytest.mark.parametrize(
    ("used", "how"),
    [
        (SECRET + "\n", "trailing newline"),
        (SECRET + "\r", "trailing CR"),
        (f'"{SECRET}"', "double quotes"),
    ],
)
def test_secret_whitespace_or_quotes(used: str, how: str) -> None:
    seen, sent = boto(S3V4(creds(used), "s3", "us-east-1"), "https://b.s3.amazonaws.com/k")
    evidence = certain(search_v4(sent, CREDS, WHEN, S3, v4_signature(sent)), "secret-whitespace")
    assert how in evidence
    assert evidence.endswith(seen["canonical_request"])


def test_v2_signature_in_a_sigv4_header() -> None:
    """Hand-made: botocore's SigV4 request carrying botocore's V2 signature of the same URL."""
    v2_seen, _ = boto(V2(creds()), "https://s3.amazonaws.com/bucket/k")
    _, sent = boto(S3V4(creds(), "s3", "us-east-1"), "https://s3.amazonaws.com/bucket/k")
    auth = re.sub(
        r"Signature=\w+", "Signature=" + v2_seen["signature"], sent.header("authorization") or ""
    )
    received = rewritten(sent, "Authorization", auth)
    finding = find_variant(received, CREDS, WHEN, S3, v2_seen["signature"])
    evidence = certain(finding, "signature-version")
    assert evidence.endswith("V2 string to sign was:\n" + v2_seen["string_to_sign"])


def test_sigv4_signature_in_a_v2_header() -> None:
    seen, sent = boto(S3V4(creds(), "s3", "us-east-1"), "https://s3.amazonaws.com/bucket/k")
    received = rewritten(sent, "Authorization", f"AWS {KEY}:{seen['signature']}")
    finding = find_variant_v2(received, CREDS, WHEN, S3V2Config(), seen["signature"])
    assert "is a SigV4 signature" in certain(finding, "signature-version")


# --- nothing reproduces: said plainly, bounded -----------------------------------------------


def test_none_reproduces_a_generous_request_within_the_budget() -> None:
    """20 headers, a long query, no Authorization and no X-Amz-Date (the widest search: scope,
    region, service and signing time unknown) signed with another secret: the whole catalogue
    is tried within the budget, and the answer is an uncertain wrong-secret."""
    headers = {f"x-amz-meta-h{i}": f"value {i}; part" for i in range(18)}
    headers["Content-Type"] = "text/plain; charset=utf-8"
    query = "&".join(f"param{i}=v%20{i}+x" for i in range(40)) + "&acl&prefix=a%2Bb"
    _, sent = boto(
        S3V4(creds("another-secret"), "s3", "us-east-1"),
        f"https://b.s3.amazonaws.com/dir/a+b%20c?{query}",
        headers,
        method="PUT",
        body=b"x" * 1000,
    )
    received = rewritten(rewritten(sent, "Authorization", None), "X-Amz-Date", None)
    assert len(received.headers) == 20
    report = search_v4(received, CREDS, WHEN, S3, v4_signature(sent))
    print(f"exhaustive V4 search: {report.tried} candidates in {report.seconds:.3f} s")
    assert report.exhausted  # the budget did not cut it short
    assert report.tried > 2 * 900 + 100  # every signing time in the skew window, and the rest
    finding = report.finding
    assert finding is not None and finding.cause == "wrong-secret" and not finding.certain
    assert finding.evidence.startswith(f"none of {report.tried} catalogued variants reproduces")


def test_none_reproduces_v2_within_the_budget() -> None:
    query = "&".join(f"param{i}=v{i}" for i in range(40)) + "&acl&uploadId=u&partNumber=1"
    headers = {f"x-amz-meta-h{i}": f"value {i}" for i in range(18)}
    headers["Date"] = HTTP_DATE
    _, sent = boto(V2(creds("another-secret")), f"https://b.s3.amazonaws.com/k?{query}", headers)
    signature = (sent.header("authorization") or "").rsplit(":", 1)[1]
    report = search_v2(sent, CREDS, WHEN, S3V2Config(), signature)
    assert report.exhausted and report.tried > 60
    finding = report.finding
    assert finding is not None and finding.cause == "wrong-secret" and not finding.certain
    assert finding.evidence.startswith(f"none of {report.tried} catalogued variants reproduces")


def test_the_budget_stops_the_search() -> None:
    _, sent = boto(S3V4(creds("another-secret"), "s3", "us-east-1"), "https://b.s3.amazonaws.com/k")
    received = rewritten(rewritten(sent, "Authorization", None), "X-Amz-Date", None)
    report = search_v4(received, CREDS, WHEN, S3, v4_signature(sent), budget=0.0)
    assert not report.exhausted and report.tried == 1
    assert report.finding is not None and "before the time limit" in report.finding.evidence


# --- S3 V2 --------------------------------------------------------------------------------------


def v2_signature(request: Request) -> str:
    auth = request.header("authorization")
    if auth is not None:
        return auth.rsplit(":", 1)[1]
    params = dict(p.split("=", 1) for p in (request.query or "").split("&") if "=" in p)
    return params["Signature"]


def openssl_recipe(string_to_sign: str, curl_args: list[str], target: str) -> Request:
    """The S3 documentation's V2 recipe: the string to sign through ``echo -en``, signed with
    ``openssl sha1 -hmac`` and base64, sent by curl to a local listener."""
    listener = Listener()
    script = (
        'dateValue="$(date -R)"\n'
        f'stringToSign="{string_to_sign}"\n'
        'signature=$(echo -en "${stringToSign}" | openssl sha1 -hmac "${S3SECRET}" -binary'
        " | base64)\n"
        'curl -sS -o /dev/null -H "Date: ${dateValue}" '
        '-H "Authorization: AWS ${S3KEY}:${signature}" "$@"\n'
    )
    url = f"http://127.0.0.1:{listener.port}{target}"
    env = {**os.environ, "S3KEY": KEY, "S3SECRET": SECRET}
    subprocess.run(
        ["bash", "-c", script, "recipe", *curl_args, url], check=True, env=env, timeout=20
    )
    return listener.received()


needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None or not os.path.exists(CURL), reason="openssl or curl missing"
)


@needs_openssl
def test_v2_docs_recipe_with_a_content_type_not_sent(tmp_path: Path) -> None:
    """The old-curl recipe puts the Content-Type in STRING_TO_SIGN; this run sends none."""
    upload = tmp_path / "f.bin"
    upload.write_bytes(b"\x00\x01")
    sent = openssl_recipe(
        "PUT\\n\\napplication/octet-stream\\n${dateValue}\\n/bucket/f.bin",
        ["-X", "PUT", "-T", str(upload)],
        "/bucket/f.bin",
    )
    assert sent.header("content-type") is None
    evidence = certain(
        search_v2(sent, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "content-type-md5"
    )
    date = (sent.header("date") or "").strip()
    expected = f"PUT\n\napplication/octet-stream\n{date}\n/bucket/f.bin"
    assert evidence.endswith("string to sign was:\n" + expected)


@needs_openssl
def test_v2_curl_d_adds_a_content_type() -> None:
    sent = openssl_recipe("POST\\n\\n\\n${dateValue}\\n/bucket/k", ["-d", "x=1"], "/bucket/k")
    assert (sent.header("content-type") or "").strip() == "application/x-www-form-urlencoded"
    evidence = certain(
        search_v2(sent, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "content-type-md5"
    )
    assert "Content-Type line blank" in evidence
    assert evidence.endswith(f"POST\n\n\n{(sent.header('date') or '').strip()}\n/bucket/k")


@needs_openssl
def test_v2_content_md5_sent_but_signed_blank() -> None:
    md5_header = "Content-MD5: " + base64.b64encode(hashlib.md5(b"abc").digest()).decode()
    sent = openssl_recipe(
        "PUT\\n\\ntext/plain\\n${dateValue}\\n/bucket/k",
        ["-X", "PUT", "--data-binary", "abc", "-H", "Content-Type: text/plain", "-H", md5_header],
        "/bucket/k",
    )
    evidence = certain(
        search_v2(sent, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "content-type-md5"
    )
    assert "Content-MD5 line blank" in evidence


@needs_openssl
def test_v2_recipe_signs_a_query_parameter_that_is_no_sub_resource() -> None:
    sent = openssl_recipe(
        "GET\\n\\n\\n${dateValue}\\n/bucket?prefix=a",
        [],
        "/bucket?prefix=a",
    )
    evidence = certain(
        search_v2(sent, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "v2-subresource"
    )
    assert evidence.endswith(f"GET\n\n\n{(sent.header('date') or '').strip()}\n/bucket?prefix=a")


@needs_openssl
def test_v2_recipe_leaves_the_bucket_out_of_the_resource() -> None:
    sent = openssl_recipe("GET\\n\\n\\n${dateValue}\\n/k", [], "/bucket/k")
    evidence = certain(
        search_v2(sent, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "addressing-style"
    )
    assert "the bucket 'bucket' left out of the resource" in evidence
    assert evidence.endswith(f"GET\n\n\n{(sent.header('date') or '').strip()}\n/k")


def test_v2_virtual_hosted_signed_without_the_bucket_botocore() -> None:
    """botocore's HmacV1Auth given no auth_path signs the path of a virtual-hosted URL."""
    seen, sent = boto(V2(creds()), "https://bucket.s3.amazonaws.com/k", {"Date": HTTP_DATE})
    evidence = certain(
        search_v2(sent, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "addressing-style"
    )
    assert evidence.endswith("string to sign was:\n" + seen["string_to_sign"])


@pytest.mark.parametrize(
    ("query", "qsa_left_out", "how"),
    [
        ("acl", {"acl"}, "sub-resource 'acl' left out"),
        ("uploadId=u1&partNumber=2", {"uploadId", "partNumber"}, "every sub-resource left out"),
        (
            "versionId=v1&response-content-type=text%2Fplain&response-expires=0",
            {"response-content-type", "response-expires"},
            "response-* overrides left out",
        ),
    ],
)
def test_v2_subresource_left_out_botocore(query: str, qsa_left_out: set[str], how: str) -> None:
    qsa = [name for name in HmacV1Auth.QSAOfInterest if name not in qsa_left_out]
    with mock.patch.object(HmacV1Auth, "QSAOfInterest", qsa):
        seen, sent = boto(V2(creds()), f"https://s3.amazonaws.com/bucket/k?{query}")
    report = search_v2(sent, CREDS, WHEN, S3V2Config(), v2_signature(sent))
    evidence = certain(report, "v2-subresource")
    assert how in evidence
    assert evidence.endswith("string to sign was:\n" + seen["string_to_sign"])


def test_v2_presigned_response_override_left_out() -> None:
    qsa = [name for name in HmacV1Auth.QSAOfInterest if not name.startswith("response-")]
    with mock.patch.object(HmacV1Auth, "QSAOfInterest", qsa):
        seen, sent = boto(
            V2Query(creds(), expires=300),
            "https://s3.amazonaws.com/bucket/k?response-content-disposition=attachment",
        )
    assert "Signature=" in (sent.query or "")
    evidence = certain(
        find_variant_v2(sent, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "v2-subresource"
    )
    assert evidence.endswith("string to sign was:\n" + seen["string_to_sign"])


def test_v2_presigned_get_used_with_put() -> None:
    seen, sent = boto(V2Query(creds(), expires=300), "https://s3.amazonaws.com/bucket/k")
    received = Request.from_url("PUT", sent.url, sent.headers, b"x")
    evidence = certain(search_v2(received, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "method")
    assert evidence.endswith(seen["string_to_sign"])


def test_v2_date_line_filled_although_x_amz_date_is_sent() -> None:
    seen, sent = boto(V2(creds()), "https://s3.amazonaws.com/bucket/k", {"Date": HTTP_DATE})
    received = rewritten(sent, "x-amz-date", HTTP_DATE)
    evidence = certain(
        search_v2(received, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "v2-date"
    )
    assert evidence.endswith(seen["string_to_sign"])


@pytest.mark.parametrize("sent_as", ["text/plain; charset=utf-8", "text/plain;charset=UTF-8"])
def test_v2_charset_appended(sent_as: str) -> None:
    seen, sent = boto(
        V2(creds()),
        "https://s3.amazonaws.com/bucket/k",
        {"Date": HTTP_DATE, "Content-Type": "text/plain"},
        method="PUT",
        body=b"x",
    )
    received = rewritten(sent, "Content-Type", sent_as)
    evidence = certain(
        search_v2(received, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "content-type-md5"
    )
    assert evidence.endswith(seen["string_to_sign"])


def test_v2_x_amz_header_added_after_signing() -> None:
    seen, sent = boto(V2(creds()), "https://s3.amazonaws.com/bucket/k", {"Date": HTTP_DATE})
    received = rewritten(sent, "x-amz-meta-later", "1")
    evidence = certain(
        search_v2(received, CREDS, WHEN, S3V2Config(), v2_signature(sent)), "unsigned-header"
    )
    assert evidence.endswith(seen["string_to_sign"])


def test_v2_matches_as_given() -> None:
    seen, sent = boto(V2(creds()), "https://s3.amazonaws.com/bucket/k?acl", {"Date": HTTP_DATE})
    assert find_variant_v2(sent, CREDS, WHEN, S3V2Config(), seen["signature"]) is None
    seen, sent = boto(V2Query(creds(), expires=300), "https://s3.amazonaws.com/bucket/k?acl")
    assert find_variant_v2(sent, CREDS, WHEN, S3V2Config(), v2_signature(sent)) is None


def test_v4_matches_as_given() -> None:
    _, sent = boto(S3V4(creds(), "s3", "us-east-1"), "https://b.s3.amazonaws.com/k?a=1&acl")
    assert find_variant(sent, CREDS, WHEN, S3, v4_signature(sent)) is None


# --- the catalogue and the registry -------------------------------------------------------------


def test_every_generator_stands_for_a_declared_cause() -> None:
    generated = {cause for cause, _ in V4_GENERATORS + V2_GENERATORS}
    assert generated <= set(causes.IDS)


def test_every_cause_with_variants_text_has_a_generator_and_back() -> None:
    generated = {cause for cause, _ in V4_GENERATORS + V2_GENERATORS}
    described = {cause.id for cause in causes.REGISTRY if cause.variants}
    assert described == generated


# --- bad input: a report or an InputError, never a traceback --------------------------------

_TEXT = st.text(alphabet=string.printable.replace("\r", "").replace("\n", ""), max_size=40)


_AUTH = st.one_of(
    _TEXT,
    st.builds(
        "AWS4-HMAC-SHA256 Credential={}, SignedHeaders={}, Signature={}".format,
        _TEXT,
        _TEXT,
        _TEXT,
    ),
    st.builds("AWS {}:{}".format, _TEXT, _TEXT),
)
_QUERY = st.one_of(
    st.none(),
    _TEXT,
    st.builds(
        "X-Amz-Credential={}&X-Amz-Date={}&X-Amz-SignedHeaders={}&X-Amz-Signature={}&{}".format,
        _TEXT,
        _TEXT,
        _TEXT,
        _TEXT,
        _TEXT,
    ),
    st.builds("AWSAccessKeyId=k&Signature={}&Expires={}&{}".format, _TEXT, _TEXT, _TEXT),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(auth=_AUTH, query=_QUERY, header=_TEXT, signature=_TEXT, v2=st.booleans())
@example(  # a scope date that is no date
    auth="AWS4-HMAC-SHA256 Credential=k/2026XXXX/r/s/aws4_request, SignedHeaders=host, Signature=x",
    query=None,
    header="20261124T120000Z",
    signature="0" * 64,
    v2=False,
)
@example(  # a presigned credential that is no UTF-8
    auth="",
    query="X-Amz-Credential=%FF%FE/20261124/r/s/aws4_request&X-Amz-Signature=0",
    header="20261124T120000Z",
    signature="0" * 64,
    v2=False,
)
def test_any_input_gives_a_report_or_an_input_error(
    auth: str, query: str | None, header: str, signature: str, v2: bool
) -> None:
    headers = [("Authorization", auth), ("x-amz-date", header), ("Content-Type", header)]
    try:
        request = Request("GET", "/b/k", query, tuple(headers), scheme="http", authority="h:1")
    except SigkitError:
        return
    search = search_v2 if v2 else search_v4
    config: Any = S3V2Config() if v2 else S3
    with contextlib.suppress(SigkitError):
        report = search(request, CREDS, WHEN, config, signature, budget=0.05)
        assert report.finding is None or report.finding.cause in causes.IDS

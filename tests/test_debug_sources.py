"""Readers of debug sources, checked against what each real capture itself says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigkit.debug.model import Observation
from sigkit.debug.sources import (
    read_awscli_log,
    read_bounded,
    read_curl,
    read_presigned_url,
    read_s3_error,
    read_source,
)
from sigkit.errors import InputError
from sigkit.http import Request, parse_request_text

FIX = Path(__file__).parent / "fixtures" / "debug"
TS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - "


def data(name: str) -> bytes:
    return (FIX / name).read_bytes()


def log_blocks(name: str, marker: str) -> list[str]:
    """The text botocore printed after `marker`, up to the next record (independent oracle)."""
    text = data(name).decode()
    return re.findall(rf" - {marker}\n(.*?)\n(?={TS}|\Z)", text, re.DOTALL)


def head_bytes(request: Request) -> bytes:
    lines = [f"{request.method} {request.target} HTTP/1.1"]
    lines += [f"{n}:{v}" for n, v in request.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def wire_head(name: str) -> bytes:
    raw = data(name)
    return raw[: raw.index(b"\r\n\r\n") + 4]


def recovered(name: str) -> str:
    text = data("recovered-canonical-requests.txt").decode()
    section = text.split(f"\n{name}\n", 1)[1].split("\n=====", 1)[0]
    body = section.split("canonical request:\n", 1)[1]
    return "\n".join(line.split("|", 1)[1] for line in body.split("\n") if "|" in line)


# --- AWS CLI / botocore logs -------------------------------------------------------------


def test_retries_log_gives_every_attempt_in_order() -> None:
    name = "awscli-v1-list-objects-v2-retries.debug.log"
    obs = read_source(data(name), name=name)
    crs = log_blocks(name, "CanonicalRequest:")
    stss = log_blocks(name, "StringToSign:")
    sigs = log_blocks(name, "Signature:")
    assert len(obs) == len(crs) == 5
    assert [o.canonical_request for o in obs] == crs
    assert [o.string_to_sign for o in obs] == stss
    assert [o.signature for o in obs] == sigs
    attempts = [o.request.header("amz-sdk-request") for o in obs if o.request]
    assert [a.split(";")[0] for a in attempts if a] == [f"attempt={i}" for i in range(1, 6)]
    for o in obs:
        assert o.source == "awscli-debug" and o.party == "client"
        assert o.algorithm == "AWS4-HMAC-SHA256"
        assert o.request is not None and o.request.url == (
            "http://127.0.0.1:9/b?list-type=2&encoding-type=url"
        )
        auth = o.request.header("Authorization") or ""
        assert auth.endswith(f"Signature={o.signature}")
        assert o.access_key_id == "AKIDEXAMPLE"
        assert o.credential_scope == "20261124/us-east-1/s3/aws4_request"
        assert o.signed_headers == "host;x-amz-content-sha256;x-amz-date"
        assert o.amz_date == o.request.header("X-Amz-Date")
    assert obs[0].where.startswith("observation 1 of 5")


@pytest.mark.parametrize(
    "name",
    [
        "awscli-v1-put-object.debug.log",
        "awscli-v1-put-object-https-trailer.debug.log",
        "awscli-v1-put-object-hmacv1.debug.log",
        "awscli-v1-sts-get-caller-identity-session-token.debug.log",
        "awscli-v1-lambda-double-encoding.debug.log",
        "awscli-v1-presign-s3v4.debug.log",
    ],
)
def test_v4_logs_match_their_blocks(name: str) -> None:
    obs = read_awscli_log(data(name), name=name)
    assert [o.canonical_request for o in obs] == log_blocks(name, "CanonicalRequest:")
    assert [o.string_to_sign for o in obs] == log_blocks(name, "StringToSign:")
    assert [o.signature for o in obs] == log_blocks(name, "Signature:")


def test_put_object_request_and_byte_exact_canonical_request() -> None:
    (obs,) = read_source(data("awscli-v1-put-object.debug.log"))
    assert obs.request is not None
    assert obs.request.method == "PUT"
    assert obs.request.path == "/my-bucket/dir/a%20b%2Bc~d%2Ae%28f%29%21.txt"
    assert obs.request.header("x-amz-meta-foo") == "bar"
    assert obs.canonical_request is not None
    lines = obs.canonical_request.split("\n")
    assert lines[1] == "/my-bucket/dir/a%20b%2Bc~d%2Ae%28f%29%21.txt"
    assert lines[-3] == "" and not obs.canonical_request.endswith("\n")
    assert obs.signed_headers == lines[-2]


def test_lambda_double_encoding_wire_vs_canonical_path() -> None:
    (obs,) = read_source(data("awscli-v1-lambda-double-encoding.debug.log"))
    assert obs.request is not None and obs.request.path.endswith("my%3Afn")
    assert obs.canonical_request is not None
    assert obs.canonical_request.split("\n")[1].endswith("my%253Afn")


def test_hmacv1_log_gives_v2_strings_to_sign() -> None:
    name = "botocore-hmacv1-header-and-query.debug.log"
    obs = read_source(data(name), name=name)
    stss = log_blocks(name, "StringToSign:")
    assert [o.string_to_sign for o in obs] == stss and len(obs) == 3
    assert all(o.algorithm == "AWS" and o.canonical_request is None for o in obs)
    assert obs[0].string_to_sign == (
        "PUT\n\ntext/plain\nTue, 24 Nov 2026 19:29:07 GMT\nx-amz-acl:public-read\n"
        "x-amz-checksum-crc32:rwg7LQ==\nx-amz-meta-foo:bar\nx-amz-sdk-checksum-algorithm:CRC32\n"
        "/my-bucket/dir/a%20b.txt"
    )
    assert obs[0].request is not None and obs[0].request.method == "PUT"
    auth = obs[0].request.header("Authorization")
    assert auth == f"AWS AKIDEXAMPLE:{obs[0].signature}"
    assert obs[1].request is not None and obs[1].request.query == (
        "versionId=v1&response-content-type=text%2Fplain"
    )
    assert obs[2].request is None  # presigned: signed, never sent
    assert obs[0].details["method"] == "PUT"


def test_presign_hmacv1_log_and_url() -> None:
    (log,) = read_source(data("awscli-v1-presign-default-hmacv1.debug.log"))
    assert log.algorithm == "AWS" and log.string_to_sign is not None
    assert log.string_to_sign.endswith("\n/my-bucket/dir/a%2520b.txt")
    (url,) = read_source(data("awscli-v1-presign-default-hmacv1.url"))
    assert url.source == "url" and url.algorithm == "AWS"
    assert url.access_key_id == "AKIDEXAMPLE"
    assert url.details["expires"] == log.string_to_sign.split("\n")[3]


def test_presign_s3v4_log_and_url_agree() -> None:
    (log,) = read_source(data("awscli-v1-presign-s3v4.debug.log"))
    (url,) = read_source(data("awscli-v1-presign-s3v4.url"), hint="url")
    assert (
        url.signature
        == log.signature
        == ("9684ad416b5c4d058e8afa8f555d52763ac089194658593137ab5d15f9b70fc4")
    )
    assert url.credential_scope == log.credential_scope == "20261124/us-east-1/s3/aws4_request"
    assert url.amz_date == log.amz_date == "20261124T192856Z"
    assert url.signed_headers == log.signed_headers == "host"
    assert url.access_key_id == "AKIDEXAMPLE" and url.details["expires"] == "600"
    assert log.canonical_request is not None
    assert log.canonical_request.endswith("\nhost\nUNSIGNED-PAYLOAD")


def test_awscrt_log_has_only_the_sent_request() -> None:
    (obs,) = read_source(data("botocore-with-awscrt-no-signing-lines.debug.log"))
    assert obs.canonical_request is None and obs.string_to_sign is None
    assert obs.request is not None
    assert obs.signature and (obs.request.header("Authorization") or "").endswith(obs.signature)
    assert obs.algorithm == "AWS4-HMAC-SHA256"
    assert "signing" in obs.details


def test_log_with_quoted_error_body_gives_client_then_server() -> None:
    name = "awscli-v1-list-objects-v2-vs-synthetic-aws-error.debug.log"
    client, server = read_source(data(name), name=name)
    assert client.party == "client" and server.party == "server"
    (xml,) = read_source(data("synthetic-aws-shaped-SignatureDoesNotMatch-host-rewritten.xml"))
    assert server.canonical_request == xml.canonical_request
    assert server.string_to_sign == xml.string_to_sign
    assert server.signature_provided == client.signature
    assert client.canonical_request is not None and server.canonical_request is not None
    a, b = client.canonical_request.split("\n"), server.canonical_request.split("\n")
    assert [(x, y) for x, y in zip(a, b, strict=True) if x != y] == [
        ("host:127.0.0.1:18770", "host:proxy.internal:8080")
    ]


def test_log_without_signing_records_is_nothing_to_compare() -> None:
    log = (
        b"2026-11-24 19:28:33,702 - MainThread - botocore.hooks - DEBUG - Event x\n"
        b"2026-11-24 19:28:33,703 - MainThread - botocore.endpoint - DEBUG - Making request\n"
    )
    assert read_source(log) == []


def test_stream_logger_format_and_crlf_log() -> None:
    base = data("awscli-v1-put-object.debug.log").decode()
    (expected,) = read_source(base.encode())
    crlf = base.replace("\n", "\r\n").encode()
    (obs,) = read_source(crlf)
    assert obs.canonical_request == expected.canonical_request
    stream = re.sub(
        r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - MainThread - ([\w.]+) - ([A-Z]+) - ",
        r"\1 \2 [\3] ",
        base,
    )
    (obs2,) = read_source(stream.encode())
    assert obs2.canonical_request == expected.canonical_request
    assert obs2.request == expected.request


def test_truncated_log_is_refused_with_line() -> None:
    text = data("awscli-v1-put-object.debug.log").decode()
    cut = text.index("CanonicalRequest:") + len("CanonicalRequest:\nPUT\n/my-bucket")
    with pytest.raises(InputError, match=r"cut\.log line \d+: CanonicalRequest block is truncated"):
        read_source(text[:cut].encode(), name="cut.log")


# --- error bodies ---------------------------------------------------------------------------


def test_synthetic_aws_error_text_and_bytes_agree() -> None:
    (obs,) = read_s3_error(data("synthetic-aws-shaped-SignatureDoesNotMatch-host-rewritten.xml"))
    assert obs.source == "s3-error" and obs.party == "server"
    assert obs.error_code == "SignatureDoesNotMatch"
    assert obs.access_key_id == "AKIDEXAMPLE"
    assert obs.signature_provided == (
        "d24cf8e2f23914167ffbe829cfc8552bf1336a3dbe603540d2eef3fd57abd5c6"
    )
    assert obs.details["canonical_request_from"] == "CanonicalRequestBytes"
    assert "canonical_request_mismatch" not in obs.details
    assert "string_to_sign_mismatch" not in obs.details
    assert obs.canonical_request is not None
    assert obs.canonical_request.split("\n")[2] == "encoding-type=url&list-type=2&prefix=a%20b"
    assert obs.algorithm == "AWS4-HMAC-SHA256" and obs.amz_date == "20261124T193634Z"
    assert obs.details["RequestId"] == "0000SYNTHETIC0000"


@pytest.mark.parametrize(
    "name",
    [
        "servers/ministack-1.5.33/v4-header-wrong-secret-get_object.xml",
        "servers/ministack-1.5.33/v4-chunked-wrong-secret-put_object_chunked.xml",
        "servers/ministack-1.5.33/curl-v4-plain-good-put_object.xml",
    ],
)
def test_ministack_text_and_bytes_agree(name: str) -> None:
    raw = data(name).decode()
    (obs,) = read_source(data(name), name=name)
    text_cr = re.search(r"<CanonicalRequest>(.*?)</CanonicalRequest>", raw, re.DOTALL)
    text_sts = re.search(r"<StringToSign>(.*?)</StringToSign>", raw, re.DOTALL)
    assert text_cr and text_sts
    assert obs.canonical_request == text_cr[1].replace("&amp;", "&")
    assert obs.string_to_sign == text_sts[1]
    assert not any(k.endswith("_mismatch") for k in obs.details)
    assert obs.signed_headers == obs.canonical_request.split("\n")[-2]


def test_reformatted_text_loses_to_bytes() -> None:
    raw = data("synthetic-aws-shaped-SignatureDoesNotMatch-host-rewritten.xml").decode()
    flat = re.sub(
        r"<CanonicalRequest>(.*?)</CanonicalRequest>",
        lambda m: "<CanonicalRequest>" + m[1].replace("\n", " ") + "</CanonicalRequest>",
        raw,
        flags=re.DOTALL,
    )
    (good,) = read_source(raw.encode())
    (obs,) = read_source(flat.encode())
    assert obs.canonical_request == good.canonical_request
    assert "CanonicalRequestBytes" in obs.details["canonical_request_mismatch"]
    assert "\n" not in obs.details["canonical_request_text"]


def test_v2_error_bodies() -> None:
    (obs,) = read_source(data("servers/s3rver-3.7.1/v2-header-wrong-secret-get_object.xml"))
    assert obs.algorithm == "AWS"
    assert obs.string_to_sign == "GET\n\n\n\n/chk-v2header-1d3b5ca6/dir/hello.txt"
    assert obs.access_key_id == "S3RVER" and obs.canonical_request is None


def test_ceph_and_moto_minimal_bodies() -> None:
    (ceph,) = read_source(data("servers/ceph-rgw-16.2.15/v4-header-wrong-secret-get_object.xml"))
    assert ceph.error_code == "SignatureDoesNotMatch" and ceph.error_message == ""
    assert ceph.details["RequestId"] == "tx00000717fd85e3aaea37b-006b05e7f5-1007-default"
    assert ceph.string_to_sign is None
    (moto,) = read_source(data("servers/moto-5.2.5/v4-header-wrong-secret-get_object.xml"))
    assert moto.error_code == "SignatureDoesNotMatch" and moto.error_message
    with pytest.raises(InputError, match="HTML page"):
        read_source(data("servers/moto-5.2.5/v2-header-wrong-secret-get_object.xml"))


@pytest.mark.parametrize("path", sorted((FIX / "servers").glob("*/*.xml")), ids=str)
def test_every_server_body_reads_or_is_refused_clearly(path: Path) -> None:
    try:
        obs = read_source(path.read_bytes(), name=path.name)
    except InputError as exc:
        assert "HTML page" in str(exc)
        return
    assert len(obs) == 1 and obs[0].error_code
    if obs[0].string_to_sign is not None:
        assert obs[0].algorithm in ("AWS", "AWS4-HMAC-SHA256")


def test_error_body_inside_noise() -> None:
    xml = data("synthetic-aws-shaped-SignatureDoesNotMatch-host-rewritten.xml")
    noisy = b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\n\r\n" + xml + b"\n$ "
    (obs,) = read_source(noisy, hint="s3-error")
    (plain,) = read_source(xml)
    assert obs.canonical_request == plain.canonical_request


# --- curl -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trace", "wire"),
    [
        ("curl-7.88.1-aws-sigv4-get-query.trace-ascii.txt", "curl-7.88.1-aws-sigv4-get-query"),
        ("curl-8.14.1-aws-sigv4-get-query.trace-ascii.txt", "curl-8.14.1-aws-sigv4-get-query"),
        ("curl-7.88.1-aws-sigv4-get.verbose.txt", "curl-7.88.1-aws-sigv4-get"),
        ("curl-7.88.1-aws-sigv4-put.verbose.txt", "curl-7.88.1-aws-sigv4-put"),
        ("curl-8.14.1-aws-sigv4-get.verbose.txt", "curl-8.14.1-aws-sigv4-get"),
        ("curl-8.14.1-aws-sigv4-nons3-query.verbose.txt", "curl-8.14.1-aws-sigv4-nons3-query"),
        (
            "curl-8.14.1-aws-sigv4-list-buckets-root.verbose.txt",
            "curl-8.14.1-aws-sigv4-list-buckets-root",
        ),
    ],
)
def test_curl_head_equals_bytes_on_the_wire(trace: str, wire: str) -> None:
    obs, reply = read_source(data(trace), name=trace)
    assert obs.request is not None and obs.party == "client"
    assert head_bytes(obs.request) == wire_head(wire + ".request.bin")
    (status,) = re.findall(r"(?:< |: )HTTP/1\.1 (\d{3}) ", data(trace).decode())
    assert reply.party == "server" and reply.status == int(status)
    assert reply.exchange == obs.exchange == 1


@pytest.mark.parametrize(
    "name",
    [
        "curl-8.14.1-aws-sigv4-get.verbose.txt",
        "curl-8.14.1-aws-sigv4-get-query.trace-ascii.txt",
        "curl-8.14.1-aws-sigv4-list-buckets-root.verbose.txt",
        "curl-8.14.1-aws-sigv4-put.verbose.txt",
        "curl-8.14.1-aws-sigv4-provider-no-region.verbose.txt",
    ],
)
def test_curl_8_signing_steps(name: str) -> None:
    obs, _reply = read_curl(data(name), name=name)
    wire = name.split(".verbose")[0].split(".trace")[0] + ".request.bin"
    assert obs.canonical_request == recovered(wire)
    assert obs.request is not None
    assert (obs.request.header("Authorization") or "").endswith(f"Signature={obs.signature}")
    assert obs.string_to_sign is not None
    assert obs.string_to_sign.split("\n")[1] == (obs.request.header("X-Amz-Date") or "").strip()


def test_curl_trace_with_time_and_hex() -> None:
    put, _reply = read_source(data("curl-7.88.1-aws-sigv4-put.trace-ascii-time.txt"))
    assert put.request is not None and put.request.method == "PUT"
    assert put.signature == "8401afb9627a84faf87c3b35ce99d0455705ee93c54bae5cf6b68d28f2a7c931"
    assert put.request.header("Content-Length") == " 12"
    assert put.signed_headers == "content-type;host;x-amz-date"
    get, reply = read_source(data("curl-7.88.1-aws-sigv4-get.trace-hex.txt"))
    assert reply.status == 403 and reply.error_code == "SignatureDoesNotMatch"
    assert reply.error_message == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method."
    )
    assert get.request is not None and get.request.target == "/bucket/key"
    assert get.source == "curl-trace" and get.access_key_id == "AKIDEXAMPLE"


def test_truncated_trace_is_refused() -> None:
    text = data("curl-7.88.1-aws-sigv4-get-query.trace-ascii.txt").decode()
    lines = text.split("\n")
    cut = [line for line in lines if not line.startswith("0097: ")]
    with pytest.raises(InputError, match="line"):
        read_source("\n".join(cut).encode())


# --- raw HTTP and URLs ----------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIX.glob("*.request.bin")), ids=lambda p: p.name)
def test_raw_requests(path: Path) -> None:
    (obs,) = read_source(path.read_bytes(), name=path.name)
    assert obs.source == "raw-http"
    assert obs.request == parse_request_text(path.read_bytes())
    assert obs.signature and (obs.request.header("Authorization") or "").endswith(obs.signature)


def test_presigned_v4_url_fields() -> None:
    obs = read_presigned_url(data("awscli-v1-presign-s3v4.url"))
    assert obs.request is not None and obs.request.path == "/my-bucket/dir/a%20b%2Bc.txt"
    assert obs.algorithm == "AWS4-HMAC-SHA256"


# --- hostile input --------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Error><Code>&lol2;</Code></Error>"""


@pytest.mark.parametrize("hint", [None, "s3-error"])
def test_entity_declarations_are_refused(hint: str | None) -> None:
    with pytest.raises(InputError, match="line 2: XML declares a DOCTYPE/ENTITY"):
        read_source(BILLION_LAUGHS, hint=hint)
    external = b'<!ENTITY x SYSTEM "file:///etc/passwd"><Error><Code>&x;</Code></Error>'
    with pytest.raises(InputError, match="DOCTYPE/ENTITY"):
        read_source(external)


def test_truncated_and_garbled_xml() -> None:
    xml = data("synthetic-aws-shaped-SignatureDoesNotMatch-host-rewritten.xml")
    with pytest.raises(InputError, match=r"e\.xml line 2: <Error> element is truncated"):
        read_source(xml[:500], name="e.xml")
    with pytest.raises(InputError, match="does not parse"):
        read_source(b"<Error><Code>x</Cod></Error>")
    with pytest.raises(InputError, match="hex bytes"):
        read_source(b"<Error><StringToSignBytes>41 zz</StringToSignBytes></Error>")


def test_binary_huge_empty_and_unknown() -> None:
    with pytest.raises(InputError, match="binary"):
        read_source(b"GET / HTTP/1.1\n\x00\x01\x02")
    with pytest.raises(InputError, match="not UTF-8"):
        read_source(b"\xff\xfe<Error>")
    huge = b"x" * (20 * 1024 * 1024)
    with pytest.raises(InputError, match="16 MiB"):
        read_source(huge)
    with pytest.raises(InputError, match="16 MiB"):
        read_bounded(io.BytesIO(huge), name="big.log")
    assert read_bounded(io.BytesIO(b"abc")) == b"abc"
    assert read_source(b"") == [] and read_source(b"  \n\n") == []
    with pytest.raises(InputError, match="unrecognised format"):
        read_source(b"hello world")
    with pytest.raises(InputError, match="hint"):
        read_source(b"x", hint="nope")


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=2000), st.sampled_from([None, "awscli", "s3-error", "curl", "http", "url"])
)
def test_random_bytes_raise_only_input_error(blob: bytes, hint: str | None) -> None:
    try:
        result = read_source(blob, hint=hint)
    except InputError:
        return
    assert all(isinstance(o, Observation) for o in result)


_PIECES = [
    b"2026-11-24 19:28:33,702 - MainThread - botocore.auth - DEBUG - CanonicalRequest:\n",
    b"2026-11-24 19:28:33,702 - MainThread - botocore.auth - DEBUG - StringToSign:\n",
    b"2026-11-24 19:28:33,702 - MainThread - botocore.auth - DEBUG - Signature:\n",
    b"2026-11-24 19:28:33,702 - MainThread - botocore.endpoint - DEBUG - Sending http request: "
    b"<AWSPreparedRequest stream_output=False, method=GET, url=http://h/b, headers={'A': b'x'}>\n",
    b"2026-11-24 19:28:33,702 - MainThread - botocore.parsers - DEBUG - Response body:\n",
    b"b'<Error><Code>x</Code></Error>'\n",
    b"AWS4-HMAC-SHA256\n20261124T192833Z\n20261124/us-east-1/s3/aws4_request\n",
    b"GET\n/b\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD\n",
    b"* aws_sigv4: Canonical request (enclosed in []) - [GET\n",
    b"> GET /b HTTP/1.1\r\n",
    b"> Host: h\r\n",
    b">\r\n",
    b"=> Send header, 20 bytes (0x14)\n",
    b"0000: GET / HTTP/1.1\n",
    b"<Error><StringToSignBytes>41 0a</StringToSignBytes>",
    b"</Error>",
    b"<!DOCTYPE x>",
    b"]\n",
    b"\n",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.binary(max_size=8), max_size=12))
def test_format_shaped_garbage_raises_only_input_error(parts: list[bytes]) -> None:
    with contextlib.suppress(InputError):
        read_source(b"".join(parts))

"""The checksum era's causes, recognised from what users have.

The answers are the stores' own texts as public reports quote them (cited beside each),
reshaped the ways they reach users: an XML error body with or without RequestId, a raw HTTP
response, an SDK's JSON error dump with escaped quotes, other spacing and case. The requests
are shaped as botocore 1.43 sends them (its --debug log in tests/e2e/test_checksum_era.py shows
the same headers): a CRC32 header over HTTP, an aws-chunked body with a trailer over TLS.
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

import pytest

from sigkit.credentials import Credentials
from sigkit.debug import causes, integrity
from sigkit.debug.investigate import investigate
from sigkit.debug.report import Report
from sigkit.http import Request
from sigkit.sigv4.config import rules_for
from sigkit.sigv4.signer import sign_v4, sign_v4_query
from sigkit.timefmt import parse_time

NOW = parse_time("20250120T120000Z")


def _sign(request: Request, region: str = "us-east-1") -> Request:
    signed = sign_v4(request, CREDS, NOW, rules_for("s3", region)).request
    assert signed is not None
    return signed


CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
BOTO_UA = (
    "aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18.44 md/arch#x86_64 "
    "lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy botocore/1.43.11"
)
JS_UA = "aws-sdk-js/3.729.0 ua/2.1 os/linux#5.15.0 lang/js md/nodejs#20.18.1 api/s3#3.729.0"

# (code, message) as stores answer, with the cause each names from the answer alone.
ANSWERS = [
    # cloudflare/cloudflare-docs#19236, wayjam/picgo-plugin-s3#52
    ("NotImplemented", "Header 'x-amz-checksum-crc32' with value 'VYNhzQ==' not implemented",
     "checksum-unsupported"),
    # cloudflare/cloudflare-docs#4508 (the older algorithm header)
    ("NotImplemented", "Header 'x-amz-checksum-algorithm' with value 'SHA256' not implemented",
     "checksum-unsupported"),
    # home-assistant/core#143995, matrix-org/synapse-s3-storage-provider#128 (Backblaze B2)
    ("InvalidArgument", "Unsupported header 'x-amz-sdk-checksum-algorithm' received for this API "
     "call.", "checksum-unsupported"),
    # stonith404/pingvin-share#798, iterate-ch/cyberduck#16107 (B2, other algorithms)
    ("InvalidArgument", "Unsupported header 'x-amz-checksum-crc32' received for this API call.",
     "checksum-unsupported"),
    ("InvalidArgument", "Unsupported header 'x-amz-checksum-sha256' received for this API call.",
     "checksum-unsupported"),
    # vatesfr/xen-orchestra#8358 (B2, the response validation's header)
    ("InvalidArgument", "Unsupported header 'x-amz-checksum-mode' received for this API call.",
     "checksum-unsupported"),
    # pig-mesh/oss-spring-boot-starter#21 (Aliyun OSS), usememos/memos#4575 (Tencent COS)
    ("InvalidArgument", "aws-chunked encoding is not supported with the specified "
     "x-amz-content-sha256 value.", "aws-chunked-unsupported"),
    # versity/versitygw#2400 (AWS's own wording for UNSIGNED-PAYLOAD)
    ("InvalidArgument", "aws-chunked encoding is not supported when x-amz-content-sha256 "
     "UNSIGNED-PAYLOAD is supplied", "aws-chunked-unsupported"),
    # cloudnative-pg/plugin-barman-cloud#613, ovh/public-cloud-roadmap#129 (Swift, OVH; Hetzner
    # and Synology answer the same sentence, velero-io/velero#8660)
    ("NotImplemented", "Transfering payloads in multiple chunks using aws-chunked is not "
     "supported.", "aws-chunked-unsupported"),
    # scality/cloudserver#5553, velero-io/velero#8742
    ("BadRequest", "trailing checksum is not supported", "aws-chunked-unsupported"),
    # boto/boto3#4396
    ("InvalidTrailer", "", "aws-chunked-unsupported"),
    # treeverse/lakeFS#3582 (Storj gateway)
    ("MissingContentLength", "You must provide the Content-Length HTTP header.",
     "content-length-chunked"),
    # RGW 16's answer (tests/e2e/test_checksum_era.py): no Message at all
    ("MissingContentLength", "", "content-length-chunked"),
    # CERT-Polska/karton#269, s3fs-fuse/s3fs-fuse#2639, aws/aws-sdk-ruby#3167 (MinIO)
    ("MissingContentMD5", "Missing required header for this request: Content-Md5.",
     "content-md5-required"),
    # aws/aws-cli#400, boto/botocore#2308 (AWS's older wording)
    ("InvalidRequest", "Missing required header for this request: Content-MD5",
     "content-md5-required"),
    # seaweedfs/seaweedfs#10216 (its log line, as a message)
    ("BadDigest", "checksum mismatch for X-Amz-Checksum-Crc32: expected AAAAAA==, got HYZs4w==",
     "presigned-checksum"),
]  # fmt: skip


def _variants(message: str) -> list[str]:
    """The same text as it reaches users: as is, JSON-escaped quotes, double quotes, upper case
    and doubled spaces."""
    return [
        message,
        message.replace("'", "\\'"),
        message.replace("'", '"'),
        message.upper(),
        message.replace(" ", "  "),
    ]


@pytest.mark.parametrize(("code", "message", "cause"), ANSWERS)
def test_from_answer_recognises_the_stores_words(code: str, message: str, cause: str) -> None:
    for text in _variants(message):
        found = [c.id for c in causes.from_answer(code, text)]
        assert cause in found, (code, text, found)


def _xml(code: str, message: str, request_id: bool) -> bytes:
    parts = [f"<Code>{code}</Code>"]
    if message:
        parts.append(f"<Message>{message.replace('&', '&amp;')}</Message>")
    if request_id:
        parts.append("<RequestId>16FCB8279798AF4B</RequestId><HostId></HostId>")
    body = "".join(parts)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{body}</Error>'.encode()


def _first(report: Report) -> tuple[str, bool]:
    assert report.findings, report.render_text()
    return report.findings[0].cause, report.findings[0].certain


@pytest.mark.parametrize(("code", "message", "cause"), ANSWERS)
@pytest.mark.parametrize("request_id", [True, False])
def test_an_error_body_alone_names_the_cause(
    code: str, message: str, cause: str, request_id: bool
) -> None:
    report = investigate(_xml(code, message, request_id))
    assert _first(report) == (cause, True)
    assert report.verdict != "match"


@pytest.mark.parametrize(("code", "message", "cause"), ANSWERS[:8])
def test_a_json_error_dump_names_the_cause(code: str, message: str, cause: str) -> None:
    # The AWS SDK for JavaScript v3 prints its error so (diced/zipline#746, vatesfr/xen-orchestra
    # #8358): name, $fault, $metadata, Code, message.
    dump = {
        "name": code,
        "$fault": "client",
        "$metadata": {"httpStatusCode": 400, "requestId": "d7ad5463704ef513", "attempts": 1},
        "Code": code,
        "message": message,
    }
    assert _first(investigate(json.dumps(dump, indent=2))) == (cause, True)


def test_a_raw_response_names_the_cause() -> None:
    raw = b"HTTP/1.1 501 Not Implemented\r\nContent-Type: application/xml\r\n\r\n" + _xml(
        "NotImplemented", "Header 'x-amz-checksum-crc32' with value 'x' not implemented", True
    )
    report = investigate(raw)
    assert _first(report) == ("checksum-unsupported", True)
    assert report.verdict == "mismatch" and report.refusals  # 501 is a verdict on the request


# -- the request in view ---------------------------------------------------------------------
def _trailer_put(ua: str = BOTO_UA) -> Request:
    """PutObject as botocore 1.43 sends it over TLS (its --debug log shows these headers)."""
    request = Request(
        "PUT",
        "/bucket/k.txt",
        None,
        (
            ("Host", "store.example.com"),
            ("User-Agent", ua),
            ("Expect", "100-continue"),
            ("Transfer-Encoding", "chunked"),
            ("Content-Encoding", "aws-chunked"),
            ("X-Amz-Trailer", "x-amz-checksum-crc32"),
            ("X-Amz-Decoded-Content-Length", "12"),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("X-Amz-Content-SHA256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ),
        None,
    )
    return _sign(request)


def _header_put(body: bytes = b"hello world\n", ua: str = BOTO_UA) -> Request:
    """PutObject as botocore 1.43 sends it over HTTP: the CRC32 in a header."""
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    request = Request(
        "PUT",
        "/bucket/k.txt",
        None,
        (
            ("Host", "store.example.com"),
            ("User-Agent", ua),
            ("Content-Length", str(len(body))),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("x-amz-checksum-crc32", crc),
        ),
        body,
        scheme="http",
    )
    return _sign(request)


def test_sha256_mismatch_to_a_trailer_upload_is_aws_chunked_unsupported() -> None:
    # Hetzner, older Ceph (fsspec/s3fs#932): XAmzContentSHA256Mismatch, no message.
    answer = _xml("XAmzContentSHA256Mismatch", "", True)
    report = investigate(_trailer_put(), answer, credentials=CREDS, now=NOW)
    assert _first(report) == ("aws-chunked-unsupported", True)
    assert "body-changed" not in [f.cause for f in report.findings]  # the other reading withdrawn
    top = report.findings[0]
    assert "STREAMING-UNSIGNED-PAYLOAD-TRAILER" in top.evidence
    assert "AWS CLI v1 1.45.11" in top.detail
    assert "AWS_REQUEST_CHECKSUM_CALCULATION=when_required" in top.detail


def test_sha256_mismatch_alone_is_ambiguous() -> None:
    report = investigate(_xml("XAmzContentSHA256Mismatch", "", True))
    likely = [f for f in report.findings if f.cause == "aws-chunked-unsupported"]
    assert likely and not likely[0].certain
    assert any("request as sent" in need for need in report.needs)


def test_sha256_mismatch_to_a_plain_upload_is_not_aws_chunked() -> None:
    report = investigate(
        _header_put(), _xml("XAmzContentSHA256Mismatch", "", True), credentials=CREDS, now=NOW
    )
    assert "aws-chunked-unsupported" not in [f.cause for f in report.findings]
    assert report.findings[0].cause == "body-changed"


def test_rgw_411_to_a_trailer_upload() -> None:
    report = investigate(_trailer_put(), _xml("MissingContentLength", "", True))
    assert _first(report) == ("content-length-chunked", True)
    assert "no Content-Length" in report.findings[0].evidence


def test_the_js_sdk_is_named_with_its_setting() -> None:
    answer = _xml(
        "NotImplemented", "Header 'x-amz-checksum-crc32' with value 'x' not implemented", False
    )
    report = investigate(_header_put(ua=JS_UA), answer)
    top = report.findings[0]
    assert (top.cause, top.certain) == ("checksum-unsupported", True)
    assert "AWS SDK for JavaScript v3 3.729.0" in top.detail
    assert 'requestChecksumCalculation: "WHEN_REQUIRED"' in top.detail
    assert "3.726.1" in top.detail  # the last release before the change


# -- the store's profile --------------------------------------------------------------------
def test_store_profile_names_a_refusal_from_the_request_alone() -> None:
    # `sigkit verify REQUEST --store r2`: the request verifies, the store refuses its header.
    report = investigate(_header_put(), credentials=CREDS, now=NOW, store="r2")
    assert _first(report) == ("checksum-unsupported", True)
    assert report.verdict != "match"


def test_store_recognised_from_the_host() -> None:
    request = Request(
        "PUT",
        "/k.txt",
        None,
        (
            ("Host", "bucket.ACCOUNT.r2.cloudflarestorage.com"),
            ("User-Agent", JS_UA),
            ("Content-Length", "5"),
            ("x-amz-checksum-crc32", "NhCmhg=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
        ),
        b"hello",
    )
    signed = _sign(request, "auto")
    report = investigate(signed, credentials=CREDS, now=NOW)
    assert _first(report) == ("checksum-unsupported", True)
    assert any("Cloudflare R2" in note for note in report.notes)


def test_a_store_that_takes_the_trailer_says_nothing() -> None:
    report = investigate(_trailer_put(), credentials=CREDS, now=NOW, store="minio")
    assert not [f for f in report.findings if f.cause in integrity.CHECKSUM_CAUSES]


def test_unknown_store_is_an_input_error() -> None:
    from sigkit.errors import InputError

    with pytest.raises(InputError) as info:
        investigate(_header_put(), store="no-such-store")
    assert "--store" in str(info.value.field)


# -- presigned URLs ---------------------------------------------------------------------------
def _presigned_put(checksum: str, body: bytes) -> Request:
    query = (
        f"x-amz-checksum-crc32={checksum.replace('=', '%3D')}&x-amz-sdk-checksum-algorithm=CRC32"
    )
    url = sign_v4_query(
        Request("PUT", "/bucket/k.txt", query, (("Host", "store.example.com"),), None),
        CREDS,
        NOW,
        rules_for("s3", "us-east-1", variant="query", expires=600),
    ).request
    assert url is not None
    return Request(
        "PUT",
        url.path,
        url.query,
        (*url.headers, ("Content-Length", str(len(body)))),
        body,
        scheme="http",
    )


def test_presigned_url_bound_to_the_empty_body() -> None:
    # aws-sdk-js 3.729 getSignedUrl(PutObjectCommand) without a Body: seaweedfs/seaweedfs#10216
    report = investigate(_presigned_put("AAAAAA==", b"the real upload"), credentials=CREDS, now=NOW)
    top = report.findings[0]
    assert (top.cause, top.certain) == ("presigned-checksum", True)
    assert "AAAAAA==" in top.evidence and "empty body" in top.evidence
    assert report.verdict != "match"


def test_presigned_url_bound_to_the_bodys_own_checksum_is_fine() -> None:
    body = b"the real upload"
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    report = investigate(_presigned_put(crc, body), credentials=CREDS, now=NOW)
    assert "presigned-checksum" not in [f.cause for f in report.findings]
    assert report.verdict == "match"


# -- stored objects ---------------------------------------------------------------------------
SIGNED_FRAMING = (  # NVIDIA/aistore#263: an object written by minio-go, read back framed
    b"1e;chunk-signature=c68fc0a37fe5d6790ec2f0ae1e5de53cae7ee4766f51bbc7c0a3f38008976d2a\r\n"
    b"this is a file with some text\n\r\n"
    b"0;chunk-signature=416da576db7b5d705820ed48186014a1c1802e62a4c5eac6915ef9f05631364d\r\n\r\n"
)
UNSIGNED_FRAMING = b"15e\r\n" + b"x" * 0x15E + b"\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"


@pytest.mark.parametrize("data", [SIGNED_FRAMING, UNSIGNED_FRAMING])
def test_a_downloaded_object_with_framing(data: bytes, tmp_path: Path) -> None:
    # snowflakedb/snowflake-jdbc#2716 (GCS), rustfs/rustfs#6853 (SeaweedFS 3.97)
    assert integrity.framing_of(data) is not None
    report = investigate(data)
    assert _first(report) == ("chunked-framing-stored", True)


def test_a_get_response_with_framing() -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n" + UNSIGNED_FRAMING
    assert _first(investigate(raw)) == ("chunked-framing-stored", True)


@pytest.mark.parametrize(
    "data",
    [
        b"abc\r\nhello",  # hex-looking word, no chunk of that size
        b"12\r\nshort",  # announces 18 bytes, holds 5
        b"face\r\n" + b"y" * 10,
        b"hello world",
        b"",
    ],
)
def test_ordinary_bytes_are_no_framing(data: bytes) -> None:
    assert integrity.framing_of(data) is None


def test_a_request_carrying_unannounced_framing() -> None:
    # ministackorg/ministack#100: aws-chunked bytes sent as a plain body are kept as the object.
    request = Request(
        "PUT",
        "/bucket/k.txt",
        None,
        (("Host", "store.example.com"), ("Content-Length", str(len(UNSIGNED_FRAMING)))),
        UNSIGNED_FRAMING,
        scheme="http",
    )
    signed = _sign(request)
    report = investigate(signed, credentials=CREDS, now=NOW)
    assert "chunked-framing-stored" in [f.cause for f in report.findings]


def test_request_traits() -> None:
    shape = integrity.shape_of(_trailer_put())
    assert {"aws-chunked", "checksum-header", "length-missing"} <= shape.traits
    plain = integrity.shape_of(_header_put())
    assert "aws-chunked" not in plain.traits and "crc-without-md5" in plain.traits
    both = Request(
        "PUT", "/b/k", None, (("Content-Length", "5"), ("Transfer-Encoding", "chunked")), b"hello"
    )
    assert "length-with-chunked" in integrity.shape_of(both).traits


def test_every_checksum_cause_is_in_the_registry_and_its_docs() -> None:
    docs = Path(__file__).parent.parent / "docs" / "causes.md"
    text = docs.read_text()
    for cause in integrity.CHECKSUM_CAUSES:
        assert cause in causes.IDS and f"## {cause}" in text
    for cause in causes.REGISTRY:
        for _, _, trait in cause.given:
            assert trait in integrity.TRAITS, (cause.id, trait)


# -- the line a program logged ----------------------------------------------------------------
LINES = [
    # velero-io/velero#8742 (the Go SDK v2)
    (
        "rpc error: code = Unknown desc = error putting object backups/test/velero-backup.json: "
        "operation error S3: PutObject, https response error StatusCode: 400, RequestID: "
        "615340fe5149adeb5208, HostID: 615340fe5149adeb5208, api error BadRequest: trailing "
        "checksum is not supported",
        "aws-chunked-unsupported",
    ),
    # pig-mesh/oss-spring-boot-starter#21 (the Java SDK 2.x)
    (
        "aws-chunked encoding is not supported with the specified x-amz-content-sha256 value. "
        "(Service: S3, Status Code: 400, Request ID:qia)",
        "aws-chunked-unsupported",
    ),
    # CERT-Polska/karton#269 (boto3)
    (
        "botocore.exceptions.ClientError: An error occurred (MissingContentMD5) when calling the "
        "DeleteObjects operation: Missing required header for this request: Content-Md5.",
        "content-md5-required",
    ),
    # home-assistant/core#143995 (aiobotocore)
    (
        "Unexpected error for s3.01JT470JQD6FGPH4WZG3PCX7DR: An error occurred (InvalidArgument) "
        "when calling the UploadPart operation: Unsupported header 'x-amz-sdk-checksum-algorithm' "
        "received for this API call.",
        "checksum-unsupported",
    ),
    # stonith404/pingvin-share#798 (the JavaScript SDK v3, logged by NestJS)
    (
        "[Nest] 56  - 03/17/2025, 12:08:28 PM   ERROR [S3FileService] InvalidArgument: "
        "Unsupported header 'x-amz-checksum-crc32' received for this API call.",
        "checksum-unsupported",
    ),
]


@pytest.mark.parametrize(("line", "cause"), LINES)
def test_an_sdk_error_line_names_the_cause(line: str, cause: str) -> None:
    report = investigate(line + "\n")
    assert _first(report) == (cause, True)
    assert report.refusals and report.verdict == "mismatch"


def test_ordinary_text_is_still_unrecognised() -> None:
    from sigkit.errors import InputError

    with pytest.raises(InputError):
        investigate("hello: this is not an answer\nNothing: here either\n")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        # s3s-project/s3s#328: aws-cli 2.28 against an s3s server without trailer support
        ("XAmzContentSHA256Mismatch", "invalid header: x-amz-content-sha256"),
        # an S3 implementation that knows only the older payload values
        (
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
            "or a valid sha256 value.",
        ),
        # versity/versitygw#1601 (AWS, a trailer where the operation takes none)
        ("InvalidRequest", "The value of x-amz-content-sha256 header is invalid."),
        # afreidah/s3-orchestrator#1536
        ("InvalidRequest", "Streaming trailer block is malformed"),
    ],
)
def test_answers_that_name_aws_chunked_only_with_the_trailer_request(
    code: str, message: str
) -> None:
    answer = _xml(code, message, True)
    with_request = investigate(_trailer_put(), answer)
    assert _first(with_request) == ("aws-chunked-unsupported", True)
    plain = investigate(_header_put(), answer)
    assert "aws-chunked-unsupported" not in [f.cause for f in plain.findings if f.certain]


def test_boto3_error_response_as_json_and_as_python_prints_it() -> None:
    # ClientError.response: the shape boto3 users log (matrix-org/synapse-s3-storage-provider#128)
    response = {
        "Error": {
            "Code": "InvalidArgument",
            "Message": "Unsupported header 'x-amz-sdk-checksum-algorithm' received for this "
            "API call.",
        },
        "ResponseMetadata": {"RequestId": "d7ad5463704ef513", "HTTPStatusCode": 400},
    }
    for text in (json.dumps(response), repr(response)):
        report = investigate(text)
        assert _first(report) == ("checksum-unsupported", True)
        assert report.refusals and "400 InvalidArgument" in report.refusals[0]


def test_curl_verbose_get_of_a_framed_object() -> None:
    # `curl -sS -v URL 2>&1` of an object GCS kept with its upload's framing (sigkit serve
    # --store gcs answers so; snowflakedb/snowflake-jdbc#2716 shows GCS's bytes).
    capture = (
        "*   Trying 127.0.0.1:8474...\n"
        "* Connected to 127.0.0.1 (127.0.0.1) port 8474 (#0)\n"
        "> GET /bkt/k2.txt HTTP/1.1\r\n"
        "> Host: 127.0.0.1:8474\r\n"
        "> User-Agent: curl/7.88.1\r\n"
        "> Accept: */*\r\n"
        "> \r\n"
        "< HTTP/1.1 200 OK\r\n"
        "< Content-Type: application/octet-stream\r\n"
        "< Content-Length: 54\r\n"
        "< Content-Encoding: aws-chunked\r\n"
        "< \r\n"
        "{ [54 bytes data]\n"
        "* Connection #0 to host 127.0.0.1 left intact\n"
        "d\r\nhello framing\r\n0\r\nx-amz-checksum-crc32:rPB+wA==\r\n\r\n"
    )
    report = investigate(capture)
    assert _first(report) == ("chunked-framing-stored", True)
    plain = capture.replace(
        "d\r\nhello framing\r\n0\r\nx-amz-checksum-crc32:rPB+wA==\r\n", "hi\r\n"
    )
    assert "chunked-framing-stored" not in [f.cause for f in investigate(plain).findings]


def test_presigned_url_signing_the_checksum_header() -> None:
    # botocore's form: the URL signs x-amz-checksum-crc32 as a header the uploader must send.
    body = b"the real upload"
    url = sign_v4_query(
        Request(
            "PUT",
            "/bucket/k.txt",
            None,
            (("Host", "store.example.com"), ("x-amz-checksum-crc32", "AAAAAA==")),
            None,
        ),
        CREDS,
        NOW,
        rules_for("s3", "us-east-1", variant="query", expires=600),
    ).request
    assert url is not None
    sent = Request(
        "PUT", url.path, url.query, (*url.headers, ("Content-Length", str(len(body)))), body
    )
    report = investigate(sent, credentials=CREDS, now=NOW)
    assert _first(report) == ("presigned-checksum", True)


def test_the_answers_words_win_over_the_requests_shape() -> None:
    # cloudnative-pg/plugin-barman-cloud#613: Swift's NotImplemented to a trailer upload, which
    # also carries x-amz-sdk-checksum-algorithm: the words name aws-chunked, not the header.
    answer = _xml(
        "NotImplemented",
        "Transfering payloads in multiple chunks using aws-chunked is not supported.",
        True,
    )
    report = investigate(_trailer_put(), answer)
    assert [f.cause for f in report.findings if f.certain] == ["aws-chunked-unsupported"]
    # A bare NotImplemented to the same request: its shape names both, the checksum header first.
    bare = investigate(_trailer_put(), _xml("NotImplemented", "", True))
    assert {f.cause for f in bare.findings if f.certain} == {
        "checksum-unsupported",
        "aws-chunked-unsupported",
    }

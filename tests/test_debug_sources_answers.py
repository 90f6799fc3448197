"""The server's answer in every source: status, headers (Date), error code and message, steps,
the source's own timestamps, and which request (which attempt) each answer answers.

Expected values are copied from the captures themselves (tests/fixtures/debug/README.md says
how each was made): the AWS CLI 1.45.11 / botocore 1.43.11 and curl 7.88.1 against Ceph RGW
16.2.15 and `sigkit serve`."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigkit.debug.model import Observation
from sigkit.debug.sources import detect_format, read_source
from sigkit.errors import InputError

FIX = Path(__file__).parent / "fixtures" / "debug"
RGW = "rgw-16.2.15"
SERVE = "sigkit-serve"
SDNM = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)


def data(name: str) -> bytes:
    return (FIX / name).read_bytes()


def read(name: str) -> list[Observation]:
    return read_source(data(name), name=name)


def header(obs: Observation, name: str) -> str | None:
    return next((v for k, v in obs.response_headers if k.lower() == name.lower()), None)


CAPTURES = sorted(
    p.name
    for p in FIX.glob("*")
    if p.is_file() and any(s in p.name for s in (RGW, SERVE, "stub-503", "moto-5.2.1"))
)


def test_the_captures_are_all_here() -> None:
    assert len(CAPTURES) == 24


@pytest.mark.parametrize("name", CAPTURES)
def test_every_capture_pairs_each_request_with_its_answer(name: str) -> None:
    """Every capture shows requests and answers: each answer names the request it answers,
    and carries the status and the Date the capture shows for it."""
    text = data(name).decode()
    assert detect_format(data(name)) == ("awscli" if name.endswith(".log") else "curl")
    obs = read(name)
    clients = [o for o in obs if o.party == "client"]
    servers = [o for o in obs if o.party == "server"]
    assert [o.exchange for o in clients] == list(range(1, len(clients) + 1))
    assert [o.exchange for o in servers] == [o.exchange for o in clients]
    for client, server in zip(clients, servers, strict=True):
        assert obs.index(server) == obs.index(client) + 1
        assert client.signature is not None
        assert server.attempt == client.attempt
    statuses = re.findall(
        r'(?:HTTP/1\.1" |< HTTP/1\.1 |: HTTP/1\.1 |^HTTP/1\.1 )(\d{3})', text, re.M
    )
    dates = re.findall(r"(?:'Date': '|< Date: |: Date: )([^'\r\n]+)", text)
    if "trace-hex" not in name:
        assert [o.status for o in servers] == [int(s) for s in statuses]
        assert [header(o, "Date") for o in servers] == dates
    assert all(o.status is not None for o in servers)


# --- AWS CLI / botocore logs ------------------------------------------------------------------


def test_rgw_terse_error_body_is_the_answer_and_hides_nothing() -> None:
    name = f"awscli-1.45.11-{RGW}-wrong-secret.debug.log"
    client, server = read(name)
    assert (client.party, client.exchange, client.attempt) == ("client", 1, 1)
    assert client.logged_at == "2026-12-08 00:28:24,705"
    assert client.amz_date == "20261208T002824Z"
    assert client.canonical_request is not None and client.string_to_sign is not None
    assert (server.party, server.source, server.exchange, server.attempt) == (
        "server",
        "awscli-debug",
        1,
        1,
    )
    assert server.status == 403
    assert server.error_code == "SignatureDoesNotMatch"
    assert server.error_message == ""  # RGW's <Message></Message>
    assert server.string_to_sign is None and server.canonical_request is None
    assert server.logged_at == "2026-12-08 00:28:24,709"
    assert header(server, "Date") == "Tue, 08 Dec 2026 00:28:24 GMT"
    assert server.details["RequestId"] == "tx00000ee67748fda91284d-006b174f28-100a-default"
    assert header(server, "x-amz-request-id") == server.details["RequestId"]
    assert server.response_headers[0] == ("Content-Length", "213")
    assert (
        server.where == "observation 2 of 2 in the log, answer to request 1 (attempt 1), line 105"
    )
    # The same log without the answer gives the same client observation: adding evidence
    # never takes any away.
    text = data(name).decode()
    cut = text[
        : text.index("2026-12-08 00:28:24,709 - MainThread - urllib3.connectionpool - DEBUG - http")
    ]
    (alone,) = read_source(cut.encode(), name=name)
    assert alone.canonical_request == client.canonical_request
    assert alone.request == client.request and alone.signature == client.signature


def test_bodyless_head_answer_on_a_worker_thread() -> None:
    client, server = read(f"awscli-1.45.11-{RGW}-wrong-secret-cp-head.debug.log")
    assert client.request is not None and client.request.method == "HEAD"
    assert client.details["thread"] == "ThreadPoolExecutor-1_0"
    assert client.logged_at == "2026-12-08 00:28:33,273"
    assert server.status == 403 and server.error_code is None
    assert server.logged_at == "2026-12-08 00:28:33,277"
    assert header(server, "Date") == "Tue, 08 Dec 2026 00:28:33 GMT"
    assert server.details["cli_error"] == (
        "An error occurred (403) when calling the HeadObject operation: Forbidden"
    )
    assert server.details["operation"] == "HeadObject"
    assert (server.exchange, server.attempt) == (1, 1)


def test_put_answer_on_a_worker_thread() -> None:
    client, server = read(f"awscli-1.45.11-{RGW}-wrong-secret-cp-put.debug.log")
    assert client.request is not None and client.request.method == "PUT"
    assert client.details["thread"] == "ThreadPoolExecutor-0_0"
    assert (server.status, server.error_code) == (403, "SignatureDoesNotMatch")
    assert server.details["RequestId"] == "tx00000413c7a6ace212bcb-006b1750b5-100a-default"
    assert server.logged_at == "2026-12-08 00:35:01,552"


def test_accepted_request_is_a_200_answer() -> None:
    client, server = read(f"awscli-1.45.11-{RGW}-other-region-accepted.debug.log")
    assert client.credential_scope == "20261208/eu-west-1/s3/aws4_request"
    assert server.status == 200 and server.error_code is None
    assert header(server, "Date") == "Tue, 08 Dec 2026 00:28:34 GMT"
    assert server.logged_at == "2026-12-08 00:28:34,026"


def test_rgw_skew_answer_and_times() -> None:
    client, server = read(f"botocore-1.43.11-{RGW}-skew-40min.debug.log")
    assert client.amz_date == "20261207T234843Z"  # the clock 40 minutes slow
    assert client.logged_at == "2026-12-08 00:28:43,999"
    assert (server.status, server.error_code) == (403, "RequestTimeTooSkewed")
    assert header(server, "Date") == "Tue, 08 Dec 2026 00:28:44 GMT"
    assert server.logged_at == "2026-12-08 00:28:44,006"
    # botocore prints an empty message as "None"; that is not the server's message
    assert server.error_message == ""
    assert server.details["cli_error"] == (
        "An error occurred (RequestTimeTooSkewed) when calling the ListObjectsV2 operation: None"
    )


def test_serve_answer_carries_its_steps() -> None:
    client, server = read(f"awscli-1.45.11-{SERVE}-wrong-secret.debug.log")
    assert client.signature == "25843540b407bf05a3c8ec7f4880f13264ac12b38ca270dff59ad1b877283e6e"
    assert server.signature_provided == client.signature
    assert (server.status, server.error_code, server.error_message) == (
        403,
        "SignatureDoesNotMatch",
        SDNM,
    )
    assert server.string_to_sign == client.string_to_sign  # the same steps, the wrong key
    assert server.canonical_request == client.canonical_request
    assert server.details["string_to_sign_from"] == "StringToSignBytes"
    assert header(server, "Server") == "sigkit-serve"
    assert header(server, "Date") == "Tue, 08 Dec 2026 00:26:33 GMT"
    assert server.details["cli_error"] == (
        "An error occurred (SignatureDoesNotMatch) when calling the ListObjectsV2 operation: "
        + SDNM
    )


def test_serve_skew_answer_keeps_request_and_server_time() -> None:
    client, server = read(f"botocore-1.43.11-{SERVE}-skew-40min.debug.log")
    assert client.amz_date == "20261207T234924Z"
    assert server.error_code == "RequestTimeTooSkewed"
    assert server.details["RequestTime"] == "20261207T234924Z"
    assert server.details["ServerTime"] == "2026-12-08T00:29:24Z"
    assert server.details["MaxAllowedSkewMilliseconds"] == "900000"
    assert header(server, "Date") == "Tue, 08 Dec 2026 00:29:24 GMT"
    assert server.logged_at == "2026-12-08 00:29:24,086"


def test_retries_give_every_attempt_and_its_answer_in_order() -> None:
    name = "awscli-1.45.11-stub-503-slowdown-retries.debug.log"
    obs = read(name)
    assert [o.party for o in obs] == ["client", "server"] * 5
    assert [o.attempt for o in obs] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [o.exchange for o in obs] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    text = data(name).decode()
    sent = re.findall(r"^(\S+ \S+) - MainThread - botocore\.endpoint - DEBUG - Sending", text, re.M)
    answered = re.findall(
        r"^(\S+ \S+) - MainThread - urllib3\S* - DEBUG - http\S+ \"GET", text, re.M
    )
    assert [o.logged_at for o in obs[0::2]] == sent
    assert [o.logged_at for o in obs[1::2]] == answered
    assert answered == [
        "2026-12-08 00:29:31,542",
        "2026-12-08 00:29:31,781",
        "2026-12-08 00:29:32,996",
        "2026-12-08 00:29:34,830",
        "2026-12-08 00:29:41,003",
    ]
    headers = [o.request.header("amz-sdk-request") for o in obs[0::2] if o.request]
    assert headers[0] == "attempt=1" and headers[4] == "ttl=20261208T003034Z; attempt=5; max=5"
    for answer in obs[1::2]:
        assert (answer.status, answer.error_code) == (503, "SlowDown")
        assert answer.error_message == "Please reduce your request rate."
    assert [header(o, "Date") for o in obs[1::2]] == [
        "Tue, 08 Dec 2026 00:29:31 GMT",
        "Tue, 08 Dec 2026 00:29:31 GMT",
        "Tue, 08 Dec 2026 00:29:32 GMT",
        "Tue, 08 Dec 2026 00:29:34 GMT",
        "Tue, 08 Dec 2026 00:29:41 GMT",
    ]
    assert obs[9].details["max_retries"] == "4"
    assert "max_retries" not in obs[7].details
    assert (
        obs[7].where == "observation 8 of 10 in the log, answer to request 4 (attempt 4), line 222"
    )
    assert obs[6].where == "observation 7 of 10 in the log, request 4 (attempt 4), line 201"
    signed = re.findall(r" - botocore\.auth - DEBUG - Signature:\n([0-9a-f]{64})\n", text)
    assert [o.signature for o in obs[0::2]] == signed and len(signed) == 5


def test_moto_error_response_of_a_non_s3_service() -> None:
    client, server = read("awscli-1.45.11-moto-5.2.1-lambda-wrong-secret.debug.log")
    assert client.credential_scope is not None and client.credential_scope.endswith(
        "/us-east-1/lambda/aws4_request"
    )
    assert (server.status, server.error_code) == (403, "SignatureDoesNotMatch")
    assert server.details["Type"] == "Sender"
    assert header(server, "x-amzn-requestid") == (
        "rdAkVx4rr4xeH0X2WkMnflYuAxDIRxfbsCAR1QIeMkMzzYZ7IOPO"
    )


def test_unsigned_request_answers_are_not_reported() -> None:
    """An IMDS credential fetch logs a urllib3 status line too; it answers no signed request."""
    name = f"awscli-1.45.11-{RGW}-wrong-secret.debug.log"
    text = data(name).decode()
    imds = (
        "2026-12-08 00:28:24,700 - MainThread - urllib3.connectionpool - DEBUG - "
        'http://169.254.169.254:80 "PUT /latest/api/token HTTP/1.1" 200 56\n'
    )
    at = text.index("2026-12-08 00:28:24,705 - MainThread - botocore.endpoint")
    obs = read_source((imds + text[:at] + imds + text[at:]).encode())
    assert [(o.party, o.status) for o in obs] == [("client", None), ("server", 403)]


def test_region_redirect_two_attempts_two_answers() -> None:
    name = f"awscli-1.45.11-{SERVE}-wrong-region-redirect.debug.log"
    first, refused, second, accepted = read(name)
    assert first.credential_scope == "20261208/eu-west-1/s3/aws4_request"
    assert second.credential_scope == "20261208/us-east-1/s3/aws4_request"
    assert [o.attempt for o in (first, refused, second, accepted)] == [1, 1, 2, 2]
    assert (refused.status, refused.error_code) == (400, "AuthorizationHeaderMalformed")
    assert refused.details["Region"] == "us-east-1"
    assert refused.logged_at == "2026-12-08 00:39:28,732"
    assert (accepted.status, accepted.error_code) == (200, None)
    assert accepted.logged_at == "2026-12-08 00:39:28,744"
    assert accepted.where == (
        "observation 4 of 4 in the log, answer to request 2 (attempt 2), line 151"
    )


# --- curl -----------------------------------------------------------------------------------


def test_curl_unsigned_header_answer_names_it() -> None:
    client, server = read(f"curl-7.88.1-{SERVE}-presigned-unsigned-header.verbose.txt")
    assert client.request is not None and client.request.header("x-amz-meta-a") == " b"
    assert client.signed_headers == "host"
    assert (server.status, server.error_code) == (403, "AccessDenied")
    assert server.details["HeadersNotSigned"] == "x-amz-meta-a"
    _client, ok = read(f"curl-7.88.1-{RGW}-presigned-unsigned-header-accepted.verbose.txt")
    assert (ok.status, ok.error_code, ok.details["reason"]) == (200, None, "OK")


def test_curl_content_sha256_mismatch_answers() -> None:
    _c, serve = read(f"curl-7.88.1-{SERVE}-content-sha256-mismatch.verbose.txt")
    assert (serve.status, serve.error_code) == (400, "XAmzContentSHA256Mismatch")
    assert serve.details["ClientComputedContentSHA256"] == "0" * 64
    assert serve.details["S3ComputedContentSHA256"] == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256("abc")
    )
    _c, rgw = read(f"curl-7.88.1-{RGW}-content-sha256-mismatch.verbose.txt")
    assert (rgw.status, rgw.error_code, rgw.details["reason"]) == (
        400,
        "XAmzContentSHA256Mismatch",
        "Bad Request",
    )
    assert rgw.details["BucketName"] == "sigkit-dbg"
    assert header(rgw, "Date") == "Tue, 08 Dec 2026 00:39:42 GMT"


def test_curl_verbose_rgw_wrong_secret_with_body_on_stdout() -> None:
    name = f"curl-7.88.1-{RGW}-wrong-secret.verbose.txt"
    client, server = read(name)
    assert client.source == server.source == "curl-verbose"
    assert client.signature == "17f4a4510d54d0f58438f34913226a8428fed0396bd8823e051853687f6fe1dd"
    assert (server.status, server.details["reason"]) == (403, "Forbidden")
    assert server.error_code == "SignatureDoesNotMatch" and server.error_message == ""
    assert server.details["RequestId"] == "tx00000c03ed3a238786882-006b174f46-100a-default"
    assert header(server, "Date") == "Tue, 08 Dec 2026 00:28:54 GMT"
    assert header(server, "x-amz-request-id") == server.details["RequestId"]
    assert [k for k, _ in server.response_headers] == [
        "Content-Length",
        "x-amz-request-id",
        "Accept-Ranges",
        "Content-Type",
        "Date",
        "Connection",
    ]
    assert server.exchange == client.exchange == 1
    assert server.where == "answer to request 1 of 1 in the curl output, line 13"
    assert server.logged_at is None  # no --trace-time


def test_curl_trace_hex_rgw_wrong_secret() -> None:
    client, server = read(f"curl-7.88.1-{RGW}-wrong-secret.trace-hex.txt")
    assert client.source == server.source == "curl-trace"
    assert (server.status, server.error_code) == (403, "SignatureDoesNotMatch")
    assert server.details["RequestId"] == "tx0000096ccf969fae3bcdd-006b174f49-100a-default"
    assert header(server, "Date") == "Tue, 08 Dec 2026 00:28:57 GMT"


@pytest.mark.parametrize(
    ("name", "sent_at", "answered_at", "request_id"),
    [
        (
            f"curl-7.88.1-{RGW}-skew-40min.trace-ascii-time.txt",
            "00:28:54.341942",
            "00:28:54.342776",
            "tx00000b1455074b637a232-006b174f46-100a-default",
        ),
        (
            f"curl-7.88.1-{RGW}-skew-40min.verbose-time.txt",
            "00:28:54.355159",
            "00:28:54.355845",
            "tx0000080a82723bca4ca45-006b174f46-100a-default",
        ),
    ],
)
def test_curl_trace_time_and_skew(
    name: str, sent_at: str, answered_at: str, request_id: str
) -> None:
    assert detect_format(data(name), name=name) == "curl"
    client, server = read(name)
    assert client.logged_at == sent_at and server.logged_at == answered_at
    assert client.request is not None
    assert [v for k, v in client.request.headers if k.lower() == "x-amz-date"] == [
        " 20261207T234854Z",
        " 20261207T234854Z",
    ]
    assert client.credential_scope == "20261207/us-east-1/s3/aws4_request"
    assert (server.status, server.error_code) == (403, "RequestTimeTooSkewed")
    assert server.details["RequestId"] == request_id
    assert header(server, "Date") == "Tue, 08 Dec 2026 00:28:54 GMT"


@pytest.mark.parametrize(
    ("name", "expires", "date"),
    [
        (
            f"curl-7.88.1-{RGW}-expired-presigned-v2.verbose.txt",
            "1796689735",
            "Tue, 08 Dec 2026 00:28:57 GMT",
        ),
        (
            f"curl-7.88.1-{RGW}-expired-presigned-v4.verbose.txt",
            "1",
            "Tue, 08 Dec 2026 00:29:12 GMT",
        ),
    ],
)
def test_curl_expired_presigned_urls_at_rgw(name: str, expires: str, date: str) -> None:
    client, server = read(name)
    assert client.details["expires"] == expires
    assert (server.status, server.error_code, server.error_message) == (403, "AccessDenied", "")
    assert header(server, "Date") == date


def test_curl_expired_presigned_url_at_serve_keeps_the_times() -> None:
    client, server = read(f"curl-7.88.1-{SERVE}-expired-presigned-v4.verbose.txt")
    assert client.details["expires"] == "1"
    assert (server.status, server.error_code) == (403, "AccessDenied")
    assert server.error_message == "Request has expired"
    assert server.details["X-Amz-Expires"] == "1"
    assert server.details["Expires"] == "2026-12-08T00:29:13+00:00"
    assert server.details["ServerTime"] == "2026-12-08T00:29:15Z"
    assert header(server, "Date") == "Tue, 08 Dec 2026 00:29:15 GMT"


def test_curl_verbose_serve_body_with_steps() -> None:
    client, server = read(f"curl-7.88.1-{SERVE}-wrong-secret.verbose.txt")
    assert server.signature_provided == client.signature
    assert server.error_message == SDNM
    assert server.canonical_request == (
        "GET\n/b/hello.txt\n\nhost:127.0.0.1:18401\nx-amz-date:20261208T002912Z\n\n"
        "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert "canonical_request_mismatch" not in server.details  # stdout's copy is exact


def test_curl_trace_ascii_body_only_in_the_trace() -> None:
    """`--trace-ascii FILE -o /dev/null`: the body is in the trace, its LFs shown as '.';
    the steps come from the *Bytes fields, exact."""
    client, server = read(f"curl-7.88.1-{SERVE}-wrong-secret.trace-ascii.txt")
    assert client.amz_date == "20261208T003445Z"
    assert server.canonical_request == (
        "GET\n/b/hello.txt\n\nhost:127.0.0.1:18401\nx-amz-date:20261208T003445Z\n\n"
        "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert server.string_to_sign is not None
    assert server.string_to_sign.split("\n")[:3] == [
        "AWS4-HMAC-SHA256",
        "20261208T003445Z",
        "20261208/us-east-1/s3/aws4_request",
    ]
    assert server.signature_provided == client.signature
    assert server.details["RequestId"] == "6C829C17F1414238"
    assert "--trace-ascii" in server.details["body_note"]


def test_curl_trace_ascii_cut_off_body_is_noise() -> None:
    name = f"curl-7.88.1-{SERVE}-wrong-secret.trace-ascii.txt"
    lines = data(name).decode().split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("<= Recv data"))
    cut = "\n".join(lines[: at + 3]) + "\n"
    client, server = read_source(cut.encode(), name=name)
    assert client.signature is not None
    assert server.status == 403 and server.error_code is None
    assert server.details["body_note"] == "the traced response body is cut off"


def test_serve_refuses_curl_788_date_sent_twice() -> None:
    client, server = read(f"curl-7.88.1-{SERVE}-skew-date-sent-twice.trace-ascii-time.txt")
    assert client.logged_at == "00:29:19.238660"
    assert (server.status, server.details["reason"]) == (400, "Bad Request")
    assert server.error_code == "InvalidRequest"
    assert server.error_message == (
        "the request cannot be verified: header x-amz-date: sent 2 times; send it once"
    )


# --- raw responses and bodies alone ---------------------------------------------------------


def _raw_response(name: str) -> bytes:
    """The response of a curl -v capture as the bytes on the wire: `< ` lines with CRLF, the
    blank line, then the body curl wrote to stdout."""
    text = data(name).decode()
    head = [line[2:].rstrip("\r") for line in text.split("\n") if line.startswith("< ")]
    body = text[text.index("<?xml") :]
    return ("\r\n".join(head[:-1]) + "\r\n\r\n" + body).encode()


def test_raw_http_response() -> None:
    raw = _raw_response(f"curl-7.88.1-{RGW}-wrong-secret.verbose.txt")
    assert detect_format(raw) == "http"
    (obs,) = read_source(raw, name="resp.txt")
    assert (obs.source, obs.party, obs.status) == ("raw-http", "server", 403)
    assert obs.error_code == "SignatureDoesNotMatch"
    assert header(obs, "Date") == "Tue, 08 Dec 2026 00:28:54 GMT"
    assert obs.details["RequestId"] == "tx00000c03ed3a238786882-006b174f46-100a-default"
    assert obs.details["reason"] == "Forbidden"
    (again,) = read_source(raw, hint="s3-error")
    assert again == obs
    (later,) = read_source(b"HTTP/1.1 100 Continue\r\n\r\n" + raw)
    assert later.status == 403 and later.where == "response at line 3"


def test_raw_http_response_with_a_bad_header_line() -> None:
    raw = b"HTTP/1.1 403 Forbidden\r\nDate Tue\r\n\r\n"
    with pytest.raises(InputError, match=r"r\.txt line 2: not a response header line"):
        read_source(raw, name="r.txt")


def test_error_body_alone_keeps_every_time_field() -> None:
    text = data(f"curl-7.88.1-{SERVE}-expired-presigned-v4.verbose.txt").decode()
    body = text[text.index("<?xml") :].encode()
    (obs,) = read_source(body)
    assert obs.source == "s3-error" and obs.status is None
    assert {k: obs.details[k] for k in ("X-Amz-Expires", "Expires", "ServerTime")} == {
        "X-Amz-Expires": "1",
        "Expires": "2026-12-08T00:29:13+00:00",
        "ServerTime": "2026-12-08T00:29:15Z",
    }


# JSON error bodies of non-S3 services, in the shapes AWS documents for its JSON protocols
# (``__type`` with a namespace, ``message``/``Message``, the ``x-amzn-ErrorType`` header). No
# local server answers this way (moto answers XML), so these are not captures.
CANONICAL = "GET\n/2015-03-31/functions\n\nhost:lambda.us-east-1.amazonaws.com\n\nhost\nUNSIGNED"
STS = "AWS4-HMAC-SHA256\n20261208T002953Z\n20261208/us-east-1/lambda/aws4_request\nabc"


def test_json_error_bodies() -> None:
    body = b'{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"bad sig"}'
    assert detect_format(body) == "s3-error"
    (obs,) = read_source(body)
    assert (obs.source, obs.party) == ("json-error", "server")
    assert (obs.error_code, obs.error_message) == ("InvalidSignatureException", "bad sig")
    (cap,) = read_source(b'{"Message": "Signature expired", "Code": "X"}')
    assert (cap.error_code, cap.error_message) == ("X", "Signature expired")
    message = (
        "The request signature we calculated does not match the signature you provided.\n\n"
        f"The Canonical String for this request should have been\n'{CANONICAL}'\n\n"
        f"The String-to-Sign should have been\n'{STS}'\n"
    )
    raw = (
        "HTTP/1.1 403 Forbidden\r\nDate: Tue, 08 Dec 2026 00:29:53 GMT\r\n"
        "x-amzn-ErrorType: InvalidSignatureException:http://internal.amazon.com/coral/\r\n"
        "Content-Type: application/json\r\n\r\n" + json.dumps({"message": message})
    ).encode()
    (resp,) = read_source(raw)
    assert resp.status == 403 and resp.error_code == "InvalidSignatureException"
    assert resp.canonical_request == CANONICAL and resp.string_to_sign == STS
    assert resp.credential_scope == "20261208/us-east-1/lambda/aws4_request"
    assert resp.details["body"] == "json-error"
    with pytest.raises(InputError, match="not an error body"):
        read_source(b'{"a": 1}', hint="s3-error")


def test_json_answer_in_a_log() -> None:
    """The moto capture with its body and error-type header replaced by the JSON shape of a
    REST-JSON service (Lambda): the code comes from ``x-amzn-ErrorType``."""
    name = "awscli-1.45.11-moto-5.2.1-lambda-wrong-secret.debug.log"
    text = data(name).decode()
    body_line = next(line for line in text.split("\n") if line.startswith("b'<?xml"))
    kind = "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/"
    text = text.replace(body_line, "b'" + json.dumps({"message": "bad sig"}) + "'", 1)
    text = text.replace("'status': '403', ", f"'status': '403', 'x-amzn-ErrorType': b'{kind}', ", 1)
    _client, server = read_source(text.encode(), name=name)
    assert (server.status, server.error_code, server.error_message) == (
        403,
        "InvalidSignatureException",
        "bad sig",
    )
    assert header(server, "x-amzn-ErrorType") == kind
    assert server.details["body"] == "json-error"


# --- bad input ------------------------------------------------------------------------------


def test_truncated_response_headers_name_the_line() -> None:
    name = f"awscli-1.45.11-{RGW}-wrong-secret.debug.log"
    text = data(name).decode()
    cut = text.replace("'Connection': 'Keep-Alive'}", "'Connection': 'Keep-Al", 1)
    with pytest.raises(InputError, match=r"x\.log line 108: Response headers do not parse"):
        read_source(cut.encode(), name="x.log")


def test_cut_off_log_body_is_noise_and_the_code_still_counts() -> None:
    name = f"awscli-1.45.11-{RGW}-wrong-secret.debug.log"
    text = data(name).decode()
    end = text.index("<Message></Message>")
    client, server = read_source(text[:end].encode(), name=name)
    assert client.canonical_request is not None
    assert (server.status, server.error_code) == (403, "SignatureDoesNotMatch")
    assert server.details["body_note"] == "the response body is cut off; not read"


def test_garbled_log_body_names_the_line() -> None:
    name = f"awscli-1.45.11-{RGW}-wrong-secret.debug.log"
    text = data(name).decode().replace("</Code><Message>", "</Cod><Message>", 1)
    with pytest.raises(InputError, match=r"response body\) line 110: XML error body does not"):
        read_source(text.encode(), name=name)


def test_binary_in_a_log_names_the_line() -> None:
    raw = data(f"awscli-1.45.11-{RGW}-wrong-secret.debug.log").replace(b"<Code>", b"\x00", 1)
    with pytest.raises(InputError, match=r"line 110: binary input"):
        read_source(raw, name="x.log")


_PIECES = [
    b"2026-12-08 00:28:24,705 - MainThread - botocore.endpoint - DEBUG - Sending http request: "
    b"<AWSPreparedRequest stream_output=False, method=GET, url=http://h/b, headers={'A': b'x'}>\n",
    b"2026-12-08 00:28:24,705 - MainThread - botocore.auth - DEBUG - Signature:\n" + b"a" * 64,
    b"\n",
    b'2026-12-08 00:28:24,709 - MainThread - urllib3.connectionpool - DEBUG - http://h:80 "GET '
    b'/b HTTP/1.1" 403 213\n',
    b"2026-12-08 00:28:24,709 - MainThread - botocore.parsers - DEBUG - Response headers: "
    b"{'Date': 'Tue, 08 Dec 2026 00:28:24 GMT', 'x': b'\\xff'}\n",
    b"2026-12-08 00:28:24,709 - MainThread - botocore.parsers - DEBUG - Response body:\n",
    b"b'<Error><Code>SignatureDoesNotMatch</Code></Error>'\n",
    b'b\'{"message": "m"}\'\n',
    b"An error occurred (SlowDown) when calling the X operation (reached max retries: 4): m\n",
    b"> GET /b HTTP/1.1\r\n",
    b"< HTTP/1.1 403 Forbidden\r\n",
    b"< Date: Tue, 08 Dec 2026 00:28:54 GMT\r\n",
    b"< \r\n",
    b"00:28:54.342776 <= Recv header, 24 bytes (0x18)\n",
    b"0000: HTTP/1.1 403 Forbidden\n",
    b"00:28:54.342841 <= Recv data, 20 bytes (0x14)\n",
    b"0000: <Error><Code>x</Code>\n",
    b"HTTP/1.1 403 Forbidden\r\n\r\n",
    b'{"__type": "a#B"',
    b"}",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.binary(max_size=8), max_size=12))
def test_answer_shaped_garbage_raises_only_input_error(parts: list[bytes]) -> None:
    with contextlib.suppress(InputError):
        for obs in read_source(b"".join(parts)):
            assert obs.party in ("client", "server")

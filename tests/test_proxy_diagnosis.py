"""The proxy's diagnosis of real exchanges: requests sent to Ceph RGW (the suite's test server)
and RGW's own answers to them, captured byte for byte (request head, status, Date, error body),
each with one slip. The record must name the slip first (the registry's id, certain or likely as
the evidence allows), carry `explain --json`'s findings unchanged, and never show a secret, a
session token or a signature."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sigkit.cli.app import main
from sigkit.credentials import Credentials
from sigkit.debug import causes
from sigkit.http import Request, serialize_request
from sigkit.proxy.diagnosis import Diagnosis, diagnose, log_line, request_of, to_dict, to_json
from sigkit.proxy.hooks import AnswerHead, BodyInfo, Exchange, Refuse, RequestHead
from sigkit.render import redact_data
from sigkit.sigv4.config import EMPTY_SHA256, rules_for
from sigkit.sigv4.signer import sign_v4, sign_v4_query

RGW_KEY = "AKIAS3SERVERTEST0001"  # tests/e2e/s3server.sh's defaults
RGW_SECRET = "s3server-test-secret-key-0123456789abcdef"
RGW = Credentials(RGW_KEY, RGW_SECRET)
HOST = "127.0.0.1:7481"
HELLO_SHA256 = hashlib.sha256(b"hello").hexdigest()


def auth(region: str, signed: str, signature: str) -> tuple[str, str]:
    return (
        "Authorization",
        f"AWS4-HMAC-SHA256 Credential={RGW_KEY}/20261208/{region}/s3/aws4_request, "
        f"SignedHeaders={signed}, Signature={signature}",
    )


def rgw_error(code: str, request_id: str, bucket: str = "") -> bytes:
    """RGW 16's error body, as it sent it (an empty Message; the bucket for NoSuch*)."""
    named = f"<BucketName>{bucket}</BucketName>" if bucket else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{code}</Code><Message></Message>{named}<RequestId>{request_id}</RequestId>"
        "<HostId>100a-default-default</HostId></Error>"
    ).encode()


@dataclass(frozen=True)
class Captured:
    """One request as sent to RGW (Host 127.0.0.1:7481) and RGW's answer."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    answer_headers: tuple[tuple[str, str], ...]
    answer_body: bytes

    def exchange(self, host: str = HOST) -> Exchange:
        head = RequestHead(self.method, self.target, (("Host", host), *self.headers), "http", HOST)
        body = BodyInfo(len(self.body), hashlib.sha256(self.body).hexdigest(), self.body)
        reason = {200: "OK", 403: "Forbidden", 404: "Not Found", 411: "Length Required"}[
            self.status
        ]
        answer = AnswerHead(self.status, reason, self.answer_headers)
        return Exchange(head, body, answer, self.answer_body, started=1796698823.0, elapsed=0.01)


# Signed with sigkit's signer at 2026-12-08T03:00:23Z (the clock-skew case 20 minutes earlier),
# each with its slip: a secret with one character changed, the secret with a trailing newline,
# scope eu-west-1, X-Amz-Date 20 minutes behind, x-amz-meta-late added after signing, the
# Content-Type rewritten with '; charset=utf-8' after signing, a raw '+' signed as %2B (read
# as a space by S3).
CAPTURED = {
    "ok": Captured(
        "GET",
        "/p2-cap-bucket/k",
        (
            ("X-Amz-Date", "20261208T030023Z"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            auth(
                "us-east-1",
                "host;x-amz-content-sha256;x-amz-date",
                "eb90ee4ed3436e1d036a8905895ed8d87ba2fbfae3de4f5afe3cb2d586d53eb2",
            ),
        ),
        b"",
        200,
        (
            ("Content-Length", "5"),
            ("Content-Type", "binary/octet-stream"),
            ("Date", "Tue, 08 Dec 2026 03:00:23 GMT"),
        ),
        b"hello",
    ),
    "nosuchkey": Captured(
        "GET",
        "/p2-cap-bucket/nothere",
        (
            ("X-Amz-Date", "20261208T030023Z"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            auth(
                "us-east-1",
                "host;x-amz-content-sha256;x-amz-date",
                "55c2114fbcd083db90c8245bcd5626b35fc5f852ae06a38d684480a28b015107",
            ),
        ),
        b"",
        404,
        (
            ("Content-Length", "239"),
            ("Content-Type", "application/xml"),
            ("Date", "Tue, 08 Dec 2026 03:00:23 GMT"),
        ),
        rgw_error(
            "NoSuchKey", "tx00000cb9d9608ff575af2-006b1772c7-100a-default", bucket="p2-cap-bucket"
        ),
    ),
    "wrong-secret": Captured(
        "GET",
        "/p2-cap-bucket/k",
        (
            ("X-Amz-Date", "20261208T030023Z"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            auth(
                "us-east-1",
                "host;x-amz-content-sha256;x-amz-date",
                "34cd21cc6a23acc61d8463bb423beadc89449fce2145ab5d55036b15724d883a",
            ),
        ),
        b"",
        403,
        (
            ("Content-Length", "213"),
            ("Content-Type", "application/xml"),
            ("Date", "Tue, 08 Dec 2026 03:00:23 GMT"),
        ),
        rgw_error("SignatureDoesNotMatch", "tx00000ace959f7e480a83d-006b1772c7-100a-default"),
    ),
    "secret-whitespace": Captured(
        "GET",
        "/p2-cap-bucket/k",
        (
            ("X-Amz-Date", "20261208T030023Z"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            auth(
                "us-east-1",
                "host;x-amz-content-sha256;x-amz-date",
                "8720ff03e2feb3b6a50ec6c31fd0e2de2ecf99d6e3900ba0dc252be738ecfed9",
            ),
        ),
        b"",
        403,
        (
            ("Content-Length", "213"),
            ("Content-Type", "application/xml"),
            ("Date", "Tue, 08 Dec 2026 03:00:23 GMT"),
        ),
        rgw_error("SignatureDoesNotMatch", "tx00000030dc5526df4447b-006b1772c7-100a-default"),
    ),
    "region": Captured(
        "GET",
        "/p2-cap-bucket/k",
        (
            ("X-Amz-Date", "20261208T030023Z"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            auth(
                "eu-west-1",
                "host;x-amz-content-sha256;x-amz-date",
                "86440a4e52bdf3f2ee444c63f2494517ad5e14d3b17e7a80e0bd544b1c744ee6",
            ),
        ),
        b"",
        200,
        (
            ("Content-Length", "5"),
            ("Content-Type", "binary/octet-stream"),
            ("Date", "Tue, 08 Dec 2026 03:00:23 GMT"),
        ),
        b"hello",
    ),
    "clock-skew": Captured(
        "GET",
        "/p2-cap-bucket/k",
        (
            ("X-Amz-Date", "20261208T024023Z"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            auth(
                "us-east-1",
                "host;x-amz-content-sha256;x-amz-date",
                "9f2e7424c15d5d113863b1a46edc703f2f1d9ea78b7be740d105c2cbc7cec98a",
            ),
        ),
        b"",
        403,
        (
            ("Content-Length", "212"),
            ("Content-Type", "application/xml"),
            ("Date", "Tue, 08 Dec 2026 03:00:23 GMT"),
        ),
        rgw_error("RequestTimeTooSkewed", "tx00000ff8ae2d0703a1a06-006b1772c7-100a-default"),
    ),
    "unsigned-header": Captured(
        "GET",
        "/p2-cap-bucket/k",
        (
            ("X-Amz-Date", "20261208T030023Z"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            auth(
                "us-east-1",
                "host;x-amz-content-sha256;x-amz-date",
                "eb90ee4ed3436e1d036a8905895ed8d87ba2fbfae3de4f5afe3cb2d586d53eb2",
            ),
            ("x-amz-meta-late", "1"),
        ),
        b"",
        200,
        (
            ("Content-Length", "5"),
            ("Content-Type", "binary/octet-stream"),
            ("Date", "Tue, 08 Dec 2026 03:00:23 GMT"),
        ),
        b"hello",
    ),
    "header-changed": Captured(
        "PUT",
        "/p2-cap-bucket/k",
        (
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", "5"),
            ("X-Amz-Date", "20261208T030023Z"),
            ("x-amz-content-sha256", HELLO_SHA256),
            auth(
                "us-east-1",
                "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
                "cac8ba9054bacf6fa8fd1de3a8fdc9f91ce076d5fdfa78dd858635047c746150",
            ),
        ),
        b"hello",
        403,
        (
            ("Content-Length", "213"),
            ("Content-Type", "application/xml"),
            ("Date", "Tue, 08 Dec 2026 03:00:23 GMT"),
        ),
        rgw_error("SignatureDoesNotMatch", "tx00000157823a12ef648db-006b1772c7-100a-default"),
    ),
    "plus": Captured(
        "GET",
        "/p2-cap-bucket?prefix=a+b&list-type=2",
        (
            ("X-Amz-Date", "20261208T030023Z"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            auth(
                "us-east-1",
                "host;x-amz-content-sha256;x-amz-date",
                "c0d9d6c005469dc5fe950af7047abf84e79a91d917a3e3508e1c8a8710e55e5e",
            ),
        ),
        b"",
        403,
        (
            ("Content-Length", "213"),
            ("Content-Type", "application/xml"),
            ("Date", "Tue, 08 Dec 2026 03:00:23 GMT"),
        ),
        rgw_error("SignatureDoesNotMatch", "tx00000e48f5c7d6dc8b15b-006b1772c7-100a-default"),
    ),
}

SIGNED_AT = datetime(2026, 12, 8, 3, 0, 23, tzinfo=UTC)

# Each refused case: RGW's status and code, the verdict, the cause named first, and whether
# the evidence makes it certain (wrong-secret is what remains when no variant reproduces the
# signature: likely, never certain).
REFUSED = {
    "wrong-secret": (403, "SignatureDoesNotMatch", "wrong-secret", False),
    "secret-whitespace": (403, "SignatureDoesNotMatch", "secret-whitespace", True),
    "clock-skew": (403, "RequestTimeTooSkewed", "clock-skew", True),
    "header-changed": (403, "SignatureDoesNotMatch", "header-changed", True),
    "plus": (403, "SignatureDoesNotMatch", "query-encoding", True),
}


def line_head(case: Captured, code: str) -> str:
    return f"- {case.method} {case.target} {case.status} {code}"


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusal_names_the_slip_first(name: str) -> None:
    case = CAPTURED[name]
    status, code, cause, certain = REFUSED[name]
    record = diagnose(case.exchange(), credentials=[RGW])
    assert (record.status, record.code, record.verdict) == (status, code, "mismatch")
    top = record.findings[0]
    assert (top.cause, top.certain) == (cause, certain)
    label = "certain" if certain else "likely"
    assert log_line(record).startswith(
        f"{line_head(case, code)} cause: {cause} ({label}); fix: {causes.fix(cause)}"
    )


def test_accepted_request_verified_cheaply() -> None:
    record = diagnose(CAPTURED["ok"].exchange(), credentials=[RGW])
    assert (record.verdict, record.findings, record.report) == ("match", (), None)
    assert log_line(record) == "- GET /p2-cap-bucket/k 200 -"
    assert "the signature verifies with the secret given" in record.notes


def test_accepted_but_unsigned_header() -> None:
    """RGW accepted an x-amz-meta-* header added after signing; S3 refuses it (AccessDenied,
    HeadersNotSigned): the proxy says so on the accepted request."""
    case = CAPTURED["unsigned-header"]
    record = diagnose(case.exchange(), credentials=[RGW])
    assert record.verdict == "mismatch"
    assert [(f.cause, f.certain) for f in record.findings] == [("unsigned-header", True)]
    assert log_line(record) == (
        f"- GET /p2-cap-bucket/k 200 - accepted, but: unsigned-header (certain); fix: "
        f"{causes.fix('unsigned-header')}"
    )
    # Without the secret, the request's own SignedHeaders show it (likely).
    bare = diagnose(case.exchange())
    assert [(f.cause, f.certain) for f in bare.findings] == [("unsigned-header", False)]
    assert bare.shows["unsigned_amz_headers"] == ["x-amz-meta-late"]


def test_region_named_when_the_store_region_is_known() -> None:
    """RGW accepts any region; given the store's (--region), a scope for another is named."""
    exchange = CAPTURED["region"].exchange()
    assert diagnose(exchange, credentials=[RGW]).findings == ()
    record = diagnose(exchange, credentials=[RGW], region="us-east-1")
    assert [(f.cause, f.certain) for f in record.findings] == [("region", True)]


def test_refusal_for_another_reason_than_signing() -> None:
    record = diagnose(CAPTURED["nosuchkey"].exchange(), credentials=[RGW])
    assert (record.code, record.verdict, record.findings) == ("NoSuchKey", "refused", ())
    assert log_line(record) == (
        "- GET /p2-cap-bucket/nothere 404 NoSuchKey signature verifies: refused for another "
        "reason than its signature"
    )


def test_without_credentials_the_answer_and_the_request_still_speak() -> None:
    skew = diagnose(CAPTURED["clock-skew"].exchange())
    assert (skew.findings[0].cause, skew.findings[0].certain) == ("clock-skew", True)
    assert skew.shows["skew_seconds"] == -1200  # X-Amz-Date against RGW's Date header
    wrong = diagnose(CAPTURED["wrong-secret"].exchange())
    assert (wrong.verdict, wrong.findings) == ("refused", ())
    line = log_line(wrong)
    assert line.startswith(
        "- GET /p2-cap-bucket/k 403 SignatureDoesNotMatch cause: not determined; to tell more: "
        "give --secret-key"
    )
    assert line.endswith("the request: AWS4-HMAC-SHA256 header; signed +0 s from the store's time")


def test_credentials_for_another_key_are_not_used() -> None:
    other = Credentials("AKIDOTHERKEY00000001", "another-secret-entirely")
    record = diagnose(CAPTURED["secret-whitespace"].exchange(), credentials=[other])
    assert record.verdict == "refused" and record.findings == ()
    assert f"no credentials at hand for access key {RGW_KEY}: not verified" in record.notes
    several = diagnose(CAPTURED["secret-whitespace"].exchange(), credentials=[other, RGW])
    assert several.findings[0].cause == "secret-whitespace"


def _explain_json(case: Captured, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> object:
    """`sigkit explain --json` on the same request (raw) and answer (raw response)."""
    path, _, query = case.target.partition("?")
    request = Request(
        case.method, path, query or None, (("Host", HOST), *case.headers), case.body or None,
        scheme="http",
    )  # fmt: skip
    (tmp_path / "request.txt").write_bytes(serialize_request(request))
    head = "".join(f"{n}: {v}\r\n" for n, v in case.answer_headers)
    reason = {403: "Forbidden", 404: "Not Found"}[case.status]
    response = f"HTTP/1.1 {case.status} {reason}\r\n{head}\r\n".encode() + case.answer_body
    (tmp_path / "answer.txt").write_bytes(response)
    capsys.readouterr()
    code = main(
        [
            "explain", str(tmp_path / "request.txt"), "--also", str(tmp_path / "answer.txt"),
            "--access-key", RGW_KEY, "--secret-key", RGW_SECRET, "--json",
        ]
    )  # fmt: skip
    assert code == 1
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_json_findings_are_explains(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = CAPTURED[name]
    record = diagnose(case.exchange(), credentials=[RGW])
    data = json.loads(to_json(record))
    assert "\n" not in to_json(record)
    explained = _explain_json(case, tmp_path, capsys)
    assert isinstance(explained, dict)
    # The same objects; the proxy masks the signature the client sent, as it does everywhere.
    sent = dict(case.headers)["Authorization"].rsplit("Signature=", 1)[1]
    assert data["findings"] == redact_data(explained["findings"], [sent])
    assert data["verdict"] == explained["verdict"] == "mismatch"
    assert (data["method"], data["target"], data["status"]) == (
        case.method,
        case.target,
        case.status,
    )
    assert data["code"] == REFUSED[name][1]


def test_observer_writes_one_json_line() -> None:
    lines: list[str] = []
    observer = Diagnosis(credentials=[RGW], as_json=True, write=lines.append)
    observer.observe(CAPTURED["clock-skew"].exchange())
    observer.observe(CAPTURED["ok"].exchange())
    first, second = (json.loads(line) for line in lines)
    assert {"method", "target", "status", "code", "verdict", "findings"} <= set(first)
    assert first["findings"][0]["cause"] == "clock-skew"
    assert {"cause", "title", "evidence", "fix", "certain"} <= set(first["findings"][0])
    assert (second["status"], second["code"], second["verdict"], second["findings"]) == (
        200,
        None,
        "match",
        [],
    )


# -- secrets ---------------------------------------------------------------------------------
TOKEN = "IQoJb3JpZ2luX2VjPROXYTEST/token+with=slash"


def _forbidden(*signatures: str) -> list[str]:
    return [RGW_SECRET, TOKEN, TOKEN.replace("/", "%2F").replace("+", "%2B"), *signatures]


def test_no_secret_token_or_signature_in_the_line_or_json() -> None:
    """A presigned URL carrying a session token, refused; and a header-signed request with a
    token: neither rendering shows the secret, the token, or any signature."""
    creds = Credentials(RGW_KEY, RGW_SECRET, TOKEN)
    wrong = Credentials(RGW_KEY, RGW_SECRET + "\n", TOKEN)
    config = rules_for("s3", "us-east-1", variant="query", expires=600)
    url = Request.from_url("GET", f"http://{HOST}/p2-cap-bucket/k")
    presigned = sign_v4_query(url, wrong, SIGNED_AT, config)
    header = sign_v4(url, wrong, SIGNED_AT, rules_for("s3", "us-east-1"))
    answer = CAPTURED["wrong-secret"]
    for signed in (presigned, header):
        request = signed.request
        head = RequestHead("GET", request.target, request.headers, "http", HOST)
        exchange = Exchange(
            head, BodyInfo(0, EMPTY_SHA256, b""),
            AnswerHead(403, "Forbidden", answer.answer_headers), answer.answer_body,
            started=SIGNED_AT.timestamp(),
        )  # fmt: skip
        record = diagnose(exchange, credentials=[creds], verify_all=True)
        assert record.findings[0].cause == "secret-whitespace"
        rendered = log_line(record) + "\n" + to_json(record)
        correct = sign_v4(url, creds, SIGNED_AT, rules_for("s3", "us-east-1")).signature
        leaked = [s for s in _forbidden(signed.signature, correct) if s in rendered]
        assert leaked == []


# -- the proxy's own answers -----------------------------------------------------------------
def test_a_request_the_proxy_refused_is_explained_with_the_client_keys() -> None:
    client = Credentials("AKIDPROXYCLIENT00001", "proxy-client-secret/abc+def")
    slipped = Credentials(client.access_key_id, client.secret_access_key + "\n")
    url = Request.from_url("GET", "http://127.0.0.1:8401/b/k")
    request = sign_v4(url, slipped, SIGNED_AT, rules_for("s3", "us-east-1")).request
    refuse = Refuse(403, "SignatureDoesNotMatch", "The request signature we calculated ...")
    exchange = Exchange(
        RequestHead("GET", request.target, request.headers, "http", HOST),
        BodyInfo(0, EMPTY_SHA256, b""),
        AnswerHead(403, "SignatureDoesNotMatch", ()),
        refuse.xml(),
        error=refuse.message,
        started=SIGNED_AT.timestamp(),
        refused=True,
    )
    record = diagnose(exchange, credentials=[RGW], client_credentials=[client])
    assert (record.status, record.code, record.refused_by_proxy) == (
        403,
        "SignatureDoesNotMatch",
        True,
    )
    assert (record.findings[0].cause, record.findings[0].certain) == ("secret-whitespace", True)
    # The log line names that cause first, as for a store's refusal.
    assert log_line(record).startswith(
        "- GET /b/k 403 SignatureDoesNotMatch cause: secret-whitespace (certain); fix: "
    ), log_line(record)


def test_store_down_is_no_data() -> None:
    exchange = Exchange(
        RequestHead("GET", "/b/k", (("Host", HOST),), "http", HOST),
        BodyInfo(),
        AnswerHead(502, "BadGateway", ()),
        error="cannot connect to 127.0.0.1:7481: connection refused",
        started=SIGNED_AT.timestamp(),
    )
    record = diagnose(exchange, credentials=[RGW])
    assert record.verdict == "no-data"
    assert log_line(record) == (
        "- GET /b/k 502 BadGateway proxy: cannot connect to 127.0.0.1:7481: connection refused"
    )
    assert to_dict(record)["error"] == exchange.error


# -- bodies the proxy did not keep -----------------------------------------------------------
def _api_post(body: bytes) -> Request:
    url = Request.from_url(
        "POST", "http://127.0.0.1:8401/prod/items", (("Content-Type", "application/json"),), body
    )
    config = rules_for("execute-api", "eu-west-1")
    return sign_v4(url, RGW, SIGNED_AT, config).request


@pytest.mark.parametrize("size", [10, 200_000])
def test_large_body_of_another_service_is_verified_by_its_hash(size: int) -> None:
    """An API Gateway request signs the body's hash without x-amz-content-sha256: a body the
    proxy kept whole is hashed; a larger one is verified from the hash taken while streaming
    (and a body that changed on the way does not verify)."""
    body = b"x" * size
    request = _api_post(body)
    head = RequestHead("POST", request.target, request.headers, "http", HOST)
    answer = AnswerHead(200, "OK", (("Date", "Tue, 08 Dec 2026 03:00:30 GMT"),))
    prefix = body[: 64 * 1024]
    right = BodyInfo(size, hashlib.sha256(body).hexdigest(), prefix)
    record = diagnose(Exchange(head, right, answer), credentials=[RGW], verify_all=True)
    assert record.verdict == "match"
    changed = BodyInfo(size, hashlib.sha256(body + b"!").hexdigest(), prefix)
    if size > len(prefix):
        other = diagnose(Exchange(head, changed, answer), credentials=[RGW], verify_all=True)
        assert other.verdict == "mismatch"


def test_request_of_absolute_form_and_utf8_header() -> None:
    """Forward mode sends absolute-form targets; header bytes arrive latin-1 decoded."""
    value = "caf\u00e9".encode().decode("latin-1")
    head = RequestHead(
        "GET",
        "http://s3.example:9000/b/k?x=1",
        (("x-amz-meta-n", value),),
        "http",
        "s3.example:9000",
    )
    request = request_of(head, None)
    assert (request.path, request.query, request.host) == ("/b/k", "x=1", "s3.example:9000")
    assert request.header("x-amz-meta-n") == "caf\u00e9"


def test_store_failure_is_no_verdict() -> None:
    """A 503 SlowDown (S3's throttling) is the store's trouble, not the request's."""
    case = CAPTURED["ok"]
    body = (
        b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
    )
    exchange = case.exchange()
    exchange.answer = AnswerHead(503, "Service Unavailable", case.answer_headers)
    exchange.answer_body_prefix = body
    record = diagnose(exchange, credentials=[RGW])
    assert (record.code, record.findings) == ("SlowDown", ())
    assert log_line(record) == (
        "- GET /p2-cap-bucket/k 503 SlowDown the store failed: no verdict on the signature"
    )


# A PUT sent with Transfer-Encoding: chunked (no Content-Length) and RGW's answer to it.
CHUNKED_PUT = Captured(
    "PUT",
    "/p2-cap-bucket/chunked",
    (
        ("Transfer-Encoding", "chunked"),
        ("X-Amz-Date", "20261208T040225Z"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        (
            "Authorization",
            f"AWS4-HMAC-SHA256 Credential={RGW_KEY}/20261208/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=c6edd6116b8bdc655d976696cb5e29f33903d43a1cbde8d93c7c03c17d28c45d",
        ),
    ),
    b"hello",
    411,
    (
        ("Content-Length", "250"),
        ("Content-Type", "application/xml"),
        ("Date", "Tue, 08 Dec 2026 04:02:25 GMT"),
    ),
    rgw_error(
        "MissingContentLength", "tx00000b14f9f157f6ebfc7-006b178151-100a-default", "p2-cap-bucket"
    ),
)


@pytest.mark.parametrize("store", [None, "ceph"])
def test_a_store_refusal_of_the_checksum_era(store: str | None) -> None:
    """RGW refuses a PUT without Content-Length (411 MissingContentLength); the store profile,
    when given, is passed on to the investigation."""
    exchange = CHUNKED_PUT.exchange()
    exchange.answer = AnswerHead(411, "Length Required", CHUNKED_PUT.answer_headers)
    record = diagnose(exchange, credentials=[RGW], store=store)
    assert (record.status, record.code) == (411, "MissingContentLength")
    assert (record.findings[0].cause, record.findings[0].certain) == (
        "content-length-chunked",
        True,
    )
    profiled = "Ceph Object Gateway (RGW) needs the length (store profile ceph)"
    assert (profiled in record.findings[0].evidence) == (store == "ceph")


def test_a_bodiless_404_to_a_head_names_no_signature_cause() -> None:
    """RGW's answer (headers as captured) to a HEAD of a missing key, signed right: S3 looks
    a key up only after the signature passed, so no wrong-secret guess."""
    url = Request.from_url("HEAD", f"http://{HOST}/r1-slips/nope")
    signed = sign_v4(url, RGW, SIGNED_AT, rules_for("s3", "us-east-1")).request
    answer = AnswerHead(
        404,
        "Not Found",
        (
            ("Content-Length", "234"),
            ("x-amz-request-id", "tx0000079958595a8962451-006b178827-100a-default"),
            ("Accept-Ranges", "bytes"),
            ("Content-Type", "application/xml"),
            ("Date", SIGNED_AT.strftime("%a, %d %b %Y %H:%M:%S GMT")),
            ("Connection", "Keep-Alive"),
        ),
    )
    exchange = Exchange(
        RequestHead("HEAD", signed.target, signed.headers, "http", HOST),
        BodyInfo(0, EMPTY_SHA256, b""),
        answer,
        b"",
        started=SIGNED_AT.timestamp(),
    )
    for verify_all in (False, True):
        record = diagnose(exchange, credentials=[RGW], verify_all=verify_all)
        assert (record.verdict, record.findings) == ("match", ())
        assert log_line(record) == (
            "- HEAD /r1-slips/nope 404 - the store took the signature: refused for another "
            "reason than it"
        )
    wrong = Credentials(RGW_KEY, RGW_SECRET + "x")
    assert diagnose(exchange, credentials=[wrong]).verdict == "mismatch"


def test_accepted_wrong_region_is_named_without_a_secret_when_the_region_is_given() -> None:
    """Ceph RGW accepts a request signed for another region; AWS S3 refuses it. Without the
    secret the scope's region is still compared with --region."""
    url = Request.from_url("GET", f"http://{HOST}/r1-slips?list-type=2")
    signed = sign_v4(url, RGW, SIGNED_AT, rules_for("s3", "eu-west-1")).request
    date = SIGNED_AT.strftime("%a, %d %b %Y %H:%M:%S GMT")
    exchange = Exchange(
        RequestHead("GET", signed.target, signed.headers, "http", HOST),
        BodyInfo(0, EMPTY_SHA256, b""),
        AnswerHead(200, "OK", (("Content-Length", "0"), ("Date", date))),
        b"",
        started=SIGNED_AT.timestamp(),
    )
    record = diagnose(exchange, region="us-east-1")
    assert [(f.cause, f.certain) for f in record.findings] == [("region", True)]
    assert record.findings[0].evidence == (
        "signed for region 'eu-west-1'; the store's region is 'us-east-1' (--region)"
    )
    assert " 200 - accepted, but: region (certain); fix: " in log_line(record)
    assert diagnose(exchange, region="eu-west-1").findings == ()
    assert diagnose(exchange).findings == ()

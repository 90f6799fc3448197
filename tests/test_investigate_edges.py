"""Edges a reviewer and an independent fault probe found in the investigation, each pinned.

Requests are signed by botocore 1.43 (the oracle), answers are what S3 documents for the case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from sigkit.cli.app import main
from sigkit.debug.investigate import investigate

KEY, SECRET = "AKIDEDGES0000000001", "edges/Secret+Key0123456789abcdefghijklm"
STAMP = "20261208T120000Z"


def botocore_get(key: str = KEY, secret: str = SECRET, token: str | None = None) -> bytes:
    """A GET signed by botocore at STAMP, as raw HTTP bytes (Host first)."""
    from unittest import mock

    from sigkit.timefmt import parse_time

    request = AWSRequest(method="GET", url="http://127.0.0.1:9000/bucket/key.txt")
    moment = parse_time(STAMP).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", lambda *a, **k: moment):
        S3SigV4Auth(BotoCredentials(key, secret, token), "s3", "us-east-1").add_auth(request)
    lines = ["GET /bucket/key.txt HTTP/1.1", "Host: 127.0.0.1:9000"]
    lines += [f"{n}: {v}" for n, v in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_301_redirect_is_a_refusal_naming_the_region() -> None:
    answer = (
        b"HTTP/1.1 301 Moved Permanently\r\nx-amz-bucket-region: eu-west-1\r\n"
        b"Date: Tue, 08 Dec 2026 12:00:00 GMT\r\nContent-Length: 0\r\n\r\n"
    )
    report = investigate(botocore_get(), answer, secret=SECRET)
    assert report.verdict == "mismatch"
    assert report.findings[0].cause == "region"
    assert "eu-west-1" in report.findings[0].evidence


def test_a_trailing_line_break_after_a_saved_head_is_no_body() -> None:
    raw = botocore_get() + b"\n"  # an editor's final newline
    report = investigate(raw, secret=SECRET, now=None)
    assert report.verdict == "match", report.render_text()


def test_credentials_for_another_key_do_not_make_up_an_unknown_key() -> None:
    from sigkit.credentials import Credentials

    other = Credentials("AKIAOTHERKEY0000000", "other-secret-0123456789")
    report = investigate(botocore_get(), credentials=other)
    assert all(f.cause != "unknown-access-key" for f in report.findings)
    assert any(KEY in need for need in report.needs)


def test_an_asia_key_without_its_token_is_refused() -> None:
    raw = botocore_get(key="ASIAEDGES0000000001")
    report = investigate(raw, secret=SECRET)
    assert report.verdict == "mismatch"
    assert report.findings[0].cause == "session-token"
    assert report.findings[0].certain


def test_the_secret_is_never_echoed_in_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    request = tmp_path / "r.http"
    request.write_bytes(botocore_get())
    hostile = "SECRETabcdefghijk\udcff"  # a byte that is not UTF-8, as argv delivers it
    code, out, err = run(capsys, "verify", str(request), "--secret-key", hostile)
    assert code == 2
    assert "SECRETabcdefghijk" not in out + err
    assert "--secret-key" in err


def test_secret_whitespace_evidence_names_no_character_of_the_secret(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    request = tmp_path / "r.http"
    request.write_bytes(botocore_get())
    padded = "Qx9" + SECRET + " "
    code, out, _ = run(
        capsys, "diff", str(request), "--ours", "--secret-key", padded, "--access-key", KEY,
        "--json",
    )  # fmt: skip
    doc = json.loads(out)
    assert code == 1
    text = json.dumps(doc)
    assert "Qx" not in text and SECRET[:6] not in text


def test_a_presigned_url_alone_that_signs_headers_is_not_verified() -> None:
    from botocore.auth import S3SigV4QueryAuth

    request = AWSRequest(
        method="PUT",
        url="http://127.0.0.1:9000/bucket/up.txt",
        headers={"Content-Type": "text/plain"},
    )
    S3SigV4QueryAuth(BotoCredentials(KEY, SECRET), "s3", "us-east-1", expires=600).add_auth(request)
    url = request.prepare().url
    report = investigate(url, secret=SECRET)
    assert report.verdict != "match"
    assert all(f.cause != "unsigned-header" or not f.certain for f in report.findings)
    assert any("content-type" in need for need in report.needs)


def test_an_aws_shaped_error_body_alone_with_the_secret_is_searched() -> None:
    # sigkit serve's answer to curl 7.88.1 `--aws-sigv4 ... "http://.../b?prefix=a+b"` (with
    # x-amz-content-sha256: UNSIGNED-PAYLOAD), kept to AWS's own elements: CanonicalRequest,
    # StringToSign, SignatureProvided, AWSAccessKeyId. No request as sent is given.
    body = (
        Path(__file__).parent
        / "fixtures"
        / "investigate"
        / "sigkit-serve-answer-aws-elements-curl-7.88.1-plus-in-query.xml"
    ).read_bytes()
    report = investigate(body, secret="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    assert report.verdict == "mismatch"
    assert report.findings[0].cause == "query-encoding"
    assert report.findings[0].certain
    assert [f.cause for f in report.findings] == ["query-encoding"]


def test_diff_ours_on_a_request_that_cannot_be_recomputed_still_says_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # curl 7.88.1 against RGW with `-H x-amz-date: <40 min ago>`: curl sends X-Amz-Date twice,
    # so the request cannot be recomputed; RGW's answer (in the trace) is RequestTimeTooSkewed.
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    trace = (
        Path(__file__).parent
        / "fixtures"
        / "debug"
        / "curl-7.88.1-rgw-16.2.15-skew-40min.trace-ascii-time.txt"
    )
    secret = "s3server-test-secret-key-0123456789abcdef"
    code, out, _ = run(capsys, "diff", str(trace), "--ours", "--secret-key", secret, "--json")
    doc = json.loads(out)
    assert code == 1
    assert doc["verdict"] == "mismatch"
    assert doc["findings"][0]["cause"] == "clock-skew"


def test_a_bodiless_404_is_a_refusal_past_the_signature() -> None:
    """A HEAD of a missing key: RGW and S3 answer 404 with no body, and only once the signature
    passed (they authenticate before looking the key up). With the right secret this is no
    signing failure and no 'another secret' guess; it is still never a match."""
    from datetime import UTC, datetime

    from sigkit import Credentials, Request, sign_v4
    from sigkit.debug.investigate import investigate
    from sigkit.http import serialize_request
    from sigkit.sigv4.config import rules_for

    now = datetime(2026, 12, 8, 4, 0, tzinfo=UTC)
    creds = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    head = Request.from_url("HEAD", "http://127.0.0.1:7480/b/missing")
    sent = serialize_request(sign_v4(head, creds, now, rules_for("s3", "us-east-1")).request)
    answer = (
        b"HTTP/1.1 404 Not Found\r\nDate: Tue, 08 Dec 2026 04:00:00 GMT\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    report = investigate(sent, answer, now=now, credentials=creds)
    assert (report.verdict, report.findings, report.needs) == ("refused", (), ())
    assert "after its signature passed" in report.message
    # a 403 with no body stays a possible signing refusal: the other-secret guess is kept
    forbidden = answer.replace(b"404 Not Found", b"403 Forbidden")
    report = investigate(sent, forbidden, now=now, credentials=creds)
    assert [(f.cause, f.certain) for f in report.findings] == [("wrong-secret", False)]


def test_s3s_answer_to_a_v2_signature_in_a_v4_only_region_names_the_version() -> None:
    """S3's answer to S3 V2 in a region opened after 2014 (eu-central-1 and later), as the
    AWS SDK and CLI issue threads quote it."""
    from sigkit.debug.investigate import investigate

    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidRequest</Code><Message>The '
        "authorization mechanism you have provided is not supported. Please use "
        "AWS4-HMAC-SHA256.</Message><RequestId>8E6B1C0A2D3F4E5A</RequestId></Error>"
    )
    report = investigate(body)
    assert report.verdict != "match"
    assert [f.cause for f in report.findings][:1] == ["signature-version"]


def test_a_reports_repr_holds_no_token_or_signature() -> None:
    """A Report ends up in exceptions (SigningRefused) and their tracebacks: its repr says the
    verdict and causes, never the sources' session token or signature."""
    from datetime import UTC, datetime

    from sigkit import Credentials, Request, sign_v4
    from sigkit.debug.investigate import investigate
    from sigkit.http import serialize_request
    from sigkit.sigv4.config import rules_for

    now = datetime(2026, 12, 8, 4, 0, tzinfo=UTC)
    token = "FwoGZXIvYXdzEBYaDTOKENVALUE0123456789"
    creds = Credentials("ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", token)
    signed = sign_v4(Request.from_url("GET", "http://127.0.0.1:7480/b/k"), creds, now,
                     rules_for("s3", "us-east-1"))  # fmt: skip
    body = b"<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>"
    answer = b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    other = Credentials(creds.access_key_id, "another-secret", token)
    report = investigate(serialize_request(signed.request), answer, now=now, credentials=other)
    shown = repr(report) + repr(report.ours) + repr(report.theirs)
    assert report.verdict == "mismatch"
    assert token not in shown and signed.signature not in shown
    assert repr(report) == "Report(verdict='mismatch', findings=[wrong-secret?])"


def test_a_raw_plus_in_a_refused_query_is_likely_without_the_secret() -> None:
    """The request was signed with prefix=a%2Bb and sent with a raw '+' (S3 reads it as a
    space): without the secret the slip is likely; with it the variant search proves it."""
    from datetime import UTC, datetime

    from sigkit import Credentials, Request, sign_v4
    from sigkit.debug.investigate import investigate
    from sigkit.http import serialize_request
    from sigkit.sigv4.config import rules_for

    now = datetime(2026, 12, 8, 4, 0, tzinfo=UTC)
    creds = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    url = "http://127.0.0.1:7480/b?prefix=a%2Bb"
    signed = sign_v4(Request.from_url("GET", url), creds, now, rules_for("s3", "us-east-1"))
    sent = serialize_request(signed.request).replace(b"prefix=a%2Bb", b"prefix=a+b")
    body = b"<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>"
    answer = b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    alone = investigate(sent, answer, now=now)
    assert [(f.cause, f.certain) for f in alone.findings] == [("query-encoding", False)]
    proved = investigate(sent, answer, now=now, credentials=creds)
    assert [(f.cause, f.certain) for f in proved.findings][:1] == [("query-encoding", True)]

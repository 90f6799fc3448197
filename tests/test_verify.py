"""verify_request against requests signed by botocore (independent of sigkit's signers)."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.auth import (
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
)
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

import sigkit.verify as verify_module
from sigkit.credentials import Credentials
from sigkit.http import Request, serialize_request
from sigkit.verify import verify_request

KEY, SECRET, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en+1=="
CREDS = Credentials(KEY, SECRET)
NOW = datetime.now(UTC).replace(microsecond=0)


def _signed_at(request: Request) -> datetime:
    """When botocore signed it (its own clock): the time checks are relative to that."""
    stamp = request.header("x-amz-date") or dict(
        pair.split("=", 1) for pair in (request.query or "").split("&") if "=" in pair
    ).get("X-Amz-Date")
    if stamp:
        return datetime.strptime(stamp.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    date = request.header("date")
    if date is not None and not date.strip().isdigit():
        return parsedate_to_datetime(date)
    expires = dict(pair.split("=", 1) for pair in (request.query or "").split("&"))["Expires"]
    return datetime.fromtimestamp(int(expires) - 600, UTC)


def _received(prepared: AWSRequest) -> Request:
    """What a server receives: the request line, the headers as sent (plus Host), the body."""
    parts = urlsplit(prepared.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = [(str(n), str(v)) for n, v in prepared.headers.items()]
    if not any(n.lower() == "host" for n, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    path, _, query = target.partition("?")
    body = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode()
    return Request(
        prepared.method,
        path or "/",
        query if "?" in target else None,
        tuple(headers),
        body or None,
        scheme=parts.scheme,
    )


def _boto(
    auth_cls: type,
    url: str,
    method: str = "GET",
    *,
    token: str | None = None,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    **kwargs: object,
) -> Request:
    creds = BotoCredentials(KEY, SECRET, token)
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    if auth_cls in (HmacV1Auth, HmacV1QueryAuth):
        auth = auth_cls(creds, **kwargs)
    elif auth_cls is S3SigV4QueryAuth:
        auth = auth_cls(creds, "s3", "us-east-1", **kwargs)
    else:
        auth = auth_cls(creds, kwargs.pop("service", "s3"), "eu-west-1")
    auth.add_auth(request)
    return _received(request.prepare())


CASES = {
    "s3v4-header": lambda: _boto(S3SigV4Auth, "http://127.0.0.1:9000/bucket/a%20key.txt?acl"),
    "s3v4-put": lambda: _boto(
        S3SigV4Auth,
        "http://127.0.0.1:9000/b/k",
        "PUT",
        body=b"hello",
        headers={"Content-Type": "text/plain", "Range": "bytes=0-1"},
    ),
    "v4-generic": lambda: _boto(
        SigV4Auth,
        "http://127.0.0.1:9000/?Action=ListUsers&Version=2010-05-08",
        "POST",
        body=b"a=1",
        service="iam",
    ),
    "s3v4-query": lambda: _boto(S3SigV4QueryAuth, "http://127.0.0.1:9000/b/k?x=1", expires=600),
    "v2-header": lambda: _boto(HmacV1Auth, "http://127.0.0.1:9000/bucket/key?uploads"),
    "v2-query": lambda: _boto(HmacV1QueryAuth, "http://127.0.0.1:9000/bucket/key", expires=600),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_botocore_signed_requests_match(name: str) -> None:
    request = CASES[name]()
    result = verify_request(request, CREDS, _signed_at(request))
    assert result.verdict == "match", result.to_dict()
    assert result.status == 200 and not result.problems
    assert result.result is not None and "string_to_sign" in result.result


@pytest.mark.parametrize("auth_cls", [S3SigV4Auth, S3SigV4QueryAuth, HmacV1Auth, HmacV1QueryAuth])
def test_session_token(auth_cls: type) -> None:
    kwargs = {"expires": 600} if "Query" in auth_cls.__name__ else {}
    request = _boto(auth_cls, "http://127.0.0.1:9000/b/k", token=TOKEN, **kwargs)
    good = verify_request(request, Credentials(KEY, SECRET, TOKEN), _signed_at(request))
    assert good.verdict == "match", good.to_dict()
    wrong = verify_request(request, Credentials(KEY, SECRET, "other"), _signed_at(request))
    assert wrong.verdict == "mismatch" and wrong.problems[0].cause == "session-token"
    unsigned = _boto(auth_cls, "http://127.0.0.1:9000/b/k", **kwargs)
    missing = verify_request(unsigned, Credentials(KEY, SECRET, TOKEN), _signed_at(unsigned))
    assert missing.error_code == "InvalidToken"


def _with_header(request: Request, name: str, value: str) -> Request:
    headers = tuple((n, value if n.lower() == name else v) for n, v in request.headers)
    if headers == request.headers:
        headers += ((name, value),)
    return Request(
        request.method,
        request.path,
        request.query,
        headers,
        request.body,
        request.scheme,
        request.authority,
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_tampering_is_a_mismatch(name: str) -> None:
    request = CASES[name]()
    # a signed header changed (V4: host; V2: the date line)
    changed = _with_header(request, "date" if name == "v2-header" else "host", "evil:1")
    if name == "v2-query":
        changed = request.with_query((request.query or "") + "&acl")  # a sub-resource added
    elif name != "v2-header":
        pass
    result = verify_request(changed, CREDS, _signed_at(request))
    assert result.verdict == "mismatch"
    if name not in ("v2-header",):
        assert result.error_code == "SignatureDoesNotMatch", result.to_dict()
    if name.startswith(("s3v4", "v4")):
        added = request.with_query((request.query + "&" if request.query else "") + "extra=1")
        assert (
            verify_request(added, CREDS, _signed_at(request)).error_code == "SignatureDoesNotMatch"
        )
    wrong = verify_request(request, Credentials(KEY, SECRET + "x"), _signed_at(request))
    assert wrong.error_code == "SignatureDoesNotMatch"
    assert wrong.result is not None and wrong.result.get("string_to_sign")
    unknown = verify_request(request, {"OTHER": CREDS}, _signed_at(request))
    assert unknown.error_code == "InvalidAccessKeyId"


@pytest.mark.parametrize("name", ["s3v4-query", "v2-query"])
def test_expired_presigned_url(name: str) -> None:
    request = CASES[name]()
    signed = _signed_at(request)
    result = verify_request(request, CREDS, signed + timedelta(seconds=700))
    assert result.verdict == "mismatch" and result.error_code == "AccessDenied"
    assert result.problems[0].cause == "expired"
    assert result.signature_matches
    assert verify_request(request, CREDS, signed + timedelta(seconds=500)).verdict == "match"


@pytest.mark.parametrize("name", ["s3v4-header", "v4-generic", "v2-header"])
def test_clock_skew(name: str) -> None:
    request = CASES[name]()
    signed = _signed_at(request)
    for delta in (timedelta(minutes=16), -timedelta(minutes=16)):
        result = verify_request(request, CREDS, signed + delta)
        assert result.error_code == "RequestTimeTooSkewed"
        assert result.problems[0].cause == "clock-skew"
    assert verify_request(request, CREDS, signed + timedelta(minutes=14)).verdict == "match"
    later = signed + timedelta(minutes=2)
    narrow = verify_request(request, CREDS, later, skew=timedelta(minutes=1))
    assert narrow.error_code == "RequestTimeTooSkewed"


def test_body_changed_after_signing() -> None:
    request = CASES["s3v4-put"]()
    result = verify_request(request.with_body(b"HELLO"), CREDS, _signed_at(request))
    assert result.error_code == "XAmzContentSHA256Mismatch"
    generic = CASES["v4-generic"]()
    assert verify_request(generic.with_body(b"a=2"), CREDS, _signed_at(generic)).error_code == (
        "SignatureDoesNotMatch"
    )


def test_unsigned_and_malformed() -> None:
    plain = Request("GET", "/b/k", None, (("Host", "127.0.0.1"),))
    assert verify_request(plain, CREDS, NOW).error_code == "AccessDenied"
    bad = _with_header(plain, "authorization", "AWS4-HMAC-SHA256 Credential=x")
    result = verify_request(bad, CREDS, NOW)
    assert result.error_code == "AuthorizationHeaderMalformed" and result.status == 400
    odd = _with_header(plain, "authorization", "Bearer abc")
    assert verify_request(odd, CREDS, NOW).status == 400


def test_constant_time_compare() -> None:
    source = inspect.getsource(verify_module)
    assert "hmac.compare_digest" in source
    assert "signature ==" not in source and "== result.signature" not in source


def test_result_never_holds_the_secret() -> None:
    for name in CASES:
        request = CASES[name]()
        result = verify_request(request, CREDS, _signed_at(request))
        text = repr(result.to_dict())
        assert SECRET not in text and "signing_key" not in text


def test_cli_verify(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from sigkit.cli.app import main

    assert main(["verify", "--example"]) == 0
    assert "verdict: match" in capsys.readouterr().out
    assert (
        main(
            [
                "verify",
                "--example",
                "--secret-key",
                "x",
                "--access-key",
                "AKIAIOSFODNN7EXAMPLE",
                "--json",
            ]
        )
        == 1
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["error_code"] == "SignatureDoesNotMatch" and "x" not in answer["problems"][0]
    request = CASES["s3v4-query"]()
    url = f"http://127.0.0.1:9000{request.target}"
    args = ["verify", url, "--access-key", KEY, "--secret-key", SECRET]
    when = _signed_at(request)
    assert main([*args, "--now", when.strftime("%Y%m%dT%H%M%SZ")]) == 0
    capsys.readouterr()
    raw = tmp_path / "request.txt"
    raw.write_bytes(serialize_request(CASES["v2-header"]()))
    stamp = _signed_at(CASES["v2-header"]()).strftime("%Y%m%dT%H%M%SZ")
    assert (
        main(["verify", str(raw), "--access-key", KEY, "--secret-key", SECRET, "--now", stamp]) == 0
    )
    assert (
        main(["verify", str(tmp_path / "missing"), "--access-key", KEY, "--secret-key", SECRET])
        == 2
    )

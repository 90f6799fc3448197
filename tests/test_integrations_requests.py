"""sigkit.integrations.requests: the headers requests sends are the ones botocore would sign,
every payload mode, credentials and their refresh, and debug=True against sigkit serve."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from sigkit.credentials import Credentials
from sigkit.integrations import SigningRefused as BaseRefused
from sigkit.integrations.requests import SigningRefused, SigV4Auth
from sigkit.sigv4.chunked import ChunkedDecoder, ChunkSigner
from tests.integrations_helpers import (
    CREDS,
    KEY,
    SECRET,
    WHEN,
    botocore_authorization,
    botocore_v2_authorization,
    fixed_clock,
    serving,
)


class Recorder(BaseAdapter):
    """A transport that keeps what would be sent (head and body bytes) and answers 200."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[requests.PreparedRequest, bytes]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
        elif hasattr(body, "read"):
            data = body.read()
        else:
            data = b"".join(body)
        self.sent.append((request, data))
        response = requests.Response()
        response.status_code = 200
        response._content = b""
        response.headers = CaseInsensitiveDict()
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


def session(auth: SigV4Auth) -> tuple[requests.Session, Recorder]:
    s = requests.Session()
    recorder = Recorder()
    s.mount("http://", recorder)
    s.mount("https://", recorder)
    s.auth = auth
    return s, recorder


def headers_of(request: requests.PreparedRequest) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in request.headers.items()]


@pytest.mark.parametrize(
    ("method", "url", "body", "extra"),
    [
        (
            "GET",
            "http://b.s3.amazonaws.com/a%20key%2B%24%27%22%E2%82%AC?list-type=2&prefix=a%20b",
            None,
            {},
        ),
        (
            "PUT",
            "http://127.0.0.1:9000/bucket/k%2Bey",
            b"hello",
            {"Content-Type": "text/plain", "x-amz-meta-a": "b   c"},
        ),
        ("DELETE", "http://b.s3.us-west-2.amazonaws.com/k", None, {}),
    ],
)
def test_s3_signature_is_botocores(
    method: str, url: str, body: bytes | None, extra: dict[str, str]
) -> None:
    region = "us-west-2" if "us-west-2" in url else "us-east-1"
    s, recorder = session(SigV4Auth("s3", region, credentials=CREDS, clock=fixed_clock))
    s.request(method, url, data=body, headers=extra)
    sent, data = recorder.sent[0]
    assert data == (body or b"")
    expected = botocore_authorization(method, sent.url or "", headers_of(sent), body, region=region)
    assert sent.headers["Authorization"] == expected
    assert sent.headers["x-amz-content-sha256"] == hashlib.sha256(body or b"").hexdigest()
    assert sent.headers["X-Amz-Date"] == "20260102T030405Z"


def test_generic_service_json_post_is_botocores() -> None:
    url = "http://abc.execute-api.eu-west-1.amazonaws.com/prod/a/../b//c?x=1&y=%20"
    s, recorder = session(
        SigV4Auth("execute-api", "eu-west-1", credentials=CREDS, clock=fixed_clock)
    )
    s.post(url, json={"k": "v é"})
    sent, data = recorder.sent[0]
    assert "x-amz-content-sha256" not in sent.headers  # generic rules: the payload is not sent
    expected = botocore_authorization(
        "POST", sent.url or "", headers_of(sent), data, service="execute-api", region="eu-west-1"
    )
    assert sent.headers["Authorization"] == expected


def test_session_token_is_sent_and_signed() -> None:
    creds = Credentials(KEY, SECRET, "token/with+chars==")
    s, recorder = session(SigV4Auth("s3", "us-east-1", credentials=creds, clock=fixed_clock))
    s.get("http://b.s3.amazonaws.com/k")
    sent, _ = recorder.sent[0]
    assert sent.headers["X-Amz-Security-Token"] == "token/with+chars=="
    expected = botocore_authorization(
        "GET", sent.url or "", headers_of(sent), None, token="token/with+chars=="
    )
    assert sent.headers["Authorization"] == expected


def test_s3v2_is_botocores() -> None:
    s, recorder = session(SigV4Auth(algorithm="s3v2", credentials=CREDS, clock=fixed_clock))
    url = "http://127.0.0.1:9000/bucket/a%20b?acl"
    s.put(url, data=b"x", headers={"Content-Type": "text/plain", "x-amz-meta-k": "v"})
    sent, _ = recorder.sent[0]
    assert sent.headers["Date"] == "Fri, 02 Jan 2026 03:04:05 GMT"
    assert sent.headers["Authorization"] == botocore_v2_authorization(
        "PUT", sent.url or "", headers_of(sent)
    )


def test_unsigned_payload() -> None:
    s, recorder = session(
        SigV4Auth("s3", "us-east-1", credentials=CREDS, payload="unsigned", clock=fixed_clock)
    )
    s.put("https://b.s3.amazonaws.com/k", data=b"body")
    sent, data = recorder.sent[0]
    assert data == b"body"
    assert sent.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    expected = botocore_authorization(
        "PUT", sent.url or "", headers_of(sent), b"body", keep_payload_header=True
    )
    assert sent.headers["Authorization"] == expected


def test_file_body_hashed_in_place_and_sent_whole(tmp_path: Any) -> None:
    path = tmp_path / "f.bin"
    content = bytes(range(256)) * 5000
    path.write_bytes(content)
    s, recorder = session(SigV4Auth("s3", "us-east-1", credentials=CREDS, clock=fixed_clock))
    with path.open("rb") as f:
        s.put("http://b.s3.amazonaws.com/k", data=f)
    sent, data = recorder.sent[0]
    assert data == content
    assert sent.headers["x-amz-content-sha256"] == hashlib.sha256(content).hexdigest()
    assert sent.headers["Content-Length"] == str(len(content))


def test_generator_body_spooled_with_its_length() -> None:
    pieces = [b"a" * 70000, b"b" * 3, b"", b"c" * 10]
    s, recorder = session(SigV4Auth("s3", "us-east-1", credentials=CREDS, clock=fixed_clock))
    s.put("http://b.s3.amazonaws.com/k", data=(p for p in pieces))
    sent, data = recorder.sent[0]
    whole = b"".join(pieces)
    assert data == whole
    assert "Transfer-Encoding" not in sent.headers
    assert sent.headers["Content-Length"] == str(len(whole))
    assert sent.headers["x-amz-content-sha256"] == hashlib.sha256(whole).hexdigest()
    expected = botocore_authorization("PUT", sent.url or "", headers_of(sent), whole)
    assert sent.headers["Authorization"] == expected


def test_aws_chunked_body_decodes_to_the_data() -> None:
    content = b"0123456789" * 20000
    auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, payload="chunked", clock=fixed_clock)
    s, recorder = session(auth)
    s.put("http://b.s3.amazonaws.com/k", data=content)
    sent, data = recorder.sent[0]
    assert sent.headers["x-amz-content-sha256"] == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    assert sent.headers["x-amz-decoded-content-length"] == str(len(content))
    assert sent.headers["Content-Length"] == str(len(data))
    # the seed is botocore's signature of the headers as sent, payload line as sent
    seed = botocore_authorization(
        "PUT", sent.url or "", headers_of(sent), data, keep_payload_header=True
    )
    assert sent.headers["Authorization"] == seed
    signature = str(sent.headers["Authorization"]).rsplit("Signature=", 1)[1]
    from sigkit.sigv4 import signing_key

    key = signing_key(SECRET, "20260102", "us-east-1", "s3")[3]
    scope = "20260102/us-east-1/s3/aws4_request"
    signer = ChunkSigner.sigv4(signature, WHEN, scope, key)
    assert (
        b"".join(
            ChunkedDecoder(
                io.BytesIO(data), payload="STREAMING-AWS4-HMAC-SHA256-PAYLOAD", signer=signer
            )
        )
        == content
    )


def test_signing_time_is_the_send_time() -> None:
    times = iter([WHEN, WHEN + timedelta(seconds=61)])
    s, recorder = session(
        SigV4Auth("s3", "us-east-1", credentials=CREDS, clock=lambda: next(times))
    )
    s.get("http://b.s3.amazonaws.com/k")
    s.get("http://b.s3.amazonaws.com/k")
    dates = [r.headers["X-Amz-Date"] for r, _ in recorder.sent]
    assert dates == ["20260102T030405Z", "20260102T030506Z"]


def test_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    s, recorder = session(SigV4Auth(clock=fixed_clock))
    s.get("http://b.s3.amazonaws.com/k")
    auth = recorder.sent[0][0].headers["Authorization"]
    assert "Credential=AKIAENV/20260102/eu-central-1/s3/aws4_request" in auth


def test_credentials_from_a_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    creds_file = tmp_path / "credentials"
    creds_file.write_text(
        "[dev]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = s3cret-s3cret\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds_file))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    s, recorder = session(SigV4Auth("s3", "us-east-1", profile="dev", clock=fixed_clock))
    s.get("http://b.s3.amazonaws.com/k")
    assert "Credential=AKIAPROFILE/" in recorder.sent[0][0].headers["Authorization"]


def test_expiring_credentials_are_fetched_again() -> None:
    now = [WHEN]
    calls: list[datetime] = []

    def provider() -> tuple[Credentials, datetime]:
        calls.append(now[0])
        return Credentials(f"AKIA{len(calls)}", SECRET), now[0] + timedelta(minutes=15)

    s, recorder = session(SigV4Auth("s3", "us-east-1", credentials=provider, clock=lambda: now[0]))
    s.get("http://b.s3.amazonaws.com/k")
    now[0] += timedelta(minutes=9)  # 6 minutes left: still good
    s.get("http://b.s3.amazonaws.com/k")
    now[0] += timedelta(minutes=2)  # 4 minutes left: within the refresh margin
    s.get("http://b.s3.amazonaws.com/k")
    keys = [
        r.headers["Authorization"].split("Credential=")[1].split("/")[0] for r, _ in recorder.sent
    ]
    assert keys == ["AKIA1", "AKIA1", "AKIA2"]
    assert len(calls) == 2


def test_botocore_credentials_are_asked_every_request() -> None:
    from botocore.credentials import Credentials as BotoCredentials

    s, recorder = session(
        SigV4Auth(
            "s3", "us-east-1", credentials=BotoCredentials(KEY, SECRET, "tok"), clock=fixed_clock
        )
    )
    s.get("http://b.s3.amazonaws.com/k")
    sent, _ = recorder.sent[0]
    assert sent.headers["X-Amz-Security-Token"] == "tok"
    expected = botocore_authorization("GET", sent.url or "", headers_of(sent), None, token="tok")
    assert sent.headers["Authorization"] == expected


def test_environment_credentials_with_an_expiry_are_resolved_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFIRST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", "2026-01-02T03:30:00Z")
    now = [WHEN]
    s, recorder = session(SigV4Auth("s3", "us-east-1", clock=lambda: now[0]))
    s.get("http://b.s3.amazonaws.com/k")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASECOND")  # rotated by whoever sets them
    s.get("http://b.s3.amazonaws.com/k")  # 26 minutes left: kept
    now[0] = WHEN + timedelta(minutes=22)  # 4 minutes left: resolved again
    s.get("http://b.s3.amazonaws.com/k")
    keys = [
        r.headers["Authorization"].split("Credential=")[1].split("/")[0] for r, _ in recorder.sent
    ]
    assert keys == ["AKIAFIRST", "AKIAFIRST", "AKIASECOND"]


def test_no_credentials_anywhere_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    s, _ = session(SigV4Auth("s3", "us-east-1", clock=fixed_clock))
    from sigkit.errors import InputError

    with pytest.raises(InputError, match="credentials: none found"):
        s.get("http://b.s3.amazonaws.com/k")


def test_presigned_url() -> None:
    auth = SigV4Auth(
        "s3", "us-east-1", credentials=CREDS, presign=True, expires=600, clock=fixed_clock
    )
    url = auth.presign("GET", "https://examplebucket.s3.amazonaws.com/test.txt")
    from unittest import mock

    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    request = AWSRequest(method="GET", url="https://examplebucket.s3.amazonaws.com/test.txt")
    with mock.patch("botocore.auth.get_current_datetime", return_value=WHEN.replace(tzinfo=None)):
        S3SigV4QueryAuth(BotoCredentials(KEY, SECRET), "s3", "us-east-1", expires=600).add_auth(
            request
        )
    ours = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))
    theirs = dict(p.split("=", 1) for p in request.url.split("?", 1)[1].split("&"))
    assert ours == theirs


def test_debug_wrong_secret_against_sigkit_serve() -> None:
    with serving() as base:
        auth = SigV4Auth(
            "s3", "us-east-1", credentials=Credentials(KEY, "not-the-secret-at-all"), debug=True
        )
        with pytest.raises(SigningRefused) as caught:
            requests.get(f"{base}/bucket/key", auth=auth)
    error = caught.value
    assert isinstance(error, requests.HTTPError) and isinstance(error, BaseRefused)
    assert error.response is not None and error.response.status_code == 403
    assert error.error_code == "SignatureDoesNotMatch"
    assert error.cause == "wrong-secret"
    assert "wrong-secret" in str(error) and "Fix:" in str(error)
    assert "not-the-secret-at-all" not in str(error) + error.evidence


def test_debug_slipped_header_against_sigkit_serve() -> None:
    class Rewriting(requests.adapters.HTTPAdapter):
        def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
            request.headers["Content-Type"] = "text/plain; charset=utf-8"  # after signing

    with serving() as base:
        s = requests.Session()
        s.mount("http://", Rewriting())
        s.auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, debug=True)
        with pytest.raises(SigningRefused) as caught:
            s.put(f"{base}/bucket/key", data=b"x", headers={"Content-Type": "text/plain"})
    assert caught.value.cause == "header-changed"
    assert caught.value.certain
    assert "charset" in caught.value.evidence


def test_debug_lets_a_good_request_and_other_errors_through() -> None:
    with serving() as base:
        auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, debug=True)
        assert requests.get(f"{base}/bucket/key", auth=auth).status_code == 200
    s, _recorder = session(SigV4Auth("s3", "us-east-1", credentials=CREDS, debug=True))
    assert s.get("http://b.s3.amazonaws.com/k").status_code == 200


def test_missing_library_is_one_line() -> None:
    code = (
        "import sys; sys.modules['requests'] = None\n"
        "try:\n import sigkit.integrations.requests\n"
        "except Exception as e: print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "UnsupportedError sigkit.integrations.requests needs requests: "
        "pip install 'sigkit[requests]'"
    )


@pytest.mark.parametrize("service", ["s3", "execute-api"])
@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/b/raw%2Bplus and space", "a=1&a=2&b=%2B&b=%20&c"),
        ("/b/ключ€/%2Fx", "z=&a=1&a=1"),
        ("/b/k~%21%24%27%28%29%2A%2C%3B%3D%40%3A", None),
    ],
)
@pytest.mark.parametrize(
    "body",
    [{"data": {"k": "v é", "k2": ["1", "2"]}}, {"data": "text é"}, {"json": [1, "é"]},
     {"data": b"bytes"}, {}],
)  # fmt: skip
def test_any_body_path_and_query_with_a_token_is_botocores(
    service: str, path: str, query: str | None, body: dict[str, Any]
) -> None:
    """requests' body types (form dict, str, json=, bytes, none), spaces, unicode, encoded
    '+' and repeated query keys, with a session token, for S3 and a service with the generic
    rules: the Authorization is the one botocore computes over the very bytes sent. (A raw
    '+' in a query and raw sub-delimiters in an S3 path are signed as servers read them, not
    as botocore, which encodes them before signing: tests/e2e/test_integrations_rgw.py sends
    those to RGW.)"""
    region = "eu-west-1"
    creds = Credentials(KEY, SECRET, "tok+en/=")
    s, recorder = session(SigV4Auth(service, region, credentials=creds, clock=fixed_clock))
    url = f"http://127.0.0.1:9000{path}" + ("" if query is None else f"?{query}")
    s.post(url, **body)
    sent, data = recorder.sent[0]
    if service == "s3":
        assert sent.headers["x-amz-content-sha256"] == hashlib.sha256(data).hexdigest()
    assert sent.headers["X-Amz-Security-Token"] == "tok+en/="
    expected = botocore_authorization(
        "POST", sent.url or "", headers_of(sent), data, service=service, region=region,
        token="tok+en/=",
    )  # fmt: skip
    assert sent.headers["Authorization"] == expected


def test_expiring_credentials_are_fetched_once_by_many_threads() -> None:
    """Sixteen threads signing at once near the expiry fetch the credentials once, and each
    signs with the new ones (the credentials and their expiry are read as one)."""
    import threading

    from sigkit.integrations._credentials import CredentialSource

    calls: list[int] = []

    def provider() -> tuple[Credentials, datetime]:
        calls.append(1)
        n = len(calls)
        return Credentials(f"AKID{n}", SECRET), WHEN + timedelta(minutes=10 * n)

    source = CredentialSource(provider)
    assert source.get(WHEN).access_key_id == "AKID1"
    near = WHEN + timedelta(minutes=6)  # within five minutes of AKID1's expiry
    barrier = threading.Barrier(16)
    got: list[str] = []

    def sign() -> None:
        barrier.wait()
        got.append(source.get(near).access_key_id)

    threads = [threading.Thread(target=sign) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["AKID2"] * 16
    assert len(calls) == 2

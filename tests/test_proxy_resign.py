"""Re-sign mode's transformer, driven as the server drives it (a head, a body stream, its
length): what goes upstream carries none of the client's signature, is signed at the proxy's
clock with the proxy's key, and verifies as a server verifies it, body included (aws-chunked
chunk by chunk). The live proof against Ceph RGW is tests/e2e/test_proxy_resign.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from sigkit.credentials import Credentials
from sigkit.errors import InputError
from sigkit.http import Request
from sigkit.proxy.hooks import Refuse, RequestHead
from sigkit.proxy.resign import Resigner, transformer_from_options
from sigkit.sigv4.chunked import ChunkedConfig, sign_v4_chunked
from sigkit.sigv4.config import rules_for
from sigkit.sigv4.signer import sign_v4, sign_v4_query
from sigkit.verify import verify_request

PROXY = Credentials("AKIDPROXYUPSTREAM001", "proxy-upstream-secret/0123+456789", "TOKEN-OF-PROXY")
CLIENT = Credentials("AKIDPROXYCLIENT00001", "proxy-client-secret/abc+def")
STORE = "127.0.0.1:7481"
NOW = datetime(2026, 12, 8, 3, 0, 23, tzinfo=UTC)


def clock() -> float:
    return NOW.timestamp()


async def pieces(data: bytes, size: int = 10_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def run(
    resigner: Resigner, head: RequestHead, body: bytes = b"", length: int | None = -1
) -> tuple[Request, bytes, int | None]:
    """The request the proxy sends upstream, its body and the length it declares."""

    async def go() -> tuple[RequestHead, bytes, int | None]:
        declared = len(body) if length == -1 else length
        out, stream, size = await resigner.transform(head, pieces(body), declared)
        return out, b"".join([piece async for piece in stream]), size

    out, data, size = asyncio.run(go())
    assert out.authority == STORE and out.scheme == "http"
    path, _, query = out.target.partition("?")
    request = Request(out.method, path, query or None, out.headers, data or None, scheme="http")
    return request, data, size


def client_head(request: Request) -> RequestHead:
    headers = tuple((n, v) for n, v in request.headers if n.lower() != "host")
    return RequestHead(
        request.method, request.target, (("Host", "127.0.0.1:8401"), *headers), "http", STORE
    )


def plain(method: str, target: str, *headers: tuple[str, str]) -> RequestHead:
    return RequestHead(method, target, (("Host", "127.0.0.1:8401"), *headers), "http", STORE)


def verifies(request: Request, creds: Credentials = PROXY) -> None:
    outcome = verify_request(request, creds, NOW)
    assert outcome.verdict == "match", outcome.problems


def test_unsigned_get_is_signed_for_the_store() -> None:
    resigner = Resigner(PROXY, clock=clock)
    request, data, size = run(resigner, plain("GET", "/b/a%20b%2Bc?prefix=a%20b%2B&list-type=2"))
    assert request.target == "/b/a%20b%2Bc?prefix=a%20b%2B&list-type=2"
    assert request.header("host") == STORE
    assert request.header("x-amz-date") == "20261208T030023Z"
    assert request.header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD"
    assert request.header("x-amz-security-token") == PROXY.session_token
    assert (request.header("authorization") or "").startswith(
        f"AWS4-HMAC-SHA256 Credential={PROXY.access_key_id}/20261208/us-east-1/s3/aws4_request"
    )
    assert (data, size) == (b"", 0)
    verifies(request)


def test_the_clients_signature_is_removed() -> None:
    """A client signed with its own key (header, then presigned): none of it is forwarded."""
    url = Request.from_url("GET", "http://127.0.0.1:8401/b/k?versionId=3")
    mine = Credentials(CLIENT.access_key_id, CLIENT.secret_access_key, "CLIENT-TOKEN")
    header = sign_v4(url, mine, NOW, rules_for("s3", "us-east-1")).request
    query = sign_v4_query(url, mine, NOW, rules_for("s3", "us-east-1", variant="query")).request
    for signed in (header, query):
        request, _, _ = run(Resigner(PROXY, clock=clock), client_head(signed))
        assert request.target == "/b/k?versionId=3"
        sent = "\n".join(f"{n}: {v}" for n, v in request.headers)
        assert CLIENT.access_key_id not in sent and "CLIENT-TOKEN" not in sent
        assert len(request.header_values("x-amz-date")) == 1
        verifies(request)


def test_put_streams_unsigned_payload() -> None:
    body = bytes(range(256)) * 1000
    request, data, size = run(
        Resigner(PROXY, clock=clock), plain("PUT", "/b/k", ("Content-Length", str(len(body)))), body
    )
    assert (data, size) == (body, len(body))
    assert request.header("content-length") == str(len(body))
    verifies(request)


@pytest.mark.parametrize("limit", [1 << 20, 1000])  # in memory, then spooled to a file
def test_hashed_body_for_another_service(limit: int) -> None:
    body = b'{"items": [' + b"1," * 40_000 + b"2]}"
    resigner = Resigner(
        PROXY, region="eu-west-1", service="execute-api", buffer_limit=limit, clock=clock
    )
    head = plain("POST", "/prod/items", ("Content-Type", "application/json"))
    request, data, size = run(resigner, head, body, length=None)  # sent chunked by the client
    assert (data, size) == (body, len(body))
    assert request.header("x-amz-content-sha256") is None  # not S3: the hash is only signed
    auth = request.header("authorization") or ""
    assert "/eu-west-1/execute-api/aws4_request" in auth
    verifies(request)  # hashes the body: the signed hash is the body's


def test_aws_chunked_upload() -> None:
    body = b"0123456789" * 20_000
    resigner = Resigner(PROXY, payload="chunked", chunk_size=65536, clock=clock)
    request, data, size = run(resigner, plain("PUT", "/b/big"), body)
    assert request.header("x-amz-content-sha256") == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    assert request.header("x-amz-decoded-content-length") == str(len(body))
    assert size == len(data) == int(request.header("content-length") or 0)
    assert data.count(b";chunk-signature=") == 5  # 4 chunks (3 of 64 KiB) and the final one
    verifies(request)  # every chunk signature checked against the seed


def test_client_aws_chunked_body_is_decoded_and_resigned() -> None:
    body = b"abc" * 30_000
    url = Request.from_url("PUT", "http://127.0.0.1:8401/b/k", body=body)
    config = rules_for("s3", "us-east-1")
    upload = sign_v4_chunked(url, CLIENT, NOW, config, ChunkedConfig(chunk_size=8192))
    encoded = upload.body.read()
    request, data, size = run(
        Resigner(PROXY, clock=clock), client_head(upload.seed.request), encoded
    )
    assert (data, size) == (body, len(body))
    assert request.header("content-encoding") is None
    assert request.header("x-amz-decoded-content-length") is None
    verifies(request)


def test_v2() -> None:
    resigner = Resigner(
        Credentials(PROXY.access_key_id, PROXY.secret_access_key), sig="v2", clock=clock
    )
    request, _, _ = run(resigner, plain("GET", "/b/k?acl"))
    assert (request.header("authorization") or "").startswith(f"AWS {PROXY.access_key_id}:")
    assert request.header("date") == "Tue, 08 Dec 2026 03:00:23 GMT"
    verifies(request, Credentials(PROXY.access_key_id, PROXY.secret_access_key))


# -- --client-key ------------------------------------------------------------------------------
def _client_put(secret: str, body: bytes) -> RequestHead:
    url = Request.from_url(
        "PUT", "http://127.0.0.1:8401/b/k", (("Content-Length", str(len(body))),), body
    )
    signed = sign_v4(
        url, Credentials(CLIENT.access_key_id, secret), NOW, rules_for("s3", "us-east-1")
    )
    return client_head(signed.request)


def test_client_key_lets_a_signed_client_through() -> None:
    resigner = transformer_from_options(
        [PROXY], client_keys=[f"{CLIENT.access_key_id}:{CLIENT.secret_access_key}"]
    )
    resigner.clock = clock
    request, data, _ = run(resigner, _client_put(CLIENT.secret_access_key, b"hello"), b"hello")
    assert data == b"hello"
    verifies(request)


@pytest.mark.parametrize(
    ("secret", "body", "status", "code"),
    [
        (CLIENT.secret_access_key + "x", b"hello", 403, "SignatureDoesNotMatch"),
        (CLIENT.secret_access_key, b"HELLO", 400, "XAmzContentSHA256Mismatch"),  # body swapped
    ],
)
def test_client_key_refuses(secret: str, body: bytes, status: int, code: str) -> None:
    resigner = Resigner(PROXY, client_credentials=[CLIENT], clock=clock)
    head = _client_put(secret, b"hello")
    with pytest.raises(Refuse) as refused:
        run(resigner, head, body)
    assert (refused.value.status, refused.value.code) == (status, code)


def test_client_key_refuses_an_unsigned_client() -> None:
    resigner = Resigner(PROXY, client_credentials=[CLIENT], clock=clock)
    with pytest.raises(Refuse) as refused:
        run(resigner, plain("GET", "/b/k"))
    assert (refused.value.status, refused.value.code) == (403, "AccessDenied")
    assert b"<Code>AccessDenied</Code>" in refused.value.xml()


def test_bad_options() -> None:
    with pytest.raises(InputError, match="V2 signs only 's3'"):
        Resigner(PROXY, sig="v2", service="execute-api")
    with pytest.raises(InputError, match="aws-chunked"):
        Resigner(PROXY, service="execute-api", payload="chunked")
    with pytest.raises(InputError) as bad:
        transformer_from_options([PROXY], client_keys=["no-colon-secret-here"])
    assert bad.value.field == "--client-key" and "no-colon-secret-here" not in str(bad.value)
    with pytest.raises(InputError, match="needs credentials"):
        transformer_from_options([])


def test_a_body_sent_chunked_goes_with_its_length() -> None:
    """S3 refuses a PUT without Content-Length (411 MissingContentLength): the proxy spools a
    body the client sent chunked and sends it with its length."""
    body = b"z" * 100_000
    request, data, size = run(
        Resigner(PROXY, buffer_limit=4096, clock=clock), plain("PUT", "/b/k"), body, length=None
    )
    assert (data, size) == (body, len(body))
    assert request.header("content-length") == str(len(body))
    verifies(request)

"""sigkit.integrations.httpx: sync and async clients sign what httpx sends (botocore as the
oracle), streaming bodies, re-signing per send, and debug=True against sigkit serve."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sigkit.credentials import Credentials
from sigkit.integrations.httpx import SigningRefused, SigV4Auth
from tests.integrations_helpers import (
    CREDS,
    KEY,
    WHEN,
    botocore_authorization,
    botocore_v2_authorization,
    fixed_clock,
    serving,
    signed_names,
)

Sent = list[tuple[httpx.Request, bytes]]


def recording() -> tuple[httpx.MockTransport, Sent]:
    sent: Sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        data = request.read()  # a copy: a request sent again is the same object
        sent.append((httpx.Request(request.method, request.url, headers=request.headers), data))
        return httpx.Response(200)

    return httpx.MockTransport(handler), sent


def headers_of(request: httpx.Request) -> list[tuple[str, str]]:
    return [(k.decode(), v.decode()) for k, v in request.headers.raw]


def sync_send(auth: SigV4Auth, method: str, url: str, **kwargs: Any) -> tuple[httpx.Request, bytes]:
    transport, sent = recording()
    with httpx.Client(auth=auth, transport=transport) as client:
        client.request(method, url, **kwargs)
    return sent[0]


def async_send(
    auth: SigV4Auth, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Request, bytes]:
    transport, sent = recording()

    async def main() -> None:
        async with httpx.AsyncClient(auth=auth, transport=transport) as client:
            await client.request(method, url, **kwargs)

    asyncio.run(main())
    return sent[0]


SENDERS = [pytest.param(sync_send, id="sync"), pytest.param(async_send, id="async")]


@pytest.mark.parametrize("send", SENDERS)
@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "http://b.s3.amazonaws.com/k%20%E2%82%AC%2B%25?prefix=a%20b&x=", None),
        ("PUT", "http://127.0.0.1:9000/bucket/%24key%22", b"data"),
    ],
)
def test_s3_signature_is_botocores(send: Any, method: str, url: str, body: bytes | None) -> None:
    auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, clock=fixed_clock)
    request, data = send(auth, method, url, content=body, headers={"x-amz-meta-n": "v"})
    assert data == (body or b"")
    expected = botocore_authorization(method, str(request.url), headers_of(request), body)
    assert request.headers["authorization"] == expected


@pytest.mark.parametrize("send", SENDERS)
def test_generic_service_is_botocores(send: Any) -> None:
    auth = SigV4Auth("execute-api", "ap-south-1", credentials=CREDS, clock=fixed_clock)
    url = "http://api.example.com/stage/./a//b?q=1"
    request, data = send(auth, "POST", url, json={"a": 1})
    expected = botocore_authorization(
        "POST",
        str(request.url),
        headers_of(request),
        data,
        service="execute-api",
        region="ap-south-1",
    )
    assert request.headers["authorization"] == expected


def test_s3v2_is_botocores() -> None:
    auth = SigV4Auth(algorithm="s3v2", credentials=CREDS, clock=fixed_clock)
    request, _ = sync_send(auth, "GET", "http://127.0.0.1:9000/bucket/k?versionId=3")
    assert request.headers["authorization"] == botocore_v2_authorization(
        "GET", str(request.url), headers_of(request)
    )


def test_file_is_hashed_in_place_and_streamed(tmp_path: Any) -> None:
    path = tmp_path / "f"
    content = b"xyz" * 100000
    path.write_bytes(content)
    auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, clock=fixed_clock)
    with path.open("rb") as f:
        request, data = sync_send(auth, "PUT", "http://b.s3.amazonaws.com/k", content=f)
    assert data == content
    assert request.headers["x-amz-content-sha256"] == hashlib.sha256(content).hexdigest()
    assert request.headers["content-length"] == str(len(content))


@pytest.mark.parametrize("send", SENDERS)
def test_iterator_is_spooled_with_its_length(send: Any) -> None:
    pieces = [b"p" * 40000, b"q" * 40000]
    whole = b"".join(pieces)
    if send is sync_send:
        content: Any = iter(pieces)
    else:

        async def agen() -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

        content = agen()
    auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, clock=fixed_clock)
    request, data = send(auth, "PUT", "http://b.s3.amazonaws.com/k", content=content)
    assert data == whole
    assert "transfer-encoding" not in request.headers
    assert request.headers["content-length"] == str(len(whole))
    expected = botocore_authorization("PUT", str(request.url), headers_of(request), whole)
    assert request.headers["authorization"] == expected


def test_unsigned_streams_an_iterator_untouched() -> None:
    def gen() -> Iterator[bytes]:
        yield b"one"
        yield b"two"

    auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, payload="unsigned", clock=fixed_clock)
    request, data = sync_send(auth, "PUT", "http://b.s3.amazonaws.com/k", content=gen())
    assert data == b"onetwo"
    assert request.headers["transfer-encoding"] == "chunked"
    assert request.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    expected = botocore_authorization(
        "PUT", str(request.url), headers_of(request), None, keep_payload_header=True
    )
    assert request.headers["authorization"] == expected


def test_chunked_with_a_length_streams_an_iterator() -> None:
    pieces = [b"a" * 65536, b"b" * 100]
    auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, payload="chunked", clock=fixed_clock)
    request, data = sync_send(
        auth,
        "PUT",
        "http://b.s3.amazonaws.com/k",
        content=iter(pieces),
        headers={"Content-Length": "65636"},
    )
    assert request.headers["x-amz-decoded-content-length"] == "65636"
    assert request.headers["content-length"] == str(len(data))
    assert data.startswith(b"10000;chunk-signature=") and data.endswith(b"\r\n\r\n")
    expected = botocore_authorization(
        "PUT", str(request.url), headers_of(request), None, keep_payload_header=True
    )
    assert request.headers["authorization"] == expected


def test_every_send_is_signed_again() -> None:
    times = iter([WHEN, WHEN + timedelta(minutes=20)])
    auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, clock=lambda: next(times))
    transport, sent = recording()
    with httpx.Client(auth=auth, transport=transport) as client:
        request = client.build_request("GET", "http://b.s3.amazonaws.com/k")
        client.send(request)
        client.send(request)  # a retry by the program: the flow runs again
    assert [r.headers["x-amz-date"] for r, _ in sent] == ["20260102T030405Z", "20260102T032405Z"]


def test_a_file_sent_again_is_sent_whole_again(tmp_path: Any) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"0123456789" * 1000)
    auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, clock=fixed_clock)
    transport, sent = recording()
    with httpx.Client(auth=auth, transport=transport) as client, path.open("rb") as f:
        request = client.build_request("PUT", "http://b.s3.amazonaws.com/k", content=f)
        client.send(request)
        client.send(request)
    assert [data for _, data in sent] == [b"0123456789" * 1000] * 2
    digest = hashlib.sha256(b"0123456789" * 1000).hexdigest()
    assert [r.headers["x-amz-content-sha256"] for r, _ in sent] == [digest, digest]


def test_v4a_signs_the_region_set() -> None:
    auth = SigV4Auth(
        "s3",
        "us-east-1",
        credentials=CREDS,
        algorithm="v4a",
        region_set=["us-*", "eu-west-1"],
        clock=fixed_clock,
    )
    request, _ = sync_send(auth, "GET", "http://b.s3.amazonaws.com/k")
    assert request.headers["x-amz-region-set"] == "us-*,eu-west-1"
    authorization = request.headers["authorization"]
    assert authorization.startswith(
        f"AWS4-ECDSA-P256-SHA256 Credential={KEY}/20260102/s3/aws4_request, SignedHeaders="
    )
    assert signed_names(authorization) == [
        "accept",
        "accept-encoding",
        "host",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-region-set",
    ]  # what httpx sends but connection and user-agent (never signed)


def test_debug_wrong_secret_sync_and_async() -> None:
    bad = Credentials(KEY, "a-secret-nobody-holds")
    with serving() as base:
        auth = SigV4Auth("s3", "us-east-1", credentials=bad, debug=True)
        with httpx.Client(auth=auth) as client, pytest.raises(SigningRefused) as caught:
            client.get(f"{base}/bucket/key")
        assert isinstance(caught.value, httpx.HTTPStatusError)
        assert caught.value.response.status_code == 403
        assert caught.value.cause == "wrong-secret"

        async def main() -> SigningRefused:
            async with httpx.AsyncClient(auth=auth) as client:
                try:
                    await client.get(f"{base}/bucket/key")
                except SigningRefused as exc:
                    return exc
            raise AssertionError("not refused")

        error = asyncio.run(main())
    assert error.cause == "wrong-secret"
    assert "a-secret-nobody-holds" not in str(error)


def test_debug_header_changed_by_a_request_hook() -> None:
    def hook(request: httpx.Request) -> None:  # runs after the auth flow
        request.headers["Content-Type"] = "text/plain; charset=utf-8"

    with serving() as base:
        auth = SigV4Auth("s3", "us-east-1", credentials=CREDS, debug=True)
        client = httpx.Client(auth=auth, event_hooks={"request": [hook]})
        with client, pytest.raises(SigningRefused) as caught:
            client.put(f"{base}/b/k", content=b"x", headers={"Content-Type": "text/plain"})
    assert caught.value.cause == "header-changed"
    assert caught.value.certain

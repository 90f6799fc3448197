"""sigkit.integrations.aiohttp: the middleware signs what aiohttp sends (botocore as the oracle,
read from a real aiohttp server), bodies, retries signed again, debug=True against sigkit serve."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from sigkit.credentials import Credentials
from sigkit.integrations.aiohttp import SigningRefused, SigV4Middleware
from tests.integrations_helpers import (
    CREDS,
    KEY,
    WHEN,
    botocore_authorization,
    fixed_clock,
    serving,
)

Seen = list[tuple[str, str, list[tuple[str, str]], bytes]]
Middleware = Callable[[Any, Any], Awaitable[Any]]


async def _exchange(
    middlewares: list[Middleware], calls: list[tuple[str, str, dict[str, Any]]]
) -> Seen:
    """Run a recording aiohttp server, send `calls` through a session with `middlewares`."""
    seen: Seen = []

    async def record(request: web.Request) -> web.Response:
        body = await request.read()
        url = f"http://{request.host}{request.raw_path}"
        seen.append((request.method, url, list(request.headers.items()), body))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession(middlewares=middlewares) as session:
            for method, path, kwargs in calls:
                # encoded=True: sent as written (yarl would decode %24 to $, which botocore,
                # the oracle, signs unencoded where S3 and sigkit encode it)
                url = URL(f"http://127.0.0.1:{port}{path}", encoded=True)
                async with session.request(method, url, **kwargs) as r:
                    assert r.status == 200
    finally:
        await runner.cleanup()
    return seen


def exchange(mw: SigV4Middleware, method: str, path: str, **kwargs: Any) -> Seen:
    return asyncio.run(_exchange([mw], [(method, path, kwargs)]))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/bucket/k%20%E2%82%AC%2B%25?list-type=2&prefix=%22q%22", None),
        ("PUT", "/bucket/%24key", b"payload"),
        ("POST", "/bucket/k?uploads", b""),
    ],
)
def test_s3_signature_is_botocores(method: str, path: str, body: bytes | None) -> None:
    mw = SigV4Middleware("s3", "us-east-1", credentials=CREDS, clock=fixed_clock)
    seen = exchange(mw, method, path, data=body, headers={"x-amz-meta-a": "1"})
    _sent_method, url, headers, data = seen[0]
    assert data == (body or b"")
    assert dict(headers)["Authorization"] == botocore_authorization(method, url, headers, data)


def test_generic_service_is_botocores() -> None:
    mw = SigV4Middleware("execute-api", "us-west-1", credentials=CREDS, clock=fixed_clock)
    seen = exchange(mw, "POST", "/prod/res/../x", json={"a": [1, 2]})
    _, url, headers, data = seen[0]
    expected = botocore_authorization(
        "POST", url, headers, data, service="execute-api", region="us-west-1"
    )
    assert dict(headers)["Authorization"] == expected


def test_file_and_async_generator_bodies(tmp_path: Any) -> None:
    path = tmp_path / "f"
    content = b"0123456789abcdef" * 9000
    path.write_bytes(content)

    async def agen() -> AsyncIterator[bytes]:
        yield b"x" * 70000
        yield b"y" * 5

    mw = SigV4Middleware("s3", "us-east-1", credentials=CREDS, clock=fixed_clock)
    with path.open("rb") as f:
        seen = asyncio.run(
            _exchange([mw], [("PUT", "/b/file", {"data": f}), ("PUT", "/b/gen", {"data": agen()})])
        )
    for (_, url, headers, data), expected in zip(
        seen, [content, b"x" * 70000 + b"y" * 5], strict=True
    ):
        assert data == expected
        sent = dict(headers)
        assert sent["x-amz-content-sha256"] == hashlib.sha256(expected).hexdigest()
        assert sent["Content-Length"] == str(len(expected))
        assert "Transfer-Encoding" not in sent
        assert sent["Authorization"] == botocore_authorization("PUT", url, headers, data)


def test_content_type_aiohttp_adds_is_signed() -> None:
    mw = SigV4Middleware("s3", "us-east-1", credentials=CREDS, clock=fixed_clock)
    _, _, headers, _ = exchange(mw, "PUT", "/b/k", data=b"x")[0]
    sent = dict(headers)
    assert sent["Content-Type"] == "application/octet-stream"
    assert "content-type;" in sent["Authorization"]


def test_aws_chunked_from_an_async_generator() -> None:
    async def agen() -> AsyncIterator[bytes]:
        yield b"a" * 65536
        yield b"b" * 10

    mw = SigV4Middleware("s3", "us-east-1", credentials=CREDS, payload="chunked", clock=fixed_clock)
    _, url, headers, data = exchange(mw, "PUT", "/b/k", data=agen())[0]
    sent = dict(headers)
    assert sent["x-amz-decoded-content-length"] == "65546"
    assert sent["Content-Length"] == str(len(data))
    assert data.startswith(b"10000;chunk-signature=") and data.endswith(b"\r\n\r\n")
    expected = botocore_authorization("PUT", url, headers, None, keep_payload_header=True)
    assert sent["Authorization"] == expected


def test_a_retrying_middleware_gets_each_attempt_signed_again() -> None:
    times = iter([WHEN, WHEN + timedelta(minutes=30)])

    async def retry(req: Any, handler: Any) -> Any:
        await (await handler(req)).release()
        return await handler(req)

    mw = SigV4Middleware("s3", "us-east-1", credentials=CREDS, clock=lambda: next(times))
    seen = asyncio.run(_exchange([retry, mw], [("GET", "/b/k", {})]))
    dates = [dict(h)["X-Amz-Date"] for _, _, h, _ in seen]
    assert dates == ["20260102T030405Z", "20260102T033405Z"]
    for _, url, headers, data in seen:
        when = (
            WHEN
            if dict(headers)["X-Amz-Date"].endswith("030405Z")
            else WHEN + timedelta(minutes=30)
        )
        assert dict(headers)["Authorization"] == botocore_authorization(
            "GET", url, headers, data, when=when
        )


def test_debug_wrong_secret() -> None:
    async def main(base: str) -> SigningRefused:
        mw = SigV4Middleware(
            "s3", "us-east-1", credentials=Credentials(KEY, "bad-secret-123"), debug=True
        )
        async with aiohttp.ClientSession(middlewares=[mw]) as session:
            try:
                async with session.get(f"{base}/bucket/k"):
                    pass
            except SigningRefused as exc:
                return exc
        raise AssertionError("not refused")

    with serving() as base:
        error = asyncio.run(main(base))
    assert isinstance(error, aiohttp.ClientResponseError)
    assert error.status == 403
    assert error.cause == "wrong-secret"
    assert "bad-secret-123" not in str(error)


def test_debug_header_changed_by_a_later_middleware() -> None:
    async def slip(req: Any, handler: Any) -> Any:
        req.headers["Content-Type"] = "text/plain; charset=utf-8"
        return await handler(req)

    async def main(base: str) -> SigningRefused:
        mw = SigV4Middleware("s3", "us-east-1", credentials=CREDS, debug=True)
        async with aiohttp.ClientSession(middlewares=[mw, slip]) as session:
            try:
                async with session.put(
                    f"{base}/b/k", data=b"x", headers={"Content-Type": "text/plain"}
                ):
                    pass
            except SigningRefused as exc:
                return exc
        raise AssertionError("not refused")

    with serving() as base:
        error = asyncio.run(main(base))
    assert error.cause == "header-changed"
    assert error.certain


def test_a_redirect_aiohttp_follows_is_signed_for_its_own_url() -> None:
    """aiohttp runs the middleware for each hop of a redirect: the request to the Location
    carries botocore's signature of that URL, not the first one's (requests and httpx follow
    redirects past their auth objects: docs/integrations.md)."""
    seen: Seen = []

    async def main() -> None:
        async def hop(request: web.Request) -> web.StreamResponse:
            url = f"http://{request.host}{request.raw_path}"
            seen.append((request.method, url, list(request.headers.items()), b""))
            if request.path == "/bucket/first":
                raise web.HTTPTemporaryRedirect("/bucket/second%20key")
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", hop)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        mw = SigV4Middleware("s3", "us-east-1", credentials=CREDS, clock=fixed_clock)
        try:
            async with (
                aiohttp.ClientSession(middlewares=[mw]) as session,
                session.get(f"http://127.0.0.1:{port}/bucket/first") as r,
            ):
                assert r.status == 200
        finally:
            await runner.cleanup()

    asyncio.run(main())
    assert [url.rsplit("/", 1)[1] for _, url, _, _ in seen] == ["first", "second%20key"]
    for _, url, headers, _ in seen:
        sent = dict(headers)["Authorization"]
        assert sent == botocore_authorization("GET", url, headers, None)


async def _retried(payload: str, data: bytes) -> list[tuple[str, list[tuple[str, str]], bytes]]:
    """PUT through a middleware that sends the request again after a 503, before ours."""
    seen: list[tuple[str, list[tuple[str, str]], bytes]] = []

    async def answer(request: web.Request) -> web.Response:
        url = f"http://{request.host}{request.raw_path}"
        seen.append((url, list(request.headers.items()), await request.read()))
        return web.Response(status=503 if len(seen) == 1 else 200)

    async def retry(req: Any, handler: Any) -> Any:
        response = await handler(req)
        return await handler(req) if response.status == 503 else response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    mw = SigV4Middleware("s3", "us-east-1", credentials=CREDS, clock=fixed_clock, payload=payload)
    try:
        async with (
            aiohttp.ClientSession(middlewares=[retry, mw]) as session,
            session.put(f"http://127.0.0.1:{port}/bucket/k", data=data) as r,
        ):
            assert r.status == 200
    finally:
        await runner.cleanup()
    return seen


def test_a_request_sent_again_by_a_middleware_is_signed_again() -> None:
    seen = asyncio.run(_retried("hashed", b"hello world"))
    assert [body for _, _, body in seen] == [b"hello world"] * 2
    for url, headers, body in seen:
        assert dict(headers)["Authorization"] == botocore_authorization("PUT", url, headers, body)


def test_an_aws_chunked_request_sent_again_is_refused_not_encoded_twice() -> None:
    """The first send read the encoder: a second would frame the framing (stored as data)."""
    from sigkit.errors import InputError

    with pytest.raises(InputError, match="aws-chunked request cannot be sent again"):
        asyncio.run(_retried("chunked", b"hello world"))

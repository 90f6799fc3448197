"""The integrations against real servers: Ceph RGW (S3) and `sigkit serve` (a non-S3 service,
SigV4A). Every adapter (requests, httpx sync and async, aiohttp) stores, lists, reads and
deletes hostile keys, streams 100 MiB in constant memory, uses a presigned URL, and with
debug=True names the cause of a wrong secret and of a header changed after signing; boto3 with
explain_failures names a wrong secret and a secret with a trailing newline. The expected values
are RGW's own answers (status, listed keys, ETag = MD5 of what it stored)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from sigkit.credentials import Credentials

pytestmark = pytest.mark.e2e

BUCKET = "i1-integrations"
ADAPTERS = ["requests", "httpx", "httpx-async", "aiohttp"]
KEYS = [
    "with space",
    "plus+sign",
    "quo\"te's",
    "dol$lar & amp=eq",
    "uni€ódé/ключ",
    "per%cent%2Fnot-a-slash",
    "brackets[]{}()!*~",
]
MiB = 1 << 20
SERVE_KEY = "AKIDSERVE"
SERVE_SECRET = "serve-secret-0123456789abcdef"


def _limit() -> object:
    import aiohttp

    return aiohttp.ClientTimeout(total=60)


def creds(env: dict[str, str], secret: str | None = None) -> Credentials:
    return Credentials(env["AWS_ACCESS_KEY_ID"], secret or env["AWS_SECRET_ACCESS_KEY"])


def send(
    adapter: str,
    method: str,
    url: str,
    options: dict[str, Any],
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    signed: bool = True,
) -> tuple[int, bytes]:
    """One request through `adapter` signed with `SigV4Auth(**options)` (or unsigned)."""
    headers = headers or {}
    if adapter == "requests":
        import requests

        from sigkit.integrations.requests import SigV4Auth

        auth = SigV4Auth(**options) if signed else None
        r = requests.request(method, url, data=body, headers=headers, auth=auth, timeout=60)
        return r.status_code, r.content
    if adapter == "httpx":
        import httpx

        from sigkit.integrations.httpx import SigV4Auth as HttpxAuth

        with httpx.Client(auth=HttpxAuth(**options) if signed else None, timeout=60) as client:
            response = client.request(method, url, content=body, headers=headers)
            return response.status_code, response.content
    if adapter == "httpx-async":
        import httpx

        from sigkit.integrations.httpx import SigV4Auth as HttpxAuth

        async def main_httpx() -> tuple[int, bytes]:
            async with httpx.AsyncClient(
                auth=HttpxAuth(**options) if signed else None, timeout=60
            ) as client:
                response = await client.request(method, url, content=body, headers=headers)
                return response.status_code, response.content

        return asyncio.run(main_httpx())
    import aiohttp
    from yarl import URL

    from sigkit.integrations.aiohttp import SigV4Middleware

    async def main_aiohttp() -> tuple[int, bytes]:
        middlewares = [SigV4Middleware(**options)] if signed else []
        async with aiohttp.ClientSession(middlewares=middlewares, timeout=_limit()) as session:
            target = URL(url, encoded=True)
            async with session.request(method, target, data=body, headers=headers) as r:
                return r.status, await r.read()

    return asyncio.run(main_aiohttp())


def key_url(env: dict[str, str], key: str) -> str:
    return f"{env['S3_ENDPOINT']}/{BUCKET}/{quote(key, safe='/~')}"


@pytest.fixture(scope="module")
def rgw(s3server: dict[str, str]) -> dict[str, str]:
    options = {"service": "s3", "region": "us-east-1", "credentials": creds(s3server)}
    status, body = send("requests", "PUT", f"{s3server['S3_ENDPOINT']}/{BUCKET}", options)
    assert status == 200 or b"BucketAlreadyOwnedByYou" in body, body
    return s3server


def listed(env: dict[str, str], prefix: str, options: dict[str, Any], adapter: str) -> list[str]:
    url = f"{env['S3_ENDPOINT']}/{BUCKET}?list-type=2&prefix={quote(prefix, safe='')}"
    status, body = send(adapter, "GET", url, options)
    assert status == 200, body
    ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    return sorted(e.text or "" for e in ET.fromstring(body).findall("s3:Contents/s3:Key", ns))


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("payload", ["hashed", "unsigned", "chunked"])
def test_hostile_keys_put_get_list_delete(rgw: dict[str, str], adapter: str, payload: str) -> None:
    options = {
        "service": "s3",
        "region": "us-east-1",
        "credentials": creds(rgw),
        "payload": payload,
    }
    prefix = f"{adapter}-{payload}-{uuid.uuid4().hex[:8]}/"
    for key in KEYS:
        body = f"body of {key}".encode()
        status, answer = send(adapter, "PUT", key_url(rgw, prefix + key), options, body)
        assert status == 200, (key, answer)
    assert listed(rgw, prefix, options, adapter) == sorted(prefix + k for k in KEYS)
    for key in KEYS:
        status, answer = send(adapter, "GET", key_url(rgw, prefix + key), options)
        assert (status, answer) == (200, f"body of {key}".encode())
        assert send(adapter, "DELETE", key_url(rgw, prefix + key), options)[0] == 204
    assert listed(rgw, prefix, options, adapter) == []


@pytest.mark.parametrize("adapter", ["requests", "httpx", "aiohttp"])
def test_s3v2_round_trip(rgw: dict[str, str], adapter: str) -> None:
    options = {"algorithm": "s3v2", "credentials": creds(rgw)}
    url = key_url(rgw, f"v2-{adapter}/{uuid.uuid4().hex[:6]} a+b$")
    assert send(adapter, "PUT", url, options, b"v2 body", {"Content-Type": "text/plain"})[0] == 200
    assert send(adapter, "GET", url, options) == (200, b"v2 body")
    assert send(adapter, "DELETE", url, options)[0] == 204


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_presigned_flow(rgw: dict[str, str], adapter: str) -> None:
    """A URL presigned by the adapter's auth works for a plain, unsigned client; the auth with
    presign=True signs the adapter's own request in its URL."""
    from sigkit.integrations.requests import SigV4Auth

    url = key_url(rgw, f"presigned-{adapter}/{uuid.uuid4().hex[:6]} k+€")
    presigner = SigV4Auth("s3", "us-east-1", credentials=creds(rgw), presign=True, expires=300)
    put_url = presigner.presign("PUT", url)
    assert "X-Amz-Signature=" in put_url
    assert send(adapter, "PUT", put_url, {}, b"presigned body", signed=False)[0] == 200
    options = {"service": "s3", "region": "us-east-1", "credentials": creds(rgw), "presign": True}
    assert send(adapter, "GET", url, options) == (200, b"presigned body")
    bad = {**options, "credentials": creds(rgw, "wrong-secret-for-presign")}
    assert send(adapter, "GET", url, bad)[0] == 403


_STREAM_SCRIPT = r"""
import hashlib, json, os, resource, sys, tracemalloc, asyncio
adapter, url, path, payload = sys.argv[1:5]
from sigkit.credentials import Credentials
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
region = os.environ.get("SIGN_REGION", "us-east-1")
options = dict(service="s3", region=region, credentials=creds, payload=payload)
size = os.path.getsize(path)
def pieces():
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            yield block
import requests, httpx, aiohttp
from sigkit.integrations.requests import SigV4Auth as RAuth
from sigkit.integrations.httpx import SigV4Auth as HAuth
from sigkit.integrations.aiohttp import SigV4Middleware
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
if adapter == "requests":
    with open(path, "rb") as f:
        r = requests.put(url, data=f, auth=RAuth(**options))
    status, etag, body = r.status_code, r.headers.get("ETag"), r.text
elif adapter == "httpx":
    with httpx.Client(auth=HAuth(**options), timeout=120) as c:
        r = c.put(url, content=pieces(), headers={"Content-Length": str(size)})
    status, etag, body = r.status_code, r.headers.get("ETag"), r.text
else:
    async def main():
        async with aiohttp.ClientSession(middlewares=[SigV4Middleware(**options)]) as s:
            with open(path, "rb") as f:
                async with s.put(url, data=f) as r:
                    return r.status, r.headers.get("ETag"), await r.text()
    status, etag, body = asyncio.run(main())
peak = tracemalloc.get_traced_memory()[1]
rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
growth = rss_after - rss_before
result = {"status": status, "etag": etag, "peak": peak, "rss_growth_kib": growth}
print(json.dumps({**result, "body": body[:300]}))
"""


def _file(tmp_path_factory: pytest.TempPathFactory, mib: int) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("i1") / f"{mib}MiB.bin"
    md5 = hashlib.md5()
    block = os.urandom(MiB)
    with path.open("wb") as f:
        for i in range(mib):
            piece = block[i:] + block[:i]  # every MiB different
            md5.update(piece)
            f.write(piece)
    return path, md5.hexdigest()


@pytest.fixture(scope="module")
def file_100(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return _file(tmp_path_factory, 100)


def _stream(adapter: str, url: str, path: Path, payload: str, env: dict[str, str]) -> Any:
    out = subprocess.run(
        [sys.executable, "-c", _STREAM_SCRIPT, adapter, url, str(path), payload],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


STREAMS = [
    ("requests", "hashed"),
    ("httpx", "chunked"),
    ("aiohttp", "chunked"),
    ("aiohttp", "hashed"),
]


@pytest.mark.parametrize(("adapter", "payload"), STREAMS)
def test_100_mib_streamed_in_constant_memory(
    file_100: tuple[Path, str], adapter: str, payload: str
) -> None:
    """100 MiB from a file (requests, aiohttp) or a generator with its length (httpx), in a
    fresh process, to sigkit serve, which verifies the signature and the payload (its hash, or
    every aws-chunked chunk) before answering 200: Python's allocations peak under 8 MiB and
    the resident set grows under 40 MiB. (RGW gets the same 100 MiB streams below.)"""
    path, _ = file_100
    env = {
        "AWS_ACCESS_KEY_ID": SERVE_KEY,
        "AWS_SECRET_ACCESS_KEY": SERVE_SECRET,
        "SIGN_REGION": "eu-west-1",
    }
    with sigkit_serve("s3", "--max-body", str(200 * MiB)) as base:
        result = _stream(adapter, f"{base}/bucket/big-{adapter}", path, payload, env)
    assert result["status"] == 200
    assert "<Verdict>match</Verdict>" in result["body"]
    assert result["peak"] < 8 * MiB, result
    assert result["rss_growth_kib"] < 40 * 1024, result


@pytest.mark.parametrize(("adapter", "payload"), STREAMS)
def test_streamed_upload_stored_whole_by_rgw(
    rgw: dict[str, str], file_100: tuple[Path, str], adapter: str, payload: str
) -> None:
    """The same 100 MiB streams to RGW: stored whole (its ETag is the MD5 of the 100 MiB), in
    constant memory (RGW's test store is 4 GiB and collects deleted objects within seconds)."""
    path, md5 = file_100
    url = key_url(rgw, f"big/{adapter}-{payload}-{uuid.uuid4().hex[:6]}")
    try:
        result = _stream(adapter, url, path, payload, rgw)
        assert result["status"] == 200, result
        assert result["etag"].strip('"') == md5
        assert result["peak"] < 8 * MiB, result
        assert result["rss_growth_kib"] < 40 * 1024, result
    finally:
        options = {"service": "s3", "region": "us-east-1", "credentials": creds(rgw)}
        send("requests", "DELETE", url, options)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_debug_names_a_wrong_secret(rgw: dict[str, str], adapter: str) -> None:
    from sigkit.integrations import SigningRefused

    options = {
        "service": "s3",
        "region": "us-east-1",
        "debug": True,
        "credentials": creds(rgw, "a-wrong-secret-for-rgw"),
    }
    with pytest.raises(SigningRefused) as caught:
        send(adapter, "GET", key_url(rgw, "anything"), options)
    assert caught.value.http_status == 403
    assert caught.value.error_code == "SignatureDoesNotMatch"  # RGW's answer
    assert caught.value.cause == "wrong-secret"
    assert "a-wrong-secret-for-rgw" not in str(caught.value)


def _slipping(adapter: str, url: str, options: dict[str, Any]) -> None:
    """PUT with Content-Type text/plain signed, sent with '; charset=utf-8' appended by a
    layer that runs after signing (each library's own place for one)."""
    headers = {"Content-Type": "text/plain"}
    if adapter == "requests":
        import requests

        from sigkit.integrations.requests import SigV4Auth

        class Rewriting(requests.adapters.HTTPAdapter):
            def add_headers(self, request: Any, **kwargs: Any) -> None:
                request.headers["Content-Type"] = "text/plain; charset=utf-8"

        s = requests.Session()
        s.mount("http://", Rewriting())
        s.put(url, data=b"x", headers=headers, auth=SigV4Auth(**options), timeout=60)
        return
    if adapter.startswith("httpx"):
        import httpx

        from sigkit.integrations.httpx import SigV4Auth as HttpxAuth

        def hook(request: httpx.Request) -> None:
            request.headers["Content-Type"] = "text/plain; charset=utf-8"

        with httpx.Client(
            auth=HttpxAuth(**options), event_hooks={"request": [hook]}, timeout=60
        ) as c:
            c.put(url, content=b"x", headers=headers)
        return
    import aiohttp

    from sigkit.integrations.aiohttp import SigV4Middleware

    async def slip(req: Any, handler: Any) -> Any:
        req.headers["Content-Type"] = "text/plain; charset=utf-8"
        return await handler(req)

    async def main() -> None:
        session = aiohttp.ClientSession(
            middlewares=[SigV4Middleware(**options), slip], timeout=_limit()
        )
        async with session, session.put(url, data=b"x", headers=headers):
            pass

    asyncio.run(main())


@pytest.mark.parametrize("adapter", ["requests", "httpx", "aiohttp"])
def test_debug_names_a_header_changed_after_signing(rgw: dict[str, str], adapter: str) -> None:
    from sigkit.integrations import SigningRefused

    options = {"service": "s3", "region": "us-east-1", "debug": True, "credentials": creds(rgw)}
    with pytest.raises(SigningRefused) as caught:
        _slipping(adapter, key_url(rgw, f"slip-{adapter}"), options)
    assert caught.value.error_code == "SignatureDoesNotMatch"
    assert caught.value.cause == "header-changed"
    assert caught.value.certain


@pytest.mark.parametrize(
    ("secret_suffix", "cause"), [("-but-wrong", "wrong-secret"), ("\n", "secret-whitespace")]
)
def test_boto3_explain_failures(rgw: dict[str, str], secret_suffix: str, cause: str) -> None:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    from sigkit.integrations.boto3 import explain_failures

    s3 = explain_failures(
        boto3.client(
            "s3",
            endpoint_url=rgw["S3_ENDPOINT"],
            aws_access_key_id=rgw["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=rgw["AWS_SECRET_ACCESS_KEY"] + secret_suffix,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}),
        )
    )
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=BUCKET, Key="boto3 key+€", Body=b"x")
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert caught.value.sigkit_cause == cause  # type: ignore[attr-defined]
    assert f"sigkit: {cause}" in str(caught.value)
    assert rgw["AWS_SECRET_ACCESS_KEY"] not in str(caught.value)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_raw_characters_in_path_and_query_are_signed_as_rgw_reads_them(
    rgw: dict[str, str], adapter: str
) -> None:
    """A path with raw sub-delimiters and '+', and a raw '+' in the query (read as a space by
    S3 servers), sent as written: RGW accepts each signature and stores the key. (botocore
    encodes these before it signs, so it cannot be the oracle here: RGW is.)"""
    options = {"service": "s3", "region": "us-east-1", "credentials": creds(rgw)}
    raw = "r2-raw~!$'()*,;=@:+%20plus%C3%A9"  # a raw space is no valid request target
    url = f"{rgw['S3_ENDPOINT']}/{BUCKET}/{raw}"
    status, body = send(adapter, "PUT", url, options, b"raw")
    assert status == 200, body
    # '+' then a space: RGW keeps a raw '+' in a key; in the query it is a space
    listing = f"{rgw['S3_ENDPOINT']}/{BUCKET}?list-type=2&prefix=r2-raw~!$'()*,;=@:%2B+plus"
    status, body = send(adapter, "GET", listing, options)
    assert status == 200, body
    assert b"<KeyCount>1</KeyCount>" in body
    status, _ = send(adapter, "DELETE", url, options)
    assert status == 204


DENIED_BUCKET = "r2-integrations-denied"


@pytest.fixture(scope="module")
def denied(rgw: dict[str, str]) -> Iterator[str]:
    """A bucket whose policy denies everyone GetObject on one key (its owner too, as an
    explicit Deny does): RGW refuses a correctly signed GET with AccessDenied, HEAD with a
    bare 403."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=rgw["S3_ENDPOINT"],
        aws_access_key_id=rgw["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=rgw["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=DENIED_BUCKET)
    s3.put_object(Bucket=DENIED_BUCKET, Key="denied", Body=b"x")
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{DENIED_BUCKET}/denied",
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    s3.put_bucket_policy(Bucket=DENIED_BUCKET, Policy=json.dumps(policy))
    try:
        yield f"{rgw['S3_ENDPOINT']}/{DENIED_BUCKET}/denied"
    finally:
        s3.delete_bucket_policy(Bucket=DENIED_BUCKET)


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_debug_never_blames_the_signature_for_a_policy_refusal(
    rgw: dict[str, str], denied: str, adapter: str, method: str
) -> None:
    """A correctly signed request that a bucket policy denies is answered as the library
    answers it (403, no SigningRefused): AccessDenied by policy is not a signing fault, and a
    bare 403 to HEAD is not put on the signature without proof."""
    options = {"service": "s3", "region": "us-east-1", "debug": True, "credentials": creds(rgw)}
    status, body = send(adapter, method, denied, options)
    assert status == 403
    if method == "GET":
        assert b"<Code>AccessDenied</Code>" in body


def test_boto3_explain_failures_leaves_policy_refusals_alone(
    rgw: dict[str, str], denied: str
) -> None:
    import boto3
    from botocore.exceptions import ClientError

    from sigkit.integrations.boto3 import explain_failures

    s3 = explain_failures(
        boto3.client(
            "s3",
            endpoint_url=rgw["S3_ENDPOINT"],
            aws_access_key_id=rgw["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=rgw["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )
    )
    for call, code in ((s3.get_object, "AccessDenied"), (s3.head_object, "403")):
        with pytest.raises(ClientError) as caught:
            call(Bucket=DENIED_BUCKET, Key="denied")
        assert caught.value.response["Error"]["Code"] == code
        assert not hasattr(caught.value, "sigkit_cause")
        assert "sigkit" not in str(caught.value)


@pytest.mark.parametrize("adapter", ["requests", "httpx", "aiohttp"])
def test_debug_names_a_secret_with_whitespace_on_head(rgw: dict[str, str], adapter: str) -> None:
    """HEAD's refusal has no code, yet a cause the investigation proves is still named."""
    from sigkit.integrations import SigningRefused

    secret = rgw["AWS_SECRET_ACCESS_KEY"] + "\n"
    options = {
        "service": "s3",
        "region": "us-east-1",
        "debug": True,
        "credentials": creds(rgw, secret),
    }
    with pytest.raises(SigningRefused) as caught:
        send(adapter, "HEAD", key_url(rgw, "anything"), options)
    assert caught.value.http_status == 403
    assert (caught.value.cause, caught.value.certain) == ("secret-whitespace", True)
    assert rgw["AWS_SECRET_ACCESS_KEY"] not in str(caught.value)


# -- sigkit serve: a non-S3 service, SigV4A -------------------------------------------------------
@contextlib.contextmanager
def sigkit_serve(service: str, *extra: str) -> Iterator[str]:
    """`sigkit serve --service SERVICE` on a free port; yields its base URL."""
    argv = [
        sys.executable,
        "-m",
        "sigkit.cli.app",
        "serve",
        "--port",
        "0",
        "--json",
        "--access-key",
        SERVE_KEY,
        "--secret-key",
        SERVE_SECRET,
        "--region",
        "eu-west-1",
        "--service",
        service,
        *extra,
    ]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    port = int(json.loads(process.stdout.readline())["listening"].rsplit(":", 1)[1])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def serve_api() -> Iterator[str]:
    with sigkit_serve("execute-api") as base:
        yield base


@pytest.fixture(scope="module")
def serve_s3() -> Iterator[str]:
    with sigkit_serve("s3") as base:
        yield base


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_execute_api_against_sigkit_serve(serve_api: str, adapter: str) -> None:
    options = {
        "service": "execute-api",
        "region": "eu-west-1",
        "credentials": Credentials(SERVE_KEY, SERVE_SECRET),
    }
    body = json.dumps({"name": "x y", "n": [1, 2]}).encode()
    url = f"{serve_api}/prod/pets/./a%20b/../c?q=a%20b&z=1"
    headers = {"Content-Type": "application/json"}
    assert send(adapter, "POST", url, options, body, headers)[0] == 200
    wrong = {**options, "service": "lambda"}  # another scope: serve refuses it
    assert send(adapter, "POST", url, wrong, body, headers)[0] in (400, 403)


@contextlib.contextmanager
def recording_server() -> Iterator[tuple[str, list[tuple[str, str, list[tuple[str, str]], bytes]]]]:
    """A loopback HTTP server that answers 200 and keeps each request as received."""
    import http.server
    import threading

    seen: list[tuple[str, str, list[tuple[str, str]], bytes]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            seen.append((self.command, self.path, list(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_PUT = do_POST = _any

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("payload", ["hashed", "chunked"])
def test_sigv4a_request_as_received_verifies(adapter: str, payload: str) -> None:
    """sigkit serve does not verify SigV4A (it answers AuthorizationHeaderMalformed to any
    non-HMAC Authorization), so the request as a server received it is checked here: its
    string to sign rebuilt from what arrived, the ECDSA signature verified with the public key
    of the key pair, and every aws-chunked chunk signature verified the same way."""
    import io

    from sigkit import Request
    from sigkit.sigv4 import derive_private_key, rules_for, sign_v4a, verify_v4a
    from sigkit.sigv4.chunked import STREAMING_ECDSA, ChunkedDecoder, ChunkSigner
    from sigkit.timefmt import parse_time

    creds_v4a = Credentials(SERVE_KEY, SERVE_SECRET)
    options = {
        "service": "s3",
        "region": "eu-west-1",
        "algorithm": "v4a",
        "region_set": ["eu-*", "us-east-1"],
        "payload": payload,
        "credentials": creds_v4a,
    }
    data = b"v4a body " * 2000
    with recording_server() as (base, seen):
        assert send(adapter, "PUT", f"{base}/bucket/v4a%20key", options, data)[0] == 200
    method, target, headers, body = seen[0]
    sent = dict((k.lower(), v) for k, v in headers)
    signature = sent["authorization"].rsplit("Signature=", 1)[1]
    assert sent["x-amz-region-set"] == "eu-*,us-east-1"
    kept = [(k, v) for k, v in headers if k.lower() not in ("authorization",)]
    received = Request.from_url(method, base + target, kept, body if payload == "hashed" else None)
    when = parse_time(sent["x-amz-date"])
    rebuilt = sign_v4a(received, creds_v4a, when, rules_for("s3", "eu-west-1"), "eu-*,us-east-1")
    public = derive_private_key(SERVE_KEY, SERVE_SECRET).public_key()
    assert (
        rebuilt["signed_headers"] == sent["authorization"].split("SignedHeaders=")[1].split(",")[0]
    )
    assert verify_v4a(rebuilt["string_to_sign"], signature, public)
    if payload == "hashed":
        assert sent["x-amz-content-sha256"] == hashlib.sha256(data).hexdigest()
        assert body == data
    else:
        assert sent["x-amz-content-sha256"] == STREAMING_ECDSA
        scope = rebuilt["credential_scope"]
        signer = ChunkSigner.sigv4a(signature, when, scope, public_key=public)
        decoded = ChunkedDecoder(io.BytesIO(body), payload=STREAMING_ECDSA, signer=signer)
        assert b"".join(decoded) == data

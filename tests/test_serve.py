"""`sigkit serve` over loopback: verdicts, S3-style errors, malformed HTTP, concurrency."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.auth import HmacV1Auth, S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from sigkit.credentials import Credentials
from sigkit.serve import VerifyingServer

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.fixture()
def server() -> Iterator[VerifyingServer]:
    srv = VerifyingServer(("127.0.0.1", 0), {KEY: Credentials(KEY, SECRET)}, log=None)
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _port(srv: VerifyingServer) -> int:
    return int(srv.server_address[1])


def _signed(
    port: int,
    kind: str,
    path: str = "/bucket/key",
    secret: str = SECRET,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> AWSRequest:
    creds = BotoCredentials(KEY, secret)
    method = "PUT" if body else "GET"
    request = AWSRequest(
        method=method, url=f"http://127.0.0.1:{port}{path}", data=body, headers=headers or {}
    )
    auth = {
        "v4": lambda: S3SigV4Auth(creds, "s3", "us-east-1"),
        "v4q": lambda: S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=300),
        "v2": lambda: HmacV1Auth(creds),
    }[kind]()
    auth.add_auth(request)
    return request


def _send(
    port: int,
    request: AWSRequest,
    extra: dict[str, str] | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, bytes]:
    prepared = request.prepare()
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        target = prepared.url.split(f":{port}", 1)[1]
        conn.putrequest(prepared.method, target, skip_accept_encoding=True)
        for name, value in {**dict(prepared.headers.items()), **(extra or {})}.items():
            conn.putheader(name, value)
        body = prepared.body or b""
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if own:
            conn.close()


def _raw(port: int, data: bytes, shut: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # The server may answer (431, 414 ...) and close before it has read all we send:
        # then sending or shutting down fails, and its answer is still there to read.
        with contextlib.suppress(OSError):
            sock.sendall(data)
            if shut:
                sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                piece = sock.recv(65536)
            except ConnectionResetError:
                break
            if not piece:
                break
            chunks.append(piece)
        return b"".join(chunks)


def _status(raw: bytes) -> int:
    assert raw.startswith(b"HTTP/1.1 "), raw[:80]
    return int(raw[9:12])


@pytest.mark.parametrize("kind", ["v4", "v4q", "v2"])
def test_good_signatures_get_200(server: VerifyingServer, kind: str) -> None:
    port = _port(server)
    status, body = _send(port, _signed(port, kind, "/bucket/a%20b?acl"))
    assert status == 200, body
    assert b"<Verdict>match</Verdict>" in body


def test_put_with_body(server: VerifyingServer) -> None:
    port = _port(server)
    request = _signed(port, "v4", body=b"hello", headers={"Content-Type": "text/plain"})
    assert _send(port, request)[0] == 200


def test_mismatch_is_s3_style_xml(server: VerifyingServer) -> None:
    port = _port(server)
    status, body = _send(port, _signed(port, "v4", secret="wrong"))
    assert status == 403
    text = body.decode()
    order = [
        "<Code>SignatureDoesNotMatch</Code>",
        "<Message>",
        "<AWSAccessKeyId>",
        "<StringToSign>",
        "<SignatureProvided>",
        "<StringToSignBytes>",
        "<CanonicalRequest>",
        "<CanonicalRequestBytes>",
        "<RequestId>",
        "<HostId>",
    ]
    positions = [text.index(tag) for tag in order]
    assert positions == sorted(positions)
    assert SECRET not in text and "wrong" not in text.split("<Message>")[0]
    status, body = _send(port, _signed(port, "v2", secret="wrong"))
    assert status == 403 and b"<StringToSignBytes>" in body and b"<CanonicalRequest>" not in body


def test_tampered_header_and_json(server: VerifyingServer) -> None:
    port = _port(server)
    request = _signed(port, "v4", headers={"Range": "bytes=0-9"})
    status, body = _send(port, request, {"Range": "bytes=0-99", "Accept": "application/json"})
    assert status == 403
    answer = json.loads(body)
    assert answer["verdict"] == "mismatch" and answer["error_code"] == "SignatureDoesNotMatch"
    assert "range:bytes=0-99" in answer["canonical_request"]
    status, body = _send(port, _signed(port, "v4"), {"Accept": "application/json"})
    assert status == 200 and json.loads(body)["verdict"] == "match"
    signed = _signed(port, "v4", "/bucket/key?x-sigkit-format=json")
    status, body = _send(port, signed)
    assert status == 200 and json.loads(body)["verdict"] == "match"


def test_unsigned_request_is_denied(server: VerifyingServer) -> None:
    status = _status(_raw(_port(server), b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
    assert status == 403


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02garbage\r\n\r\n",
        b"GET / HTTP/1.1",  # no CRLF at all, then end of input
        b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 100 * 1024 + b"\r\n\r\n",
        b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
        b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999\r\n\r\n",
        b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(150)) + b"\r\n",
        b"GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 nonsense\r\nHost: h\r\n\r\n",
    ],
)
def test_malformed_http_gets_4xx_and_server_stays_up(server: VerifyingServer, data: bytes) -> None:
    port = _port(server)
    status = _status(_raw(port, data))
    assert 400 <= status < 500
    assert _send(port, _signed(port, "v4"))[0] == 200


def test_keep_alive_connection(server: VerifyingServer) -> None:
    port = _port(server)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(5):
            assert _send(port, _signed(port, "v4"), conn=conn)[0] == 200
    finally:
        conn.close()


def test_concurrency_2000_requests(server: VerifyingServer) -> None:
    """2,000 requests from 20 threads, good and bad mixed: 200 or 4xx only, no errors."""
    port = _port(server)
    good = [_signed(port, kind) for kind in ("v4", "v4q", "v2")]
    bad = [_signed(port, "v4", secret="nope"), _signed(port, "v2", secret="nope")]
    garbage = [b"\x16\x03\x01 tls?\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"]

    def one(i: int) -> tuple[bool, int]:
        if i % 10 == 9:
            return False, _status(_raw(port, garbage[i % 2]))
        if i % 3 == 0:
            return False, _send(port, bad[i % 2])[0]
        return True, _send(port, good[i % 3])[0]

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(2000)))
    elapsed = time.monotonic() - start
    assert elapsed < 20
    for expected_ok, status in results:
        if expected_ok:
            assert status == 200
        else:
            assert 400 <= status < 500


def test_log_lines_hold_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    stream = io.StringIO()
    srv = VerifyingServer(("127.0.0.1", 0), Credentials(KEY, SECRET), log=stream, log_json=True)
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        port = _port(srv)
        assert _send(port, _signed(port, "v4"))[0] == 200
        assert _send(port, _signed(port, "v4", secret="bad"))[0] == 403
        assert _status(_raw(port, b"junk\r\n\r\n")) == 400
    finally:
        srv.shutdown()
        srv.server_close()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert sorted(line["status"] for line in lines) == [200, 400, 403]  # logged after answering
    assert SECRET not in stream.getvalue()

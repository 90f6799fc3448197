"""The proxy's serving core against scripted stores and hostile clients, over loopback only:
bytes forwarded as sent, answers relayed as received (chunked, HEAD, 100 Continue), keep-alive
both ways, malformed or oversized requests answered 400/431 and never forwarded, slow clients
cut at the header deadline while others are served, a store that is down, garbled or silent
answered 502/504 naming it, the connection cap, and a graceful stop on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("h11")

from sigkit.proxy.hooks import AnswerHead, BodyInfo, Exchange, Refuse, RequestHead
from sigkit.proxy.log import LogObserver, line, record, shown_target
from sigkit.proxy.server import ProxyServer, Settings
from sigkit.proxy.upstream import Origin, Pool

# --- a scripted store: a raw socket server whose handler sees every byte ---------------------


class Store:
    """Accepts connections and runs `handler(sock, store)` on each in a thread; keeps every
    byte received per connection."""

    def __init__(self, handler: Callable[[socket.socket, Store], None]) -> None:
        self.handler = handler
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self.received: list[bytes] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            with contextlib.suppress(OSError):
                self.handler(conn, self)

    def close(self) -> None:
        self._stop = True
        self.sock.close()


def read_head(sock: socket.socket, store: Store | None = None) -> bytes:
    """Bytes up to and including the blank line ending a head (b"" when the peer closed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1)
        if not chunk:
            return data
        data += chunk
    if store is not None:
        store.received.append(data)
    return data


def read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(min(65536, n - len(data)))
        if not chunk:
            break
        data += chunk
    return data


def content_length(head: bytes) -> int:
    for raw in head.split(b"\r\n")[1:]:
        name, _, value = raw.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def ok_store(answer: bytes) -> Callable[[socket.socket, Store], None]:
    """Answers every request on the connection with `answer` (keep-alive)."""

    def handler(sock: socket.socket, store: Store) -> None:
        while head := read_head(sock, store):
            body = read_exactly(sock, content_length(head))
            if body:
                store.received.append(body)
            sock.sendall(answer)

    return handler


# --- the proxy in a thread of the test -------------------------------------------------------


RUNNING: list[ProxyServer] = []  # the proxy the innermost `proxy()` runs


@contextlib.contextmanager
def proxy(
    upstream_port: int | None = None, **options: object
) -> Iterator[tuple[int, list[Exchange]]]:
    seen: list[Exchange] = []

    class Keep:
        def observe(self, exchange: Exchange) -> None:
            seen.append(exchange)

    transformer = options.pop("transformer", None)
    options.setdefault("mode", "reverse")
    settings = Settings(
        upstream=Origin("http", "127.0.0.1", upstream_port or 1),
        note=lambda text: None,
        **options,  # type: ignore[arg-type]
    )
    loop = asyncio.new_event_loop()
    holder: dict[str, object] = {}
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = ProxyServer(
            settings,
            Pool(None, read_timeout=settings.answer_timeout),
            observer=Keep(),
            transformer=transformer,  # type: ignore[arg-type]
        )
        holder["server"] = server
        RUNNING[:] = [server]
        holder["port"] = loop.run_until_complete(server.start("127.0.0.1", 0))[1]
        ready.set()
        loop.run_until_complete(server.serve())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield int(holder["port"]), seen  # type: ignore[call-overload]
    finally:
        server = holder["server"]
        loop.call_soon_threadsafe(server.stop)  # type: ignore[attr-defined]
        thread.join(10)
        loop.close()


def exchange(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send `data`, read until the proxy closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


def wait_for(predicate: Callable[[], bool], seconds: float = 10) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# --- transparency ---------------------------------------------------------------------------


def test_request_forwarded_byte_for_byte_and_answer_relayed_as_received() -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nX-Amz-Request-Id: tx1\r\nETag: \"abc\"\r\n"
        b"x-amz-meta-Odd-Case: a  b\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    store = Store(ok_store(answer))
    request = (
        b"PUT /bucket/a%20b+c%2B%27%22%C3%A9?x=1&y=%2F&z&acl= HTTP/1.1\r\n"
        b"User-Agent: t\r\nHost: 127.0.0.1:9\r\nX-Amz-Meta-A: 1\r\nx-amz-meta-a: 2\r\n"
        b"AUTHORIZATION: AWS4-HMAC-SHA256 Credential=AKID/x, Signature=00\r\n"
        b"Content-Length: 3\r\nConnection: close\r\n\r\nabc"
    )
    try:
        with proxy(store.port) as (port, seen):
            got = exchange(port, request)
            assert wait_for(lambda: len(seen) == 1)
    finally:
        store.close()
    # h11 writes Host first; everything else as the client sent it, in order and case.
    assert store.received == [
        b"PUT /bucket/a%20b+c%2B%27%22%C3%A9?x=1&y=%2F&z&acl= HTTP/1.1\r\n"
        b"Host: 127.0.0.1:9\r\nUser-Agent: t\r\nX-Amz-Meta-A: 1\r\nx-amz-meta-a: 2\r\n"
        b"AUTHORIZATION: AWS4-HMAC-SHA256 Credential=AKID/x, Signature=00\r\n"
        b"Content-Length: 3\r\nConnection: close\r\n\r\n",
        b"abc",
    ]
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"HTTP/1.1 200 OK",
        b"X-Amz-Request-Id: tx1",
        b'ETag: "abc"',
        b"x-amz-meta-Odd-Case: a  b",
        b"Transfer-Encoding: chunked",
        b"Connection: close",  # h11 says it closes, as the client asked
    ]
    assert body == b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    (ex,) = seen
    assert ex.request.target == "/bucket/a%20b+c%2B%27%22%C3%A9?x=1&y=%2F&z&acl="
    assert ex.request.headers[1] == ("Host", "127.0.0.1:9")
    assert ex.body.length == 3
    assert ex.body.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert ex.answer is not None and ex.answer.status == 200
    assert ex.answer_body_prefix == b"hello world"


def test_keep_alive_both_ways_and_head() -> None:
    store = Store(ok_store(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"))

    def head_store(sock: socket.socket, st: Store) -> None:
        while head := read_head(sock, st):
            if head.startswith(b"HEAD"):
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n")
            else:
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world")

    store.handler = head_store
    try:
        with (
            proxy(store.port) as (port, _),
            socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        ):
            for method in (b"GET", b"HEAD", b"GET"):
                sock.sendall(method + b" /b/k HTTP/1.1\r\nHost: h\r\n\r\n")
                head = read_head(sock)
                assert head == b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"
                if method == b"GET":
                    assert read_exactly(sock, 11) == b"hello world"
    finally:
        store.close()
    assert store.connections == 1  # one upstream connection carried all three


def test_expect_100_continue_is_relayed() -> None:
    def continuing(sock: socket.socket, store: Store) -> None:
        head = read_head(sock, store)
        sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        store.received.append(read_exactly(sock, content_length(head)))
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    store = Store(continuing)
    try:
        with (
            proxy(store.port) as (port, _),
            socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        ):
            sock.sendall(
                b"PUT /b/k HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                b"Content-Length: 4\r\n\r\n"
            )
            # The body is held back until the store's 100 arrives through the proxy.
            assert read_head(sock) == b"HTTP/1.1 100 Continue\r\n\r\n"
            sock.sendall(b"data")
            assert read_head(sock) == b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    finally:
        store.close()
    assert store.received[1] == b"data"


def test_early_refusal_without_100_reaches_the_client_and_closes() -> None:
    refusal = (
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 56\r\n\r\n"
        b"<Error><Code>SignatureDoesNotMatch</Code></Error>      \n"
    )

    def refusing(sock: socket.socket, store: Store) -> None:
        read_head(sock, store)
        sock.sendall(refusal)

    store = Store(refusing)
    try:
        with proxy(store.port) as (port, seen):
            got = exchange(
                port,
                b"PUT /b/k HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                b"Content-Length: 4\r\n\r\n",
            )
            assert wait_for(lambda: len(seen) == 1)
    finally:
        store.close()
    assert got == refusal
    assert record(seen[0])["code"] == "SignatureDoesNotMatch"


# --- bad input: nothing malformed goes upstream ----------------------------------------------


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET /b/k HTTP/1.1 junk\r\nHost: h\r\n\r\n", 400),
        (b"GET /b/k\r\n\r\n", 400),
        (b"GET /b/k HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n", 400),
        (b"PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n", 400),
        (b"GET /b/k HTTP/1.1\r\nHost: h\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET /b/k HTTP/1.1\r\nHost: h\r\n" + b"X-A: 1\r\n" * 201 + b"\r\n", 431),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40, 400),
        (b"PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
    ],
    ids=["request-line", "http-0.9", "header-name", "content-length", "huge-head",
         "too-many-headers", "tls-hello", "length-and-chunked"],
)  # fmt: skip
def test_malformed_request_is_answered_and_never_forwarded(data: bytes, status: int) -> None:
    store = Store(ok_store(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    try:
        with proxy(store.port) as (port, _):
            got = exchange(port, data)
            # the proxy still serves others
            fine = exchange(port, b"GET /b/k HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    finally:
        store.close()
    assert got.startswith(f"HTTP/1.1 {status} ".encode()), got[:200]
    assert b"<Code>BadRequest</Code>" in got and b"sigkit proxy: " in got
    assert fine.startswith(b"HTTP/1.1 200 OK")
    assert store.received == [b"GET /b/k HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"]


def test_slow_client_is_cut_at_the_header_deadline_while_others_are_served() -> None:
    store = Store(ok_store(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    try:
        with proxy(store.port, header_timeout=1.0) as (port, _):
            slow = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(20)]
            for sock in slow:
                sock.sendall(b"GET /b/k HTTP/1.1\r\nHost: h\r\nX-Slow: ")
            fine = exchange(port, b"GET /b/k HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            answers = []
            for sock in slow:
                with sock:
                    answers.append(sock.recv(65536))
    finally:
        store.close()
    assert fine.endswith(b"\r\n\r\nok")
    assert all(a.startswith(b"HTTP/1.1 408 ") and b"RequestTimeout" in a for a in answers)
    assert len(store.received) == 1


def test_idle_keep_alive_connection_is_closed() -> None:
    with (
        proxy(None, idle_timeout=0.5) as (port, _),
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
    ):
        assert sock.recv(10) == b""  # closed by the proxy, no answer owed


def test_connection_cap_answers_503() -> None:
    store = Store(ok_store(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    try:
        with proxy(store.port, max_connections=2) as (port, _):
            held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(2)]
            assert wait_for(lambda: len(RUNNING[0]._peers) == 2)
            got = exchange(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            for sock in held:
                sock.close()
    finally:
        store.close()
    assert got.startswith(b"HTTP/1.1 503 ") and b"<Code>SlowDown</Code>" in got


# --- the store fails -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_store_down_is_502_naming_it() -> None:
    down = _free_port()
    with proxy(down) as (port, seen):
        got = exchange(port, b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n")
        assert wait_for(lambda: len(seen) == 1)
    assert got.startswith(b"HTTP/1.1 502 ")
    assert f"cannot connect to http://127.0.0.1:{down}".encode() in got
    assert b"<Code>BadGateway</Code>" in got
    assert seen[0].error is not None and record(seen[0])["verdict"] == "proxy-error"


def test_store_answering_garbage_is_502() -> None:
    store = Store(lambda sock, st: (read_head(sock, st), sock.sendall(b"SSH-2.0-OpenSSH\r\n\r\n")))
    try:
        with proxy(store.port) as (port, _):
            got = exchange(port, b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n")
            fine_store = Store(ok_store(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    finally:
        store.close()
    fine_store.close()
    assert got.startswith(b"HTTP/1.1 502 ")
    assert f"http://127.0.0.1:{store.port} answered something that is not HTTP".encode() in got


def test_store_closing_without_answer_is_502() -> None:
    store = Store(lambda sock, st: (read_head(sock, st), None))
    try:
        with proxy(store.port) as (port, _):
            got = exchange(port, b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n")
    finally:
        store.close()
    assert got.startswith(b"HTTP/1.1 502 ")
    assert b"closed the connection without answering" in got


def test_silent_store_is_504_and_others_are_served_meanwhile() -> None:
    release = threading.Event()

    def silent(sock: socket.socket, store: Store) -> None:
        head = read_head(sock, store)
        if b"/slow" in head:
            release.wait(10)
        else:
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    store = Store(silent)
    try:
        with proxy(store.port, answer_timeout=1.0) as (port, _):
            result: list[bytes] = []
            slow = threading.Thread(
                target=lambda: result.append(
                    exchange(port, b"GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
                )
            )
            slow.start()
            fine = exchange(port, b"GET /fast HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            slow.join(10)
            release.set()
    finally:
        store.close()
    assert fine.startswith(b"HTTP/1.1 200 OK")
    assert result[0].startswith(b"HTTP/1.1 504 ")
    assert b"did not answer within 1s" in result[0] and b"GatewayTimeout" in result[0]


def test_stale_pooled_connection_is_replaced_for_a_bodiless_request() -> None:
    """A store that closes a kept-alive connection after one answer: the next GET goes out on
    a fresh connection instead of failing."""

    def once(sock: socket.socket, store: Store) -> None:
        read_head(sock, store)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        time.sleep(0.2)
        sock.shutdown(socket.SHUT_RDWR)

    store = Store(once)
    try:
        with (
            proxy(store.port) as (port, _),
            socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        ):
            for _ in range(3):
                sock.sendall(b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n")
                assert read_head(sock) == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
                assert read_exactly(sock, 2) == b"ok"
                time.sleep(0.3)
    finally:
        store.close()
    assert store.connections == 3


# --- forward mode without a tunnel ----------------------------------------------------------


def test_forward_mode_sends_origin_form_and_keeps_the_host() -> None:
    store = Store(ok_store(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    try:
        with proxy(None, mode="forward") as (port, seen):
            got = exchange(
                port,
                f"GET http://127.0.0.1:{store.port}/b/a%20b?list-type=2 HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{store.port}\r\nProxy-Connection: Keep-Alive\r\n"
                "Connection: close\r\n\r\n".encode(),
            )
            lone = exchange(port, b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n")
            assert wait_for(lambda: len(seen) == 2)
    finally:
        store.close()
    assert got.startswith(b"HTTP/1.1 200 OK")
    assert store.received == [
        f"GET /b/a%20b?list-type=2 HTTP/1.1\r\nHost: 127.0.0.1:{store.port}\r\n"
        "Connection: close\r\n\r\n".encode()
    ]
    assert seen[0].request.authority == f"127.0.0.1:{store.port}"
    assert lone.startswith(b"HTTP/1.1 400 ") and b"forward proxy" in lone


def test_forward_mode_refusal_masks_a_signature_and_token_in_answer_and_log() -> None:
    target = "https://s3.example/b/k?X-Amz-Signature=deadbeef0123&X-Amz-Security-Token=TOK99"
    with proxy(None, mode="forward") as (port, seen):
        got = exchange(port, f"GET {target} HTTP/1.1\r\nHost: s3.example\r\n\r\n".encode())
        assert wait_for(lambda: len(seen) == 1)
    expected = "cannot forward 'https://s3.example/b/k?X-Amz-Signature=…&X-Amz-Security-Token=…'"
    assert got.startswith(b"HTTP/1.1 400 ")
    assert f"<Message>sigkit proxy: {expected.replace('&', '&amp;')}</Message>" in got.decode()
    assert seen[0].error == expected
    assert record(seen[0])["error"] == expected
    assert f"({expected})" in line(seen[0])


def test_connect_is_refused_in_reverse_mode() -> None:
    with proxy(None) as (port, _):
        got = exchange(port, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 405 ") and b"--forward" in got


# --- the transformer hook (re-sign plugs in here) ------------------------------------------


class Upper:
    """Rewrites the head (a header added, the length changed) and upper-cases the body;
    refuses or fails when told to by the path."""

    async def transform(
        self, head: RequestHead, body: AsyncIterator[bytes], length: int | None
    ) -> tuple[RequestHead, AsyncIterator[bytes], int | None]:
        if head.target == "/refuse":
            raise Refuse(403, "AccessDenied", "no key")
        if head.target == "/fail":
            raise RuntimeError("broken signer")

        async def upper() -> AsyncIterator[bytes]:
            async for chunk in body:
                if head.target == "/refuse-mid":
                    raise Refuse(403, "SignatureDoesNotMatch", "chunk 1 does not verify")
                yield chunk.upper() + b"!"

        headers = tuple(h for h in head.headers if h[0].lower() != "content-length")
        out = RequestHead(head.method, head.target, (*headers, ("X-Signed", "yes")),
                          head.scheme, head.authority)  # fmt: skip
        return out, upper(), None if length is None else length + 1


def test_transformer_rewrites_head_and_body() -> None:
    store = Store(ok_store(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    try:
        with proxy(store.port, transformer=Upper()) as (port, seen):
            got = exchange(
                port, b"PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close"
                b"\r\n\r\nabc",
            )  # fmt: skip
            assert wait_for(lambda: len(seen) == 1)
    finally:
        store.close()
    assert got.startswith(b"HTTP/1.1 200 OK")
    assert store.received == [
        b"PUT /b/k HTTP/1.1\r\nHost: h\r\nConnection: close\r\nX-Signed: yes\r\n"
        b"Content-Length: 4\r\n\r\n",
        b"ABC!",
    ]
    (ex,) = seen
    assert ex.body.length == 3 and ex.forwarded is not None
    assert ex.forwarded.header("X-Signed") == "yes" and ex.request.header("X-Signed") is None


class Spooling:
    """Reads the whole body before it answers with the head (as the re-signer does when it
    hashes the body or checks a client's signature over it), and drops Expect."""

    async def transform(
        self, head: RequestHead, body: AsyncIterator[bytes], length: int | None
    ) -> tuple[RequestHead, AsyncIterator[bytes], int | None]:
        data = b"".join([chunk async for chunk in body])

        async def again() -> AsyncIterator[bytes]:
            yield data

        headers = tuple(h for h in head.headers if h[0].lower() != "expect")
        out = RequestHead(head.method, head.target, headers, head.scheme, head.authority)
        return out, again(), len(data)


def test_a_client_waiting_for_100_gets_it_from_a_proxy_reading_the_body_first() -> None:
    store = Store(ok_store(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    try:
        with proxy(store.port, transformer=Spooling()) as (port, seen):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(
                    b"PUT /b/k HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                    b"Content-Length: 3\r\nConnection: close\r\n\r\n"
                )
                # Nothing of the body is sent until the 100 has arrived.
                assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
                sock.sendall(b"abc")
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            assert wait_for(lambda: len(seen) == 1)
    finally:
        store.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert store.received == [
        b"PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\n",
        b"abc",
    ]


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/refuse", 403, b"<Code>AccessDenied</Code><Message>sigkit proxy: no key</Message>"),
        ("/refuse-mid", 403, b"<Code>SignatureDoesNotMatch</Code>"),
        ("/fail", 500, b"could not be prepared for the store: broken signer"),
    ],
)
def test_transformer_refusal_or_failure_is_answered_and_no_body_forwarded(
    path: str, status: int, says: bytes
) -> None:
    store = Store(ok_store(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    try:
        with proxy(store.port, transformer=Upper()) as (port, seen):
            got = exchange(
                port, f"PUT {path} HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc".encode()
            )
            assert wait_for(lambda: len(seen) == 1)
    finally:
        store.close()
    assert got.startswith(f"HTTP/1.1 {status} ".encode()) and says in got, got
    assert b"ABC" not in b"".join(store.received)
    assert seen[0].answer is not None and seen[0].answer.status == status


# --- the log ---------------------------------------------------------------------------------


def test_log_line_masks_signatures_and_tokens() -> None:
    target = (
        "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1"
        "%2Fs3%2Faws4_request&X-Amz-Security-Token=FQoGZXIvYXdzEJr&X-Amz-Signature=abcdef0123"
    )
    ex = Exchange(
        request=RequestHead("GET", target, (("Host", "h"),), "http", "h"),
        body=BodyInfo(),
        answer=AnswerHead(403, "Forbidden", ()),
        answer_body_prefix=b"<Error><Code>AccessDenied</Code></Error>",
        elapsed=0.012,
    )
    text = line(ex)
    assert text == (
        "GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1"
        "%2Fs3%2Faws4_request&X-Amz-Security-Token=…&X-Amz-Signature=… 403 AccessDenied 12ms"
    )
    assert shown_target("/b/k?Signature=xyz&Expires=1") == "/b/k?Signature=…&Expires=1"
    rec = record(ex)
    assert (rec["status"], rec["code"], rec["verdict"], rec["findings"]) == (
        403, "AccessDenied", "refused", [],
    )  # fmt: skip
    LogObserver(as_json=True, stream=open(os.devnull, "w")).observe(ex)  # noqa: SIM115


# --- the command -----------------------------------------------------------------------------


def _sigkit(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sigkit.cli.app", *args],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "--upstream: give --upstream URL (reverse mode) or --forward, one of them"),
        (("--upstream", "ftp://x"), "--upstream: 'ftp://x': give scheme://host[:port]"),
        (("--upstream", "http://h:9000/prefix"), "give the store without a path"),
        (("--upstream", "http://h", "--forward"), "one of them"),
        (("--forward", "--upstream-ca", "/nonexistent/ca.pem"), "--upstream-ca: /nonexistent"),
        (("--upstream", "http://h", "--no-mitm"), "--no-mitm: only in forward mode"),
        (("--upstream", "http://h", "--header-timeout", "nan"), "--header-timeout"),
        (("--upstream", "http://[::1"), "--upstream: 'http://[::1': Invalid IPv6 URL"),
        (("--upstream", "http://h", "--store", "bogus"), "--store: no store profile 'bogus'"),
        (("--upstream", "http://h", "--payload", "hashed"), "--payload: only with --resign"),
        (("--upstream", "http://h", "--client-key", "A:B"), "--client-key: only with --resign"),
        (
            ("--upstream", "http://h", "--client-key-file", "/nonexistent/keys"),
            "--client-key-file: /nonexistent/keys: cannot read it (No such file or directory)",
        ),
    ],
)
def test_bad_options_are_one_line_exit_2(args: tuple[str, ...], says: str) -> None:
    proc = _sigkit("proxy", *args)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert len(err.strip().splitlines()) == 1 and says in err, err


def test_ca_folder_writable_by_others_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    folder.mkdir()
    folder.chmod(0o777)
    proc = _sigkit("proxy", "--forward", "--port", "0", "--ca-dir", str(folder))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert err.strip() == (
        f"sigkit: error: --ca-dir: {folder} is writable by others; chmod 700 it "
        "(it holds the proxy's CA key)"
    ), err
    assert list(folder.iterdir()) == []


def test_resign_reachable_from_other_hosts_without_client_key_warns() -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDR1WARN", "AWS_SECRET_ACCESS_KEY": "s"}
    proc = _sigkit(
        "proxy", "--upstream", "http://127.0.0.1:9", "--resign", "--host", "0.0.0.0",
        "--port", "0", env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        lines = [proc.stderr.readline() for _ in range(4)]
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert lines[1] == (
        "sigkit: warning: --resign on 0.0.0.0 without --client-key: whoever reaches the proxy "
        "acts as AKIDR1WARN on the store\n"
    ), lines
    assert "sigkit: warning: listening on 0.0.0.0: reachable from other hosts" in lines[3], lines


def test_client_key_file_line_without_colon_is_one_line_exit_2(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# clients\nAKIDONLY\n")
    proc = _sigkit("proxy", "--upstream", "http://h", "--resign", "--client-key-file", str(keys))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert err.strip() == (
        f"sigkit: error: --client-key-file: {keys} line 2: give ID:SECRET on each line"
    )


def test_sigterm_stops_gracefully_finishing_the_request_in_flight(tmp_path: Path) -> None:
    release = threading.Event()

    def slow(sock: socket.socket, store: Store) -> None:
        read_head(sock, store)
        release.wait(10)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")

    store = Store(slow)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path)
    proc = _sigkit(
        "proxy", "--upstream", f"http://127.0.0.1:{store.port}", "--port", "0", "--json", env=env
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        port = int(first.split('"listening": "http://127.0.0.1:')[1].split('"')[0])
        result: list[bytes] = []
        client = threading.Thread(
            target=lambda: result.append(exchange(port, b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n"))
        )
        client.start()
        assert wait_for(lambda: len(store.received) == 1)
        proc.send_signal(signal.SIGTERM)


        def refused() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
            except OSError:
                return True
            return False

        assert wait_for(refused)  # no longer accepting, while the request in flight goes on
        release.set()
        client.join(10)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        store.close()
    assert result[0].endswith(b"\r\n\r\ndone")


def test_without_h11_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from sigkit.cli import app

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "h11" else real(name, *a)
    )
    assert app.main(["proxy", "--upstream", "http://127.0.0.1:9"]) == 2
    assert capsys.readouterr().err == (
        "sigkit: error: sigkit proxy: needs h11: pip install 'sigkit[proxy]'\n"
    )

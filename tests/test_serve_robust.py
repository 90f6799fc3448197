"""`sigkit serve` under a hostile or heavy load, over loopback only: UTF-8 header values,
slow clients cut at the deadline without starving valid ones, a connection cap, memory back
after large bodies, and a stop on SIGTERM within a second."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sigkit.credentials import Credentials
from sigkit.http import Request, parse_request_text
from sigkit.serve import VerifyingServer
from sigkit.sigv4.config import rules_for
from sigkit.sigv4.signer import sign_v4
from sigkit.verify import verify_request

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(KEY, SECRET)


@contextlib.contextmanager
def _server(**options: object) -> Iterator[VerifyingServer]:
    srv = VerifyingServer(("127.0.0.1", 0), {KEY: CREDS}, log=None, **options)  # type: ignore[arg-type]
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def server() -> Iterator[VerifyingServer]:
    with _server(request_deadline=1.5) as srv:
        yield srv


def _port(srv: VerifyingServer) -> int:
    return int(srv.server_address[1])


def _signed_bytes(port: int, headers: tuple[tuple[str, str], ...] = (), body: bytes = b"") -> bytes:
    """A request signed by sigkit (SigV4, S3), as the bytes a client sends."""
    request = Request(
        "PUT" if body else "GET",
        "/bucket/key",
        None,
        (("Host", f"127.0.0.1:{port}"), *headers),
        body or None,
        scheme="http",
    )
    result = sign_v4(request, CREDS, datetime.now(UTC), rules_for("s3", "us-east-1"))
    head, _, _ = result["signed_request"].partition("\n\n")
    lines = head.split("\n")
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def _exchange(port: int, data: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_utf8_header_values_verify_as_verify_does(server: VerifyingServer) -> None:
    """A request sigkit signs with x-amz-meta-m: é: serve answers 200, and `verify` (the raw
    request text) says match, on the same bytes."""
    data = _signed_bytes(_port(server), (("x-amz-meta-m", "é"),))
    assert "x-amz-meta-m:é".encode() in data
    assert _status(_exchange(_port(server), data)) == 200
    offline = verify_request(parse_request_text(data), CREDS, datetime.now(UTC))
    assert offline.verdict == "match"


def test_a_header_that_is_not_utf8_is_verified_not_refused(server: VerifyingServer) -> None:
    data = _signed_bytes(_port(server), (("x-amz-meta-m", "é"),))
    broken = data.replace("x-amz-meta-m:é".encode(), b"x-amz-meta-m:\xe9")  # Latin-1 é
    answer = _exchange(_port(server), broken)
    assert _status(answer) == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer


def test_a_non_ascii_signature_is_a_mismatch_not_a_500(server: VerifyingServer) -> None:
    data = _signed_bytes(_port(server))
    signature = data.split(b"Signature=")[1].split(b"\r\n")[0]
    answer = _exchange(_port(server), data.replace(signature, "é".encode() * 64))
    assert _status(answer) == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer


def test_slow_clients_are_cut_at_the_deadline_and_do_not_starve_others() -> None:
    with _server(request_deadline=4.0) as srv:
        port, deadline = _port(srv), srv.request_deadline
        slow: list[tuple[socket.socket, float]] = []
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET /bucket/key HTTP/1.1\r\nHost: x\r\n")
            slow.append((sock, time.monotonic()))
        stop = threading.Event()

        def trickle() -> None:  # a byte per connection every 0.2 s: never a whole request
            while not stop.wait(0.2):
                for sock, _ in slow:
                    with contextlib.suppress(OSError):
                        sock.send(b"x")

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            timings = []
            for _ in range(10):  # valid requests while the 300 are connected
                t0 = time.monotonic()
                assert _status(_exchange(port, _signed_bytes(port))) == 200
                timings.append(time.monotonic() - t0)
            assert max(timings) < 1.0, timings
            assert time.monotonic() < slow[0][1] + deadline  # all held while answering
            late = []
            for sock, opened in slow:
                sock.settimeout(deadline + 3)
                try:
                    while sock.recv(65536):
                        pass
                except OSError:
                    pass
                late.append(time.monotonic() - opened - deadline)
            assert max(late) < 1.0, max(late)  # each cut within a second of its deadline
        finally:
            stop.set()
            thread.join()
            for sock, _ in slow:
                sock.close()
        assert _status(_exchange(port, _signed_bytes(port))) == 200


def test_connections_over_the_cap_get_slow_down() -> None:
    with _server(request_deadline=1.0, max_connections=5) as srv:
        port = _port(srv)
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(5)]
        time.sleep(0.2)
        answer = _exchange(port, _signed_bytes(port), timeout=5)
        assert _status(answer) == 503 and b"<Code>SlowDown</Code>" in answer
        time.sleep(1.5)  # the idle five are cut at their deadline: room again
        assert _status(_exchange(port, _signed_bytes(port))) == 200
        for sock in idle:
            sock.close()


def _start_serve(*extra: str) -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "sigkit.cli.app", "serve", "--port", "0", "--json"),
            *("--access-key", KEY, "--secret-key", SECRET, "--region", "us-east-1", *extra),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    port = int(json.loads(line)["listening"].rsplit(":", 1)[1])
    return process, port


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/PID/status")
def test_memory_goes_back_after_large_uploads() -> None:
    """20 concurrent 16 MiB uploads (the default --max-body), signed right and then wrong:
    the server's resident memory afterwards is within twice what it was idle."""
    process, port = _start_serve()
    try:
        assert _status(_exchange(port, _signed_bytes(port, body=b"warm-up"))) == 200
        idle = _rss_kib(process.pid)
        body = os.urandom(1 << 20) * 16
        digest = hashlib.sha256(body).hexdigest()
        data = _signed_bytes(port, (("x-amz-content-sha256", digest),), body)
        # A signature that does not match sends each body through the debugger's search too
        # (the path that kept 127 MB when bodies were held in memory).
        wrong = data.replace(b"Signature=", b"Signature=0", 1)
        for request, status in ((data, 200), (wrong, 403)):
            with ThreadPoolExecutor(20) as pool:
                answers = list(pool.map(_exchange, [port] * 20, [request] * 20, [60.0] * 20))
            assert [_status(a) for a in answers] == [status] * 20
        time.sleep(0.5)
        after = _rss_kib(process.pid)
        assert after <= 2 * idle, (idle, after)
    finally:
        process.kill()
        process.wait()


def test_stops_on_sigterm_within_a_second() -> None:
    process, port = _start_serve()
    try:
        hanging = socket.create_connection(("127.0.0.1", port), timeout=5)
        hanging.sendall(b"GET / HTTP/1.1\r\n")  # a request in the middle of arriving
        assert _status(_exchange(port, _signed_bytes(port))) == 200
        t0 = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=5)
        took = time.monotonic() - t0
        hanging.close()
        assert took < 1.0 and code == 0, (took, code)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

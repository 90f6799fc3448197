"""The proxy moves a 1 GiB body up and a 1 GiB body down in constant memory: the peak
resident size of the `sigkit proxy` process (VmHWM) stays below 64 MiB, and every byte
arrives (SHA-256 on both ends).

The store here is a scripted one on loopback (it hashes what it receives and streams what it
sends), so the bound holds without a real store too. The same 1 GiB through the real Ceph RGW,
and the 100 MiB multipart workloads, are in tests/e2e/test_proxy_transparency.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("h11")

SIZE = 1 << 30
BLOCK = random.Random(7).randbytes(1 << 20)


def blocks() -> Iterator[bytes]:
    for i in range(SIZE // len(BLOCK)):
        yield i.to_bytes(8, "big") + BLOCK[8:]


def expected_sha() -> str:
    digest = hashlib.sha256()
    for block in blocks():
        digest.update(block)
    return digest.hexdigest()


def _head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def _store(sock: socket.socket) -> None:
    """PUT: hash the body, answer its SHA-256 as the ETag. GET: stream the 1 GiB body."""
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:  # the test closed the listener
            return
        with conn, contextlib.suppress(OSError):
            while head := _head(conn):
                if head.startswith(b"PUT"):
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    digest = hashlib.sha256()
                    left = length
                    while left:
                        chunk = conn.recv(min(1 << 20, left))
                        if not chunk:
                            return
                        digest.update(chunk)
                        left -= len(chunk)
                    conn.sendall(
                        f'HTTP/1.1 200 OK\r\nETag: "{digest.hexdigest()}"\r\n'
                        "Content-Length: 0\r\n\r\n".encode()
                    )
                else:
                    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\n\r\n".encode())
                    for block in blocks():
                        conn.sendall(block)


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_one_gib_up_and_down_in_constant_memory(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    store_port = listener.getsockname()[1]
    threading.Thread(target=_store, args=(listener,), daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path)
    log = tmp_path / "proxy.jsonl"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sigkit.cli.app", "proxy", "--upstream",
             f"http://127.0.0.1:{store_port}", "--port", "0", "--json"],
            stdout=out, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not log.read_text().strip():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        url = json.loads(log.read_text().splitlines()[0])["listening"]
        port = int(url.rsplit(":", 1)[1])
        want = expected_sha()
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            head = f"PUT /b/big HTTP/1.1\r\nHost: h\r\nContent-Length: {SIZE}\r\n\r\n"
            sock.sendall(head.encode())
            for block in blocks():
                sock.sendall(block)
            put_answer = _head(sock)
            sock.sendall(b"GET /b/big HTTP/1.1\r\nHost: h\r\n\r\n")
            get_head = _head(sock)
            digest = hashlib.sha256()
            left = SIZE
            while left:
                chunk = sock.recv(min(1 << 20, left))
                assert chunk, "the proxy closed mid-body"
                digest.update(chunk)
                left -= len(chunk)
        peak = _peak_kib(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        listener.close()
    assert put_answer == (
        f'HTTP/1.1 200 OK\r\nETag: "{want}"\r\nContent-Length: 0\r\n\r\n'.encode()
    )
    assert get_head == f"HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\n\r\n".encode()
    assert digest.hexdigest() == want
    assert peak < 64 * 1024, f"peak resident size {peak} KiB"

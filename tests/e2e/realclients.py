"""Real clients, a recording relay and a pool of sigkit CLI workers for the per-cause e2e tests.

- `Recorder`: a TCP relay in front of an endpoint (`sigkit serve` or Ceph RGW) that keeps what
  the server received and answered, byte for byte (optionally rewriting the Host header as a
  reverse proxy does).
- Clients: botocore's real client stack (`session.create_client('s3', ...)`) with its debug log in
  the AWS CLI format; the installed AWS CLI v1 (`aws ... --debug`); curl 7.88 (`/usr/bin/curl -v
  --aws-sigv4`); the AWS docs' S3 V2 openssl recipe in bash; a raw socket.
- `SigkitPool`: `sigkit` CLI calls (``sigkit.cli.app.main``) in a few long-lived worker processes
  with an environment that holds no AWS credentials, so many calls stay fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config

AWSCLI_FORMAT = "%(asctime)s - %(threadName)s - %(name)s - %(levelname)s - %(message)s"
CURL = "/usr/bin/curl"


def find_aws() -> str:
    """The installed AWS CLI v1 (its real script, not the pyenv shim, which needs HOME)."""
    found = shutil.which("aws")
    candidates = sorted(Path("/root/.pyenv/versions").glob("*/bin/aws"))
    for path in [*candidates, *([Path(found)] if found else [])]:
        if path.exists() and "shims" not in str(path):
            return str(path)
    raise RuntimeError("the AWS CLI (aws) is not installed")


# -- HTTP framing ------------------------------------------------------------------------------
def _head_end(data: bytes, start: int) -> int:
    end = data.find(b"\r\n\r\n", start)
    return -1 if end < 0 else end + 4


def _headers(head: bytes) -> list[tuple[str, str]]:
    out = []
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            name, _, value = line.partition(b":")
            out.append((name.decode("latin-1").strip(), value.decode("latin-1").strip()))
    return out


def _body_len(headers: list[tuple[str, str]], data: bytes, start: int) -> int:
    """Length of the body starting at `start` (Content-Length, chunked, else none)."""
    names = {n.lower(): v for n, v in headers}
    if "chunked" in names.get("transfer-encoding", "").lower():
        pos = start
        while True:
            line_end = data.find(b"\r\n", pos)
            if line_end < 0:
                return len(data) - start
            size = int(data[pos:line_end].split(b";")[0] or b"0", 16)
            pos = line_end + 2 + size + 2
            if size == 0:
                trailer = data.find(b"\r\n", pos - 2)
                return max(pos, trailer + 2) - start
    if "content-length" in names:
        return int(names["content-length"])
    return 0


def split_requests(data: bytes) -> list[tuple[int, bytes]]:
    """The requests in a client's byte stream: (offset, bytes)."""
    out, pos = [], 0
    while pos < len(data):
        end = _head_end(data, pos)
        if end < 0:
            out.append((pos, data[pos:]))
            break
        length = _body_len(_headers(data[pos:end]), data, end)
        out.append((pos, data[pos : end + length]))
        pos = end + length
    return out


def split_responses(data: bytes, methods: list[str]) -> list[bytes]:
    """The final (non-1xx) responses in a server's byte stream, one per request method."""
    out, pos, index = [], 0, 0
    while pos < len(data):
        end = _head_end(data, pos)
        if end < 0:
            out.append(data[pos:])
            break
        head = data[pos:end]
        status = int(head.split(b" ", 2)[1])
        if 100 <= status < 200:
            pos = end
            continue
        method = methods[index] if index < len(methods) else "GET"
        length = 0 if method == "HEAD" else _body_len(_headers(head), data, end)
        lower = head.lower()
        if method != "HEAD" and b"content-length" not in lower and b"chunked" not in lower:
            length = len(data) - end  # until the connection closed
        out.append(data[pos : end + length])
        pos = end + length
        index += 1
    return out


def response_headers(response: bytes) -> list[tuple[str, str]]:
    end = _head_end(response, 0)
    return _headers(response[:end]) if end > 0 else []


@dataclass
class Exchange:
    """One request as the server received it and the server's whole answer."""

    raw: bytes
    response: bytes
    received_at: datetime

    @property
    def status(self) -> int:
        return int(self.response.split(b" ", 2)[1]) if self.response else 0

    @property
    def body(self) -> bytes:
        end = self.response.find(b"\r\n\r\n")
        return self.response[end + 4 :] if end >= 0 else b""

    @property
    def method(self) -> str:
        return self.raw.split(b" ", 1)[0].decode("latin-1")


# -- the recording relay -------------------------------------------------------------------
@dataclass
class _Conn:
    up: list[tuple[float, bytes]] = field(default_factory=list)
    down: list[bytes] = field(default_factory=list)


class Recorder:
    """A TCP relay to `upstream` that records both directions of every connection.

    `host_rewrite` (a reverse proxy's habit) maps the Host header value of each request."""

    def __init__(
        self,
        upstream: tuple[str, int],
        listen: tuple[str, int] = ("127.0.0.1", 0),
        host_rewrite: Callable[[str], str] | None = None,
    ) -> None:
        self.upstream = upstream
        self.host_rewrite = host_rewrite
        self._sock = socket.create_server(listen)
        self.host, self.port = self._sock.getsockname()[:2]
        self._conns: list[_Conn] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        while not self._closed:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=30)
            except OSError:
                client.close()
                continue
            conn = _Conn()
            self._conns.append(conn)
            for target in (self._up, self._down):
                thread = threading.Thread(target=target, args=(client, server, conn), daemon=True)
                thread.start()
                self._threads.append(thread)

    def _up(self, client: socket.socket, server: socket.socket, conn: _Conn) -> None:
        pending = b""
        try:
            while True:
                chunk = client.recv(65536)
                if not chunk:
                    break
                if self.host_rewrite is not None:
                    pending += chunk
                    chunk, pending = self._rewrite(pending)
                    if not chunk:
                        continue
                conn.up.append((time.time(), chunk))
                server.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_WR)

    def _rewrite(self, data: bytes) -> tuple[bytes, bytes]:
        """Rewrite the Host of every complete request head in `data`; (ready, pending)."""
        out = b""
        while True:
            end = _head_end(data, 0)
            if end < 0:
                return out, data
            head = data[:end]
            length = _body_len(_headers(head), data, end)
            if len(data) < end + length:
                # The body may follow after 100 Continue: pass the head on now.
                length = len(data) - end
            head = re.sub(rb"(?im)^(host:[ \t]*)([^\r\n]*)", self._new_host, head, count=1)
            out += head + data[end : end + length]
            data = data[end + length :]
            if not data:
                return out, b""

    def _new_host(self, match: re.Match[bytes]) -> bytes:
        assert self.host_rewrite is not None
        value = self.host_rewrite(match.group(2).decode("latin-1"))
        return match.group(1) + value.encode("latin-1")

    def _down(self, client: socket.socket, server: socket.socket, conn: _Conn) -> None:
        try:
            while True:
                chunk = server.recv(65536)
                if not chunk:
                    break
                conn.down.append(chunk)
                client.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_WR)

    def close(self) -> list[Exchange]:
        """Stop listening; every exchange seen, in order."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()
        time.sleep(0.05)
        out: list[Exchange] = []
        for conn in list(self._conns):
            up = b"".join(chunk for _, chunk in conn.up)
            starts: list[tuple[int, float]] = []
            offset = 0
            for moment, chunk in conn.up:
                starts.append((offset, moment))
                offset += len(chunk)
            requests = split_requests(up)
            methods = [raw.split(b" ", 1)[0].decode("latin-1") for _, raw in requests]
            responses = split_responses(b"".join(conn.down), methods)
            for (pos, raw), response in zip(requests, responses, strict=False):
                moment = max(m for o, m in starts if o <= pos)
                out.append(Exchange(raw, response, datetime.fromtimestamp(moment, UTC)))
        return out


# -- botocore, with the AWS CLI's debug log ---------------------------------------------------
class _ThreadFilter(logging.Filter):
    def __init__(self, ident: int) -> None:
        super().__init__()
        self.ident = ident

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread == self.ident


_LOG_LOCK = threading.Lock()
_LOG_USERS = [0]


@contextlib.contextmanager
def debug_log() -> Iterator[io.StringIO]:
    """botocore's and urllib3's DEBUG records of this thread, formatted as `aws --debug` does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(AWSCLI_FORMAT))
    handler.addFilter(_ThreadFilter(threading.get_ident()))
    loggers = [logging.getLogger("botocore"), logging.getLogger("urllib3")]
    with _LOG_LOCK:
        _LOG_USERS[0] += 1
        for log in loggers:
            log.setLevel(logging.DEBUG)
            log.addHandler(handler)
    try:
        yield stream
    finally:
        with _LOG_LOCK:
            for log in loggers:
                log.removeHandler(handler)
            _LOG_USERS[0] -= 1
            if not _LOG_USERS[0]:
                for log in loggers:
                    log.setLevel(logging.NOTSET)


def boto_client(
    endpoint: str,
    key: str,
    secret: str,
    *,
    token: str | None = None,
    region: str = "us-east-1",
    signature_version: str = "s3v4",
    addressing: str = "path",
) -> Any:
    """A real botocore S3 client (no retries, no credentials from the environment)."""
    session = botocore.session.Session()
    config = Config(
        signature_version=signature_version,
        s3={"addressing_style": addressing},
        retries={"max_attempts": 0, "mode": "legacy"},
        connect_timeout=10,
        read_timeout=20,
    )
    return session.create_client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=config,
    )


def call(client: Any, operation: str, **params: Any) -> None:
    """Call an operation; a refusal (ClientError) is the expected outcome and is swallowed."""
    from botocore.exceptions import ClientError

    with contextlib.suppress(ClientError):
        result = client._make_api_call(operation, params)
        body = result.get("Body")
        if body is not None:
            body.read()


def set_header(request: Any, name: str, value: str | None) -> None:
    """Replace (or, with None, remove) a header of botocore's prepared request."""
    if name in request.headers:
        del request.headers[name]
    if value is not None:
        request.headers[name] = value


# -- subprocess clients ---------------------------------------------------------------------
def clean_env(home: str, **extra: str) -> dict[str, str]:
    """An environment with no AWS configuration or credentials of the machine."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "AWS_CONFIG_FILE": os.path.join(home, "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "legacy",
        "AWS_PAGER": "",
    }
    env.update(extra)
    return env


def run_aws(home: str, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """`aws ARGS --debug`; its stderr is the debug log with the answer and the error line."""
    return subprocess.run(
        [find_aws(), *args, "--debug"],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(home, **env),
        check=False,
        stdin=subprocess.DEVNULL,
    )


def run_curl(*args: str) -> str:
    """`curl -sS -v ARGS` with stderr and stdout in one stream, as `2>&1` shows them."""
    proc = subprocess.run(
        [CURL, "-sS", "-v", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return proc.stdout.decode("utf-8", "replace")


def run_bash(script: str, home: str, **env: str) -> str:
    proc = subprocess.run(
        ["bash", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=30,
        check=False,
        env=clean_env(home, **env),
        cwd=home,
        stdin=subprocess.DEVNULL,
    )
    return proc.stdout.decode("utf-8", "replace")


def send_raw(host: str, port: int, raw: bytes) -> None:
    """The exact bytes on a fresh socket; read until the server closes or answers fully."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(raw)
        import http.client

        response = http.client.HTTPResponse(sock, method=raw.split(b" ", 1)[0].decode())
        response.begin()
        response.read()


# -- sigkit CLI workers ---------------------------------------------------------------------
_WORKER = r"""
import contextlib, io, json, sys
from sigkit.cli.app import main
out_stream = sys.stdout
for line in sys.stdin:
    argv = json.loads(line)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        except BaseException as exc:
            import traceback
            traceback.print_exc(file=err)
            code = 99
    answer = {"code": code, "out": out.getvalue(), "err": err.getvalue()}
    out_stream.write(json.dumps(answer) + "\n")
    out_stream.flush()
"""


@dataclass(frozen=True)
class CliResult:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.out)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def first_cause(self) -> str | None:
        data = self.json() or {}
        findings = data.get("findings") or []
        if findings and isinstance(findings[0], dict):
            return str(findings[0].get("cause"))
        return None

    def show(self) -> str:
        data = self.json()
        summary: object
        if data is None:
            summary = self.out[:400]
        else:
            summary = {
                "verdict": data.get("verdict"),
                "findings": [
                    (f.get("cause"), f.get("certain"), str(f.get("evidence"))[:160])
                    for f in (data.get("findings") or [])[:4]
                ],
                "problems": [
                    (p.get("code"), p.get("cause")) for p in (data.get("problems") or [])[:3]
                ],
            }
        return f"sigkit {' '.join(self.argv)} -> exit {self.code}: {summary} {self.err[-400:]}"


class SigkitPool:
    """`sigkit` calls in long-lived workers; `run_all` spreads a batch over them."""

    TIMEOUT = 60.0  # seconds for one call; a call that hangs is a failure, not a hung run

    def __init__(self, home: str, workers: int = 3) -> None:
        env = clean_env(home)
        for name in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
            env.pop(name)
        env["PYTHONHASHSEED"] = "0"
        self._env, self._home = env, home
        self._procs = [self._start() for _ in range(workers)]

    def _start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=self._env,
            cwd=self._home,
        )

    def _run(self, slot: int, argv: list[str]) -> CliResult:
        proc = self._procs[slot]
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(argv) + "\n")
        proc.stdin.flush()
        answer: list[str] = []
        reader = threading.Thread(target=lambda: answer.append(proc.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(self.TIMEOUT)
        if reader.is_alive() or not answer or not answer[0]:
            proc.kill()
            proc.wait()
            self._procs[slot] = self._start()
            why = f"no answer within {self.TIMEOUT:.0f} s" if reader.is_alive() else "it died"
            return CliResult(tuple(argv), 98, "", f"the sigkit worker: {why}")
        data = json.loads(answer[0])
        return CliResult(tuple(argv), int(data["code"]), data["out"], data["err"])

    def run_all(self, batch: list[list[str]]) -> list[CliResult]:
        results: list[CliResult | None] = [None] * len(batch)
        lock = threading.Lock()
        queue = list(enumerate(batch))

        def work(slot: int) -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    index, argv = queue.pop(0)
                results[index] = self._run(slot, argv)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(self._procs))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [r for r in results if r is not None]

    def close(self) -> None:
        for proc in self._procs:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=10)

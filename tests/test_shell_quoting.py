"""Every command sigkit prints for a shell, run by bash and the real curl: nothing but curl
runs, and the request bytes a server receives are exactly the ones the user asked for.

Each generated command (every `sigkit curl` verb in every style, V4 and V2, `presign --curl`,
`post-policy --curl`, `chunked --curl`) is made from hypothesis-generated keys, header names
(every RFC 9110 token character), header values, metadata and file names (quotes, ``$``,
backticks, ``;``, line feeds, ``\\``, ``*``, ``~``, a leading ``-``, unicode), and run with
bash whose PATH holds only the programs the commands need (curl, openssl, date, sed). Any
other command name — an injected ``$(id)``, a header name's backticks — reaches bash's
``command_not_found_handle``, which records it: the test fails. A small socket server on
127.0.0.1 records the raw bytes of each request; the test compares method, path, query,
header names and values and the body with what was asked for (independently encoded with
urllib), and checks that the signature the server would see is valid (sigkit's verifier).
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote as urlquote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sigkit import Credentials, S3V2Config
from sigkit.cli.app import _main as sigkit_main
from sigkit.http import parse_request_text
from sigkit.verify import verify_request

AK = "AKIDSHELLQUOTING01"
SK = "shell/quoting+secret=key"
TOKEN = "tok/en+with=chars$(id)`id`"
BUCKET = "sigkit-q"
TCHAR = "!#$%&'*+-.^_`|~"  # RFC 9110 token characters besides letters and digits
HOSTILE = "'\"$`;\\*~-!#%&()+,=?@[]{}|<>^: \u00e9\u65e5\U0001f642"
KEY_CHARS = HOSTILE + "\n\r\tab/."
FILE_CHARS = HOSTILE + "\nab."
NEEDED = ("curl", "openssl", "date", "sed")
STYLES = [("aws-sigv4", "v4"), ("headers", "v4"), ("headers", "v2"), ("script", "v4"),
          ("script", "v2")]  # fmt: skip
VERBS = ["mb", "put", "ls", "get", "rm", "rb", "request", "walkthrough"]

# 8 examples per case keep the file near 20 s; SIGKIT_QUOTING_EXAMPLES=200 for a longer hunt.
SETTINGS = settings(
    max_examples=int(os.environ.get("SIGKIT_QUOTING_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every character at once, in the first example of each test (a leading '-' on the file).
ALL_KEY = "a/" + KEY_CHARS + "/./x"
ALL_NAME = TCHAR + "aZ9"
ALL_VALUE = "v" + HOSTILE.replace(" ", "") + " \tv"
ALL_FILE = "-" + FILE_CHARS.replace(".", "") + ".x"

keys = st.text(st.sampled_from(KEY_CHARS), min_size=1, max_size=16)
header_names = st.text(st.sampled_from(TCHAR + "aZ9"), min_size=1, max_size=8)
header_values = (
    st.text(st.sampled_from(HOSTILE + "aZ9\t"), min_size=1, max_size=16)
    .map(lambda v: v.strip(" \t"))
    .filter(bool)
)
file_names = (
    st.text(st.sampled_from(FILE_CHARS), min_size=1, max_size=12)
    .filter(lambda n: n not in (".", "..", "-"))
    .map(lambda n: n if n[0] != "." else "x" + n)  # not a hidden file; leading '-' stays
)


# --- the capture server ----------------------------------------------------------------------


@dataclass
class Capture:
    port: int
    requests: list[bytes] = field(default_factory=list, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _serve(listener: socket.socket, capture: Capture) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            found = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
            length = int(found.group(1)) if found else 0
            if re.search(rb"\r\nexpect: *100-continue", head, re.IGNORECASE):
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            capture.requests.append(head + b"\r\n\r\n" + body)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.fixture(scope="module")
def capture() -> Iterator[Capture]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    server = Capture(listener.getsockname()[1])
    thread = threading.Thread(target=_serve, args=(listener, server), daemon=True)
    thread.start()
    yield server
    listener.close()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PATH directory with only the programs the commands may run, each a wrapper that
    logs its name (to $SIGKIT_RAN) before it runs the real program."""
    bin_dir = tmp_path_factory.mktemp("bin")
    for name in NEEDED:
        found = shutil.which(name)
        assert found, f"{name} is needed to run the generated commands"
        wrapper = bin_dir / name
        wrapper.write_text(
            f'#!/bin/sh\nprintf \'%s\\n\' {name} >> "$SIGKIT_RAN"\nexec {found} "$@"\n'
        )
        wrapper.chmod(0o755)
    return bin_dir


# --- running sigkit and bash -----------------------------------------------------------------


def sigkit(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """The sigkit CLI in this process (as `sigkit.cli.app` runs it): its stdout."""
    out, err = io.StringIO(), io.StringIO()
    saved = os.getcwd()
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        old = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("AWS_")}
        os.environ.update(env or {})
        os.chdir(cwd)
        try:
            code = sigkit_main(list(argv))
        finally:
            os.chdir(saved)
            for k in env or {}:
                os.environ.pop(k, None)
            os.environ.update(old)
    assert code == 0, (argv, err.getvalue())
    return out.getvalue()


PRELUDE = 'command_not_found_handle() { printf "%s\\n" "$1" >> "$SIGKIT_CANARY"; return 127; }\n'


def run_bash(
    script: str, capture: Capture, sandbox: Path, cwd: Path, *, token: bool, ran: str = "curl"
) -> list[bytes]:
    """Run the generated text; return the raw requests the server received.

    Nothing but the programs in `ran` may run (a name no program has reaches the canary); with
    ``"curl"``, curl exactly once per request."""
    canary = sandbox.parent / f"canary-{uuid.uuid4().hex}"
    log = sandbox.parent / f"ran-{uuid.uuid4().hex}"
    env = {"PATH": str(sandbox), "HOME": str(cwd), "SIGKIT_CANARY": str(canary),
           "SIGKIT_RAN": str(log), "AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK,
           "LC_ALL": "C.UTF-8"}  # fmt: skip
    if token:
        env["AWS_SESSION_TOKEN"] = TOKEN
    before = len(capture.requests)
    done = subprocess.run(
        ["/bin/bash", "-c", PRELUDE + script], cwd=cwd, env=env, capture_output=True,
        timeout=60, check=False,
    )  # fmt: skip
    unknown = canary.read_text() if canary.exists() else ""
    assert unknown == "", f"commands other than curl ran: {unknown!r}\n{script}"
    assert done.returncode == 0, (done.stderr.decode(errors="replace"), script)
    programs = log.read_text().split() if log.exists() else []
    requests = capture.requests[before:]
    assert set(programs) <= set(ran.split()), (programs, script)
    assert programs.count("curl") == len(requests), (programs, script)
    return requests


@dataclass(frozen=True)
class Received:
    method: str
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    raw: bytes

    @property
    def path(self) -> bytes:
        return self.target.partition(b"?")[0]

    @property
    def query(self) -> bytes:
        return self.target.partition(b"?")[2]

    def header(self, name: bytes) -> bytes | None:
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        assert len(values) <= 1, (name, values)
        return values[0] if values else None


def received(raw: bytes) -> Received:
    head, _, body = raw.partition(b"\r\n\r\n")
    line, *lines = head.split(b"\r\n")
    method, target, _ = line.split(b" ")
    headers = []
    for item in lines:
        name, _, value = item.partition(b":")
        headers.append((name, value.strip(b" \t")))
    return Received(method.decode(), target, headers, body, raw)


def object_path(key: str) -> bytes:
    return f"/{BUCKET}/{urlquote(key, safe='/~')}".encode("ascii")


def verified(got: Received, token: bool, sig: str) -> bool:
    """The server-side check of the signature (sigkit's verifier)."""
    request = parse_request_text(got.raw)
    credentials = Credentials(AK, SK, TOKEN if token else None)
    result = verify_request(
        request, credentials, datetime.now(UTC), v2=S3V2Config(BUCKET, "path"),
        region="us-east-1", service="s3",
    )  # fmt: skip
    return result.signature_matches and result.verdict == "match"


def clean(work: Path) -> None:
    for item in work.iterdir():
        if item.is_dir():
            shutil.rmtree(item)
        else:
            item.unlink()


# --- every `sigkit curl` verb, in every style, V4 and V2 ---------------------------------------


@dataclass(frozen=True)
class Intended:
    method: str
    path: bytes
    query: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize(("style", "sig"), STYLES, ids=[f"{s}-{g}" for s, g in STYLES])
@SETTINGS
@given(
    key=keys,
    meta_name=header_names,
    meta_value=header_values,
    content_type=header_values,
    file_name=file_names,
    out_name=file_names,
    data=st.binary(max_size=64),
    token=st.booleans(),
    inline=st.booleans(),
)
@example(key=ALL_KEY, meta_name=ALL_NAME, meta_value=ALL_VALUE, content_type=ALL_VALUE,
         file_name=ALL_FILE, out_name="-o" + ALL_FILE, data=b"\x00\xff\n", token=True,
         inline=False)  # fmt: skip
def test_curl_commands_send_exactly_what_was_asked(
    capture: Capture, sandbox: Path, tmp_path: Path, verb: str, style: str, sig: str,
    key: str, meta_name: str, meta_value: str, content_type: str, file_name: str,
    out_name: str, data: bytes, token: bool, inline: bool,
) -> None:  # fmt: skip
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    clean(work)
    if out_name == file_name:
        out_name += "2"
    (work / file_name).write_bytes(data)
    common = ["--style", style, "--sig", sig, "--endpoint-url", capture.endpoint]
    env = {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK}
    if token:
        env["AWS_SESSION_TOKEN"] = TOKEN
    if inline:
        common.append("--inline-secrets")
    meta = (f"x-amz-meta-{meta_name}", meta_value)
    obj = object_path(key)
    target = f"s3://{BUCKET}/{key}"
    intended: list[Intended]
    if verb == "mb":
        argv = ["mb", *common, "--", f"s3://{BUCKET}"]
        intended = [Intended("PUT", f"/{BUCKET}".encode())]
    elif verb == "put":
        argv = ["put", *common, "--content-type", content_type, "--metadata",
                f"{meta_name}={meta_value}", "--", file_name, target]  # fmt: skip
        intended = [Intended("PUT", obj, b"", (("Content-Type", content_type), meta), data)]
    elif verb == "ls":
        argv = ["ls", *common, "--prefix", key, "--", f"s3://{BUCKET}"]
        query = f"list-type=2&prefix={urlquote(key, safe='')}".encode()
        intended = [Intended("GET", f"/{BUCKET}".encode(), query)]
    elif verb == "get":
        argv = ["get", *common, "--", target, out_name]
        intended = [Intended("GET", obj)]
    elif verb == "rm":
        argv = ["rm", *common, "--", target]
        intended = [Intended("DELETE", obj)]
    elif verb == "rb":
        argv = ["rb", *common, "--", f"s3://{BUCKET}"]
        intended = [Intended("DELETE", f"/{BUCKET}".encode())]
    elif verb == "request":
        body = meta_value + "\n" + key
        url = capture.endpoint + obj.decode()
        argv = ["request", *common[:4], *common[6:], "-H", f"{meta[0]}: {meta[1]}",
                "-d", body, "--", "POST", url]  # fmt: skip
        headers = (meta, ("Content-Type", "binary/octet-stream"))
        intended = [Intended("POST", obj, b"", headers, body.encode())]
    else:
        argv = ["walkthrough", *common, "--content-type", content_type, "-o", out_name, "--",
                target, file_name]  # fmt: skip
        bucket = f"/{BUCKET}".encode()
        intended = [
            Intended("PUT", bucket),
            Intended("PUT", obj, b"", (("Content-Type", content_type),), data),
            Intended("GET", bucket, b"list-type=2"),
            Intended("GET", obj),
            Intended("DELETE", obj),
            Intended("DELETE", bucket),
        ]
    script = sigkit("curl", *argv, cwd=work, env=env)
    tools = "curl date openssl sed" if style == "script" else "curl"
    requests = run_bash(script, capture, sandbox, work, token=token, ran=tools)
    assert len(requests) == len(intended), script
    for raw, want in zip(requests, intended, strict=True):
        got = received(raw)
        assert (got.method, got.path, got.query) == (want.method, want.path, want.query), script
        for name, value in want.headers:
            assert got.header(name.encode()) == value.encode("utf-8"), (name, script)
        assert got.body == want.body, script
        if token:
            name = b"x-amz-security-token"
            assert got.header(name) == TOKEN.encode()
        assert verified(got, token, sig), script
        if style == "script" and sig == "v4":
            signed = sorted({n.decode().lower() for n, _ in got.headers} - {"user-agent",
                            "accept", "content-length", "expect", "authorization"})  # fmt: skip
            assert f"SignedHeaders={';'.join(signed)}, ".encode() in (
                got.header(b"authorization") or b""
            )
    if verb in ("get", "walkthrough"):
        assert (work / out_name).is_file()  # curl wrote the file named, no other
    assert sorted(p.name for p in work.iterdir()) == sorted(
        {file_name} | ({out_name} if verb in ("get", "walkthrough") else set())
    )


# --- presign --curl ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "HEAD", "DELETE"])
@pytest.mark.parametrize("sig", ["v4", "v2"])
@SETTINGS
@given(key=keys, file_name=file_names, data=st.binary(max_size=64), token=st.booleans())
@example(key=ALL_KEY, file_name=ALL_FILE, data=b"\x00\xff\n", token=True)
def test_presign_curl_sends_exactly_what_was_asked(
    capture: Capture, sandbox: Path, tmp_path: Path, method: str, sig: str, key: str,
    file_name: str, data: bytes, token: bool,
) -> None:  # fmt: skip
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    clean(work)
    if method == "PUT":
        (work / file_name).write_bytes(data)
    env = {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK}
    if token:
        env["AWS_SESSION_TOKEN"] = TOKEN
    argv = ["presign", "--method", method, "--sig", sig, "--endpoint-url", capture.endpoint,
            "--curl", "--file", file_name, "--", f"s3://{BUCKET}/{key}"]  # fmt: skip
    script = sigkit(*argv, cwd=work, env=env)
    (raw,) = run_bash(script, capture, sandbox, work, token=False)
    got = received(raw)
    assert (got.method, got.path) == (method, object_path(key)), script
    assert got.header(b"content-type") is None  # V2 signs it; none is sent
    assert got.body == (data if method == "PUT" else b"")
    assert verified(got, token, sig), script
    assert sorted(p.name for p in work.iterdir()) == (
        [file_name] if method in ("GET", "PUT") else []
    )


# --- post-policy --curl ------------------------------------------------------------------------


def multipart(got: Received) -> list[tuple[bytes, bytes]]:
    """(Content-Disposition, content) of each part, in order."""
    content_type = got.header(b"content-type") or b""
    boundary = content_type.partition(b"boundary=")[2]
    assert boundary, content_type
    parts = got.body.split(b"--" + boundary)
    assert parts[0] == b"" and parts[-1] == b"--\r\n", got.body[-80:]
    out = []
    for part in parts[1:-1]:
        assert part.startswith(b"\r\n") and part.endswith(b"\r\n")
        head, _, content = part[2:-2].partition(b"\r\n\r\n")
        disposition = next(
            line for line in head.split(b"\r\n") if line.lower().startswith(b"content-disp")
        )
        out.append((disposition, content))
    return out


@pytest.mark.parametrize("sig", ["v4", "v2"])
@SETTINGS
@given(
    key=keys,
    meta_name=header_names,
    meta_value=header_values,
    file_name=file_names,
    data=st.binary(max_size=64),
    token=st.booleans(),
)
@example(key=ALL_KEY, meta_name=ALL_NAME, meta_value=ALL_VALUE, file_name=ALL_FILE,
         data=b"\x00\xff\n", token=True)  # fmt: skip
def test_post_policy_curl_sends_exactly_what_was_asked(
    capture: Capture, sandbox: Path, tmp_path: Path, sig: str, key: str, meta_name: str,
    meta_value: str, file_name: str, data: bytes, token: bool,
) -> None:  # fmt: skip
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    clean(work)
    (work / file_name).write_bytes(data)
    env = {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK}
    if token:
        env["AWS_SESSION_TOKEN"] = TOKEN
    field_name = f"x-amz-meta-{meta_name}"
    argv = ["post-policy", "--sig", sig, "--endpoint-url", capture.endpoint, "--file",
            file_name, "--field", f"{field_name}={meta_value}", "--curl", "--",
            f"s3://{BUCKET}/{key}"]  # fmt: skip
    script = sigkit(*argv, cwd=work, env=env)
    (raw,) = run_bash(script, capture, sandbox, work, token=token)
    got = received(raw)
    assert (got.method, got.target) == ("POST", f"/{BUCKET}".encode())
    parts = multipart(got)
    fields = {}
    for disposition, content in parts[:-1]:
        found = re.search(rb'name="([^"]*)"', disposition)
        assert found, disposition
        fields[found.group(1).decode()] = content.decode("utf-8")
    assert fields["key"] == key
    assert fields[field_name] == meta_value
    if token:
        assert fields["X-Amz-Security-Token" if sig == "v4" else "x-amz-security-token"] == TOKEN
    disposition, content = parts[-1]
    assert b'name="file"' in disposition and content == data
    # curl names the file by its base name, with '"', CR and LF percent-encoded (curl 7.81+)
    sent = file_name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    assert f'filename="{sent}"'.encode() in disposition


# --- chunked --curl ----------------------------------------------------------------------------


@SETTINGS
@given(
    key=keys,
    name=header_names,
    value=header_values,
    out_name=file_names,
    size=st.integers(1, 20_000),
    token=st.booleans(),
)
@example(key=ALL_KEY, name=ALL_NAME, value=ALL_VALUE, out_name=ALL_FILE, size=9000,
         token=True)  # fmt: skip
def test_chunked_curl_sends_exactly_what_was_asked(
    capture: Capture, sandbox: Path, tmp_path: Path, key: str, name: str, value: str,
    out_name: str, size: int, token: bool,
) -> None:  # fmt: skip
    data = random.Random(size).randbytes(size)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    clean(work)
    (work / "in.bin").write_bytes(data)
    if out_name == "in.bin":
        out_name = "out.bin"
    env = {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK}
    if token:
        env["AWS_SESSION_TOKEN"] = TOKEN
    url = capture.endpoint + object_path(key).decode()
    header = f"x-amz-meta-{name}"
    argv = ["chunked", url, "--data-file", "in.bin", "--output", out_name, "--chunk-size",
            "8192", "-H", f"{header}: {value}", "--region", "us-east-1", "--service", "s3",
            "--curl"]  # fmt: skip
    script = sigkit(*argv, cwd=work, env=env)
    (raw,) = run_bash(script, capture, sandbox, work, token=token)
    got = received(raw)
    encoded = (work / out_name).read_bytes()
    assert (got.method, got.target) == ("PUT", object_path(key))
    assert got.header(header.encode()) == value.encode("utf-8")
    assert got.header(b"content-encoding") == b"aws-chunked"
    assert got.header(b"x-amz-decoded-content-length") == str(len(data)).encode()
    assert got.header(b"content-length") == str(len(encoded)).encode()
    assert got.header(b"x-amz-content-sha256") == b"STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    assert got.body == encoded
    # the first chunk carries len(data) or 8192 bytes of the data, as the body's first line says
    first = min(len(data), 8192)
    assert encoded.startswith(f"{first:x};chunk-signature=".encode())
    assert verified(got, token, "v4"), script

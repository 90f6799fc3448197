"""Every example `--help` prints runs as written.

For each command and sub-command of the app (`sigkit.cli.app.COMMANDS`, and the commands of
sub-apps such as `sigkit curl`), the examples are read from the `--help` text itself (the
lines after "Examples:" that start with a program name, backslash continuations joined) and
run through bash, in order, in a temporary directory holding the files the examples name.
The environment holds the project's S3 test credentials (tests/e2e/s3server.sh, the keys the
real AWS CLI logs in tests/fixtures/investigate were made with), AWS_DEFAULT_REGION and a HOME
of its own; nothing leaves 127.0.0.1.

The files come from independent sources: real AWS CLI 1.45.11 logs against Ceph RGW (the
server's answer included), a request signed now by botocore, a curl 7.88 --trace-ascii of a
request curl signed itself, the repository's vector suites.

An example exits 0, unless its own comment says ``exit 1`` (it shows a mismatch). `sigkit
serve` runs in the background while the examples after it (which talk to it) run; its port is
replaced by a free one throughout that command's examples.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sigkit.cli import app as app_module

REPO = Path(__file__).resolve().parent.parent
INVESTIGATE = REPO / "tests" / "fixtures" / "investigate"
DEBUG = REPO / "tests" / "fixtures" / "debug"
BIN = Path(sys.executable).parent
CURL = "/usr/bin/curl"  # curl 7.88, as the other curl tests use
ACCESS_KEY = "AKIAS3SERVERTEST0001"  # tests/e2e/s3server.sh's defaults
SECRET_KEY = "s3server-test-secret-key-0123456789abcdef"
PROGRAMS = ("sigkit", "aws", "curl")


# --------------------------------------------------------------------------------------------
# Reading the examples from --help


def _help(path: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = app_module.main([*path, "--help"])
    assert code == 0, f"sigkit {' '.join(path)} --help exited {code}"
    return out.getvalue()


def command_paths() -> list[list[str]]:
    """Every command and sub-command the app lists."""
    import typer

    root: Any = typer.main.get_command(app_module.app)
    ctx = root.make_context("sigkit", ["--help"], resilient_parsing=True)
    paths: list[list[str]] = []
    for name in root.list_commands(ctx):
        paths.append(name.split())
        command = root.get_command(ctx, name)
        for sub in getattr(command, "list_commands", lambda _ctx: [])(ctx):
            if f"{name} {sub}" not in app_module.COMMANDS:
                paths.append([*name.split(), sub])
    return paths


def examples(text: str) -> list[str]:
    """The command lines after "Examples:", continuation lines joined."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "Examples:"]
    if not starts:
        return []
    out: list[str] = []
    pending: str | None = None
    for raw in lines[starts[0] + 1 :]:
        line = raw.strip()
        if pending is not None:
            pending += " " + line.rstrip("\\").strip()
            if not line.endswith("\\"):
                out.append(pending)
                pending = None
            continue
        if line.split(" ", 1)[0] not in PROGRAMS:
            continue
        if line.endswith("\\"):
            pending = line.rstrip("\\").strip()
        else:
            out.append(line)
    assert pending is None, f"an example ends in a continuation: {pending}"
    return out


def expected_status(example: str) -> int:
    """1 when the example's own comment says so (it demonstrates a mismatch), else 0."""
    comment = example.split(" # ", 1)[1] if " # " in example else ""
    return 1 if re.search(r"\bexit 1\b", comment) else 0


PATHS = command_paths()
CASES = [(path, example) for path in PATHS for example in examples(_help(path))]


def test_every_command_is_covered_and_has_examples() -> None:
    """Every command (not only groups) shows at least one example."""
    names = {" ".join(p) for p in PATHS}
    assert {
        "sign",
        "presign",
        "chunked",
        "post-policy",
        "vectors",
        "vectors new",
        "verify",
    } <= names
    assert {"diff", "explain", "serve", "config", "curl mb", "curl request"} <= names
    bare = [
        " ".join(p)
        for p in PATHS
        if not examples(_help(p)) and not (len(p) == 1 and p[0] in {"curl"})
    ]
    assert bare == []


def test_no_reference_to_a_command_that_does_not_exist() -> None:
    """Fix texts and docs once pointed at `sigkit debug`, which never existed."""
    commands = {p[0] for p in PATHS}
    texts = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    texts += sorted((REPO / "sigkit").rglob("*.py"))
    found = []
    for path in texts:
        for match in re.finditer(r"`sigkit ([a-z][a-z-]*)[ `]", path.read_text(encoding="utf-8")):
            if match.group(1) not in commands:
                found.append(f"{path.relative_to(REPO)}: {match.group(0)}")
    assert found == []


# --------------------------------------------------------------------------------------------
# The files the examples name


def _log(name: str) -> Path:
    path = INVESTIGATE / f"awscli-1.45.11-rgw-16-{name}.debug.log"
    assert path.exists(), f"{path} is missing"
    return path


def _answer_body(log: Path) -> bytes:
    """The server's error body the AWS CLI logged ("Response body:" then a bytes literal)."""
    lines = log.read_text(encoding="utf-8").splitlines()
    i = max(i for i, line in enumerate(lines) if line.endswith("Response body:"))
    body = ast.literal_eval(lines[i + 1])
    assert isinstance(body, bytes) and body.startswith(b"<?xml")
    return body


def _sent_request(log: Path) -> bytes:
    """The request the AWS CLI sent, as raw HTTP, from its "Sending http request" line."""
    text = log.read_text(encoding="utf-8")
    line = [x for x in text.splitlines() if "Sending http request: <AWSPreparedRequest" in x][-1]
    match = re.search(r"method=(\w+), url=(\S+), headers=(\{.*\})>", line)
    assert match
    method, url, headers = match.group(1), match.group(2).rstrip(","), match.group(3)
    parts = re.match(r"https?://([^/]+)(/.*)", url)
    assert parts
    head = [f"{method} {parts.group(2)} HTTP/1.1", f"Host: {parts.group(1)}"]
    for name, value in ast.literal_eval(headers).items():
        head.append(f"{name}: {value.decode() if isinstance(value, bytes) else value}")
    return ("\r\n".join(head) + "\r\n\r\n").encode()


def _botocore_signed_request() -> bytes:
    """A GET signed now by botocore (S3 rules) with the test keys, as raw HTTP."""
    from botocore.auth import S3SigV4Auth  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
    from botocore.credentials import Credentials  # type: ignore[import-untyped]

    request = AWSRequest("GET", "https://examplebucket.s3.amazonaws.com/test.txt")
    request.headers["Range"] = "bytes=0-9"
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(request)
    head = ["GET /test.txt HTTP/1.1", "Host: examplebucket.s3.amazonaws.com"]
    head += [f"{name}: {value}" for name, value in request.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


@contextlib.contextmanager
def _listener() -> Iterator[int]:
    """A loopback HTTP listener answering 200 to each request, for curl to talk to."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()


def _faketime() -> str:
    """faketime (Debian's package), installed when missing and the tests run as root (CI)."""
    found = shutil.which("faketime")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        for step in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "faketime"]):
            subprocess.run(
                step,
                capture_output=True,
                timeout=600,
                check=False,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
        found = shutil.which("faketime")
    if found is None:
        pytest.skip("faketime is not installed (apt-get install faketime)")
    return found


def _curl_trace(path: Path) -> None:
    """curl 7.88 signs a GET itself (--aws-sigv4, its X-Amz-Date given) and traces it, with the
    x-amz-content-sha256 header S3 requires (curl before 8.0 does not add it)."""
    faketime = _faketime()
    with _listener() as port:
        subprocess.run(
            [
                faketime,  # curl signs with its clock; a user's X-Amz-Date it sends twice
                "2024-01-01 12:00:00",
                CURL,
                "-sS",
                "-o",
                os.devnull,
                "--trace-ascii",
                str(path),
                "--aws-sigv4",
                "aws:amz:us-east-1:s3",
                "--user",
                f"{ACCESS_KEY}:{SECRET_KEY}",
                "-H",
                "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                f"http://127.0.0.1:{port}/b/k",
            ],
            check=True,
            timeout=30,
            env={**os.environ, "TZ": "UTC"},
        )
    trace = path.read_bytes()
    assert trace.count(b"X-Amz-Date: 20240101T120000Z") == 1 and b"AKIAS3SERVERTEST0001/" in trace


def prepare(command: str, work: Path) -> None:
    """The files `command`'s examples name, in `work`."""
    for name in ("upload.bin", "big.bin", "f", "photo.jpg", "report.csv", "f.bin"):
        (work / name).write_bytes(b"hello, sigkit\n" * 100)
    aws = work / "home" / ".aws"
    aws.mkdir(parents=True)
    (aws / "credentials").write_text(
        f"[dev]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )
    (aws / "config").write_text("[profile dev]\nregion = eu-west-1\n")
    (work / "vectors").symlink_to(REPO / "vectors")
    wrong = _log("wrong-secret")
    if command == "verify":
        (work / "request.txt").write_bytes(_botocore_signed_request())
        _curl_trace(work / "curl-trace.txt")
    elif command == "explain":
        shutil.copy(wrong, work / "aws.debug.log")
        (work / "error.xml").write_bytes(_answer_body(wrong))
        (work / "request.txt").write_bytes(_sent_request(wrong))
    elif command == "diff":
        # The AWS CLI's log of a request whose Host a proxy rewrote, and the (AWS-shaped) answer
        # of the server behind the proxy: tests/fixtures/debug/README.md.
        shutil.copy(
            DEBUG / "awscli-v1-list-objects-v2-vs-synthetic-aws-error.debug.log",
            work / "client.debug.log",
        )
        shutil.copy(
            DEBUG / "synthetic-aws-shaped-SignatureDoesNotMatch-host-rewritten.xml",
            work / "server-error.xml",
        )
        shutil.copy(_log("ok"), work / "aws.debug.log")


def environment(work: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR", "TERM")}
    return {
        **keep,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(work / "home"),
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_COLOR": "1",
        "NO_PROXY": "*",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(server: subprocess.Popen[bytes] | None) -> bytes:
    """Stop a background `sigkit serve`; its stderr (the start-up notes and one line per
    request)."""
    if server is None:
        return b""
    server.terminate()
    return server.communicate(timeout=10)[1]


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"sigkit serve exited {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("sigkit serve did not start listening")


# --------------------------------------------------------------------------------------------
# Running them


BY_COMMAND: dict[str, list[str]] = {}
for _path, _example in CASES:
    BY_COMMAND.setdefault(" ".join(_path), []).append(_example)


RGW_IN_EXAMPLES = "http://127.0.0.1:7480"  # the examples' S3-compatible endpoint (RGW's port)


def _sends(example: str) -> bool:
    """An example whose generated commands run (piped to bash) against that endpoint."""
    return RGW_IN_EXAMPLES in example and "| bash" in example


@pytest.mark.parametrize("command", sorted(BY_COMMAND))
def test_help_examples_run_as_written(
    command: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    prepare(command, work)
    env = environment(work)
    endpoint = None
    if command == "proxy" or any(_sends(example) for example in BY_COMMAND[command]):
        # An example that talks to an S3 server runs against the suite's real RGW.
        rgw = request.getfixturevalue("s3server")
        endpoint = rgw["S3_ENDPOINT"]
        env.update(
            AWS_ACCESS_KEY_ID=rgw["AWS_ACCESS_KEY_ID"],
            AWS_SECRET_ACCESS_KEY=rgw["AWS_SECRET_ACCESS_KEY"],
        )
    port = _free_port()
    server: subprocess.Popen[bytes] | None = None
    failures: list[str] = []
    log = b""
    try:
        for example in BY_COMMAND[command]:
            line = example.replace("8400", str(port)) if command == "serve" else example
            if endpoint is not None and (_sends(example) or command == "proxy"):
                line = line.replace(RGW_IN_EXAMPLES, endpoint)
            if command == "proxy":  # each proxy example stops the one before, so one port
                for example_port in ("8401", "8402", "8403"):
                    line = line.replace(example_port, str(port))
            if line.startswith(("sigkit serve", "sigkit proxy")):
                log += _stop(server)
                server = subprocess.Popen(
                    ["bash", "-c", "exec " + line],
                    cwd=work,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                _wait_listening(port, server)
                continue
            done = subprocess.run(
                ["bash", "-c", line],
                cwd=work,
                env=env,
                capture_output=True,
                timeout=120,
                check=False,
            )
            want = expected_status(example)
            if done.returncode != want:
                err = done.stderr.decode(errors="replace").strip().splitlines()
                failures.append(
                    f"{example}\n  -> exit {done.returncode} (want {want}): "
                    + (err[-1] if err else "(no stderr)")
                )
    finally:
        log += _stop(server)
    assert failures == [], "\n".join(failures)
    # What reached `sigkit serve` (its log line per request) was signed right: the examples
    # that talk to it show a match, whatever a client's own exit status says.
    answers = [x for x in log.decode().splitlines() if x.startswith("127.0.0.1 ")]
    if command == "serve":
        assert len(answers) == 2 and all(" 200 match " in x for x in answers), answers


SECRET_ALONE = [
    (command, example)
    for command, lines in sorted(BY_COMMAND.items())
    for example in lines
    if '--secret-key "$AWS_SECRET_ACCESS_KEY"' in example
]


@pytest.mark.parametrize(("command", "example"), SECRET_ALONE)
def test_a_secret_alone_finds_its_access_key_in_the_source(
    command: str, example: str, tmp_path: Path
) -> None:
    """The examples that give only the secret run the same with AWS_ACCESS_KEY_ID unset: the
    request or log names the key (issue #10: `explain LOG --secret-key` demanded --access-key)."""
    work = tmp_path / "work"
    work.mkdir()
    prepare(command, work)
    env = environment(work)
    del env["AWS_ACCESS_KEY_ID"]
    done = subprocess.run(
        ["bash", "-c", example], cwd=work, env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == expected_status(example), done.stderr.decode(errors="replace")

"""`sigkit curl` commands run by bash and the real curl against a real S3 server (Ceph RGW).

Every style that an operation supports, V4 and V2: the six-step walkthrough, put/get/rm of
hostile keys (batched: one bash script per style and phase), hostile header values, a wrong
secret (403), and presigned GET/PUT URLs used with plain curl. The commands are generated
in-process through the `curl_app` Typer app; they run with AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY in the environment. The curl on PATH runs them (SIGKIT_E2E_CURL_DIR
puts another curl's folder first, to try other versions).
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
import typer
from typer.testing import CliRunner

from sigkit import (
    Credentials,
    Request,
    S3V2Config,
    SigV4Config,
    sign_v2_query,
    sign_v4,
    sign_v4_query,
)
from sigkit.cli.curl_cmd import curl_app
from sigkit.curl import quote
from sigkit.s3uri import encode_key, has_dot_segment
from tests.e2e.wire import send

pytestmark = pytest.mark.e2e

# (style, sig): every combination the commands support.
STYLES = [
    ("aws-sigv4", "v4"),
    ("headers", "v4"),
    ("headers", "v2"),
    ("script", "v4"),
    ("script", "v2"),
]
STYLE_IDS = [f"{style}-{sig}" for style, sig in STYLES]

HOSTILE_KEYS = [
    "it's",
    'say "hi"',
    "$(touch pwned)",
    "`touch pwned`",
    "bang!bang !!",
    "line\nbreak",
    "two  spaces and a trailing space ",
    "hash#tag",
    "question?mark=1&x=2",
    "percent%20literal",
    "plus+sign",
    "unicode-\u00e9-\u00fc-\u65e5\u672c\u8a9e-\U0001f642",
    "cafe\u0301 (combining)",
    "semi;colon",
    "equals=sign/k=v",
    "star*glob?",
    "brackets[1]{a,b}",
    "tilde~home",
    "back\\slash",
    "colon:at@comma,",
    "dir/nested/key",
    "dir/trailing/",
    "a//double//slash",
    "/leading-slash",
    "dot/./segment",
    "dotdot/../segment",
    "...three-dots",
    "-dash-start",
    "tab\there",
    "pipe|less<greater>",
    "caret^percent%",
    "${HOME}",
    "100%%",
    "ctrl\x01char",
    "cr\rreturn",
    "LONG",  # made 1024 bytes of UTF-8 with its prefix, the most S3 allows
]
NS = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}


def _runner_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.add_typer(curl_app, name="curl")

    @app.callback()
    def _root() -> None:
        """sigkit (test mount)."""

    return app


APP = _runner_app()
RUNNER = CliRunner()


def generate(env: dict[str, str], *args: str, secret: str | None = None) -> str:
    """Run `sigkit curl ARGS` in-process; credentials as flags (the headers style needs the
    secret), the endpoint from the server."""
    argv = [
        "curl",
        *args,
        "--endpoint-url",
        env["S3_ENDPOINT"],
        "--access-key",
        env["AWS_ACCESS_KEY_ID"],
        "--secret-key",
        secret or env["AWS_SECRET_ACCESS_KEY"],
    ]
    result = RUNNER.invoke(APP, argv, env={"HOME": "/nonexistent"})
    if result.exit_code != 0:
        raise AssertionError(f"sigkit {argv!r} failed: {result.output} {result.exception!r}")
    return result.stdout


def style_args(style: str, sig: str) -> list[str]:
    return ["--style", style, "--sig", sig]


def run_bash(
    script: str, env: dict[str, str], cwd: Path, secret: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    run_env = dict(env)
    if secret is not None:
        run_env["AWS_SECRET_ACCESS_KEY"] = secret
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, env=run_env, cwd=cwd, check=False, timeout=300
    )


def creds(env: dict[str, str]) -> Credentials:
    return Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])


def signed(env: dict[str, str], method: str, target: str) -> tuple[int, bytes]:
    """An independent check of the server's state: sigkit's core signer, sent byte for byte."""
    headers = [("Content-Length", "0")] if method == "PUT" else []
    request = Request.from_url(method, env["S3_ENDPOINT"] + target, headers)
    result = sign_v4(request, creds(env), datetime.now(UTC), SigV4Config.s3("us-east-1"))
    return send(env["S3_ENDPOINT"], result.request)


def list_keys(env: dict[str, str], bucket: str) -> list[str]:
    status, body = signed(env, "GET", f"/{bucket}?encoding-type=url&list-type=2&max-keys=1000")
    assert status == 200, body
    root = ET.fromstring(body)
    return sorted(unquote(k.text or "") for k in root.findall("s3:Contents/s3:Key", NS))


@pytest.fixture(scope="module")
def server(s3server: dict[str, str]) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(s3server)
    extra = os.environ.get("SIGKIT_E2E_CURL_DIR")
    if extra:
        env["PATH"] = extra + os.pathsep + env["PATH"]
    yield env


def curl_version(env: dict[str, str]) -> tuple[int, ...]:
    """The version of the curl on the tests' PATH (7.88.1 on Debian 12)."""
    out = subprocess.run(
        ["curl", "--version"], capture_output=True, text=True, env=env, check=True
    ).stdout
    return tuple(int(part) for part in out.split()[1].split("-")[0].split(".")[:3])


def known_aws_sigv4_failure(env: dict[str, str], *, url_path: str = "", query: str = "") -> str:
    """Why this curl's --aws-sigv4 cannot sign the request (docs/curl.md), or ''."""
    version = curl_version(env)
    if version >= (8, 14) and has_dot_segment(url_path):
        return "curl >= 8.14 refuses --aws-sigv4 with --path-as-is (exit 43)"
    if (8, 9) <= version < (8, 14) and "%" in url_path:
        return "curl 8.9-8.13 --aws-sigv4 encodes the path's escapes again"
    if (8, 14) <= version < (8, 19) and "%2B" in query:
        return "curl 8.14-8.18 --aws-sigv4 signs %2B in the query as %20"
    return ""


@pytest.mark.parametrize(("style", "sig"), STYLES, ids=STYLE_IDS)
def test_walkthrough_round_trips_a_file(
    server: dict[str, str], tmp_path: Path, style: str, sig: str
) -> None:
    data = os.urandom(300_000) + b"\r\n\x00 end"
    source = tmp_path / 'it\'s a "file" $(x) `y` é.bin'
    source.write_bytes(data)
    bucket = f"sigkit-walk-{style}-{sig}"
    script = generate(server, "walkthrough", f"s3://{bucket}", str(source), *style_args(style, sig))
    assert script.count("curl -sS") == 6
    run = run_bash("set -e\n" + script, server, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    listed = ET.fromstring(run.stdout).findall("s3:Contents/s3:Key", NS)  # ls is all it prints
    assert [k.text for k in listed] == [source.name]
    assert Path(str(source) + ".downloaded").read_bytes() == data
    assert not (tmp_path / "pwned").exists()
    assert signed(server, "GET", f"/{bucket}")[0] == 404  # the bucket is gone


@pytest.fixture(scope="module")
def hostile_bucket(server: dict[str, str]) -> str:
    bucket = "sigkit-curl-hostile"
    assert signed(server, "PUT", f"/{bucket}")[0] == 200
    return bucket


@pytest.mark.parametrize(("style", "sig"), STYLES, ids=STYLE_IDS)
def test_hostile_keys_round_trip(
    server: dict[str, str], hostile_bucket: str, tmp_path: Path, style: str, sig: str
) -> None:
    prefix = f"{style}-{sig}/"
    keys = [long_key(prefix) if k == "LONG" else k for k in HOSTILE_KEYS]
    assert len(keys) >= 30 and max(len((prefix + k).encode()) for k in keys) == 1024
    if style == "aws-sigv4":  # what this curl cannot sign is checked to fail, then left out
        broken = {
            k for k in keys if known_aws_sigv4_failure(server, url_path=encode_key(prefix + k))
        }
        for key in broken:
            command = generate(
                server, "rm", f"s3://{hostile_bucket}/{prefix}{key}", "--style", style
            )
            assert run_bash(command, server, tmp_path).returncode != 0, key
        keys = [k for k in keys if k not in broken]
    puts, gets, rms = [], [], []
    for i, key in enumerate(keys):
        source = tmp_path / f"in-{i}"
        source.write_bytes(f"{i}:{key}".encode() + os.urandom(64))
        target = f"s3://{hostile_bucket}/{prefix}{key}"
        opts = style_args(style, sig)
        puts.append(guard(generate(server, "put", str(source), target, *opts), f"put {i}"))
        gets.append(guard(generate(server, "get", target, f"out-{i}", *opts), f"get {i}"))
        rms.append(guard(generate(server, "rm", target, *opts), f"rm {i}"))
    run = run_bash("\n".join(puts), server, tmp_path)
    assert run.returncode == 0 and not run.stderr, run.stderr.decode("utf-8", "replace")
    stored = [k for k in list_keys(server, hostile_bucket) if k.startswith(prefix)]
    assert stored == sorted(prefix + k for k in keys)
    run = run_bash("\n".join(gets + rms), server, tmp_path)
    assert run.returncode == 0 and not run.stderr, run.stderr.decode("utf-8", "replace")
    for i in range(len(keys)):
        assert (tmp_path / f"out-{i}").read_bytes() == (tmp_path / f"in-{i}").read_bytes(), i
    assert not [k for k in list_keys(server, hostile_bucket) if k.startswith(prefix)]
    assert not (tmp_path / "pwned").exists()


def long_key(prefix: str) -> str:
    """A key of unicode and slashes that is exactly 1024 bytes of UTF-8 after `prefix`."""
    head = "long/\u00e9\u65e5/"
    size = 1024 - len((prefix + head).encode())
    return head + "k" * (size - 4) + "\U0001f642"


def guard(command: str, label: str) -> str:
    """Run one generated command; report its label on failure and carry on."""
    body = "\n".join(line for line in command.splitlines() if not line.startswith("#"))
    return f"{{ {body.strip()}\n}} >/dev/null || echo {quote('FAILED: ' + label)} >&2"


HOSTILE_VALUES = {
    "content_type": 'text/plain; name="it\'s"; x=$(touch pwned) `y` !#?%+ & *',
    "note": 'it\'s "quoted" $(touch pwned) `touch pwned` !bang #hash ?q %25 +plus',
    "unicode": "caf\u00e9 \u65e5\u672c",
}


@pytest.mark.parametrize(("style", "sig"), STYLES, ids=STYLE_IDS)
def test_hostile_header_values_and_prefix_reach_the_server(
    server: dict[str, str], hostile_bucket: str, tmp_path: Path, style: str, sig: str
) -> None:
    key = f"values/{style}-{sig}/a b+c?#%\n$(x) `y` é!"
    (tmp_path / "f").write_bytes(b"payload")
    opts = style_args(style, sig)
    put = generate(
        server,
        "put",
        str(tmp_path / "f"),
        f"s3://{hostile_bucket}/{key}",
        "--content-type",
        HOSTILE_VALUES["content_type"],
        "--metadata",
        f"note={HOSTILE_VALUES['note']}",
        "--metadata",
        f"unicode={HOSTILE_VALUES['unicode']}",
        *opts,
    )
    ls = generate(server, "ls", f"s3://{hostile_bucket}", "--prefix", key[:-9], *opts)
    run = run_bash(put + "\n" + ls, server, tmp_path)
    if style == "aws-sigv4" and (why := known_aws_sigv4_failure(server, query="%2B")):
        assert run.returncode == 22 and b"403" in run.stderr, run.stdout + run.stderr
        pytest.xfail(why)
    assert run.returncode == 0, run.stdout + run.stderr
    root = ET.fromstring(run.stdout)
    assert [k.text for k in root.findall("s3:Contents/s3:Key", NS)] == [key]
    request = Request.from_url(
        "HEAD", f"{server['S3_ENDPOINT']}/{hostile_bucket}/{encode_key(key)}"
    )
    result = sign_v4(request, creds(server), datetime.now(UTC), SigV4Config.s3("us-east-1"))
    import http.client

    conn = http.client.HTTPConnection(server["S3_ENDPOINT"].split("//")[1], timeout=30)
    conn.putrequest("HEAD", result.request.target, skip_host=True, skip_accept_encoding=True)
    for name, value in result.request.headers:
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 200
    got = {n.lower(): v.encode("latin-1").decode("utf-8") for n, v in response.getheaders()}
    conn.close()
    assert got["content-type"] == HOSTILE_VALUES["content_type"]
    assert got["x-amz-meta-note"] == HOSTILE_VALUES["note"]
    assert got["x-amz-meta-unicode"] == HOSTILE_VALUES["unicode"]
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(("style", "sig"), STYLES, ids=STYLE_IDS)
def test_a_wrong_secret_is_refused(
    server: dict[str, str], hostile_bucket: str, tmp_path: Path, style: str, sig: str
) -> None:
    (tmp_path / "f").write_bytes(b"x")
    wrong = "wrong-secret-" + server["AWS_SECRET_ACCESS_KEY"][13:]
    target = f"s3://{hostile_bucket}/wrong/{style}-{sig}"
    opts = style_args(style, sig)
    # the headers style computes with the secret it is given; the others read it when run
    put = generate(server, "put", str(tmp_path / "f"), target, *opts, secret=wrong)
    ls = generate(server, "ls", f"s3://{hostile_bucket}", *opts, secret=wrong)
    for command in (put, ls):
        run = run_bash(command, server, tmp_path, secret=wrong)
        assert run.returncode == 22, run.stdout + run.stderr
        assert b"403" in run.stderr and b"SignatureDoesNotMatch" in run.stdout
    assert signed(server, "GET", f"/{hostile_bucket}/wrong/{style}-{sig}")[0] == 404


PRESIGN_KEYS = ["plain.bin", "it's $(x) `y` é ü+&=?#%.bin", "dir/trailing/", "dotdot/../x"]


@pytest.mark.parametrize("sig", ["v4", "v2"])
def test_presigned_urls_work_with_plain_curl(
    server: dict[str, str], hostile_bucket: str, tmp_path: Path, sig: str
) -> None:
    lines = []
    for i, key in enumerate(PRESIGN_KEYS):
        (tmp_path / f"in-{i}").write_bytes(os.urandom(1000))
        url = f"{server['S3_ENDPOINT']}/{hostile_bucket}/presigned-{sig}/{encode_key(key)}"
        put_url, get_url = (presign(server, method, url, sig) for method in ("PUT", "GET"))
        # curl -T would append the file name to a URL ending in '/'; the form Content-Type
        # that --data-binary adds is removed, since V2 signs the Content-Type line (empty)
        upload = (
            f"--data-binary @in-{i} -X PUT -H 'Content-Type:'"
            if key.endswith("/")
            else f"-T in-{i}"
        )
        put = f"curl -sS --fail-with-body -g --path-as-is {upload} {quote(put_url)}"
        get = f"curl -sS --fail-with-body -g --path-as-is -o out-{i} {quote(get_url)}"
        lines += [guard(put, f"put {key!r}"), guard(get, f"get {key!r}")]
    run = run_bash("\n".join(lines), server, tmp_path)
    assert run.returncode == 0 and not run.stderr, run.stderr.decode("utf-8", "replace")
    for i in range(len(PRESIGN_KEYS)):
        assert (tmp_path / f"out-{i}").read_bytes() == (tmp_path / f"in-{i}").read_bytes()
    wrong = presign(server, "GET", url, sig, secret="not-the-secret")
    run = run_bash(f"curl -sS --fail-with-body -g --path-as-is {quote(wrong)}", server, tmp_path)
    assert run.returncode == 22 and b"403" in run.stderr


def presign(env: dict[str, str], method: str, url: str, sig: str, secret: str | None = None) -> str:
    credentials = Credentials(env["AWS_ACCESS_KEY_ID"], secret or env["AWS_SECRET_ACCESS_KEY"])
    request = Request.from_url(method, url)
    when = datetime.now(UTC)
    if sig == "v4":
        config = SigV4Config.s3("us-east-1", payload_hash="UNSIGNED-PAYLOAD", expires=600)
        return sign_v4_query(request, credentials, when, config)["url"]
    return sign_v2_query(request, credentials, when, S3V2Config(expires_in=600))["url"]

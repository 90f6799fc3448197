"""`sigkit curl` commands, checked without a server.

Each generated command is run by bash with `curl` (and, for the script style, `date`) replaced
by shell functions: the fake curl prints the arguments it would have received, so the test
sees exactly what the shell made of the quoting. The signatures in those arguments are then
compared with the core signers (sigkit.sign_v4 / sign_v2) and, for SigV4, with botocore's
S3SigV4Auth at the same time: the headers style must carry the core's signature, and the
script style (bash + openssl) must compute the same one when it runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigkit import Credentials, InputError, Request, S3V2Config, SigV4Config, sign_v2, sign_v4
from sigkit.cli import curl_cmd
from sigkit.cli.curl_cmd import curl_app
from sigkit.curl import CurlCall, aws_sigv4_command, comment, script_command
from sigkit.errors import SigkitError
from sigkit.s3uri import (
    aws_endpoint,
    check_bucket_name,
    encode_key,
    has_dot_segment,
    object_url,
    parse_endpoint,
    parse_s3_uri,
)
from sigkit.timefmt import http_date

AK = "AKIDCURLTEST0001"
SK = "secret/with+odd=chars"
ENDPOINT = "http://127.0.0.1:9000"
BUCKET = "sigkit-test"
WHEN = datetime(2026, 11, 24, 10, 11, 12, tzinfo=UTC)
STAMP = "20261124T101112Z"
HOSTILE = [
    "it's",
    'say "hi"',
    "$(touch pwned)",
    "`touch pwned`",
    "bang!bang",
    "line\nbreak\nrm -rf /tmp/x",
    "spa ce",
    "hash#tag",
    "question?mark",
    "percent%20literal",
    "plus+sign",
    "unicode-\u00e9-\u65e5\u672c-\U0001f642",
    "dir/trailing/",
    "dot/./and/../segments",
    "a//b",
    "tab\tand\rcr",
    "${HOME}",
]

# A bash preamble: curl prints its arguments NUL-separated; date answers the fixed time.
FAKES = f"""
curl() {{ for a in "$@"; do printf '%s\\0' "$a"; done; }}
date() {{
  case "$*" in
    *%Y%m%d*) printf '%s\\n' {STAMP} ;;
    *) printf '%s\\n' '{http_date(WHEN)}' ;;
  esac
}}
"""


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.add_typer(curl_app, name="curl")

    @app.callback()
    def _root() -> None:
        """sigkit (test mount)."""

    return app


APP = _app()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`sigkit curl ...` as the entry point runs it: sigkit errors become one stderr line."""
    command = typer.main.get_command(APP)
    try:
        command.main(args=["curl", *argv], prog_name="sigkit", standalone_mode=False)
        code = 0
    except SigkitError as exc:
        print(f"sigkit: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    out, err = capsys.readouterr()
    return code, out, err


def generate(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return out


def fake_run(
    script: str, cwd: Path, env: dict[str, str] | None = None, *, keys: bool = True
) -> list[list[str]]:
    """Run the generated text with the fakes (and the test keys in the environment unless
    `keys` is false); one argument list per curl call."""
    full_env = {"PATH": os.environ["PATH"]}
    if keys:
        full_env.update(AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK)
    full_env.update(env or {})
    proc = subprocess.run(
        ["bash", "-c", FAKES + script], capture_output=True, cwd=cwd, env=full_env, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()
    calls: list[list[str]] = []
    args = proc.stdout.decode("utf-8").split("\0")[:-1]
    for arg in args:
        if arg == "curl-marker":
            continue
        if not calls or arg == "-sS":
            calls.append([])
        calls[-1].append(arg)
    return calls


def parsed(args: list[str]) -> dict[str, object]:
    """The parts of a curl command line the tests look at."""
    headers: dict[str, str] = {}
    out: dict[str, object] = {"headers": headers}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-H":
            name, _, value = args[i + 1].partition(": ")
            headers[name.lower()] = value
            i += 2
        elif arg in ("-T", "-o", "-X", "--user", "--aws-sigv4", "--data-raw", "--data-binary"):
            out[arg] = args[i + 1]
            i += 2
        elif arg.startswith(("http://", "https://")):
            out["url"] = arg
            i += 1
        else:
            out.setdefault("flags", []).append(arg)  # type: ignore[union-attr]
            i += 1
    return out


def upload_file(tmp_path: Path, data: bytes = b"hello \x00 world\n") -> Path:
    path = tmp_path / "up $(x) `y` it's.bin"
    path.write_bytes(data)
    return path


def common(*extra: str) -> list[str]:
    return ["--endpoint-url", ENDPOINT, "--access-key", AK, "--secret-key", SK, *extra]


# --- the headers style carries the core's signature (and botocore's) --------------------------


def botocore_authorization(method: str, url: str, headers: dict[str, str], body: bytes) -> str:
    from botocore.auth import S3SigV4Auth  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
    from botocore.credentials import (  # type: ignore[import-untyped]
        Credentials as BotoCredentials,
    )

    request = AWSRequest(method=method, url=url, headers=headers, data=body)
    naive = WHEN.replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=naive):
        S3SigV4Auth(BotoCredentials(AK, SK), "s3", "us-east-1").add_auth(request)
    return str(request.headers["Authorization"])


@pytest.mark.parametrize("key", HOSTILE)
def test_headers_style_signature_is_the_core_and_botocore_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, key: str
) -> None:
    data = b"payload \x00\xff"
    source = upload_file(tmp_path, data)
    out = generate(
        capsys,
        "put",
        str(source),
        f"s3://{BUCKET}/{key}",
        "--content-type",
        "text/plain; x='1'",
        "--metadata",
        'note=$(x) `y` "q" it\'s !#?%+ \u00e9',
        "--style",
        "headers",
        "--date",
        STAMP,
        *common(),
    )
    (call,) = fake_run(out, tmp_path)
    got = parsed(call)
    url = f"{ENDPOINT}/{BUCKET}/{encode_key(key)}"
    assert got["url"] == url
    assert got.get("-T", got.get("--data-binary", "").lstrip("@")) == str(source)
    headers = got["headers"]
    assert isinstance(headers, dict)
    user_headers = [("Content-Type", "text/plain; x='1'")]
    user_headers.append(("x-amz-meta-note", '$(x) `y` "q" it\'s !#?%+ \u00e9'))
    assert headers["content-type"] == user_headers[0][1]
    assert headers["x-amz-meta-note"] == user_headers[1][1]
    core = sign_v4(
        Request.from_url("PUT", url, user_headers, data),
        Credentials(AK, SK),
        WHEN,
        SigV4Config.s3("us-east-1"),
    )
    assert headers["authorization"] == core["authorization"]
    assert headers["x-amz-date"] == STAMP
    assert headers["x-amz-content-sha256"] == hashlib.sha256(data).hexdigest()
    assert headers["authorization"] == botocore_authorization("PUT", url, dict(user_headers), data)
    assert not (tmp_path / "pwned").exists()


def test_headers_style_v2_is_the_core_signature(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key = "a b+c/it's $(x).txt"
    out = generate(
        capsys,
        "get",
        f"s3://{BUCKET}/{key}",
        "out.bin",
        "--sig",
        "v2",
        "--style",
        "headers",
        "--date",
        STAMP,
        *common(),
    )
    (call,) = fake_run(out, tmp_path)
    got = parsed(call)
    url = f"{ENDPOINT}/{BUCKET}/{encode_key(key)}"
    expected = sign_v2(
        Request.from_url("GET", url), Credentials(AK, SK), WHEN, S3V2Config(BUCKET, "path")
    )
    headers = got["headers"]
    assert isinstance(headers, dict)
    assert headers["authorization"] == expected["authorization"]
    assert headers["date"] == http_date(WHEN)
    assert got["-o"] == "out.bin"
    assert "# string to sign:" in out


def test_headers_style_session_token_stays_a_variable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    token = "FQoG/token+with=chars"
    out = generate(
        capsys,
        "rm",
        f"s3://{BUCKET}/k",
        "--style",
        "headers",
        "--date",
        STAMP,
        "--session-token",
        token,
        *common(),
    )
    assert token not in out
    assert out.count("${AWS_SESSION_TOKEN}") == 1
    (call,) = fake_run(out, tmp_path, {"AWS_SESSION_TOKEN": token})
    headers = parsed(call)["headers"]
    assert isinstance(headers, dict)
    assert headers["x-amz-security-token"] == token
    core = sign_v4(
        Request.from_url("DELETE", f"{ENDPOINT}/{BUCKET}/k"),
        Credentials(AK, SK, token),
        WHEN,
        SigV4Config.s3("us-east-1"),
    )
    assert headers["authorization"] == core["authorization"]
    inline = generate(
        capsys, "rm", f"s3://{BUCKET}/k", "--style", "headers", "--session-token", token,
        "--inline-secrets", *common(),
    )  # fmt: skip
    assert token in inline and SK not in inline


def test_a_short_token_is_replaced_only_where_it_is_the_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for style in ("headers", "aws-sigv4", "script"):
        out = generate(capsys, "rm", f"s3://{BUCKET}/tok", "--session-token", "tok",
                       "--style", style, *common())  # fmt: skip
        assert "x-amz-security-token:***" in out or style != "headers"
        (call,) = fake_run(out, tmp_path, {"AWS_SESSION_TOKEN": "tok"})
        headers = parsed(call)["headers"]
        assert isinstance(headers, dict) and headers["x-amz-security-token"] == "tok"
        assert parsed(call)["url"] == f"{ENDPOINT}/{BUCKET}/tok"


def test_headers_style_json_has_the_command_and_steps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = generate(
        capsys, "ls", f"s3://{BUCKET}", "--prefix", "a+b", "--style", "headers",
        "--date", STAMP, "--json", *common(),
    )  # fmt: skip
    document = json.loads(out)
    assert document["style"] == "headers" and document["name"] == "ls"
    steps = {s["name"]: s for s in document["steps"]}
    assert steps["canonical_query"]["value"] == "list-type=2&prefix=a%2Bb"
    assert steps["signing_key"]["masked"] is True
    assert steps["authorization"]["value"] in document["command"]
    assert SK not in out


# --- the script style computes the same signature with bash and openssl ----------------------


SCRIPT_KEYS = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=SCRIPT_KEYS, sig=st.sampled_from(["v4", "v2"]))
def test_script_style_signs_like_the_core(tmp_path: Path, key: str, sig: str) -> None:
    data = os.urandom(50)
    source = upload_file(tmp_path, data)
    url = f"{ENDPOINT}/{BUCKET}/{encode_key(key)}"
    call = CurlCall("PUT", url, (("x-amz-meta-k", "v $(x) 'q'"),), upload=str(source),
                    bucket=BUCKET, addressing="path")  # fmt: skip
    script = script_command(call, sig=sig, session_token="tok/en+=", inline=None)
    (args,) = fake_run(script, tmp_path, {"AWS_SESSION_TOKEN": "tok/en+="})
    got = parsed(args)
    headers = got["headers"]
    assert isinstance(headers, dict)
    creds = Credentials(AK, SK, "tok/en+=")
    user = [("x-amz-meta-k", "v $(x) 'q'")]
    if key.rpartition("/")[2] in ("", ".", ".."):  # curl -T would append the file name
        user.append(("Content-Type", "binary/octet-stream"))
    if sig == "v4":
        expected = sign_v4(
            Request.from_url("PUT", url, user, data), creds, WHEN, SigV4Config.s3("us-east-1")
        )
        assert headers["x-amz-content-sha256"] == hashlib.sha256(data).hexdigest()
        assert headers["x-amz-date"] == STAMP
    else:
        request = Request.from_url("PUT", url, [*user, ("x-amz-date", http_date(WHEN))])
        expected = sign_v2(request, creds, WHEN, S3V2Config(BUCKET, "path"))
    assert headers["authorization"] == expected["authorization"]
    assert headers["x-amz-security-token"] == "tok/en+="
    assert got["url"] == url


def test_script_style_inline_secrets_need_no_environment(tmp_path: Path) -> None:
    call = CurlCall("GET", f"{ENDPOINT}/{BUCKET}/k", bucket=BUCKET, addressing="path")
    script = script_command(call, sig="v4", session_token=None, inline=Credentials(AK, SK))
    (call,) = fake_run(script, tmp_path, keys=False)
    headers = parsed(call)["headers"]
    assert isinstance(headers, dict)
    expected = sign_v4(
        Request.from_url("GET", f"{ENDPOINT}/{BUCKET}/k"), Credentials(AK, SK), WHEN,
        SigV4Config.s3("us-east-1"),
    )  # fmt: skip
    assert headers["authorization"] == expected["authorization"]


# --- the aws-sigv4 style --------------------------------------------------------------------


@pytest.mark.parametrize("key", HOSTILE)
def test_aws_sigv4_style_sends_the_canonical_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, key: str
) -> None:
    source = upload_file(tmp_path)
    out = generate(capsys, "put", str(source), f"s3://{BUCKET}/{key}", *common())
    (call,) = fake_run(out, tmp_path)
    got = parsed(call)
    assert got["url"] == f"{ENDPOINT}/{BUCKET}/{encode_key(key)}"
    assert got["--aws-sigv4"] == "aws:amz:us-east-1:s3"
    assert got["--user"] == f"{AK}:{SK}"  # from the environment, when run
    headers = got["headers"]
    assert isinstance(headers, dict)
    assert headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    flags = got.get("flags", [])
    assert isinstance(flags, list)
    assert ("--path-as-is" in flags) == has_dot_segment(encode_key(key))
    if key.endswith("/"):  # curl -T would append the file name
        assert got["--data-binary"] == "@" + str(source)
        assert headers["content-type"] == "binary/octet-stream"
    else:
        assert got["-T"] == str(source)
    assert SK not in out and not (tmp_path / "pwned").exists()


def test_aws_sigv4_style_payload_hash_per_body(tmp_path: Path) -> None:
    empty = CurlCall("GET", f"{ENDPOINT}/{BUCKET}/k")
    assert "x-amz-content-sha256: e3b0c442" in aws_sigv4_command(empty, session_token=None)
    body = CurlCall("PUT", f"{ENDPOINT}/{BUCKET}", data="<x/>", headers=(("Content-Type", "a/b"),))
    text = aws_sigv4_command(body, session_token="t")
    assert hashlib.sha256(b"<x/>").hexdigest() in text
    assert '"x-amz-security-token: ${AWS_SESSION_TOKEN}"' in text
    assert "--data-raw '<x/>'" in text


def test_aws_sigv4_refuses_v2_and_explains_curl_versions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(capsys, "ls", f"s3://{BUCKET}", "--sig", "v2", "--style", "aws-sigv4")
    assert code == 2 and not out
    assert err.count("\n") == 1 and "aws-sigv4 is SigV4 only" in err
    out = generate(capsys, "ls", f"s3://{BUCKET}", "--prefix", "a+b", *common())
    assert "prefix=a%2Bb" in out
    monkeypatch.setattr(curl_cmd, "local_curl_version", lambda: (8, 14, 1))
    _, _, err = run(capsys, "ls", f"s3://{BUCKET}", "--prefix", "a+b", *common())
    assert "8.14 to 8.18" in err
    _, _, err = run(capsys, "rm", f"s3://{BUCKET}/a/../b", *common())
    assert "--path-as-is" in err
    monkeypatch.setattr(curl_cmd, "local_curl_version", lambda: (8, 9, 0))
    _, _, err = run(capsys, "rm", f"s3://{BUCKET}/a%b", *common())
    assert "8.9 to 8.13" in err
    monkeypatch.setattr(curl_cmd, "local_curl_version", lambda: None)  # no curl: all of them
    _, _, err = run(capsys, "rm", f"s3://{BUCKET}/a%b", *common())
    assert "8.9 to 8.13" in err


def test_curl_version_remarks_only_for_the_local_curl(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The curl here is 7.88 (Debian 12): none of the 8.x remarks apply to it, while the ones
    for every curl before 8.10 (names sharing a prefix) do."""
    version = subprocess.run(["curl", "--version"], capture_output=True, text=True, check=True)
    if not version.stdout.startswith("curl 7.88."):
        pytest.skip(f"the local curl is not 7.88: {version.stdout.split(chr(10))[0]}")
    curl_cmd.local_curl_version.cache_clear()
    assert curl_cmd.local_curl_version() == (7, 88, int(version.stdout.split()[1].split(".")[2]))
    for argv in (["ls", f"s3://{BUCKET}", "--prefix", "a+b"], ["rm", f"s3://{BUCKET}/a%b"],
                 ["rm", f"s3://{BUCKET}/a/../b"]):  # fmt: skip
        code, _, err = run(capsys, *argv, *common())
        assert code == 0 and "curl 8." not in err and "newer curl" not in err, (argv, err)
    code, _, err = run(capsys, "request", "PUT", f"{ENDPOINT}/{BUCKET}/k", "-d", "x",
                       "-H", "x-amz-meta-a: 1", "-H", "x-amz-meta-ab: 2")  # fmt: skip
    assert code == 0 and "curl before 8.10" in err


def test_a_newline_in_a_key_cannot_escape_a_comment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for style in ("aws-sigv4", "headers", "script"):
        out = generate(
            capsys, "walkthrough", f"s3://{BUCKET}/x\ntouch pwned\n", str(upload_file(tmp_path)),
            "--style", style, *common(),
        )  # fmt: skip
        assert "\ntouch pwned" not in out
        assert len(fake_run(out, tmp_path)) == 6
        assert not (tmp_path / "pwned").exists()
    assert comment("a\nb\rc\x1b\u2028") == "a\\x0ab\\x0dc\\x1b\\u2028"


# --- walkthrough, addressing, requests --------------------------------------------------------


def test_walkthrough_prints_six_numbered_steps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = upload_file(tmp_path)
    out = generate(capsys, "walkthrough", f"s3://{BUCKET}", str(source), *common())
    titles = [line for line in out.splitlines() if line[:4] in ("# 1.", "# 2.", "# 3.", "# 4.",
                                                                  "# 5.", "# 6.")]  # fmt: skip
    assert len(titles) == 6
    calls = [parsed(c) for c in fake_run(out, tmp_path)]
    key_url = f"{ENDPOINT}/{BUCKET}/{encode_key(source.name)}"
    assert [c["url"] for c in calls] == [
        f"{ENDPOINT}/{BUCKET}",
        key_url,
        f"{ENDPOINT}/{BUCKET}?list-type=2",
        key_url,
        key_url,
        f"{ENDPOINT}/{BUCKET}",
    ]
    assert [c.get("-X") for c in calls] == ["PUT", None, None, None, "DELETE", "DELETE"]
    assert calls[3]["-o"] == str(source) + ".downloaded"


def test_addressing_defaults_and_choices(capsys: pytest.CaptureFixture[str]) -> None:
    out = generate(capsys, "rm", "s3://my-bucket/a b", "--region", "eu-west-1")
    assert "https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b" in out
    out = generate(capsys, "rm", "s3://my.dotted.bucket/k")
    assert "https://s3.us-east-1.amazonaws.com/my.dotted.bucket/k" in out
    out = generate(capsys, "rm", "s3://my-bucket/k", "--addressing", "path")
    assert "https://s3.us-east-1.amazonaws.com/my-bucket/k" in out
    out = generate(
        capsys, "rm", "s3://my-bucket/k", "--endpoint-url", "http://minio.local:9000",
        "--addressing", "virtual",
    )  # fmt: skip
    assert "http://my-bucket.minio.local:9000/k" in out
    out = generate(capsys, "mb", "s3://my-bucket", "--region", "eu-west-1", "--style", "headers")
    assert "<LocationConstraint>eu-west-1</LocationConstraint>" in out
    out = generate(capsys, "mb", "s3://my-bucket", "--region", "cn-north-1")
    assert "https://my-bucket.s3.cn-north-1.amazonaws.com.cn/" in out


def test_v2_virtual_hosted_signs_the_bucket_in_the_resource(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = generate(
        capsys, "rb", "s3://my-bucket", "--sig", "v2", "--date", STAMP,
        "--access-key", AK, "--secret-key", SK,
    )  # fmt: skip
    assert "https://my-bucket.s3.us-east-1.amazonaws.com/" in out
    assert "#   /my-bucket/" in out


def test_request_sends_the_canonical_url_for_aws_sigv4(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"{ENDPOINT}/{BUCKET}/a*b?prefix=a+b&acl"
    code, out, err = run(capsys, "request", "-X", "GET", url)
    assert code == 0, err
    assert f"{ENDPOINT}/{BUCKET}/a%2Ab?acl=&prefix=a%20b" in out
    assert "canonical form" in err
    out = generate(capsys, "request", url, "--style", "headers", *common()[2:])
    (call,) = fake_run(out, tmp_path)
    assert parsed(call)["url"] == url  # the headers style sends it as given
    code, out, err = run(capsys, "request", "POST", f"{ENDPOINT}/x", "-d", "@not-a-file")
    assert code == 0 and "--data-raw @not-a-file" in out and "binary/octet-stream" in out


# --- bad input: one line, exit 2 --------------------------------------------------------------


BAD = [
    (["mb", "my-bucket"], "is not an S3 URI"),
    (["mb", "s3://"], "names no bucket"),
    (["mb", "s3:///key"], "names no bucket"),
    (["mb", "s3://ab"], "3 to 63"),
    (["mb", "s3://" + "a" * 64], "3 to 63"),
    (["mb", "s3://Bad_Bucket"], "lower-case letters"),
    (["mb", "s3://-bucket"], "begin and end"),
    (["mb", "s3://a..b"], "adjacent periods"),
    (["mb", "s3://192.168.1.10"], "IP address"),
    (["mb", "s3://xn--bucket"], "must not begin with 'xn--'"),
    (["mb", "s3://bucket-s3alias"], "must not end with '-s3alias'"),
    (["mb", "s3://bucket/key"], "takes s3://BUCKET"),
    (["rm", "s3://bucket/" + "k" * 1025], "1025 bytes"),
    (["rm", "s3://bucket/" + "\u00e9" * 513], "1026 bytes"),
    (["rm", "s3://bucket"], "names no key"),
    (["put", "/nonexistent/file", "s3://bucket/k"], "No such file or directory"),
    (["put", "/tmp", "s3://bucket/k"], "is a directory"),
    (["put", "-", "s3://bucket/k"], "standard input"),
    (["get", "s3://bucket/k", "/nonexistent/dir/f"], "does not exist"),
    (["rm", "s3://bucket/k", "--endpoint-url", "127.0.0.1:9000"], "has no scheme"),
    (["rm", "s3://bucket/k", "--endpoint-url", "localhost:9000"], "has no scheme"),
    (["rm", "s3://bucket/k", "--endpoint-url", "http://h:9000/base"], "path or query"),
    (
        ["rm", "s3://bucket/k", "--endpoint-url", "http://127.0.0.1:9", "--addressing", "virtual"],
        "needs a DNS name",
    ),
    (["rm", "s3://bucket/k", "--addressing", "sideways"], "not path or virtual"),
    (["rm", "s3://bucket/k", "--sig", "v3"], "not v4 or v2"),
    (["rm", "s3://bucket/k", "--region", "us:east"], "--region"),
    (["put", "/nonexistent", "s3://bucket/k", "--sig", "v2", "--style", "aws-sigv4"], "SigV4 only"),
    (["request", "http://h/x", "--service", "a:b"], "--service"),
    (["rm", "s3://bucket/k", "--style", "fancy"], "not one of"),
    (["rm", "s3://bucket/k", "--date", STAMP], "applies only to --style headers"),
    (["rm", "s3://bucket/k", "--style", "headers", "--date", "yesterday"], "is not a date"),
    (["ls", "s3://bucket/p", "--prefix", "q"], "either in the target"),
    (["request", "ftp://h/x"], "http:// or https://"),
    (["request", "GET", "http://h/x", "-X", "PUT"], "given both"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and not out
    assert err.startswith("sigkit: error: ") and err.count("\n") == 1, err
    assert message in err


def test_bad_header_values_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = str(upload_file(tmp_path))
    for value in ("a=b\nc", "a=", "=b", "a"):
        code, out, err = run(capsys, "put", source, "s3://bucket/k", "--metadata", value)
        assert code == 2 and not out and err.count("\n") == 1, (value, err)


def test_unreadable_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"x")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions do not stop reading")
        code, _, err = run(capsys, "put", str(path), "s3://bucket/k")
        assert code == 2 and "Permission denied" in err and err.count("\n") == 1
    finally:
        path.chmod(0o600)


# --- s3uri ------------------------------------------------------------------------------------


def test_s3_uri_keeps_the_key_as_written() -> None:
    assert parse_s3_uri("s3://bucket/a%20b//c?d#e").key == "a%20b//c?d#e"
    assert parse_s3_uri("s3://bucket/").key is None
    assert parse_s3_uri("s3://bucket").key is None
    assert encode_key("a b/c+d~e%f\u00e9") == "a%20b/c%2Bd~e%25f%C3%A9"
    assert check_bucket_name("my.bucket-1") == "my.bucket-1"
    with pytest.raises(InputError):
        check_bucket_name("my_bucket")


def test_urls() -> None:
    endpoint = parse_endpoint("http://[::1]:9000/")
    assert object_url(endpoint, "b-1", "k y", "path") == "http://[::1]:9000/b-1/k%20y"
    assert object_url(endpoint, "b-1", None, "path", "list-type=2") == (
        "http://[::1]:9000/b-1?list-type=2"
    )
    aws = aws_endpoint("eu-central-1")
    assert object_url(aws, "b-1", None, "virtual") == "https://b-1.s3.eu-central-1.amazonaws.com/"
    assert (
        has_dot_segment("/b/a/../c") and has_dot_segment("/b/.") and not has_dot_segment("/b/...")
    )


def test_profile_gives_keys_region_and_endpoint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(
        "[profile dev]\nregion = eu-west-3\nendpoint_url = http://127.0.0.1:7480\n"
    )
    (home / ".aws" / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = devsecret\n"
    )
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    code, out, err = run(capsys, "ls", "s3://bucket", "--profile", "dev", "--style", "headers")
    assert code == 0, err
    assert "Credential=AKIDDEV/" in out and "/eu-west-3/s3/aws4_request" in out
    assert "'http://127.0.0.1:7480/bucket?list-type=2'" in out
    assert "devsecret" not in out


@pytest.mark.parametrize("style", ["aws-sigv4", "headers", "script"])
def test_commands_survive_an_ascii_stdout(tmp_path: Path, style: str) -> None:
    """Printed to an ASCII stream (PYTHONIOENCODING=ascii, which escapes what it cannot
    encode), a command is still exact: every word is ASCII, non-ASCII text is $'\\xHH' bytes."""
    source = upload_file(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PYTHONIOENCODING="ascii", HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "sigkit.cli.app", "curl", "put", str(source),
         f"s3://{BUCKET}/caf\u00e9", "--metadata", "n=\u00e9\u65e5\U0001f642", "--style", style,
         *common()],
        capture_output=True, env=env, check=True,
    )  # fmt: skip
    (call,) = fake_run(done.stdout.decode("ascii"), tmp_path)
    got = parsed(call)
    headers = got["headers"]
    assert isinstance(headers, dict)
    assert headers["x-amz-meta-n"] == "\u00e9\u65e5\U0001f642"
    assert got["url"] == f"{ENDPOINT}/{BUCKET}/caf%C3%A9"

"""No command prints a secret unless asked: the secret key, the keys derived from it (kDate,
kRegion, kService, the signing key) and the session token never appear in stdout or stderr,
text or --json, whether the credentials come from flags, the environment or a profile; with
--show-secrets they do (so the masking, not an accident of the output, is what hides them).
Files holding a secret are 0600.

The one exception is the product itself: a presigned URL (and the curl command that uses it)
must carry the session token to work; there it is only the X-Amz-Security-Token parameter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from sigkit.cli.app import main
from sigkit.credentials import Credentials
from sigkit.http import Request, serialize_request
from sigkit.sigv4.config import rules_for
from sigkit.sigv4.signer import sign_v4, sign_v4_query

AK = "AKIAMASKTEST00000001"
SEC = "wJalrSECRET/K7MDENG+bPxRfiCYzzMASKTEST01"  # '/' and '+': percent-encoding matters
TOK = "IQoJb3JpZ2luX2VjMASKTEST/token+with=slash"
D = "20240101T000000Z"
WHEN = datetime(2024, 1, 1, tzinfo=UTC)
URL = "https://bkt.s3.us-east-1.amazonaws.com/k"
FIXTURES = Path(__file__).parent / "fixtures" / "debug"
LOG = FIXTURES / "awscli-v1-sts-get-caller-identity-session-token.debug.log"
LOG_TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN"  # the token that log's client sent


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def derived_keys(secret: str, date: str, region: str, service: str) -> list[str]:
    """kDate, kRegion, kService and kSigning as hex (the SigV4 derivation, written out)."""
    k_date = _hmac(("AWS4" + secret).encode(), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    k_signing = _hmac(k_service, "aws4_request")
    return [k.hex() for k in (k_date, k_region, k_service, k_signing)]


FORBIDDEN = [
    SEC,
    quote(SEC, safe=""),
    TOK,
    quote(TOK, safe=""),
    LOG_TOKEN,
    *derived_keys(SEC, "20240101", "us-east-1", "s3"),
    *derived_keys(SEC, "20261124", "us-east-1", "sts"),
    *derived_keys(SEC, datetime.now(UTC).strftime("%Y%m%d"), "us-east-1", "s3"),
]


def leaks(text: str) -> list[str]:
    return [secret for secret in FORBIDDEN if secret in text]


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, str]:
    """A raw request and a presigned URL signed with AK/SEC carrying TOK, and an AWS CLI log."""
    creds = Credentials(AK, SEC, TOK)
    signed = sign_v4(Request.from_url("GET", URL), creds, WHEN, rules_for("s3", "us-east-1"))
    raw = tmp_path / "request.txt"
    raw.write_bytes(serialize_request(signed.request))
    query = rules_for("s3", "us-east-1", variant="query", expires=3600)
    url = sign_v4_query(Request.from_url("GET", URL), creds, WHEN, query)["url"]
    body = tmp_path / "body.txt"
    body.write_bytes(b"hello\n")
    return {"raw": str(raw), "url": url, "log": str(LOG), "body": str(body)}


MODES = ["flags", "env", "profile"]


@pytest.fixture
def mode_args(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[list[str]]:
    """The credentials as flags, as environment variables or as a profile in a temp HOME."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "NO_COLOR":
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    mode = request.param
    if mode == "flags":
        yield ["--access-key", AK, "--secret-key", SEC, "--session-token", TOK]
    elif mode == "env":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", AK)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SEC)
        monkeypatch.setenv("AWS_SESSION_TOKEN", TOK)
        yield []
    else:
        (home / ".aws" / "credentials").write_text(
            f"[dev]\naws_access_key_id = {AK}\naws_secret_access_key = {SEC}\n"
            f"aws_session_token = {TOK}\n"
        )
        yield ["--profile", "dev"]


# (name, argv before the credentials, whether the command shows something secret when asked)
def commands(src: dict[str, str], out_dir: Path) -> list[tuple[str, list[str]]]:
    get = [src["raw"], "--now", D]
    chunked = str(out_dir / "body.chunked")
    return [
        ("sign", ["sign", URL, "--date", D]),
        ("sign-presign", ["sign", URL, "--date", D, "--presign"]),
        ("sign-v2", ["sign", URL, "--date", D, "--sig", "v2"]),
        ("sign-v4a", ["sign", URL, "--date", D, "--sig", "v4a"]),
        ("chunked", ["chunked", URL, "--data-file", src["body"], "--date", D]),
        (
            "chunked-curl",
            [
                "chunked",
                URL,
                "--data-file",
                src["body"],
                "--date",
                D,
                "--curl",
                "--output",
                chunked,
            ],
        ),
        ("post-policy", ["post-policy", "s3://bkt/k", "--date", D]),
        ("post-policy-v2", ["post-policy", "s3://bkt/k", "--date", D, "--sig", "v2"]),
        (
            "post-policy-curl",
            ["post-policy", "s3://bkt/k", "--date", D, "--curl", "--file", src["body"]],
        ),
        ("curl-get", ["curl", "get", "s3://bkt/k", str(out_dir / "o")]),
        (
            "curl-put-headers",
            ["curl", "put", src["body"], "s3://bkt/k", "--style", "headers", "--date", D],
        ),
        ("curl-ls-script", ["curl", "ls", "s3://bkt/", "--style", "script"]),
        (
            "curl-rm-v2",
            ["curl", "rm", "s3://bkt/k", "--sig", "v2", "--style", "headers", "--date", D],
        ),
        ("curl-mb", ["curl", "mb", "s3://bkt"]),
        ("curl-rb", ["curl", "rb", "s3://bkt", "--style", "headers", "--date", D]),
        ("curl-request", ["curl", "request", "GET", URL, "--style", "headers", "--date", D]),
        ("curl-walkthrough", ["curl", "walkthrough", "s3://bkt/k", src["body"]]),
        ("config", ["config"]),
        ("verify-raw", ["verify", *get]),
        ("verify-url", ["verify", src["url"], "--now", D]),
        ("verify-log", ["verify", src["log"]]),
        ("explain-raw", ["explain", *get]),
        ("explain-url", ["explain", src["url"], "--now", D]),
        ("explain-log", ["explain", src["log"]]),
        ("diff-raw-url", ["diff", src["raw"], src["url"]]),
        ("diff-log", ["diff", src["log"], src["log"]]),
        ("diff-ours-raw", ["diff", src["raw"], "--ours"]),
        ("diff-ours-url", ["diff", src["url"], "--ours"]),
    ]


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("mode_args", MODES, indirect=True)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_no_command_prints_a_secret(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sources: dict[str, str],
    mode_args: list[str],
    as_json: bool,
) -> None:
    failures = []
    for name, argv in commands(sources, tmp_path):
        full = [*argv, *mode_args, *(["--json"] if as_json else [])]
        if as_json and name == "post-policy-curl":
            full.remove("--curl")  # --json holds the command anyway
        if name == "config" and "--access-key" in mode_args:
            continue  # config shows the environment and the files; it takes no keys
        code, out, err = run(capsys, full)
        # The command really ran. The log names AKIDEXAMPLE: with the environment's or a
        # profile's credentials for another key, explain verifies nothing (no-data, exit 2).
        ran = (0, 1, 2) if name == "explain-log" and "--access-key" not in mode_args else (0, 1)
        assert code in ran, f"{name}: exit {code}: {err}"
        if as_json and name not in ("curl-walkthrough",) and out.strip():
            json.loads(out)  # whole JSON: masking happened before encoding
        found = leaks(out + err)
        if found:
            failures.append(f"{name}: {found}")
    assert failures == []


@pytest.mark.parametrize("mode_args", ["env"], indirect=True)
@pytest.mark.parametrize(
    "name",
    [
        "sign",
        "sign-presign",
        "verify-raw",
        "verify-url",
        "explain-raw",
        "explain-url",
        "diff-ours-raw",
    ],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_show_secrets_shows_them(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sources: dict[str, str],
    mode_args: list[str],
    name: str,
    as_json: bool,
) -> None:
    argv = dict(commands(sources, tmp_path))[name]
    json_flag = ["--json"] if as_json else []
    code, out, err = run(capsys, [*argv, *json_flag])
    assert code in (0, 1), err
    assert leaks(out + err) == []
    code, out, err = run(capsys, [*argv, *json_flag, "--show-secrets"])
    assert code in (0, 1), err
    # A report that matches shows no request in text: only its JSON has one to show.
    if as_json or not name.startswith(("explain", "diff-ours")):
        assert TOK in out or quote(TOK, safe="") in out
    if name.startswith("sign"):
        assert derived_keys(SEC, "20240101", "us-east-1", "s3")[3] in out


@pytest.mark.parametrize("mode_args", ["env"], indirect=True)
def test_the_debugger_masks_a_log_s_token_it_was_not_given(
    capsys: pytest.CaptureFixture[str], mode_args: list[str]
) -> None:
    # The log's own token (not the one in the environment): found by name in the canonical
    # request, the request as sent and the headers the log printed.
    for argv in (
        ["explain", str(LOG), "--secret-key", SEC],  # the secret alone: the log's key
        ["diff", str(LOG), str(LOG)],
        ["verify", str(LOG), "--access-key", "AKIDEXAMPLE", "--secret-key", SEC],
    ):
        for extra in ([], ["--json"]):
            code, out, err = run(capsys, [*argv, *extra])
            assert code in (0, 1), err
            assert LOG_TOKEN not in out + err, argv + extra
            code, out, err = run(capsys, [*argv, *extra, "--show-secrets"])
            if extra:  # the text shows no request when nothing in it is to blame
                assert LOG_TOKEN in out, argv + extra


@pytest.mark.parametrize("mode_args", MODES, indirect=True)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_presign_carries_the_token_only_in_the_url(
    capsys: pytest.CaptureFixture[str], mode_args: list[str], as_json: bool
) -> None:
    for extra in ([], ["--curl"]):
        argv = ["presign", "s3://bkt/k", "--date", D, *mode_args, *extra]
        code, out, err = run(capsys, [*argv, *(["--json"] if as_json else [])])
        assert code == 0, err
        encoded = quote(TOK, safe="")
        # Every occurrence of the token is the URL's X-Amz-Security-Token parameter.
        assert out.count(encoded) == out.count(f"X-Amz-Security-Token={encoded}") >= 1
        assert TOK not in out + err
        assert [s for s in leaks(out + err) if s != encoded] == []
        if as_json:
            steps = json.loads(out)["steps"]
            assert leaks(json.dumps(steps)) == []


def test_vectors_new_keeps_the_secret_in_a_0600_file_and_prints_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    case = tmp_path / "case"
    flags = ["--access-key", AK, "--secret-key", SEC, "--session-token", TOK]
    for extra in ([], ["--json"]):
        code, out, err = run(
            capsys, ["vectors", "new", str(case), URL, "--date", D, *flags, *extra]
        )
        assert code == 0, err
        assert leaks(out + err) == []
        context = case / "context.json"
        assert json.loads(context.read_text())["credentials"] == {
            "access_key_id": AK,
            "secret_access_key": SEC,
            "token": TOK,
        }
        assert stat.S_IMODE(context.stat().st_mode) == 0o600
        code, out, err = run(capsys, ["vectors", str(case), *extra])
        assert code == 0, out + err
        assert leaks(out + err) == []
        # A failing check quotes the differing line: the token in it is masked too.
        expected = case / "header-canonical-request.txt"
        expected.write_text(expected.read_text().replace(TOK, TOK[:-1] + "X"))
        code, out, err = run(capsys, ["vectors", str(case), *extra])
        assert code == 1 and "canonical-request" in out
        assert leaks(out + err) == [] and TOK[:4] + "*" * 8 + TOK[-2:] in out
        code, out, err = run(capsys, ["vectors", str(case), *extra, "--show-secrets"])
        assert code == 1 and TOK in out
        for path in case.iterdir():
            path.unlink()
        case.rmdir()


def test_serve_logs_no_secret_and_answers_without_the_secret_key(tmp_path: Path) -> None:
    """serve's log (stderr) never shows the session token or a key; its answers, like S3's,
    echo the canonical request the client sent (token included, to the client that sent it)
    but never the secret key or a key derived from it."""
    import http.client
    import subprocess
    import sys
    from urllib.parse import urlsplit

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(tmp_path),
        AWS_ACCESS_KEY_ID=AK,
        AWS_SECRET_ACCESS_KEY=SEC,
        AWS_SESSION_TOKEN=TOK,
        AWS_REGION="us-east-1",
    )
    cli = [sys.executable, "-c", "import sys; from sigkit.cli.app import main; sys.exit(main())"]
    proc = subprocess.Popen(
        [*cli, "serve", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    lines: list[str] = []  # serve's log (stderr), read as it comes
    stderr = proc.stderr
    assert stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(stderr.readline, "")))
    reader.start()
    try:
        assert proc.stdout is not None
        base = json.loads(proc.stdout.readline())["listening"]
        port = urlsplit(base).port
        assert port is not None
        creds = Credentials(AK, SEC, TOK)
        now = datetime.now(UTC)
        query = rules_for("s3", "us-east-1", variant="query", expires=600)
        good = sign_v4_query(Request.from_url("GET", f"{base}/bkt/k"), creds, now, query)["url"]
        header = sign_v4(
            Request.from_url("GET", f"{base}/bkt/k"), creds, now, rules_for("s3", "us-east-1")
        )
        targets: list[tuple[str, list[tuple[str, str]]]] = [
            (good.split(base, 1)[1], []),
            (good.split(base, 1)[1].replace("X-Amz-Signature=", "X-Amz-Signature=0"), []),
            (f"/k?X-Amz-Security-Token={quote(TOK, safe='')}&x=1", []),
        ]
        sent = [(n, v) for n, v in header.request.headers if n.lower() != "host"]
        wrong = [(n, v.replace("Signature=", "Signature=0")) for n, v in sent]
        targets += [("/bkt/k", sent), ("/bkt/k", wrong)]
        answers = []
        for accept in ("application/xml", "application/json"):
            for path, headers in targets:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", path, headers=dict([*headers, ("Accept", accept)]))
                response = conn.getresponse()
                answers.append((response.status, response.read().decode()))
                conn.close()
        assert [status for status, _ in answers] == [200, 403, 403, 200, 403] * 2
        # The answers name the mismatch and echo the canonical request, not the secret.
        assert any(TOK in body or quote(TOK, safe="") in body for _, body in answers)
        for _, body in answers:
            assert [s for s in leaks(body) if s not in (TOK, quote(TOK, safe=""))] == []
        # Each log line is written after its answer: wait for the tenth before stopping.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and sum('"request_line"' in x for x in lines) < 10:
            time.sleep(0.02)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        reader.join(timeout=30)
    assert proc.stdout is not None
    log = proc.stdout.read() + "".join(lines)
    assert log.count('"request_line"') == 10
    assert leaks(log) == []


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        # A known secret, as written and percent-encoded (mask: 4 first, 8 stars, 2 last).
        (f"k={SEC} u={quote(SEC, safe='')}", [SEC], "k=wJal********01 u=wJal********01"),
        # A session token by name, known or not: header line, query, JSON, Python dict repr.
        ("X-Amz-Security-Token: abcdefghijkl\n", [], "X-Amz-Security-Token: abcd********kl\n"),
        (
            "?a=1&X-Amz-Security-Token=AbC%2Fdefghij&b=2",
            [],
            "?a=1&X-Amz-Security-Token=AbC%********ij&b=2",
        ),
        (
            '{"x-amz-security-token": "abcdefghijkl"}',
            [],
            '{"x-amz-security-token": "abcd********kl"}',
        ),
        (
            "{'X-Amz-Security-Token': b'abcdefghijkl'}",
            [],
            "{'X-Amz-Security-Token': b'abcd********kl'}",
        ),
        ("x-amz-s3session-token:short", [], "x-amz-s3session-token:*****"),
        # A shell variable is a name, not a token; a header list names no value.
        (
            '-H "x-amz-security-token: ${AWS_SESSION_TOKEN}"',
            [],
            '-H "x-amz-security-token: ${AWS_SESSION_TOKEN}"',
        ),
        ("host;x-amz-date;x-amz-security-token\n", [], "host;x-amz-date;x-amz-security-token\n"),
        # A short known secret is not masked in ordinary words.
        ("use the same secret", ["secret"], "use the same secret"),
    ],
)
def test_the_masking_rule(text: str, secrets: list[str], expected: str) -> None:
    from sigkit.render import redact, redact_data

    assert redact(text, secrets) == expected
    assert redact_data({"k": [text], "n": 1}, secrets) == {"k": [expected], "n": 1}


@pytest.mark.parametrize("mode_args", ["env"], indirect=True)
def test_the_sigv4a_private_key_is_shown_only_when_asked(
    capsys: pytest.CaptureFixture[str], mode_args: list[str]
) -> None:
    argv = ["sign", URL, "--date", D, "--sig", "v4a", "--json"]
    code, out, err = run(capsys, [*argv, "--show-secrets"])
    assert code == 0, err
    steps = {s["name"]: s for s in json.loads(out)["steps"]}
    key = steps["private_key"]["value"]
    assert steps["private_key"]["masked"] is False and len(key) >= 32
    for extra in ([], ["--json"]):
        code, out, err = run(capsys, [a for a in argv if a != "--json"] + extra)
        assert code == 0 and key not in out + err and leaks(out + err) == []

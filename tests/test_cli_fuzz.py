"""Every command, sub-command and option fed hostile values, in process, with strict output.

The commands and their options are read from the CLI itself (click's parameters), so a new
option is fuzzed without editing this file. Each run goes through `sigkit.cli.app.main(argv)`
with stdout and stderr that refuse what they cannot encode (UTF-8 or ASCII, errors="strict")
and an empty stdin. A run passes when it ends with exit status 0 or 1, or with 2 and one line
``sigkit: error: ...`` as the last line on stderr; a traceback, another exception out of
`main`, the last-resort line (exit 70: a bug to fix) or an error of several lines fails it.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from sigkit.cli import app as app_module

DATE = "20130524T000000Z"
URL = "https://examplebucket.s3.amazonaws.com/test.txt"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # the AWS documentation's example secret
HOSTILE = [
    "99999999999999999999999",  # past every C integer
    "-99999999999999999999999",
    "-1",
    "nan",  # passes a float range check
    "9999-12-31T23:59:59Z",  # the last second a datetime holds: plus anything overflows
    "99991231T235959Z",
    "253402300800",  # epoch seconds of year 10000
    "[" * 50_000,  # deeper than the JSON decoder's recursion
    '{"a":' * 50_000,
    "a\udcffb",  # argv bytes that are not UTF-8, as Python keeps them
    "a\x00b",
    "\x1b[31mred\x1b[0m\r\nx",  # an escape sequence and a line break in an error message
    "",
    "x" * 20_000,
    "é🙂\u202e",  # non-ASCII, astral, bidi override: an ASCII stdout cannot print them
    "-",
    "http://[::1",
    "https://b.s3.amazonaws.com/%ff%00?\udcff=1",
]
# Options never run: they change the user's shell start-up files or are the help.
SKIP_OPTIONS = {"--install-completion", "--show-completion", "--help"}


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    params: tuple[Any, ...]


def _commands() -> list[Command]:
    root = typer.main.get_command(app_module.app)
    found: list[Command] = []

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(None):
                sub = cmd.get_command(None, name)
                if sub is not None:
                    walk(sub, (*path, *name.split()))
            return
        found.append(Command(path, tuple(cmd.params)))

    walk(root, ())
    return found


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "body.bin").write_bytes(b"hello world\n" * 10)
    (root / "home").mkdir()
    # A signed request to verify, explain and diff (the example key pair, at DATE).
    case = root / "cases" / "base"
    assert app_module.main(["vectors", "new", str(case), URL, "--date", DATE]) == 0
    (root / "request.txt").write_bytes((case / "header-signed-request.txt").read_bytes())
    return root


def _base(command: Command, root: Path, n: int) -> list[str]:
    """A valid invocation of the command, to which one hostile option is added."""
    name = " ".join(command.path)
    body = str(root / "body.bin")
    bases = {
        "sign": ["sign", URL, "--date", DATE],
        "presign": ["presign", "s3://examplebucket/k", "--date", DATE],
        "chunked": ["chunked", URL, "--data-file", body, "--date", DATE],
        "post-policy": ["post-policy", "s3://examplebucket/k", "--date", DATE],
        "vectors": ["vectors", str(root / "cases")],
        "vectors new": ["vectors", "new", str(root / f"cases/c{n}"), URL, "--date", DATE],
        "verify": ["verify", str(root / "request.txt"), "--now", DATE],
        "diff": ["diff", str(root / "request.txt"), "--ours", "--date", DATE],
        "explain": ["explain", str(root / "request.txt"), "--now", DATE, "--secret-key", SECRET],
        "serve": ["serve", "--port", "0"],
        "proxy": ["proxy", "--upstream", "http://127.0.0.1:9", "--port", "0"],
        "config": ["config"],
        "checksum": ["checksum", body],
        "curl put": ["curl", "put", body, "s3://examplebucket/k"],
        "curl get": ["curl", "get", "s3://examplebucket/k", str(root / "out")],
        "curl walkthrough": ["curl", "walkthrough", "s3://examplebucket", body],
        "curl request": ["curl", "request", URL],
    }
    if name in bases:
        return list(bases[name])
    if command.path[0] == "curl":
        target = (
            "s3://examplebucket"
            if command.path[1] in ("mb", "rb", "ls")
            else "s3://examplebucket/k"
        )
        return ["curl", command.path[1], target]
    raise AssertionError(f"no base invocation for {name!r}: add one to _base")


def _cases(root: Path) -> Iterator[tuple[str, list[str]]]:
    n = 0
    for command in _commands():
        for param in command.params:
            opts = [o for o in param.opts if o.startswith("--")] or list(param.opts)
            if not opts or set(opts) & SKIP_OPTIONS:
                continue
            n += 1
            if type(param).__name__ == "TyperArgument" or not opts[0].startswith("-"):
                for value in HOSTILE:
                    argv = _base(command, root, n)
                    # The value in the argument's own place: first positional after the words.
                    at = len(command.path)
                    if param.name == "file" and command.path[-1] == "get":
                        at += 1
                    argv[at] = value if not value.startswith("-") else "./" + value
                    yield f"{' '.join(command.path)} <{param.name}>={value[:20]!r}", argv
                continue
            if getattr(param, "is_flag", False):
                yield f"{' '.join(command.path)} {opts[0]}", [*_base(command, root, n), opts[0]]
                continue
            for value in HOSTILE:
                argv = [*_base(command, root, n), f"{opts[0]}={value}"]
                yield f"{' '.join(command.path)} {opts[0]}={value[:20]!r}", argv


def _run(argv: list[str], encoding: str) -> tuple[int | str, str]:
    out = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err, io.TextIOWrapper(io.BytesIO(b""))
    try:
        code: int | str = app_module.main(argv)
    except BaseException as exc:  # the finding itself
        code = f"{type(exc).__name__} out of main: {exc!r}"[:300]
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
    try:
        err.flush()
        text = err.buffer.getvalue().decode(encoding, "replace")  # type: ignore[attr-defined]
    except Exception as exc:
        text = f"<stderr unreadable: {exc!r}>"
    return code, text


def _problem(code: int | str, stderr: str) -> str | None:
    if isinstance(code, str):
        return code
    if "Traceback" in stderr:
        return "traceback: " + stderr[-300:]
    if code == 70:
        return "last-resort handler (a bug): " + stderr.strip()[-300:]
    if code in (0, 1):
        return None
    if code != 2:
        return f"exit {code}: {stderr.strip()[-300:]}"
    lines = stderr.rstrip("\n").split("\n")
    if not lines[-1].startswith("sigkit: error: "):
        return f"exit 2 without a final 'sigkit: error:' line: {stderr[-300:]!r}"
    return None


def test_every_command_and_option_survives_hostile_values(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sigkit.serve import VerifyingServer

    monkeypatch.setattr(VerifyingServer, "serve_forever", lambda self, poll_interval=0.5: None)
    from sigkit.proxy.server import ProxyServer

    async def _no_serving(self: object) -> None:
        return None

    monkeypatch.setattr(ProxyServer, "serve", _no_serving)
    monkeypatch.setenv("HOME", str(workspace / "home"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(workspace / "home" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(workspace / "home" / "credentials"))
    monkeypatch.chdir(workspace)
    failures: list[str] = []
    runs = 0
    commands = {c.path for c in _commands()}
    for command in _commands():  # each base invocation is valid, so the hostile value is reached
        base = _base(command, workspace, 0)
        assert _run(base, "utf-8")[0] in (0, 1), base
    for label, argv in _cases(workspace):
        encoding = "ascii" if runs % 3 == 2 else "utf-8"
        code, stderr = _run(argv, encoding)
        runs += 1
        problem = _problem(code, stderr)
        if problem is not None:
            failures.append(f"{label} [{encoding}]: {problem}")
    assert len(commands) >= 17 and runs > 1000
    assert not failures, f"{len(failures)} of {runs} runs:\n" + "\n".join(failures[:60])


def _sigkit(*args: str, env: dict[str, str] | None = None, stdin: bytes = b"") -> Any:
    import os
    import subprocess

    full = {**os.environ, **(env or {})}
    full.pop("SIGKIT_DEBUG", None) if "SIGKIT_DEBUG" not in (env or {}) else None
    return subprocess.run(
        [sys.executable, "-m", "sigkit.cli.app", *args],
        input=stdin,
        capture_output=True,
        env=full,
        timeout=60,
    )


def test_version() -> None:
    from importlib.metadata import version

    done = _sigkit("--version")
    assert (done.returncode, done.stdout.decode(), done.stderr) == (
        0,
        f"sigkit {version('sigkit')}\n",
        b"",
    )


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["verify", "--example", "--skew", "99999999999999999999"], "'--skew'"),
        (["serve", "--port", "65536"], "'--port'"),
        (["serve", "--host", "a\udcffb", "--port", "0"], "'--host'"),
        (["presign", "s3://examplebucket/k", "--date", "99991231T235959Z"], "--date"),
        (["post-policy", "s3://examplebucket/k", "--date", "9999-12-31T23:59:59Z"], "expires"),
        (["post-policy", "s3://examplebucket/k", "--expires", "9" * 30], "expires"),
        (["post-policy", "s3://examplebucket/k", "--condition", "[" * 100_000], "--condition"),
        (["curl", "ls", "s3://examplebucket", "--prefix", "\udcff"], "'--prefix'"),
        (["curl", "ls", "s3://examplebucket", "--delimiter", "\udcff"], "'--delimiter'"),
        (["sign", URL, "-d", "\udcff"], "'--data'"),
        (["sign", URL, "--region", "\udcff"], "'--region'"),
        (["sign", URL, "--payload-hash", "\udcff"], "'--payload-hash'"),
        (["curl", "mb", "s3://examplebucket", "--endpoint-url", "http://[::1"], "--endpoint-url"),
    ],
)
def test_hostile_arguments_name_their_option(argv: list[str], option: str) -> None:
    """The probe's hostile arguments, as a shell passes them (undecodable bytes included):
    exit 2 and one line naming the option, never a traceback."""
    import os

    raw = [os.fsencode(a) if "\udcff" in a else a.encode() for a in argv]
    done = _sigkit(*[os.fsdecode(r) for r in raw])
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, err
    assert "Traceback" not in err
    last = err.rstrip("\n").split("\n")[-1]
    assert last.startswith("sigkit: error: ") and option in last, last


@pytest.mark.parametrize(
    "env",
    [
        {"PYTHONIOENCODING": "ascii:strict"},
        # the C locale without Python's UTF-8 coercion: an ASCII stdout, surrogateescape
        {"LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""},
    ],
)
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_strict_ascii_stdout_gets_escapes(env: dict[str, str], json_flag: list[str]) -> None:
    """Non-ASCII on a stdout that cannot hold it is written as \\uXXXX (valid inside JSON)."""
    import json

    done = _sigkit("sign", URL, "-H", "x-amz-meta-m: é🙂", "--date", DATE, *json_flag, env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("ascii")  # nothing but ASCII was written
    assert "x-amz-meta-m:\\u00e9\\ud83d\\ude42" in out
    if json_flag:
        document = json.loads(out)
        assert "x-amz-meta-m:é🙂" in json.dumps(document, ensure_ascii=False)


def test_an_unexpected_exception_is_one_line_and_exit_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib

    module = importlib.import_module("sigkit.cli.config_cmd")

    def broken() -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(module, "config", broken)
    monkeypatch.delenv("SIGKIT_DEBUG", raising=False)
    assert app_module.main(["config"]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("sigkit: internal error (a bug): RuntimeError: boom\\nsecond line at ")
    assert "sigkit 0.1.0" in err and "report it to" in err and "SIGKIT_DEBUG=1" in err
    monkeypatch.setenv("SIGKIT_DEBUG", "1")
    assert app_module.main(["config"]) == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: boom" in err


def test_a_deeply_nested_context_json_is_a_failed_case(tmp_path: Path) -> None:
    case = tmp_path / "suite" / "deep"
    assert app_module.main(["vectors", "new", str(case), URL, "--date", DATE]) == 0
    (case / "context.json").write_text("[" * 100_000)
    done = _sigkit("vectors", str(tmp_path / "suite"))
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert b"nests too deeply" in done.stdout + done.stderr


@pytest.mark.parametrize("command", ["verify", "explain"])
def test_a_non_ascii_signature_is_a_mismatch(tmp_path: Path, command: str) -> None:
    case = tmp_path / "c"
    assert app_module.main(["vectors", "new", str(case), URL, "--date", DATE]) == 0
    text = (case / "header-signed-request.txt").read_text()
    signature = text.split("Signature=")[1].split()[0]
    (tmp_path / "r.txt").write_text(text.replace(signature, "é" * 64), encoding="utf-8")
    done = _sigkit(command, str(tmp_path / "r.txt"), "--secret-key", SECRET, "--now", DATE)
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    assert (
        b"SignatureDoesNotMatch" if command == "verify" else b"verdict: mismatch"
    ) in done.stdout

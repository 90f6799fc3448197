"""Conventions every command keeps, checked across all of them so a new command cannot skip one:
--help with an example, --json, colour only on a terminal and never with NO_COLOR, exit status
0 ok / 1 a check failed / 2 a usage or input error, shell completion, and a `sigkit --help`
that imports no command module."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sigkit.cli.app import COMMANDS, LazyGroup, _available, app, main

ROOT = Path(__file__).resolve().parent.parent
KEYS = [
    "--access-key",
    "AKIAIOSFODNN7EXAMPLE",
    "--secret-key",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
]
DATE = ["--date", "20130524T000000Z"]
NAMES = [name for name in COMMANDS if _available(name)]
ESC = "\x1b["


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "NO_COLOR":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.aws of the machine


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _group() -> LazyGroup:
    import typer

    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    return group


def _leaves() -> list[tuple[str, Any]]:
    """Every runnable command as (what the user types after `sigkit`, click command); the
    sub-commands of a group (a Typer sub-app such as `curl`) each count."""
    group = _group()
    out = []
    for name in NAMES:
        command = group.get_command(None, name)
        assert command is not None, name
        subcommands = getattr(command, "commands", None)
        if subcommands:
            out.extend((f"{name} {sub}", cmd) for sub, cmd in subcommands.items())
        else:
            out.append((name, command))
    return out


LEAVES = _leaves()


def _representative(tmp_path: Path) -> dict[str, list[str]]:
    """One successful invocation per command (those the suite knows how to run)."""
    body = tmp_path / "body.bin"
    body.write_bytes(b"a" * 100)
    return {
        "sign": ["sign", "--example"],
        "presign": ["presign", "s3://examplebucket/test.txt", *DATE, *KEYS],
        "chunked": [
            "chunked",
            "https://b.s3.amazonaws.com/k",
            "--data-file",
            str(body),
            "--chunk-size",
            "8192",
            *DATE,
            *KEYS,
        ],
        "post-policy": ["post-policy", "s3://examplebucket/k", *DATE, *KEYS],
        "vectors": ["vectors", str(ROOT / "vectors" / "aws-docs" / "sigv4")],
        "vectors new": ["vectors", "new", str(tmp_path / "case"), "--example"],
    }


@pytest.mark.parametrize(("name", "command"), LEAVES, ids=[n for n, _ in LEAVES])
def test_help_shows_an_example(capsys: pytest.CaptureFixture[str], name: str, command: Any) -> None:
    code, out, err = run(capsys, *name.split(), "--help")
    assert code == 0, err
    assert out.startswith(f"Usage: sigkit {name} ")
    assert "Examples:" in out, f"sigkit {name} --help shows no example"
    examples = out.split("Examples:", 1)[1]
    assert f"sigkit {name.split()[0]}" in examples


@pytest.mark.parametrize(("name", "command"), LEAVES, ids=[n for n, _ in LEAVES])
def test_every_command_takes_json(name: str, command: Any) -> None:
    options = {opt for param in command.params for opt in getattr(param, "opts", ())}
    assert "--json" in options, f"sigkit {name} has no --json"


def test_root_help_lists_commands_and_completion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--help")
    assert code == 0 and err == ""
    for name in NAMES:
        assert f"\n  {name} " in out
    assert "--install-completion" in out and "--show-completion" in out


def test_root_help_imports_no_command_module_nor_heavy_dependency() -> None:
    probe = (
        "import sys\n"
        "from sigkit.cli.app import main\n"
        "code = main(['--help'])\n"
        "print(code, *sorted(sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    code, *modules = proc.stdout.split("\n")[-2].split()
    assert code == "0"
    loaded = [
        m
        for m in modules
        if m.endswith("_cmd")
        or m.split(".")[0] in ("cryptography", "pygments", "xml", "rich")
        or m in ("sigkit.vectors", "sigkit.sigv4.post_policy", "sigkit.sigv4.chunked")
    ]
    assert loaded == []


def test_two_word_command_and_a_folder_named_new(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `vectors new` is the sub-command; a folder named `new` is still run, spelled ./new.
    shutil.copytree(ROOT / "vectors" / "aws-docs" / "sigv4" / "get-object-range", tmp_path / "new")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "vectors", "./new")
    assert code == 0 and out.splitlines()[-1] == "1 passed, 0 failed"
    code, _, err = run(capsys, "vectors", "new")
    assert code == 2 and "Missing argument 'DIR'" in err and "(sigkit vectors new)" in err


def test_unknown_command_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "presgin", "s3://b/k")
    assert code == 2 and out == ""
    assert err.startswith("sigkit: error: No such command 'presgin'") and "'presign'" in err


def test_completion_script_and_completions() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "_SIGKIT"))}
    script = subprocess.run(
        [sys.executable, "-m", "sigkit.cli.app", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env={**env, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
        check=False,
    )
    assert script.returncode == 0, script.stderr
    assert "_SIGKIT_COMPLETE=complete_bash" in script.stdout
    words = subprocess.run(
        [sys.executable, "-m", "sigkit.cli.app"],
        capture_output=True,
        text=True,
        env={
            **env,
            "_SIGKIT_COMPLETE": "complete_bash",
            "COMP_WORDS": "sigkit pre",
            "COMP_CWORD": "1",
        },
        check=False,
    )
    assert words.stdout.split() == ["presign"]
    options = subprocess.run(
        [sys.executable, "-m", "sigkit.cli.app"],
        capture_output=True,
        text=True,
        env={
            **env,
            "_SIGKIT_COMPLETE": "complete_bash",
            "COMP_WORDS": "sigkit presign --me",
            "COMP_CWORD": "2",
        },
        check=False,
    )
    assert options.stdout.split() == ["--method"]


@pytest.mark.parametrize("no_color", [False, True])
def test_not_a_terminal_means_no_colour(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    no_color: bool,
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    for name, argv in _representative(tmp_path).items():
        code, out, err = run(capsys, *argv)
        assert code == 0, (name, err)
        assert out and ESC not in out and ESC not in err, name
        if name == "vectors new":
            shutil.rmtree(tmp_path / "case")
        code, out, err = run(capsys, *argv, "--json")
        assert code == 0, (name, err)
        json.loads(out)
        assert ESC not in out and ESC not in err, name


def _run_in_pty(argv: list[str], env: dict[str, str], timeout: float = 60) -> str:
    """Run sigkit with its stdout (and stderr) a terminal; everything it wrote."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sigkit.cli.app", *argv],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        proc.wait(timeout=10)
    assert proc.returncode == 0, b"".join(chunks).decode("utf-8", "replace")
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize(
    "argv",
    [["sign", "--example"], ["vectors", str(ROOT / "vectors" / "aws-docs" / "sigv4")]],
    ids=["sign", "vectors"],
)
def test_a_terminal_gets_colour_unless_no_color(argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "NO_COLOR"}
    env["TERM"] = "xterm-256color"
    assert ESC in _run_in_pty(argv, env)
    assert ESC not in _run_in_pty(argv, {**env, "NO_COLOR": "1"})


def test_exit_0_1_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = tmp_path / "bad-case"
    shutil.copytree(ROOT / "vectors" / "aws-docs" / "sigv4" / "get-object-range", case)
    (case / "header-signature.txt").write_text("0" * 64)
    assert run(capsys, "sign", "--example")[0] == 0
    assert run(capsys, "vectors", str(case))[0] == 1  # a comparison failed
    assert run(capsys, "vectors", str(ROOT / "vectors" / "aws-docs"))[0] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["sign", "not a url"],
        ["sign", "--no-such-option"],
        ["presign", "s3://examplebucket/k", "--method", "POST"],
        ["presign", "s3://examplebucket/k", "--expires", "604801"],
        ["presign", "s3://examplebucket"],
        ["presign", "https://sts.amazonaws.com/"],
        ["presign"],
        ["chunked", "https://b.s3.amazonaws.com/k", "--data-file", "/nonexistent/body"],
        ["post-policy", "not-s3://b/k"],
        ["vectors", "/nonexistent/suite"],
        ["vectors", "--json"],
        ["vectors", "new", "DIR", "https://b.s3.amazonaws.com/k", "--sig", "v5"],
        ["vectors", "new", "DIR", "https://b.s3.amazonaws.com/k", "--bucket", "b"],
        ["vectors", "new"],
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sigkit: error:"), err
    assert not (tmp_path / "DIR").exists()


def test_output_file_that_cannot_be_written_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = tmp_path / "body"
    body.write_bytes(b"a" * 100)
    code, out, err = run(
        capsys,
        "chunked",
        "https://b.s3.amazonaws.com/k",
        "--data-file",
        str(body),
        "--output",
        str(tmp_path / "missing-dir" / "out"),
    )
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("sigkit: error:")


# The examples of every --help are run as written by tests/test_help_examples.py.

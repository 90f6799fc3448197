"""The curl commands of `chunked --curl` and `post-policy --curl`: the command alone on stdout
(so it can be piped to bash), the steps on stderr, the headers as the S3 documentation's
aws-chunked example sends them.

tests/test_shell_quoting.py runs the same commands against a capture server with hostile
inputs; here the command's arguments are read back exactly (curl replaced by a bash function
printing them) and compared with the documentation's published request.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from pathlib import Path

import pytest

from sigkit.cli.app import main

ROOT = Path(__file__).resolve().parent.parent
DOC_KEYS = ["--access-key", "AKIAIOSFODNN7EXAMPLE", "--secret-key",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]  # fmt: skip
FAKE_CURL = 'curl() { for a in "$@"; do printf "%s\\0" "$a"; done; }\n'


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def curl_arguments(command: str, cwd: Path) -> list[str]:
    """What curl would receive from the printed command, as bash reads it."""
    done = subprocess.run(
        ["bash", "-c", FAKE_CURL + command], capture_output=True, cwd=cwd, check=True,
        env={"PATH": os.environ["PATH"]},
    )  # fmt: skip
    return done.stdout.decode("utf-8").split("\0")[:-1]


def headers_of(args: list[str]) -> list[tuple[str, str]]:
    out = []
    for option, value in itertools.pairwise(args):
        if option == "-H":
            name, _, text = value.partition(": ")
            out.append((name, text))
    return out


def test_chunked_curl_sends_the_documented_request(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # "Signature Calculations ... Transferring Payload in Multiple Chunks", S3 documentation.
    record = json.loads((ROOT / "vectors/records/aws-docs/s3-sigv4-streaming.json").read_text())
    case = record["records"][0]
    (tmp_path / "body").write_bytes(b"a" * 66560)
    output = tmp_path / "it's $(x) encoded"
    code, out, err = run(
        capsys, "chunked", case["inputs"]["url"], "--data-file", str(tmp_path / "body"),
        "--output", str(output), "-H", "x-amz-storage-class: REDUCED_REDUNDANCY",
        "--date", "20130524T000000Z", *DOC_KEYS, "--curl",
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("curl ") and "==" not in out  # the command alone
    assert "== Headers added" in err and "chunk-signature=" in err
    args = curl_arguments(out, tmp_path)
    assert args[-1] == case["inputs"]["url"]
    assert args[args.index("-T") + 1] == str(output)
    sent = headers_of(args)
    documented = [(n, v) for n, v in case["inputs"]["headers"] if n != "Host"]
    assert sorted((n.lower(), v) for n, v in sent if n != "Authorization") == sorted(
        (n.lower(), v) for n, v in documented
    )
    (authorization,) = [v for n, v in sent if n == "Authorization"]
    assert authorization.endswith("Signature=" + case["expected"]["seed"]["signature"])
    assert output.stat().st_size == 66824  # the documented Content-Length
    # "Headers added" names every header the request did not carry, the chunked ones first
    added = err.split("== Headers added", 1)[1].split("\n== ", 1)[0]
    for line in ("Content-Encoding: aws-chunked", "x-amz-decoded-content-length: 66560",
                 "Content-Length: 66824", "X-Amz-Date: 20130524T000000Z"):  # fmt: skip
        assert f"\n{line}\n" in added, added
    assert "\nx-amz-storage-class:" not in added  # given, not added


def test_chunked_headers_added_without_curl(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "body").write_bytes(b"a" * 10)
    code, out, err = run(
        capsys, "chunked", "https://s3.amazonaws.com/b/k", "--data-file", str(tmp_path / "body"),
        "--date", "20130524T000000Z", *DOC_KEYS,
    )  # fmt: skip
    assert code == 0, err
    added = out.split("== Headers added", 1)[1].split("\n== ", 1)[0]
    assert "\nContent-Encoding: aws-chunked\n" in added
    assert "\nx-amz-decoded-content-length: 10\n" in added
    assert "\nContent-Length: " in added


def test_chunked_curl_needs_an_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "body").write_bytes(b"a")
    code, out, err = run(
        capsys, "chunked", "https://s3.amazonaws.com/b/k", "--data-file", str(tmp_path / "body"),
        "--curl", *DOC_KEYS,
    )  # fmt: skip
    assert code == 2 and out == "" and err.count("\n") == 1 and "--output" in err


def test_post_policy_curl_is_the_command_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["post-policy", "s3://examplebucket/user/it's $(x)/${filename}", "--file",
            "pic `x`.jpg", "--date", "20151229T000000Z", *DOC_KEYS]  # fmt: skip
    code, plain, err = run(capsys, *argv)
    assert code == 0, err
    assert "== Upload with curl (the file part must come last)\n" in plain
    code, out, err = run(capsys, *argv, "--curl")
    assert code == 0, err
    assert out == plain.split("== Upload with curl (the file part must come last)\n", 1)[1]
    assert "Policy" in err and "Signature" in err  # the steps, on stderr
    args = curl_arguments(out, tmp_path)
    assert args[args.index("-F") + 1] == 'file=@"pic `x`.jpg"'
    fields = [args[i + 1] for i, a in enumerate(args) if a == "--form-string"]
    assert fields[0] == "key=user/it's $(x)/${filename}"
    code, out, err = run(capsys, *argv, "--curl", "--json")
    assert code == 2 and out == "" and err.count("\n") == 1

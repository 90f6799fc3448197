"""The command line as a user runs it: output, exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sigkit.cli.app import main

ROOT = Path(__file__).resolve().parent.parent
# Published in the S3 documentation for its GET Object example (sig-v4-header-based-auth).
DOC_SIGNATURE = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
DOC_STRING_TO_SIGN = (
    "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS_* variable and an empty home: the machine's own configuration stays out."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_example_prints_every_step(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "sign", "--example")
    assert code == 0
    assert DOC_STRING_TO_SIGN in out
    assert f"Signature={DOC_SIGNATURE}" in out
    for label in ("Canonical request", "String to sign", "kDate", "kSigning", "Authorization"):
        assert label in out
    # key material is masked by default
    assert "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378" not in out
    assert "example credentials" in err
    assert "\x1b[" not in out  # not a terminal: no colour


def test_show_secrets_prints_the_signing_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sign", "--example", "--show-secrets")
    assert code == 0
    # kSigning for AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3, derived independently with hmac.
    import hashlib
    import hmac

    key = b"AWS4wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    for part in (b"20130524", b"us-east-1", b"s3", b"aws4_request"):
        key = hmac.new(key, part, hashlib.sha256).digest()
    assert key.hex() in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sign", "--example", "--json")
    assert code == 0
    doc = json.loads(out)
    steps = {s["name"]: s for s in doc["steps"]}
    assert steps["signature"]["value"] == DOC_SIGNATURE
    assert steps["string_to_sign"]["value"] == DOC_STRING_TO_SIGN
    assert steps["signing_key"]["masked"] is True


def test_sign_presigned_url_matches_the_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    # "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", S3 docs.
    code, out, _ = run(
        capsys,
        "sign",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        "--presign",
        "--expires",
        "86400",
        "--date",
        "20130524T000000Z",
        "--access-key",
        "AKIAIOSFODNN7EXAMPLE",
        "--secret-key",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    assert code == 0
    assert "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404" in out


def test_sign_v2_with_environment_credentials(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Signing and authenticating REST requests" (S3 V2), Object GET example.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    code, out, err = run(
        capsys,
        "sign",
        "--sig",
        "v2",
        "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg",
        "-H",
        "Date: Tue, 27 Mar 2007 19:36:42 +0000",
    )
    assert code == 0, err
    assert "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=" in out


def test_session_token_is_masked_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    token = "FQoGZXIvYXdzEXAMPLETOKENVALUE1234567890"
    args = [
        "sign",
        "https://b.s3.amazonaws.com/k",
        "--date",
        "20240101T000000Z",
        "--access-key",
        "AKID",
        "--secret-key",
        "secret",
        "--session-token",
        token,
    ]
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert token not in out
    code, out, _ = run(capsys, *args, "--show-secrets")
    assert token in out


def test_vectors_command_closing_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "vectors", str(ROOT / "vectors" / "aws-c-auth"))
    assert code == 0
    lines = out.splitlines()
    assert lines[-1] == "152 passed, 0 failed, 2 skipped"
    assert "SKIP 2: no expected files" in lines  # the two input-only v4a folders
    assert not any(line.startswith("SKIP 76") for line in lines)


def test_vectors_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "vectors", "--json", str(ROOT / "vectors" / "aws-c-auth" / "v4"))
    assert code == 0
    doc = json.loads(out)
    assert (doc["passed"], doc["failed"], doc["skipped"]) == (76, 0, 0)


def test_vectors_command_exit_1_on_failure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import shutil

    case = tmp_path / "case"
    shutil.copytree(ROOT / "vectors" / "aws-c-auth" / "v4" / "get-vanilla", case)
    (case / "query-string-to-sign.txt").write_text("AWS4-HMAC-SHA256\nwrong")
    code, out, _ = run(capsys, "vectors", str(case))
    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    assert lines[0].startswith("FAIL ") and "string-to-sign" in lines[0] and "line 2" in lines[0]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["sign", "not a url"], "url"),
        (["sign", "https://h.example/", "--region", "r"], "--service"),
        (["sign", "https://h.example/", "--service", "s"], "--region"),
        (["sign", "--example", "--date", "yesterday"], "--date"),
        (["sign", "https://b.s3.amazonaws.com/k", "--presign", "--expires", "0"], "expires"),
        (["sign", "https://b.s3.amazonaws.com/k", "--presign", "--expires", "604801"], "expires"),
        (["sign", "https://b.s3.amazonaws.com/k", "-H", "Bad Name: v"], "header"),
        (["sign", "https://b.s3.amazonaws.com/k", "-H", "NoColon"], "-H"),
        (["sign", "https://b.s3.amazonaws.com/k", "--access-key", ""], "--access-key"),
        (
            ["sign", "https://b.s3.amazonaws.com/k", "--access-key", "A", "--secret-key", ""],
            "--secret-key",
        ),
        (["sign", "https://b.s3.amazonaws.com/k", "--sig", "v5"], "--sig"),
        (["sign", "--request-file", "/nonexistent/req.txt"], "--request-file"),
        (["sign", "https://b.s3.amazonaws.com/k", "--expires", "abc"], "expires"),
        (["vectors", "/nonexistent/suite"], "/nonexistent/suite"),
        (["nosuchcommand"], "nosuchcommand"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sigkit: error:")
    assert needle.lower() in lines[0].lower()
    assert "Traceback" not in err


def test_bad_request_file_names_the_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "req.txt"
    path.write_bytes(b"GET / HTTP/1.1\nHost:h\nbroken header\n")
    code, _, err = run(
        capsys, "sign", "--request-file", str(path), "--region", "r", "--service", "s"
    )
    assert code == 2
    assert f"{path} line 3" in err


def test_console_script_runs_without_traceback() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.run(
        [sys.executable, "-m", "sigkit.cli.app", "sign", "https://h/", "--region", "x"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("sigkit: error: --service")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("extra", [[], ["--sig", "v2"], ["--json"], ["--sig", "v2", "--json"]])
def test_presigned_token_is_masked_in_every_form(
    capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    token = "Fwo/ab+cSECRETTOKEN=="
    code, out, _ = run(
        capsys,
        "sign",
        "https://b.s3.amazonaws.com/k",
        "--presign",
        "--session-token",
        token,
        *extra,
    )
    assert code == 0
    from urllib.parse import quote

    assert token not in out
    assert quote(token, safe="") not in out
    assert "SECRETTOKEN" not in out


def test_token_given_only_as_a_header_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "sign",
        "https://b.s3.amazonaws.com/k",
        "-H",
        "X-Amz-Security-Token: SECRETTOK123456",
    )
    assert code == 0
    assert "SECRETTOK123456" not in out


def test_eight_digit_date_is_a_day(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sign", "--example", "--date", "20130524")
    assert code == 0
    assert f"Signature={DOC_SIGNATURE}" in out


def test_empty_header_uses_curls_semicolon_form(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sign", "https://b.s3.amazonaws.com/k", "-H", "X-Empty;")
    assert code == 0
    assert "x-empty:\n" in out
    code, _, err = run(capsys, "sign", "https://b.s3.amazonaws.com/k", "-H", "X-Empty:")
    assert code == 2 and "X-Empty;" in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--sig", "v2", "--payload-hash", "UNSIGNED-PAYLOAD"], "--payload-hash"),
        (["--sig", "v2", "--unsigned-payload"], "--unsigned-payload"),
        (["--bucket", "b"], "--bucket"),
        (["--addressing", "path"], "--addressing"),
        (["--expires", "60"], "--expires"),
    ],
)
def test_options_that_do_not_apply_are_refused(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, out, err = run(capsys, "sign", "https://b.s3.amazonaws.com/k", *argv)
    assert code == 2 and out == ""
    assert err.startswith(f"sigkit: error: {needle}")


@pytest.mark.parametrize(
    "argv",
    [
        [b"sign", b"https://h/\xff", b"--region", b"r", b"--service", b"s"],
        [b"sign", b"https://h/?a=\xff", b"--region", b"r", b"--service", b"s"],
        [b"sign", b"https://b.s3.amazonaws.com/k", b"-d", b"\xff"],
        [b"sign", b"https://b.s3.amazonaws.com/k", b"--access-key", b"A", b"--secret-key", b"\xff"],
        [b"sign", b"https://b.s3.amazonaws.com/k", b"--access-key", b"\xff", b"--secret-key", b"s"],
        [b"sign", b"--sig", b"v2", b"https://b.s3.amazonaws.com/k", b"-H", b"X-Foo: \xff"],
    ],
)
def test_undecodable_arguments_are_one_line_errors(argv: list[bytes]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.run(
        [sys.executable.encode(), b"-m", b"sigkit.cli.app", *argv],
        capture_output=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sigkit: error:"), proc.stderr


def test_sign_v4a_matches_the_suite_and_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    case = ROOT / "vectors" / "aws-c-auth" / "v4a" / "get-vanilla"
    code, out, err = run(
        capsys,
        "sign",
        "--sig",
        "v4a",
        "--request-file",
        str(case / "request.txt"),
        "--region",
        "us-east-1",
        "--service",
        "service",
        "--date",
        "2015-08-30T12:36:00Z",
        "--access-key",
        "AKIDEXAMPLE",
        "--secret-key",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "--json",
    )
    assert code == 0, err
    steps = {s["name"]: s["value"] for s in json.loads(out)["steps"]}
    assert steps["canonical_request"] == (case / "header-canonical-request.txt").read_text()
    string_to_sign = (case / "header-string-to-sign.txt").read_text()
    assert steps["string_to_sign"] == string_to_sign
    xy = json.loads((case / "public-key.json").read_text())
    key = ec.EllipticCurvePublicNumbers(int(xy["X"], 16), int(xy["Y"], 16), ec.SECP256R1())
    key.public_key().verify(
        bytes.fromhex(steps["signature"]), string_to_sign.encode(), ec.ECDSA(hashes.SHA256())
    )


def test_region_set_needs_v4a(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sign", "https://b.s3.amazonaws.com/k", "--region-set", "*")
    assert code == 2 and err.startswith("sigkit: error: --region-set")


def test_chunked_reproduces_the_documentation_example(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # "Signature Calculations ... Transferring Payload in Multiple Chunks", S3 documentation.
    record = json.loads((ROOT / "vectors/records/aws-docs/s3-sigv4-streaming.json").read_text())
    expected = record["records"][0]["expected"]
    body = tmp_path / "body"
    body.write_bytes(b"a" * 66560)
    code, out, err = run(
        capsys,
        "chunked",
        "https://s3.amazonaws.com/examplebucket/chunkObject.txt",
        "--data-file",
        str(body),
        "--output",
        str(tmp_path / "encoded"),
        "-H",
        "x-amz-storage-class: REDUCED_REDUNDANCY",
        "--date",
        "20130524T000000Z",
        "--access-key",
        "AKIAIOSFODNN7EXAMPLE",
        "--secret-key",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "--json",
    )
    assert code == 0, err
    doc = json.loads(out)
    seed = {s["name"]: s["value"] for s in doc["seed"]}
    assert seed["canonical_request"] == expected["seed"]["canonical_request"]
    assert seed["signature"] == expected["seed"]["signature"]
    assert [c["signature"] for c in doc["chunks"]] == expected["chunk_signatures"]
    assert (tmp_path / "encoded").stat().st_size == 66824


def test_chunked_failure_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = tmp_path / "body"
    body.write_bytes(b"a" * 100)
    code, _, err = run(
        capsys,
        "chunked",
        "https://b.s3.amazonaws.com/k",
        "--data-file",
        str(body),
        "--chunk-size",
        "100",
        "--output",
        str(tmp_path / "out"),
    )
    assert code == 2 and "chunk" in err.lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["body"]


@pytest.mark.parametrize(
    ("args", "method", "body"),
    [
        (["-d", "a=1&b=2"], "POST", b"a=1&b=2"),
        (["-d", "@{f}"], "POST", b"line1line2"),  # curl drops CR/LF from -d @file
        (["--data-binary", "@{f}"], "POST", b"line1\r\nline2\n"),
        (["-T", "{f}"], "PUT", b"line1\r\nline2\n"),
        (["-X", "PATCH", "-T", "{f}"], "PATCH", b"line1\r\nline2\n"),
    ],
)
def test_body_options_in_curls_vocabulary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], method: str, body: bytes
) -> None:
    import hashlib

    path = tmp_path / "body.txt"
    path.write_bytes(b"line1\r\nline2\n")
    argv = [a.replace("{f}", str(path)) for a in args]
    code, out, err = run(capsys, "sign", "https://b.s3.amazonaws.com/k", *argv, "--json")
    assert code == 0, err
    steps = {s["name"]: s["value"] for s in json.loads(out)["steps"]}
    assert steps["canonical_request"].startswith(method + "\n")
    assert steps["payload_hash"] == hashlib.sha256(body).hexdigest()


def test_two_body_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sign", "https://b.s3.amazonaws.com/k", "-d", "x", "-T", "y")
    assert code == 2 and "only one body option" in err

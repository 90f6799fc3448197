"""`sigkit diff` and `sigkit explain`: a real AWS CLI --debug log against a local `sigkit serve`,
and saved S3 error bodies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sigkit.cli.app import main
from sigkit.credentials import Credentials
from sigkit.serve import VerifyingServer

FIXTURES = Path(__file__).parent / "fixtures" / "debug"
KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.fixture(scope="module")
def aws_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, str]]:
    """(log file, port, X-Amz-Date) of `aws --debug s3api get-object` against sigkit serve."""
    if shutil.which("aws") is None:
        pytest.skip("aws CLI not installed")
    creds = Credentials(KEY, SECRET)
    server = VerifyingServer(("127.0.0.1", 0), {KEY: creds}, skew=timedelta(seconds=900))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    port = server.server_address[1]
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    env.pop("AWS_PROFILE", None)
    try:
        done = subprocess.run(
            [
                "aws",
                "--debug",
                "s3api",
                "get-object",
                "--bucket",
                "b",
                "--key",
                "k",
                os.devnull,
                "--endpoint-url",
                f"http://127.0.0.1:{port}",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr[-2000:]
    log = tmp_path_factory.mktemp("awslog") / "aws.debug.log"
    log.write_text(done.stderr)
    stamp = next(
        line.split(":", 1)[1] for line in done.stderr.splitlines() if line.startswith("x-amz-date:")
    )
    yield log, port, stamp


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ours_args(port: int, stamp: str) -> list[str]:
    return [
        "--ours",
        f"http://127.0.0.1:{port}/b/k",
        "-H",
        "x-amz-checksum-mode: ENABLED",
        "--region",
        "us-east-1",
        "--service",
        "s3",
        "--date",
        stamp,
        "--access-key",
        KEY,
        "--secret-key",
        SECRET,
    ]


def test_diff_real_awscli_log_against_ours_matches(
    aws_log: tuple[Path, int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    log, port, stamp = aws_log
    code, out, _ = run(capsys, "diff", str(log), *ours_args(port, stamp))
    assert code == 0, out
    assert "no difference" in out
    assert out.rstrip().splitlines()[-1].startswith("verdict: match")


def test_diff_edited_header_shows_exactly_that_line(
    aws_log: tuple[Path, int, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log, port, stamp = aws_log
    edited = tmp_path / "edited.log"
    text = log.read_text()
    assert text.count("\nx-amz-checksum-mode:ENABLED\n") == 1
    edited.write_text(
        text.replace("\nx-amz-checksum-mode:ENABLED\n", "\nx-amz-checksum-mode:DISABLED\n")
    )
    code, out, _ = run(capsys, "diff", str(edited), *ours_args(port, stamp))
    assert code == 1, out
    assert "first difference in header x-amz-checksum-mode (line 5" in out
    assert "  ours:   x-amz-checksum-mode:ENABLED" in out
    assert "  theirs: x-amz-checksum-mode:DISABLED" in out
    differing = [ln for ln in out.splitlines() if ln.startswith(("  ours:", "  theirs:"))]
    assert len(differing) == 2
    code, out, _ = run(capsys, "diff", str(edited), *ours_args(port, stamp), "--json")
    doc = json.loads(out)
    assert code == 1
    assert doc["verdict"] == "mismatch"
    assert [d["part"] for d in doc["differences"]] == ["header x-amz-checksum-mode"]
    assert doc["findings"][0]["cause"] == "header-changed"
    assert set(doc["findings"][0]) >= {"cause", "evidence", "fix"}


def test_diff_ours_from_the_logged_request_and_date(
    aws_log: tuple[Path, int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    log, _, stamp = aws_log
    code, out, err = run(
        capsys, "diff", str(log), "--ours", "--access-key", KEY, "--secret-key", SECRET, "--json"
    )
    assert code == 0, out
    assert json.loads(out)["verdict"] == "match"
    assert stamp in err  # the signing time came from the log


def test_explain_awscli_log_with_secret(
    aws_log: tuple[Path, int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    log, _, _ = aws_log
    code, out, _ = run(capsys, "explain", str(log), "--access-key", KEY, "--secret-key", SECRET)
    assert code == 0, out
    code, out, _ = run(
        capsys, "explain", str(log), "--access-key", KEY, "--secret-key", "not-the-secret"
    )
    assert code == 1
    assert "wrong-secret" in out
    assert out.rstrip().splitlines()[-1].startswith("verdict: mismatch")


def test_diff_two_identical_sources(
    aws_log: tuple[Path, int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    log, _, _ = aws_log
    code, out, _ = run(capsys, "diff", str(log), str(log), "--json")
    assert code == 0
    assert json.loads(out)["verdict"] == "match"


def test_explain_error_xml_host_rewritten(capsys: pytest.CaptureFixture[str]) -> None:
    xml = FIXTURES / "synthetic-aws-shaped-SignatureDoesNotMatch-host-rewritten.xml"
    url = "http://127.0.0.1:9000/b?list-type=2&prefix=a%20b&encoding-type=url"
    code, out, _ = run(
        capsys, "explain", str(xml), url, "--access-key", "AKIDEXAMPLE", "--secret-key", "secret"
    )
    assert code == 1
    assert "first difference in header host" in out
    assert "theirs: host:proxy.internal:8080" in out
    last = out.rstrip().splitlines()[-1]
    assert last == (
        "verdict: mismatch: first difference in the canonical request, header host; "
        "most likely header-changed"
    )


def test_explain_error_xml_wrong_secret_json(capsys: pytest.CaptureFixture[str]) -> None:
    xml = FIXTURES / "servers" / "ministack-1.5.33" / "v4-header-wrong-secret-get_object.xml"
    url = "http://127.0.0.1:9101/chk-v4header-3f4e2903/dir/hello.txt"
    code, out, _ = run(
        capsys,
        "explain",
        str(xml),
        url,
        "--access-key",
        "AKIA94F2FDBF61F54E45",
        "--secret-key",
        SECRET,
        "--json",
    )
    assert code == 1
    doc = json.loads(out)
    assert doc["verdict"] == "mismatch"
    assert doc["findings"][0]["cause"] == "wrong-secret"
    assert doc["compared"] == ["canonical request", "string to sign", "signature"]
    assert [d["kind"] for d in doc["differences"]] == ["signature"]


def test_explain_without_request_is_no_data(capsys: pytest.CaptureFixture[str]) -> None:
    xml = FIXTURES / "synthetic-aws-shaped-SignatureDoesNotMatch-host-rewritten.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    code = subprocess.run(
        [sys.executable, "-m", "sigkit.cli.app", "explain", str(xml), "--json"],
        env={**env, "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        check=False,
    )
    # The body says SignatureDoesNotMatch: refused, never no-data or match, and it says what
    # sigkit would need to tell why.
    assert code.returncode == 1
    doc = json.loads(code.stdout)
    assert doc["verdict"] == "refused"
    assert doc["findings"] == []
    assert any("request as sent" in need for need in doc["needs"])


def test_diff_input_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "diff", str(tmp_path / "missing.log"), str(tmp_path / "x"))
    assert code == 2 and "sigkit: error:" in err
    code, _, err = run(capsys, "diff", "only-one")
    assert code == 2 and "two sources" in err


def test_piped_output_is_plain(capsys: pytest.CaptureFixture[str]) -> None:
    xml = FIXTURES / "synthetic-aws-shaped-SignatureDoesNotMatch-host-rewritten.xml"
    code, out, _ = run(capsys, "diff", str(xml), str(xml))
    assert code == 1  # identical steps, but the answer shows the request refused: never a match
    assert "verdict: refused" in out
    assert "\x1b[" not in out

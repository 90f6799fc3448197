"""`sigkit.debug.investigate` on real failed AWS CLI logs that hold Ceph RGW's answer.

The captures in tests/fixtures/investigate/ are the installed AWS CLI 1.45.11 (botocore 1.43.11)
run with --debug against Ceph RGW 16.2.15 (tests/e2e/s3server.sh), one fault each: a wrong
secret, the right secret with a trailing newline (as `$(cat file)` of a CRLF file gives), the
client's clock 40 minutes behind (faketime -40m; RGW answered RequestTimeTooSkewed and the CLI
itself then crashed), and the same GET succeeding. RGW's error bodies carry no StringToSign, so
every cause below comes from the request as the log shows it sent, the secret and the answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sigkit.cli.app import main
from sigkit.debug.investigate import investigate

FIXTURES = Path(__file__).parent / "fixtures" / "investigate"
RGW_KEY = "AKIAS3SERVERTEST0001"
RGW_SECRET = "s3server-test-secret-key-0123456789abcdef"


def log(name: str) -> bytes:
    return (FIXTURES / f"awscli-1.45.11-rgw-16-{name}.debug.log").read_bytes()


@pytest.mark.parametrize(
    ("fault", "cause", "certain"),
    [
        ("wrong-secret", "wrong-secret", False),
        ("secret-newline", "secret-whitespace", True),
        ("skew-40m", "clock-skew", True),
    ],
)
def test_failed_log_with_rgw_answer_names_the_cause(fault: str, cause: str, certain: bool) -> None:
    report = investigate(log(fault), secret=RGW_SECRET, names=[fault])
    assert report.verdict == "mismatch"
    assert report.findings[0].cause == cause
    assert report.findings[0].certain is certain
    assert report.refusals and "403" in report.refusals[0]


def test_refused_log_without_the_secret_says_what_it_needs() -> None:
    report = investigate(log("wrong-secret"))
    assert report.verdict == "refused"
    assert report.exit_code == 1
    assert any("--secret-key" in need for need in report.needs)


def test_skew_is_named_from_the_answer_alone() -> None:
    report = investigate(log("skew-40m"))
    assert report.verdict == "mismatch"
    assert report.findings[0].cause == "clock-skew"


def test_accepted_request_matches() -> None:
    report = investigate(log("ok"), secret=RGW_SECRET)
    assert report.verdict == "match"
    assert report.exit_code == 0
    assert report.findings == ()


def test_never_match_for_a_refused_request_even_when_the_secret_verifies() -> None:
    # The secret given verifies the client's signature, yet RGW refused (it holds another one).
    report = investigate(log("wrong-secret"), secret="wrong-secret-xyz")
    assert report.verdict != "match"
    assert report.findings[0].cause == "wrong-secret"


def test_explain_cli_takes_the_access_key_from_the_log(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    path = FIXTURES / "awscli-1.45.11-rgw-16-secret-newline.debug.log"
    code = main(["explain", str(path), "--secret-key", RGW_SECRET, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert doc["verdict"] == "mismatch"
    assert doc["findings"][0]["cause"] == "secret-whitespace"
    assert doc["findings"][0]["certain"] is True
    assert RGW_SECRET not in json.dumps(doc)

"""What `sigkit serve` answers where clients look: the AWS CLI's error line, botocore's parsed
error, the log line, the JSON answer, and sigkit's own reader of S3 error bodies.

The clients are real: the installed AWS CLI v1 (`aws`, run as a subprocess with its own
environment) and botocore's own response parser. Expected texts are S3's sentences and the
cause registry's ids and fixes, which the answer must carry through unchanged.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.parsers import RestXMLParser

from sigkit.credentials import Credentials
from sigkit.debug import causes
from sigkit.debug.model import Finding
from sigkit.debug.sources_xml import read_s3_error
from sigkit.serve import VerifyingServer, error_xml
from sigkit.verify import Problem, VerifyResult

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SIGNATURE_SENTENCE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
AWS = shutil.which("aws")
needs_aws = pytest.mark.skipif(AWS is None, reason="the AWS CLI (aws) is not installed")


class Served:
    """A running server, its log and its address."""

    def __init__(self, srv: VerifyingServer, log: io.StringIO) -> None:
        self.srv, self.log = srv, log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.srv.server_address[1]}"

    def lines(self, count: int = 1) -> list[str]:
        """The log lines, once `count` are written (each is written after its answer)."""
        deadline = time.monotonic() + 10
        while len(self.log.getvalue().splitlines()) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.log.getvalue().splitlines()


@pytest.fixture()
def serve() -> Iterator[Callable[..., Served]]:
    started: list[VerifyingServer] = []

    def start(
        *, offset: timedelta = timedelta(0), log_json: bool = False, **options: object
    ) -> Served:
        log = io.StringIO()
        srv = VerifyingServer(
            ("127.0.0.1", 0),
            {KEY: Credentials(KEY, SECRET)},
            log=log,
            log_json=log_json,
            clock=lambda: datetime.now(UTC) + offset,
            **options,  # type: ignore[arg-type]
        )
        threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True).start()
        started.append(srv)
        return Served(srv, log)

    yield start
    for srv in started:
        srv.shutdown()
        srv.server_close()


def _aws(
    served: Served, tmp_path: Path, *args: str, secret: str = SECRET, region: str = "us-east-1"
) -> subprocess.CompletedProcess[str]:
    """The AWS CLI against the server, with nothing from the user's own configuration."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
    }
    for name in ("PYENV_ROOT", "PYENV_VERSION"):
        if name in os.environ:
            env[name] = os.environ[name]
    assert AWS is not None
    return subprocess.run(
        [AWS, "--endpoint-url", served.url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _suffix(cause: str, how: str) -> str:
    return f" sigkit: {cause} ({how}): "


@needs_aws
def test_aws_s3_cp_prints_the_cause(serve: Callable[..., Served], tmp_path: Path) -> None:
    served = serve()
    source = tmp_path / "hello.txt"
    source.write_text("hello\n")
    run = _aws(served, tmp_path, "s3", "cp", str(source), "s3://bucket/key", secret="x" * 40)
    assert run.returncode != 0
    line = "An error occurred (SignatureDoesNotMatch) when calling the PutObject operation: "
    line += SIGNATURE_SENTENCE + _suffix("wrong-secret", "likely")
    assert line in run.stderr, run.stderr
    assert run.stderr.rstrip().endswith(f". Fix: {causes.fix('wrong-secret')}")
    [logged] = served.lines()
    assert logged.split(" ")[2:6] == ["403", "SignatureDoesNotMatch", "wrong-secret(likely)", KEY]
    assert logged.endswith('"PUT /bucket/key HTTP/1.1"')


@needs_aws
def test_aws_s3api_get_object_prints_the_cause(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    served = serve()
    out = str(tmp_path / "out")
    # A secret read with its line break (`$(cat file)` of a CR LF file keeps the CR).
    run = _aws(
        served,
        tmp_path,
        "s3api",
        "get-object",
        "--bucket",
        "b",
        "--key",
        "k",
        out,
        secret=SECRET + "\r\n",
    )
    assert run.returncode != 0
    line = "An error occurred (SignatureDoesNotMatch) when calling the GetObject operation: "
    line += SIGNATURE_SENTENCE + _suffix("secret-whitespace", "certain")
    assert line in run.stderr, run.stderr
    assert f". Fix: {causes.fix('secret-whitespace')}" in run.stderr
    assert SECRET not in run.stderr
    assert served.lines()[0].split(" ")[2:5] == [
        "403",
        "SignatureDoesNotMatch",
        "secret-whitespace(certain)",
    ]


@needs_aws
def test_aws_cli_clock_skew(serve: Callable[..., Served], tmp_path: Path) -> None:
    served = serve(offset=timedelta(hours=1))  # the server's clock an hour ahead
    run = _aws(served, tmp_path, "s3api", "get-object", "--bucket", "b", "--key", "k", "o")
    line = "An error occurred (RequestTimeTooSkewed) when calling the GetObject operation: "
    line += "The difference between the request time and the current time is too large."
    line += _suffix("clock-skew", "certain") + "RequestTime: "
    assert line in run.stderr, run.stderr
    assert "MaxAllowedSkewMilliseconds: 900000. Fix: " in run.stderr


@needs_aws
def test_aws_cli_scoped_region(serve: Callable[..., Served], tmp_path: Path) -> None:
    """botocore reads <Region> from S3's AuthorizationHeaderMalformed and signs again for it
    (as against AWS): the first answer names the cause, the second matches."""
    served = serve(region="us-east-1")
    out = str(tmp_path / "out")
    args = ("--debug", "s3api", "get-object", "--bucket", "b", "--key", "k", out)
    run = _aws(served, tmp_path, *args, region="eu-west-1")
    assert run.returncode == 0, run.stderr
    codes = [line.split(" ")[2:5] for line in served.lines(2)]
    assert codes == [
        ["400", "AuthorizationHeaderMalformed", "region(certain)"],
        ["200", "match", "-"],
    ]
    # The error body as the --debug log shows it (a bytes repr: quotes escaped).
    message = (
        "<Message>The authorization header is malformed; the region \\'eu-west-1\\' is wrong; "
        "expecting \\'us-east-1\\' sigkit: region (certain): Region: us-east-1. Fix: "
    )
    assert message in run.stderr, run.stderr
    assert "<Region>us-east-1</Region><Cause>region</Cause><Certain>true</Certain>" in run.stderr


def _raw(served: Served, head: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", served.srv.server_address[1], timeout=10)
    try:
        conn.putrequest("GET", "/b/k", skip_host=True, skip_accept_encoding=True)
        for line in head.strip().splitlines():
            name, _, value = line.partition(": ")
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _unsigned_and_skewed() -> str:
    """An x-amz-meta header sent outside SignedHeaders, signed an hour ago: two refusals."""
    stamp = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    return (
        "Host: 127.0.0.1\n"
        f"x-amz-date: {stamp}\n"
        "x-amz-content-sha256: UNSIGNED-PAYLOAD\n"
        "x-amz-meta-color: red\n"
        f"Authorization: AWS4-HMAC-SHA256 Credential={KEY}/{stamp[:8]}/us-east-1/s3/"
        f"aws4_request, SignedHeaders=host;x-amz-date, Signature={'0' * 64}\n"
    )


def test_botocore_parses_the_answer_with_findings(serve: Callable[..., Served]) -> None:
    served = serve()
    status, body = _raw(served, _unsigned_and_skewed())
    assert status == 403
    parsed = RestXMLParser().parse({"body": body, "headers": {}, "status_code": status}, None)
    error = parsed["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        "There were headers present in the request which were not signed sigkit: "
        "unsigned-header (certain): HeadersNotSigned: x-amz-meta-color. Fix: "
        + causes.fix("unsigned-header")
    )
    assert error["HeadersNotSigned"] == "x-amz-meta-color"
    assert (error["Cause"], error["Certain"]) == ("unsigned-header", "true")
    assert error["Finding"]["Cause"] == "clock-skew"  # the further finding, its own element
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Element order: S3's own, then the findings, then RequestId and HostId.
    tags = [child.tag for child in ET.fromstring(body)]
    assert tags == [
        "Code",
        "Message",
        "AWSAccessKeyId",
        "HeadersNotSigned",
        "Cause",
        "Certain",
        "Evidence",
        "Fix",
        "Finding",
        "RequestId",
        "HostId",
    ]
    finding = ET.fromstring(body).find("Finding")
    assert finding is not None
    assert [c.tag for c in finding] == ["Cause", "Certain", "Evidence", "Fix"]


def test_sigkit_reads_its_own_answer(serve: Callable[..., Served]) -> None:
    served = serve()
    body = _raw(served, _unsigned_and_skewed())[1]
    [observation] = read_s3_error(body)
    assert observation.error_code == "AccessDenied"
    assert (observation.error_message or "").startswith(
        "There were headers present in the request which were not signed sigkit: "
    )
    assert observation.details["HeadersNotSigned"] == "x-amz-meta-color"
    assert observation.details["Cause"] == "unsigned-header"


def test_json_answer_and_json_log(serve: Callable[..., Served]) -> None:
    served = serve(log_json=True)
    status, body = _raw(served, _unsigned_and_skewed() + "Accept: application/json\n")
    answer = json.loads(body)
    assert status == 403 and answer["error_code"] == "AccessDenied"
    assert [f["cause"] for f in answer["findings"]] == ["unsigned-header", "clock-skew"]
    first = answer["findings"][0]
    assert set(first) == {"cause", "title", "evidence", "fix", "certain"}
    assert first["fix"] == causes.fix("unsigned-header") and first["certain"] is True
    [entry] = [json.loads(line) for line in served.lines()]
    assert (entry["status"], entry["code"], entry["cause"], entry["certain"]) == (
        403,
        "AccessDenied",
        "unsigned-header",
        True,
    )


def test_no_diagnose_keeps_stated_causes_only(serve: Callable[..., Served]) -> None:
    served = serve(diagnose=False)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    head = (
        f"Host: 127.0.0.1\nx-amz-date: {stamp}\nx-amz-content-sha256: UNSIGNED-PAYLOAD\n"
        "Authorization: AWS4-HMAC-SHA256 Credential="
        f"{KEY}/{stamp[:8]}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, "
        f"Signature={'0' * 64}\n"
    )
    status, body = _raw(served, head)
    root = ET.fromstring(body)
    assert status == 403 and root.findtext("Code") == "SignatureDoesNotMatch"
    assert root.findtext("Message") == SIGNATURE_SENTENCE  # no search: S3's sentence alone
    assert root.find("Cause") is None
    assert served.lines()[0].split(" ")[2:5] == ["403", "SignatureDoesNotMatch", "-"]


def test_error_xml_bounds_and_escapes_evidence() -> None:
    problem = Problem("SignatureDoesNotMatch", SIGNATURE_SENTENCE)
    outcome = VerifyResult("mismatch", "AWS4-HMAC-SHA256", "header", KEY, "ab", None, (problem,))
    evidence = "a <b> & \x01 c" + "x" * 500 + "\nsecond line"
    body = error_xml(outcome, "RID", [Finding("header-changed", evidence)])
    root = ET.fromstring(body)  # parses: the control character is shown as \x01
    message = root.findtext("Message") or ""
    assert message.startswith(
        SIGNATURE_SENTENCE + " sigkit: header-changed (likely): a <b> & \\x01 c"
    )
    assert "second line" not in message and len(message) < len(SIGNATURE_SENTENCE) + 600
    assert message.endswith(". Fix: " + causes.fix("header-changed"))
    assert (root.findtext("Evidence") or "").endswith("\nsecond line")


@needs_aws
def test_head_answer_names_the_cause_in_a_header(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    """A HEAD answer has no body, so the CLI can only print 'Forbidden' (`aws s3 cp` from S3
    starts with HeadObject); the x-sigkit-cause header names the cause in its --debug log."""
    served = serve()
    run = _aws(
        served,
        tmp_path,
        "--debug",
        "s3api",
        "head-object",
        "--bucket",
        "b",
        "--key",
        "k",
        secret="y" * 40,
    )
    assert "An error occurred (403) when calling the HeadObject operation: Forbidden" in (
        run.stderr
    )
    assert "'x-sigkit-cause': 'wrong-secret (likely)'" in run.stderr
    assert served.lines()[0].split(" ")[2:5] == [
        "403",
        "SignatureDoesNotMatch",
        "wrong-secret(likely)",
    ]

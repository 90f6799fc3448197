"""A store's presign lifetime and its one endpoint, from its profile (issue #11, part 5).

Yandex Object Storage accepts presigned URLs for up to 30 days (2,592,000 s; its "Pre-signed
URLs" page, cited in sigkit/stores.py), AWS for a week. botocore, which caps nothing, signs the
same 30-day URL as the oracle; sigkit's verifier (and so `serve --store yandex`) accepts what
the store accepts and refuses the rest as S3 refuses it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.auth import S3SigV4QueryAuth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials as BotoCredentials  # type: ignore[import-untyped]

from sigkit.cli.app import main
from sigkit.credentials import Credentials
from sigkit.http import Request
from sigkit.verify import verify_request

ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
KEYS = ["--access-key", ACCESS, "--secret-key", SECRET]
THIRTY_DAYS = 2592000
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def botocore_url(url: str, expires: int) -> str:
    signer = S3SigV4QueryAuth(BotoCredentials(ACCESS, SECRET), "s3", "ru-central1", expires)
    request = AWSRequest(method="GET", url=url)
    with mock.patch("botocore.auth.get_current_datetime", return_value=WHEN.replace(tzinfo=None)):
        signer.add_auth(request)
    return str(request.url)


def test_yandex_presign_of_thirty_days_equals_botocores_and_verifies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        capsys,
        "presign", "s3://my-bucket/k", "--store", "yandex", "--expires", str(THIRTY_DAYS),
        "--date", "20260101T000000Z", *KEYS,
    )  # fmt: skip
    assert code == 0, err
    url = out.strip()
    assert url.startswith("https://storage.yandexcloud.net/my-bucket/k?")
    assert "endpoint https://storage.yandexcloud.net of the yandex store profile" in err
    ours = parse_qs(urlsplit(url).query)
    theirs = parse_qs(
        urlsplit(botocore_url("https://storage.yandexcloud.net/my-bucket/k", THIRTY_DAYS)).query
    )
    assert ours["X-Amz-Expires"] == ["2592000"]
    assert ours["X-Amz-Signature"] == theirs["X-Amz-Signature"]

    request = Request.from_url("GET", url)
    creds = Credentials(ACCESS, SECRET)
    late = WHEN + timedelta(days=29)
    accepted = verify_request(request, creds, late, max_expires=THIRTY_DAYS)
    assert (accepted.verdict, accepted.problems) == ("match", ())
    # a server with AWS's week refuses the same URL, as S3 does
    refused = verify_request(request, creds, late)
    assert [(p.code, p.cause) for p in refused.problems] == [
        ("AuthorizationQueryParametersError", "expires-too-long")
    ]
    # past the thirty days the store's own limit refuses it as expired
    expired = verify_request(
        request, creds, WHEN + timedelta(days=30, seconds=1), max_expires=THIRTY_DAYS
    )
    assert [p.cause for p in expired.problems] == ["expired"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["s3://my-bucket/k", "--store", "yandex", "--expires", str(THIRTY_DAYS + 1)],
            "--expires: 2592001 s is longer than Yandex Object Storage accepts (2592000 s at most)",
        ),
        (
            ["s3://my-bucket/k", "--expires", "604801"],
            "--expires: 604801 is out of range (1..604800 seconds)",
        ),
        (
            ["s3://my-bucket/k", "--store", "r2"],
            "--endpoint-url: the r2 store has no one endpoint; give its URL",
        ),
        (  # not "1..604800": Yandex takes thirty days
            ["s3://my-bucket/k", "--store", "yandex", "--expires", "0"],
            "--expires: 0 is out of range (at least 1 second)",
        ),
    ],
)
def test_lifetimes_and_endpoints_a_store_cannot_take(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "presign", *argv, *KEYS)
    assert (code, out) == (2, "")
    assert err.strip().splitlines()[-1] == f"sigkit: error: {message}"


def test_curl_takes_the_stores_one_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "curl", "ls", "s3://my-bucket", "--store", "gcs", *KEYS)
    assert code == 0, err
    assert "https://storage.googleapis.com/my-bucket" in out
    assert "endpoint https://storage.googleapis.com of the gcs store profile" in err

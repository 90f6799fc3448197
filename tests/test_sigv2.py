"""S3 V2 resource rules beyond the vectors (values from the S3 documentation's rules)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sigkit import Credentials, InputError, Request, S3V2Config, sign_v2, sign_v2_query

CREDS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
WHEN = datetime(2007, 3, 27, 19, 36, 42, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "config", "resource"),
    [
        ("https://s3-logs.s3.amazonaws.com/key", S3V2Config(), "/s3-logs/key"),
        ("https://s3.s3.amazonaws.com/key", S3V2Config(), "/s3/key"),
        ("https://b.s3-eu-west-1.amazonaws.com/k", S3V2Config(), "/b/k"),
        ("https://b.s3.dualstack.us-east-1.amazonaws.com/k", S3V2Config(), "/b/k"),
        ("https://s3.us-west-2.amazonaws.com/b/k", S3V2Config(), "/b/k"),
        ("https://s3.amazonaws.com/", S3V2Config(), "/"),
        (
            "https://mybucket.s3.amazonaws.com/mybucket/file",
            S3V2Config(),
            "/mybucket/mybucket/file",
        ),
        (
            "https://mybucket.s3.amazonaws.com/mybucket/file",
            S3V2Config(bucket="mybucket"),
            "/mybucket/mybucket/file",
        ),
        (
            "https://b.storage.yandexcloud.net/k",
            S3V2Config(endpoint_bases=("storage.yandexcloud.net",)),
            "/b/k",
        ),
        ("http://127.0.0.1:9000/b/k", S3V2Config(), "/b/k"),
        (
            "http://static.example.com:8080/k",
            S3V2Config(addressing="virtual-hosted"),
            "/static.example.com/k",
        ),
        (
            "https://b.s3.amazonaws.com/k?versionId=v%2B1&uploads&prefix=x",
            S3V2Config(),
            "/b/k?uploads&versionId=v+1",
        ),
    ],
)
def test_canonical_resource(url: str, config: S3V2Config, resource: str) -> None:
    result = sign_v2(Request.from_url("GET", url), CREDS, WHEN, config)
    assert result["canonical_resource"] == resource


def test_bucket_that_contradicts_a_path_style_path_is_refused() -> None:
    request = Request.from_url("GET", "http://127.0.0.1:9000/b/k")
    with pytest.raises(InputError):
        sign_v2(request, CREDS, WHEN, S3V2Config(bucket="other", addressing="path"))


def test_presigning_a_presigned_v2_url_is_refused() -> None:
    request = Request.from_url("GET", "https://b.s3.amazonaws.com/k?Expires=1")
    with pytest.raises(InputError):
        sign_v2_query(request, CREDS, WHEN)


def test_v2_expiry_has_no_seven_day_cap() -> None:
    result = sign_v2_query(
        Request.from_url("GET", "https://b.s3.amazonaws.com/k"),
        CREDS,
        WHEN,
        S3V2Config(expires_in=31536000),
    )
    assert result["date_line"] == str(int(WHEN.timestamp()) + 31536000)


def test_presigned_v2_steps_are_those_of_before_issue_6() -> None:
    """The query variant lists no "headers_added" (the Host it adds is in the signed request)
    and its URL is a step, whether or not the request carried a Host header."""
    for request in (
        Request.from_url("GET", "https://bucket.s3.amazonaws.com/k"),
        Request.from_url(
            "GET", "https://bucket.s3.amazonaws.com/k", [("Host", "bucket.s3.amazonaws.com")]
        ),
    ):
        result = sign_v2_query(request, CREDS, WHEN)
        assert list(result)[-3:] == ["query_added", "url", "signed_request"]
        assert "headers_added" not in result
        assert result["url"] == result.request.url


@pytest.mark.parametrize(
    ("url", "note"),
    [
        ("http://127.0.0.1:9000/", "no bucket (the path is /: the service), path addressing"),
        ("http://127.0.0.1:9000/bkt/k", "bucket 'bkt' (the first path segment), path addressing"),
        (
            "https://b.s3.amazonaws.com/k",
            "bucket 'b', virtual-hosted addressing: from the AWS host name",
        ),
    ],
)
def test_sign_v2_names_the_bucket_it_found(
    capsys: pytest.CaptureFixture[str], url: str, note: str
) -> None:
    """`sign --sig v2` says where the bucket is, and never "bucket None"."""
    from sigkit.cli.app import main

    assert main(["sign", "--sig", "v2", url, "--date", "20130524T000000Z"]) == 0
    out = capsys.readouterr().out
    assert f"note: {note}\n" in out and "None" not in out

"""`sigkit presign`: the documentation's presigned URLs, the URL built for s3:// targets, and
curl commands that send nothing the signature did not cover. tests/e2e/test_presign_rgw.py
runs the commands against a real server."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest

from sigkit.cli.app import main
from sigkit.cli.presign_cmd import curl_command

KEYS = [
    "--access-key",
    "AKIAIOSFODNN7EXAMPLE",
    "--secret-key",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
]
# "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", S3 docs.
DOC_V4_SIGNATURE = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
# "Signing and authenticating REST requests", query string example (S3 V2).
DOC_V2_SIGNATURE = "NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"


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


def test_v4_documentation_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "presign",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        "--expires",
        "86400",
        "--date",
        "20130524T000000Z",
        *KEYS,
    )
    assert code == 0, err
    assert out == (
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        f"&X-Amz-Signature={DOC_V4_SIGNATURE}\n"
    )
    assert err == ""  # region read from the host, keys from flags: nothing to remark


def test_v2_documentation_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "presign",
        "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg",
        "--sig",
        "v2",
        "--date",
        str(1175139620 - 600),
        "--expires",
        "600",
        *KEYS,
    )
    assert code == 0, err
    assert out.strip() == (
        "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE"
        f"&Signature={DOC_V2_SIGNATURE}&Expires=1175139620"
    )


@pytest.mark.parametrize(
    ("target", "extra", "prefix"),
    [
        (
            "s3://my-bucket/a b/ü+c",
            [],
            "https://my-bucket.s3.us-east-1.amazonaws.com/a%20b/%C3%BC%2Bc?",
        ),
        (
            "s3://my-bucket/k",
            ["--region", "eu-west-1"],
            "https://my-bucket.s3.eu-west-1.amazonaws.com/k?",
        ),
        ("s3://my.dotted.bucket/k", [], "https://s3.us-east-1.amazonaws.com/my.dotted.bucket/k?"),
        (
            "s3://my-bucket/k",
            ["--endpoint-url", "http://127.0.0.1:9000"],
            "http://127.0.0.1:9000/my-bucket/k?",
        ),
    ],
)
def test_s3_targets(
    capsys: pytest.CaptureFixture[str], target: str, extra: list[str], prefix: str
) -> None:
    code, out, err = run(capsys, "presign", target, *extra, *KEYS)
    assert code == 0, err
    assert out.startswith(prefix)


def test_region_and_endpoint_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    code, out, err = run(capsys, "presign", "s3://my-bucket/k", *KEYS)
    assert code == 0, err
    assert out.startswith("https://my-bucket.s3.ap-south-1.amazonaws.com/k?")
    assert "%2Fap-south-1%2Fs3%2F" in out


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "presign",
        "s3://my-bucket/k",
        "--method",
        "put",
        "--expires",
        "600",
        "--date",
        "20240101T000000Z",
        *KEYS,
        "--json",
    )
    assert code == 0
    doc = json.loads(out)
    assert (doc["method"], doc["expires_in"], doc["expires_at"]) == (
        "PUT",
        600,
        "2024-01-01T00:10:00Z",
    )
    assert doc["url"].startswith("https://my-bucket.s3.us-east-1.amazonaws.com/k?")
    assert doc["curl"].endswith(shlex.quote(doc["url"]))
    steps = {s["name"]: s["value"] for s in doc["steps"]}
    assert steps["canonical_request"].startswith("PUT\n/k\n")
    assert steps["canonical_request"].endswith("\nUNSIGNED-PAYLOAD")


def test_session_token_is_in_the_url_and_said(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "presign", "s3://my-bucket/k", *KEYS, "--session-token", "T/k+n=")
    assert code == 0
    assert "X-Amz-Security-Token=T%2Fk%2Bn%3D" in out
    assert "session token" in err


@pytest.mark.parametrize(
    ("method", "file", "expected"),
    [
        ("GET", None, "curl --fail-with-body -sS -g --path-as-is 'URL'"),
        ("GET", "out $x", "curl --fail-with-body -sS -g --path-as-is -o 'out $x' 'URL'"),
        ("PUT", None, "curl --fail-with-body -sS -g --path-as-is -T FILE 'URL'"),
        ("PUT", "it's", "curl --fail-with-body -sS -g --path-as-is -T 'it'\"'\"'s' 'URL'"),
        ("HEAD", None, "curl --fail-with-body -sS -g --path-as-is --head 'URL'"),
        ("DELETE", None, "curl --fail-with-body -sS -g --path-as-is -X DELETE 'URL'"),
    ],
)
def test_curl_commands(method: str, file: str | None, expected: str) -> None:
    url = "https://b.s3.amazonaws.com/k?X-Amz-Signature=0&a=$(x)"
    assert curl_command(method, url, file) == expected.replace("'URL'", shlex.quote(url))


def test_put_to_a_key_ending_in_slash_keeps_the_url() -> None:
    # curl -T appends the file name to a URL whose path ends in '/'; --data-binary does not,
    # and its default form Content-Type (signed by V2) is removed.
    url = "https://b.s3.amazonaws.com/dir/?Signature=0"
    words = shlex.split(curl_command("PUT", url, "f"))
    assert words[-1] == url and "-T" not in words
    assert words[words.index("--data-binary") + 1] == "@f"
    assert words[words.index("-H") + 1] == "Content-Type:"
    assert words[words.index("-X") + 1] == "PUT"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["s3://my-bucket/k", "--method", "POST"], "--method"),
        (["s3://my-bucket/k", "--sig", "v4a"], "--sig"),
        (["s3://my-bucket/k", "--expires", "0"], "--expires"),
        (["s3://my-bucket/k", "--expires", "604801"], "--expires"),
        (["s3://my-bucket/k", "--file", "f"], "--file"),
        (["s3://my-bucket"], "TARGET"),
        (["s3://Bad_Bucket/k"], "TARGET"),
        (["https://b.s3.amazonaws.com/k", "--endpoint-url", "http://h"], "--endpoint-url"),
        (["s3://my-bucket/k", "--endpoint-url", "http://h/path"], "--endpoint-url"),
        (["https://sts.amazonaws.com/"], "TARGET"),
        (["ftp://h/k"], "url"),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = run(capsys, "presign", *argv, *KEYS)
    assert code == 2 and out == ""
    assert err.startswith(f"sigkit: error: {needle}"), err
    assert len(err.strip().splitlines()) == 1


def _botocore_v4_query(url: str, when: str, expires: int) -> str:
    """botocore's presigned URL for `url` at `when` (its own signer, clock pinned)."""
    from datetime import datetime
    from unittest import mock

    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    request = AWSRequest(method="GET", url=url)
    naive = datetime.strptime(when, "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=naive):
        S3SigV4QueryAuth(BotoCredentials(KEYS[1], KEYS[3]), "s3", "us-east-1", expires).add_auth(
            request
        )
    return str(request.url)


@pytest.mark.parametrize(
    ("extra", "url"),
    [
        (["--addressing", "path"], "https://s3.us-east-1.amazonaws.com/examplebucket/a%20b"),
        (["--addressing", "virtual"], "https://examplebucket.s3.us-east-1.amazonaws.com/a%20b"),
        (
            ["--addressing", "virtual", "--endpoint-url", "http://s3.example.test:9000"],
            "http://examplebucket.s3.example.test:9000/a%20b",
        ),
        (
            ["--addressing", "path", "--endpoint-url", "http://s3.example.test:9000"],
            "http://s3.example.test:9000/examplebucket/a%20b",
        ),
    ],
)
def test_addressing_v4(capsys: pytest.CaptureFixture[str], extra: list[str], url: str) -> None:
    """--addressing as the curl verbs take it; the URL is the one botocore signs for it."""
    code, out, err = run(
        capsys, "presign", "s3://examplebucket/a b", "--date", "20130524T000000Z", *extra, *KEYS
    )
    assert code == 0, err
    assert out.strip() == _botocore_v4_query(url, "20130524T000000Z", 3600)


def test_addressing_v2_signs_the_bucket_either_way(capsys: pytest.CaptureFixture[str]) -> None:
    """V2 signs /BUCKET/KEY whether the bucket is in the host or the path: botocore's
    HmacV1QueryAuth with the auth_path its S3 client sets gives the same signature."""
    from unittest import mock

    from botocore.auth import HmacV1QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    for style, url in (
        ("virtual", "http://examplebucket.s3.example.test:9000/k"),
        ("path", "http://s3.example.test:9000/examplebucket/k"),
    ):
        code, out, err = run(
            capsys,
            "presign",
            "s3://examplebucket/k",
            "--sig",
            "v2",
            "--addressing",
            style,
            "--endpoint-url",
            "http://s3.example.test:9000",
            "--date",
            "1369353600",
            "--expires",
            "600",
            *KEYS,
        )
        assert code == 0, err
        request = AWSRequest(method="GET", url=url)
        request.auth_path = "/examplebucket/k"
        with mock.patch("botocore.auth.time.time", return_value=1369353600):
            HmacV1QueryAuth(BotoCredentials(KEYS[1], KEYS[3]), expires=600).add_auth(request)
        assert out.strip() == request.url


def test_addressing_needs_an_s3_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "presign", "https://b.s3.amazonaws.com/k", "--addressing", "path", *KEYS
    )
    assert code == 2 and err.startswith("sigkit: error: --addressing: applies only to an s3://")

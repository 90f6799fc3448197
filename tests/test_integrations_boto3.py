"""sigkit.integrations.boto3.explain_failures: a signing refusal's ClientError carries sigkit's
diagnosis; everything else is untouched and nothing is printed. The server is sigkit serve
(tests/e2e/test_integrations_rgw.py has the same against Ceph RGW)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from sigkit.debug import causes
from sigkit.integrations.boto3 import explain_failures
from tests.integrations_helpers import KEY, SECRET, serving


def client(base: str, secret: str = SECRET, **kwargs: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=base,
        aws_access_key_id=KEY,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        **kwargs,
    )


def test_wrong_secret_names_its_cause(capsys: pytest.CaptureFixture[str]) -> None:
    with serving() as base:
        s3 = explain_failures(client(base, secret="not-the-right-secret"))
        with pytest.raises(ClientError) as caught:
            s3.put_object(Bucket="bucket", Key="a key", Body=b"x")
    error = caught.value
    assert error.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert error.sigkit_cause == "wrong-secret"  # type: ignore[attr-defined]
    assert error.sigkit_report.findings[0].cause == "wrong-secret"  # type: ignore[attr-defined]
    text = str(error)
    assert text.startswith("An error occurred (SignatureDoesNotMatch) when calling the PutObject")
    # sigkit serve names causes in its own Message too: ours is the line appended after it
    assert "\n403 SignatureDoesNotMatch: sigkit: wrong-secret (likely): " in text
    assert text.rstrip().endswith(causes.fix("wrong-secret"))
    assert "not-the-right-secret" not in text
    assert capsys.readouterr() == ("", "")


def test_trailing_newline_secret_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with serving() as base:
        s3 = explain_failures(client(base, secret=SECRET + "\n"))
        with pytest.raises(ClientError) as caught:
            s3.list_objects_v2(Bucket="bucket", Prefix="a b")
    assert caught.value.sigkit_cause == "secret-whitespace"  # type: ignore[attr-defined]
    assert "\n403 SignatureDoesNotMatch: sigkit: secret-whitespace (certain): " in str(caught.value)
    assert SECRET not in str(caught.value)
    assert capsys.readouterr() == ("", "")


def test_header_changed_after_botocore_signed() -> None:
    def rewrite(request: Any, **_: Any) -> None:
        request.headers["Content-Type"] = "text/plain; charset=utf-8"

    with serving() as base:
        s3 = explain_failures(client(base))
        s3.meta.events.register("before-send", rewrite)
        with pytest.raises(ClientError) as caught:
            s3.put_object(Bucket="bucket", Key="k", Body=b"x", ContentType="text/plain")
    assert caught.value.sigkit_cause == "header-changed"  # type: ignore[attr-defined]
    assert "\n403 SignatureDoesNotMatch: sigkit: header-changed (certain): " in str(caught.value)


def test_a_session_explains_the_clients_it_creates() -> None:
    with serving() as base:
        session = explain_failures(
            boto3.Session(aws_access_key_id=KEY, aws_secret_access_key="wrong-wrong-wrong")
        )
        s3 = session.client("s3", endpoint_url=base, region_name="us-east-1")
        with pytest.raises(ClientError) as caught:
            s3.list_objects_v2(Bucket="bucket")
        with pytest.raises(ClientError) as bare:  # HEAD: a bare 403, blamed only with proof
            s3.head_bucket(Bucket="bucket")
        also = explain_failures(session.client("s3", endpoint_url=base, region_name="us-east-1"))
        with pytest.raises(ClientError) as twice:
            also.list_buckets()
    assert caught.value.sigkit_cause == "wrong-secret"  # type: ignore[attr-defined]
    assert bare.value.response["Error"]["Code"] == "403"
    assert not hasattr(bare.value, "sigkit_cause")  # a policy's 403 looks the same
    assert str(twice.value).count("\n403 SignatureDoesNotMatch: sigkit:") == 1  # once


def test_success_and_other_errors_are_untouched(capsys: pytest.CaptureFixture[str]) -> None:
    with serving() as base:
        s3 = explain_failures(client(base))
        assert (
            s3.put_object(Bucket="bucket", Key="k", Body=b"x")["ResponseMetadata"]["HTTPStatusCode"]
            == 200
        )
    stubbed = explain_failures(client("http://127.0.0.1:9"))
    with Stubber(stubbed) as stub:
        stub.add_client_error("get_object", "NoSuchKey", "The key does not exist", 404)
        stub.add_client_error("get_object", "SignatureDoesNotMatch", "no request seen", 403)
        with pytest.raises(ClientError) as missing:
            stubbed.get_object(Bucket="b", Key="k")
        with pytest.raises(ClientError) as unseen:
            stubbed.get_object(Bucket="b", Key="k")
    assert str(missing.value) == (
        "An error occurred (NoSuchKey) when calling the GetObject operation: The key does not exist"
    )
    assert not hasattr(missing.value, "sigkit_report")
    assert not hasattr(unseen.value, "sigkit_report")  # nothing was sent: nothing to say
    assert capsys.readouterr() == ("", "")


def test_explaining_twice_is_once_and_other_objects_are_refused() -> None:
    s3 = client("http://127.0.0.1:9")
    assert explain_failures(explain_failures(s3)) is s3
    with pytest.raises(TypeError, match="explain_failures takes a boto3/botocore client"):
        explain_failures(object())

"""SigV4 signer behaviour beyond the vectors: what it refuses, what it reads once."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import UTC, datetime

import pytest

from sigkit import Credentials, InputError, Request, SigV4Config, sign_v4, sign_v4_query

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
WHEN = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
S3 = SigV4Config.s3("us-east-1")


def test_streamed_body_is_hashed_once_and_rewound() -> None:
    data = os.urandom(3 << 20)
    stream = io.BytesIO(data)
    request = Request.from_url("PUT", "https://b.s3.amazonaws.com/k", body=stream)
    result = sign_v4(request, CREDS, WHEN, S3)
    assert result["payload_hash"] == hashlib.sha256(data).hexdigest()
    assert stream.tell() == 0


def test_a_stream_that_cannot_rewind_is_refused() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"hello")
    os.close(write_end)
    with open(read_end, "rb") as pipe:
        request = Request.from_url("PUT", "https://b.s3.amazonaws.com/k", body=pipe)
        with pytest.raises(InputError) as info:
            sign_v4(request, CREDS, WHEN, S3)
        assert info.value.field == "body"
        # with an explicit payload hash nothing needs reading
        signed = sign_v4(
            request, CREDS, WHEN, SigV4Config.s3("us-east-1", payload_hash="UNSIGNED-PAYLOAD")
        )
        assert signed["payload_hash"] == "UNSIGNED-PAYLOAD"


@pytest.mark.parametrize(
    "param", ["X-Amz-Date=20150830T123600Z", "X-Amz-Expires=5", "X-Amz-Signature=x"]
)
def test_presigning_a_presigned_url_is_refused(param: str) -> None:
    request = Request.from_url("GET", f"https://b.s3.amazonaws.com/k?{param}")
    with pytest.raises(InputError):
        sign_v4_query(request, CREDS, WHEN, S3)


def test_signed_or_dated_requests_are_not_silently_resigned() -> None:
    signed = Request.from_url("GET", "https://h/", [("Authorization", "AWS4-HMAC-SHA256 x")])
    with pytest.raises(InputError):
        sign_v4(signed, CREDS, WHEN, S3)
    dated = Request.from_url("GET", "https://h/", [("X-Amz-Date", "20000101T000000Z")])
    with pytest.raises(InputError) as info:
        sign_v4(dated, CREDS, WHEN, S3)
    assert "20000101T000000Z" in info.value.message


def test_signing_time_must_be_an_aware_datetime() -> None:
    request = Request.from_url("GET", "https://h/")
    for when in ("2015-08-30", datetime(2015, 8, 30)):
        with pytest.raises(InputError):
            sign_v4(request, CREDS, when, S3)  # type: ignore[arg-type]


def test_session_tokens_are_listed_as_sensitive() -> None:
    token = "tok/en+=="
    creds = Credentials(CREDS.access_key_id, CREDS.secret_access_key, token)
    result = sign_v4_query(Request.from_url("GET", "https://b.s3.amazonaws.com/k"), creds, WHEN, S3)
    assert token in result.sensitive
    header_token = Request.from_url("GET", "https://h/", [("X-Amz-Security-Token", "T0K")])
    assert "T0K" in sign_v4(header_token, CREDS, WHEN, S3).sensitive


def test_result_notes_cannot_change_the_result() -> None:
    result = sign_v4(Request.from_url("GET", "https://h/a+b?x=a+b"), CREDS, WHEN, S3)
    notes = result.notes
    assert any("space" in n for n in notes["canonical_query"])
    notes.clear()
    assert result.notes

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


# --- headers a signer compares or uses must be sent once ------------------------------------

S3_UNSIGNED = SigV4Config.s3("us-east-1", payload_hash="UNSIGNED-PAYLOAD")
STAMP = "20150830T123600Z"


@pytest.mark.parametrize(
    "headers",
    [
        [("X-Amz-Date", STAMP), ("x-amz-date", STAMP)],
        [
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ],
        [("X-Amz-Security-Token", "tok"), ("X-Amz-Security-Token", "tok")],
    ],
)
def test_a_header_the_signer_compares_sent_twice_is_refused(headers: list[tuple[str, str]]) -> None:
    request = Request.from_url("GET", "https://b.s3.amazonaws.com/k", headers)
    creds = Credentials("AKID", "secret", "tok")
    with pytest.raises(InputError, match="sent 2 times"):
        sign_v4(request, creds, WHEN, S3_UNSIGNED)


def test_a_sent_token_must_equal_the_given_one_exactly() -> None:
    request = Request.from_url(
        "GET", "https://b.s3.amazonaws.com/k", [("X-Amz-Security-Token", "tok  en")]
    )
    with pytest.raises(InputError, match="differs from the session token"):
        sign_v4(request, Credentials("AKID", "secret", "tok en"), WHEN, S3_UNSIGNED)


def test_the_payload_line_is_the_sent_header_trimmed_not_folded() -> None:
    """The request's own x-amz-content-sha256 is the payload line as sent (trimmed); only the
    canonical header folds inner blanks. The oracle is the rule itself, spelled out here."""
    value = "a  b"
    request = Request.from_url(
        "GET", "https://b.s3.amazonaws.com/k", [("x-amz-content-sha256", f" {value} ")]
    )
    result = sign_v4(request, CREDS, WHEN, SigV4Config.s3("us-east-1"))
    assert result["payload_hash"] == value
    assert "x-amz-content-sha256:a b\n" in result["canonical_headers"]


def test_forget_keys_empties_every_key_cache() -> None:
    from sigkit import forget_keys, sign_v2
    from sigkit.sigv2.s3 import _secret_key
    from sigkit.sigv4.keys import scope_key
    from sigkit.sigv4.sigv4a import _key_steps, derive_private_key, sign_v4a

    request = Request.from_url("GET", "https://b.s3.amazonaws.com/k")
    sign_v4(request, CREDS, WHEN, S3_UNSIGNED)
    sign_v2(request, CREDS, WHEN)
    sign_v4a(request, CREDS, WHEN, S3_UNSIGNED)
    caches = (scope_key, _secret_key, _key_steps, derive_private_key)
    assert all(cache.cache_info().currsize for cache in caches)
    forget_keys()
    assert [cache.cache_info().currsize for cache in caches] == [0, 0, 0, 0]

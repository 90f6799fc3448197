"""Compare: the first differing line and byte, made visible, and the part it belongs to."""

from __future__ import annotations

import pytest

from sigkit.debug.compare import (
    compare_steps,
    detect_kind,
    parse_canonical_request,
    parse_string_to_sign,
    parse_v2_string_to_sign,
)

CR = (
    "GET\n/photos/a%20b.jpg\nlist-type=2&prefix=a%20b\n"
    "host:bucket.s3.amazonaws.com\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"
    "x-amz-date:20261124T120000Z\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"
)
STS = (
    "AWS4-HMAC-SHA256\n20261124T120000Z\n20261124/us-east-1/s3/aws4_request\n"
    "3f1a0b5c9d2e4f6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"
)
V2 = "PUT\n\ntext/plain\nTue, 24 Nov 2026 12:00:00 GMT\nx-amz-meta-a:1\n/bucket/key"


def test_equal_texts_have_no_difference() -> None:
    assert compare_steps(CR, CR, "canonical_request") is None


def test_parse_canonical_request_parts() -> None:
    parts = parse_canonical_request(CR)
    assert parts is not None
    assert parts["method"] == "GET"
    assert parts["uri"] == "/photos/a%20b.jpg"
    assert parts["query"] == "list-type=2&prefix=a%20b"
    assert parts["headers"].split("\n")[0] == "host:bucket.s3.amazonaws.com"
    assert parts["signed_headers"] == "host;x-amz-content-sha256;x-amz-date"
    assert parts["payload_hash"] == "UNSIGNED-PAYLOAD"
    assert parse_canonical_request("GET\n/") is None


def test_header_value_changed_names_the_header_and_byte() -> None:
    theirs = CR.replace("x-amz-date:20261124T120000Z", "x-amz-date:20261124T120500Z")
    diff = compare_steps(CR, theirs, "canonical_request")
    assert diff is not None
    assert diff.part == "header x-amz-date"
    assert diff.line == 6
    assert diff.column == len("x-amz-date:20261124T120") + 1
    assert CR.encode()[diff.byte : diff.byte + 1] == b"0"
    assert theirs.encode()[diff.byte : diff.byte + 1] == b"5"


def test_trailing_space_and_cr_are_made_visible() -> None:
    theirs = CR.replace("host:bucket.s3.amazonaws.com", "host:bucket.s3.amazonaws.com \r")
    diff = compare_steps(CR, theirs, "canonical_request")
    assert diff is not None
    assert diff.part == "header host"
    shown = diff.describe()
    assert "\\r" in shown
    assert "^" in shown


def test_tab_and_non_ascii_are_made_visible() -> None:
    diff = compare_steps("a\tb", "a b\u00e9", "text")
    assert diff is not None
    text = diff.describe()
    assert "\\t" in text and "\\u00e9" in text
    assert diff.column == 2


def test_double_encoding_is_pointed_out_in_the_uri() -> None:
    theirs = CR.replace("/photos/a%20b.jpg", "/photos/a%2520b.jpg")
    diff = compare_steps(CR, theirs, "canonical_request")
    assert diff is not None
    assert diff.part == "uri"
    assert "double encoding" in diff.note


def test_query_parameter_is_named_and_encoding_noted() -> None:
    theirs = CR.replace("prefix=a%20b", "prefix=a%2Bb")
    diff = compare_steps(CR, theirs, "canonical_request")
    assert diff is not None
    assert diff.part == "query parameter prefix"


def test_missing_line_is_reported() -> None:
    theirs = CR.replace("x-amz-content-sha256:UNSIGNED-PAYLOAD\n", "")
    diff = compare_steps(CR, theirs, "canonical_request")
    assert diff is not None
    assert diff.part == "header x-amz-content-sha256"
    assert diff.theirs == "x-amz-date:20261124T120000Z"


def test_string_to_sign_scope_region() -> None:
    theirs = STS.replace("us-east-1", "eu-west-1")
    diff = compare_steps(STS, theirs, "string_to_sign")
    assert diff is not None
    assert diff.part == "scope region"
    assert "us-east-1" in diff.note and "eu-west-1" in diff.note
    assert parse_string_to_sign(STS) is not None


def test_v2_string_to_sign_parts() -> None:
    theirs = V2.replace("text/plain", "text/plain; charset=utf-8")
    diff = compare_steps(V2, theirs, "string_to_sign")
    assert diff is not None
    assert diff.kind == "v2_string_to_sign"
    assert diff.part == "content_type"
    resource = compare_steps(V2, V2.replace("/bucket/key", "/key"), "v2_string_to_sign")
    assert resource is not None and resource.part == "resource"
    amz = compare_steps(V2, V2.replace("x-amz-meta-a:1", "x-amz-meta-a:2"), "v2_string_to_sign")
    assert amz is not None and amz.part == "amz header x-amz-meta-a"
    parts = parse_v2_string_to_sign(V2)
    assert parts is not None and parts["resource"] == "/bucket/key"


def test_detect_kind_and_unknown_kind() -> None:
    assert detect_kind(CR) == "canonical_request"
    assert detect_kind(STS) == "string_to_sign"
    with pytest.raises(ValueError):
        compare_steps("a", "b", "nope")


def test_percent_encodings_are_decoded_in_the_note() -> None:
    theirs = CR.replace("prefix=a%20b", "prefix=a%C3%A9")
    diff = compare_steps(CR, theirs, "canonical_request")
    assert diff is not None
    assert "\\u00e9" in diff.note and "'a b'" not in diff.note
    assert diff.describe().count("\n") == 4

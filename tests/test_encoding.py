"""Encoding and path rules against the values the SigV4 documentation and aws-c-auth state."""

from __future__ import annotations

import pytest

from sigkit.encoding import (
    canonical_query_pairs,
    normalize_path,
    parse_query,
    reencode_path,
    uri_encode,
)


def test_unreserved_characters_are_kept_and_everything_else_encoded() -> None:
    unreserved = "ABCXYZabcxyz0189-._~"
    assert uri_encode(unreserved) == unreserved
    # RFC 3986 reserved characters and '%' are encoded, upper-case hex (aws-c-auth README).
    assert uri_encode("!$&'()*+,;=:@%/ ") == "%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A%40%25%2F%20"
    assert uri_encode("a/b", keep_slash=True) == "a/b"
    assert uri_encode("ሴ") == "%E1%88%B4"  # get-utf8 vector


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [  # aws-c-auth README "Cases that depend on normalize"
        ("//example//", "/example/"),
        ("/example1/example2/../..", "/"),
        ("/./", "/"),
        ("/example/..", "/"),
        ("", "/"),
        ("/a/./b/../c/", "/a/c/"),
    ],
)
def test_normalize_path(raw: str, normalized: str) -> None:
    assert normalize_path(raw) == normalized


def test_query_parsing_keeps_order_repeats_and_bare_names() -> None:
    assert parse_query("b=2&a&a=&a=1&&=v") == [
        ("b", "2"),
        ("a", None),
        ("a", ""),
        ("a", "1"),
        ("", "v"),
    ]


def test_canonical_query_sorts_by_encoded_name_then_value() -> None:
    # get-vanilla-query-order-encoded: %E1%88%B4 sorts before Param (byte order of the encoding)
    pairs = canonical_query_pairs(
        "Param-3=Value3&Param=Value2&%E1%88%B4=Value1", plus_as_space=True
    )
    assert pairs == [("%E1%88%B4", "Value1"), ("Param", "Value2"), ("Param-3", "Value3")]
    assert canonical_query_pairs("a=2&a=1&a", plus_as_space=True) == [
        ("a", ""),
        ("a", "1"),
        ("a", "2"),
    ]


def test_plus_in_query_reading() -> None:
    assert canonical_query_pairs("p=a+b", plus_as_space=True) == [("p", "a%20b")]
    assert canonical_query_pairs("p=a+b", plus_as_space=False) == [("p", "a%2Bb")]
    assert canonical_query_pairs("p=a%2Bb", plus_as_space=True) == [("p", "a%2Bb")]


def test_already_encoded_query_is_not_encoded_twice() -> None:
    assert canonical_query_pairs("k=a%20b%2Fc%7E", plus_as_space=True) == [("k", "a%20b%2Fc~")]


def test_s3_path_reencoding_is_idempotent_on_encoded_keys() -> None:
    assert reencode_path("/b/a%20b/c%2Fd/%E2%82%AC") == "/b/a%20b/c%2Fd/%E2%82%AC"
    assert reencode_path("/b/a*b'(c)") == "/b/a%2Ab%27%28c%29"
    assert reencode_path("/b/%7e%2a") == "/b/~%2A"

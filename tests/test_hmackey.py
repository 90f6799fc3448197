"""The prepared-key HMAC against the standard library's, for every key length and hash used."""

from __future__ import annotations

import hmac

from hypothesis import given
from hypothesis import strategies as st

from sigkit.hmackey import HmacKey


@given(st.binary(max_size=200), st.binary(max_size=300), st.sampled_from(["sha1", "sha256"]))
def test_matches_hmac_module(key: bytes, message: bytes, hash_name: str) -> None:
    prepared = HmacKey(key, hash_name)
    expected = hmac.new(key, message, hash_name)
    assert prepared.digest(message) == expected.digest()
    assert prepared.hexdigest(message) == expected.hexdigest()
    assert prepared.digest(message) == expected.digest()  # the prepared states are not used up


def test_rfc_4231_case_2() -> None:
    """RFC 4231 test case 2 (HMAC-SHA-256, key "Jefe")."""
    got = HmacKey(b"Jefe", "sha256").hexdigest(b"what do ya want for nothing?")
    assert got == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

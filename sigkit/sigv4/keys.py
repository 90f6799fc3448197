"""SigV4 signing keys, derived once per scope, with kSigning's HMAC pads kept ready.

A signing key is valid for one day, region and service, so a loop signing many requests
should derive it once. The last HMAC of every signature uses the same key: keeping the
SHA-256 states after its inner and outer pads (RFC 2104) leaves two short hashes per
signature, where a one-shot HMAC would set the key up again each time (about 1 µs more).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

_BLOCK = 64  # SHA-256 block size in bytes
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


class ScopeKey:
    """The key chain of one scope (bytes and hex, as the steps show it) and its signer."""

    __slots__ = ("_inner", "_outer", "chain", "hex_chain")

    def __init__(self, chain: tuple[bytes, bytes, bytes, bytes]) -> None:
        self.chain = chain
        self.hex_chain = tuple(k.hex() for k in chain)
        block = chain[3].ljust(_BLOCK, b"\0")  # kSigning is 32 bytes: padded, never hashed
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def sign(self, text: str) -> str:
        """Hex HMAC-SHA256 of `text` under kSigning."""
        inner = self._inner.copy()
        inner.update(text.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def derive_chain(secret: str, date: str, region: str, service: str) -> tuple[bytes, ...]:
    """kDate, kRegion, kService, kSigning (the SigV4 key derivation)."""
    k_date = hmac.digest(("AWS4" + secret).encode("utf-8"), date.encode(), "sha256")
    k_region = hmac.digest(k_date, region.encode(), "sha256")
    k_service = hmac.digest(k_region, service.encode(), "sha256")
    k_signing = hmac.digest(k_service, b"aws4_request", "sha256")
    return k_date, k_region, k_service, k_signing


@lru_cache(maxsize=64)
def scope_key(secret: str, date: str, region: str, service: str) -> ScopeKey:
    """The remembered key of one scope; `scope_key.cache_clear()` forgets every key."""
    k_date, k_region, k_service, k_signing = derive_chain(secret, date, region, service)
    return ScopeKey((k_date, k_region, k_service, k_signing))

"""HMAC with the key set up once: the hash states after its inner and outer pads (RFC 2104).

Signers use one key for many messages (kSigning for a day, a V2 secret for ever). A one-shot
``hmac.digest`` pads and hashes the key again on every call, which costs more than the HMAC
of a short string to sign; copying two prepared hash states costs little.
"""

from __future__ import annotations

import hashlib

_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


class HmacKey:
    """One key's prepared HMAC (`digest` of any message, thread-safe: states are copied)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes, hash_name: str) -> None:
        inner = hashlib.new(hash_name)
        block = inner.block_size
        if len(key) > block:
            key = hashlib.new(hash_name, key).digest()
        key = key.ljust(block, b"\0")
        inner.update(key.translate(_IPAD))
        self._inner = inner
        self._outer = hashlib.new(hash_name, key.translate(_OPAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

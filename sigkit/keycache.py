"""Every cache of key material, so that one call forgets them all.

Signers remember what they derive from a secret (a SigV4 scope's key chain and HMAC pads, a V2
secret's HMAC pads, a SigV4A private key and its step values), since deriving costs more than
signing. A program that rotates credentials, or wants a secret out of memory once it is done,
calls `forget_keys()`; each cache registers itself here when its module is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar


class _Clearable(Protocol):
    def cache_clear(self) -> None: ...


C = TypeVar("C", bound=_Clearable)
_CLEARS: list[Callable[[], None]] = []


def holds_keys(cache: C) -> C:
    """Register a `functools.lru_cache` that keeps key material (a decorator)."""
    _CLEARS.append(cache.cache_clear)
    return cache


def forget_keys() -> None:
    """Forget every remembered key, in every signer."""
    for clear in _CLEARS:
        clear()

"""SigV4 signing keys, derived once per scope, with kSigning's HMAC set up once.

A signing key is valid for one day, region and service, so a loop signing many requests
should derive it once, and the last HMAC of every signature in that scope uses the same key
(sigkit.hmackey: about 1 µs less per signature than a one-shot HMAC).
"""

from __future__ import annotations

import hmac
from functools import lru_cache

from sigkit.hmackey import HmacKey
from sigkit.keycache import holds_keys

_STEP_NAMES = ("k_date", "k_region", "k_service", "signing_key")


class ScopeKey:
    """The key chain of one scope (bytes and hex, as the steps show it) and its signer."""

    __slots__ = ("chain", "hmac", "scope", "steps")

    def __init__(self, scope: str, chain: tuple[bytes, bytes, bytes, bytes]) -> None:
        self.scope = scope  # <date>/<region>/<service>/aws4_request
        self.chain = chain
        self.steps = dict(zip(_STEP_NAMES, (k.hex() for k in chain), strict=True))
        self.hmac = HmacKey(chain[3], "sha256")  # kSigning, set up for the last HMAC


def derive_chain(secret: str, date: str, region: str, service: str) -> tuple[bytes, ...]:
    """kDate, kRegion, kService, kSigning (the SigV4 key derivation)."""
    k_date = hmac.digest(("AWS4" + secret).encode("utf-8"), date.encode(), "sha256")
    k_region = hmac.digest(k_date, region.encode(), "sha256")
    k_service = hmac.digest(k_region, service.encode(), "sha256")
    k_signing = hmac.digest(k_service, b"aws4_request", "sha256")
    return k_date, k_region, k_service, k_signing


@holds_keys
@lru_cache(maxsize=64)
def scope_key(secret: str, date: str, region: str, service: str) -> ScopeKey:
    """The remembered key of one scope (`sigkit.forget_keys()` forgets them)."""
    k_date, k_region, k_service, k_signing = derive_chain(secret, date, region, service)
    return ScopeKey(
        f"{date}/{region}/{service}/aws4_request", (k_date, k_region, k_service, k_signing)
    )

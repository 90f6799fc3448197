"""sigkit: AWS request signing with every intermediate step exposed.

The core (encoding, http, sigv4, sigv2) is pure: time, credentials and options are arguments.

The public names are imported on first use (PEP 562), so that importing any part of sigkit,
the command line's entry point included, does not load the whole core: `sigkit --help` stays
fast. `from sigkit import sign_v4` works as ever.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sigkit.credentials import Credentials
    from sigkit.errors import InputError, SigkitError, UnsupportedError, VerificationError
    from sigkit.http import Request, parse_request_text, serialize_request
    from sigkit.keycache import forget_keys
    from sigkit.result import SigningResult, Step
    from sigkit.sigv2 import S3V2Config, presign_v2, sign_v2, sign_v2_query, v2_rules
    from sigkit.sigv4 import (
        SigV4Config,
        presign_v4,
        presign_v4a,
        rules_for,
        sign_v4,
        sign_v4_query,
        sign_v4a,
        sign_v4a_query,
        verify_v4a,
    )

_WHERE = {
    "Credentials": "sigkit.credentials",
    "InputError": "sigkit.errors",
    "SigkitError": "sigkit.errors",
    "UnsupportedError": "sigkit.errors",
    "VerificationError": "sigkit.errors",
    "Request": "sigkit.http",
    "parse_request_text": "sigkit.http",
    "serialize_request": "sigkit.http",
    "SigningResult": "sigkit.result",
    "Step": "sigkit.result",
    "S3V2Config": "sigkit.sigv2",
    "presign_v2": "sigkit.sigv2",
    "sign_v2": "sigkit.sigv2",
    "sign_v2_query": "sigkit.sigv2",
    "v2_rules": "sigkit.sigv2",
    "rules_for": "sigkit.sigv4",
    "SigV4Config": "sigkit.sigv4",
    "presign_v4": "sigkit.sigv4",
    "presign_v4a": "sigkit.sigv4",
    "sign_v4": "sigkit.sigv4",
    "sign_v4_query": "sigkit.sigv4",
    "sign_v4a": "sigkit.sigv4",
    "sign_v4a_query": "sigkit.sigv4",
    "verify_v4a": "sigkit.sigv4",
    "forget_keys": "sigkit.keycache",
}

__all__ = [
    "Credentials",
    "InputError",
    "Request",
    "S3V2Config",
    "SigV4Config",
    "SigkitError",
    "SigningResult",
    "Step",
    "UnsupportedError",
    "VerificationError",
    "forget_keys",
    "parse_request_text",
    "presign_v2",
    "presign_v4",
    "presign_v4a",
    "rules_for",
    "serialize_request",
    "sign_v2",
    "sign_v2_query",
    "sign_v4",
    "sign_v4_query",
    "sign_v4a",
    "sign_v4a_query",
    "v2_rules",
    "verify_v4a",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sigkit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

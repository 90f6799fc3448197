"""AWS Signature Version 4 (HMAC-SHA256) and SigV4A (ECDSA P-256 over a region set), header
and query (presigned) variants."""

from sigkit.sigv4.config import (
    DEFAULT_UNSIGNED_HEADERS,
    EMPTY_SHA256,
    S3_SERVICES,
    UNSIGNED_PAYLOAD,
    SigV4Config,
    rules_for,
)
from sigkit.sigv4.signer import presign_v4, sign_v4, sign_v4_query, signing_key
from sigkit.sigv4.sigv4a import (
    derive_private_key,
    presign_v4a,
    public_key_from_xy,
    public_key_xy,
    region_set_value,
    sign_v4a,
    sign_v4a_query,
    verify_v4a,
)

__all__ = [
    "DEFAULT_UNSIGNED_HEADERS",
    "EMPTY_SHA256",
    "S3_SERVICES",
    "UNSIGNED_PAYLOAD",
    "SigV4Config",
    "derive_private_key",
    "presign_v4",
    "presign_v4a",
    "public_key_from_xy",
    "public_key_xy",
    "region_set_value",
    "rules_for",
    "sign_v4",
    "sign_v4_query",
    "sign_v4a",
    "sign_v4a_query",
    "signing_key",
    "verify_v4a",
]

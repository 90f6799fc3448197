"""AWS Signature Version 4 (HMAC-SHA256), header and query (presigned) variants."""

from sigkit.sigv4.config import (
    DEFAULT_UNSIGNED_HEADERS,
    EMPTY_SHA256,
    UNSIGNED_PAYLOAD,
    SigV4Config,
)
from sigkit.sigv4.signer import presign_v4, sign_v4, sign_v4_query, signing_key

__all__ = [
    "DEFAULT_UNSIGNED_HEADERS",
    "EMPTY_SHA256",
    "UNSIGNED_PAYLOAD",
    "SigV4Config",
    "presign_v4",
    "sign_v4",
    "sign_v4_query",
    "signing_key",
]

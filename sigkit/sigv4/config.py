"""How a SigV4 signature is made: one frozen config, fields named after what they change.

`SigV4Config.s3()` and `SigV4Config.generic()` are only named presets; the vector
`context.json` keys map one-to-one onto the fields (see `sigkit.vectors`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sigkit.errors import InputError

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_PAYLOADS = frozenset(
    {
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
    }
)

# Never signed, in either variant: hop-by-hop or rewritten by proxies and HTTP stacks
# (aws-c-auth's list). botocore's list differs slightly (it also skips keep-alive, te, trailer
# and proxy-*, and signs sec-websocket-*); tests/test_differential_botocore.py compares them.
# `authorization` carries the result itself.
DEFAULT_UNSIGNED_HEADERS = frozenset(
    {
        "authorization",
        "user-agent",
        "x-amzn-trace-id",
        "expect",
        "connection",
        "upgrade",
        "transfer-encoding",
        "sec-websocket-key",
        "sec-websocket-protocol",
        "sec-websocket-version",
    }
)

MAX_EXPIRES = 604800  # seven days: the longest X-Amz-Expires AWS accepts
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_SCOPE_PART = re.compile(r"[A-Za-z0-9._-]+\Z")


@dataclass(frozen=True, slots=True)
class SigV4Config:
    """Options of one SigV4 signature.

    - `normalize_path`: drop empty and ``.`` segments, resolve ``..`` (not for S3).
    - `double_uri_encode`: encode the path as sent once more (not for S3). When false, the path
      is decoded and re-encoded once, as an S3 server does with what it received.
    - `payload_hash`: None hashes the body (or takes the request's own ``x-amz-content-sha256``);
      otherwise the literal value: a hex digest, ``UNSIGNED-PAYLOAD`` or a ``STREAMING-*`` constant.
    - `content_sha256_header`: the header variant adds and signs ``x-amz-content-sha256``.
    - `unsigned_headers`: lower-case names left out of the signature (``host`` is always signed).
    - `omit_session_token`: send the token but leave it out of the signature (aws-c-auth).
    - `plus_as_space`: read a raw ``+`` in the query as a space, as AWS servers do.
    - `expires`: ``X-Amz-Expires`` of the query variant, 1..604800; None leaves it out.
    """

    region: str
    service: str
    normalize_path: bool = True
    double_uri_encode: bool = True
    payload_hash: str | None = None
    content_sha256_header: bool = False
    unsigned_headers: frozenset[str] = DEFAULT_UNSIGNED_HEADERS
    omit_session_token: bool = False
    plus_as_space: bool = True
    expires: int | None = 3600

    def __post_init__(self) -> None:
        for name, value in (("region", self.region), ("service", self.service)):
            if not value:
                raise InputError(name, f"missing {name}")
            if not _SCOPE_PART.match(value):
                raise InputError(name, f"{value!r} may hold only letters, digits, '.', '_' and '-'")
        if self.expires is not None and not 1 <= self.expires <= MAX_EXPIRES:
            raise InputError("expires", f"{self.expires} is out of range 1..{MAX_EXPIRES} seconds")
        if self.payload_hash is not None:
            check_payload_hash(self.payload_hash)

    @classmethod
    def s3(cls, region: str, **changes: object) -> SigV4Config:
        """S3's rules: the path signed as sent, the payload hash sent as a header."""
        options: dict[str, object] = {
            "normalize_path": False,
            "double_uri_encode": False,
            "content_sha256_header": True,
        }
        options.update(changes)
        return cls(region, "s3", **options)  # type: ignore[arg-type]

    @classmethod
    def generic(cls, region: str, service: str, **changes: object) -> SigV4Config:
        """Every other service: the path normalised and encoded once more."""
        return cls(region, service, **changes)  # type: ignore[arg-type]


def check_payload_hash(value: str) -> str:
    if value == UNSIGNED_PAYLOAD or value in STREAMING_PAYLOADS or _HEX64.match(value):
        return value
    raise InputError(
        "payload hash",
        f"{value!r} is neither a lower-case hex SHA-256, UNSIGNED-PAYLOAD nor a STREAMING-* value",
    )

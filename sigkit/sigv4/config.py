"""How a SigV4 signature is made: one frozen config, fields named after what they change.

`rules_for()` is the one place that decides which rules a service applies (S3's or the generic
ones, the payload line of each variant); `SigV4Config.s3()` is a named preset of it and
`SigV4Config.generic()` the generic rules under any service name. The vector `context.json`
keys map one-to-one onto the fields (see `sigkit.vectors`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

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

# The services signed with S3's rules: the S3 signing names botocore 1.43's S3 endpoint rules
# give (S3 Express One Zone, Outposts, Object Lambda), all signed by its S3SigV4Auth family
# (S3ExpressAuth for s3express) with double encoding disabled.
S3_SERVICES = frozenset({"s3", "s3express", "s3-outposts", "s3-object-lambda"})

# Where the session token goes: STS credentials in X-Amz-Security-Token; an S3 Express One
# Zone session (CreateSession) in X-Amz-S3session-Token, as header or query parameter, and
# never X-Amz-Security-Token (botocore 1.43's S3ExpressAuth and S3ExpressQueryAuth).
SECURITY_TOKEN = "X-Amz-Security-Token"
S3EXPRESS_SESSION_TOKEN = "X-Amz-S3session-Token"
SESSION_TOKEN_NAMES = frozenset({SECURITY_TOKEN.lower(), S3EXPRESS_SESSION_TOKEN.lower()})

Variant = Literal["header", "query"]
VARIANTS: tuple[Variant, ...] = ("header", "query")

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
    - `session_token_name`: the header and query parameter that carry the session token.
    - `plus_as_space`: read a raw ``+`` in the query as a space, as AWS servers do.
    - `expires`: ``X-Amz-Expires`` of the query variant, 1..`max_expires`; None leaves it out.
    - `max_expires`: the longest lifetime the server accepts: AWS's week by default; a store
      profile may allow more (Yandex Object Storage: 30 days).
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
    session_token_name: str = SECURITY_TOKEN
    max_expires: int = MAX_EXPIRES

    def __post_init__(self) -> None:
        for name, value in (("region", self.region), ("service", self.service)):
            if not value:
                raise InputError(name, f"missing {name}")
            if not _SCOPE_PART.match(value):
                raise InputError(name, f"{value!r} may hold only letters, digits, '.', '_' and '-'")
        if self.max_expires < 1:
            raise InputError("max_expires", f"{self.max_expires} is not a positive number")
        if self.expires is not None and not 1 <= self.expires <= self.max_expires:
            raise InputError(
                "expires", f"{self.expires} is out of range 1..{self.max_expires} seconds"
            )
        if self.payload_hash is not None:
            check_payload_hash(self.payload_hash)
        if self.session_token_name.lower() not in SESSION_TOKEN_NAMES:
            raise InputError(
                "session_token_name",
                f"{self.session_token_name!r} is not {SECURITY_TOKEN} or {S3EXPRESS_SESSION_TOKEN}",
            )

    @classmethod
    def s3(cls, region: str, **changes: object) -> SigV4Config:
        """S3's rules (header variant): the path signed as sent, the payload hash sent as a
        header. The same as ``rules_for("s3", region, **changes)``."""
        return rules_for("s3", region, **changes)  # type: ignore[arg-type]

    @classmethod
    def generic(cls, region: str, service: str, **changes: object) -> SigV4Config:
        """The generic rules: the path normalised and encoded once more, whatever `service`
        is named (`rules_for` picks S3's rules for an S3 service)."""
        return cls(region, service, **changes)  # type: ignore[arg-type]


def is_s3(service: str) -> bool:
    """Whether `service` is signed with S3's rules (`S3_SERVICES`)."""
    return service in S3_SERVICES


def session_token_name(service: str) -> str:
    """The header and query parameter that carry `service`'s session token."""
    return S3EXPRESS_SESSION_TOKEN if service == "s3express" else SECURITY_TOKEN


def rules_for(
    service: str,
    region: str,
    *,
    variant: Variant = "header",
    payload: str | None = None,
    content_sha256_sent: bool = False,
    **changes: object,
) -> SigV4Config:
    """The SigV4 config a `service` applies to the `variant` ("header" or "query", that is a
    presigned URL). Every signer, command, the verifier and the debugger take it from here.

    - S3 and its family (`S3_SERVICES`): the path is signed as sent, encoded once and never
      normalised; the header variant sends and signs ``x-amz-content-sha256``; a presigned URL
      signs ``UNSIGNED-PAYLOAD`` unless a `payload` is chosen or the request carries its own
      ``x-amz-content-sha256`` (`content_sha256_sent`: the payload line is then that header's).
    - S3 Express One Zone (``s3express``) sends the session token as ``X-Amz-S3session-Token``
      (`session_token_name`).
    - Every other service: the path is normalised and encoded once more; the body is hashed
      (or the request's own ``x-amz-content-sha256`` taken) in both variants. A chosen payload
      line the server cannot compute from the body (``UNSIGNED-PAYLOAD``, ``STREAMING-*``) is
      sent as ``x-amz-content-sha256`` in the header variant, as botocore's SigV4Auth does.

    `payload` is the payload line chosen by the caller (a hex SHA-256, ``UNSIGNED-PAYLOAD`` or a
    ``STREAMING-*`` value), None for the service's default. `changes` set any other
    `SigV4Config` field (``expires``, ``unsigned_headers``, ...) and win over the rules above.
    Addressing (virtual-hosted or path style) changes nothing in SigV4: the host and path are
    signed as sent either way.
    """
    if variant not in VARIANTS:
        raise InputError("variant", f"{variant!r} is not 'header' or 'query'")
    options: dict[str, object] = {}
    if session_token_name(service) != SECURITY_TOKEN:
        options["session_token_name"] = session_token_name(service)
    if is_s3(service):
        options.update(normalize_path=False, double_uri_encode=False, content_sha256_header=True)
        if variant == "query" and payload is None and not content_sha256_sent:
            payload = UNSIGNED_PAYLOAD
    elif payload is not None and not _HEX64.match(payload):
        options["content_sha256_header"] = True
    if payload is not None:
        options["payload_hash"] = payload
    options.update(changes)
    return SigV4Config(region, service, **options)  # type: ignore[arg-type]


def check_payload_hash(value: str) -> str:
    if value == UNSIGNED_PAYLOAD or value in STREAMING_PAYLOADS or _HEX64.match(value):
        return value
    raise InputError(
        "payload hash",
        f"{value!r} is neither a lower-case hex SHA-256, UNSIGNED-PAYLOAD nor a STREAMING-* value",
    )

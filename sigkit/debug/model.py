"""What a reader extracts from one source (a log, an error body, a trace): the shared shape
that compare and diagnose work on, whatever the source was."""

from __future__ import annotations

from dataclasses import dataclass, field

from sigkit.http import Request

# Stable cause ids (issue 4); add new ones, never rename one.
CAUSES = (
    "wrong-secret",
    "secret-whitespace",
    "unsigned-header",
    "header-changed",
    "content-type-md5",
    "query-encoding",
    "path-encoding",
    "query-order",
    "empty-query-value",
    "query-not-sent",
    "host-port",
    "addressing-style",
    "region",
    "service",
    "clock-skew",
    "expired",
    "scope-date",
    "payload-hash",
    "session-token",
    "v2-subresource",
    "signature-version",
    "body-changed",
    "method",
    "v2-date",
)


@dataclass(frozen=True)
class Observation:
    """One signed request as one party saw it. Every field is optional: sources differ in what
    they show. Text fields are exactly as the source printed them (after undoing the source's
    own formatting, e.g. XML escaping or a log's indentation)."""

    source: str  # e.g. "awscli-debug", "s3-error", "curl-verbose", "curl-trace", "raw-http", "url"
    party: str  # "client" (what was signed and sent) or "server" (what the server computed)
    request: Request | None = None
    algorithm: str | None = None  # "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", "AWS" (V2) ...
    canonical_request: str | None = None
    string_to_sign: str | None = None
    signature: str | None = None  # the signature this party computed or sent
    signature_provided: str | None = None  # server error bodies: what the client sent
    access_key_id: str | None = None
    credential_scope: str | None = None
    signed_headers: str | None = None
    amz_date: str | None = None
    error_code: str | None = None  # e.g. "SignatureDoesNotMatch"
    error_message: str | None = None
    details: dict[str, str] = field(default_factory=dict)  # anything else worth showing
    where: str = ""  # e.g. "request 2 of 3 in the log, line 120"


@dataclass(frozen=True)
class Finding:
    """One diagnosed cause: a stable id, the evidence that points at it, and what to do."""

    cause: str
    evidence: str
    fix: str
    certain: bool = False  # True when a recomputation reproduced the observed signature

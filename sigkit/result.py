"""What a signer returns: every intermediate value as named data, in order.

Render, curl building, compare and diagnose read these steps; none of them recomputes
signing logic. Steps are built on first access so the hot path pays only for the values.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass

from sigkit.encoding import parse_query
from sigkit.http import Request, serialize_request

BODY_PREVIEW_LIMIT = 4096
# Where a session token travels: STS's header/parameter and S3 Express One Zone's.
_TOKEN_NAMES = ("x-amz-security-token", "x-amz-s3session-token")


def sensitive_values(
    request: Request, session_token: str | None, index: Container[str] | None = None
) -> tuple[str, ...]:
    """Session tokens a result may show: the credentials', and any the request carries as a
    header or query parameter. Renderers mask them unless asked not to.

    `index` (the request's lower-case header names, as `first_values()` or `header_groups()`
    give them) lets a request with no token anywhere skip the search."""
    if (
        session_token is None
        and index is not None
        and all(name not in index for name in _TOKEN_NAMES)
        and not request.query
    ):
        return ()
    tokens = {session_token or ""}
    for name in _TOKEN_NAMES:
        tokens.update(v.strip() for v in request.header_values(name))
    tokens.update(v or "" for n, v in parse_query(request.query or "") if n.lower() in _TOKEN_NAMES)
    return tuple(sorted(t for t in tokens if t))


def describe_request(request: Request) -> str:
    """The signed request for reading: the head exactly, the body only when short text.

    A stream or a large or binary body is summarised rather than read (it may be gigabytes).
    """
    body = request.body
    head = serialize_request(request.with_body(None)).decode("utf-8", "replace")
    if body is None or body == b"":
        return head
    if isinstance(body, bytes) and len(body) <= BODY_PREVIEW_LIMIT:
        try:
            return head + body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    size = f"{len(body)} bytes" if isinstance(body, bytes) else "streamed body"
    return head + f"[{size} not shown]"


# name -> (label, holds key material)
STEP_INFO: dict[str, tuple[str, bool]] = {
    "canonical_uri": ("Canonical URI", False),
    "canonical_query": ("Canonical query string", False),
    "canonical_headers": ("Canonical headers", False),
    "signed_headers": ("Signed headers", False),
    "payload_hash": ("Payload hash", False),
    "canonical_request": ("Canonical request", False),
    "canonical_request_hash": ("Hash of the canonical request (SHA-256)", False),
    "credential_scope": ("Credential scope", False),
    "string_to_sign": ("String to sign", False),
    "k_date": ('kDate = HMAC("AWS4" + secret, date)', True),
    "k_region": ("kRegion = HMAC(kDate, region)", True),
    "k_service": ("kService = HMAC(kRegion, service)", True),
    "signing_key": ('kSigning = HMAC(kService, "aws4_request")', True),
    "region_set": ("Region set (X-Amz-Region-Set)", False),
    "private_key": ("ECDSA P-256 private key d, derived from the access key and secret", True),
    "public_key": ("ECDSA P-256 public key (X, Y)", False),
    "content_md5": ("Content-MD5 line", False),
    "content_type": ("Content-Type line", False),
    "date_line": ("Date line", False),
    "amz_headers": ("Canonicalized x-amz-* headers", False),
    "canonical_resource": ("Canonicalized resource", False),
    "signature": ("Signature", False),
    "authorization": ("Authorization header", False),
    "headers_added": ("Headers added", False),
    "query_added": ("Query parameters added", False),
    "url": ("URL", False),
    "policy_document": ("POST policy document (JSON)", False),
    "policy_base64": ("POST policy, base64 (the Policy field)", False),
    "form_fields": ("Form fields, in order (the file goes last)", False),
    "signed_request": ("Signed request", False),
}


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    value: str
    label: str
    secret: bool = False
    notes: tuple[str, ...] = ()


class SigningResult(Mapping[str, str]):
    """Ordered, read-only steps of one signature plus the signed request.

    Behaves as a mapping from step name to value; `steps` gives labels, notes and whether a
    value is key material (renderers mask those unless asked). The last steps (the headers
    added, the URL, the signed request) are written out from the request only when read: a
    loop that keeps only the signed request never pays for them.
    """

    __slots__ = ("_added", "_notes", "_values", "algorithm", "request", "sensitive", "variant")

    def __init__(
        self,
        algorithm: str,
        variant: str,
        values: dict[str, str],
        request: Request,
        notes: dict[str, list[str]] | None = None,
        sensitive: tuple[str, ...] = (),
        added: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.algorithm = algorithm
        self.sensitive = sensitive  # values shown only on request (session tokens)
        self.variant = variant
        self.request = request
        self._values = values
        self._notes = notes or {}
        self._added = added  # headers the signer added, for "headers_added"

    def __getitem__(self, name: str) -> str:
        value = self._values.get(name)
        if value is not None:
            return value
        if name == "headers_added" and self._added:
            return "".join([f"{n}: {v}\n" for n, v in self._added])
        if name == "url" and self.variant == "query":
            return self.request.url
        if name == "signed_request":
            return describe_request(self.request)
        raise KeyError(name)

    def _derived(self) -> tuple[str, ...]:
        names: tuple[str, ...] = ("headers_added",) if self._added else ()
        if self.variant == "query":
            names += ("url",)
        return (*names, "signed_request")

    def __iter__(self) -> Iterator[str]:
        yield from self._values
        yield from self._derived()

    def __len__(self) -> int:
        return len(self._values) + len(self._derived())

    @property
    def signature(self) -> str:
        return self._values["signature"]

    @property
    def notes(self) -> dict[str, tuple[str, ...]]:
        return {name: tuple(notes) for name, notes in self._notes.items()}

    @property
    def steps(self) -> tuple[Step, ...]:
        out = []
        for name in self:
            label, secret = STEP_INFO.get(name, (name, False))
            out.append(Step(name, self[name], label, secret, tuple(self._notes.get(name, ()))))
        return tuple(out)

    def __repr__(self) -> str:
        return f"<SigningResult {self.algorithm} {self.variant} signature={self.signature}>"

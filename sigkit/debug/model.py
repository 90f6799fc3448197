"""What a reader extracts from one source (a log, an error body, a trace): the shared shape
that compare and diagnose work on, whatever the source was."""

from __future__ import annotations

from dataclasses import dataclass, field

from sigkit.debug import causes
from sigkit.debug.causes import IDS as CAUSES  # the registry's ids, re-exported
from sigkit.http import Request


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
    # The answer, where the source shows it (a response line, a log's response records):
    status: int | None = None  # HTTP status the server answered with
    response_headers: tuple[tuple[str, str], ...] = ()  # as received, e.g. ("Date", "...")
    logged_at: str | None = None  # the source's own timestamp of this record, as printed
    # Pairing within one source: the k-th request the source shows, and which try it was.
    # A "server" observation with exchange k answers the "client" observation with exchange k.
    exchange: int | None = None
    attempt: int | None = None  # 1 for the first try, 2 for the first retry ...
    where: str = ""  # e.g. "request 2 of 3 in the log, line 120"

    def __repr__(self) -> str:
        """Where it came from only: its request and steps may hold a session token."""
        where = f", where={self.where!r}" if self.where else ""
        return f"Observation(source={self.source!r}, party={self.party!r}{where})"


@dataclass(frozen=True)
class Finding:
    """One diagnosed cause: a registered id, the evidence that points at it and whether a
    recomputation made it certain. Title and fix come from the registry, never from here."""

    cause: str
    evidence: str
    certain: bool = False  # True when a recomputation or the server's own answer proves it
    # How the fix applies here, when it depends on what the sources show (the checksum causes:
    # the SDK read from the User-Agent and its exact setting, from sigkit.debug.sdks).
    detail: str = ""

    def __post_init__(self) -> None:
        if self.cause not in CAUSES:
            raise ValueError(f"cause {self.cause!r} is not declared in sigkit.debug.causes")

    @property
    def fix(self) -> str:
        return causes.fix(self.cause)

    @property
    def title(self) -> str:
        return causes.get(self.cause).title

    def to_dict(self) -> dict[str, object]:
        """The finding as JSON; "detail" only when there is one (older readers see no change)."""
        data: dict[str, object] = {
            "cause": self.cause,
            "title": self.title,
            "evidence": self.evidence,
            "fix": self.fix,
            "certain": self.certain,
        }
        if self.detail:
            data["detail"] = self.detail
        return data

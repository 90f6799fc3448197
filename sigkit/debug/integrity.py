"""What a request of the checksum era shows, and the findings that follow from it.

Since January 2025 the AWS SDKs send a CRC32 on every request that supports one: as headers
(x-amz-sdk-checksum-algorithm, x-amz-checksum-crc32) over HTTP, and over TLS as an aws-chunked
body with a trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER, Content-Encoding: aws-chunked,
x-amz-trailer, x-amz-decoded-content-length, Transfer-Encoding: chunked). Many S3-compatible
stores refuse one or the other, and their answers rarely say why.

This module reads those traits from the request as sent (`shape_of`), a stored object's bytes
(`framing_of`) and the store's profile, and turns what the server answered into findings through
the registry (`causes.from_answer` with the traits the request shows). Each finding carries, as
its `detail`, the SDK read from the User-Agent and that SDK's exact setting (`sdks`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

from sigkit.debug import causes, sdks
from sigkit.debug.model import Finding, Observation
from sigkit.encoding import parse_query
from sigkit.errors import InputError
from sigkit.http import Request

# The traits `causes.Cause.given` may name.
TRAITS = (
    "checksum-header",  # x-amz-checksum-* / x-amz-sdk-checksum-algorithm / a checksum trailer
    "aws-chunked",  # Content-Encoding aws-chunked, a STREAMING-* payload, x-amz-trailer
    "crc-without-md5",  # a checksum header and no Content-MD5
    "presigned-checksum",  # a presigned checksum that the body sent does not hash to
    "length-missing",  # a body streamed without Content-Length
    "length-with-chunked",  # Content-Length beside Transfer-Encoding: chunked
)
CHECKSUM_CAUSES = frozenset(
    {
        "checksum-unsupported",
        "aws-chunked-unsupported",
        "content-md5-required",
        "presigned-checksum",
        "content-length-chunked",
        "chunked-framing-stored",
    }
)

def _digest(algorithm: str, body: bytes) -> str | None:
    """The checksum of `body` as S3 writes it (`sigkit.checksums`); None for a name that is
    no S3 checksum algorithm."""
    from sigkit import checksums

    if algorithm not in checksums.ALGORITHMS:
        return None
    return checksums.value(algorithm, body)


def _empty(algorithm: str) -> str | None:
    """The checksum of an empty body (``AAAAAA==`` for CRC32), what a URL presigned without
    its body binds."""
    return _digest(algorithm, b"")


@dataclass(frozen=True)
class Shape:
    """The checksum-era traits of one request, as sent."""

    checksum_headers: tuple[str, ...] = ()  # names, as sent
    trailer: str | None = None
    aws_chunked: tuple[str, ...] = ()  # what shows it: 'Content-Encoding: aws-chunked' ...
    transfer_chunked: bool = False
    content_length: str | None = None
    content_md5: bool = False
    presigned: tuple[tuple[str, str, str], ...] = ()  # (parameter, value, why it is wrong)
    framing: str | None = None  # aws-chunked framing in a body nothing announces
    user_agent: str | None = None
    traits: frozenset[str] = field(default_factory=frozenset)
    # (parameter, value): a presigned URL bound to the empty body's checksum, no body in view
    empty_bound: tuple[tuple[str, str], ...] = ()

    def sdk(self) -> sdks.Fingerprint | None:
        return sdks.fingerprint(self.user_agent)


_FRAME = re.compile(rb"([0-9a-fA-F]{1,16})(;chunk-signature=[0-9a-fA-F]{64})?\r\n")
# Printed text (curl -v's stdout pasted, a terminal's copy) has lost its CRs.
_PRINTED_FRAME = re.compile(rb"([0-9a-fA-F]{1,16})(;chunk-signature=[0-9a-fA-F]{64})?\r?\n")


def framing_of(body: bytes | None, *, printed: bool = False) -> str | None:
    """How `body` shows aws-chunked framing (a chunk-size line, with or without
    ';chunk-signature=', then that many bytes and CR LF), or None. A bare hex line counts only
    when the chunk it announces is followed by CR LF where the framing puts it. `printed` reads
    text whose CRs were lost on the way (curl -v output pasted): LF stands for CR LF, and a bare
    chunk-size line then counts only when the chunks lead to the final 0-size chunk."""
    if not body:
        return None
    frame = _PRINTED_FRAME if printed else _FRAME
    match = frame.match(body)
    if match is None:
        return None
    size = int(match.group(1), 16)
    start = match.end()
    line = match.group(0).rstrip(b"\r\n").decode("ascii")
    if match.group(2):
        return f"it begins with the chunk line {line[:40]}…"
    if printed:
        return _printed_chunks(body, line, size)
    end = start + size
    closed = body[end : end + 2] == b"\r\n"
    if not closed or len(body) < end + 2:
        return None
    rest = body[end + 2 :]
    if rest and _FRAME.match(rest) is None:
        return None
    return f"it begins with the chunk-size line {line!r} and a {size}-byte chunk closed by CR LF"


def _printed_chunks(body: bytes, line: str, first: int) -> str | None:
    """Walk LF-ended chunks from the start of `body` to the final 0-size chunk (a hex word
    alone on a first line is common text; the whole framing is not)."""
    at = 0
    for _ in range(10_000):
        match = _PRINTED_FRAME.match(body, at)
        if match is None:
            return None
        size = int(match.group(1), 16)
        if size == 0:
            if at == 0:
                return None
            return (
                f"it begins with the chunk-size line {line!r} and a {first}-byte chunk, and its "
                "chunks end with the final 0-size chunk (line ends as printed)"
            )
        end = match.end() + size
        if body[end : end + 1] == b"\n":
            at = end + 1
        elif body[end : end + 2] == b"\r\n":
            at = end + 2
        else:
            return None
    return None


def _value(request: Request, name: str) -> str | None:
    value = request.header(name)
    return value.strip() if value is not None else None


def shape_of(request: Request) -> Shape:
    """The traits `request` shows (header names are matched without regard to case)."""
    names = [n for n, _ in request.headers]
    lower = {n.lower() for n in names}
    checksum = tuple(
        n
        for n in names
        if n.lower().startswith("x-amz-checksum-") or n.lower() == "x-amz-sdk-checksum-algorithm"
    )
    trailer = _value(request, "x-amz-trailer")
    chunked_by: list[str] = []
    encoding = (_value(request, "content-encoding") or "").lower()
    if "aws-chunked" in encoding:
        chunked_by.append("Content-Encoding: aws-chunked")
    payload = _value(request, "x-amz-content-sha256") or ""
    if payload.upper().startswith("STREAMING-"):
        chunked_by.append(f"x-amz-content-sha256: {payload}")
    if trailer:
        chunked_by.append(f"x-amz-trailer: {trailer}")
    if "x-amz-decoded-content-length" in lower:
        chunked_by.append(
            f"x-amz-decoded-content-length: {_value(request, 'x-amz-decoded-content-length')}"
        )
    transfer = "chunked" in (_value(request, "transfer-encoding") or "").lower()
    length = _value(request, "content-length")
    body = request.body if isinstance(request.body, bytes) else None
    presigned = _presigned_checksums(request, body, length)
    framing = framing_of(body) if body and not chunked_by else None
    unsized = not presigned and not body and not (length and length.strip() not in ("", "0"))
    empty_bound = _empty_bound(request) if unsized else ()
    traits = set()
    if checksum or (trailer and "checksum" in trailer.lower()):
        traits.add("checksum-header")
    if chunked_by:
        traits.add("aws-chunked")
    if checksum and "content-md5" not in lower:
        traits.add("crc-without-md5")
    if presigned or empty_bound:
        traits.add("presigned-checksum")
    if length is None and request.method in ("PUT", "POST") and (transfer or chunked_by):
        traits.add("length-missing")
    if length is not None and transfer:
        traits.add("length-with-chunked")
    return Shape(
        checksum,
        trailer,
        tuple(chunked_by),
        transfer,
        length,
        "content-md5" in lower,
        presigned,
        framing,
        " ".join(
            v for v in (_value(request, "user-agent"), _value(request, "x-amz-user-agent")) if v
        )
        or None,
        frozenset(traits),
        empty_bound,
    )


def _empty_bound(request: Request) -> tuple[tuple[str, str], ...]:
    """Checksum parameters of a presigned URL that bind the empty body's checksum (a URL
    presigned by a 2025 SDK for an upload whose body it did not have): with no body in view,
    every non-empty upload through it is refused."""
    query = parse_query(request.query or "")
    if not any(n in ("X-Amz-Signature", "X-Amz-Credential") for n, _ in query):
        return ()
    found = []
    for name, value in query:
        low = name.lower()
        if low.startswith("x-amz-checksum-") and value:
            plain = unquote(value)
            if plain == _empty(low.removeprefix("x-amz-checksum-")):
                found.append((name, plain))
    return tuple(found)


def _presigned_checksums(
    request: Request, body: bytes | None, length: str | None
) -> tuple[tuple[str, str, str], ...]:
    """Checksum parameters a presigned URL signs that the body sent cannot match."""
    query = parse_query(request.query or "")
    if not any(n in ("X-Amz-Signature", "X-Amz-Credential") for n, _ in query):
        return ()
    sized = bool(body) or bool(length and length.strip() not in ("", "0"))
    found = []
    # The query form (JS v3's presigner) and the signed-header form (botocore's: the uploader
    # must send the header the URL signs) bind the same value.
    bound = [*query, *((n, v) for n, v in request.headers if n.lower().startswith("x-amz-"))]
    for name, value in bound:
        low = name.lower()
        if not low.startswith("x-amz-checksum-") or not value:
            continue
        algorithm = low.removeprefix("x-amz-checksum-")
        plain = unquote(value)
        if algorithm == "mode" or algorithm == "type":
            continue
        if body:
            actual = _digest(algorithm, body)
            if actual is not None and actual != plain:
                what = "the empty body's checksum" if plain == _empty(algorithm) else plain
                found.append((name, plain, f"{what}, while the body sent hashes to {actual}"))
                continue
        if sized and plain == _empty(algorithm) and not (body and _digest(algorithm, body)):
            size = len(body) if body else length
            found.append((name, plain, f"the empty body's checksum, for a {size}-byte body"))
    return tuple(found)


# -- the findings ------------------------------------------------------------------------------
@dataclass
class Reading:
    """What the checksum era explains about one exchange."""

    findings: list[Finding] = field(default_factory=list)
    superseded: set[str] = field(default_factory=set)  # causes an answer no longer points at
    # causes the answer names but, with the request not in view, only as likely: the same
    # answer means a checksum cause for a 2025 SDK's request (XAmzContentSHA256Mismatch alone)
    doubted: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)


def advice(shape: Shape | None, cause: str = "") -> str:
    """The detail line of a finding: the SDK read from the User-Agent and its setting."""
    found = shape.sdk() if shape is not None else None
    return found.advice(cause) if found is not None else sdks.generic_advice(cause)


def _shown(shape: Shape) -> str:
    parts = list(shape.aws_chunked)
    if shape.checksum_headers:
        parts.append(", ".join(shape.checksum_headers))
    if shape.transfer_chunked:
        parts.append("Transfer-Encoding: chunked")
    parts.append(
        f"Content-Length: {shape.content_length}" if shape.content_length else "no Content-Length"
    )
    return "; ".join(parts)


def read(
    request: Request | None,
    answers: Sequence[Observation],
    observations: Sequence[Observation] = (),
    *,
    store: Any = None,
    refused: bool = False,
    verified: bool | None = None,
    accepted: bool = False,
) -> Reading:
    """Findings for the checksum-era causes from the request as sent, the server's answers (the
    refusals of this exchange), every observation that shows a stored object, and the store's
    profile (`sigkit.stores.Store`, or None)."""
    out = Reading()
    shape = shape_of(request) if request is not None else None
    detail = advice(shape)
    traits = shape.traits if shape is not None else None
    for obs in observations:
        framing = obs.details.get("StoredFraming")
        if framing:
            out.findings.append(
                Finding(
                    "chunked-framing-stored",
                    f"the object as the store returned it ({obs.source}, {obs.where}): {framing}",
                    certain=True,
                    detail=detail,
                )
            )
    for ans in answers:
        _answer(ans, shape, traits, detail, out, store, verified)
    if shape is not None:
        _request_only(shape, detail, out, refused)
        if store is not None and request is not None:
            _store(shape, request, detail, out, store, answers, accepted)
    md5 = advice(shape, "content-md5-required")
    out.findings = [
        replace(f, detail=md5) if f.cause == "content-md5-required" else f for f in out.findings
    ]
    return out


def _said(ans: Observation) -> str:
    what = " ".join(str(x) for x in (ans.status, ans.error_code) if x) or "a refusal"
    message = (ans.error_message or "").strip()
    return f"the server answered {what}" + (f": {message}" if message else "")


def _header_cause(ans: Observation) -> str | None:
    """The checksum cause of the header an answer names as the one it refuses (S3's
    NotImplemented 'A header you provided implies functionality that is not implemented' carries
    <Header>Transfer-Encoding</Header>), or None."""
    header = str(ans.details.get("Header") or ans.details.get("HeaderName") or "").strip().lower()
    if not header or not (ans.error_code or "").startswith(("NotImplemented", "InvalidArgument")):
        return None
    if header == "transfer-encoding":
        return "content-length-chunked"
    if header.startswith("x-amz-checksum-") or header == "x-amz-sdk-checksum-algorithm":
        return "checksum-unsupported"
    if header in ("x-amz-trailer", "content-encoding", "x-amz-decoded-content-length"):
        return "aws-chunked-unsupported"
    return None


def _digest_sent(ans: Observation) -> bool:
    """Whether the answer quotes the x-amz-content-sha256 the client sent as a hex digest (S3's
    ClientComputedContentSHA256): then the body was not aws-chunked."""
    sent = str(ans.details.get("ClientComputedContentSHA256") or "").strip().lower()
    return re.fullmatch(r"[0-9a-f]{64}", sent) is not None


def _answer(
    ans: Observation,
    shape: Shape | None,
    traits: frozenset[str] | None,
    detail: str,
    out: Reading,
    store: Any,
    verified: bool | None,
) -> None:
    code, message = ans.error_code or "", ans.error_message or ""
    said = _said(ans)
    plain = {c.id for c in causes.from_answer(code, message)}
    # What the answer's own words name comes first; only when they name no checksum cause does
    # the request's shape decide (a NotImplemented to a trailer upload ...).
    named = [c for c in causes.from_answer(code, message) if c.id in CHECKSUM_CAUSES] or [
        c for c in causes.from_answer(code, message, traits) if c.id in CHECKSUM_CAUSES
    ]
    by_header = _header_cause(ans)
    if by_header is not None:
        # The answer names the header it refuses (S3's <Header>): that header's cause alone.
        named = [causes.get(by_header)]
        header = ans.details.get("Header") or ans.details.get("HeaderName")
        said += f" (the header it names: {header})"
    if ans.status == 411 and not code:
        named.append(causes.get("content-length-chunked"))
    if named:
        # The answer's text or the request says which checksum cause it is: the reading of the
        # same code as a body changed after signing is withdrawn.
        out.superseded |= plain & {"body-changed"}
    for cause in named:
        evidence = said
        if cause.id not in plain and shape is not None:
            evidence = f"{said}; the request shows {_shown(shape)}"
        elif shape is not None:
            evidence = f"the request shows {_shown(shape)}"
        out.findings.append(Finding(cause.id, evidence, certain=True, detail=detail))
    other_header = by_header is None and bool(ans.details.get("Header"))
    if traits is None and not named and not other_header:
        for cause, trait in causes.maybe_from_answer(code, message):
            if trait == "aws-chunked" and _digest_sent(ans):
                continue  # the client sent a body digest, not a STREAMING-* payload
            out.doubted |= plain & {"body-changed"}
            out.findings.append(
                Finding(
                    cause.id,
                    f"{said}: that answer means {cause.id} when the request shows {trait} "
                    "(a 2025 SDK's default), which no source here shows",
                    detail=detail,
                )
            )
            out.needs.append(
                "the request as sent (the client's --debug log, curl -v output) to tell "
                f"{cause.id} from the other causes of {code or ans.status}"
            )
    elif (
        shape is not None
        and "aws-chunked" in shape.traits
        and code in ("SignatureDoesNotMatch", "AccessDenied", "NotImplemented", "BadRequest", "")
        and not named
        and not other_header
        and verified is not False
    ):
        out.findings.append(
            Finding(
                "aws-chunked-unsupported",
                f"{said} to a request that shows {_shown(shape)}: stores without trailer "
                "support (lakeFS, SeaweedFS before 2025) refuse it with this answer",
                detail=detail,
            )
        )
    if store is not None and shape is None:
        # No request in view: the store's profile says what this answer of it means, as likely
        # (with the request, `_store` reads which refusal it meets).
        for cause_id, refusal in (getattr(store, "refusals", {}) or {}).items():
            if cause_id in CHECKSUM_CAUSES and refusal.code and refusal.code == code and (
                ans.status is None or refusal.status == ans.status
            ):
                name = getattr(store, "title", None) or getattr(store, "name", "the store")
                out.findings.append(
                    Finding(
                        cause_id,
                        f"{said}: {name} answers {cause_id} so (its profile)",
                        certain=bool(named) and cause_id in {c.id for c in named},
                        detail=detail,
                    )
                )


def _request_only(shape: Shape, detail: str, out: Reading, refused: bool) -> None:
    """What the request shows on its own, refused or not."""
    for name, value, why in shape.presigned:
        out.findings.append(
            Finding(
                "presigned-checksum",
                f"the presigned URL signs {name}={value}: {why}; S3 refuses such an upload "
                "(BadDigest)",
                certain=True,
                detail=detail,
            )
        )
    for name, value in shape.empty_bound:
        out.findings.append(
            Finding(
                "presigned-checksum",
                f"the presigned URL signs {name}={value}, the empty body's checksum: the SDK "
                "presigned it without the body, so any non-empty upload through it is refused "
                "(S3: BadDigest)",
                certain=refused,
                detail=detail,
            )
        )
    if shape.framing:
        out.findings.append(
            Finding(
                "chunked-framing-stored",
                f"the body carries aws-chunked framing ({shape.framing}) but nothing announces "
                "it (no Content-Encoding: aws-chunked, no STREAMING-* x-amz-content-sha256): "
                "a store keeps those bytes as the object",
                certain=refused,
                detail=detail,
            )
        )
    if "length-with-chunked" in shape.traits:
        out.findings.append(
            Finding(
                "content-length-chunked",
                f"the request sends Content-Length: {shape.content_length} and "
                "Transfer-Encoding: chunked together, which HTTP/1.1 forbids (RFC 9112 6.3): "
                "a server or proxy refuses or misreads the body",
                certain=refused,
                detail=detail,
            )
        )


def _store(
    shape: Shape,
    request: Request,
    detail: str,
    out: Reading,
    store: Any,
    answers: Sequence[Observation],
    accepted: bool = False,
) -> None:
    """The store's profile against the request: the refusal it meets (`stores.refused`, the one
    home of that rule). Certain when the server answered that refusal's code, or when no answer
    is in view (the request as a server received it: the profile is the store's published
    answer); likely beside another answer; only a note when the server accepted the request
    (the store may have changed since the profile's source)."""
    from sigkit import stores

    body = request.body if isinstance(request.body, bytes) else None

    def body_checksum(algorithm: str) -> str:
        from sigkit import checksums

        if body is None or "aws-chunked" in shape.traits:
            raise ValueError("the body as sent is not in view")
        return checksums.value(algorithm, body)

    name = getattr(store, "title", None) or getattr(store, "name", "the store")
    if getattr(store, "stores_chunked_framing", None) and "aws-chunked" in shape.traits:
        out.findings.append(
            Finding(
                "chunked-framing-stored",
                f"{name} keeps an aws-chunked body as sent, framing and all (store profile "
                f"{getattr(store, 'name', name)}); the request shows {_shown(shape)}",
                certain=True,
                detail=detail,
            )
        )
    found = stores.refused(store, request, body_checksum=body_checksum)
    if found is None:
        return
    if accepted:
        out.notes.append(
            f"the {getattr(store, 'name', name)} profile says {name} refuses this request "
            f"({found.cause}), but the server accepted it: the store may have changed since"
        )
        return
    codes = {a.error_code for a in answers if a.error_code}
    statuses = {a.status for a in answers if a.status}
    code = found.refusal.code
    certain = not answers or code in codes or (not code and found.refusal.status in statuses)
    said = f"{found.evidence} (store profile {getattr(store, 'name', name)})"
    if answers and not certain:
        said += f"; it answers {found.refusal.status} {code} to that, not what was answered here"
    out.findings.append(Finding(found.cause, said, certain=certain, detail=detail))


def resolve_store(store: Any, host: str | None) -> Any:
    """The store profile: one given (a `sigkit.stores.Store` or its name), else the one the
    endpoint's host is recognised as; None when sigkit.stores is not there or knows neither."""
    try:
        import importlib

        module = importlib.import_module("sigkit.stores")
    except ImportError:
        if isinstance(store, str):
            raise InputError("--store", "this sigkit has no store profiles") from None
        return None
    if isinstance(store, str):
        try:
            return module.get(store)
        except LookupError:
            known = ", ".join(getattr(module, "NAMES", ())) or "see docs/stores.md"
            raise InputError("--store", f"{store!r} is not a known store ({known})") from None
    if store is not None:
        return store
    if host:
        from_host = getattr(module, "from_host", None)
        return from_host(host) if from_host is not None else None
    return None

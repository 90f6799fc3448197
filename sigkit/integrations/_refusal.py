"""A refusal turned into sigkit's diagnosis of that very request (``debug=True``).

When a server refuses a request an adapter signed (status 400 or 403 with a signing error
code), the adapter hands `diagnose` what it knows: the signing result (every step as signed),
the request as the library sent it, the answer (status, headers, body: read by the debugger's
own readers) and the credentials. `investigate` does the rest; `SigningRefused` carries its
report, the top cause, its evidence and the fix, with every secret masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sigkit.credentials import Credentials
from sigkit.http import Request

if TYPE_CHECKING:
    from sigkit.debug.report import Report
    from sigkit.result import SigningResult

__all__ = ["Report", "SigningRefused"]

MAX_ANSWER = 64 << 10  # bytes of an error body read for the diagnosis
EVIDENCE_SHOWN = 300  # characters of evidence in the exception's message
REFUSAL_STATUS = frozenset({400, 403})
# Codes that are about the signature whatever the message says; other codes count when the
# cause registry recognises the answer (`causes.from_answer`: RequestTimeTooSkewed,
# InvalidAccessKeyId, XAmzContentSHA256Mismatch, AccessDenied "Request has expired" ...).
SIGNATURE_CODES = frozenset(
    {
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
    }
)


class SigningRefused(Exception):
    """A server refused a signed request; sigkit's diagnosis of it is attached.

    `report` is the `sigkit.debug.report.Report`; `cause` the top cause id (e.g.
    ``wrong-secret``, ``header-changed``) or None, `certain` whether a recomputation proved
    it, `evidence` and `fix` its texts; `http_status` and `error_code` the server's answer.
    Each adapter raises a subclass that is also its library's HTTP error."""

    report: Report | None = None
    cause: str | None = None
    certain: bool = False
    evidence: str = ""
    fix: str = ""
    http_status: int | None = None
    error_code: str | None = None


def is_signing_refusal(
    status: int, code: str | None, message: str | None, *, method: str = "GET"
) -> bool:
    """A 400/403 whose code is about the signature, or one the cause registry recognises.

    The answer to HEAD has no body, so no code (botocore then reports the status as the
    code): every 400/403 to HEAD is investigated, and blamed on the signature only when the
    investigation proves a cause (`blames_signing`)."""
    if status not in REFUSAL_STATUS:
        return False
    if method == "HEAD" and (not code or code.isdigit()):
        return True
    if not code:
        return False
    if code in SIGNATURE_CODES:
        return True
    from sigkit.debug.causes import from_answer

    return bool(from_answer(code, message))


def blames_signing(report: Report, code: str | None, method: str) -> bool:
    """Whether a refusal `is_signing_refusal` let through is put on the signature.

    An answer with a code is. An answer to HEAD has none: a bucket policy's AccessDenied and
    a wrong secret both arrive as a bare 403, so the signature is blamed only when the
    investigation proves a cause (certain), never on a likely one."""
    if method != "HEAD" or (code and not code.isdigit()):
        return True
    top = report.findings[0] if report.findings else None
    return top is not None and top.certain


def read_answer(
    status: int, headers: Sequence[tuple[str, str]], body: bytes
) -> tuple[Any, str | None, str | None]:
    """The answer as the debugger reads it (an observation), its error code and message."""
    from sigkit.debug.sources_xml import answer, read_body

    text = body[:MAX_ANSWER].decode("utf-8", "replace")
    found, note = read_body(text, name="the answer", line=1, headers=headers)
    obs = answer(
        "http-response", status=status, headers=headers, body=found, body_note=note,
        where="the answer",
    )
    return obs, obs.error_code, obs.error_message


def diagnose(
    signed: SigningResult,
    sent: Request | None,
    answer_obs: Any,
    credentials: Credentials,
    *,
    region: str | None = None,
    service: str | None = None,
) -> Report:
    """sigkit's investigation of one refused request.

    A secret with surrounding whitespace is never what a server holds: the investigation is
    given it stripped, so that the search names the whitespace as the slip (a signature that
    the whitespace reproduces) instead of 'the server holds another secret'."""
    from sigkit.debug.investigate import investigate

    secret = credentials.secret_access_key
    sources: list[Any] = [signed]
    if sent is not None:
        sources.append(sent)
    sources.append(answer_obs)
    return investigate(
        *sources,
        secret=secret.strip() or secret,
        access_key=credentials.access_key_id,
        session_token=credentials.session_token,
        region=region,
        service=service,
    )


def describe(report: Report, status: int, code: str | None, credentials: Credentials) -> str:
    """One paragraph: the answer, the top cause, a short evidence and the fix; secrets
    masked by the one masking rule."""
    from sigkit.render import redact

    head = f"{status} {code or ''}".strip()
    top = report.findings[0] if report.findings else None
    if top is None:
        text = f"{head}: sigkit: {report.summary()}"
    else:
        evidence = top.evidence.split("\n", 1)[0]
        if evidence.endswith(":") and "; " in evidence:  # what follows is shown on its own
            evidence = evidence.rsplit("; ", 1)[0]
        if len(evidence) > EVIDENCE_SHOWN:
            evidence = evidence[: EVIDENCE_SHOWN - 3] + "..."
        how = "certain" if top.certain else "likely"
        text = f"{head}: sigkit: {top.cause} ({how}): {evidence}. Fix: {top.fix}"
    secrets = [credentials.secret_access_key, credentials.secret_access_key.strip()]
    return redact(text, report.sensitive([*secrets, credentials.session_token]))


def fill(
    error: SigningRefused,
    report: Report,
    status: int,
    code: str | None,
    credentials: Credentials,
) -> None:
    """Set the diagnosis attributes on an adapter's exception (secrets masked)."""
    from sigkit.render import redact

    top = report.findings[0] if report.findings else None
    error.report = report
    error.http_status = status
    error.error_code = code
    if top is not None:
        secrets = [credentials.secret_access_key, credentials.secret_access_key.strip()]
        hidden = report.sensitive([*secrets, credentials.session_token])
        error.cause, error.certain = top.cause, top.certain
        error.evidence, error.fix = redact(top.evidence, hidden), top.fix


def request_of(
    method: str, url: str, headers: Sequence[tuple[str, str]], body: object
) -> Request | None:
    """The request as the library sent it, for the investigation (None if it cannot be
    read back: then the signing result alone stands for it)."""
    from sigkit.errors import SigkitError

    try:
        return Request.from_url(method, url, headers, body if isinstance(body, bytes) else None)
    except SigkitError:
        return None

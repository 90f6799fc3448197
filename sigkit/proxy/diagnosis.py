"""Diagnosis as it happens: each exchange the proxy saw, turned into one record and one log line.

The record is built on the one investigation (`sigkit.debug.investigate.investigate`): the
request as the client sent it (head, and the body when the proxy kept it whole), the store's
answer (status, headers, error body) and the store's Date as the server's time, plus the
credentials at hand for the access key the request names. A refusal gets the full
investigation (verification, the variant search, the registry's reading of the store's code);
an accepted request only the cheap checks (`verify_request` when the key's secret is known, the
secret-free time checks otherwise) unless `verify_all` asks for the full one on every request.

Nothing here prints a secret: the secret keys, session tokens and every signature (sent or
recomputed) are masked in the line and in the JSON (`sigkit.render.redact`)."""

from __future__ import annotations

import inspect
import json
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sigkit.credentials import Credentials
from sigkit.debug import causes
from sigkit.debug.diagnose import one_view
from sigkit.debug.investigate import investigate, past_signature, received, server_time
from sigkit.debug.model import Finding, Observation
from sigkit.debug.report import Report, hidden_values
from sigkit.debug.sources_common import request_fields
from sigkit.debug.sources_xml import answer as answer_observation
from sigkit.debug.sources_xml import read_body
from sigkit.encoding import parse_query
from sigkit.errors import InputError, SigkitError
from sigkit.http import Request, split_url
from sigkit.proxy.hooks import PREFIX_LIMIT, Exchange, RequestHead
from sigkit.render import redact, redact_data
from sigkit.sigv4.config import is_s3
from sigkit.timefmt import parse_time
from sigkit.verify import DEFAULT_SKEW, VerifyResult, read_auth, time_problems, verify_request

__all__ = [
    "Diagnosis",
    "Record",
    "diagnose",
    "log_line",
    "observer_from_options",
    "request_of",
    "to_json",
]

# Query parameters whose values are signatures (masked like secrets in every line).
_SIGNATURE_PARAMS = frozenset({"X-Amz-Signature", "Signature"})
# The checksum and streaming headers worth showing (what the request says about its body).
_BODY_HEADERS = ("x-amz-sdk-checksum-algorithm", "x-amz-trailer", "x-amz-decoded-content-length")


@dataclass(frozen=True)
class Record:
    """What the proxy knows about one exchange: the request line, the store's answer, the
    verdict and findings of the investigation (`report`, None when none ran), and what the
    request shows without any secret (`shows`). `hidden` lists what every rendering masks."""

    method: str
    target: str
    status: int | None
    code: str | None
    verdict: str
    findings: tuple[Finding, ...] = ()
    message: str | None = None  # the store's error message
    report: Report | None = None
    notes: tuple[str, ...] = ()
    shows: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # the proxy's own failure (upstream down, timed out)
    client: str = ""
    started: float = 0.0
    elapsed: float = 0.0
    refused_by_proxy: bool = False
    hidden: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        """A refusal (4xx, or S3's 301/307 region redirect), the store's or the proxy's."""
        return self.status is not None and (self.status >= 400 or self.status in (301, 307))

    @property
    def top(self) -> Finding | None:
        return self.findings[0] if self.findings else None


# -- reading an exchange -------------------------------------------------------------------------
def _text(value: str) -> str:
    """A latin-1-decoded wire string as the UTF-8 text it most likely was (bytes kept else)."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def request_of(
    head: RequestHead, body: bytes | None, *, length: int | None = None, sha256: str = ""
) -> Request:
    """The `Request` a head describes (origin form or, in forward mode, absolute form).

    `body` is the whole body when the proxy kept it (None otherwise). A body not kept whole,
    signed by SigV4 for a service other than S3 without x-amz-content-sha256, is represented
    by that header carrying its `sha256` (the hash the store computes from what it received),
    so the signature can be recomputed without the body; S3 requests carry the header anyway.
    A body not kept and sent chunked is given its counted `length` as Content-Length.
    Raises InputError when the head cannot be a request (sigkit says why)."""
    target = _text(head.target)
    headers = tuple((name, _text(value)) for name, value in head.headers)
    query: str | None
    authority: str | None
    if target.startswith(("http://", "https://")):
        scheme, authority, path, query = split_url(target)
    else:
        path, sep, rest = target.partition("?")
        query = rest if sep else None
        scheme, authority = head.scheme or "http", head.authority or None
    if not headers_have(headers, "host") and authority:
        headers = (("Host", authority), *headers)
    request = Request(
        head.method, path, query, headers, body, scheme=scheme, authority=authority or None
    )
    if body is None and (length or 0) > 0:
        added = []
        if request.header("content-length") is None:
            # Sent chunked: the length the proxy counted (the verifier reads an absent body
            # of a declared length as "not shown", never as empty).
            added.append(("Content-Length", str(length)))
        if sha256 and _hash_not_shown(request):
            added.append(("x-amz-content-sha256", sha256))
        request = request.with_headers(added)
    return request


def headers_have(headers: Iterable[tuple[str, str]], name: str) -> bool:
    return any(n.lower() == name for n, _ in headers)


def _hash_not_shown(request: Request) -> bool:
    """SigV4 header-signed for a service other than S3, without x-amz-content-sha256."""
    if request.header("x-amz-content-sha256") is not None:
        return False
    try:
        auth = read_auth(request)
    except InputError:
        return False
    return (
        auth is not None
        and auth.variant == "header"
        and auth.scope is not None
        and not is_s3(auth.scope[2])
    )


def _answer_of(exchange: Exchange) -> Observation | None:
    """The store's answer as the debugger's readers see a response: status, headers, and what
    its error body says (XML or JSON; a body cut off or unreadable is noted, not fatal)."""
    head = exchange.answer
    if head is None:
        return None
    found: Observation | None = None
    note: str | None = None
    coding = (head.header("content-encoding") or "identity").strip().lower()
    if exchange.answer_body_prefix and head.status >= 300 and coding in ("", "identity"):
        text = exchange.answer_body_prefix.decode("utf-8", "replace")
        try:
            found, note = read_body(text, name="the store's answer", line=1, headers=head.headers)
        except InputError as exc:
            note = f"the error body is not readable: {exc.message}"
    where = "the store's answer" if not exchange.refused else "the proxy's own answer"
    return answer_observation(
        "proxy",
        status=head.status,
        headers=head.headers,
        body=found,
        body_note=note,
        where=where,
        extra={"reason": head.reason} if head.reason else None,
    )


def _body_of(exchange: Exchange, head: RequestHead) -> bytes | None:
    """The body as sent, when the proxy kept all of it and it belongs to `head`."""
    info = exchange.body
    if info.length > PREFIX_LIMIT or len(info.prefix) != info.length:
        return None
    if head is not exchange.request:
        # A re-signed request: its body is the client's only when framed the same way.
        sent = (head.header("content-length") or "").strip()
        coding = (head.header("content-encoding") or "").lower()
        if "aws-chunked" in coding or (sent and sent != str(info.length)):
            return None
    return info.prefix or None


# -- what the request shows without a secret -----------------------------------------------------
def shows(request: Request, when: datetime | None) -> dict[str, Any]:
    """What the request as sent says about its signature and body: the signature's kind, the
    access key, scope and signing time (its distance from the store's time), the signed
    headers, x-amz-* headers it does not sign, the payload line and the checksum or aws-chunked
    headers. Facts only; causes are the investigation's."""
    out: dict[str, Any] = {}
    try:
        auth = read_auth(request)
    except InputError as exc:
        out["signature"] = f"malformed: {exc.message}"
        auth = None
    else:
        if auth is None:
            out["signature"] = "none (anonymous)"
    if auth is not None:
        kind = {"AWS": "S3 V2"}.get(auth.algorithm, auth.algorithm)
        out["signature"] = f"{kind} {auth.variant}"
        out["access_key_id"] = auth.access_key_id
        if auth.scope is not None:
            out["scope"] = "/".join(auth.scope)
        if auth.signed_headers:
            out["signed_headers"] = ";".join(auth.signed_headers)
            signed = {n.strip().lower() for n in auth.signed_headers}
            unsigned = sorted(
                {
                    n.lower()
                    for n, _ in request.headers
                    if n.lower().startswith("x-amz-")
                    and n.lower() not in signed
                    and n.lower() != "x-amz-content-sha256"
                }
            )
            if unsigned and auth.algorithm != "AWS":
                out["unsigned_amz_headers"] = unsigned
        stamp = auth.stamp or request.header("x-amz-date") or request.header("date")
        if stamp:
            out["signed_at"] = stamp.strip()
            if when is not None:
                try:
                    signed_at = parse_time(stamp.strip(), field="signing time")
                    out["skew_seconds"] = int((signed_at - when).total_seconds())
                except InputError:
                    pass
        if auth.expires:
            out["expires"] = auth.expires
    payload = request.header("x-amz-content-sha256")
    if payload is not None:
        out["payload"] = payload.strip()
    coding = request.header("content-encoding") or ""
    if "aws-chunked" in coding.lower() or (payload or "").startswith("STREAMING-"):
        out["aws_chunked"] = True
    checksums = sorted(
        {n.lower() for n, _ in request.headers if n.lower().startswith("x-amz-checksum-")}
    )
    checksums += [
        f"{name}: {request.header(name)}" for name in _BODY_HEADERS if request.header(name)
    ]
    if checksums:
        out["checksum_headers"] = checksums
    return out


# -- the diagnosis -------------------------------------------------------------------------------
def _signatures(request: Request | None, report: Report | None) -> list[str]:
    """Every signature a record could show: sent (header or query) and recomputed."""
    found: list[str] = []
    if request is not None:
        try:
            auth = read_auth(request)
        except InputError:
            auth = None
        if auth is not None:
            found.append(auth.signature)
        found += [v for n, v in parse_query(request.query or "") if n in _SIGNATURE_PARAMS and v]
        value = request.header("authorization") or ""
        found += [part.split("=", 1)[1] for part in value.split(",") if "Signature=" in part]
        if value.startswith("AWS ") and ":" in value:
            found.append(value.rsplit(":", 1)[1].strip())
    if report is not None:
        for obs in (report.ours, report.theirs):
            if obs is not None:
                found += [s for s in (obs.signature, obs.signature_provided) if s]
        outcome = report.verification
        if outcome is not None:
            found += [s for s in (outcome.signature_provided,) if s]
            if outcome.result is not None and "signature" in outcome.result:
                found.append(outcome.result["signature"])
    return [s.strip() for s in found if s and s.strip()]


def _accepted(status: int | None) -> bool:
    return status is not None and (200 <= status < 300 or status == 304)


def _time_of(answer: Observation | None, started: float) -> tuple[datetime, bool]:
    """The store's time (its error body's ServerTime, else its Date header), else the proxy's
    clock when the request arrived; and whether it is the store's."""
    if answer is not None:
        when, _ = server_time([answer])
        if when is not None:
            return when, True
    return datetime.fromtimestamp(started or 0, UTC), False


def _keys(credentials: Iterable[Credentials] | Mapping[str, Credentials]) -> dict[str, Credentials]:
    if isinstance(credentials, Mapping):
        return dict(credentials)
    return {c.access_key_id: c for c in credentials}


def diagnose(
    exchange: Exchange,
    *,
    credentials: Iterable[Credentials] | Mapping[str, Credentials] = (),
    client_credentials: Iterable[Credentials] | Mapping[str, Credentials] = (),
    region: str | None = None,
    service: str | None = None,
    skew: timedelta = DEFAULT_SKEW,
    verify_all: bool = False,
    store: object | None = None,
) -> Record:
    """The record of one exchange (see the module's docstring).

    `credentials` are the store's keys (those the request is checked with), `client_credentials`
    the keys the proxy itself checks clients with (``--client-key``): a request the proxy
    refused is explained with those. `region`/`service` are the store's, when known; `store` a
    store profile, passed on when the investigation takes one."""
    head = exchange.forwarded or exchange.request
    if exchange.refused:
        head = exchange.request  # the proxy refused what the client sent
    answer = _answer_of(exchange)
    status = exchange.answer.status if exchange.answer is not None else None
    code = answer.error_code if answer is not None else None
    if code is None and exchange.error is not None and exchange.answer is not None:
        code = exchange.answer.reason or None  # the proxy's own answer (BadGateway ...)
    message = answer.error_message if answer is not None else None
    when, from_store = _time_of(answer, exchange.started)
    notes: list[str] = []
    keys = _keys(client_credentials if exchange.refused else credentials)
    hidden = [s for c in keys.values() for s in (c.secret_access_key, c.session_token) if s]
    base = Record(
        method=exchange.request.method,
        target=exchange.request.target,
        status=status,
        code=code,
        verdict="no-data",
        message=message,
        error=exchange.error,
        client=exchange.client,
        started=exchange.started,
        elapsed=exchange.elapsed,
        refused_by_proxy=exchange.refused,
    )
    try:
        body = _body_of(exchange, head)
        request = request_of(head, body, length=exchange.body.length, sha256=exchange.body.sha256)
    except SigkitError as exc:
        notes.append(f"the request cannot be read as a signed request: {exc}")
        return replace(base, notes=tuple(notes), hidden=tuple(hidden))
    hidden += hidden_values([], request)
    facts = shows(request, when if from_store else None)
    if head is not exchange.request:
        notes.append("the request as re-signed by the proxy is the one the store answered")
    if (exchange.error is not None and not exchange.refused) or answer is None:
        # The store never answered (down, timed out, garbage): nothing to explain about it.
        hidden += _signatures(request, None)
        return replace(base, notes=tuple(notes), shows=facts, hidden=tuple(hidden))
    key = facts.get("access_key_id")
    creds = keys.get(key) if isinstance(key, str) else None
    if creds is None and keys and key:
        notes.append(f"no credentials at hand for access key {key}: not verified")
    if creds is not None:
        hidden += [creds.secret_access_key, creds.session_token or ""]
    if (_accepted(status) and not verify_all) or past_signature(status, code):
        found, verdict, more = _cheap(request, creds, when, skew, region, service, from_store)
        hidden += _signatures(request, None)
        return replace(
            base,
            verdict=verdict,
            findings=found,
            notes=(*notes, *more),
            shows=facts,
            hidden=tuple(h for h in hidden if h),
        )
    kwargs: dict[str, Any] = {}
    if "store" in inspect.signature(investigate).parameters:
        # The store's profile: given, else recognised from the upstream's host (the request's
        # own Host names the proxy in reverse mode).
        profile = store if store is not None else _store_of(head.authority)
        if profile is not None:
            kwargs["store"] = profile
    if not from_store:
        notes.append(
            f"the store's answer carries no Date: the proxy's clock ({when.isoformat()}) is "
            "taken as the server's time"
        )
    try:
        report = investigate(
            request,
            answer,
            credentials=creds,
            now=None if from_store else when,
            region=region,
            service=service,
            skew=skew,
            names=("the request as sent", "the store's answer"),
            **kwargs,
        )
    except SigkitError as exc:
        notes.append(f"the investigation stopped: {exc}")
        hidden += _signatures(request, None)
        return replace(base, notes=tuple(notes), shows=facts, hidden=tuple(hidden))
    hidden += [*report.sensitive(), *_signatures(request, report)]
    return replace(
        base,
        verdict=report.verdict,
        findings=report.findings,
        report=report,
        notes=tuple(notes),
        shows=facts,
        hidden=tuple(h for h in hidden if h),
    )


def _store_of(authority: str) -> object | None:
    """The store profile of a published endpoint host (AWS, R2, B2 ...), else None."""
    try:
        from sigkit import stores
    except ImportError:  # pragma: no cover - a build without store profiles
        return None
    return stores.from_host(authority) if authority else None


def _cheap(
    request: Request,
    creds: Credentials | None,
    when: datetime,
    skew: timedelta,
    region: str | None,
    service: str | None,
    from_store: bool,
) -> tuple[tuple[Finding, ...], str, list[str]]:
    """An accepted request: verified (no variant search) when the key's secret is known; else
    only the store-time checks a secret is not needed for. Findings are certain ones only."""
    notes: list[str] = []
    outcome: VerifyResult | None = None
    try:
        auth = read_auth(request)
    except InputError:
        auth = None
    if auth is None:
        return (), "match", ["accepted; the request carries no readable signature"]
    if creds is not None:
        check_at = when if from_store else None
        if check_at is None:
            stamp = auth.stamp or request.header("date")
            try:
                check_at = parse_time((stamp or "").strip(), field="signing time")
            except InputError:
                check_at = when
        outcome = verify_request(
            request, creds, check_at, skew=skew, region=region, service=service
        )
        found = received(request, outcome, None, check_at)
        if outcome.verdict == "match":
            notes.append("the signature verifies with the secret given")
        elif not found:
            notes.append(
                f"the store accepted it, but it does not verify with the secret given for "
                f"{creds.access_key_id} (the store holds another secret, or other rules)"
            )
        return found, outcome.verdict, notes
    # No secret: what the request shows against its own SignedHeaders and the store's time,
    # by the same rules the investigation applies to a request it cannot verify.
    stated = [
        Finding(p.cause, p.message, certain=True)
        for p in (time_problems(request, when, skew) if from_store else [])
        if p.cause
    ]
    sent = Observation("proxy", "client", request=request, **request_fields(request))
    seen = {f.cause for f in stated}
    stated += [
        f
        for f in one_view(
            sent,
            request=request,
            when=when if from_store else None,
            skew=int(skew.total_seconds()),
        )
        if f.cause not in seen
    ]
    scope = auth.scope
    if region is not None and scope is not None and scope[1] != region and "region" not in seen:
        # The one check of the region a secret is not needed for; a store that ignores the
        # region (Ceph RGW) accepts what AWS S3 refuses.
        stated.append(
            Finding(
                "region",
                f"signed for region {scope[1]!r}; the store's region is {region!r} (--region)",
                certain=True,
            )
        )
    notes.append("accepted; not verified (no secret at hand for its access key)")
    return tuple(stated), "match", notes


# -- rendering -----------------------------------------------------------------------------------
def _mask_target(target: str, hidden: Sequence[str]) -> str:
    """The request target with its signature and session token parameters masked."""
    text = redact(target, hidden)
    path, sep, query = text.partition("?")
    if not sep:
        return text
    parts = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        if eq and name in _SIGNATURE_PARAMS and value:
            value = "*" * 8
        parts.append(f"{name}{eq}{value}")
    return f"{path}?{'&'.join(parts)}"


def to_dict(record: Record) -> dict[str, Any]:
    """The JSON object of one record: the request line, the store's answer, and the report's
    own fields (`verdict`, `findings` as `explain --json` writes them, `summary`, ...)."""
    data: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.started, UTC).isoformat() if record.started else None,
        "client": record.client or None,
        "method": record.method,
        "target": record.target,
        "status": record.status,
        "code": record.code,
        "message": record.message,
        "verdict": record.verdict,
        "findings": [f.to_dict() for f in record.findings],
    }
    report = record.report
    if report is not None:
        full = report.to_dict()
        for name in ("summary", "differences", "refusals", "needs", "server_time"):
            data[name] = full[name]
        data["notes"] = [*record.notes, *full["notes"]]
    else:
        data["summary"] = _summary(record)
        data["notes"] = list(record.notes)
    data["request"] = record.shows
    data["refused_by_proxy"] = record.refused_by_proxy
    data["error"] = record.error
    data["elapsed_ms"] = round(record.elapsed * 1000, 1)
    masked = redact_data(data, record.hidden)
    masked["target"] = _mask_target(masked["target"], record.hidden)
    return masked  # type: ignore[no-any-return]


def to_json(record: Record) -> str:
    """One line of JSON (``--json``); secrets, tokens and signatures masked."""
    return json.dumps(to_dict(record), ensure_ascii=False, separators=(",", ":"))


def _summary(record: Record) -> str:
    if record.error is not None:
        return f"no answer from the store: {record.error}"
    if record.verdict == "no-data":
        return "verdict: no-data: nothing to verify"
    if record.findings:
        top = record.findings[0]
        return f"verdict: {record.verdict}: {top.cause}" + (" (certain)" if top.certain else "")
    return f"verdict: {record.verdict}"


def _label(finding: Finding) -> str:
    return f"{finding.cause} ({'certain' if finding.certain else 'likely'})"


def log_line(record: Record) -> str:
    """One line: client, method, target, status, the store's code, and for a refusal the
    first cause with its certainty and the registry's fix (or what would tell more)."""
    target = _mask_target(record.target, record.hidden)
    if len(target) > 300:
        target = target[:297] + "..."
    parts = [record.client or "-", record.method, target, str(record.status or "-")]
    parts.append(record.code or "-")
    line = " ".join(parts)
    top = record.top
    if record.error is not None and not (record.refused_by_proxy and top is not None):
        # The proxy's own answer; one it gave a client-key refusal with names its cause below.
        line += f" proxy: {record.error}"
    elif record.status is not None and record.status >= 500 and not record.findings:
        line += " the store failed: no verdict on the signature"
    elif record.refused:
        if top is not None:
            line += f" cause: {_label(top)}; fix: {causes.fix(top.cause)}"
            others = [f.cause for f in record.findings[1:3]]
            if others:
                line += f" (also: {', '.join(others)})"
        elif _verified(record):
            line += " signature verifies: refused for another reason than its signature"
        elif past_signature(record.status, record.code) and record.verdict == "match":
            line += " the store took the signature: refused for another reason than it"
        else:
            needs = record.report.needs if record.report is not None else ()
            line += " cause: not determined"
            if needs:
                line += f"; to tell more: {needs[0]}"
            said = _said(record.shows)
            if said:
                line += f"; the request: {said}"
    elif top is not None:
        line += f" accepted, but: {_label(top)}; fix: {causes.fix(top.cause)}"
    elif record.verdict == "mismatch":
        line += " accepted, but it does not verify with the secret given"
    line = redact(line, record.hidden)
    return line.encode("ascii", "backslashreplace").decode()


def _verified(record: Record) -> bool:
    outcome = record.report.verification if record.report is not None else None
    return outcome is not None and outcome.verdict == "match"


def _said(facts: Mapping[str, Any]) -> str:
    out = []
    if "signature" in facts:
        out.append(str(facts["signature"]))
    if "skew_seconds" in facts:
        out.append(f"signed {facts['skew_seconds']:+d} s from the store's time")
    if facts.get("unsigned_amz_headers"):
        out.append("unsigned " + ", ".join(facts["unsigned_amz_headers"]))
    if facts.get("aws_chunked"):
        out.append("aws-chunked")
    if facts.get("checksum_headers"):
        out.append(", ".join(str(c) for c in facts["checksum_headers"]))
    return "; ".join(out)


# -- the observer --------------------------------------------------------------------------------
class Diagnosis:
    """The proxy's `Observer`: one record per exchange, written as one line (text or JSON)."""

    def __init__(
        self,
        *,
        credentials: Iterable[Credentials] | Mapping[str, Credentials] = (),
        client_credentials: Iterable[Credentials] | Mapping[str, Credentials] = (),
        region: str | None = None,
        service: str | None = None,
        skew: timedelta = DEFAULT_SKEW,
        verify_all: bool = False,
        as_json: bool = False,
        store: object | None = None,
        write: Callable[[str], None] | None = None,
    ) -> None:
        self.credentials = _keys(credentials)
        self.client_credentials = _keys(client_credentials)
        self.region = region
        self.service = service
        self.skew = skew
        self.verify_all = verify_all
        self.as_json = as_json
        self.store = store
        self._write = write or _stderr_line
        self._lock = threading.Lock()

    def record(self, exchange: Exchange) -> Record:
        return diagnose(
            exchange,
            credentials=self.credentials,
            client_credentials=self.client_credentials,
            region=self.region,
            service=self.service,
            skew=self.skew,
            verify_all=self.verify_all,
            store=self.store,
        )

    def observe(self, exchange: Exchange) -> None:
        record = self.record(exchange)
        line = to_json(record) if self.as_json else log_line(record)
        with self._lock:
            self._write(line)


def _stderr_line(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def observer_from_options(
    *,
    credentials: Iterable[Credentials] | Mapping[str, Credentials] = (),
    client_credentials: Iterable[Credentials] | Mapping[str, Credentials] = (),
    region: str | None = None,
    service: str | None = None,
    skew_seconds: int = int(DEFAULT_SKEW.total_seconds()),
    verify_all: bool = False,
    as_json: bool = False,
    store: object | None = None,
    write: Callable[[str], None] | None = None,
    client_keys: Iterable[str] = (),
) -> Diagnosis:
    """The observer `sigkit proxy` installs (its options, already resolved). `client_keys`
    (``ID:SECRET``, as ``--client-key``) explain the requests the proxy itself refuses; a
    `store` given by name is read from `sigkit.stores`."""
    from sigkit.proxy.resign import parse_client_key

    clients = [*_keys(client_credentials).values(), *map(parse_client_key, client_keys)]
    if isinstance(store, str):
        from sigkit import stores

        store = stores.get(store)
    return Diagnosis(
        credentials=credentials,
        client_credentials=clients,
        region=region,
        service=service,
        skew=timedelta(seconds=skew_seconds),
        verify_all=verify_all,
        as_json=as_json,
        store=store,
        write=write,
    )

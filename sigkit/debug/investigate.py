"""One investigation: read every source, recompute, compare, diagnose, and say how sure.

`investigate(*sources, ...)` is the library entry that `explain`, `diff` and `verify` render: any
mix of AWS CLI/botocore logs (with or without the server's answer), S3-style error bodies, curl
output, raw HTTP, presigned URLs, requests, sigkit's own signing results, plus what the user knows
(secret, region, service, the time). Every source adds evidence; none hides another:

1. the server's answers: a refusal (status >= 400 or an error code) is recorded, and its code and
   message name a cause through the registry;
2. the request as sent, verified with the secret as the server would (`verify_request`, at the
   server's time when one is known) — so explain and diff find at least what verify finds — and a
   bare signature mismatch searched with the catalogued variants;
3. the signing steps two views share (client log against server answer, or sigkit's
   recomputation against either), compared, and the first difference diagnosed;
4. time and header checks on the request as sent whenever the server's time is known (--now, the
   answer's Date header, ServerTime).

A refused request is never reported as a match. When sigkit cannot tell, the report says what it
would need. `received(...)` is the part a verifying server (`serve`, `verify`) needs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sigkit.credentials import Credentials
from sigkit.debug import integrity
from sigkit.debug.compare import Difference
from sigkit.debug.diagnose import Verdict, diagnose, observation_of, one_view
from sigkit.debug.model import Finding, Observation
from sigkit.debug.report import Report, compare_views, pick
from sigkit.debug.sources import read_source
from sigkit.debug.sources_common import request_fields
from sigkit.errors import InputError, SigkitError
from sigkit.http import Request
from sigkit.result import SigningResult
from sigkit.sigv2.s3 import S3V2Config
from sigkit.sigv4.config import SigV4Config, is_s3
from sigkit.timefmt import parse_time
from sigkit.verify import (
    DEFAULT_SKEW,
    VerifyResult,
    read_auth,
    split_authorization,
    time_problems,
    verify_request,
)

# One source: an observation, a list of them read from one file (`report.load`), a request,
# sigkit's own signing result, or the text of a log, error body, curl capture, request or URL.
Source = Observation | list[Observation] | Request | SigningResult | bytes | str


def _ordered(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Certain findings first, then the rest in the order found; one finding per cause: the
    first (the most telling), with the one-line evidence of the others for that cause added."""
    by_cause: dict[str, Finding] = {}
    for finding in sorted(findings, key=_rank):
        first = by_cause.get(finding.cause)
        if first is None:
            by_cause[finding.cause] = finding
        elif _said_again(first.evidence, finding.evidence):
            if len(finding.evidence) > len(first.evidence) and first.certain == finding.certain:
                by_cause[finding.cause] = replace(
                    first, evidence=finding.evidence, detail=first.detail or finding.detail
                )
        elif (
            "\n" not in first.evidence + finding.evidence and finding.evidence not in first.evidence
        ):
            evidence = f"{first.evidence}; {finding.evidence}"
            detail = first.detail or finding.detail
            by_cause[finding.cause] = Finding(first.cause, evidence, first.certain, detail)
        elif not first.detail and finding.detail:
            by_cause[finding.cause] = replace(first, detail=finding.detail)
    return tuple(by_cause.values())


_STATUS = re.compile(r"\banswered \d{3} ")


def _said_again(first: str, other: str) -> bool:
    """Whether one evidence line says what the other does, but for the answer's status (one
    source reads "the server answered 400 InvalidArgument: …", another the same without it)."""
    a, b = _STATUS.sub("answered ", first), _STATUS.sub("answered ", other)
    return "\n" not in a + b and (a in b or b in a)


def _rank(finding: Finding) -> tuple[bool, bool, bool]:
    """Certain before likely; among the likely, "another secret" (the explanation left when
    nothing else is found) last; a missing x-amz-content-sha256 after everything else."""
    guess = not finding.certain
    return (_only_missing_header(finding), guess, guess and finding.cause == "wrong-secret")


def _only_missing_header(finding: Finding) -> bool:
    """A missing x-amz-content-sha256 goes after every other finding: alone it does not change
    what the client signed, so whatever else was found says more."""
    return finding.cause == "payload-hash" and finding.evidence.startswith("Missing required")


def received(
    request: Request,
    outcome: VerifyResult,
    credentials: Credentials | None,
    now: datetime,
    *,
    config: SigV4Config | S3V2Config | None = None,
) -> tuple[Finding, ...]:
    """Why a server refused `request` (its `outcome` from `verify_request`), most likely first.

    A refusal with a stated cause (time, token, scope, unsigned header ...) is certain; a bare
    SignatureDoesNotMatch is searched with the catalogued variants when the secret is known."""
    stated = [Finding(p.cause, p.message, certain=True) for p in outcome.problems if p.cause]
    # The signature itself did not match (whatever else was refused): say why, if we can.
    mismatched = any(
        p.code == "SignatureDoesNotMatch" and p.cause is None for p in outcome.problems
    )
    provided = outcome.signature_provided
    why: list[Finding] = []
    if mismatched and provided:
        # A signature of the other algorithm's shape says it all; no search needed.
        shape = one_view(
            Observation(
                "verify", "server", algorithm=outcome.algorithm, signature_provided=provided
            )
        )
        why += [f for f in shape if f.cause == "signature-version"]
    if mismatched:
        why += _signed_not_sent(request)
    if mismatched and credentials is not None and provided and not why:
        from sigkit.debug.variants import find_variant, find_variant_v2

        found: Finding | None = None
        try:
            used = config or getattr(outcome, "config", None)
            if outcome.algorithm == "AWS":
                v2 = used if isinstance(used, S3V2Config) else S3V2Config()
                found = find_variant_v2(request, credentials, now, v2, provided)
            elif isinstance(used, SigV4Config):
                found = find_variant(request, credentials, now, used, provided)
        except SigkitError:
            found = None
        telling = [f for f in stated if not _only_missing_header(f)]
        if found is not None and not (found.cause == "wrong-secret" and telling):
            why.append(found)
    # Why the signature differs comes before a missing x-amz-content-sha256 (_ordered).
    return _ordered([*stated, *why])


def _signed_not_sent(request: Request) -> list[Finding]:
    """Headers SignedHeaders names that the request does not carry: the server signs them
    empty, the client signed their values, so the signatures cannot agree."""
    try:
        auth = read_auth(request)
    except InputError:
        return []
    if auth is None or not auth.signed_headers:
        return []
    sent = {name.lower() for name, _ in request.headers} | {"host"}
    missing = [n for n in auth.signed_headers if n and n.lower() not in sent]
    if not missing:
        return []
    return [
        Finding(
            "unsigned-header",
            f"SignedHeaders names {', '.join(missing)}, which the request does not carry: "
            "dropped after signing (a proxy, an HTTP library), or signed but never sent",
            certain=True,
        )
    ]


# -- reading ----------------------------------------------------------------------------------
def _read(source: Source, index: int, names: Sequence[str]) -> list[Observation]:
    name = names[index] if index < len(names) else f"source {index + 1}"
    if isinstance(source, Observation):
        return [source]
    if isinstance(source, list):
        return list(source)
    if isinstance(source, SigningResult):
        return [observation_of(source)]
    if isinstance(source, Request):
        fields = request_fields(source)
        return [Observation(source="request", party="client", request=source, where=name, **fields)]
    data = source.encode("utf-8", "surrogateescape") if isinstance(source, str) else source
    return read_source(data, name=name)


# Answers about the server, not the request: throttling and failures (retried by clients).
_SERVER_SIDE = frozenset({"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout"})
# Statuses S3 answers only once a request's signature passed (it authenticates before it looks
# the bucket or key up): a bodiless one (a HEAD's 404) is a refusal, but not of the signature.
PAST_SIGNATURE = frozenset({404, 405, 409, 410, 412, 416})


def past_signature(status: int | None, code: str | None) -> bool:
    """An answer that says the signature passed: one of `PAST_SIGNATURE` with no error code."""
    return status in PAST_SIGNATURE and not code


def _refused(obs: Observation) -> bool:
    """A refusal of the request: a 4xx, or an error code that is not a server-side failure."""
    if obs.party != "server":
        return False
    # 501 NotImplemented is a verdict on the request (R2 on a checksum header), not a failure.
    failed = obs.status is not None and obs.status >= 500 and obs.status != 501
    if obs.error_code in _SERVER_SIDE or failed:
        return False
    # 301/307: S3's answer to a request for a bucket in another region (HEAD has no body).
    redirected = obs.status in (301, 307)
    return bool(obs.error_code) or redirected or (obs.status is not None and obs.status >= 400)


def _refusal(obs: Observation) -> str:
    what = " ".join(str(x) for x in (obs.status, obs.error_code) if x) or "a refusal"
    where = f" ({obs.source}, {obs.where})" if obs.where else f" ({obs.source})"
    return f"the server answered {what}{where}"


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def server_time(servers: Sequence[Observation]) -> tuple[datetime | None, str]:
    """The server's clock as its answers show it: ServerTime, else the response's Date."""
    for obs in reversed(servers):
        for text, what in (
            (obs.details.get("ServerTime"), "the error body's ServerTime"),
            (_header(obs.response_headers, "date"), "the answer's Date header"),
        ):
            if text:
                try:
                    return parse_time(text, field=what), what
                except InputError:
                    continue
    return None, ""


_SIGNATURE_PARAMS = frozenset(
    {"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Algorithm", "Signature", "AWSAccessKeyId"}
)


def _signed(obs: Observation) -> bool:
    """The request claims a signature (header or query), well-formed or not: a malformed one is
    still the request as sent, and verify names what is wrong with it."""
    request = obs.request
    if request is None:
        return False
    if request.header("authorization") is not None:
        return True
    return any(name in _SIGNATURE_PARAMS for name, _ in _query(request))


def _signing_time(request: Request) -> datetime | None:
    """A time at which the request is in its validity window by its own account: its X-Amz-Date
    or V2 Date, else (presigned V2) a second before its Expires."""
    params = {name: value for name, value in _query(request) if value}
    stamp = request.header("x-amz-date") or params.get("X-Amz-Date") or request.header("date")
    try:
        if stamp:
            return parse_time(stamp.strip(), field="X-Amz-Date")
        expires = params.get("Expires")
        if expires and expires.isdigit():
            return parse_time(str(int(expires) - 1), field="Expires")
    except InputError:
        return None
    return None


def _query(request: Request) -> list[tuple[str, str | None]]:
    from sigkit.encoding import parse_query

    return parse_query(request.query or "")


# -- the investigation --------------------------------------------------------------------------
def investigate(
    *sources: Source,
    credentials: Credentials | None = None,
    secret: str | None = None,
    access_key: str | None = None,
    session_token: str | None = None,
    now: datetime | None = None,
    region: str | None = None,
    service: str | None = None,
    skew: timedelta = DEFAULT_SKEW,
    names: Sequence[str] = (),
    pair: tuple[Observation, Observation] | None = None,
    store: object = None,
) -> Report:
    """Everything `sources` show about one signed request, as one report.

    `credentials`, or `secret` with the access key from `access_key` or from the sources; `now`
    is the server's time (else taken from its answers); `region`/`service` the scope the server
    answers for. `pair` fixes which two views are compared (``sigkit diff A B``). `store` is the
    store's profile (a `sigkit.stores.Store` or its name; else recognised from the request's
    host), whose refusals are evidence for the checksum-era causes (`sigkit.debug.integrity`)."""
    observations: list[Observation] = []
    origin: dict[int, int] = {}  # id(observation) -> the index of the source it came from
    for index, source in enumerate(sources):
        for obs in _read(source, index, names):
            origin[id(obs)] = index
            observations.append(obs)
    ours_given = [o for o in observations if o.party == "ours"]
    clients = [o for o in observations if o.party == "client"]
    servers = [o for o in observations if o.party == "server"]
    notes: list[str] = []
    needs: list[str] = []
    window = int(skew.total_seconds())

    # Which exchange to explain: the last one a server refused, else the last one answered.
    answer = next((o for o in reversed(servers) if _refused(o)), None)
    last = servers[-1] if servers else None
    if (
        answer is not None
        and last is not None
        and last is not answer
        and last.status is not None
        and 200 <= last.status < 300
        and (last.attempt or 1) > 1
    ):
        # A retry succeeded (botocore follows S3's region redirect): the refused attempt is
        # still a refusal a source shows, and still what is explained; the retry is a note.
        notes.append(f"a later attempt succeeded ({last.status}, {last.where})")
    focus = answer or last
    in_focus = [o for o in observations if _same_exchange(o, focus, origin)]
    sent_obs = next((o for o in reversed(in_focus) if o.party == "client" and _signed(o)), None)
    if sent_obs is None:
        sent_obs = next((o for o in reversed(clients) if _signed(o)), None)
    sent = sent_obs.request if sent_obs is not None else None
    focus_servers = [o for o in servers if _same_exchange(o, focus, origin)]
    refusals = [_refusal(o) for o in focus_servers if _refused(o)]
    for obs in servers:
        if obs not in focus_servers and obs.status is not None:
            what = " ".join(str(x) for x in (obs.status, obs.error_code) if x)
            notes.append(f"another exchange in the sources was answered {what} ({obs.where})")
        elif obs.status is not None and obs.status >= 500 and not _refused(obs):
            notes.append(
                f"the server answered {obs.status} {obs.error_code or ''} ({obs.where}):"
                " a server-side failure, not a verdict on the signature"
            )
    accepted = (
        answer is None
        and focus is not None
        and focus.status is not None
        and (200 <= focus.status < 300 or focus.status == 304)
    )

    when, when_from = (now, "--now") if now is not None else server_time(focus_servers or servers)
    if when is not None and now is None:
        notes.append(f"the server's time {when.isoformat()} taken from {when_from}")

    pool = [o for o in in_focus if o.party == "client"] or clients
    with_steps = [o for o in pool if o.canonical_request or o.string_to_sign]
    client_steps = with_steps[-1] if with_steps else None
    # The latest server view with steps (a standalone answer file belongs to the last request).
    server_steps = pick(
        [o for o in reversed(focus_servers) if o.canonical_request or o.string_to_sign]
    )

    if sent is None and server_steps is not None and (secret or credentials):
        # No request as sent, but the server's answer shows what it received: rebuild that
        # request from its CanonicalRequest and the signature the client sent, and verify it.
        rebuilt = request_from_answer(server_steps)
        if rebuilt is not None:
            sent = rebuilt
            sent_obs = Observation(
                "rebuilt", "client", request=rebuilt, where=server_steps.where,
                **request_fields(rebuilt),
            )  # fmt: skip
            notes.append(
                "the request as the server received it is rebuilt from its CanonicalRequest and "
                "the signature the client sent (SignatureProvided)"
            )

    key = access_key or next(
        (o.access_key_id for o in [*reversed(clients), *reversed(servers)] if o.access_key_id),
        None,
    )
    creds = credentials
    if creds is None and secret is not None:
        if key is None:
            needs.append("the access key id (--access-key): no source names it")
        else:
            creds = Credentials(key, secret, session_token)
    elif creds is not None and key and creds.access_key_id != key and access_key is None:
        # Credentials from the environment or a profile, for another key than the request's:
        # their secret is not this key's, so verifying with them would only say "unknown key".
        notes.append(
            f"the sources name access key {key}; the credentials at hand are for "
            f"{creds.access_key_id}, so the request is not verified with them"
        )
        needs.append(f"the secret of {key} (--secret-key) to verify the request as sent")
        creds = None
    carried = _token_of(sent) if sent is not None else None
    if creds is not None and creds.session_token is None and carried:
        creds = Credentials(creds.access_key_id, creds.secret_access_key, carried)
        notes.append(
            "the session token is taken from the request as sent (give --session-token to "
            "check it against the one the server expects)"
        )
    if region is None and answer is not None and answer.details.get("Region"):
        region = answer.details["Region"]
        notes.append(f"the server expects region {region} (its answer's <Region>)")

    findings: list[Finding] = []
    if sent is not None and focus is not None:
        findings += _wire_findings(sent, focus)
    if sent is not None and creds is None and answer is not None:
        findings += _raw_plus(sent, answer)
    for obs in focus_servers:
        if _refused(obs):
            findings += one_view(obs)

    # The request as sent, verified as the server would.
    outcome: VerifyResult | None = None
    recomputed: Observation | None = None
    if sent_obs is not None and sent_obs.source == "url" and sent is not None:
        unknown = _signed_beyond_host(sent)
        if unknown:
            # A URL alone shows no header: those it signs were sent by the client, unseen.
            notes.append(
                f"the URL signs {', '.join(unknown)}, which a URL alone does not show: the "
                "request is not verified (give the request as sent: curl -v output, a log)"
            )
            needs.append(
                "the request as sent with its headers (the URL signs " + ", ".join(unknown) + ")"
            )
            creds = None
    if sent is not None and _is_v4a(sent):
        # SigV4A signatures are ECDSA: checked with the public key, not recomputed from a secret.
        notes.append(
            "a SigV4A (AWS4-ECDSA-P256-SHA256) request: its signature is verified with the key "
            "pair's public key (sigkit.sigv4.sigv4a.verify_v4a), not recomputed from the secret"
        )
        needs.append("SigV4A: verify with the public key (sigkit.sigv4.sigv4a.verify_v4a)")
        creds = None
    hidden = sent is not None and _body_hidden(sent)
    v4: dict[str, object] = {}
    if hidden and sent is not None:
        logged = (client_steps.canonical_request or "") if client_steps is not None else ""
        payload = logged.rsplit("\n", 1)[-1] if logged else ""
        if payload:
            v4["payload_hash"] = payload
            hidden = False
            notes.append(
                "the capture does not show the body: its hash is taken from the client's "
                "logged canonical request"
            )
        else:
            notes.append(
                f"the capture does not show the {sent.header('content-length')}-byte body and "
                "the request signs its hash without x-amz-content-sha256: the signature cannot "
                "be recomputed"
            )
            needs.append("the body as sent (the request with --data-file) to recompute it")
    if sent is not None and creds is not None and not hidden:
        check_at = when or _signing_time(sent)
        if check_at is not None:
            outcome = verify_request(
                sent, creds, check_at, skew=skew, region=region, service=service, v4=v4
            )
            findings += received(sent, outcome, creds, check_at)
            if outcome.result is not None:
                recomputed = replace(observation_of(outcome.result), source="sigkit-verify")

            if when is None:
                notes.append(
                    "no server time known: clock skew and expiry not checked (give --now or "
                    "the server's answer)"
                )
    elif sent is not None:
        findings += _auth_refusal(sent)
        if when is not None:  # the server's time checks need no secret (V4 and V2 alike)
            findings += [
                Finding(p.cause, p.message, certain=True)
                for p in time_problems(sent, when, skew)
                if p.cause
            ]
        if when is not None and sent_obs is not None:
            url_only = sent_obs.source == "url"  # its headers are unknown, not absent
            findings += one_view(
                replace(sent_obs, request=sent),
                request=None if url_only else sent,
                when=when,
                skew=window,
            )

    # The checksum era: what the request shows, the answer's text read with it, the store.
    profile = integrity.resolve_store(store, _host_of(sent))
    era = integrity.read(
        sent,
        [o for o in focus_servers if _refused(o)],
        observations,
        store=profile,
        refused=bool(refusals),
        verified=None if outcome is None else outcome.verdict == "match",
        accepted=accepted,
    )
    findings += era.findings
    notes += era.notes
    needs += era.needs
    if profile is not None and store is None and getattr(profile, "name", "") != "aws":
        # AWS's own rules are sigkit's defaults: only another store's profile is news.
        notes.append(f"the endpoint's host is {getattr(profile, 'title', 'a known store')}'s")

    # The signing steps two views share.
    a, b = (
        pair
        if pair is not None
        else _choose_pair(ours_given, client_steps, server_steps, recomputed)
    )
    verdict_cmp: Verdict = "no-data"
    compared: list[str] = []
    differences: list[Difference] = []
    if a is not None and b is not None:
        verdict_cmp, compared, differences = compare_views(a, b)
        if verdict_cmp != "no-data":
            findings += diagnose(
                a,
                b,
                secret=creds.secret_access_key if creds else secret,
                # A URL alone shows no headers: its request is not "the request as sent".
                request=None
                if sent_obs is not None and sent_obs.source == "url"
                else sent or b.request or a.request,
                when=when,
                search=outcome is None,  # the request as sent was searched already
                skew=window,
            )
    elif client_steps is not None and when is not None and sent is None:
        findings += one_view(client_steps, request=client_steps.request, when=when, skew=window)

    if era.superseded:
        # The request shows why the answer was given (XAmzContentSHA256Mismatch to an aws-chunked
        # trailer): the answer's other reading is withdrawn.
        findings = [f for f in findings if f.cause not in era.superseded]
    if era.doubted:
        # The answer alone also means a checksum cause (named as likely beside it): the reading
        # the answer's code gives is no more certain than that one.
        findings = [replace(f, certain=False) if f.cause in era.doubted else f for f in findings]
    if answer is not None and not differences and not findings:
        findings += _unexplained(answer, sent, outcome, creds, when, needs)
    if any(
        f.certain and f.cause != "wrong-secret" and not _only_missing_header(f) for f in findings
    ):
        # A proven slip explains the signature: "another secret" is then only noise.
        findings = [f for f in findings if f.certain or f.cause != "wrong-secret"]
    ordered = _ordered(findings)
    if verdict_cmp == "match":
        ordered = tuple(f for f in ordered if f.certain or refusals)
    verdict = _verdict(verdict_cmp, differences, ordered, outcome, bool(refusals))
    if accepted and focus is not None and not differences:
        # The server accepted this very request and no two views differ: a guess (an
        # uncertain finding) is withdrawn; a certain finding stands.
        notes.append(f"the server accepted it ({focus.status})")
        notes += [f"withdrawn guess: {f.cause}: {f.evidence}" for f in ordered if not f.certain]
        ordered = tuple(f for f in ordered if f.certain)
        verdict = _verdict(verdict_cmp, differences, ordered, outcome, False)
    if accepted and focus is not None and verdict == "no-data":
        notes.append(f"the server accepted it ({focus.status}); sigkit could not recompute it")
        verdict = "match"
    if not any(f.certain for f in ordered):
        needs += _needs(verdict, sent, creds, secret, when, answer, server_steps, client_steps)
    if verdict == "match" and outcome is not None and outcome.verdict == "match":
        notes.append("the signature verifies with the secret given")
    report = Report(
        verdict,
        a,
        b if b is not None else answer or sent_obs,
        tuple(compared),
        tuple(differences),
        ordered,
        tuple(notes),
        message=_message(verdict, observations, answer),
        refusals=tuple(refusals),
        needs=tuple(dict.fromkeys(needs)),
        server_time=when.isoformat() if when is not None else None,
        verification=outcome,
    )
    return report


def _host_of(request: Request | None) -> str | None:
    if request is None:
        return None
    try:
        return request.host
    except SigkitError:
        return None


def _auth_refusal(request: Request) -> list[Finding]:
    """What the request's own signature fields make S3 refuse before any secret is needed
    (X-Amz-Expires over a week, a malformed credential ...)."""
    try:
        read_auth(request)
    except InputError as exc:
        problem = getattr(exc, "problem", None)
        cause = getattr(problem, "cause", None)
        if cause:
            return [Finding(cause, str(getattr(problem, "message", exc)), certain=True)]
    return []


def _wire_findings(request: Request, answer: Observation) -> list[Finding]:
    """The request line the answer's record says went on the wire (urllib3 logs it after
    botocore logged the request) against the one the client signed: a hook or proxy layer
    changed it in between."""
    line = answer.details.get("request_line_sent")
    if not line:
        return []
    method, _, target = line.partition(" ")
    path, _, query = target.partition("?")
    said = (
        f"the client signed {request.method} {request.target!r} but sent {line!r} "
        f"({answer.where}): changed after it was signed"
    )
    signed_q = [n for n, _ in _query(request)]
    from sigkit.encoding import parse_query

    sent_q = [n for n, _ in parse_query(query)]
    if method != request.method:
        return [Finding("method", said, certain=True)]
    if path != request.path:
        return [Finding("path-encoding", said, certain=True)]
    if sorted(signed_q) != sorted(sent_q):
        return [Finding("query-not-sent", said, certain=True)]
    if query != (request.query or ""):
        cause = (
            "query-order"
            if sorted(query.split("&")) == sorted((request.query or "").split("&"))
            else "query-encoding"
        )
        return [Finding(cause, said, certain=True)]
    return []


def _raw_plus(request: Request, answer: Observation) -> list[Finding]:
    """Without a secret: a signature refusal of a request whose query holds a raw '+'. Servers
    read it as a space (S3) or as '+', signers encode it as %2B or %20: the commonest query
    slip, likely until the secret lets the variant search prove it."""
    signature_refusal = answer.error_code in (None, "", "SignatureDoesNotMatch")
    if not signature_refusal or past_signature(answer.status, answer.error_code):
        return []
    query = request.query or ""
    if "+" not in query:
        return []
    shown = query if len(query) <= 120 else f"{query[:117]}..."
    return [
        Finding(
            "query-encoding",
            f"the query holds a raw '+' ({shown!r}), which a server reads as a space and a "
            "signer may have encoded as %2B (give the secret to prove which)",
        )
    ]


def _same_exchange(obs: Observation, focus: Observation | None, origin: dict[int, int]) -> bool:
    """Whether `obs` belongs to the exchange `focus` answers: the same source and exchange
    number, or a source that numbers no exchanges (an error body, a raw request, a URL)."""
    if focus is None or obs.exchange is None or focus.exchange is None:
        return True
    return origin.get(id(obs)) == origin.get(id(focus)) and obs.exchange == focus.exchange


def _token_of(request: Request) -> str | None:
    """The session token the request carries, where its signature says it goes (the header or
    query parameter of its service: X-Amz-Security-Token, S3 Express's X-Amz-S3session-Token)."""
    try:
        auth = read_auth(request)
    except InputError:
        return None
    token = auth.token if auth is not None else None
    return token.strip() if token else None


def request_from_answer(answer: Observation) -> Request | None:
    """The request a server received, rebuilt from the CanonicalRequest and StringToSign its
    error body shows (AWS, ministack, sigkit serve) and the client's SignatureProvided: signed
    headers with their canonical values, the path and query as canonicalised, the payload line
    as x-amz-content-sha256. None when the answer lacks any of them (SigV4 only)."""
    from sigkit.debug.compare import parse_canonical_request, parse_string_to_sign

    canonical, sts = answer.canonical_request, answer.string_to_sign
    signature, key = answer.signature_provided, answer.access_key_id
    if not (canonical and sts and signature and key):
        return None
    parts, steps = parse_canonical_request(canonical), parse_string_to_sign(sts)
    if parts is None or steps is None or not steps["algorithm"].startswith("AWS4-HMAC"):
        return None
    headers = [tuple(line.split(":", 1)) for line in parts["headers"].split("\n") if ":" in line]
    names = {name for name, _ in headers}
    query = parts["query"]
    presigned = "X-Amz-Credential=" in query
    extra: list[tuple[str, str]] = []
    if presigned:
        query += f"&X-Amz-Signature={signature.strip()}"
    else:
        if "x-amz-date" not in names:
            extra.append(("X-Amz-Date", steps["date"]))
        extra.append((
            "Authorization",
            f"{steps['algorithm']} Credential={key}/{steps['scope']}, "
            f"SignedHeaders={parts['signed_headers']}, Signature={signature.strip()}",
        ))  # fmt: skip
    if "x-amz-content-sha256" not in names and parts["payload_hash"] != "UNSIGNED-PAYLOAD":
        extra.append(("x-amz-content-sha256", parts["payload_hash"]))
    try:
        return Request(
            parts["method"],
            parts["uri"],
            query or None,
            tuple((n, v) for n, v in headers) + tuple(extra),
            None,
            scheme="http",
        )
    except SigkitError:
        return None


def _signed_beyond_host(request: Request) -> list[str]:
    try:
        auth = read_auth(request)
    except InputError:
        return []
    names = auth.signed_headers if auth is not None else ()
    return [n for n in names if n and n.lower() != "host"]


def _is_v4a(request: Request) -> bool:
    split = split_authorization(request.header("authorization") or "")
    if split is not None and split[0] == "AWS4-ECDSA-P256-SHA256":
        return True
    return any(n == "X-Amz-Algorithm" and v == "AWS4-ECDSA-P256-SHA256" for n, v in _query(request))


def _body_hidden(request: Request) -> bool:
    """A body was announced, the capture shows none, and the signature covers its hash (no
    x-amz-content-sha256 header to take the payload line from; not a presigned URL)."""
    declared = (request.header("content-length") or "").strip()
    if request.body or not declared.isdigit() or int(declared) == 0:
        return False
    if request.header("x-amz-content-sha256") is not None:
        return False
    presigned = any(n in ("X-Amz-Signature", "Signature") for n, _ in _query(request))
    if presigned:
        return False
    split = split_authorization(request.header("authorization") or "")
    if split is None or not split[0].startswith("AWS4-"):
        return False  # S3 V2 signs no body hash (a Content-MD5 is a header, shown)
    scope = dict(split[1]).get("Credential", "").split("/")
    return not (len(scope) == 5 and is_s3(scope[3]))  # S3 requires the header: verify says so


def _unexplained(
    answer: Observation,
    sent: Request | None,
    outcome: VerifyResult | None,
    creds: Credentials | None,
    when: datetime | None,
    needs: list[str],
) -> list[Finding]:
    """A refusal nothing else explains: what the answer's code and the request make likely."""
    presigned = sent is not None and any(
        n in ("X-Amz-Signature", "Signature") for n, _ in _query(sent)
    )
    if answer.error_code == "AccessDenied" and presigned:
        if when is None:
            needs.append("--now (the server's time) to check the presigned URL's expiry")
        return [
            Finding(
                "expired",
                "the server answered AccessDenied to a presigned URL, as RGW and MinIO answer "
                "an expired one (their answer names no reason)",
            )
        ]
    signature_refusal = answer.error_code in (None, "", "SignatureDoesNotMatch") and not (
        past_signature(answer.status, answer.error_code)
    )
    verified = outcome is not None and outcome.verdict == "match"
    if signature_refusal and verified and creds is not None:
        return [_server_disagrees(answer, creds.access_key_id)]
    return []


def _server_disagrees(answer: Observation, key: str) -> Finding:
    """The request verifies with the secret given, yet the server refused it: unless its answer
    names another cause, the server holds another secret for the key (or other rules)."""
    said = answer.error_code or f"status {answer.status}"
    return Finding(
        "wrong-secret",
        f"the request as sent verifies with the secret given, yet the server answered {said}: "
        f"the server holds another secret for {key}, or checks the request under other rules "
        "(its region or service, a proxy's rewrite of what it received)",
    )


def _choose_pair(
    ours_given: list[Observation],
    client: Observation | None,
    server: Observation | None,
    recomputed: Observation | None,
) -> tuple[Observation | None, Observation | None]:
    """Which two views to compare, the most telling first: sigkit's computation (given, or the
    request as sent recomputed) against the server's steps; the client's own steps against the
    server's; sigkit's computation against the client's logged steps."""
    if ours_given and server is not None:
        return ours_given[-1], server
    if client is not None and server is not None:
        return client, server  # what the client signed against what the server computed
    ours = ours_given[-1] if ours_given else recomputed
    if ours is not None and server is not None:
        return ours, server
    if ours is not None and client is not None:
        return ours, client
    if ours_given and recomputed is None:
        return ours_given[-1], None
    return None, None


def _verdict(
    compared: str,
    differences: Sequence[Difference],
    findings: Sequence[Finding],
    outcome: VerifyResult | None,
    refused: bool,
) -> Verdict:
    if differences or findings or (outcome is not None and outcome.verdict == "mismatch"):
        return "mismatch"
    if refused:
        return "refused"
    if compared == "match" or (outcome is not None and outcome.verdict == "match"):
        return "match"
    return "no-data"


def _needs(
    verdict: str,
    sent: Request | None,
    creds: Credentials | None,
    secret: str | None,
    when: datetime | None,
    answer: Observation | None,
    server_steps: Observation | None,
    client_steps: Observation | None,
) -> list[str]:
    if verdict == "match":
        return []
    out: list[str] = []
    uncertain = verdict in ("refused", "no-data")
    if creds is None and secret is None and (uncertain or verdict == "mismatch"):
        if sent is not None:
            out.append(
                "give --secret-key (the access key is read from the source) to verify the "
                "request as sent and search the variants"
            )
        elif client_steps is not None or server_steps is not None:
            out.append("give --secret-key and the request as sent to recompute the signature")
    if sent is None and (uncertain or answer is not None):
        out.append(
            "give the request as sent: the client's --debug log, curl -v/--trace-ascii output, "
            "the raw request or the presigned URL"
        )
    if when is None and uncertain:
        out.append(
            "give --now (the server's time) or the server's answer with its Date header to "
            "check clock skew and expiry"
        )
    given_all = sent is not None and (creds is not None or secret is not None)
    if answer is not None and server_steps is None and uncertain and not given_all:
        out.append(
            "this server's error body holds no CanonicalRequest or StringToSign; with the "
            "secret and the request sigkit recomputes them"
        )
    return out


def _message(verdict: str, observations: list[Observation], answer: Observation | None) -> str:
    if verdict == "no-data":
        if not observations:
            return "the sources hold no signed request"
        return "the sources share no signing step to compare"
    if verdict == "refused" and answer is not None:
        if past_signature(answer.status, answer.error_code):
            return (
                f"the server refused the request ({answer.status}) after its signature passed "
                "(S3 looks the bucket and key up only then): not a signing refusal"
            )
        return f"the server refused the request ({answer.error_code or answer.status})"
    return ""

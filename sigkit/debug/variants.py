"""Find the variant that reproduces a client's signature, when the secret is known.

A server (or a captured request) shows only the signature the client sent. Each catalogued
slip — path encoded twice, ``+`` read differently, one header more or less in the signed set,
another region, a whitespace-padded secret ... — is one small change to the request, the
config or the credentials; recomputing under each through the core (`canonical_steps` and
`signing_key`, or `sign_v2`) and finding the one that matches turns a guess into a certainty.
Single changes only, bounded in count and time.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sigkit.credentials import Credentials
from sigkit.debug.model import Finding
from sigkit.encoding import parse_query, percent_decode, uri_encode
from sigkit.errors import SigkitError
from sigkit.http import DEFAULT_PORTS, Request
from sigkit.sigv2.s3 import Addressing, S3V2Config, sign_v2
from sigkit.sigv4.canonical import hash_body, header_groups, payload_hash
from sigkit.sigv4.config import EMPTY_SHA256, UNSIGNED_PAYLOAD, SigV4Config, rules_for
from sigkit.sigv4.signer import (
    canonical_steps,
    hmac_signature,
    signing_key,
    string_to_sign,
)
from sigkit.timefmt import EPOCH, amz_date, check_utc, parse_time

BUDGET_SECONDS = 0.8  # the whole search answers within a second
SKEW_SECONDS = 900  # AWS's 15 minutes either way
PLAUSIBLE_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "sa-east-1",
    "cn-north-1",
    "ru-central1",
    "auto",
)
PLAUSIBLE_SERVICES = ("s3", "execute-api", "es", "aoss", "lambda", "sts", "sqs", "dynamodb")


@dataclass(frozen=True)
class Candidate:
    """One catalogued change: which cause it stands for and what it changes."""

    cause: str
    what: str
    request: Request
    secret: str
    stamp: str
    scope: tuple[str, str, str]  # date, region, service
    config: SigV4Config
    unsigned: frozenset[str]
    payload: str


@dataclass(frozen=True)
class SearchReport:
    """What a search did: the finding (None when the baseline already matches), how many
    candidates it tried and how long it took."""

    finding: Finding | None
    tried: int
    seconds: float
    exhausted: bool  # False when the time budget cut the search short


def _query_without(query: str | None, names: frozenset[str]) -> str | None:
    if query is None:
        return None
    kept = [seg for seg in query.split("&") if seg and seg.split("=", 1)[0] not in names]
    return "&".join(kept)


def _authorization_parts(value: str) -> dict[str, str]:
    """Credential, SignedHeaders and Signature from an ``AWS4-HMAC-SHA256 ...`` header."""
    parts: dict[str, str] = {}
    _, _, rest = value.strip().partition(" ")
    for item in rest.split(","):
        name, _, val = item.strip().partition("=")
        parts[name] = val.strip()
    return parts


def _signature(c: Candidate) -> tuple[str, str]:
    """(signature, canonical request) of one candidate, through the core's own steps."""
    headers = list(c.request.headers)
    if c.request.header("host") is None:
        headers.insert(0, ("Host", c.request.host))
    values, _ = canonical_steps(
        c.request, header_groups(headers), c.config, c.unsigned, (c.payload, "variant")
    )
    date, region, service = c.scope
    scope = f"{date}/{region}/{service}/aws4_request"
    text = string_to_sign(c.stamp, scope, values["canonical_request_hash"])
    signature = hmac_signature(signing_key(c.secret, date, region, service)[3], text)
    return signature, values["canonical_request"]


def _toggle_port(request: Request) -> Request | None:
    host = request.host
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and "]" not in port:
        new_host = name
    else:
        new_host = f"{host}:{DEFAULT_PORTS[request.scheme]}"
    headers = tuple((n, new_host) if n.lower() == "host" else (n, v) for n, v in request.headers)
    if request.header("host") is None:
        headers = (("Host", new_host), *headers)
    return replace(request, headers=headers)


def _with_path(request: Request, path: str) -> Request | None:
    try:
        return replace(request, path=path)
    except SigkitError:
        return None


def _reencoded_query(query: str) -> str:
    """The query encoded once more: what a client signed when it encoded an encoded URL."""
    out = []
    for name, value in parse_query(query):
        enc = uri_encode(name)
        out.append(enc if value is None else f"{enc}={uri_encode(value)}")
    return "&".join(out)


def _candidates(base: Candidate, scope_known: bool, when: datetime) -> Iterator[Candidate]:
    cfg, req = base.config, base.request
    yield replace(
        base,
        cause="path-encoding",
        what=f"path encoded {'once' if cfg.double_uri_encode else 'twice'}",
        config=replace(cfg, double_uri_encode=not cfg.double_uri_encode),
    )
    yield replace(
        base,
        cause="path-encoding",
        what=f"path {'not ' if cfg.normalize_path else ''}normalised",
        config=replace(cfg, normalize_path=not cfg.normalize_path),
    )
    decoded = percent_decode(req.path).decode("utf-8", "surrogateescape")
    decoded_request = _with_path(req, decoded) if decoded != req.path else None
    if decoded_request is not None:
        yield replace(
            base,
            cause="path-encoding",
            what=f"path signed decoded ({decoded!r}), sent encoded",
            request=decoded_request,
        )
    if req.query:
        yield replace(
            base,
            cause="query-encoding",
            what="'+' in the query read as " + ("%2B" if cfg.plus_as_space else "a space"),
            config=replace(cfg, plus_as_space=not cfg.plus_as_space),
        )
        yield replace(
            base,
            cause="query-encoding",
            what="query encoded twice",
            request=req.with_query(_reencoded_query(req.query)),
        )
    sent = {n.lower() for n, _ in req.headers} | {"host"}
    for name in sorted(sent - base.unsigned - {"host"}):
        cause = "session-token" if name == "x-amz-security-token" else "unsigned-header"
        yield replace(
            base,
            cause=cause,
            what=f"header {name} left out of the signed set",
            unsigned=base.unsigned | {name},
        )
    for name in sorted(sent & base.unsigned - {"authorization"}):
        yield replace(
            base,
            cause="unsigned-header",
            what=f"header {name} signed as well",
            unsigned=base.unsigned - {name},
        )
    toggled = _toggle_port(req)
    if toggled is not None:
        yield replace(
            base,
            cause="host-port",
            what=f"host signed as {toggled.host!r}",
            request=toggled,
        )
    body_hash = hash_body(req.body) if isinstance(req.body, bytes | type(None)) else None
    for value in (EMPTY_SHA256, UNSIGNED_PAYLOAD, body_hash):
        if value is not None and value != base.payload:
            yield replace(base, cause="payload-hash", what=f"payload line {value}", payload=value)
    secret = base.secret
    for variant, label in (
        (secret + "\n", "with a trailing newline"),
        (secret + "\r\n", "with a trailing CR LF"),
        (secret + " ", "with a trailing space"),
        (" " + secret, "with a leading space"),
        (secret.strip(), "stripped"),
    ):
        if variant != secret and variant:
            yield replace(base, cause="secret-whitespace", what=f"secret {label}", secret=variant)
    date, region, service = base.scope
    if not scope_known:
        day = datetime.strptime(date, "%Y%m%d")
        for delta in (-1, 1):
            other = (day + timedelta(days=delta)).strftime("%Y%m%d")
            yield replace(
                base, cause="scope-date", what=f"scope date {other}", scope=(other, region, service)
            )
        for other in PLAUSIBLE_REGIONS:
            if other != region:
                yield replace(
                    base, cause="region", what=f"region {other}", scope=(date, other, service)
                )
        for other in PLAUSIBLE_SERVICES:
            if other != service:
                yield replace(
                    base, cause="service", what=f"service {other}", scope=(date, region, other)
                )
    if req.header("x-amz-date") is None and not scope_known:
        start = check_utc(when)
        for seconds in range(1, SKEW_SECONDS + 1):
            for sign in (-1, 1):
                moment = start + timedelta(seconds=sign * seconds)
                stamp = amz_date(moment)
                yield replace(
                    base,
                    cause="clock-skew",
                    what=f"signed at {stamp} ({sign * seconds:+d} s)",
                    request=req.with_headers([("X-Amz-Date", stamp)]),
                    stamp=stamp,
                    scope=(stamp[:8], region, service),
                )


def _observed(
    request: Request, when: datetime, config: SigV4Config
) -> tuple[Request, str, tuple[str, str, str] | None, frozenset[str] | None]:
    """The request as the client signed it (signature removed), its stamp, its scope and
    signed header set where the request shows them."""
    pairs = dict((n, v or "") for n, v in parse_query(request.query or ""))
    if "X-Amz-Signature" in pairs:
        stamp = pairs.get("X-Amz-Date") or amz_date(check_utc(when))
        credential = percent_decode(pairs.get("X-Amz-Credential", "")).decode()
        signed = percent_decode(pairs.get("X-Amz-SignedHeaders", "")).decode()
        request = request.with_query(_query_without(request.query, frozenset({"X-Amz-Signature"})))
    else:
        auth = request.header("authorization")
        parts = _authorization_parts(auth) if auth else {}
        credential, signed = parts.get("Credential", ""), parts.get("SignedHeaders", "")
        sent_date = request.header("x-amz-date")
        stamp = sent_date.strip() if sent_date else amz_date(check_utc(when))
        request = replace(
            request, headers=tuple(h for h in request.headers if h[0].lower() != "authorization")
        )
    scope_parts = credential.split("/")
    scope = (scope_parts[1], scope_parts[2], scope_parts[3]) if len(scope_parts) == 5 else None
    unsigned = None
    if signed:
        names = set(signed.split(";"))
        unsigned = frozenset({n.lower() for n, _ in request.headers} - names) | frozenset(
            {"authorization"}
        )
    return request, stamp, scope, unsigned


def scope_of(request: Request) -> tuple[str, str, str] | None:
    """(date, region, service) from the Authorization header or X-Amz-Credential, if any."""
    return _observed(request, EPOCH, SigV4Config("x", "x"))[2]


def _base_payload(sent: Request, signed: Request, config: SigV4Config, service: str) -> str:
    """The payload line the server would take: a presigned URL's is the service's (`rules_for`:
    UNSIGNED-PAYLOAD for S3 unless x-amz-content-sha256 is sent)."""
    presigned = any(n == "X-Amz-Signature" for n, _ in parse_query(sent.query or ""))
    if presigned and config.payload_hash is None:
        sent_hash = signed.header("x-amz-content-sha256") is not None
        rules = rules_for(service, config.region, variant="query", content_sha256_sent=sent_hash)
        if rules.payload_hash is not None:
            return rules.payload_hash
    return payload_hash(signed, config)[0]


def _scope_policy(scope: tuple[str, str, str], config: SigV4Config) -> Finding | None:
    """The signature verifies under the client's own scope: a region or service the server
    does not serve is then the whole cause."""
    for cause, theirs, ours in (
        ("region", scope[1], config.region),
        ("service", scope[2], config.service),
    ):
        if theirs != ours:
            evidence = (
                f"the signature verifies under the client's scope {'/'.join(scope)}, but this "
                f"endpoint is {cause} {ours!r}, not {theirs!r}"
            )
            return Finding(cause, evidence, certain=True)
    return None


def search_v4(
    request: Request,
    credentials: Credentials,
    when: datetime,
    config: SigV4Config,
    observed_signature: str,
    *,
    budget: float = BUDGET_SECONDS,
) -> SearchReport:
    """Recompute a SigV4 signature under each catalogued variant until one matches
    `observed_signature`. `request` is the request as received (Authorization or the presigned
    parameters still on it); the scope and signed headers it shows are taken as given."""
    started = time.perf_counter()
    signed_request, stamp, scope, unsigned = _observed(request, when, config)
    scope_known = scope is not None
    if scope is None:
        scope = (stamp[:8], config.region, config.service)
    observed = observed_signature.strip().lower()
    base = Candidate(
        cause="",
        what="as given",
        request=signed_request,
        secret=credentials.secret_access_key,
        stamp=stamp,
        scope=scope,
        config=config,
        unsigned=unsigned if unsigned is not None else config.unsigned_headers,
        payload=_base_payload(request, signed_request, config, scope[2]),
    )
    signature, _ = _signature(base)
    if hmac.compare_digest(signature, observed):
        return SearchReport(_scope_policy(scope, config), 1, time.perf_counter() - started, True)
    tried = 1
    for candidate in _candidates(base, scope_known, parse_or(when, stamp)):
        if time.perf_counter() - started > budget:
            return SearchReport(
                _none_found(tried, False), tried, time.perf_counter() - started, False
            )
        tried += 1
        try:
            signature, canonical = _signature(candidate)
        except SigkitError:
            continue
        if hmac.compare_digest(signature, observed):
            evidence = (
                f"the client's signature {observed} is reproduced exactly with {candidate.what} "
                f"(tried {tried} variants); the client's canonical request was:\n{canonical}"
            )
            finding = Finding(candidate.cause, evidence, certain=True)
            return SearchReport(finding, tried, time.perf_counter() - started, True)
    return SearchReport(_none_found(tried, True), tried, time.perf_counter() - started, True)


def parse_or(when: datetime, stamp: str) -> datetime:
    """The signing time the request states, else `when`."""
    try:
        return parse_time(stamp)
    except SigkitError:
        return when


def _none_found(tried: int, exhausted: bool) -> Finding:
    limit = "" if exhausted else " before the time limit"
    return Finding(
        "wrong-secret",
        f"none of {tried} catalogued variants{limit} reproduces the client's signature: the "
        "secret differs, or something outside the catalogue (a header value changed in "
        "transit, a body rewritten)",
    )


def find_variant(
    request: Request,
    credentials: Credentials,
    when: datetime,
    config: SigV4Config,
    observed_signature: str,
) -> Finding | None:
    """The cause whose variant reproduces the client's SigV4 signature (certain), a
    ``wrong-secret`` finding when none does, or None when the request verifies as it is
    (a region or service other than `config`'s in the client's own scope is then reported)."""
    return search_v4(request, credentials, when, config, observed_signature).finding


def _v2_candidates(
    request: Request, secret: str, config: S3V2Config
) -> Iterator[tuple[str, str, Request, str, S3V2Config]]:
    styles: tuple[Addressing, ...] = ("virtual-hosted", "path")
    for style in styles:
        if style != config.addressing:
            yield (
                "addressing-style",
                f"{style} addressing in the resource",
                request,
                secret,
                replace(config, addressing=style),
            )
    for name in ("content-type", "content-md5"):
        if request.header(name) is not None:
            kept = tuple(h for h in request.headers if h[0].lower() != name)
            yield (
                "content-type-md5",
                f"{name} not signed (added after signing)",
                replace(request, headers=kept),
                secret,
                config,
            )
    for name, value in request.headers:
        if name.lower() == "x-amz-security-token":
            kept = tuple(h for h in request.headers if h != (name, value))
            yield (
                "session-token",
                "session token not signed",
                replace(request, headers=kept),
                secret,
                config,
            )
    yield (
        "v2-subresource",
        "'+' in sub-resource values read as " + ("'+'" if config.plus_as_space else "a space"),
        request,
        secret,
        replace(config, plus_as_space=not config.plus_as_space),
    )
    for variant, label in (
        (secret + "\n", "with a trailing newline"),
        (secret + " ", "with a trailing space"),
        (secret.strip(), "stripped"),
    ):
        if variant != secret and variant:
            yield "secret-whitespace", f"secret {label}", request, variant, config


def find_variant_v2(
    request: Request,
    credentials: Credentials,
    when: datetime,
    config: S3V2Config,
    observed_signature: str,
) -> Finding | None:
    """As `find_variant`, for an S3 V2 header signature (recomputed with `sign_v2`)."""
    unsigned = replace(
        request, headers=tuple(h for h in request.headers if h[0].lower() != "authorization")
    )
    observed = observed_signature.strip()

    def reproduce(req: Request, secret: str, cfg: S3V2Config) -> str:
        creds = Credentials(credentials.access_key_id, secret, credentials.session_token)
        return sign_v2(req, creds, when, cfg)["string_to_sign"]

    def signature_of(req: Request, secret: str, cfg: S3V2Config) -> str:
        creds = Credentials(credentials.access_key_id, secret, credentials.session_token)
        return sign_v2(req, creds, when, cfg).signature

    if hmac.compare_digest(signature_of(unsigned, credentials.secret_access_key, config), observed):
        return None
    tried = 1
    check: Callable[[Request, str, S3V2Config], str] = signature_of
    for cause, what, req, secret, cfg in _v2_candidates(
        unsigned, credentials.secret_access_key, config
    ):
        tried += 1
        try:
            if hmac.compare_digest(check(req, secret, cfg), observed):
                evidence = (
                    f"the client's signature {observed} is reproduced exactly with {what} "
                    f"(tried {tried} variants); the client's string to sign was:\n"
                    f"{reproduce(req, secret, cfg)}"
                )
                return Finding(cause, evidence, certain=True)
        except SigkitError:
            continue
    return _none_found(tried, True)

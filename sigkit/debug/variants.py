"""Find the variant that reproduces a client's signature, when the secret is known.

A server (or a captured request) shows only the signature the client sent. Each catalogued
slip — the query signed unsorted or as sent, ``+`` read differently, a sub-resource left out,
a header value rewritten in transit, a key derived for yesterday, another region ... — is one
small change to what the client signed; recomputing under each through the core
(`canonical_uri`, `canonical_query`, `canonical_headers`, `signing_key`; `sign_v2`,
`canonical_resource`) and finding the one that reproduces the signature turns a guess into a
certainty, and shows the client's own canonical request (SigV4) or string to sign (V2).

Every generator declares the cause it stands for (`V4_GENERATORS`, `V2_GENERATORS`, keyed by
the ids of `sigkit.debug.causes`) and yields single changes, most likely first, plus the few
pairs real clients combine (curl 7.88 signs the query as sent *and* the empty-body hash for
``-T``). The search stops at the first reproduction and within `BUDGET_SECONDS`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sigkit.credentials import Credentials
from sigkit.debug.model import Finding
from sigkit.encoding import (
    UNRESERVED_OR_SLASH,
    canonical_query_pairs,
    parse_query,
    percent_decode,
    uri_encode,
)
from sigkit.errors import SigkitError
from sigkit.http import DEFAULT_PORTS, Request
from sigkit.sigv2.s3 import (
    SUBRESOURCES,
    Addressing,
    S3V2Config,
    _sign,
    canonical_resource,
    sign_v2,
    sign_v2_query,
)
from sigkit.sigv4.canonical import (
    canonical_headers,
    canonical_query,
    canonical_uri,
    hash_body,
    header_groups,
    payload_hash,
)
from sigkit.sigv4.config import EMPTY_SHA256, UNSIGNED_PAYLOAD, SigV4Config, rules_for
from sigkit.sigv4.signer import (
    PRESIGN_PARAMS,
    hmac_signature,
    signing_key,
    string_to_sign,
)
from sigkit.timefmt import EPOCH, amz_date, check_utc, http_date, parse_time
from sigkit.verify import DEFAULT_SKEW, split_authorization

BUDGET_SECONDS = 0.8  # the whole search answers within a second
SKEW_SECONDS = int(DEFAULT_SKEW.total_seconds())  # verify.py holds the window
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
METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")
COMMON_PORTS = (80, 443, 8080, 8000, 9000, 7480)
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
COMMON_CONTENT_TYPES = (
    "application/octet-stream",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/json",
    "binary/octet-stream",
    "application/xml",
    "text/html",
    "text/csv",
    "image/jpeg",
    "image/png",
    "application/pdf",
)
# Parameters a client commonly signs for an operation: (name, value or None for a bare name).
COMMON_QUERY: tuple[tuple[str, str | None], ...] = (
    ("list-type", "2"),
    ("x-id", "GetObject"),
    ("x-id", "PutObject"),
    ("acl", None),
    ("uploads", None),
    ("versioning", None),
    ("location", None),
    ("tagging", None),
    ("delete", None),
    ("policy", None),
    ("cors", None),
    ("lifecycle", None),
    ("versions", None),
)
V2_COMMON_SUBRESOURCES = tuple(name for name, value in COMMON_QUERY if value is None)
V2_QUERY_PARAMS = frozenset({"AWSAccessKeyId", "Signature", "Expires", "x-amz-security-token"})
# Hosts whose region is not written in them: (suffix, region).
HOST_REGIONS = (
    (".r2.cloudflarestorage.com", "auto"),
    ("storage.yandexcloud.net", "ru-central1"),
    ("storage.googleapis.com", "auto"),
)
_REGION_LABEL = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+\Z")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}\Z")
_NOT_A_SERVICE = frozenset({"dualstack", "amazonaws", "com", "cn", "fips", "www", "api", "aws"})


@dataclass(frozen=True)
class Candidate:
    """One catalogued change: which cause it stands for and what the client signed.

    `uri` / `query` are canonical lines as the client wrote them (where no rule of the config
    yields them); `values` are header values as the client signed them (lower-case name);
    `key_date` is the date the key was derived for when it is not the scope's."""

    cause: str
    what: str
    request: Request
    secret: str
    stamp: str
    scope: tuple[str, str, str]  # date, region, service
    config: SigV4Config
    unsigned: frozenset[str]
    payload: str
    key_date: str | None = None
    uri: str | None = None
    query: str | None = None
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SearchReport:
    """What a search did: the finding (None when the baseline already matches), how many
    candidates it tried and how long it took."""

    finding: Finding | None
    tried: int
    seconds: float
    exhausted: bool  # False when the time budget cut the search short


Change = tuple[str, dict[str, Any]]  # what the variant is, the fields it changes


@dataclass(frozen=True)
class _V4Search:
    base: Candidate
    scope_known: bool
    signed: frozenset[str] | None  # the names in SignedHeaders, when the request shows them
    presigned: bool
    when: datetime
    uri: str  # the base's canonical URI and query
    query: str


V4Generator = Callable[[_V4Search], Iterator[Change]]
V4_GENERATORS: list[tuple[str, V4Generator]] = []


def _v4(cause: str) -> Callable[[V4Generator], V4Generator]:
    """Declare a SigV4 generator for `cause`; they are tried in the order declared."""

    def register(generator: V4Generator) -> V4Generator:
        V4_GENERATORS.append((cause, generator))
        return generator

    return register


# --- shared helpers ---------------------------------------------------------------------------


def _query_without(query: str | None, names: frozenset[str]) -> str | None:
    if query is None:
        return None
    kept = [seg for seg in query.split("&") if seg and seg.split("=", 1)[0] not in names]
    return "&".join(kept)


def _authorization_parts(value: str) -> dict[str, str]:
    """Credential, SignedHeaders and Signature from an ``AWS4-HMAC-SHA256 ...`` header."""
    split = split_authorization(value)
    return {name: val for name, val in split[1] if name} if split is not None else {}


def _request(request: Request, **changes: Any) -> Request | None:
    try:
        return replace(request, **changes)
    except SigkitError:
        return None


def _with_path(request: Request, path: str) -> Request | None:
    return _request(request, path=path)


def _unique(values: Iterable[str], *skip: str) -> list[str]:
    out: list[str] = []
    for value in values:
        if value not in out and value not in skip:
            out.append(value)
    return out


def _join(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{name}={value}" for name, value in pairs)


def _pairs_in_order(raw: str, plus_as_space: bool) -> list[tuple[str, str]]:
    """The canonical (encoded) pairs of a query in the order sent."""
    return [
        pair
        for segment in raw.split("&")
        if segment
        for pair in canonical_query_pairs(segment, plus_as_space=plus_as_space)
    ]


def _reencoded_query(query: str) -> str:
    """The query encoded once more: what a client signed when it encoded an encoded URL."""
    out = []
    for name, value in parse_query(query):
        enc = uri_encode(name)
        out.append(enc if value is None else f"{enc}={uri_encode(value)}")
    return "&".join(out)


def _body_hashes(request: Request) -> list[str]:
    body = request.body
    body_hash = hash_body(body) if isinstance(body, bytes | type(None)) else None
    return [v for v in (EMPTY_SHA256, UNSIGNED_PAYLOAD, body_hash) if v is not None]


def _rewrites(name: str, value: str, sent: list[str]) -> list[tuple[str, str]]:
    """(how, the value the client signed) for a header value as an HTTP stack or proxy
    commonly rewrites it: a charset added to Content-Type, case or spacing changed, two
    headers of one name merged."""
    out: list[tuple[str, str]] = []
    if name == "content-type":
        main = value.split(";", 1)[0].strip()
        out.append(("charset appended in transit", main))
        # A presigned or hand-signed type the HTTP client then replaced by its default
        # (curl -d: application/x-www-form-urlencoded; browsers, fetch, axios ...).
        out += [("replaced by the client's default type", t) for t in COMMON_CONTENT_TYPES]
        for sep in ("; ", ";"):
            for charset in ("charset=utf-8", "charset=UTF-8"):
                out.append(("charset added or rewritten in transit", f"{main}{sep}{charset}"))
    out.append(("case changed in transit", value.lower()))
    out.append(("case changed in transit", value.upper()))
    # Title case per token (Text/Plain, Application/Json, Keep-Alive): what hand-written
    # clients write and proxies lower-case.
    titled = re.sub(r"[A-Za-z]+", lambda m: m.group().capitalize(), value)
    out.append(("case changed in transit", titled))
    out.append(("case changed in transit", value[:1].upper() + value[1:]))
    out.append(("spacing changed in transit", re.sub(r"\s*([;,])\s*", r"\1", value)))
    out.append(("spacing changed in transit", re.sub(r"\s*([;,])\s*", r"\1 ", value).strip()))
    unfolded = ",".join(v.strip() for v in sent)
    out.append(("inner whitespace signed unfolded", unfolded))
    if len(sent) > 1:
        out += [("sent twice, one value signed", " ".join(v.split())) for v in sent]
    seen = {value}
    unique = []
    for how, original in out:
        if original not in seen:
            seen.add(original)
            unique.append((how, original))
    return unique


def host_scope(host: str) -> tuple[list[str], list[str]]:
    """(regions, services) a host name states: ``bucket.s3.eu-west-1.amazonaws.com`` says
    eu-west-1 and s3, ``*.r2.cloudflarestorage.com`` says auto, ``storage.yandexcloud.net``
    ru-central1; ``s3.<region>.<provider>`` names its region after ``s3``."""
    name = host.lower()
    if not name.endswith("]"):
        name = name.rsplit(":", 1)[0]
    regions: list[str] = []
    services: list[str] = []
    for suffix, region in HOST_REGIONS:
        if name == suffix.lstrip(".") or name.endswith(suffix):
            regions.append(region)
            if "storage" in suffix:
                services.append("s3")
    labels = name.split(".")
    for i, label in enumerate(labels):
        legacy = label[3:] if label.startswith("s3-") else ""
        if _REGION_LABEL.match(label) or _REGION_LABEL.match(legacy):
            regions.append(legacy or label)
            if legacy:
                services.append("s3")
            for j in (i + 1, i - 1, i - 2):
                if (
                    0 <= j < len(labels)
                    and labels[j] not in _NOT_A_SERVICE
                    and re.fullmatch(r"[a-z][a-z0-9-]*", labels[j])
                ):
                    services.append(labels[j])
                    break
        elif label == "s3" and i + 1 < len(labels) - 1 and labels[i + 1] not in _NOT_A_SERVICE:
            regions.append(labels[i + 1])
            services.append("s3")
    return _unique(regions), _unique(services)


# --- SigV4 ------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _uri_line(path: str, config: SigV4Config) -> str:
    return canonical_uri(path, config)[0]


@lru_cache(maxsize=64)
def _query_line(raw: str | None, config: SigV4Config) -> str:
    return canonical_query(raw, config)[0] if raw else ""


def _signature(c: Candidate) -> tuple[str, str]:
    """(signature, canonical request) of one candidate, through the core's own steps (the
    URI and query lines, the costly ones, remembered across candidates)."""
    groups = header_groups(c.request.headers)
    if "host" not in groups:
        groups["host"] = c.request.host
    for name, value in c.values:
        groups[name] = value
    header_lines, signed, _ = canonical_headers(groups, c.unsigned)
    uri = _uri_line(c.request.path, c.config) if c.uri is None else c.uri
    query = _query_line(c.request.query, c.config) if c.query is None else c.query
    canonical = f"{c.request.method}\n{uri}\n{query}\n{header_lines}\n{signed}\n{c.payload}"
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    date, region, service = c.scope
    text = string_to_sign(c.stamp, f"{date}/{region}/{service}/aws4_request", digest)
    key = signing_key(c.secret, c.key_date or date, region, service)[3]
    return hmac_signature(key, text), canonical


@_v4("query-order")
def _query_in_order_sent(s: _V4Search) -> Iterator[Change]:
    raw = s.base.request.query
    if raw and "&" in raw:
        line = _join(_pairs_in_order(raw, s.base.config.plus_as_space))
        if line != s.query:
            yield "the query in the order sent, not sorted", {"query": line}


@_v4("empty-query-value")
def _valueless_bare(s: _V4Search) -> Iterator[Change]:
    raw = s.base.request.query
    if not raw:
        return
    plus = s.base.config.plus_as_space
    bare = {
        canonical_query_pairs(segment, plus_as_space=plus)[0][0]
        for segment in raw.split("&")
        if segment and "=" not in segment
    }
    if bare:
        pairs = canonical_query_pairs(raw, plus_as_space=plus)
        line = "&".join(n if not v and n in bare else f"{n}={v}" for n, v in pairs)
        names = ", ".join(repr(n) for n in sorted(bare))
        yield f"valueless parameters signed bare, without '=' ({names})", {"query": line}


@_v4("query-encoding")
def _query_encodings(s: _V4Search) -> Iterator[Change]:
    request, cfg = s.base.request, s.base.config
    raw = request.query
    if not raw:
        return
    if "+" in raw:
        yield (
            "'+' in the query read as " + ("%2B" if cfg.plus_as_space else "a space"),
            {"config": replace(cfg, plus_as_space=not cfg.plus_as_space)},
        )
    if raw != s.query:
        yield (
            "the query signed exactly as sent (unsorted, not re-encoded: curl before 8.3)",
            {"query": raw},
        )
    kept = "&".join(sorted(f"{n}={v or ''}" for n, v in parse_query(raw)))
    if kept not in (s.query, raw):
        yield "each pair signed as sent (not re-encoded), sorted, with '='", {"query": kept}
    twice = _request(request, query=_reencoded_query(raw))
    if twice is not None and twice.query != raw:
        yield "the query encoded twice", {"request": twice}
    if "%20" in s.query:
        # application/x-www-form-urlencoded habits (urlencode, quote_plus, URLSearchParams):
        # a space signed as '+' while the wire carries %20.
        yield (
            "a space signed as '+' (form encoding), sent as %20",
            {"query": s.query.replace("%20", "+")},
        )
        yield (
            "a space signed as %2B (form '+' encoded again), sent as %20",
            {"query": s.query.replace("%20", "%2B")},
        )
    if "%2b" in raw.lower():
        plus = re.sub("%2[bB]", "+", raw)
        line = _join(canonical_query_pairs(plus, plus_as_space=True))
        if line != s.query:
            yield "'%2B' decoded to '+', then read as a space (curl 8 before 8.19)", {"query": line}


@_v4("path-encoding")
def _path_encodings(s: _V4Search) -> Iterator[Change]:
    request, cfg = s.base.request, s.base.config
    path = request.path
    if not UNRESERVED_OR_SLASH.match(path):
        yield (
            f"path encoded {'once' if cfg.double_uri_encode else 'twice'}",
            {"config": replace(cfg, double_uri_encode=not cfg.double_uri_encode)},
        )
    if "//" in path or "/." in path:
        yield (
            f"path {'not ' if cfg.normalize_path else ''}normalised",
            {"config": replace(cfg, normalize_path=not cfg.normalize_path)},
        )
    decoded = percent_decode(path).decode("utf-8", "surrogateescape")
    decoded_request = _with_path(request, decoded) if decoded != path else None
    if decoded_request is not None:
        yield f"path signed decoded ({decoded!r}), sent encoded", {"request": decoded_request}
    if path != s.uri:
        yield "the path signed exactly as sent (not re-encoded: curl before 8.9)", {"uri": path}
    if "+" in path:
        for written, label in (("%20", "a space"), ("%2B", "%2B")):
            try:
                uri = canonical_uri(path.replace("+", written), cfg)[0]
            except SigkitError:
                continue
            if uri not in (s.uri, path):
                yield f"'+' in the path read as {label}", {"uri": uri}


@_v4("payload-hash")
def _payloads(s: _V4Search) -> Iterator[Change]:
    for value in _body_hashes(s.base.request):
        if value != s.base.payload:
            yield f"payload line {value}", {"payload": value}


@_v4("host-port")
def _host_ports(s: _V4Search) -> Iterator[Change]:
    request = s.base.request
    host = request.host
    name, sep, port = host.rpartition(":")
    if not (sep and port.isdigit() and "]" not in port):
        name, port = host, ""
    options = [name] if port else []
    options += [f"{name}:{p}" for p in (DEFAULT_PORTS[request.scheme], *COMMON_PORTS)]
    for value in _unique(options, host):
        yield f"host signed as {value!r}, sent as {host!r}", {"values": (("host", value),)}


@_v4("header-changed")
def _header_rewrites(s: _V4Search) -> Iterator[Change]:
    request, unsigned = s.base.request, s.base.unsigned
    groups = header_groups(request.headers)
    for name in sorted(groups):
        if name in unsigned:
            continue
        if name == "host":
            lower = groups[name].lower()
            if lower != groups[name]:
                yield (
                    f"host signed as {lower!r} (case changed in transit)",
                    {"values": (("host", lower),)},
                )
            # A loopback endpoint signed under one of its other names (a local proxy, a
            # client configured with localhost while the server sees 127.0.0.1).
            hostname, sep, port = lower.rpartition(":") if "]" not in lower[-1:] else ("", "", "")
            if not sep or not port.isdigit():
                hostname, port = lower, ""
            if hostname in LOOPBACK_NAMES:
                for other in LOOPBACK_NAMES:
                    if other != hostname:
                        value = f"{other}:{port}" if port else other
                        yield (
                            f"host signed as {value!r}, sent as {groups[name]!r} (another name "
                            "of the same loopback endpoint)",
                            {"values": (("host", value),)},
                        )
            continue
        for how, original in _rewrites(name, groups[name], request.header_values(name)):
            yield (
                f"{name} signed as {original!r}, sent as {groups[name]!r} ({how})",
                {"values": ((name, original),)},
            )


def _guesses(name: str, request: Request) -> list[str]:
    """Values a client commonly signs for a header it then does not send."""
    body = request.body if isinstance(request.body, bytes) else None
    if name == "content-type":
        return list(COMMON_CONTENT_TYPES)
    if name == "content-md5" and body is not None:
        return [base64.b64encode(hashlib.md5(body).digest()).decode("ascii")]
    if name == "content-length":
        return [str(len(body or b""))]
    if name == "expect":
        return ["", "100-continue"]
    return []


@_v4("unsigned-header")
def _signed_set(s: _V4Search) -> Iterator[Change]:
    request, unsigned = s.base.request, s.base.unsigned
    sent = {n.lower() for n, _ in request.headers} | {"host"}
    if s.signed is None:  # else SignedHeaders says what was signed
        for name in sorted(sent - unsigned - {"host", "x-amz-security-token"}):
            yield (
                f"header {name} left out of the signed set (added after signing)",
                {"unsigned": unsigned | {name}},
            )
        for name in sorted(sent & unsigned - {"authorization"}):
            yield f"header {name} signed as well", {"unsigned": unsigned - {name}}
        return
    for name in sorted(s.signed - sent):
        if name == "x-amz-content-sha256":
            for value in _body_hashes(request):
                yield (
                    f"{name}: {value} signed but not sent (dropped in transit)",
                    {
                        "values": ((name, value),),
                        "unsigned": unsigned - {name},
                        "payload": value,
                    },
                )
        for value in _guesses(name, request):
            yield (
                f"{name}: {value!r} signed but not sent (dropped in transit)",
                {
                    "values": ((name, value),),
                    "unsigned": unsigned - {name},
                },
            )


@_v4("session-token")
def _token_unsigned(s: _V4Search) -> Iterator[Change]:
    request, unsigned = s.base.request, s.base.unsigned
    token = "x-amz-security-token"
    if s.signed is None and request.header(token) is not None and token not in unsigned:
        yield "the session token left out of the signed set", {"unsigned": unsigned | {token}}
    if s.presigned and request.query and "X-Amz-Security-Token=" in request.query:
        query = _query_without(request.query, frozenset({"X-Amz-Security-Token"}))
        changed = _request(request, query=query)
        if changed is not None:
            yield (
                "X-Amz-Security-Token left out of the signed query (appended after signing)",
                {"request": changed},
            )


@_v4("query-not-sent")
def _query_params(s: _V4Search) -> Iterator[Change]:
    request = s.base.request
    raw = request.query or ""
    segments = [segment for segment in raw.split("&") if segment]
    names = set()
    for i, segment in enumerate(segments):
        name = segment.split("=", 1)[0]
        names.add(name)
        if name in PRESIGN_PARAMS:
            continue
        rest = "&".join(segments[:i] + segments[i + 1 :])
        changed = _request(request, query=rest if rest or s.presigned else None)
        if changed is not None:
            yield (
                f"query parameter {segment!r} not signed (added after signing)",
                {"request": changed},
            )
    for name, value in COMMON_QUERY:
        if name in names:
            continue
        segment = name if value is None else f"{name}={value}"
        changed = _request(request, query=f"{raw}&{segment}" if raw else segment)
        if changed is not None:
            yield f"query parameter {segment!r} signed but not sent", {"request": changed}


@_v4("method")
def _methods(s: _V4Search) -> Iterator[Change]:
    request = s.base.request
    for method in METHODS:
        if method != request.method:
            yield (
                f"signed for {method}, sent as {request.method}",
                {"request": replace(request, method=method)},
            )


@_v4("query-encoding")
def _curl_788_pairs(s: _V4Search) -> Iterator[Change]:
    """curl before 8.3 signs the query and the path as sent, and (7.88, ``-T``) the empty-body
    hash: the pairs a single change cannot reach."""
    request = s.base.request
    raw = request.query
    if not raw or raw == s.query:
        return
    path = request.path if request.path != s.uri else None
    if path is not None:
        yield (
            "the query and the path signed exactly as sent (curl before 8.3)",
            {
                "query": raw,
                "uri": path,
            },
        )
    for value in _body_hashes(request):
        if value != s.base.payload:
            yield (
                f"the query signed exactly as sent and payload line {value} (curl 7.88 -T)",
                {
                    "query": raw,
                    "payload": value,
                },
            )
            if path is not None:
                what = f"the query and the path signed as sent and payload line {value} (curl 7.88)"
                yield what, {"query": raw, "uri": path, "payload": value}


@_v4("path-encoding")
def _curl_path_and_payload(s: _V4Search) -> Iterator[Change]:
    """curl 7.88 ``-T`` to a path it signs as sent (a raw '+', '*' ...): two slips at once."""
    request = s.base.request
    if request.path == s.uri:
        return
    for value in _body_hashes(request):
        if value != s.base.payload:
            yield (
                f"the path signed exactly as sent and payload line {value} (curl 7.88 -T)",
                {
                    "uri": request.path,
                    "payload": value,
                },
            )


@_v4("unsigned-header")
def _dropped_and_payload(s: _V4Search) -> Iterator[Change]:
    """curl 7.88 ``-T -H 'Expect:'`` signs an empty Expect it does not send, and the
    empty-body hash: a header dropped and another payload line together."""
    request, unsigned = s.base.request, s.base.unsigned
    sent = {n.lower() for n, _ in request.headers} | {"host"}
    for name in sorted((s.signed or frozenset()) - sent - {"x-amz-content-sha256"}):
        for value in _guesses(name, request):
            for payload in _body_hashes(request):
                if payload != s.base.payload:
                    yield (
                        f"{name}: {value!r} signed but not sent, and payload line {payload}",
                        {
                            "values": ((name, value),),
                            "unsigned": unsigned - {name},
                            "payload": payload,
                        },
                    )


@_v4("scope-date")
def _key_dates(s: _V4Search) -> Iterator[Change]:
    date, region, service = s.base.scope
    try:
        day = datetime.strptime(date, "%Y%m%d")
    except ValueError:  # not a date: nothing a day off to try
        return
    for delta in (-1, 1):
        other = (day + timedelta(days=delta)).strftime("%Y%m%d")
        yield (
            f"the signing key derived for {other} while the scope says {date}",
            {"key_date": other},
        )
        if not s.scope_known:
            yield f"scope date {other}", {"scope": (other, region, service)}


def _secret_variants(secret: str) -> Iterator[tuple[str, str]]:
    variants = [
        (secret + "\n", "with a trailing newline"),
        (secret + "\r", "with a trailing CR ($(cat file) of a CR LF file)"),
        (secret + "\r\n", "with a trailing CR LF"),
        (secret + " ", "with a trailing space"),
        (" " + secret, "with a leading space"),
        (secret + "\t", "with a trailing tab"),
        (f'"{secret}"', "in double quotes (an env file's quotes kept)"),
        (f"'{secret}'", "in single quotes (an env file's quotes kept)"),
        (secret.strip(), "stripped"),
        (secret.strip("\"'"), "without its quotes"),
    ]
    for variant, label in variants:
        if variant != secret and variant:
            yield variant, f"secret {label}"


@_v4("secret-whitespace")
def _secrets(s: _V4Search) -> Iterator[Change]:
    for variant, label in _secret_variants(s.base.secret):
        yield label, {"secret": variant}


@_v4("region")
def _regions(s: _V4Search) -> Iterator[Change]:
    if s.scope_known:
        return
    date, region, service = s.base.scope
    from_host, _ = host_scope(s.base.request.host)
    for other in _unique([*from_host, *PLAUSIBLE_REGIONS], region):
        where = " (read from the host)" if other in from_host else ""
        yield f"region {other}{where}", {"scope": (date, other, service)}


@_v4("service")
def _services(s: _V4Search) -> Iterator[Change]:
    if s.scope_known:
        return
    date, region, service = s.base.scope
    regions, from_host = host_scope(s.base.request.host)
    for other in _unique([*from_host, *PLAUSIBLE_SERVICES], service):
        where = " (read from the host)" if other in from_host else ""
        yield f"service {other}{where}", {"scope": (date, region, other)}
        for other_region in _unique(regions, region) if other in from_host else ():
            yield (
                f"region {other_region} and service {other} (both read from the host)",
                {"scope": (date, other_region, other)},
            )


@_v4("clock-skew")
def _signing_times(s: _V4Search) -> Iterator[Change]:
    request = s.base.request
    if s.scope_known or _stamp_sent(request) is not None:
        return
    _, region, service = s.base.scope
    start = check_utc(s.when)
    for seconds in range(1, SKEW_SECONDS + 1):
        for sign in (-1, 1):
            stamp = amz_date(start + timedelta(seconds=sign * seconds))
            yield (
                f"signed at {stamp} ({sign * seconds:+d} s)",
                {
                    "request": request.with_headers([("X-Amz-Date", stamp)]),
                    "stamp": stamp,
                    "scope": (stamp[:8], region, service),
                },
            )


def _stamp_sent(request: Request) -> str | None:
    """The signing time the request states: X-Amz-Date, else its Date (SigV4 accepts it)."""
    sent = request.header("x-amz-date")
    if sent is not None:
        return sent.strip()
    date = request.header("date")
    if date is None:
        return None
    try:
        return amz_date(parse_time(date, field="Date"))
    except SigkitError:
        return None


def _observed(
    request: Request, when: datetime, config: SigV4Config
) -> tuple[Request, str, tuple[str, str, str] | None, frozenset[str] | None]:
    """The request as the client signed it (signature removed), its stamp, its scope and
    the names it shows in SignedHeaders, where the request shows them."""
    pairs = dict((n, v or "") for n, v in parse_query(request.query or ""))
    if "X-Amz-Signature" in pairs:
        stamp = pairs.get("X-Amz-Date") or amz_date(check_utc(when))
        credential = percent_decode(pairs.get("X-Amz-Credential", "")).decode("utf-8", "replace")
        signed = percent_decode(pairs.get("X-Amz-SignedHeaders", "")).decode("utf-8", "replace")
        request = request.with_query(_query_without(request.query, frozenset({"X-Amz-Signature"})))
    else:
        auth = request.header("authorization")
        parts = _authorization_parts(auth) if auth else {}
        credential, signed = parts.get("Credential", ""), parts.get("SignedHeaders", "")
        stamp = _stamp_sent(request) or amz_date(check_utc(when))
        request = replace(
            request, headers=tuple(h for h in request.headers if h[0].lower() != "authorization")
        )
    scope_parts = credential.split("/")
    scope = (scope_parts[1], scope_parts[2], scope_parts[3]) if len(scope_parts) == 5 else None
    names = frozenset(n.strip().lower() for n in signed.split(";") if n.strip()) or None
    return request, stamp, scope, names


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
    signed_request, stamp, scope, signed = _observed(request, when, config)
    scope_known = scope is not None
    if scope is None:
        scope = (stamp[:8], config.region, config.service)
    unsigned = config.unsigned_headers
    if signed is not None:
        sent = frozenset(n.lower() for n, _ in signed_request.headers)
        unsigned = sent - signed | {"authorization"}
    if not _HEX64.match(observed_signature.strip()):
        found, tried = _v2_in_v4(signed_request, credentials, stamp, observed_signature.strip())
        return _report(found, tried, started, True)
    observed = observed_signature.strip().lower()
    base = Candidate(
        cause="",
        what="as given",
        request=signed_request,
        secret=credentials.secret_access_key,
        stamp=stamp,
        scope=scope,
        config=config,
        unsigned=unsigned,
        payload=_base_payload(request, signed_request, config, scope[2]),
    )
    signature, canonical = _signature(base)
    if _same(signature, observed):
        return SearchReport(_scope_policy(scope, config), 1, time.perf_counter() - started, True)
    lines = canonical.split("\n")
    search = _V4Search(
        base,
        scope_known,
        signed,
        presigned=signed_request.query != request.query,
        when=parse_or(when, stamp),
        uri=lines[1],
        query=lines[2],
    )
    tried = 1
    for cause, generate in V4_GENERATORS:
        for what, changes in _guarded(generate(search)):
            if time.perf_counter() - started > budget:
                return _report(None, tried, started, False)
            tried += 1
            try:
                candidate = replace(base, cause=cause, what=what, **changes)
                signature, canonical = _signature(candidate)
            except SigkitError:
                continue
            if _same(signature, observed):
                evidence = (
                    f"the client's signature {observed} is reproduced exactly with {what} "
                    f"(tried {tried} variants); the client's canonical request was:\n{canonical}"
                )
                return _report(Finding(cause, evidence, certain=True), tried, started, True)
    return _report(None, tried, started, True)


def _is_sha1_base64(text: str) -> bool:
    try:
        return len(base64.b64decode(text, validate=True)) == 20
    except ValueError:
        return False


def _v2_in_v4(
    request: Request, credentials: Credentials, stamp: str, observed: str
) -> tuple[Finding | None, int]:
    """A signature that is no SigV4 signature in a SigV4 request: an S3 V2 one (base64
    HMAC-SHA1) is this cause by its shape; its string to sign is shown when the request with
    its x-amz-* headers, or without them and dated at X-Amz-Date (a second either way),
    reproduces it."""
    if not _is_sha1_base64(observed):
        return None, 1
    bare = Credentials(credentials.access_key_id, credentials.secret_access_key)
    options = [request]
    try:
        signed_at = parse_time(stamp)
    except SigkitError:
        signed_at = None
    if signed_at is not None:
        plain = tuple(h for h in request.headers if not h[0].lower().startswith("x-amz-"))
        for seconds in (0, -1, 1):
            date = http_date(signed_at + timedelta(seconds=seconds))
            dated = _request(request, headers=(*plain, ("Date", date)))
            if dated is not None:
                options.append(dated)
    evidence = (
        f"the signature sent with AWS4-HMAC-SHA256, {observed}, is an S3 V2 signature (base64 "
        "HMAC-SHA1), not SigV4's 64 hex digits"
    )
    for tried, option in enumerate(options, start=1):
        try:
            result = sign_v2(option, bare, signed_at or EPOCH, S3V2Config())
        except SigkitError:
            continue
        if _same(result.signature, observed):
            evidence += f"; the client's V2 string to sign was:\n{result['string_to_sign']}"
            return Finding("signature-version", evidence, certain=True), tried
    return Finding("signature-version", evidence, certain=True), len(options)


def _same(computed: str, observed: str) -> bool:
    """Constant-time, and safe for any text a source shows as the signature."""
    return hmac.compare_digest(computed.encode("utf-8"), observed.encode("utf-8"))


def _guarded(changes: Iterator[Change]) -> Iterator[Change]:
    """A generator's changes until it meets input the core refuses (the rest are skipped)."""
    try:
        yield from changes
    except (SigkitError, ValueError):
        return


def _report(found: Finding | None, tried: int, started: float, exhausted: bool) -> SearchReport:
    finding = found or _none_found(tried, exhausted)
    return SearchReport(finding, tried, time.perf_counter() - started, exhausted)


def parse_or(when: datetime, stamp: str) -> datetime:
    """The signing time the request states, else `when`."""
    try:
        return parse_time(stamp)
    except SigkitError:
        return when


def _none_found(tried: int, exhausted: bool) -> Finding:
    limit = "" if exhausted else " tried before the time limit"
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


# --- S3 V2 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class V2Candidate:
    """One catalogued change to a V2 string to sign, line by line."""

    cause: str
    what: str
    method: str
    content_md5: str
    content_type: str
    date: str
    amz: str  # the x-amz-* lines, each ending in a line break
    resource: str
    secret: str

    @property
    def text(self) -> str:
        return (
            f"{self.method}\n{self.content_md5}\n{self.content_type}\n{self.date}\n"
            f"{self.amz}{self.resource}"
        )


@dataclass(frozen=True)
class _V2Search:
    base: V2Candidate
    request: Request  # as signed: Authorization or the presigned parameters removed
    config: S3V2Config
    credentials: Credentials  # with the token a presigned URL signs as a header
    when: datetime
    presigned: bool

    def steps(self, request: Request, config: S3V2Config | None = None) -> Mapping[str, str]:
        """The V2 steps of another request (the core's own `sign_v2` / `sign_v2_query`)."""
        cfg = config or self.config
        if self.presigned:
            return sign_v2_query(request, self.credentials, EPOCH, cfg)
        return sign_v2(request, self.credentials, self.when, cfg)

    def resource(self, query: str | None) -> str | None:
        try:
            changed = replace(self.request, query=query)
            return canonical_resource(changed, self.config, changed.host)[0]
        except SigkitError:
            return None

    def amz_without(self, name: str) -> str:
        kept = tuple(h for h in self.request.headers if h[0].lower() != name)
        return self.steps(replace(self.request, headers=kept))["amz_headers"]


V2Generator = Callable[[_V2Search], Iterator[Change]]
V2_GENERATORS: list[tuple[str, V2Generator]] = []


def _v2(cause: str) -> Callable[[V2Generator], V2Generator]:
    """Declare an S3 V2 generator for `cause`; they are tried in the order declared."""

    def register(generator: V2Generator) -> V2Generator:
        V2_GENERATORS.append((cause, generator))
        return generator

    return register


@_v2("v2-subresource")
def _v2_subresources(s: _V2Search) -> Iterator[Change]:
    raw = s.request.query
    if not raw:
        return
    segments = [segment for segment in raw.split("&") if segment]
    subs = [i for i, seg in enumerate(segments) if seg.split("=", 1)[0] in SUBRESOURCES]
    path_part = s.base.resource.partition("?")[0]

    def without(drop: set[int]) -> str | None:
        rest = "&".join(seg for i, seg in enumerate(segments) if i not in drop)
        return s.resource(rest or None)

    for i in subs:
        resource = without({i})
        if resource is not None:
            name = segments[i].split("=", 1)[0]
            yield f"sub-resource {name!r} left out of the resource", {"resource": resource}
    if len(subs) > 1:
        resource = without(set(subs))
        if resource is not None:
            yield "every sub-resource left out of the resource", {"resource": resource}
    overrides = {i for i in subs if segments[i].startswith("response-")}
    if overrides and len(overrides) < len(subs):
        resource = without(overrides)
        if resource is not None:
            yield "the response-* overrides left out of the resource", {"resource": resource}
    others = [i for i in range(len(segments)) if i not in subs]

    def decoded(i: int) -> str:
        name, sep, value = segments[i].partition("=")
        text = percent_decode(value, plus_as_space=s.config.plus_as_space).decode(
            "utf-8", "surrogateescape"
        )
        return f"{name}={text}" if sep else name

    def with_params(keep: list[int]) -> str:
        ordered = sorted(keep, key=lambda i: segments[i].split("=", 1)[0])
        return path_part + ("?" + "&".join(decoded(i) for i in ordered) if ordered else "")

    if others:
        yield (
            "every query parameter in the resource, sub-resource or not",
            {"resource": with_params(subs + others)},
        )
        for i in others[:20]:
            name = segments[i].split("=", 1)[0]
            yield (
                f"query parameter {name!r} (not a sub-resource) in the resource",
                {"resource": with_params([*subs, i])},
            )
    if subs:
        as_sent = sorted((segments[i] for i in subs), key=lambda seg: seg.split("=", 1)[0])
        resource = path_part + "?" + "&".join(as_sent)
        if resource != s.base.resource:
            yield "sub-resource values signed as sent (not decoded)", {"resource": resource}
        in_order = path_part + "?" + "&".join(decoded(i) for i in subs)
        if in_order != s.base.resource:
            yield "sub-resources in the order sent, not sorted", {"resource": in_order}
    if "+" in raw:
        config = replace(s.config, plus_as_space=not s.config.plus_as_space)
        try:
            resource = canonical_resource(s.request, config, s.request.host)[0]
        except SigkitError:
            resource = s.base.resource
        if resource != s.base.resource:
            read = "a space" if config.plus_as_space else "'+'"
            yield f"'+' in sub-resource values read as {read}", {"resource": resource}


@_v2("content-type-md5")
def _v2_type_md5(s: _V2Search) -> Iterator[Change]:
    sent = s.base.content_type
    if sent:  # V2 signs Content-Type on a line of its own: a rewrite of it is this cause
        values = s.request.header_values("content-type")
        for how, original in _rewrites("content-type", sent, values):
            yield (
                f"the Content-Type line {original!r}, sent as {sent!r} ({how})",
                {"content_type": original},
            )
    if sent:
        yield (
            f"the Content-Type line blank: {sent!r} was not signed (added after signing, "
            "as curl -d adds application/x-www-form-urlencoded)",
            {"content_type": ""},
        )
    for value in COMMON_CONTENT_TYPES:
        if value != sent:
            what = f"the header sent is {sent!r}" if sent else "no Content-Type is sent"
            yield f"the Content-Type line {value!r} ({what})", {"content_type": value}
    if s.base.content_md5:
        yield "the Content-MD5 line blank (Content-MD5 added after signing)", {"content_md5": ""}
    elif isinstance(s.request.body, bytes) and s.request.body:
        md5 = base64.b64encode(hashlib.md5(s.request.body).digest()).decode("ascii")
        yield f"the Content-MD5 line {md5!r} (no Content-MD5 is sent)", {"content_md5": md5}


@_v2("header-changed")
def _v2_rewrites(s: _V2Search) -> Iterator[Change]:
    groups = s.request.header_groups()
    for name in sorted(groups):
        if not name.startswith("x-amz-") or name in ("x-amz-date", "x-amz-security-token"):
            continue
        value = ",".join(v.strip() for v in groups[name])
        for how, original in _rewrites(name, value, groups[name]):
            headers = [h for h in s.request.headers if h[0].lower() != name]
            changed = _request(s.request, headers=(*headers, (name, original)))
            if changed is not None:
                yield (
                    f"{name} signed as {original!r}, sent as {value!r} ({how})",
                    {"amz": s.steps(changed)["amz_headers"]},
                )


@_v2("v2-date")
def _v2_dates(s: _V2Search) -> Iterator[Change]:
    if s.presigned:
        return
    x_amz_date = s.request.header("x-amz-date")
    date = s.request.header("date")
    if x_amz_date is not None:
        for value in _unique(v.strip() for v in (x_amz_date, date) if v is not None):
            yield (
                f"the Date line {value!r} although x-amz-date is sent (it must be empty)",
                {"date": value},
            )
            yield (
                f"the Date line {value!r}, x-amz-date not signed (added after signing)",
                {"date": value, "amz": s.amz_without("x-amz-date")},
            )
    elif date is not None:
        added = _request(s.request, headers=(*s.request.headers, ("x-amz-date", date.strip())))
        if added is not None:
            what = (
                "the Date line empty, x-amz-date signed with the Date's value (dropped in transit)"
            )
            yield what, {"date": "", "amz": s.steps(added)["amz_headers"]}


@_v2("unsigned-header")
def _v2_amz_left_out(s: _V2Search) -> Iterator[Change]:
    names = {n.lower() for n, _ in s.request.headers}
    for name in sorted(names):
        if name.startswith("x-amz-") and name not in ("x-amz-date", "x-amz-security-token"):
            yield f"header {name} not signed (added after signing)", {"amz": s.amz_without(name)}


@_v2("session-token")
def _v2_token(s: _V2Search) -> Iterator[Change]:
    if "x-amz-security-token:" in s.base.amz:
        if s.presigned and s.request.header("x-amz-security-token") is None:
            steps = sign_v2_query(
                s.request,
                Credentials(s.credentials.access_key_id, s.credentials.secret_access_key),
                EPOCH,
                s.config,
            )
            yield "the session token not signed", {"amz": steps["amz_headers"]}
        else:
            yield "the session token not signed", {"amz": s.amz_without("x-amz-security-token")}


@_v2("query-not-sent")
def _v2_subresource_not_sent(s: _V2Search) -> Iterator[Change]:
    raw = s.request.query or ""
    names = {segment.split("=", 1)[0] for segment in raw.split("&")}
    for name in V2_COMMON_SUBRESOURCES:
        if name not in names:
            resource = s.resource(f"{raw}&{name}" if raw else name)
            if resource is not None:
                yield f"sub-resource {name!r} signed but not sent", {"resource": resource}


@_v2("addressing-style")
def _v2_addressing(s: _V2Search) -> Iterator[Change]:
    styles: tuple[Addressing, ...] = ("virtual-hosted", "path")
    for style in styles:
        if style != s.config.addressing:
            try:
                config = replace(s.config, addressing=style)
                resource = canonical_resource(s.request, config, s.request.host)[0]
            except SigkitError:
                continue
            if resource != s.base.resource:
                yield f"{style} addressing in the resource", {"resource": resource}
    first, sep, rest = s.base.resource[1:].partition("/")
    if sep and first:
        yield f"the bucket {first!r} left out of the resource", {"resource": "/" + rest}
        yield (
            f"the bucket {first!r} twice in the resource",
            {"resource": f"/{first}{s.base.resource}"},
        )


@_v2("method")
def _v2_methods(s: _V2Search) -> Iterator[Change]:
    for method in METHODS:
        if method != s.base.method:
            yield f"signed for {method}, sent as {s.base.method}", {"method": method}


@_v2("secret-whitespace")
def _v2_secrets(s: _V2Search) -> Iterator[Change]:
    for variant, label in _secret_variants(s.base.secret):
        yield label, {"secret": variant}


def _v2_observed(
    request: Request, credentials: Credentials, config: S3V2Config
) -> tuple[Request, Credentials, S3V2Config, bool]:
    """The request as the client signed it, the credentials (a presigned URL's token is signed
    as a header), the config (a presigned URL's Expires) and whether it is presigned."""
    if request.header("authorization") is not None or not request.query:
        kept = tuple(h for h in request.headers if h[0].lower() != "authorization")
        bare = Credentials(credentials.access_key_id, credentials.secret_access_key)
        return replace(request, headers=kept), bare, config, False
    params = dict(parse_query(request.query))
    if "Signature" not in params:
        bare = Credentials(credentials.access_key_id, credentials.secret_access_key)
        return request, bare, config, False
    expires = params.get("Expires") or ""
    if expires.isdigit():
        config = replace(config, expires_at=int(expires))
    token = params.get("x-amz-security-token")
    if token is not None and request.header("x-amz-security-token") is None:
        token = percent_decode(token).decode("utf-8", "replace")
    else:
        token = None
    stripped = _query_without(request.query, V2_QUERY_PARAMS)
    signer = Credentials(credentials.access_key_id, credentials.secret_access_key, token)
    return replace(request, query=stripped or None), signer, config, True


def search_v2(
    request: Request,
    credentials: Credentials,
    when: datetime,
    config: S3V2Config,
    observed_signature: str,
    *,
    budget: float = BUDGET_SECONDS,
) -> SearchReport:
    """As `search_v4`, for S3 V2, header (``Authorization: AWS ...``) or presigned
    (``Signature``/``Expires`` in the query) alike; the evidence is the client's string to sign."""
    started = time.perf_counter()
    signed_request, signer, cfg, presigned = _v2_observed(request, credentials, config)
    observed = observed_signature.strip()
    if "%" in observed:
        observed = percent_decode(observed).decode("ascii", "replace")
    observed = observed.replace(" ", "+")
    if _HEX64.match(observed):
        evidence = (
            f"the signature sent as S3 V2, {observed}, is a SigV4 signature (64 hex digits), "
            "not V2's base64 HMAC-SHA1"
        )
        finding = Finding("signature-version", evidence, certain=True)
        return SearchReport(finding, 0, time.perf_counter() - started, True)
    search = _V2Search(
        V2Candidate("", "as given", "", "", "", "", "", "", credentials.secret_access_key),
        signed_request,
        cfg,
        signer,
        when,
        presigned,
    )
    steps = search.steps(signed_request)
    base = V2Candidate(
        "",
        "as given",
        signed_request.method,
        steps["content_md5"],
        steps["content_type"],
        steps["date_line"],
        steps["amz_headers"],
        steps["canonical_resource"],
        credentials.secret_access_key,
    )
    if _same(_sign(base.secret, base.text), observed):
        return SearchReport(None, 1, time.perf_counter() - started, True)
    search = replace(search, base=base)
    tried = 1
    for cause, generate in V2_GENERATORS:
        for what, changes in _guarded(generate(search)):
            if time.perf_counter() - started > budget:
                return _report(None, tried, started, False)
            tried += 1
            candidate = replace(base, cause=cause, what=what, **changes)
            try:
                signature = _sign(candidate.secret, candidate.text)
            except SigkitError:
                continue
            if _same(signature, observed):
                evidence = (
                    f"the client's signature {observed} is reproduced exactly with {what} "
                    f"(tried {tried} variants); the client's string to sign was:\n"
                    f"{candidate.text}"
                )
                return _report(Finding(cause, evidence, certain=True), tried, started, True)
    return _report(None, tried, started, True)


def find_variant_v2(
    request: Request,
    credentials: Credentials,
    when: datetime,
    config: S3V2Config,
    observed_signature: str,
) -> Finding | None:
    """As `find_variant`, for S3 V2 (header or presigned), recomputed with the core's V2
    steps."""
    return search_v2(request, credentials, when, config, observed_signature).finding

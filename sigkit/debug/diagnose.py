"""Name the cause of a signature mismatch from two views of one request.

Each rule is small and looks at one part (a canonical request line, a scope field, the
request as sent, the clock) and says what it saw and what to do. When the secret and the
request are known, the variant search (`sigkit.debug.variants`) can make a cause certain;
certain findings come first, then the rest in the order of the parts they concern.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import unquote

from sigkit.credentials import Credentials
from sigkit.debug import causes
from sigkit.debug.compare import (
    parse_canonical_request,
    parse_string_to_sign,
    parse_v2_string_to_sign,
)
from sigkit.debug.model import Finding, Observation
from sigkit.debug.variants import find_variant, find_variant_v2, scope_of
from sigkit.encoding import parse_query
from sigkit.errors import SigkitError
from sigkit.http import Request
from sigkit.result import SigningResult
from sigkit.sigv2.s3 import S3V2Config
from sigkit.sigv4.canonical import hash_body
from sigkit.sigv4.config import EMPTY_SHA256, UNSIGNED_PAYLOAD, rules_for
from sigkit.sigv4.signer import hmac_signature, signing_key
from sigkit.textdiff import visible
from sigkit.timefmt import epoch_seconds, parse_time
from sigkit.verify import DEFAULT_SKEW, UNSIGNED_ALLOWED

Verdict = Literal["match", "mismatch", "refused", "no-data"]
SKEW_SECONDS = int(DEFAULT_SKEW.total_seconds())  # verify.py holds the window


def verdict(ours: str | None, theirs: str | None) -> Verdict:
    """Compare two signatures in constant time; no-data when either is missing."""
    if not ours or not theirs:
        return "no-data"
    return "match" if hmac.compare_digest(ours.strip(), theirs.strip()) else "mismatch"


def observation_of(result: SigningResult) -> Observation:
    """Our own signing result, seen as an observation (so both sides have one shape)."""
    algorithm = "AWS" if result.algorithm == "s3v2" else "AWS4-HMAC-SHA256"
    get = result.get
    return Observation(
        source="sigkit",
        party="ours",
        request=result.request,
        algorithm=algorithm,
        canonical_request=get("canonical_request"),
        string_to_sign=get("string_to_sign"),
        signature=result.signature,
        credential_scope=get("credential_scope"),
        signed_headers=get("signed_headers"),
    )


@dataclass(frozen=True)
class Context:
    ours: Observation
    theirs: Observation
    secret: str | None
    request: Request | None
    when: datetime | None
    skew: int = SKEW_SECONDS  # the server's allowed skew, seconds

    @property
    def their_signature(self) -> str | None:
        """The signature the other party sent (error bodies) or computed."""
        return self.theirs.signature_provided or self.theirs.signature


def _f(cause: str, evidence: str) -> Finding:
    return Finding(cause, evidence)


def _header_map(block: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in block.split("\n"):
        if line:
            name, _, value = line.partition(":")
            out[name] = value
    return out


def _strip_port(host: str) -> str:
    name, sep, port = host.rpartition(":")
    return name if sep and port.isdigit() else host


def _reserved_chars(a: str, b: str) -> str:
    """The characters written raw on one side and percent-encoded on the other."""
    chars = sorted({c for c in unquote(a) if c in "*~!'()$,;:@=[]|" and (c in a) != (c in b)})
    return "".join(chars)


def _uri_rule(a: str, b: str) -> list[Finding]:
    if a == b:
        return []
    shown = f"ours {visible(a)!r}, theirs {visible(b)!r}"
    if ("%25" in a and unquote(a) == b) or ("%25" in b and unquote(b) == a):
        once, twice = (b, a) if "%25" in a and unquote(a) == b else (a, b)
        return [
            _f(
                "path-encoding",
                f"canonical URI differs: {shown}; {twice!r} is {once!r} encoded once more "
                "(S3 encodes the path once, every other service twice)",
            )
        ]
    if unquote(a) == unquote(b):
        chars = _reserved_chars(a, b)
        what = f" ({chars!r} raw on one side, percent-encoded on the other)" if chars else ""
        return [_f("path-encoding", f"canonical URI differs only in encoding{what}: {shown}")]
    if "+" in a + b and unquote(a).replace("+", " ") == unquote(b).replace("+", " "):
        return [_f("path-encoding", f"'+' versus space in the path: {shown}; send %2B")]
    return [_f("path-encoding", f"canonical URI differs: {shown} (a proxy may rewrite the path)")]


def _query_rule(a: str, b: str) -> list[Finding]:
    if a == b:
        return []
    shown = f"ours {visible(a)!r}, theirs {visible(b)!r}"
    if not a or not b:
        side = "ours" if not a else "theirs"
        return [_f("query-not-sent", f"canonical query is empty on {side} only: {shown}")]
    pa, pb = a.split("&"), b.split("&")
    findings: list[Finding] = []
    if sorted(pa) == sorted(pb):
        findings.append(_f("query-order", f"same parameters in another order: {shown}"))
    for pairs, side in ((pa, "ours"), (pb, "theirs")):
        names = [p.split("=", 1)[0] for p in pairs]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated and sorted(pa) != sorted(pb):
            findings.append(_f("query-order", f"repeated parameters {repeated} on {side}: {shown}"))
    bare = {p for p in pa + pb if "=" not in p}
    if bare and {p.split("=")[0] for p in pa} == {p.split("=")[0] for p in pb}:
        listed = ", ".join(sorted(bare))
        findings.append(_f("empty-query-value", f"{listed} without '=' on one side only: {shown}"))
    if ("%2B" in a) != ("%2B" in b) and a.replace("%2B", "%20") == b.replace("%2B", "%20"):
        findings.append(
            _f(
                "query-encoding",
                f"%2B on one side, %20 on the other ('+' read as a space): {shown}",
            )
        )
    elif unquote(a) == unquote(b) or unquote(unquote(a)) == unquote(unquote(b)):
        chars = _reserved_chars(a, b)
        what = f" ({chars!r} raw on one side)" if chars else ""
        findings.append(_f("query-encoding", f"query differs only in encoding{what}: {shown}"))
    names_a = {p.split("=", 1)[0] for p in pa}
    names_b = {p.split("=", 1)[0] for p in pb}
    if not findings and names_a != names_b:
        only = sorted(names_a ^ names_b)
        findings.append(_f("query-not-sent", f"parameters {only} on one side only: {shown}"))
    if not findings:
        findings.append(_f("query-encoding", f"canonical query differs: {shown}"))
    return findings


def _token_or(name: str, cause: str) -> str:
    """Headers with a cause of their own: the session token and the payload hash."""
    special = {"x-amz-security-token": "session-token", "x-amz-content-sha256": "payload-hash"}
    return special.get(name, cause)


def _header_rule(a: dict[str, str], b: dict[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    for name in sorted(a.keys() & b.keys()):
        x, y = a[name], b[name]
        if x == y:
            continue
        shown = f"ours {visible(x)!r}, theirs {visible(y)!r}"
        if name == "host" and _strip_port(x) == _strip_port(y):
            findings.append(_f("host-port", f"host line with and without the port: {shown}"))
        elif not y or not x:
            findings.append(
                _f(
                    "header-changed",
                    f"signed header {name} is empty on one side: {shown} (removed in transit)",
                )
            )
        elif " ".join(x.split()) == " ".join(y.split()):
            findings.append(
                _f("header-changed", f"header {name} differs in whitespace only: {shown}")
            )
        else:
            findings.append(
                _f(
                    _token_or(name, "header-changed"),
                    f"header {name} differs: {shown} (changed after signing, e.g. by a proxy)",
                )
            )
    for name in sorted(a.keys() ^ b.keys()):
        side = "ours" if name in a else "theirs"
        findings.append(
            _f(
                _token_or(name, "unsigned-header"),
                f"header {name} is signed on {side} only (value {visible((a | b)[name])!r})",
            )
        )
    return findings


def _payload_rule(a: str, b: str, request: Request | None) -> list[Finding]:
    if a == b:
        return []
    shown = f"ours {a!r}, theirs {b!r}"
    extra = ""
    if UNSIGNED_PAYLOAD in (a, b):
        extra = "; UNSIGNED-PAYLOAD is not accepted by every service or store"
    if EMPTY_SHA256 in (a, b):
        extra += "; one side is the hash of an empty body"
    if request is not None and isinstance(request.body, bytes | type(None)):
        actual = hash_body(request.body)
        if actual not in (a, b) and UNSIGNED_PAYLOAD not in (a, b):
            return [
                _f(
                    "body-changed",
                    f"payload line differs: {shown}, and the body sent hashes "
                    f"to {actual}: the body changed after signing",
                )
            ]
        if actual in (a, b):
            extra += f"; the body sent hashes to {actual}"
    return [_f("payload-hash", f"payload line differs: {shown}{extra}")]


def _canonical_rules(ctx: Context) -> list[Finding]:
    a = parse_canonical_request(ctx.ours.canonical_request or "")
    b = parse_canonical_request(ctx.theirs.canonical_request or "")
    if a is None or b is None:
        return []
    findings: list[Finding] = []
    if a["method"] != b["method"]:
        findings.append(_f("method", f"method: ours {a['method']!r}, theirs {b['method']!r}"))
    findings += _uri_rule(a["uri"], b["uri"])
    findings += _query_rule(a["query"], b["query"])
    findings += _header_rule(_header_map(a["headers"]), _header_map(b["headers"]))
    if not any(f.cause in ("unsigned-header", "session-token") for f in findings) and (
        a["signed_headers"] != b["signed_headers"]
    ):
        findings.append(
            _f(
                "unsigned-header",
                f"signed headers: ours {a['signed_headers']!r}, theirs {b['signed_headers']!r}",
            )
        )
    findings += _payload_rule(a["payload_hash"], b["payload_hash"], ctx.request)
    return findings


def _sts_rules(ctx: Context) -> list[Finding]:
    ours, theirs = ctx.ours.string_to_sign, ctx.theirs.string_to_sign
    if not ours or not theirs or ours == theirs:
        return []
    v4 = ours.startswith("AWS4"), theirs.startswith("AWS4")
    if v4[0] != v4[1]:
        return [
            _f(
                "signature-version",
                f"ours is {'V4' if v4[0] else 'V2'}, theirs "
                f"{'V4' if v4[1] else 'V2'}: first lines {ours.split(chr(10))[0]!r}, "
                f"{theirs.split(chr(10))[0]!r}",
            )
        ]
    if not v4[0]:
        return _v2_rules(ours, theirs)
    a, b = parse_string_to_sign(ours), parse_string_to_sign(theirs)
    if a is None or b is None:
        return []
    findings: list[Finding] = []
    if a["algorithm"] != b["algorithm"]:
        findings.append(
            _f(
                "signature-version",
                f"algorithm: ours {a['algorithm']!r}, theirs {b['algorithm']!r}",
            )
        )
    for field, cause in (
        ("region", "region"),
        ("service", "service"),
        ("scope_date", "scope-date"),
    ):
        if a.get(field) != b.get(field):
            findings.append(
                _f(
                    cause,
                    f"scope {field}: ours {a.get(field)!r}, "
                    f"theirs {b.get(field)!r} (scopes {a['scope']!r}, {b['scope']!r})",
                )
            )
    if a["date"] != b["date"]:
        findings.append(
            _f("clock-skew", f"signed at different times: ours {a['date']!r}, theirs {b['date']!r}")
        )
    return findings


def _v2_rules(ours: str, theirs: str) -> list[Finding]:
    a, b = parse_v2_string_to_sign(ours), parse_v2_string_to_sign(theirs)
    if a is None or b is None:
        return []
    findings: list[Finding] = []
    if a["method"] != b["method"]:
        findings.append(_f("method", f"method: ours {a['method']!r}, theirs {b['method']!r}"))
    for field, label in (("content_md5", "Content-MD5"), ("content_type", "Content-Type")):
        if a[field] != b[field]:
            findings.append(
                _f(
                    "content-type-md5",
                    f"{label} line: ours {visible(a[field])!r}, theirs {visible(b[field])!r}",
                )
            )
    if a["date"] != b["date"]:
        findings.append(_f("v2-date", f"date line: ours {a['date']!r}, theirs {b['date']!r}"))
    findings += _header_rule(_header_map(a["amz_headers"]), _header_map(b["amz_headers"]))
    ra, rb = a["resource"], b["resource"]
    if ra != rb:
        pa, _, qa = ra.partition("?")
        pb, _, qb = rb.partition("?")
        shown = f"ours {visible(ra)!r}, theirs {visible(rb)!r}"
        if pa != pb and (pa.endswith(pb) or pb.endswith(pa)):
            findings.append(
                _f("addressing-style", f"resource with and without the bucket: {shown}")
            )
        elif pa != pb:
            findings += _uri_rule(pa, pb)
        if qa != qb:
            findings.append(_f("v2-subresource", f"sub-resources differ: {shown}"))
    return findings


def _secret_rules(ctx: Context) -> list[Finding]:
    """Everything signed matches but the signature: only the key can differ."""
    same_sts = ctx.ours.string_to_sign and ctx.ours.string_to_sign == ctx.theirs.string_to_sign
    same_cr = (
        ctx.ours.canonical_request is None
        or ctx.theirs.canonical_request is None
        or ctx.ours.canonical_request == ctx.theirs.canonical_request
    )
    if not (same_sts and same_cr) or verdict(ctx.ours.signature, ctx.their_signature) != "mismatch":
        return []
    sts = ctx.ours.string_to_sign or ""
    theirs = ctx.their_signature or ""
    if ctx.secret is not None and sts.startswith("AWS4"):
        parts = parse_string_to_sign(sts) or {}
        for variant, label in (
            (ctx.secret + "\n", "a trailing newline"),
            (ctx.secret + "\r\n", "a trailing CR LF"),
            (ctx.secret + " ", "a trailing space"),
            (ctx.secret.strip(), "the surrounding whitespace removed"),
        ):
            if variant == ctx.secret or "scope_date" not in parts:
                continue
            key = signing_key(variant, parts["scope_date"], parts["region"], parts["service"])[3]
            signature = hmac_signature(key, sts)
            if hmac.compare_digest(signature, theirs.strip()):
                return [
                    Finding(
                        "secret-whitespace",
                        f"string to sign identical, and the other signature {theirs} is "
                        f"reproduced exactly by the secret with {label}",
                        certain=True,
                    )
                ]
    findings = []
    if ctx.secret is not None and ctx.secret != ctx.secret.strip():
        findings.append(
            _f(
                "secret-whitespace",
                "the secret given has surrounding whitespace ("
                + _whitespace_of(ctx.secret)
                + "); no character of the secret is shown",
            )
        )
    findings.append(
        _f(
            "wrong-secret",
            "canonical request and string to sign are identical but the signatures differ "
            f"(ours {ctx.ours.signature}, theirs {theirs}): the other side signed with another "
            "secret, or over another canonical request than the one shown",
        )
    )
    return findings


def _whitespace_of(secret: str) -> str:
    """Where a secret's surrounding whitespace is, named, never the secret's own characters."""
    names = {" ": "a space", "\t": "a tab", "\n": "a line feed", "\r": "a carriage return"}
    parts = []
    for side, text in (
        ("starts", secret[: len(secret) - len(secret.lstrip())]),
        ("ends", secret[len(secret.rstrip()) :]),
    ):
        if text:
            parts.append(f"{side} with " + " + ".join(names.get(c, repr(c)) for c in text))
    return ", ".join(parts)


def _amz_date_of(obs: Observation) -> str | None:
    if obs.amz_date:
        return obs.amz_date
    request = obs.request
    if request is None:
        return None
    sent = request.header("x-amz-date")
    if sent:
        return sent.strip()
    for name, value in parse_query(request.query or ""):
        if name == "X-Amz-Date" and value:
            return value
    return None


def _time_rules(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    for obs in (ctx.theirs, ctx.ours):
        stamp = _amz_date_of(obs)
        scope = obs.credential_scope
        if stamp and scope and not scope.startswith(stamp[:8]):
            findings.append(
                _f("scope-date", f"{obs.party}: scope {scope!r} but X-Amz-Date {stamp!r}")
            )
    if ctx.when is None:
        return findings
    request = ctx.request or ctx.theirs.request
    stamp = _amz_date_of(ctx.theirs) or (
        _amz_date_of(Observation("", "", request=request)) if request else None
    )
    if stamp is None:
        return findings
    try:
        signed_at = parse_time(stamp)
    except SigkitError:
        return findings
    now = epoch_seconds(ctx.when)
    skew = epoch_seconds(signed_at) - now
    expires = None
    if request is not None:
        params = dict((n, v) for n, v in parse_query(request.query or ""))
        expires = params.get("X-Amz-Expires")
    if expires and expires.isdigit():
        end = epoch_seconds(signed_at) + int(expires)
        if end < now:
            findings.append(
                _f(
                    "expired",
                    f"presigned at {stamp} for {expires} s: expired "
                    f"{now - end} s before {ctx.when.isoformat()}",
                )
            )
    elif abs(skew) > ctx.skew:
        findings.append(
            _f(
                "clock-skew",
                f"X-Amz-Date {stamp} is {skew:+d} s from the server's "
                f"time {ctx.when.isoformat()} (limit ±{ctx.skew} s)",
            )
        )
    return findings


def _request_rules(ctx: Context) -> list[Finding]:
    """What the request as sent shows against the signed header list."""
    request = ctx.request or ctx.theirs.request
    signed_list = ctx.theirs.signed_headers or ctx.ours.signed_headers
    findings: list[Finding] = []
    key = ctx.theirs.access_key_id or ctx.ours.access_key_id or ""
    if request is None:
        return findings
    token_sent = request.header("x-amz-security-token") is not None or any(
        n == "X-Amz-Security-Token" for n, _ in parse_query(request.query or "")
    )
    if key.startswith("ASIA") and not token_sent:
        findings.append(
            _f(
                "session-token",
                f"access key {key} is temporary (ASIA…) but no X-Amz-Security-Token is sent",
            )
        )
    if not signed_list:
        return findings
    signed = set(signed_list.split(";"))
    for name, value in request.headers:
        lname = name.lower()
        if lname.startswith("x-amz-") and lname not in signed and lname not in UNSIGNED_ALLOWED:
            findings.append(
                _f(
                    _token_or(lname, "unsigned-header"),
                    f"{name}: {visible(value)!r} is sent but not in SignedHeaders {signed_list!r}",
                )
            )
    if ctx.theirs.source == "url" and ctx.request is None:
        return findings  # a URL alone shows no header: none can be said missing
    sent = {n.lower() for n, _ in request.headers} | {"host"}
    for name in sorted(signed - sent):
        findings.append(
            _f(
                "unsigned-header",
                f"{name} is in SignedHeaders {signed_list!r} but "
                "not on the request: removed in transit, or signed but never sent",
            )
        )
    return findings


def _variant_rules(ctx: Context) -> list[Finding]:
    request = ctx.request or ctx.theirs.request
    theirs = ctx.their_signature
    if ctx.secret is None or request is None or not theirs or ctx.when is None:
        return []
    key = ctx.theirs.access_key_id or ctx.ours.access_key_id or "AKID"
    try:
        credentials = Credentials(key, ctx.secret)
        if (ctx.theirs.algorithm or ctx.ours.algorithm) == "AWS":
            found = find_variant_v2(request, credentials, ctx.when, S3V2Config(), theirs)
        else:
            scope = (ctx.theirs.credential_scope or ctx.ours.credential_scope or "").split("/")
            from_request = scope_of(request)
            if len(scope) >= 3:
                region, service = scope[1], scope[2]
            elif from_request is not None:
                region, service = from_request[1], from_request[2]
            else:
                return []
            config = rules_for(service, region)
            found = find_variant(request, credentials, ctx.when, config, theirs)
    except SigkitError:
        return []
    return [found] if found is not None and found.certain else []


def answer_findings(theirs: Observation) -> list[Finding]:
    """What a server's answer says on its own (code, message, HeadersNotSigned), through the
    registry's answer signals; certain, because the server said so."""
    code, message = theirs.error_code or "", theirs.error_message or ""
    bucket_region = next(
        (v.strip() for n, v in theirs.response_headers if n.lower() == "x-amz-bucket-region"),
        None,
    )
    if bucket_region and (theirs.status in (301, 307, 400) or code == "PermanentRedirect"):
        said = f"the server answered {theirs.status or code}: the bucket is in {bucket_region}"
        return [Finding("region", f"{said} (x-amz-bucket-region)", certain=True)]
    if not code and not message:
        return _named_by_sigkit(theirs)
    said = f"the server answered {code or theirs.status or ''}".rstrip()
    said += f": {message}" if message else ""
    extra = ", ".join(
        f"{name} {theirs.details[name]}"
        for name in ("Region", "RequestTime", "ServerTime", "HeadersNotSigned", "Expires")
        if theirs.details.get(name)
    )
    said += f" ({extra})" if extra else ""
    unsigned = theirs.details.get("HeadersNotSigned", "")
    if unsigned:
        names = {n.strip().lower() for n in unsigned.split(",")}
        cause = "session-token" if names == {"x-amz-security-token"} else "unsigned-header"
        return [Finding(cause, said, certain=True)]
    found = causes.from_answer(code, message)
    if code == "XAmzContentSHA256Mismatch" and (
        theirs.details.get("ClientComputedContentSHA256") == EMPTY_SHA256
    ):
        found = (causes.get("payload-hash"),)  # the client hashed an empty body
    if code == "AccessDenied" and "valid date" in message.lower():
        v2 = (theirs.algorithm or "AWS") == "AWS"
        found = (causes.get("v2-date" if v2 else "scope-date"),)
    return [Finding(c.id, said, certain=True) for c in found] + _named_by_sigkit(theirs)


def _named_by_sigkit(theirs: Observation) -> list[Finding]:
    """The cause a `sigkit serve` answer names as certain (its <Cause> element, or the
    x-sigkit-cause header of a bodiless answer): evidence from the server's side."""
    named = theirs.details.get("Cause")
    certain = theirs.details.get("Certain") == "true"
    evidence = theirs.details.get("Evidence", "")
    if not named:
        header = next(
            (v for n, v in theirs.response_headers if n.lower() == "x-sigkit-cause"), ""
        ).strip()
        named, _, how = header.partition(" ")
        certain = how.strip() == "(certain)"
    if named not in causes.BY_ID or not certain:
        return []  # a guess of the server's is no better than this investigation's own
    said = "the server (sigkit serve) named it" + (f": {evidence}" if evidence else "")
    return [Finding(named, said, certain=certain)]


def _error_rules(ctx: Context) -> list[Finding]:
    return answer_findings(ctx.theirs) + _signature_shape_rules(ctx)


_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_BASE64_SHA1 = re.compile(r"[A-Za-z0-9+/]{27}=\Z")


def _signature_shape_rules(ctx: Context) -> list[Finding]:
    """A signature of the other algorithm's shape: SigV4 sends 64 hex digits, S3 V2 the base64
    of an HMAC-SHA1 (28 characters)."""
    sent = ctx.theirs.signature_provided
    if not sent:
        return []
    sts = ctx.theirs.string_to_sign or ctx.ours.string_to_sign or ""
    v4 = (ctx.theirs.algorithm or "").startswith("AWS4-HMAC") or sts.startswith("AWS4-HMAC")
    if v4 and not _HEX64.match(sent) and _BASE64_SHA1.match(sent):
        return [_f("signature-version", f"a SigV4 request carries the V2-shaped signature {sent}")]
    v2 = ctx.theirs.algorithm == "AWS" or (bool(sts) and not sts.startswith("AWS4"))
    if v2 and _HEX64.match(sent):
        return [_f("signature-version", f"a V2 request carries the SigV4-shaped signature {sent}")]
    return []


RULES: tuple[Callable[[Context], list[Finding]], ...] = (
    _error_rules,
    _sts_rules,
    _canonical_rules,
    _secret_rules,
    _time_rules,
    _request_rules,
)


def diagnose(
    ours: Observation | SigningResult,
    theirs: Observation,
    *,
    secret: str | None = None,
    request: Request | None = None,
    when: datetime | None = None,
    search: bool = True,
    skew: int = SKEW_SECONDS,
) -> list[Finding]:
    """Findings, most likely first: certain ones (a recomputation reproduced the other side's
    signature), then those from the first differing part onwards, then lints. `when` is the
    time the other side checked the request (a server's clock)."""
    ours_obs = observation_of(ours) if isinstance(ours, SigningResult) else ours
    ctx = Context(ours_obs, theirs, secret, request, when, skew)
    findings: list[Finding] = []
    for rule in RULES:
        findings += rule(ctx)
    if search and not any(f.certain for f in findings):
        findings = _variant_rules(ctx) + findings
    seen: set[tuple[str, str]] = set()
    unique = []
    for finding in sorted(findings, key=lambda f: not f.certain):
        if (finding.cause, finding.evidence) not in seen:
            seen.add((finding.cause, finding.evidence))
            unique.append(finding)
    return unique


def one_view(
    theirs: Observation,
    *,
    request: Request | None = None,
    when: datetime | None = None,
    skew: int = SKEW_SECONDS,
) -> list[Finding]:
    """What one view shows with nothing to compare it with: the server's answer, the signature's
    shape, time (when the server's time is known) and the request as sent against its
    SignedHeaders."""
    ctx = Context(Observation("none", "ours"), theirs, None, request, when, skew)
    return _error_rules(ctx) + _time_rules(ctx) + _request_rules(ctx)

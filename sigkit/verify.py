"""Server side: is the signature of a received request valid, and if not, what S3 answers.

The request is taken as received. The signature is removed (``Authorization`` or the
``X-Amz-Signature`` / ``Signature`` parameter), everything else is kept, and the core signers
recompute it over the headers the client says it signed, at the time it says it signed. The
two signatures are compared in constant time. What S3 refuses apart from the signature — a
scope for another region, service or day, ``x-amz-*`` headers sent but not signed, a presigned
lifetime over a week, time window, expiry, session token — is checked apart, so each refusal
is its own `Problem`, with S3's code, status, message and elements, and the id of its cause in
`sigkit.debug.causes` (a plain string: this module never imports the debugger). Why a bare
SignatureDoesNotMatch happened is the debugger's question (`sigkit.debug.investigate`).
Pure: the clock is `now`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sigkit.credentials import Credentials
from sigkit.encoding import parse_query, percent_decode
from sigkit.errors import InputError, SigkitError
from sigkit.http import Request
from sigkit.payload import Stream, sha256_stream
from sigkit.result import SigningResult
from sigkit.sigv2.s3 import S3V2Config, sign_v2, sign_v2_query
from sigkit.sigv4.config import (
    EMPTY_SHA256,
    MAX_EXPIRES,
    STREAMING_PAYLOADS,
    SigV4Config,
    is_s3,
    rules_for,
    session_token_name,
)
from sigkit.sigv4.signer import ALGORITHM, PRESIGN_PARAMS, sign_v4, sign_v4_query
from sigkit.timefmt import EPOCH, check_utc, epoch_seconds, parse_time

DEFAULT_SKEW = timedelta(minutes=15)  # what AWS allows between X-Amz-Date and its clock
MAX_SKEW = 10 * 365 * 86400  # seconds: the largest skew a command accepts (timedelta's range)
V2_QUERY_PARAMS = frozenset({"AWSAccessKeyId", "Signature", "Expires", "x-amz-security-token"})
_V4_AUTH = re.compile(r"(?P<alg>AWS4-[A-Z0-9-]+)\s+(?P<rest>.*)\Z", re.S)
_V2_AUTH = re.compile(r"AWS\s+(?P<key>[^:\s]+):(?P<sig>\S+)\s*\Z")


def split_authorization(value: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The one reading of an Authorization header: its algorithm and its components in order,
    as written (``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``, SigV4A
    alike; S3 V2's ``AWS key:signature`` as AWSAccessKeyId and Signature). A component without
    ``=`` has the name "" and the text as its value. None when it is neither shape. Lenient:
    the verifier checks the components, readers of logs take what is there."""
    text = value.strip()
    m4 = _V4_AUTH.match(text)
    if m4:
        parts = []
        for item in m4["rest"].split(","):
            name, sep, val = item.strip().partition("=")
            parts.append((name, val.strip()) if sep else ("", item.strip()))
        return m4["alg"], parts
    m2 = _V2_AUTH.match(text)
    if m2:
        return "AWS", [("AWSAccessKeyId", m2["key"]), ("Signature", m2["sig"])]
    return None


_STAMP = re.compile(r"\d{8}T\d{6}Z\Z")
_INTEGER = re.compile(r"-?[0-9]+\Z")
# An x-amz-* header S3 accepts unsigned: its value is the payload line of the canonical request
# already (AWS answers such requests; stricter stores such as Yandex refuse them).
UNSIGNED_ALLOWED = frozenset({"x-amz-content-sha256"})

# S3's own sentences (AWS error responses as clients print them).
SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
NOT_SIGNED_MESSAGE = "There were headers present in the request which were not signed"
_HEADER_MALFORMED = "The authorization header is malformed; "
_THREE_COMPONENTS = (
    "the authorization header requires three components: Credential, SignedHeaders, and Signature."
)
# A second Authorization header, or one beside a presigned query: refused, never "the first
# wins" (docs/server-behaviour.md, "Two Authorization headers").
_ONE_AUTHORIZATION = "Only one Authorization header is allowed"
_ONE_MECHANISM = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
    "string parameter or the Authorization header should be specified"
)
_CREDENTIAL_PARAM = "Error parsing the X-Amz-Credential parameter; "
_DATE_MISMATCH = "Invalid credential date. Date is not the same as X-Amz-Date."
_QUERY_REQUIRES = (
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
)
_EXPIRES_NUMBER = "X-Amz-Expires should be a number"
_EXPIRES_NEGATIVE = "X-Amz-Expires must be non-negative"
_EXPIRES_WEEK = (
    "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
    f"must be less than {MAX_EXPIRES} seconds"
)

Verdict = Literal["match", "mismatch"]
CredentialSource = Credentials | Mapping[str, Credentials]


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason the request is refused: the S3 error `code` a server would answer, its
    `message` (S3's sentence), the extra S3 error elements (`details`, e.g. ServerTime) and
    the id of its cause in `sigkit.debug.causes` when the refusal itself names one (None for a
    bare signature mismatch or an unreadable Authorization: why is the debugger's question)."""

    code: str
    message: str
    cause: str | None = None
    details: tuple[tuple[str, str], ...] = ()

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 403)


# HTTP status S3 answers with each code.
STATUS = {
    "AuthorizationHeaderMalformed": 400,
    "AuthorizationQueryParametersError": 400,
    "InvalidArgument": 400,
    "InvalidRequest": 400,
    "MissingSecurityHeader": 400,
    "XAmzContentSHA256Mismatch": 400,
    "IncompleteBody": 400,
    "SignatureDoesNotMatch": 403,
    "RequestTimeTooSkewed": 403,
    "AccessDenied": 403,
    "InvalidAccessKeyId": 403,
    "InvalidToken": 400,
}


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The verdict, what we computed (`result`, None when it could not be computed), the
    config it was computed with (`config`, for the debugger's variant search) and why the
    request is refused (`problems`, most telling first, empty on a match)."""

    verdict: Verdict
    algorithm: str | None  # "AWS4-HMAC-SHA256", "AWS" (V2) or None when unsigned/unreadable
    variant: str | None  # "header" or "query"
    access_key_id: str | None
    signature_provided: str | None
    result: SigningResult | None
    problems: tuple[Problem, ...] = ()
    config: SigV4Config | S3V2Config | None = None

    @property
    def signature_matches(self) -> bool:
        return (
            self.result is not None
            and self.signature_provided is not None
            and _same(self.signature_provided, self.result.signature)
        )

    @property
    def error_code(self) -> str | None:
        return self.problems[0].code if self.problems else None

    @property
    def status(self) -> int:
        """The HTTP status an S3 server would answer with."""
        return self.problems[0].status if self.problems else 200

    def to_dict(self) -> dict[str, object]:
        """JSON-ready; holds no key material (the signing-key steps are left out)."""
        steps: dict[str, str] = {}
        if self.result is not None:
            for name in ("canonical_request", "string_to_sign", "signature", "credential_scope"):
                if name in self.result:
                    steps[name] = self.result[name]
        return {
            "verdict": self.verdict,
            "algorithm": self.algorithm,
            "variant": self.variant,
            "access_key_id": self.access_key_id,
            "signature_provided": self.signature_provided,
            "signature_computed": steps.get("signature"),
            "canonical_request": steps.get("canonical_request"),
            "string_to_sign": steps.get("string_to_sign"),
            "credential_scope": steps.get("credential_scope"),
            "error_code": self.error_code,
            "status": self.status,
            "problems": [
                {"code": p.code, "cause": p.cause, "message": p.message, **dict(p.details)}
                for p in self.problems
            ],
        }


def _same(provided: str, computed: str) -> bool:
    """Constant-time: how long a comparison takes must not tell how much of a guess was right.
    Bytes are compared, so a non-ASCII or non-hex signature is simply a mismatch."""
    return hmac.compare_digest(
        provided.encode("utf-8", "surrogatepass"), computed.encode("utf-8", "surrogatepass")
    )


@dataclass(frozen=True, slots=True)
class _Auth:
    """What the request says about its own signature."""

    algorithm: str
    variant: str
    access_key_id: str
    signature: str
    scope: tuple[str, str, str] | None = None  # (date, region, service), SigV4 only
    signed_headers: tuple[str, ...] = ()
    stamp: str | None = None
    expires: str | None = None  # X-Amz-Expires (V4) or Expires (V2 query)
    token: str | None = None


class _Refused(InputError):
    """A request we cannot even recompute: the problem to answer with. An `InputError`, so a
    caller of `read_auth` that is not a server reports it in one line."""

    def __init__(self, problem: Problem, auth: _Auth | None = None) -> None:
        super().__init__("request", problem.message)
        self.problem = problem
        self.auth = auth


def _query_params(request: Request) -> list[tuple[str, str]]:
    """Decoded (name, value) pairs; a parameter without ``=`` has the value ``""``."""
    out = []
    for name, value in parse_query(request.query or ""):
        decoded = percent_decode(value or "", plus_as_space=True).decode("utf-8", "replace")
        out.append((percent_decode(name).decode("utf-8", "replace"), decoded))
    return out


def _malformed(code: str, message: str, cause: str | None = None) -> _Refused:
    return _Refused(Problem(code, message, cause))


def _parse_v4_header(value: str, request: Request) -> _Auth:
    split = split_authorization(value)
    if split is None or split[0] != ALGORITHM:
        raise _malformed("AuthorizationHeaderMalformed", "Authorization is not AWS4-HMAC-SHA256")
    parts: dict[str, str] = {}
    for name, val in split[1]:
        if not name:
            raise _malformed("AuthorizationHeaderMalformed", f"{val!r} is not Name=value")
        if name in parts:
            # Which copy would count is a guess (the first? the last?): S3 reads exactly three
            # components, so a repeated one is malformed, never "the last wins".
            raise _malformed(
                "AuthorizationHeaderMalformed",
                f"{_HEADER_MALFORMED}{_THREE_COMPONENTS} ({name}= is given twice)",
            )
        parts[name] = val
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if n not in parts]
    if missing:
        raise _malformed(
            "AuthorizationHeaderMalformed", f"Authorization lacks {', '.join(missing)}"
        )
    key, scope = _credential(parts["Credential"], "AuthorizationHeaderMalformed")
    stamp = request.header("x-amz-date")
    if stamp is None:
        date = request.header("date")
        if date is None:
            raise _Refused(
                Problem("AccessDenied", "AWS authentication requires a valid Date or x-amz-date")
            )
        try:
            stamp = parse_time(date, field="Date").strftime("%Y%m%dT%H%M%SZ")
        except InputError:
            raise _malformed("AccessDenied", f"Date {date!r} cannot be read") from None
    return _Auth(
        ALGORITHM,
        "header",
        key,
        parts["Signature"].strip(),
        scope,
        tuple(parts["SignedHeaders"].strip().split(";")),
        stamp.strip(),
        token=request.header(session_token_name(scope[2])),
    )


def _credential(value: str, code: str) -> tuple[str, tuple[str, str, str]]:
    pieces = value.strip().split("/")
    if len(pieces) != 5 or pieces[4] != "aws4_request" or not all(pieces):
        raise _malformed(
            code, f"Credential {value!r} is not KEY/YYYYMMDD/region/service/aws4_request"
        )
    return pieces[0], (pieces[1], pieces[2], pieces[3])


def _check_expires(value: str, limit: int = MAX_EXPIRES) -> None:
    """X-Amz-Expires as S3 reads it: an integer, not negative, at most a week (or the
    server's own `limit`)."""
    code = "AuthorizationQueryParametersError"
    if not _INTEGER.match(value):
        raise _malformed(code, _EXPIRES_NUMBER, "expires-too-long")
    digits = value.lstrip("-").lstrip("0")  # int() of a few thousand digits would fail
    if value.startswith("-") and digits:
        raise _malformed(code, _EXPIRES_NEGATIVE, "expires-too-long")
    if len(digits) > len(str(limit)) or int(digits or "0") > limit:
        message = (
            _EXPIRES_WEEK
            if limit == MAX_EXPIRES
            else f"X-Amz-Expires must be at most {limit} seconds"
        )
        raise _malformed(code, message, "expires-too-long")


def _parse_v4_query(params: Mapping[str, str], max_expires: int = MAX_EXPIRES) -> _Auth:
    code = "AuthorizationQueryParametersError"
    if params.get("X-Amz-Algorithm") != ALGORITHM:
        raise _malformed(
            code, f"X-Amz-Algorithm {params.get('X-Amz-Algorithm')!r} is not supported"
        )
    names = ("X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
    if any(n not in params for n in (*names, "X-Amz-Expires")):
        raise _malformed(code, _QUERY_REQUIRES)
    _check_expires(params["X-Amz-Expires"], max_expires)
    key, scope = _credential(params["X-Amz-Credential"], code)
    return _Auth(
        ALGORITHM,
        "query",
        key,
        params["X-Amz-Signature"],
        scope,
        tuple(params["X-Amz-SignedHeaders"].split(";")),
        params["X-Amz-Date"],
        params["X-Amz-Expires"],
        params.get(session_token_name(scope[2])),
    )


_V4_QUERY_AUTH = frozenset(
    {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders",
     "X-Amz-Signature", "X-Amz-Expires", "X-Amz-Security-Token", "X-Amz-S3session-Token"}
)  # fmt: skip


def _once(pairs: list[tuple[str, str]], names: frozenset[str], code: str) -> None:
    """A signing parameter given twice in a presigned URL is refused, as a repeated
    Authorization component is: which copy counts would be a guess (RGW keeps the last)."""
    seen: set[str] = set()
    for name, _ in pairs:
        if name in names:
            if name in seen:
                raise _malformed(code, f"the query gives {name} more than once")
            seen.add(name)


def read_auth(request: Request, *, max_expires: int = MAX_EXPIRES) -> _Auth | None:
    """Which algorithm and variant the request uses, and its parameters; None when unsigned."""
    authorizations = request.header_values("authorization")
    if len(authorizations) > 1:
        raise _malformed(
            "InvalidArgument",
            f"{_ONE_AUTHORIZATION} ({len(authorizations)} were sent; which one counts is a guess)",
        )
    authorization = authorizations[0] if authorizations else None
    pairs = _query_params(request)
    params = dict(pairs)
    if authorization is not None:
        v2_query = "AWSAccessKeyId" in params and "Signature" in params
        if v2_query or "X-Amz-Algorithm" in params or "X-Amz-Signature" in params:
            raise _malformed("InvalidArgument", _ONE_MECHANISM)
        value = authorization.strip()
        if value.startswith("AWS4-"):
            return _parse_v4_header(value, request)
        split = split_authorization(value)
        if split is None or split[0] != "AWS":
            raise _malformed(
                "InvalidRequest",
                "Authorization is neither 'AWS4-HMAC-SHA256 ...' nor 'AWS key:sig'",
            )
        v2 = dict(split[1])
        return _Auth(
            "AWS",
            "header",
            v2["AWSAccessKeyId"],
            v2["Signature"],
            token=request.header("x-amz-security-token"),
        )
    if "X-Amz-Algorithm" in params or "X-Amz-Signature" in params:
        _once(pairs, _V4_QUERY_AUTH, "AuthorizationQueryParametersError")
        return _parse_v4_query(params, max_expires)
    if "AWSAccessKeyId" in params or "Signature" in params:
        _once(pairs, V2_QUERY_PARAMS, "InvalidArgument")
        missing = [n for n in ("AWSAccessKeyId", "Signature", "Expires") if n not in params]
        if missing:
            raise _malformed("AccessDenied", f"the query lacks {', '.join(missing)}")
        return _Auth(
            "AWS",
            "query",
            params["AWSAccessKeyId"],
            params["Signature"],
            expires=params["Expires"],
            token=params.get("x-amz-security-token") or request.header("x-amz-security-token"),
        )
    return None


def strip_query_params(request: Request, names: frozenset[str]) -> Request:
    """The query as received, without the signer's own parameters (raw segments kept): what
    verify recomputes a presigned URL from, and what the proxy re-signs."""
    if request.query is None:
        return request
    kept = [
        segment
        for segment in request.query.split("&")
        if segment
        and percent_decode(segment.partition("=")[0]).decode("utf-8", "replace") not in names
    ]
    return request.with_query("&".join(kept) if kept or request.query == "" else None)


def _without_authorization(request: Request) -> Request:
    headers = tuple((n, v) for n, v in request.headers if n.lower() != "authorization")
    return Request(
        request.method,
        request.path,
        request.query,
        headers,
        request.body,
        request.scheme,
        request.authority,
    )


def _lookup(credentials: CredentialSource, key: str) -> Credentials | None:
    if isinstance(credentials, Credentials):
        return credentials if _same(credentials.access_key_id, key) else None
    return credentials.get(key)


def _stamp_time(stamp: str, name: str) -> datetime:
    if not _STAMP.match(stamp):
        raise _malformed("AccessDenied", f"{name} {stamp!r} is not YYYYMMDDTHHMMSSZ")
    return parse_time(stamp, field=name)


def _recompute_v4(
    request: Request, auth: _Auth, creds: Credentials, v4_changes: Mapping[str, object]
) -> tuple[SigningResult, SigV4Config]:
    assert auth.scope is not None and auth.stamp is not None
    _, region, service = auth.scope
    names = {n.lower() for n, _ in request.headers} | {
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    }
    unsigned = frozenset(names - set(auth.signed_headers))
    options: dict[str, object] = {"unsigned_headers": unsigned, "content_sha256_header": False}
    options.update(v4_changes)
    if auth.variant == "query":
        options["expires"] = int(auth.expires) if auth.expires is not None else None
    config = rules_for(
        service,
        region,
        variant="query" if auth.variant == "query" else "header",
        content_sha256_sent=request.header("x-amz-content-sha256") is not None,
        **options,  # type: ignore[arg-type]
    )
    when = _stamp_time(auth.stamp, "X-Amz-Date")
    if auth.variant == "header":
        # The token, if sent, is a header of the request already: sign it as sent.
        bare = Credentials(creds.access_key_id, creds.secret_access_key)
        return sign_v4(_without_authorization(request), bare, when, config), config
    signer_creds = Credentials(creds.access_key_id, creds.secret_access_key, auth.token)
    stripped = strip_query_params(request, PRESIGN_PARAMS)
    return sign_v4_query(stripped, signer_creds, when, config), config


def _recompute_v2(
    request: Request, auth: _Auth, creds: Credentials, v2: S3V2Config | None
) -> tuple[SigningResult, S3V2Config]:
    base = v2 or S3V2Config()
    if auth.variant == "header":
        if request.header("date") is None and request.header("x-amz-date") is None:
            raise _Refused(
                Problem(
                    "AccessDenied",
                    "AWS authentication requires a valid Date or x-amz-date",
                    "v2-date",
                )
            )
        bare = Credentials(creds.access_key_id, creds.secret_access_key)
        # The request's own Date is signed; `when` is not used then.
        return sign_v2(_without_authorization(request), bare, _v2_time(request), v2), base
    assert auth.expires is not None
    if not auth.expires.isdigit():
        raise _malformed("AccessDenied", f"Expires {auth.expires!r} is not epoch seconds")
    config = S3V2Config(
        bucket=base.bucket,
        addressing=base.addressing,
        endpoint_bases=base.endpoint_bases,
        expires_at=int(auth.expires),
        plus_as_space=base.plus_as_space,
    )
    # A token sent as a header (botocore sends it both ways) is signed from there already.
    in_header = request.header("x-amz-security-token") is not None
    token = None if in_header else auth.token
    signer_creds = Credentials(creds.access_key_id, creds.secret_access_key, token)
    stripped = strip_query_params(request, V2_QUERY_PARAMS)
    return sign_v2_query(stripped, signer_creds, EPOCH, config), config


def _v2_time(request: Request) -> datetime:
    text = request.header("x-amz-date") or request.header("date") or ""
    try:
        return parse_time(text, field="Date")
    except InputError:
        problem = Problem(
            "AccessDenied",
            f"AWS authentication requires a valid Date or x-amz-date header ({text.strip()!r} "
            "is not an HTTP date)",
            "v2-date",
        )
        raise _Refused(problem) from None


def _scope_problems(auth: _Auth, region: str | None, service: str | None) -> list[Problem]:
    """A SigV4 scope for another region, service or day than the server's, with S3's wording
    (AuthorizationHeaderMalformed for the header, AuthorizationQueryParametersError for a
    presigned URL)."""
    if auth.algorithm != ALGORITHM or auth.scope is None:
        return []
    query = auth.variant == "query"
    code = "AuthorizationQueryParametersError" if query else "AuthorizationHeaderMalformed"
    prefix = _CREDENTIAL_PARAM if query else _HEADER_MALFORMED
    date, signed_region, signed_service = auth.scope
    problems = []
    if region is not None and signed_region != region:
        problems.append(
            Problem(
                code,
                f"{prefix}the region '{signed_region}' is wrong; expecting '{region}'",
                "region",
                (("Region", region),),
            )
        )
    if service is not None and signed_service != service:
        problems.append(
            Problem(
                code,
                f'{prefix}incorrect service "{signed_service}". This endpoint belongs to '
                f'"{service}".',
                "service",
            )
        )
    if auth.stamp is not None and date != auth.stamp[:8]:
        message = _DATE_MISMATCH if query else _HEADER_MALFORMED + _DATE_MISMATCH
        problems.append(Problem(code, message, "scope-date"))
    return problems


def _unsigned_problems(request: Request, auth: _Auth) -> list[Problem]:
    """SigV4: every x-amz-* header sent must be signed (S3 answers AccessDenied and lists the
    others in HeadersNotSigned), x-amz-content-sha256 apart."""
    if auth.algorithm != ALGORITHM:
        return []
    signed = {name.strip().lower() for name in auth.signed_headers}
    unsigned: list[str] = []
    for name, _ in request.headers:
        lower = name.lower()
        if (
            lower.startswith("x-amz-")
            and lower not in signed
            and lower not in UNSIGNED_ALLOWED
            and lower not in unsigned
        ):
            unsigned.append(lower)
    if not unsigned:
        return []
    cause = "session-token" if unsigned == ["x-amz-security-token"] else "unsigned-header"
    return [
        Problem(
            "AccessDenied", NOT_SIGNED_MESSAGE, cause, (("HeadersNotSigned", ", ".join(unsigned)),)
        )
    ]


_MISSING_SHA256 = "Missing required header for this request: x-amz-content-sha256"


def _telling(problem: Problem) -> int:
    if problem.message == _MISSING_SHA256:
        return 2
    return 1 if problem.code == "SignatureDoesNotMatch" and problem.cause is None else 0


def _sha256_header_problems(request: Request, auth: _Auth) -> list[Problem]:
    """S3 requires x-amz-content-sha256 on every SigV4 header-signed request (AWS: 400
    InvalidRequest; Ceph RGW: 403 SignatureDoesNotMatch). curl before 8.0 never sends it."""
    if auth.algorithm != ALGORITHM or auth.variant != "header" or auth.scope is None:
        return []
    if not is_s3(auth.scope[2]) or request.header("x-amz-content-sha256") is not None:
        return []
    return [Problem("InvalidRequest", _MISSING_SHA256, "payload-hash")]


def time_problems(request: Request, now: datetime, skew: timedelta = DEFAULT_SKEW) -> list[Problem]:
    """What a server refuses about a request's time alone (skew, expiry, a V2 Date), no secret
    needed: the same checks `verify_request` makes, for callers that have no secret."""
    try:
        auth = read_auth(request)
        return _time_problems(request, auth, check_utc(now, "now"), skew) if auth else []
    except _Refused as refused:
        return [refused.problem] if refused.problem.cause in ("v2-date", "expired") else []
    except InputError:
        return []


def _time_problems(request: Request, auth: _Auth, now: datetime, skew: timedelta) -> list[Problem]:
    """RequestTimeTooSkewed and expiry, as S3 reports them."""
    problems: list[Problem] = []
    server_time = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if auth.algorithm == "AWS" and auth.variant == "query":
        assert auth.expires is not None
        if auth.expires.isdigit() and int(auth.expires) < epoch_seconds(now):
            problems.append(
                Problem(
                    "AccessDenied",
                    "Request has expired",
                    "expired",
                    (("Expires", auth.expires), ("ServerTime", server_time)),
                )
            )
        return problems
    if auth.algorithm == "AWS":
        signed_at = _v2_time(request)
    else:
        assert auth.stamp is not None
        signed_at = _stamp_time(auth.stamp, "X-Amz-Date")
    if auth.variant == "query":
        assert auth.expires is not None  # checked by _parse_v4_query: 0..MAX_EXPIRES
        expires = int(auth.expires)
        if signed_at + timedelta(seconds=expires) < now:
            problems.append(
                Problem(
                    "AccessDenied",
                    "Request has expired",
                    "expired",
                    (
                        ("X-Amz-Expires", auth.expires),
                        ("Expires", (signed_at + timedelta(seconds=expires)).isoformat()),
                        ("ServerTime", server_time),
                    ),
                )
            )
        if signed_at - now > skew:
            problems.append(_skewed(signed_at, now, skew))
        return problems
    if abs(signed_at - now) > skew:
        problems.append(_skewed(signed_at, now, skew))
    return problems


def _skewed(signed_at: datetime, now: datetime, skew: timedelta) -> Problem:
    return Problem(
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        "clock-skew",
        (
            ("RequestTime", signed_at.strftime("%Y%m%dT%H%M%SZ")),
            ("ServerTime", now.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("MaxAllowedSkewMilliseconds", str(int(skew.total_seconds() * 1000))),
        ),
    )


def _token_problems(auth: _Auth, creds: Credentials) -> list[Problem]:
    """The session token sent against the one the key needs (its signing is _unsigned_problems')."""
    expected, sent = creds.session_token, auth.token
    if expected is None and sent is None:
        if auth.access_key_id.startswith("ASIA"):  # STS keys are temporary: never without one
            return [
                Problem(
                    "InvalidToken",
                    "the session token is missing: an ASIA… access key is temporary and is "
                    "valid only with its session token",
                    "session-token",
                )
            ]
        return []
    if expected is not None and sent is None:
        return [Problem("InvalidToken", "the session token is missing", "session-token")]
    if expected is None or sent is None or not _same(sent.strip(), expected):
        return [
            Problem(
                "InvalidToken",
                "The provided token is malformed or otherwise invalid.",
                "session-token",
            )
        ]
    return []


def _payload_problems(request: Request, result: SigningResult) -> list[Problem]:
    """The body must be the one whose hash was signed; aws-chunked bodies chunk by chunk."""
    sent = result.get("payload_hash")
    body = request.body
    if sent is None:
        return []
    data: bytes | Stream
    if isinstance(body, bytes | None):
        data = body or b""
        empty = not data
    elif hasattr(body, "seekable") and body.seekable():
        # A large body a server kept in a file (sigkit serve): hashed and decoded from there.
        data, empty = body, False
    else:
        return []
    declared = (request.header("content-length") or "").strip()
    if empty and declared.isdigit() and int(declared) > 0:
        # The capture shows no body though one was announced (a client log, curl -v, a client
        # refused before 100-continue): only the empty-body hash is then known to be wrong.
        if sent != EMPTY_SHA256:
            return []
        code = "XAmzContentSHA256Mismatch"
        if request.header("x-amz-content-sha256") is None:
            code = "SignatureDoesNotMatch"  # the server hashes the body it receives
        return [
            Problem(
                code,
                f"the empty-body hash {EMPTY_SHA256} was signed for a body of {declared} bytes "
                "(Content-Length)",
                "payload-hash",
                (("ClientComputedContentSHA256", sent), ("ContentLength", declared)),
            )
        ]
    if sent in STREAMING_PAYLOADS and sent.startswith("STREAMING-AWS4-HMAC-SHA256"):
        return _chunk_problems(request, result, data)
    if len(sent) != 64:
        return []
    computed = hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else sha256_stream(data)
    if sent != computed:
        # The empty-body hash signed for a body is the client hashing nothing (a streamed body
        # read before signing, curl -T): a payload-hash slip, not a body changed in transit.
        return [
            Problem(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                "payload-hash" if sent == EMPTY_SHA256 else "body-changed",
                (("ClientComputedContentSHA256", sent), ("S3ComputedContentSHA256", computed)),
            )
        ]
    return []


def _chunk_problems(request: Request, result: SigningResult, data: bytes | Stream) -> list[Problem]:
    from sigkit.sigv4.chunked import ChunkedDecoder, ChunkSigner

    length = request.header("x-amz-decoded-content-length")
    trailer = request.header("x-amz-trailer")
    start = None if isinstance(data, bytes) else data.tell()
    try:
        decoder = ChunkedDecoder(
            data,
            payload=result["payload_hash"],
            signer=ChunkSigner.from_result(result),
            decoded_length=int(length) if length and length.strip().isdigit() else None,
            trailer_names=trailer.split(",") if trailer else None,
        )
        for _ in decoder:  # chunk by chunk: a large body is never held whole
            pass
    except InputError as exc:
        return [Problem("IncompleteBody", f"aws-chunked body: {exc.message}", "body-changed")]
    except SigkitError as exc:
        return [Problem("SignatureDoesNotMatch", f"aws-chunked body: {exc}", "body-changed")]
    finally:
        if start is not None and not isinstance(data, bytes):
            data.seek(start)
    return []


def verify_request(
    request: Request,
    credentials: CredentialSource,
    now: datetime,
    *,
    skew: timedelta = DEFAULT_SKEW,
    v4: Mapping[str, object] | None = None,
    v2: S3V2Config | None = None,
    region: str | None = None,
    service: str | None = None,
    max_expires: int = MAX_EXPIRES,
) -> VerifyResult:
    """Verify one received request against `credentials` (one pair, or a mapping from access
    key id to credentials) at `now` (aware).

    `v4` overrides SigV4Config fields (e.g. ``{"plus_as_space": False}``); S3 rules apply when
    the scope's service is S3. `v2` says where the bucket is for V2 (else inferred from the
    host). `region` / `service`, when given, are the scope this server answers for: a SigV4
    scope naming another is refused as S3 refuses it. `max_expires` is the longest presigned
    lifetime the server accepts (a store profile's; AWS's week by default). Problems come most
    telling first: the scope, unsigned headers, time, token, then a bare signature mismatch.
    """
    now = check_utc(now, "now")
    if max_expires != MAX_EXPIRES:  # the recomputed URL is signed under the same limit
        v4 = {**(v4 or {}), "max_expires": max_expires}
    auth: _Auth | None = None
    problems: list[Problem] = []
    try:
        auth = read_auth(request, max_expires=max_expires)
        if auth is None:
            raise _Refused(Problem("AccessDenied", "the request is not signed (anonymous)"))
        creds = _lookup(credentials, auth.access_key_id)
        if creds is None:
            raise _Refused(
                Problem(
                    "InvalidAccessKeyId",
                    "The AWS Access Key Id you provided does not exist in our records.",
                    "unknown-access-key",
                ),
                auth,
            )
        problems = _scope_problems(auth, region, service) + _unsigned_problems(request, auth)
        # Time before the recomputation: a request that cannot be recomputed (a header sent
        # twice, say) is still too old or expired, and that is what the server answers first.
        problems += _time_problems(request, auth, now, skew)
        problems += _sha256_header_problems(request, auth)
        config: SigV4Config | S3V2Config
        if auth.algorithm == ALGORITHM:
            result, config = _recompute_v4(request, auth, creds, v4 or {})
        else:
            result, config = _recompute_v2(request, auth, creds, v2)
        problems += _token_problems(auth, creds)
    except _Refused as refused:
        return _refusal(refused.auth or auth, [*problems, refused.problem])
    except (InputError, ValueError) as exc:
        problem = Problem("InvalidRequest", f"the request cannot be verified: {exc}")
        return _refusal(auth, [*problems, problem])
    if not _same(auth.signature, result.signature):
        problems.append(Problem("SignatureDoesNotMatch", SIGNATURE_MESSAGE))
    else:
        problems += _payload_problems(request, result)
    # The most telling refusal first: a stated cause, then a bare signature mismatch, then a
    # missing x-amz-content-sha256 (which alone does not change what sigkit computes).
    problems.sort(key=_telling)
    return VerifyResult(
        "match" if not problems else "mismatch",
        auth.algorithm,
        auth.variant,
        auth.access_key_id,
        auth.signature,
        result,
        tuple(problems),
        config,
    )


def _refusal(auth: _Auth | None, problems: list[Problem]) -> VerifyResult:
    """A request refused before its signature could be recomputed."""
    if auth is None:
        return VerifyResult("mismatch", None, None, None, None, None, tuple(problems))
    return VerifyResult(
        "mismatch",
        auth.algorithm,
        auth.variant,
        auth.access_key_id,
        auth.signature,
        None,
        tuple(problems),
    )

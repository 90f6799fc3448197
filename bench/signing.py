"""Signing speed: sigkit, the floor (bench/reference.py), botocore, requests-aws4auth, awscrt.

Every signer signs the same request at the same time with the same key pair, in one process.
Before a signer is timed its signature is checked equal to what sigkit computes for the same
inputs (SigV4A: checked by verifying its ECDSA signature over sigkit's string to sign, since
ECDSA signatures are randomised). A signer whose library is not installed is left out.

What each call includes, so that the ratios compare like with like:
- sigkit: ``sign_v4(request, ...)`` on a `Request` built once (as botocore's ``add_auth`` runs
  on an ``AWSRequest`` built once); every step value is computed.
- botocore: ``add_auth`` on an ``AWSRequest`` built once; the headers or URL it added last time
  are removed first, so that it does the whole job each call. Its clocks are frozen at the
  signing time (module attributes replaced for the run).
- requests-aws4auth: the auth object called on a ``PreparedRequest`` built once, carrying
  ``x-amz-date`` so that it signs at the benchmark's time.
- awscrt: ``aws_sign_request`` on a new ``HttpRequest`` (it appends to the one it is given),
  config built once, waiting for the result.
"""

from __future__ import annotations

import importlib.util
import io
import re
import statistics
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import reference

from sigkit.credentials import Credentials
from sigkit.http import Request
from sigkit.sigv2.s3 import S3V2Config, sign_v2, sign_v2_query
from sigkit.sigv4.config import UNSIGNED_PAYLOAD, SigV4Config
from sigkit.sigv4.signer import sign_v4, sign_v4_query
from sigkit.timefmt import amz_date, epoch_seconds, http_date

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(AKID, SECRET)
WHEN = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
STAMP = amz_date(WHEN)
REGION = "us-east-1"
HOST = "examplebucket.s3.us-east-1.amazonaws.com"
PATH = "/photos/2026/cat.jpg"
URL = f"https://{HOST}{PATH}"
HEADERS = [
    ("Host", HOST),
    ("Content-Type", "image/jpeg"),
    ("x-amz-meta-owner", "alice"),
    ("x-amz-storage-class", "STANDARD_IA"),
]
BODY = bytes(range(256)) * 4  # 1 KiB
STS_HOST = "sts.us-east-1.amazonaws.com"
STS_QUERY = "Action=GetCallerIdentity&Version=2011-06-15"
STS_HEADERS = [("Host", STS_HOST), ("Content-Type", "application/x-www-form-urlencoded")]
EXPIRES = 3600

SIGKIT = "sigkit"
FLOOR = "floor (bench/reference.py)"


@dataclass
class Contender:
    name: str
    call: Callable[[], object]
    signature: Callable[[], str]  # signs once and returns what is compared
    expected: str  # sigkit's value for the same inputs
    note: str = ""


@dataclass
class Case:
    name: str
    contenders: list[Contender] = field(default_factory=list)


def _auth_signature(authorization: str) -> str:
    match = re.search(r"Signature=([0-9a-f]+)", authorization)
    return match.group(1) if match else authorization


def _query_value(url_or_query: str, name: str) -> str:
    query = urlsplit(url_or_query).query if "://" in url_or_query else url_or_query
    return parse_qs(query)[name][0]


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# ---------------------------------------------------------------------------------- botocore


class FrozenBotocoreClock:
    """Replace the clocks botocore.auth reads by the benchmark's time, for the whole run."""

    def __enter__(self) -> None:
        import botocore.auth

        naive = WHEN.replace(tzinfo=None)
        epoch = epoch_seconds(WHEN)
        self.saved = {
            name: getattr(botocore.auth, name)
            for name in ("get_current_datetime", "formatdate", "time")
        }
        botocore.auth.get_current_datetime = lambda: naive
        botocore.auth.formatdate = lambda *a, **k: http_date(WHEN)
        botocore.auth.time = SimpleNamespace(time=lambda: float(epoch))

    def __exit__(self, *exc: object) -> None:
        import botocore.auth

        for name, value in self.saved.items():
            setattr(botocore.auth, name, value)


def _boto_creds() -> Any:
    from botocore.credentials import Credentials as BotoCredentials

    return BotoCredentials(AKID, SECRET)


def _boto_header(
    signer: Any, method: str, url: str, headers: Any, context: Any = None, **kw: Any
) -> Contender:
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method=method, url=url, headers=dict(headers), **kw)
    request.context.update(context or {})
    added = ("X-Amz-Content-SHA256",)

    def call() -> object:
        for name in added:
            if name in request.headers:
                del request.headers[name]
        signer.add_auth(request)
        return request

    def signature() -> str:
        call()
        return _auth_signature(request.headers["Authorization"])

    return Contender(f"botocore {type(signer).__name__}", call, signature, "")


def _boto_query(signer: Any, url: str, param: str, **kw: Any) -> Contender:
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method="GET", url=url, **kw)

    def call() -> object:
        request.url = url  # add_auth appended its parameters to the URL last time
        signer.add_auth(request)
        return request

    def signature() -> str:
        call()
        return _query_value(request.url, param)

    return Contender(f"botocore {type(signer).__name__}", call, signature, "")


# ------------------------------------------------------------------------ requests-aws4auth


def _aws4auth(method: str, url: str, headers: Any, body: bytes | None, service: str) -> Contender:
    import requests
    from requests_aws4auth import AWS4Auth

    auth = AWS4Auth(AKID, SECRET, REGION, service, date=STAMP[:8])
    prepared = requests.Request(
        method, url, headers={**dict(headers), "x-amz-date": STAMP}, data=body
    ).prepare()

    def call() -> object:
        return auth(prepared)

    def signature() -> str:
        call()
        return _auth_signature(prepared.headers["Authorization"])

    return Contender("requests-aws4auth", call, signature, "")


# ----------------------------------------------------------------------------------- awscrt


def _crt(
    method: str,
    path: str,
    headers: Any,
    *,
    service: str = "s3",
    body: bytes | None = None,
    query: bool = False,
    asymmetric: bool = False,
) -> Contender:
    from awscrt import auth, http

    s3 = service == "s3"
    config = auth.AwsSigningConfig(
        algorithm=auth.AwsSigningAlgorithm.V4_ASYMMETRIC
        if asymmetric
        else auth.AwsSigningAlgorithm.V4,
        signature_type=auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS
        if query
        else auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
        credentials_provider=auth.AwsCredentialsProvider.new_static(AKID, SECRET),
        region=REGION,
        service=service,
        date=WHEN,
        use_double_uri_encode=not s3,
        should_normalize_uri_path=not s3,
        signed_body_value=UNSIGNED_PAYLOAD if s3 and body is None else None,
        signed_body_header_type=auth.AwsSignedBodyHeaderType.X_AMZ_CONTENT_SHA_256
        if s3 and not query
        else auth.AwsSignedBodyHeaderType.NONE,
        expiration_in_seconds=EXPIRES if query else None,
    )

    def call() -> Any:
        stream = io.BytesIO(body) if body is not None else None
        request = http.HttpRequest(method, path, http.HttpHeaders(list(headers)), stream)
        return auth.aws_sign_request(request, config).result()

    def signature() -> str:
        signed = call()
        if query:
            return _query_value(signed.path.partition("?")[2], "X-Amz-Signature")
        value = signed.headers.get("Authorization")
        return value if asymmetric else _auth_signature(value)

    return Contender("awscrt (C, via its binding)", call, signature, "")


# ------------------------------------------------------------------------------------ cases


def _sigkit(call: Callable[[], Any], value: Callable[[Any], str]) -> Contender:
    expected = value(call())
    return Contender(SIGKIT, call, lambda: value(call()), expected)


def _matched(contender: Contender, expected: str, note: str = "") -> Contender:
    contender.expected = expected
    contender.note = note
    return contender


def s3_header_case(*, hashed: bool) -> Case:
    body = BODY if hashed else None
    request = Request.from_url("PUT", URL, HEADERS, body)
    config = (
        SigV4Config.s3(REGION) if hashed else SigV4Config.s3(REGION, payload_hash=UNSIGNED_PAYLOAD)
    )
    own = _sigkit(lambda: sign_v4(request, CREDS, WHEN, config), lambda r: r.signature)
    name = "SigV4 S3 PUT, 4 headers, " + ("1 KiB body hashed" if hashed else "UNSIGNED-PAYLOAD")
    case = Case(name, [own])
    floor = Contender(
        FLOOR,
        lambda: reference.v4_header(
            "PUT",
            PATH,
            "",
            HEADERS,
            body,
            STAMP,
            REGION,
            "s3",
            AKID,
            SECRET,
            unsigned_payload=not hashed,
            s3=True,
        ),
        lambda: _auth_signature(floor.call()),
        own.expected,
    )
    case.contenders.append(floor)
    if _has("botocore"):
        from botocore.auth import S3SigV4Auth
        from botocore.config import Config

        signer = S3SigV4Auth(_boto_creds(), "s3", REGION)
        context = {"client_config": Config(s3={"payload_signing_enabled": hashed})}
        boto = _boto_header(signer, "PUT", URL, HEADERS, context, data=body)
        case.contenders.append(_matched(boto, own.expected))
    if _has("requests_aws4auth"):
        # it has no UNSIGNED-PAYLOAD: it always signs the body's hash (empty here)
        plain = sign_v4(request, CREDS, WHEN, SigV4Config.s3(REGION)).signature
        note = "" if hashed else "signs the empty body's hash: it has no UNSIGNED-PAYLOAD"
        case.contenders.append(_matched(_aws4auth("PUT", URL, HEADERS, body, "s3"), plain, note))
    if _has("awscrt"):
        case.contenders.append(
            _matched(
                _crt("PUT", PATH, HEADERS, body=body), own.expected, "new HttpRequest each call"
            )
        )
    return case


def generic_case() -> Case:
    url = f"https://{STS_HOST}/?{STS_QUERY}"
    request = Request.from_url("GET", url, STS_HEADERS)
    config = SigV4Config.generic(REGION, "sts")
    own = _sigkit(lambda: sign_v4(request, CREDS, WHEN, config), lambda r: r.signature)
    case = Case("SigV4 generic service (STS GET, 2 query parameters)", [own])
    floor = Contender(
        FLOOR,
        lambda: reference.v4_header(
            "GET",
            "/",
            STS_QUERY,
            STS_HEADERS,
            None,
            STAMP,
            REGION,
            "sts",
            AKID,
            SECRET,
            unsigned_payload=False,
            s3=False,
        ),
        lambda: _auth_signature(floor.call()),
        own.expected,
    )
    case.contenders.append(floor)
    if _has("botocore"):
        from botocore.auth import SigV4Auth

        boto = _boto_header(SigV4Auth(_boto_creds(), "sts", REGION), "GET", url, STS_HEADERS)
        case.contenders.append(_matched(boto, own.expected))
    if _has("requests_aws4auth"):
        with_header = SigV4Config.generic(REGION, "sts", content_sha256_header=True)
        expected = sign_v4(request, CREDS, WHEN, with_header).signature
        case.contenders.append(
            _matched(
                _aws4auth("GET", url, STS_HEADERS, None, "sts"),
                expected,
                "always adds and signs x-amz-content-sha256",
            )
        )
    if _has("awscrt"):
        crt = _crt("GET", f"/?{STS_QUERY}", STS_HEADERS, service="sts")
        case.contenders.append(_matched(crt, own.expected, "new HttpRequest each call"))
    return case


def presign_v4_case() -> Case:
    request = Request.from_url("GET", URL)
    config = SigV4Config.s3(REGION, payload_hash=UNSIGNED_PAYLOAD, expires=EXPIRES)
    own = _sigkit(lambda: sign_v4_query(request, CREDS, WHEN, config), lambda r: r.signature)
    case = Case("SigV4 S3 presigned GET, 1 hour", [own])
    floor = Contender(
        FLOOR,
        lambda: reference.v4_presign(PATH, HOST, STAMP, EXPIRES, REGION, AKID, SECRET),
        lambda: _query_value(floor.call(), "X-Amz-Signature"),
        own.expected,
    )
    case.contenders.append(floor)
    if _has("botocore"):
        from botocore.auth import S3SigV4QueryAuth

        signer = S3SigV4QueryAuth(_boto_creds(), "s3", REGION, expires=EXPIRES)
        case.contenders.append(_matched(_boto_query(signer, URL, "X-Amz-Signature"), own.expected))
    if _has("awscrt"):
        crt = _crt("GET", PATH, [("Host", HOST)], query=True)
        case.contenders.append(_matched(crt, own.expected, "new HttpRequest each call"))
    return case


def v2_header_case() -> Case:
    request = Request.from_url("PUT", URL, HEADERS)
    own = _sigkit(lambda: sign_v2(request, CREDS, WHEN), lambda r: r.signature)
    case = Case("S3 V2 (HmacV1) PUT, 4 headers", [own])
    resource = f"/examplebucket{PATH}"
    date = http_date(WHEN)
    floor = Contender(
        FLOOR,
        lambda: reference.v2_header("PUT", resource, HEADERS, date, AKID, SECRET),
        lambda: floor.call().rpartition(":")[2],
        own.expected,
    )
    case.contenders.append(floor)
    if _has("botocore"):
        from botocore.auth import HmacV1Auth

        boto = _boto_header(HmacV1Auth(_boto_creds()), "PUT", URL, HEADERS, auth_path=resource)
        boto.signature = lambda: boto.call().headers["Authorization"].rpartition(":")[2]
        case.contenders.append(_matched(boto, own.expected))
    return case


def presign_v2_case() -> Case:
    request = Request.from_url("GET", URL)
    config = S3V2Config(expires_in=EXPIRES)
    own = _sigkit(lambda: sign_v2_query(request, CREDS, WHEN, config), lambda r: r.signature)
    case = Case("S3 V2 presigned GET, 1 hour", [own])
    resource = f"/examplebucket{PATH}"
    expires = epoch_seconds(WHEN) + EXPIRES
    floor = Contender(
        FLOOR,
        lambda: reference.v2_presign(resource, expires, AKID, SECRET),
        lambda: _query_value(floor.call(), "Signature"),
        own.expected,
    )
    case.contenders.append(floor)
    if _has("botocore"):
        from botocore.auth import HmacV1QueryAuth

        signer = HmacV1QueryAuth(_boto_creds(), expires=EXPIRES)
        boto = _boto_query(signer, URL, "Signature", auth_path=resource)
        case.contenders.append(_matched(boto, own.expected))
    return case


def v4a_case() -> Case | None:
    if not _has("cryptography"):
        return None
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from sigkit.sigv4.sigv4a import derive_private_key, sign_v4a, verify_v4a

    request = Request.from_url("PUT", URL, HEADERS)
    config = SigV4Config.s3(REGION, payload_hash=UNSIGNED_PAYLOAD)
    result = sign_v4a(request, CREDS, WHEN, config)
    text = result["string_to_sign"]
    key = derive_private_key(AKID, SECRET)
    public = key.public_key()

    def verified(authorization: str) -> str:
        ok = verify_v4a(text, _auth_signature(authorization), public)
        return "verifies over sigkit's string to sign" if ok else "does not verify"

    good = verified(result["authorization"])
    own = Contender(
        SIGKIT,
        lambda: sign_v4a(request, CREDS, WHEN, config),
        lambda: verified(sign_v4a(request, CREDS, WHEN, config)["authorization"]),
        good,
    )
    case = Case("SigV4A S3 PUT, 4 headers, UNSIGNED-PAYLOAD (ECDSA P-256)", [own])
    algorithm = ec.ECDSA(hashes.SHA256())
    floor = Contender(
        FLOOR,
        lambda: reference.v4a_header(
            "PUT", PATH, HEADERS, STAMP, REGION, "s3", AKID, lambda data: key.sign(data, algorithm)
        ),
        lambda: verified(floor.call()),
        good,
    )
    case.contenders.append(floor)
    if _has("awscrt"):
        crt = _crt("PUT", PATH, HEADERS, asymmetric=True)
        crt.signature = lambda: verified(crt.call().headers.get("Authorization"))
        case.contenders.append(_matched(crt, good, "new HttpRequest each call"))
    return case


def cases() -> list[Case]:
    built = [
        s3_header_case(hashed=False),
        s3_header_case(hashed=True),
        generic_case(),
        presign_v4_case(),
        v2_header_case(),
        presign_v2_case(),
    ]
    v4a = v4a_case()
    if v4a is not None:
        built.append(v4a)
    return built


# ----------------------------------------------------------------------------------- timing


def calibrate(call: Callable[[], object], seconds: float) -> int:
    """How many calls take about `seconds` (after warming the caches: signing key, bytecode)."""
    timer = timeit.Timer(call)
    for _ in range(3):
        call()
    number = 1
    while (elapsed := timer.timeit(number)) < 0.002:
        number *= 4
    return max(1, round(number * seconds / elapsed))


def time_round_robin(
    calls: list[Callable[[], object]], repeats: int, seconds: float
) -> list[tuple[float, float]]:
    """(min, median) microseconds per call of each of `calls`.

    The signers of one case take turns, one run each per round, so that a change in the
    machine's load (other processes, frequency) falls on all of them alike.
    """
    timers = [(timeit.Timer(call), calibrate(call, seconds)) for call in calls]
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(repeats):
        for (timer, number), out in zip(timers, samples, strict=True):
            out.append(timer.timeit(number) / number * 1e6)
    return [(min(s), statistics.median(s)) for s in samples]


def rows(
    repeats: int = 21,
    seconds: float = 0.02,
    make_cases: Callable[[], list[Case]] | None = None,
    group: str = "Signing",
) -> list[dict[str, Any]]:
    """Check then time every signer of every case; one row per (case, signer).

    `make_cases` (default: this module's `cases`) lets build_sign.py reuse the timing."""
    out: list[dict[str, Any]] = []
    with FrozenBotocoreClock() if _has("botocore") else _Nothing():
        for case in (make_cases or cases)():
            for contender in case.contenders:
                got = contender.signature()
                if got != contender.expected:
                    raise SystemExit(
                        f"{case.name}: {contender.name} signed {got!r}, "
                        f"sigkit {contender.expected!r}; not timed"
                    )
            times = time_round_robin([c.call for c in case.contenders], repeats, seconds)
            for contender, (best, median) in zip(case.contenders, times, strict=True):
                out.append(
                    {
                        "group": group,
                        "case": case.name,
                        "name": contender.name,
                        "unit": "µs",
                        "min": round(best, 2),
                        "median": round(median, 2),
                        "baseline": None if contender.name == FLOOR else FLOOR,
                        "note": contender.note,
                    }
                )
    return out


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    for row in rows():
        print(
            f"{row['case'][:40]:40s} {row['name'][:30]:30s} {row['min']:8.2f} {row['median']:8.2f}"
        )

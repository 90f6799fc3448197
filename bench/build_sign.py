"""Build + sign: from method, URL and headers to the signed headers or the presigned URL.

`signing.py` times signers on a request built once; a program builds a new request for every
call, so here each call starts from the method, the URL as text and the headers as pairs:

- sigkit: ``Request.from_url(...)`` (every input check included) then ``sign_v4`` /
  ``sign_v4_query``; the result is the signed request's headers, or its URL;
- the floor: ``reference.v4_header_url`` / ``v4_presign_url`` (``urlsplit``, then the
  canonical request by hand, no checks);
- botocore: a new ``AWSRequest`` then ``SigV4Auth`` / ``S3SigV4Auth`` (or their query
  variants) ``add_auth``, its clocks frozen at the benchmark's time;
- awscrt: ``urlsplit``, a new ``HttpRequest`` then ``aws_sign_request`` (config built once);
- requests-aws4auth: ``requests.Request(...).prepare()`` then the auth object (header variant
  only: it has no presigned URLs).

The cases repeat one request, as a program repeats its headers: sigkit remembers the parts of
a URL (as ``urlsplit`` does for the floor) and the header pairs it has checked and folded. The
last case takes a new URL and header value every call, so that neither helps.

Each contender's signature is checked equal to sigkit's for the same inputs before timing.
"""

from __future__ import annotations

import io
import itertools
from typing import Any
from urllib.parse import urlsplit

import reference
from signing import (
    AKID,
    BODY,
    CREDS,
    EXPIRES,
    FLOOR,
    HEADERS,
    REGION,
    SECRET,
    SIGKIT,
    STAMP,
    STS_HEADERS,
    STS_HOST,
    STS_QUERY,
    URL,
    WHEN,
    Case,
    Contender,
    _auth_signature,
    _boto_creds,
    _has,
    _query_value,
)

from sigkit.http import Request
from sigkit.sigv4.config import UNSIGNED_PAYLOAD, SigV4Config
from sigkit.sigv4.signer import sign_v4, sign_v4_query

STS_URL = f"https://{STS_HOST}/?{STS_QUERY}"
PREFIX = "Build + sign: "


def _sigkit_header(method: str, url: str, headers: Any, body: Any, config: Any) -> Contender:
    def call() -> Any:
        return sign_v4(Request.from_url(method, url, headers, body), CREDS, WHEN, config).request

    def signature() -> str:
        return _auth_signature(call().header("Authorization") or "")

    return Contender(SIGKIT, call, signature, signature())


def _sigkit_query(url: str, config: Any) -> Contender:
    def call() -> Any:
        return sign_v4_query(Request.from_url("GET", url), CREDS, WHEN, config).request.url

    return Contender(SIGKIT, call, lambda: _query_value(call(), "X-Amz-Signature"), "")


def _boto_header(signer: Any, method: str, url: str, headers: Any, **kw: Any) -> Contender:
    from botocore.awsrequest import AWSRequest

    context = kw.pop("context", None)

    def call() -> Any:
        request = AWSRequest(method=method, url=url, headers=dict(headers), **kw)
        if context:
            request.context.update(context)
        signer.add_auth(request)
        return request.headers

    def signature() -> str:
        return _auth_signature(call()["Authorization"])

    return Contender(f"botocore {type(signer).__name__}", call, signature, "")


def _boto_query(signer: Any, url: str) -> Contender:
    from botocore.awsrequest import AWSRequest

    def call() -> Any:
        request = AWSRequest(method="GET", url=url)
        signer.add_auth(request)
        return request.url

    return Contender(
        f"botocore {type(signer).__name__}",
        call,
        lambda: _query_value(call(), "X-Amz-Signature"),
        "",
    )


def _aws4auth(method: str, url: str, headers: Any, body: Any, service: str) -> Contender:
    import requests
    from requests_aws4auth import AWS4Auth

    auth = AWS4Auth(AKID, SECRET, REGION, service, date=STAMP[:8])

    def call() -> Any:
        prepared = requests.Request(
            method, url, headers={**dict(headers), "x-amz-date": STAMP}, data=body
        ).prepare()
        return auth(prepared).headers

    return Contender(
        "requests-aws4auth", call, lambda: _auth_signature(call()["Authorization"]), ""
    )


def _crt(
    method: str,
    url: str,
    headers: Any,
    *,
    service: str,
    body: bytes | None = None,
    query: bool = False,
) -> Contender:
    from awscrt import auth, http

    s3 = service == "s3"
    config = auth.AwsSigningConfig(
        algorithm=auth.AwsSigningAlgorithm.V4,
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
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        all_headers = list(headers) if headers else [("Host", parts.netloc)]
        stream = io.BytesIO(body) if body is not None else None
        request = http.HttpRequest(method, target, http.HttpHeaders(all_headers), stream)
        signed = auth.aws_sign_request(request, config).result()
        if query:
            return f"{parts.scheme}://{parts.netloc}{signed.path}"
        return signed.headers

    def signature() -> str:
        signed = call()
        if query:
            return _query_value(signed, "X-Amz-Signature")
        return _auth_signature(signed.get("Authorization"))

    return Contender("awscrt (C, via its binding)", call, signature, "")


def _expect(contender: Contender, expected: str, note: str = "") -> Contender:
    contender.expected = expected
    contender.note = note
    return contender


def s3_header_case(*, hashed: bool) -> Case:
    body = BODY if hashed else None
    config = (
        SigV4Config.s3(REGION) if hashed else SigV4Config.s3(REGION, payload_hash=UNSIGNED_PAYLOAD)
    )
    own = _sigkit_header("PUT", URL, HEADERS, body, config)
    what = "1 KiB body hashed" if hashed else "UNSIGNED-PAYLOAD"
    case = Case(f"{PREFIX}SigV4 S3 PUT, 4 headers, {what}", [own])

    def floor_call() -> list[tuple[str, str]]:
        return reference.v4_header_url(
            "PUT",
            URL,
            HEADERS,
            body,
            STAMP,
            REGION,
            "s3",
            AKID,
            SECRET,
            unsigned_payload=not hashed,
            s3=True,
        )

    floor = Contender(
        FLOOR,
        floor_call,
        lambda: _auth_signature(dict(floor_call())["Authorization"]),
        own.expected,
    )
    case.contenders.append(floor)
    if _has("botocore"):
        from botocore.auth import S3SigV4Auth
        from botocore.config import Config

        context = {"client_config": Config(s3={"payload_signing_enabled": hashed})}
        boto = _boto_header(
            S3SigV4Auth(_boto_creds(), "s3", REGION), "PUT", URL, HEADERS, data=body,
            context=context,
        )  # fmt: skip
        case.contenders.append(_expect(boto, own.expected))
    if _has("awscrt"):
        crt = _crt("PUT", URL, HEADERS, service="s3", body=body)
        case.contenders.append(_expect(crt, own.expected))
    if _has("requests_aws4auth"):
        plain = SigV4Config.s3(REGION)
        expected = sign_v4(
            Request.from_url("PUT", URL, HEADERS, body), CREDS, WHEN, plain
        ).signature
        note = "" if hashed else "signs the empty body's hash: it has no UNSIGNED-PAYLOAD"
        case.contenders.append(_expect(_aws4auth("PUT", URL, HEADERS, body, "s3"), expected, note))
    return case


def generic_header_case() -> Case:
    config = SigV4Config.generic(REGION, "sts")
    own = _sigkit_header("GET", STS_URL, STS_HEADERS, None, config)
    case = Case(f"{PREFIX}SigV4 generic service (STS GET, 2 query parameters)", [own])

    def floor_call() -> list[tuple[str, str]]:
        return reference.v4_header_url(
            "GET",
            STS_URL,
            STS_HEADERS,
            None,
            STAMP,
            REGION,
            "sts",
            AKID,
            SECRET,
            unsigned_payload=False,
            s3=False,
        )

    floor = Contender(
        FLOOR,
        floor_call,
        lambda: _auth_signature(dict(floor_call())["Authorization"]),
        own.expected,
    )
    case.contenders.append(floor)
    if _has("botocore"):
        from botocore.auth import SigV4Auth

        boto = _boto_header(SigV4Auth(_boto_creds(), "sts", REGION), "GET", STS_URL, STS_HEADERS)
        case.contenders.append(_expect(boto, own.expected))
    if _has("awscrt"):
        crt = _crt("GET", STS_URL, STS_HEADERS, service="sts")
        case.contenders.append(_expect(crt, own.expected))
    if _has("requests_aws4auth"):
        with_header = SigV4Config.generic(REGION, "sts", content_sha256_header=True)
        request = Request.from_url("GET", STS_URL, STS_HEADERS)
        expected = sign_v4(request, CREDS, WHEN, with_header).signature
        contender = _aws4auth("GET", STS_URL, STS_HEADERS, None, "sts")
        note = "always adds and signs x-amz-content-sha256"
        case.contenders.append(_expect(contender, expected, note))
    return case


def presign_case(*, s3: bool) -> Case:
    service = "s3" if s3 else "sts"
    url = URL if s3 else STS_URL
    config = (
        SigV4Config.s3(REGION, payload_hash=UNSIGNED_PAYLOAD, expires=EXPIRES)
        if s3
        else SigV4Config.generic(REGION, service, expires=EXPIRES)  # the empty body's hash
    )
    own = _sigkit_query(url, config)
    own.expected = own.signature()
    what = "S3 presigned GET, 1 hour" if s3 else "generic presigned (STS GET, 2 query parameters)"
    case = Case(f"{PREFIX}SigV4 {what}", [own])

    def floor_call() -> str:
        return reference.v4_presign_url(
            "GET", url, STAMP, EXPIRES, REGION, service, AKID, SECRET, s3=s3
        )

    floor = Contender(
        FLOOR, floor_call, lambda: _query_value(floor_call(), "X-Amz-Signature"), own.expected
    )
    case.contenders.append(floor)
    if _has("botocore"):
        from botocore.auth import S3SigV4QueryAuth, SigV4QueryAuth

        kind = S3SigV4QueryAuth if s3 else SigV4QueryAuth
        signer = kind(_boto_creds(), service, REGION, expires=EXPIRES)
        case.contenders.append(_expect(_boto_query(signer, url), own.expected))
    if _has("awscrt"):
        crt = _crt("GET", url, [], service=service, query=True)
        case.contenders.append(_expect(crt, own.expected))
    return case


DISTINCT = 20000  # more URLs and header values than sigkit and urlsplit remember


def distinct_case() -> Case:
    """Every call a URL and a header value not seen for 20000 calls: sigkit's remembered URL
    parts and header pairs miss (and so does urlsplit's cache for the floor)."""
    config = SigV4Config.s3(REGION, payload_hash=UNSIGNED_PAYLOAD)
    urls = [f"{URL[:-4]}-{i}.jpg" for i in range(DISTINCT)]
    headers = [
        [*HEADERS[:2], ("x-amz-meta-owner", f"alice-{i}"), *HEADERS[3:]] for i in range(DISTINCT)
    ]
    inputs = itertools.cycle(list(zip(urls, headers, strict=True)))

    def own() -> Any:
        url, pairs = next(inputs)
        return sign_v4(Request.from_url("PUT", url, pairs), CREDS, WHEN, config).request

    def floor() -> Any:
        url, pairs = next(inputs)
        return reference.v4_header_url(
            "PUT", url, pairs, None, STAMP, REGION, "s3", AKID, SECRET,
            unsigned_payload=True, s3=True,
        )  # fmt: skip

    first = Request.from_url("PUT", urls[0], headers[0])
    expected = sign_v4(first, CREDS, WHEN, config).signature

    def own_signature() -> str:
        return sign_v4(first, CREDS, WHEN, config).signature

    def floor_signature() -> str:
        signed = reference.v4_header_url(
            "PUT", urls[0], headers[0], None, STAMP, REGION, "s3", AKID, SECRET,
            unsigned_payload=True, s3=True,
        )  # fmt: skip
        return _auth_signature(dict(signed)["Authorization"])

    name = f"{PREFIX}SigV4 S3 PUT, UNSIGNED-PAYLOAD, a new URL and header value every call"
    note = "nothing remembered helps: 20000 distinct requests in turn"
    return Case(
        name,
        [
            Contender(SIGKIT, own, own_signature, expected, note),
            Contender(FLOOR, floor, floor_signature, expected, note),
        ],
    )


def cases() -> list[Case]:
    return [
        s3_header_case(hashed=False),
        s3_header_case(hashed=True),
        generic_header_case(),
        presign_case(s3=True),
        presign_case(s3=False),
        distinct_case(),
    ]


if __name__ == "__main__":
    from signing import rows

    for row in rows(make_cases=cases, group="Build + sign"):
        case = row["case"].removeprefix(PREFIX)
        print(f"{case[:48]:48s} {row['name'][:28]:28s} {row['min']:8.2f} {row['median']:8.2f}")

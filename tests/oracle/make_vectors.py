#!/usr/bin/env python3
"""Generate sigkit's own S3 signing vectors with botocore as the oracle.

Writes two suites in the aws-c-auth folder layout (see ``shared/vectors/README.md``, section
"sigkit's own layout", and ``vectors/aws-c-auth/README.md``):

- ``vectors/sigkit-s3-sigv4/``: S3 SigV4, botocore ``S3SigV4Auth`` (header variant) and
  ``S3SigV4QueryAuth`` (query variant);
- ``vectors/sigkit-s3v2/``: S3 Signature Version 2, botocore ``HmacV1Auth`` (header variant)
  and ``HmacV1QueryAuth`` (query variant).

Every expected file is botocore's own output (canonical request, string to sign and signature
are captured from the signer while it signs; the signed request is the ``request.txt`` lines
plus the headers botocore added, or with botocore's query string for the query variant).
The clock is frozen, so the output is deterministic: re-running rewrites the same bytes.

Usage (from the repository root)::

    python tests/oracle/make_vectors.py           # (re)write both suites
    python tests/oracle/make_vectors.py --check   # regenerate in a temp dir and compare

Requires botocore 1.43.11 exactly (other versions may sign differently).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import email.utils
import filecmp
import hashlib
import json
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal
from unittest import mock
from urllib.parse import quote, urlsplit

import botocore  # type: ignore[import-untyped]
from botocore.auth import (  # type: ignore[import-untyped]
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    _host_from_url,
)
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]

BOTOCORE_VERSION = "1.43.11"

REPO_ROOT = Path(__file__).resolve().parents[2]
SIGV4_SUITE = "sigkit-s3-sigv4"
V2_SUITE = "sigkit-s3v2"

FIXED_TIME = dt.datetime(2024, 5, 17, 10, 30, 45, tzinfo=dt.UTC)
FIXED_EPOCH = int(FIXED_TIME.timestamp())
TIMESTAMP_ISO = "2024-05-17T10:30:45Z"
FIXED_HTTP_DATE = email.utils.formatdate(FIXED_EPOCH, usegmt=True)  # Fri, 17 May 2024 10:30:45 GMT

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# Shaped like a real STS token: base64 alphabet, so it carries '/', '+' and '='.
SESSION_TOKEN = (
    "FwoGZXIvYXdzEXAMPLE//////////wEaDHNpZ2tpdCtleGFtcGxlIkcwRQIhAK+sigkit/session+token=="
)

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

Addressing = Literal["virtual-hosted", "path", "service"]
Query = tuple[tuple[str, str | None], ...]
Headers = tuple[tuple[str, str], ...]


class NotExpressibleError(Exception):
    """botocore's output cannot be written in the sigkit vector layout."""


# --------------------------------------------------------------------------------------------
# Requests


def uri_encode(text: str, safe: str = "") -> str:
    """Percent-encode every UTF-8 byte except A-Z a-z 0-9 - . _ ~ (and ``safe``), upper-case."""
    return quote(text.encode("utf-8"), safe="-_.~" + safe)


@dataclass(frozen=True)
class Req:
    """An unsigned request; ``path`` and ``query`` are raw text, encoded as S3 clients send them."""

    method: str
    origin: str  # scheme://host[:port]
    path: str
    query: Query = ()
    headers: Headers = ()
    body: str = ""

    @property
    def encoded_path(self) -> str:
        return uri_encode(self.path, "/")

    @property
    def encoded_query(self) -> str:
        parts = [
            uri_encode(name) if value is None else f"{uri_encode(name)}={uri_encode(value)}"
            for name, value in self.query
        ]
        return "&".join(parts)

    @property
    def target(self) -> str:
        return self.encoded_path + (f"?{self.encoded_query}" if self.query else "")

    @property
    def url(self) -> str:
        return self.origin + self.target

    @property
    def host(self) -> str:
        return str(_host_from_url(self.url))


def render(method: str, target: str, headers: Sequence[tuple[str, str]], body: str) -> str:
    head = f"{method} {target} HTTP/1.1\n" + "".join(f"{n}:{v}\n" for n, v in headers)
    return head + "\n" + body


def request_txt(req: Req) -> str:
    head = f"{req.method} {req.target} HTTP/1.1\n" + "".join(
        f"{n}:{v}\n" for n, v in (("Host", req.host), *req.headers)
    )
    return head + (f"\n{req.body}" if req.body else "")


def new_request(req: Req) -> Any:
    """A botocore AWSRequest; Host is left for botocore to derive from the URL, as it does."""
    request = AWSRequest(method=req.method, url=req.url, data=req.body.encode("utf-8"))
    for name, value in req.headers:
        request.headers[name] = value  # HTTPHeaders appends: repeated names are kept
    return request


def credentials(with_token: bool) -> Any:
    return Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN if with_token else None)


def creds_json(with_token: bool) -> dict[str, str]:
    out = {"access_key_id": ACCESS_KEY_ID, "secret_access_key": SECRET_ACCESS_KEY}
    if with_token:
        out["token"] = SESSION_TOKEN
    return out


@contextmanager
def frozen_clock() -> Iterator[None]:
    """Freeze every clock botocore.auth reads (SigV4 timestamp, V2 Date, V2 Expires)."""

    def fixed_formatdate(
        timeval: float | None = None, localtime: bool = False, usegmt: bool = False
    ) -> str:
        return email.utils.formatdate(
            FIXED_EPOCH if timeval is None else timeval, localtime, usegmt
        )

    with (
        mock.patch(
            "botocore.auth.get_current_datetime", return_value=FIXED_TIME.replace(tzinfo=None)
        ),
        mock.patch("botocore.auth.formatdate", fixed_formatdate),
        mock.patch("botocore.auth.time", SimpleNamespace(time=lambda: float(FIXED_EPOCH))),
    ):
        yield


def record(obj: Any, method: str, store: dict[str, str], key: str, *, arg: bool = False) -> None:
    """Wrap ``obj.method`` so that its result (or first argument) is kept in ``store[key]``."""
    original: Callable[..., Any] = getattr(obj, method)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        store[key] = str(args[0] if arg else result)
        return result

    setattr(obj, method, wrapper)


def added_headers(
    before: Headers, after: Sequence[tuple[str, str]], order: dict[str, int]
) -> list[tuple[str, str]]:
    """Headers botocore added (multiset difference), in the README's order; none may be lost."""
    remaining = Counter(before)
    added: list[tuple[str, str]] = []
    for pair in after:
        if remaining[pair] > 0:
            remaining[pair] -= 1
        else:
            added.append(pair)
    lost = +remaining
    if lost:
        raise NotExpressibleError(f"botocore removed or changed request headers: {sorted(lost)}")
    for name, _ in added:
        if name.lower() not in order:
            raise NotExpressibleError(f"botocore added an unexpected header {name!r}")
    return sorted(added, key=lambda pair: order[pair[0].lower()])


def query_pairs(query: str) -> list[tuple[str, str]]:
    if not query:
        return []
    return [(p.partition("=")[0], p.partition("=")[2]) for p in query.split("&")]


def check_query_kept(original: str, signed: str, allowed: set[str]) -> None:
    """The signed query must hold every original parameter plus only ``allowed`` new names."""
    extra = Counter(query_pairs(signed))
    extra.subtract(query_pairs(original))
    if any(count < 0 for count in extra.values()):
        raise NotExpressibleError(f"botocore dropped query parameters: {original} -> {signed}")
    unexpected = {name for (name, _), count in extra.items() if count > 0} - allowed
    if unexpected:
        raise NotExpressibleError(f"botocore added query parameters {sorted(unexpected)}")


@dataclass
class Variant:
    files: dict[str, str]  # file name -> content


def write_case(folder: Path, context: dict[str, Any], req: Req, variants: list[Variant]) -> None:
    folder.mkdir(parents=True)
    files = {
        "context.json": json.dumps(context, indent=4, sort_keys=True, ensure_ascii=False),
        "request.txt": request_txt(req),
    }
    for variant in variants:
        files.update(variant.files)
    for name, content in sorted(files.items()):
        if any(line != line.rstrip() for line in content.split("\n")):
            # Trailing blanks do not survive editors and whitespace linters: trimming is
            # exercised with leading and inner blanks only.
            raise NotExpressibleError(f"{folder.name}/{name}: a line ends with whitespace")
        (folder / name).write_bytes(content.encode("utf-8"))


# --------------------------------------------------------------------------------------------
# SigV4 (S3)

V4_ADDED_ORDER = {
    "x-amz-security-token": 0,
    "x-amz-date": 1,
    "x-amz-content-sha256": 2,
    "authorization": 3,
}
V4_QUERY_PARAMS = {
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
}


@dataclass(frozen=True)
class V4Case:
    name: str
    covers: str
    req: Req
    # "sha256": header variant hashes the body (botocore's default), the query variant
    # (always UNSIGNED-PAYLOAD) then needs its own folder "<name>-presigned".
    # "unsigned": both variants use UNSIGNED-PAYLOAD and share one folder.
    payload: Literal["sha256", "unsigned"] = "sha256"
    region: str = "us-east-1"
    token: bool = False
    presign: bool = True  # False: no query variant (reason in no_query)
    no_query: str = ""
    expires: int = 3600


def v4_context(case: V4Case, payload: Literal["sha256", "unsigned"]) -> dict[str, Any]:
    context: dict[str, Any] = {
        "algorithm": "sigv4",
        "credentials": creds_json(case.token),
        "double_uri_encode": False,
        "expiration_in_seconds": case.expires,
        "normalize": False,
        "region": case.region,
        "service": "s3",
        "sign_body": True,
        "timestamp": TIMESTAMP_ISO,
    }
    if payload == "unsigned":
        context["signed_body_value"] = UNSIGNED_PAYLOAD
    return context


def v4_header(case: V4Case) -> Variant:
    request = new_request(case.req)
    request.context["client_config"] = Config(
        s3={"payload_signing_enabled": case.payload == "sha256"}
    )
    signer = S3SigV4Auth(credentials(case.token), "s3", case.region)
    out: dict[str, str] = {}
    record(signer, "canonical_request", out, "cr")
    record(signer, "string_to_sign", out, "sts")
    record(signer, "signature", out, "sig")
    with frozen_clock():
        signer.add_auth(request)
    if request.url != case.req.url:
        raise NotExpressibleError("botocore changed the URL")
    added = added_headers(case.req.headers, list(request.headers.items()), V4_ADDED_ORDER)
    headers = [("Host", case.req.host), *case.req.headers, *added]
    return Variant(
        {
            "header-canonical-request.txt": out["cr"],
            "header-string-to-sign.txt": out["sts"],
            "header-signature.txt": out["sig"],
            "header-signed-request.txt": render(
                case.req.method, case.req.target, headers, case.req.body
            ),
        }
    )


def v4_query(case: V4Case) -> Variant:
    if case.req.body:
        raise NotExpressibleError("S3SigV4QueryAuth moves a request body into the query string")
    request = new_request(case.req)
    signer = S3SigV4QueryAuth(credentials(case.token), "s3", case.region, expires=case.expires)
    out: dict[str, str] = {}
    record(signer, "canonical_request", out, "cr")
    record(signer, "string_to_sign", out, "sts")
    record(signer, "signature", out, "sig")
    with frozen_clock():
        signer.add_auth(request)
    if list(request.headers.items()) != list(case.req.headers):
        raise NotExpressibleError("S3SigV4QueryAuth changed the headers")
    before, after = urlsplit(case.req.url), urlsplit(request.url)
    if (before.scheme, before.netloc, before.path) != (after.scheme, after.netloc, after.path):
        raise NotExpressibleError("botocore changed the URL")
    check_query_kept(before.query, after.query, V4_QUERY_PARAMS)
    headers = [("Host", case.req.host), *case.req.headers]
    return Variant(
        {
            "query-canonical-request.txt": out["cr"],
            "query-string-to-sign.txt": out["sts"],
            "query-signature.txt": out["sig"],
            "query-signed-request.txt": render(
                case.req.method, f"{after.path}?{after.query}", headers, ""
            ),
        }
    )


VH = "https://examplebucket.s3.amazonaws.com"
PS = "https://s3.amazonaws.com"
EU = "https://examplebucket.s3.eu-west-1.amazonaws.com"
YC = "https://storage.yandexcloud.net"
YC_VH = "https://bucket.storage.yandexcloud.net"
MINIO = "http://127.0.0.1:9000"

UPLOAD_ID = "VXBsb2FkIElEIGZvciBzaWdraXQncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA--"
VERSION_ID = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"
BODY = "Welcome to sigkit."
XML_DELETE = "<Delete><Object><Key>a.txt</Key></Object><Quiet>true</Quiet></Delete>"
XML_COMPLETE = (
    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
    '<ETag>"a54357aff0632cce46d942af68356b38"</ETag></Part></CompleteMultipartUpload>'
)
XML_RESTORE = "<RestoreRequest><Days>2</Days></RestoreRequest>"


def md5_b64(text: str) -> str:
    return base64.b64encode(hashlib.md5(text.encode("utf-8")).digest()).decode("ascii")


def v4_cases() -> list[V4Case]:
    body_only = "request has a body: S3SigV4QueryAuth would move it into the query string"
    return [
        V4Case(
            "get-object-virtual-hosted",
            "GET object, virtual-hosted style, empty-body SHA-256",
            Req("GET", VH, "/photos/puppy.jpg"),
        ),
        V4Case(
            "get-object-path-style",
            "GET object, path style (bucket in the path)",
            Req("GET", PS, "/examplebucket/photos/puppy.jpg"),
            payload="unsigned",
        ),
        V4Case(
            "get-object-regional",
            "regional endpoint and region eu-west-1 in the scope",
            Req("GET", EU, "/reports/2024/q1.csv"),
            region="eu-west-1",
        ),
        V4Case("head-object", "HEAD method", Req("HEAD", VH, "/photos/puppy.jpg")),
        V4Case(
            "key-unicode-latin",
            "key with e-acute, u-umlaut, i-diaeresis (UTF-8 as %XX)",
            Req("GET", VH, "/caf\u00e9/\u00fcber/na\u00efve.txt"),
            payload="unsigned",
        ),
        V4Case(
            "key-unicode-cjk-emoji",
            "key with CJK (\u4e2d\u6587), an emoji and a space",
            Req("GET", PS, "/examplebucket/\u4e2d\u6587/\u6587\u4ef6 \U0001f600.txt"),
        ),
        V4Case(
            "key-plus",
            "key with '+', sent as %2B (never a raw '+')",
            Req("GET", VH, "/a+b+c.txt"),
            payload="unsigned",
        ),
        V4Case(
            "key-star-tilde",
            "key with '*' (%2A) and '~' (unreserved, kept raw)",
            Req("GET", VH, "/*star*~tilde~.txt"),
            payload="unsigned",
        ),
        V4Case(
            "key-percent",
            "key with a literal '%' (%25), including a '%41' look-alike",
            Req("GET", VH, "/100% done/%41.txt"),
        ),
        V4Case(
            "key-spaces",
            "key with single and double spaces (%20), no '+'",
            Req("PUT", VH, "/my file  name .txt"),
            payload="unsigned",
        ),
        V4Case(
            "key-punctuation",
            "key with ! ' ( ) $ = @ : , ; & each sent as %XX",
            Req("GET", VH, "/!'()$=@:,;&.txt"),
            payload="unsigned",
        ),
        V4Case(
            "key-dot-segments",
            "path with '//', '.' and '..' kept as sent (not normalised)",
            Req("GET", PS, "/examplebucket/a//b/./c/../d"),
        ),
        V4Case(
            "key-trailing-slash",
            "'folder' object whose key ends with '/'",
            Req("PUT", VH, "/logs/2024/"),
            payload="unsigned",
        ),
        V4Case(
            "bucket-path-no-trailing-slash",
            "path-style bucket URL without trailing slash",
            Req("GET", PS, "/examplebucket", (("list-type", "2"),)),
            payload="unsigned",
        ),
        V4Case("list-buckets", "service-level GET / on the global endpoint", Req("GET", PS, "/")),
        V4Case(
            "bucket-acl",
            "?acl (no '=') canonicalises as acl=",
            Req("GET", VH, "/", (("acl", None),)),
            payload="unsigned",
        ),
        V4Case(
            "initiate-multipart-upload",
            "POST ?uploads (empty sub-resource)",
            Req("POST", VH, "/big/movie.m2ts", (("uploads", None),)),
        ),
        V4Case(
            "list-objects-v2",
            "ListObjectsV2 parameters, prefix/delimiter with %2F, token with %2B and %3D",
            Req(
                "GET",
                VH,
                "/",
                (
                    ("list-type", "2"),
                    ("prefix", "photos/2024/"),
                    ("delimiter", "/"),
                    ("max-keys", "100"),
                    ("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYL/wm+B=="),
                    ("encoding-type", "url"),
                ),
            ),
            payload="unsigned",
        ),
        V4Case(
            "query-empty-values",
            "empty values written key= and bare keys",
            Req(
                "GET",
                VH,
                "/",
                (("prefix", ""), ("delimiter", "/"), ("versions", None), ("key-marker", "")),
            ),
            payload="unsigned",
        ),
        V4Case(
            "query-repeated-keys",
            "repeated query keys, sorted by value",
            Req(
                "GET",
                VH,
                "/",
                (("tag", "b"), ("tag", "a"), ("tag", "a b"), ("tag", "a"), ("list-type", "2")),
            ),
            presign=False,
            no_query="S3SigV4QueryAuth keeps only the first value of a repeated key",
        ),
        V4Case(
            "query-encoded-values",
            "values with %2B, %20, %2F, %3D and %25",
            Req(
                "GET",
                VH,
                "/",
                (("prefix", "a+b c/d=e"), ("start-after", "100%"), ("list-type", "2")),
            ),
            payload="unsigned",
        ),
        V4Case(
            "query-unicode-values",
            "UTF-8 query values (CJK, e-acute)",
            Req(
                "GET",
                VH,
                "/",
                (("prefix", "\u4e2d\u6587/"), ("start-after", "caf\u00e9"), ("list-type", "2")),
            ),
        ),
        V4Case(
            "query-case-ordering",
            "query keys differing in case and unreserved punctuation"
            " (byte order: upper case first)",
            Req(
                "GET",
                VH,
                "/q",
                (
                    ("zeta", "1"),
                    ("Zeta", "2"),
                    ("alpha", "3"),
                    ("Alpha", "~"),
                    ("_u", "-."),
                    ("-d", "_"),
                ),
            ),
            payload="unsigned",
        ),
        V4Case(
            "response-overrides",
            "GetObject with response-* overrides (presigned download)",
            Req(
                "GET",
                VH,
                "/docs/caf\u00e9.pdf",
                (
                    ("response-content-disposition", 'attachment; filename="caf\u00e9.pdf"'),
                    ("response-content-type", "application/pdf; charset=utf-8"),
                    ("response-cache-control", "no-cache"),
                    ("response-expires", "Thu, 01 Dec 1994 16:00:00 GMT"),
                ),
            ),
            payload="unsigned",
        ),
        V4Case(
            "get-object-version",
            "versionId whose value carries '+' (%2B)",
            Req("GET", VH, "/photos/puppy.jpg", (("versionId", VERSION_ID),)),
        ),
        V4Case(
            "delete-object-version",
            "DELETE ?versionId",
            Req("DELETE", VH, "/photos/puppy.jpg", (("versionId", VERSION_ID),)),
        ),
        V4Case(
            "upload-part",
            "PUT part with body: SHA-256 of the body",
            Req(
                "PUT",
                VH,
                "/big/movie.m2ts",
                (("partNumber", "3"), ("uploadId", UPLOAD_ID)),
                (("Content-Length", str(len(BODY))),),
                BODY,
            ),
            presign=False,
            no_query=body_only,
        ),
        V4Case(
            "upload-part-empty-body",
            "presigned upload part (partNumber, uploadId), no body",
            Req("PUT", VH, "/big/movie.m2ts", (("partNumber", "3"), ("uploadId", UPLOAD_ID))),
            payload="unsigned",
        ),
        V4Case(
            "put-object-body",
            "PUT with body, Content-Type and Content-Length signed",
            Req(
                "PUT",
                VH,
                "/notes/hello.txt",
                (),
                (("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(BODY)))),
                BODY,
            ),
            presign=False,
            no_query=body_only,
        ),
        V4Case(
            "put-object-unsigned-payload",
            "PUT with body, payload hash UNSIGNED-PAYLOAD",
            Req("PUT", VH, "/notes/hello.txt", (), (("Content-Length", str(len(BODY))),), BODY),
            payload="unsigned",
            presign=False,
            no_query=body_only,
        ),
        V4Case(
            "put-object-content-type",
            "presigned PUT with a signed Content-Type header",
            Req("PUT", VH, "/uploads/image.png", (), (("Content-Type", "image/png"),)),
            payload="unsigned",
        ),
        V4Case(
            "session-token",
            "session token: X-Amz-Security-Token header / query parameter"
            " ('/', '+', '=' in the token)",
            Req("GET", VH, "/photos/puppy.jpg"),
            token=True,
        ),
        V4Case(
            "session-token-unsigned-payload",
            "session token with a sub-resource query",
            Req("GET", VH, "/photos/puppy.jpg", (("tagging", None),)),
            token=True,
            payload="unsigned",
        ),
        V4Case(
            "custom-endpoint-minio",
            "http://127.0.0.1:9000 path style: Host with port",
            Req("GET", MINIO, "/bucket/key"),
        ),
        V4Case(
            "custom-endpoint-ipv6",
            "http://[::1]:9000 path style with a body",
            Req("PUT", "http://[::1]:9000", "/bucket/obj.txt", (), (), BODY),
            presign=False,
            no_query=body_only,
        ),
        V4Case(
            "yandex-path-style",
            "https://storage.yandexcloud.net path style, ru-central1",
            Req("GET", YC, "/bucket/key"),
            region="ru-central1",
        ),
        V4Case(
            "yandex-virtual-hosted",
            "https://bucket.storage.yandexcloud.net virtual-hosted",
            Req("GET", YC_VH, "/key"),
            region="ru-central1",
            payload="unsigned",
        ),
        V4Case(
            "meta-header-spacing",
            "x-amz-meta-* values with leading blanks and inner runs"
            " of spaces (collapsed), mixed-case names",
            Req(
                "PUT",
                VH,
                "/meta.txt",
                (),
                (
                    ("X-Amz-Meta-Note", "   two   inner   spaces"),
                    ("x-amz-meta-Mixed-Case", "A  B"),
                    ("x-amz-meta-quoted", '"a   b   c"'),
                ),
            ),
            payload="unsigned",
        ),
        V4Case(
            "duplicate-headers",
            "repeated header names joined with ',' in request order",
            Req(
                "GET",
                VH,
                "/dup.txt",
                (),
                (
                    ("X-Amz-Meta-Tag", "b"),
                    ("My-Header", "one"),
                    ("x-amz-meta-tag", "  a"),
                    ("my-header", "two  three"),
                ),
            ),
            payload="unsigned",
        ),
        V4Case(
            "never-signed-headers",
            "User-Agent, X-Amzn-Trace-Id, Expect, Connection are not signed",
            Req(
                "PUT",
                VH,
                "/ua.txt",
                (),
                (
                    ("User-Agent", "sigkit-tests/1.0 botocore/1.43.11"),
                    ("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"),
                    ("Expect", "100-continue"),
                    ("Connection", "keep-alive"),
                    ("Content-Length", str(len(BODY))),
                ),
                BODY,
            ),
            presign=False,
            no_query=body_only,
        ),
        V4Case(
            "copy-object",
            "CopyObject: x-amz-copy-source with an encoded key and versionId",
            Req(
                "PUT",
                VH,
                "/copy/target.txt",
                (),
                (
                    ("x-amz-copy-source", "/srcbucket/caf%C3%A9.txt?versionId=abc"),
                    ("x-amz-metadata-directive", "REPLACE"),
                ),
            ),
        ),
        V4Case(
            "range-get",
            "Range and If-None-Match headers are signed",
            Req(
                "GET",
                VH,
                "/big/movie.m2ts",
                (),
                (("Range", "bytes=0-1023"), ("If-None-Match", '"a54357aff0632cce"')),
            ),
            payload="unsigned",
        ),
        V4Case(
            "delete-objects",
            "POST ?delete with XML body, Content-MD5 and Content-Type",
            Req(
                "POST",
                VH,
                "/",
                (("delete", None),),
                (
                    ("Content-Type", "application/xml"),
                    ("Content-MD5", md5_b64(XML_DELETE)),
                    ("Content-Length", str(len(XML_DELETE))),
                ),
                XML_DELETE,
            ),
            presign=False,
            no_query=body_only,
        ),
        V4Case(
            "presign-max-expiry",
            "X-Amz-Expires=604800 (7 days)",
            Req("GET", VH, "/photos/puppy.jpg", (("x-id", "GetObject"),)),
            payload="unsigned",
            expires=604800,
        ),
    ]


def v4_folders(case: V4Case) -> list[tuple[str, dict[str, Any], list[Variant], str]]:
    """(folder, context, variants, description of the variants) for one case."""
    header = v4_header(case)
    if not case.presign:
        return [(case.name, v4_context(case, case.payload), [header], "header")]
    query = v4_query(case)
    if case.payload == "unsigned":
        return [(case.name, v4_context(case, "unsigned"), [header, query], "header, query")]
    return [
        (case.name, v4_context(case, "sha256"), [header], "header"),
        (f"{case.name}-presigned", v4_context(case, "unsigned"), [query], "query"),
    ]


# --------------------------------------------------------------------------------------------
# S3 Signature Version 2

V2_ADDED_ORDER = {"x-amz-security-token": 0, "date": 1, "authorization": 2}
V2_QUERY_PARAMS = {"AWSAccessKeyId", "Signature", "Expires", "x-amz-security-token"}


@dataclass(frozen=True)
class V2Case:
    name: str
    covers: str
    req: Req
    bucket: str | None
    addressing: Addressing
    token: bool = False
    presign: bool = True
    no_query: str = ""
    expires: int = 3600
    # "absolute": context gives "expires"; "relative": timestamp + expiration_in_seconds.
    expires_style: Literal["absolute", "relative"] = "absolute"

    @property
    def auth_path(self) -> str | None:
        # botocore's S3 layer keeps the path-style path in request.auth_path when it moves the
        # bucket into the host name; the signer uses it as the CanonicalizedResource path.
        if self.addressing == "virtual-hosted":
            return f"/{self.bucket}{self.req.encoded_path}"
        return None


def v2_context(case: V2Case, with_query: bool) -> dict[str, Any]:
    context: dict[str, Any] = {
        "addressing": case.addressing,
        "algorithm": "s3v2",
        "bucket": case.bucket,
        "credentials": creds_json(case.token),
        "timestamp": TIMESTAMP_ISO,
    }
    if with_query:
        if case.expires_style == "absolute":
            context["expires"] = FIXED_EPOCH + case.expires
        else:
            context["expiration_in_seconds"] = case.expires
    return context


def v2_check_date(case: V2Case) -> None:
    for name, value in case.req.headers:
        if name.lower() == "date" and value != FIXED_HTTP_DATE:
            raise NotExpressibleError("HmacV1Auth replaces a request's Date with its clock")
        if name.lower() == "x-amz-date":
            raise NotExpressibleError("x-amz-date with V2 is left open by the README")


def v2_header(case: V2Case) -> Variant:
    v2_check_date(case)
    request = new_request(case.req)
    request.auth_path = case.auth_path
    signer = HmacV1Auth(credentials(case.token))
    out: dict[str, str] = {}
    record(signer, "sign_string", out, "sts", arg=True)
    record(signer, "sign_string", out, "sig")
    with frozen_clock():
        signer.add_auth(request)
    if request.url != case.req.url:
        raise NotExpressibleError("botocore changed the URL")
    added = added_headers(case.req.headers, list(request.headers.items()), V2_ADDED_ORDER)
    headers = [("Host", case.req.host), *case.req.headers, *added]
    return Variant(
        {
            "header-string-to-sign.txt": out["sts"],
            "header-signature.txt": out["sig"],
            "header-signed-request.txt": render(
                case.req.method, case.req.target, headers, case.req.body
            ),
        }
    )


def v2_query(case: V2Case) -> Variant:
    v2_check_date(case)
    request = new_request(case.req)
    request.auth_path = case.auth_path
    signer = HmacV1QueryAuth(credentials(case.token), expires=case.expires)
    out: dict[str, str] = {}
    record(signer, "sign_string", out, "sts", arg=True)
    record(signer, "sign_string", out, "sig")
    with frozen_clock():
        signer.add_auth(request)
    before, after = urlsplit(case.req.url), urlsplit(request.url)
    if (before.scheme, before.netloc, before.path) != (after.scheme, after.netloc, after.path):
        raise NotExpressibleError("botocore changed the URL")
    if before.query and not after.query.startswith(before.query + "&"):
        raise NotExpressibleError("HmacV1QueryAuth rewrote the original query")
    check_query_kept(before.query, after.query, V2_QUERY_PARAMS)
    if f"Expires={FIXED_EPOCH + case.expires}" not in after.query.split("&"):
        raise NotExpressibleError("unexpected Expires")
    # botocore also leaves Date (= Expires) and the token in its header map; only the URL is
    # the presigned request, so the headers stay those of request.txt.
    headers = [("Host", case.req.host), *case.req.headers]
    return Variant(
        {
            "query-string-to-sign.txt": out["sts"],
            "query-signature.txt": out["sig"],
            "query-signed-request.txt": render(
                case.req.method, f"{after.path}?{after.query}", headers, case.req.body
            ),
        }
    )


V2_QUERY_COPIES = (
    "HmacV1QueryAuth also copies Content-Type, Content-MD5 and x-amz-* headers into the query"
    " string"
)


def v2_cases() -> list[V2Case]:
    vh: tuple[str, Addressing] = ("examplebucket", "virtual-hosted")
    ps: tuple[str, Addressing] = ("examplebucket", "path")
    return [
        V2Case(
            "get-object-virtual-hosted",
            "GET object, virtual-hosted; Date added by the signer",
            Req("GET", VH, "/photos/puppy.jpg"),
            *vh,
        ),
        V2Case(
            "get-object-path-style",
            "GET object, path style; Expires from timestamp + expiration_in_seconds",
            Req("GET", PS, "/examplebucket/photos/puppy.jpg"),
            *ps,
            expires_style="relative",
        ),
        V2Case(
            "get-object-with-date",
            "request already carries Date: kept and signed (header); left unsigned (query)",
            Req("GET", VH, "/photos/puppy.jpg", (), (("Date", FIXED_HTTP_DATE),)),
            *vh,
        ),
        V2Case(
            "key-unicode",
            "key with e-acute, u-umlaut, CJK and an emoji",
            Req("GET", PS, "/examplebucket/caf\u00e9/\u00fcber/\u4e2d\u6587/\U0001f600.txt"),
            *ps,
        ),
        V2Case(
            "key-reserved-chars",
            "key with + * ~ % space ! ' ( ) $ = @ : , ; & (as %XX)",
            Req("GET", VH, "/a+b*c~d%e f!'()$=@:,;&.txt"),
            *vh,
        ),
        V2Case(
            "key-dot-segments",
            "path with '//', '.' and '..' signed as sent",
            Req("GET", PS, "/examplebucket/a//b/./c/../d"),
            *ps,
        ),
        V2Case(
            "bucket-path-no-trailing-slash",
            "path-style bucket without trailing slash, ?acl",
            Req("GET", PS, "/examplebucket", (("acl", None),)),
            *ps,
        ),
        V2Case(
            "list-buckets",
            "service-level GET / (bucket null)",
            Req("GET", PS, "/"),
            None,
            "service",
            expires_style="relative",
        ),
        V2Case(
            "bucket-acl",
            "?acl on a virtual-hosted bucket: /examplebucket/?acl",
            Req("GET", VH, "/", (("acl", None),)),
            *vh,
        ),
        V2Case(
            "list-objects",
            "non-sub-resource parameters left out of the resource",
            Req(
                "GET",
                VH,
                "/",
                (
                    ("prefix", "photos/"),
                    ("max-keys", "50"),
                    ("marker", "puppy"),
                    ("list-type", "2"),
                ),
            ),
            *vh,
        ),
        V2Case(
            "query-repeated-keys",
            "repeated non-sub-resource keys (left out) beside ?acl",
            Req(
                "GET",
                VH,
                "/",
                (("prefix", "a"), ("prefix", "b c"), ("acl", None), ("prefix", "a")),
            ),
            *vh,
        ),
        V2Case(
            "get-object-version",
            "versionId value with %2B, %2F, %3D decoded in the resource",
            Req("GET", VH, "/photos/puppy.jpg", (("versionId", "3HL4kqtJ+lcp/XroD=="),)),
            *vh,
        ),
        V2Case(
            "response-overrides",
            "response-* overrides (decoded, sorted), x-id left out",
            Req(
                "GET",
                VH,
                "/docs/caf\u00e9.pdf",
                (
                    ("x-id", "GetObject"),
                    ("response-content-type", "application/pdf"),
                    ("response-content-disposition", 'attachment; filename="caf\u00e9.pdf"'),
                    ("response-cache-control", "no-cache"),
                ),
            ),
            *vh,
            expires_style="relative",
        ),
        V2Case(
            "subresources-sorted",
            "several sub-resources sorted by name",
            Req(
                "GET",
                VH,
                "/photos/puppy.jpg",
                (("versionId", "v1"), ("tagging", None), ("acl", None)),
            ),
            *vh,
        ),
        V2Case(
            "subresource-empty-value",
            "versionId= (kept with '=') and bare uploads",
            Req("GET", VH, "/x.bin", (("versionId", ""), ("uploads", None))),
            *vh,
        ),
        V2Case(
            "initiate-multipart-upload",
            "POST ?uploads",
            Req("POST", VH, "/big/movie.m2ts", (("uploads", None),)),
            *vh,
        ),
        V2Case(
            "upload-part",
            "PUT ?partNumber&uploadId with a body (body not signed)",
            Req(
                "PUT",
                VH,
                "/big/movie.m2ts",
                (("partNumber", "2"), ("uploadId", UPLOAD_ID)),
                (("Content-Length", str(len(BODY))),),
                BODY,
            ),
            *vh,
        ),
        V2Case(
            "complete-multipart-upload",
            "POST ?uploadId with Content-Type and XML body",
            Req(
                "POST",
                VH,
                "/big/movie.m2ts",
                (("uploadId", UPLOAD_ID),),
                (("Content-Type", "application/xml"),),
                XML_COMPLETE,
            ),
            *vh,
            presign=False,
            no_query=V2_QUERY_COPIES,
        ),
        V2Case(
            "put-object-md5-type",
            "Content-MD5 and Content-Type signed (trimmed)",
            Req(
                "PUT",
                VH,
                "/notes/hello.txt",
                (),
                (
                    ("Content-Type", "  text/plain; charset=utf-8"),
                    ("Content-MD5", md5_b64(BODY)),
                    ("Content-Length", str(len(BODY))),
                ),
                BODY,
            ),
            *vh,
            presign=False,
            no_query=V2_QUERY_COPIES,
        ),
        V2Case(
            "meta-header-spacing",
            "x-amz-* names lower-cased, values trimmed, inner blanks kept",
            Req(
                "PUT",
                VH,
                "/meta.txt",
                (),
                (
                    ("X-Amz-Meta-Note", "   two   inner   spaces"),
                    ("x-amz-meta-Mixed-Case", "A  B"),
                    ("X-AMZ-ACL", "public-read"),
                ),
            ),
            *vh,
            presign=False,
            no_query=V2_QUERY_COPIES,
        ),
        V2Case(
            "duplicate-amz-headers",
            "repeated x-amz-meta header joined with ','",
            Req(
                "PUT",
                PS,
                "/examplebucket/dup.txt",
                (),
                (
                    ("X-Amz-Meta-ReviewedBy", "joe@example.com"),
                    ("x-amz-meta-reviewedby", "  jane@example.com"),
                    ("X-Amz-Meta-FileChecksum", "0x02661779"),
                ),
            ),
            *ps,
            presign=False,
            no_query=V2_QUERY_COPIES,
        ),
        V2Case(
            "session-token",
            "session token: x-amz-security-token header / query parameter",
            Req("GET", VH, "/photos/puppy.jpg"),
            *vh,
            token=True,
        ),
        V2Case(
            "session-token-put-meta",
            "session token with x-amz-meta and Content-Type",
            Req(
                "PUT",
                VH,
                "/notes/hello.txt",
                (),
                (("Content-Type", "text/plain"), ("x-amz-meta-owner", "sigkit")),
                BODY,
            ),
            *vh,
            token=True,
            presign=False,
            no_query=V2_QUERY_COPIES,
        ),
        V2Case(
            "custom-endpoint-minio",
            "http://127.0.0.1:9000 path style",
            Req("GET", MINIO, "/bucket/key"),
            "bucket",
            "path",
        ),
        V2Case(
            "yandex-path-style",
            "https://storage.yandexcloud.net path style",
            Req("GET", YC, "/bucket/key"),
            "bucket",
            "path",
            expires_style="relative",
        ),
        V2Case(
            "yandex-virtual-hosted",
            "https://bucket.storage.yandexcloud.net (auth_path /bucket/key)",
            Req("GET", YC_VH, "/key"),
            "bucket",
            "virtual-hosted",
        ),
        V2Case(
            "cname-with-port",
            "CNAME host with port: bucket = host name without port",
            Req("GET", "http://static.example.com:8080", "/db-backup.dat.gz"),
            "static.example.com",
            "virtual-hosted",
        ),
        V2Case(
            "delete-object-version",
            "DELETE ?versionId",
            Req("DELETE", VH, "/photos/puppy.jpg", (("versionId", "v2"),)),
            *vh,
        ),
        V2Case(
            "copy-object",
            "x-amz-copy-source signed as an amz header",
            Req(
                "PUT",
                VH,
                "/copy/target.txt",
                (),
                (("x-amz-copy-source", "/srcbucket/caf%C3%A9.txt"),),
            ),
            *vh,
            presign=False,
            no_query=V2_QUERY_COPIES,
        ),
        V2Case(
            "restore-object",
            "POST ?restore with Content-MD5 and body",
            Req(
                "POST",
                VH,
                "/archive.bin",
                (("restore", None),),
                (("Content-MD5", md5_b64(XML_RESTORE)),),
                XML_RESTORE,
            ),
            *vh,
            presign=False,
            no_query=V2_QUERY_COPIES,
        ),
        V2Case(
            "unsigned-headers-ignored",
            "User-Agent, Range, If-Match, Content-Length are not part of the string to sign",
            Req(
                "GET",
                VH,
                "/big/movie.m2ts",
                (),
                (
                    ("User-Agent", "sigkit-tests/1.0"),
                    ("Range", "bytes=0-1023"),
                    ("If-Match", '"a54357aff0632cce"'),
                    ("Content-Length", "0"),
                ),
            ),
            *vh,
        ),
    ]


def v2_folders(case: V2Case) -> list[tuple[str, dict[str, Any], list[Variant], str]]:
    header = v2_header(case)
    if not case.presign:
        return [(case.name, v2_context(case, False), [header], "header")]
    return [(case.name, v2_context(case, True), [header, v2_query(case)], "header, query")]


# --------------------------------------------------------------------------------------------
# READMEs

COMMON_INTRO = f"""\
Generated by `tests/oracle/make_vectors.py` (run `python tests/oracle/make_vectors.py` from the
repository root; `--check` regenerates into a temporary folder and compares) with **botocore
{BOTOCORE_VERSION}** as the oracle. Do not edit by hand: change the script and re-run it. The
output is deterministic (frozen clock: `{TIMESTAMP_ISO}`, i.e. `Date: {FIXED_HTTP_DATE}`,
epoch {FIXED_EPOCH}).

Credentials: `{ACCESS_KEY_ID}` / `{SECRET_ACCESS_KEY}`; cases marked [token] add the session
token `{SESSION_TOKEN}` (it contains `/`, `+` and `=`).

Layout and byte conventions are those of `vectors/aws-c-auth/` (see its README and the sigkit
extensions in the shared vectors README): `context.json`, `request.txt`, and per variant the
expected files, without trailing newline; signed requests end with the header block, one empty
line, then the body. Every expected file is botocore's own output: canonical request, string to
sign and signature are captured from the signer while it signs; the signed request is the
`request.txt` lines followed by the headers botocore added (header variant), or the request line
with botocore's query string (query variant).

Request conventions: URLs are handed to botocore already percent-encoded the way an S3 client
sends them (every key byte except `A-Z a-z 0-9 - . _ ~` and `/` as upper-case `%XX`, the same
for query names and values); no raw `+` or space ever appears in a path or query. `Host` is not
given to botocore (it derives it from the URL, dropping default ports); `request.txt` carries it
as its first header. No line of any file ends with a blank (trailing blanks do not survive
editors and whitespace linters), so value trimming is exercised with leading and inner blanks.
"""

V4_INTRO = (
    """\
# sigkit S3 SigV4 vectors (generated)

"""
    + COMMON_INTRO
    + """
## SigV4 specifics

- `context.json`: `"algorithm": "sigv4"`, `"double_uri_encode": false`, `"normalize": false`
  (S3: the path is signed as sent), `"service": "s3"`, `"sign_body": true` everywhere.
- Header variant = `S3SigV4Auth`. It always adds and signs `X-Amz-Content-SHA256`: the SHA-256
  of the body by default (`sign_body: true` and no `signed_body_value`), or `UNSIGNED-PAYLOAD`
  when S3 payload signing is disabled (`"signed_body_value": "UNSIGNED-PAYLOAD"`). Added headers
  are written in the README's order: `X-Amz-Security-Token`, `X-Amz-Date`,
  `X-Amz-Content-SHA256`, `Authorization` (botocore's own order is Date, token, content hash;
  the runner compares headers order-free).
- Query variant = `S3SigV4QueryAuth`, whose payload hash is always `UNSIGNED-PAYLOAD` and which
  adds no header. One `context.json` cannot say "SHA-256 of the body in the header variant,
  UNSIGNED-PAYLOAD in the query variant", so a case whose header variant hashes the body has its
  query variant in a second folder `<case>-presigned` (same request, context with
  `"signed_body_value": "UNSIGNED-PAYLOAD"`); cases whose header variant is already
  UNSIGNED-PAYLOAD hold both variants in one folder.
- `query-signed-request.txt` keeps botocore's parameter order: the request's own parameters
  (re-encoded by botocore, a bare `name` becoming `name=`), then `X-Amz-Algorithm`,
  `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
  `X-Amz-Security-Token`, `X-Amz-Signature`.
"""
)

V2_INTRO = (
    """\
# sigkit S3 Signature Version 2 vectors (generated)

"""
    + COMMON_INTRO
    + """
## V2 specifics

- `context.json`: `"algorithm": "s3v2"`, `bucket`, `addressing`, `timestamp` (the `Date` the
  signer adds when the request has none), and for cases with a query variant either `expires`
  (absolute) or `expiration_in_seconds` (Expires = timestamp + it); both styles occur.
- Header variant = `HmacV1Auth`. botocore always replaces `Date` with its (frozen) clock; the
  only request `Date` used here equals that clock, so "a request's Date is kept" holds. Added
  headers are written in the README's order `x-amz-security-token`, `Date` (only when the
  request had none), `Authorization`.
- Virtual-hosted requests get `request.auth_path = "/<bucket><path>"`, as botocore's S3 layer
  sets it; path-style and service requests have none.
- Query variant = `HmacV1QueryAuth` with `expires` seconds from the frozen clock. Its URL keeps
  the request's query verbatim and appends `AWSAccessKeyId`, `Signature`, then
  `x-amz-security-token` and `Expires`. botocore also leaves `Date` (= Expires) and the token in
  its own header map; those are not part of a presigned URL, so `query-signed-request.txt`
  keeps the headers of `request.txt` unchanged.
"""
)

V4_SKIPPED = """\
## Not generated (botocore's output does not fit the layout or the README's rules)

- **Query variant of a repeated query key** (`query-repeated-keys`): `S3SigV4QueryAuth` parses the
  query into a dict and keeps only the first value of each name, so the presigned URL loses
  parameters. Header variant only.
- **Query variant of a request with a body** (`upload-part`, `put-object-body`,
  `put-object-unsigned-payload`, `custom-endpoint-ipv6`, `never-signed-headers`,
  `delete-objects`): `SigV4QueryAuth` treats `request.data` as parameters and moves it into the
  query string (JSON-decoding it). Presigned uploads are covered without a body
  (`upload-part-empty-body`, `put-object-content-type`).
- **A raw `=` (or any reserved character) inside a query value**: the header signer copies the
  query into the canonical request without decoding or re-encoding, while the README's rule
  decodes and re-encodes (`a=b` -> `a%3Db`). All query text is therefore sent fully encoded
  (`%3D`); lower-case escapes (`%2f`) are avoided for the same reason.
- **A request with a `Date` header**: botocore's SigV4 signer then rewrites `Date` from its clock
  (`Fri, 17 May 2024 10:30:45 -0000`) and adds no `X-Amz-Date`, whereas the README's signer adds
  `X-Amz-Date` and signs `Date` as an ordinary header.
- **A request that already has `x-amz-content-sha256`, `X-Amz-Date` or a security token**: botocore
  replaces them; not generated.
- **Headers whose never-signed status differs**: botocore also skips `keep-alive`, `te`,
  `trailer`, `proxy-authenticate`, `proxy-authorization`, and signs `sec-websocket-*`, unlike the
  README's list. Only headers both agree on (`User-Agent`, `X-Amzn-Trace-Id`, `Expect`,
  `Connection`) are used.
- **Tabs or other non-space whitespace in header values**: botocore's trim collapses any Unicode
  whitespace (`str.split()`); only spaces are used.
- **A URL with an empty path** (`https://host` without `/`): botocore's canonical URI would be
  empty; every request here has a path starting with `/`.
"""

V2_SKIPPED = """\
## Not generated (botocore's output does not fit the layout or the README's rules)

- **Query variant of a request with `Content-Type`, `Content-MD5` or `x-amz-*` headers**
  (`complete-multipart-upload`, `put-object-md5-type`, `meta-header-spacing`,
  `duplicate-amz-headers`, `session-token-put-meta`, `copy-object`, `restore-object`):
  `HmacV1QueryAuth` copies those headers into the query string as extra parameters, which the
  README's query variant does not add. Header variant only.
- **`x-amz-date`**: botocore signs the `Date` slot from its clock *and* lists `x-amz-date` among
  the amz headers, which matches neither the published rule nor the published example (see the
  `delete-object-x-amz-date` record); the README leaves it open.
- **A request `Date` different from the signer's clock**: botocore always overwrites `Date`.
- **Repeated `Content-Type`/`Content-MD5`**: botocore would put every value on its line.
- **Sub-resource names sent percent-encoded** (e.g. `%61cl`): botocore compares names as sent.
"""


def readme(intro: str, skipped: str, rows: list[tuple[str, str, str]]) -> str:
    lines = [
        intro,
        f"## Cases ({len(rows)} folders)\n",
        "| folder | variants | covers |",
        "|---|---|---|",
    ]
    lines += [f"| `{folder}` | {variants} | {covers} |" for folder, variants, covers in rows]
    return "\n".join(lines) + "\n\n" + skipped


# --------------------------------------------------------------------------------------------
# Main


def generate(out_root: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    suites: list[
        tuple[str, str, str, list[tuple[str, dict[str, Any], list[Variant], str, Req, str]]]
    ] = []
    v4_rows = []
    for v4 in v4_cases():
        for folder, context, variants, kinds in v4_folders(v4):
            covers = v4.covers + (" [token]" if v4.token else "")
            if v4.no_query:
                covers += "; no query variant (see below)"
            if folder != v4.name:
                covers = f"query variant of `{v4.name}` (UNSIGNED-PAYLOAD): {covers}"
            v4_rows.append((folder, context, variants, kinds, v4.req, covers))
    suites.append((SIGV4_SUITE, V4_INTRO, V4_SKIPPED, v4_rows))
    v2_rows = []
    for v2 in v2_cases():
        for folder, context, variants, kinds in v2_folders(v2):
            covers = v2.covers + (" [token]" if v2.token else "")
            if v2.no_query:
                covers += "; no query variant (see below)"
            v2_rows.append((folder, context, variants, kinds, v2.req, covers))
    suites.append((V2_SUITE, V2_INTRO, V2_SKIPPED, v2_rows))

    for suite, intro, skipped, rows in suites:
        names = [row[0] for row in rows]
        if len(set(names)) != len(names):
            raise SystemExit(f"duplicate case names in {suite}")
        suite_dir = out_root / suite
        if suite_dir.exists():
            shutil.rmtree(suite_dir)
        suite_dir.mkdir(parents=True)
        for folder, context, variants, _, req, _ in rows:
            write_case(suite_dir / folder, context, req, variants)
        text = readme(intro, skipped, [(row[0], row[3], row[5]) for row in rows])
        (suite_dir / "README.md").write_bytes(text.encode("utf-8"))
        counts[suite] = len(rows)
    return counts


def trees_equal(left: Path, right: Path) -> bool:
    cmp = filecmp.dircmp(left, right)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(left, right, cmp.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(trees_equal(left / sub, right / sub) for sub in cmp.common_dirs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "vectors",
        help="vectors folder (default: the repository's vectors/)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary folder and compare with --out",
    )
    args = parser.parse_args(argv)
    if botocore.__version__ != BOTOCORE_VERSION:
        print(
            f"botocore {BOTOCORE_VERSION} required, found {botocore.__version__}", file=sys.stderr
        )
        return 2
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            stale = [
                s
                for s in (SIGV4_SUITE, V2_SUITE)
                if not (args.out / s).is_dir() or not trees_equal(Path(tmp) / s, args.out / s)
            ]
        if stale:
            print(f"out of date: {', '.join(stale)}", file=sys.stderr)
            return 1
        print("vectors up to date")
        return 0
    counts = generate(args.out)
    for suite, count in counts.items():
        print(f"{suite}: {count} case folders")
    return 0


if __name__ == "__main__":
    sys.exit(main())

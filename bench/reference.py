"""The floor: minimal hand-written signers for exactly the requests the benchmark signs.

Each does only what its one request shape needs (no input checks, no steps kept, no notes),
with the signing key derived once and the time passed in, using `hashlib`/`hmac` the way a
short script would. sigkit is measured against these: whatever sigkit costs beyond them is
the price of checking input and keeping every step readable.

They are written for the benchmark's requests only: no general path or header rules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from functools import cache
from urllib.parse import quote, unquote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@cache
def v4_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.digest(("AWS4" + secret).encode(), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def _headers(headers: Sequence[tuple[str, str]], extra: dict[str, str]) -> tuple[str, str]:
    lowered = {name.lower(): value.strip() for name, value in headers}
    lowered.update(extra)
    names = sorted(lowered)
    return "".join(f"{n}:{lowered[n]}\n" for n in names), ";".join(names)


def _enc(text: str) -> str:
    return quote(text, safe="-_.~")


def v4_header(
    method: str,
    path: str,
    query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
    stamp: str,
    region: str,
    service: str,
    akid: str,
    secret: str,
    *,
    unsigned_payload: bool,
    s3: bool,
    payload: str = "",
) -> str:
    """The Authorization header of one SigV4 request (header variant); `payload`, when
    given, is the payload line computed already."""
    date = stamp[:8]
    if not payload:
        payload = (
            "UNSIGNED-PAYLOAD" if unsigned_payload else hashlib.sha256(body or b"").hexdigest()
        )
    extra = {"x-amz-date": stamp}
    if s3:
        extra["x-amz-content-sha256"] = payload
    lines, signed = _headers(headers, extra)
    canonical_path = path if s3 else _enc_path(path)  # the path as sent, encoded once more
    canonical_query = _canonical_query(query)
    canonical = f"{method}\n{canonical_path}\n{canonical_query}\n{lines}\n{signed}\n{payload}"
    scope = f"{date}/{region}/{service}/aws4_request"
    text = f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.digest(v4_key(secret, date, region, service), text.encode(), "sha256").hex()
    return f"{ALGORITHM} Credential={akid}/{scope}, SignedHeaders={signed}, Signature={signature}"


def _enc_path(path: str) -> str:
    return quote(path, safe="/-_.~")


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        name, _, value = part.partition("=")
        pairs.append((_enc(unquote(name)), _enc(unquote(value))))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def v4_presign(
    path: str,
    host: str,
    stamp: str,
    expires: int,
    region: str,
    akid: str,
    secret: str,
) -> str:
    """The query string of a presigned S3 GET (host the only header)."""
    date = stamp[:8]
    scope = f"{date}/{region}/s3/aws4_request"
    params = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", f"{akid}/{scope}"),
        ("X-Amz-Date", stamp),
        ("X-Amz-Expires", str(expires)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    query = "&".join(f"{n}={_enc(v)}" for n, v in params)  # already in sorted order
    canonical = f"GET\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
    text = f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.digest(v4_key(secret, date, region, "s3"), text.encode(), "sha256").hex()
    return f"{query}&X-Amz-Signature={signature}"


def v2_header(
    method: str,
    resource: str,
    headers: Sequence[tuple[str, str]],
    date: str,
    akid: str,
    secret: str,
) -> str:
    """The Authorization header of one S3 V2 request (no sub-resource)."""
    lowered = {name.lower(): value.strip() for name, value in headers}
    amz = "".join(f"{n}:{lowered[n]}\n" for n in sorted(lowered) if n.startswith("x-amz-"))
    text = (
        f"{method}\n{lowered.get('content-md5', '')}\n{lowered.get('content-type', '')}\n"
        f"{date}\n{amz}{resource}"
    )
    digest = hmac.digest(secret.encode(), text.encode(), "sha1")
    return f"AWS {akid}:{base64.b64encode(digest).decode()}"


def v2_presign(resource: str, expires: int, akid: str, secret: str) -> str:
    """The query string of a presigned S3 V2 GET."""
    text = f"GET\n\n\n{expires}\n{resource}"
    signature = base64.b64encode(hmac.digest(secret.encode(), text.encode(), "sha1")).decode()
    return f"AWSAccessKeyId={akid}&Signature={_enc(signature)}&Expires={expires}"


def v4a_header(
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]],
    stamp: str,
    region_set: str,
    service: str,
    akid: str,
    sign: Callable[[bytes], bytes],
) -> str:
    """The Authorization header of one SigV4A S3 request (UNSIGNED-PAYLOAD); `sign` is the
    ECDSA signer of the already-derived key."""
    date = stamp[:8]
    lines, signed = _headers(
        headers,
        {
            "x-amz-date": stamp,
            "x-amz-region-set": region_set,
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        },
    )
    canonical = f"{method}\n{path}\n\n{lines}\n{signed}\nUNSIGNED-PAYLOAD"
    scope = f"{date}/{service}/aws4_request"
    text = (
        f"AWS4-ECDSA-P256-SHA256\n{stamp}\n{scope}\n"
        f"{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    signature = sign(text.encode()).hex()
    return (
        f"AWS4-ECDSA-P256-SHA256 Credential={akid}/{scope}, SignedHeaders={signed}, "
        f"Signature={signature}"
    )


# ------------------------------------------------- build + sign: from method, URL and headers
# What a short script does with a URL: urllib.parse.urlsplit, then the canonical request.


def v4_header_url(
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
    stamp: str,
    region: str,
    service: str,
    akid: str,
    secret: str,
    *,
    unsigned_payload: bool,
    s3: bool,
) -> list[tuple[str, str]]:
    """The signed headers (`headers`, X-Amz-Date, S3's x-amz-content-sha256, Authorization)
    of `v4_header` from an absolute URL (the Host header is among `headers`)."""
    parts = urlsplit(url)
    payload = "UNSIGNED-PAYLOAD" if unsigned_payload else hashlib.sha256(body or b"").hexdigest()
    authorization = v4_header(
        method,
        parts.path or "/",
        parts.query,
        headers,
        body,
        stamp,
        region,
        service,
        akid,
        secret,
        unsigned_payload=unsigned_payload,
        s3=s3,
        payload=payload,
    )
    signed = [*headers, ("X-Amz-Date", stamp)]
    if s3:
        signed.append(("x-amz-content-sha256", payload))
    signed.append(("Authorization", authorization))
    return signed


def v4_presign_url(
    method: str,
    url: str,
    stamp: str,
    expires: int,
    region: str,
    service: str,
    akid: str,
    secret: str,
    *,
    s3: bool,
) -> str:
    """The presigned URL (host the only signed header) of an absolute URL, which may hold a
    query of its own; S3 signs UNSIGNED-PAYLOAD, other services the empty body's hash."""
    parts = urlsplit(url)
    path = parts.path or "/"
    date = stamp[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    params = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", f"{akid}/{scope}"),
        ("X-Amz-Date", stamp),
        ("X-Amz-Expires", str(expires)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    own = "&".join(f"{n}={_enc(v)}" for n, v in params)  # already in sorted order
    query = _canonical_query(f"{parts.query}&{own}") if parts.query else own
    canonical_path = path if s3 else _enc_path(path)
    payload = "UNSIGNED-PAYLOAD" if s3 else EMPTY_SHA256
    canonical = f"{method}\n{canonical_path}\n{query}\nhost:{parts.netloc}\n\nhost\n{payload}"
    text = f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.digest(v4_key(secret, date, region, service), text.encode(), "sha256").hex()
    joined = f"{parts.query}&{own}" if parts.query else own
    return f"{parts.scheme}://{parts.netloc}{path}?{joined}&X-Amz-Signature={signature}"

"""SigV4 signing: scope, string to sign, key derivation, signature, and the signed request.

Time, credentials and options are arguments; nothing here reads a clock or the environment.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from functools import lru_cache

from sigkit.credentials import Credentials
from sigkit.encoding import parse_query, uri_encode
from sigkit.errors import InputError
from sigkit.http import Request
from sigkit.result import SigningResult
from sigkit.sigv4.canonical import canonical_headers, canonical_query, canonical_uri, payload_hash
from sigkit.sigv4.config import SigV4Config
from sigkit.timefmt import amz_date, check_utc

ALGORITHM = "AWS4-HMAC-SHA256"
_PRESIGN_PARAMS = ("X-Amz-Signature", "X-Amz-Credential", "X-Amz-Algorithm")


@lru_cache(maxsize=64)
def signing_key(secret: str, date: str, region: str, service: str) -> tuple[bytes, ...]:
    """kDate, kRegion, kService, kSigning: valid for one day, so cached per scope."""
    k_date = hmac.digest(("AWS4" + secret).encode("utf-8"), date.encode(), "sha256")
    k_region = hmac.digest(k_date, region.encode(), "sha256")
    k_service = hmac.digest(k_region, service.encode(), "sha256")
    k_signing = hmac.digest(k_service, b"aws4_request", "sha256")
    return k_date, k_region, k_service, k_signing


def _encode(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            what, f"holds a character that is not valid UTF-8 at {exc.start}"
        ) from None


def _finish(
    values: dict[str, str],
    credentials: Credentials,
    stamp: str,
    config: SigV4Config,
) -> str:
    """Fill in hash, scope, string to sign, key chain and signature; return the signature."""
    canonical = values["canonical_request"]
    cr_hash = hashlib.sha256(_encode(canonical, "canonical request")).hexdigest()
    scope = values["credential_scope"]
    string_to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{cr_hash}"
    keys = signing_key(credentials.secret_access_key, stamp[:8], config.region, config.service)
    signature = hmac.new(keys[3], string_to_sign.encode(), hashlib.sha256).hexdigest()
    values["canonical_request_hash"] = cr_hash
    values["string_to_sign"] = string_to_sign
    values["k_date"] = keys[0].hex()
    values["k_region"] = keys[1].hex()
    values["k_service"] = keys[2].hex()
    values["signing_key"] = keys[3].hex()
    values["signature"] = signature
    return signature


def _check_unsigned(request: Request) -> None:
    if request.header("authorization") is not None:
        raise InputError(
            "header Authorization", "the request is already signed; remove Authorization first"
        )
    if request.query:
        for name, _ in parse_query(request.query):
            if name in _PRESIGN_PARAMS:
                raise InputError("query", f"the URL is already presigned ({name}); remove it first")


def sign_v4(
    request: Request, credentials: Credentials, when: datetime, config: SigV4Config
) -> SigningResult:
    """Header variant: adds the token, X-Amz-Date and (if configured) x-amz-content-sha256
    headers, then ``Authorization``."""
    _check_unsigned(request)
    stamp = amz_date(check_utc(when))
    scope = f"{stamp[:8]}/{config.region}/{config.service}/aws4_request"
    added: list[tuple[str, str]] = []
    if request.header("host") is None:
        added.append(("Host", request.host))
    token = credentials.session_token
    if token is not None:
        sent = request.header("x-amz-security-token")
        if sent is None:
            added.append(("X-Amz-Security-Token", token))
        elif sent.strip() != token:
            raise InputError("header X-Amz-Security-Token", "differs from the session token given")
    sent_date = request.header("x-amz-date")
    if sent_date is None:
        added.append(("X-Amz-Date", stamp))
    elif sent_date.strip() != stamp:
        raise InputError(
            "header X-Amz-Date",
            f"the request carries {sent_date.strip()!r} but the signing time is {stamp}; "
            "sign at that time or remove the header",
        )
    payload, payload_source = payload_hash(request, config)
    if config.content_sha256_header and request.header("x-amz-content-sha256") is None:
        added.append(("x-amz-content-sha256", payload))
    unsigned = config.unsigned_headers
    if config.omit_session_token and token is not None:
        unsigned = unsigned | {"x-amz-security-token"}
    headers = request.headers + tuple(added)
    header_lines, signed = canonical_headers(headers, unsigned)
    uri, uri_notes = canonical_uri(request.path, config)
    query, query_notes = canonical_query(request.query, config)
    notes: dict[str, list[str]] = {"payload_hash": [f"from {payload_source}"]}
    if uri_notes:
        notes["canonical_uri"] = uri_notes
    if query_notes:
        notes["canonical_query"] = query_notes
    left_out = sorted({n.lower() for n, _ in headers} - set(signed.split(";")))
    if left_out:
        notes["signed_headers"] = [f"sent but not signed: {', '.join(left_out)}"]
    values = {
        "canonical_uri": uri,
        "canonical_query": query,
        "canonical_headers": header_lines,
        "signed_headers": signed,
        "payload_hash": payload,
        "canonical_request": (
            f"{request.method}\n{uri}\n{query}\n{header_lines}\n{signed}\n{payload}"
        ),
        "credential_scope": scope,
    }
    signature = _finish(values, credentials, stamp, config)
    authorization = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
    added.append(("Authorization", authorization))
    values["authorization"] = authorization
    values["headers_added"] = "".join(f"{n}: {v}\n" for n, v in added)
    return SigningResult("sigv4", "header", values, request.with_headers(added), notes)


def sign_v4_query(
    request: Request, credentials: Credentials, when: datetime, config: SigV4Config
) -> SigningResult:
    """Query (presigned URL) variant: adds no header; the signature goes in ``X-Amz-Signature``."""
    _check_unsigned(request)
    stamp = amz_date(check_utc(when))
    scope = f"{stamp[:8]}/{config.region}/{config.service}/aws4_request"
    payload, payload_source = payload_hash(request, config)
    headers = request.headers
    host_added: list[tuple[str, str]] = []
    if request.header("host") is None:
        host_added.append(("Host", request.host))
        headers = headers + tuple(host_added)
    header_lines, signed = canonical_headers(headers, config.unsigned_headers)
    params = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", f"{credentials.access_key_id}/{scope}"),
        ("X-Amz-Date", stamp),
    ]
    if config.expires is not None:
        params.append(("X-Amz-Expires", str(config.expires)))
    params.append(("X-Amz-SignedHeaders", signed))
    signed_params = list(params)
    token = credentials.session_token
    if token is not None:
        params.append(("X-Amz-Security-Token", token))
        if not config.omit_session_token:
            signed_params.append(("X-Amz-Security-Token", token))
    uri, uri_notes = canonical_uri(request.path, config)
    query, query_notes = canonical_query(request.query, config, signed_params)
    notes: dict[str, list[str]] = {"payload_hash": [f"from {payload_source}"]}
    if uri_notes:
        notes["canonical_uri"] = uri_notes
    if query_notes:
        notes["canonical_query"] = query_notes
    values = {
        "canonical_uri": uri,
        "canonical_query": query,
        "canonical_headers": header_lines,
        "signed_headers": signed,
        "payload_hash": payload,
        "canonical_request": (
            f"{request.method}\n{uri}\n{query}\n{header_lines}\n{signed}\n{payload}"
        ),
        "credential_scope": scope,
    }
    signature = _finish(values, credentials, stamp, config)
    params.append(("X-Amz-Signature", signature))
    encoded = "&".join(f"{uri_encode(n)}={uri_encode(v)}" for n, v in params)
    new_query = f"{request.query}&{encoded}" if request.query else encoded
    signed_request = request.with_query(new_query).with_headers(host_added)
    values["query_added"] = encoded
    if host_added:
        values["headers_added"] = "".join(f"{n}: {v}\n" for n, v in host_added)
    values["url"] = signed_request.url
    return SigningResult("sigv4", "query", values, signed_request, notes)


presign_v4 = sign_v4_query

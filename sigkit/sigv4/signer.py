"""SigV4 signing: scope, string to sign, key derivation, signature, and the signed request.

Time, credentials and options are arguments; nothing here reads a clock or the environment.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

from sigkit.credentials import Credentials
from sigkit.encoding import parse_query, uri_encode
from sigkit.errors import InputError
from sigkit.http import Request
from sigkit.result import SigningResult, sensitive_values
from sigkit.sigv4.canonical import (
    canonical_headers,
    canonical_query,
    canonical_uri,
    hash_body,
    header_groups,
    payload_hash,
    sent_once,
)
from sigkit.sigv4.config import SESSION_TOKEN_NAMES, SigV4Config
from sigkit.sigv4.keys import scope_key
from sigkit.timefmt import signing_stamp

ALGORITHM = "AWS4-HMAC-SHA256"
_sha256 = hashlib.sha256
# Parameters the query variant adds: a URL already holding one is presigned already.
PRESIGN_PARAMS = frozenset(
    {
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Security-Token",
        "X-Amz-S3session-Token",
        "X-Amz-Signature",
    }
)


def signing_key(secret: str, date: str, region: str, service: str) -> tuple[bytes, ...]:
    """kDate, kRegion, kService, kSigning: valid for one day, so remembered per scope.

    `sigkit.forget_keys()` forgets every remembered key.
    """
    return scope_key(secret, date, region, service).chain


def canonical_steps(
    request: Request,
    groups: Mapping[str, str],
    config: SigV4Config,
    unsigned: frozenset[str],
    payload: tuple[str, str],
    query_params: Sequence[tuple[str, str]] = (),
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The canonical request and its hash, with the parts it is made of (SigV4 and SigV4A).

    `groups` are the headers as `header_groups` gives them, those the signer adds included.
    `query_params` are the signer's own parameters (query variant), percent-encoded; their
    ``X-Amz-SignedHeaders`` value is filled in here, since it needs the signed header list.
    """
    payload_value, payload_source = payload
    header_lines, signed, left_out = canonical_headers(groups, unsigned)
    if query_params:
        encoded = uri_encode(signed)
        query_params = [(n, encoded if n == "X-Amz-SignedHeaders" else v) for n, v in query_params]
    uri, uri_notes = canonical_uri(request.path, config)
    if request.query or query_params:
        query, query_notes = canonical_query(request.query, config, query_params)
    else:
        query, query_notes = "", []
    notes: dict[str, list[str]] = {"payload_hash": ["from " + payload_source]}
    if uri_notes:
        notes["canonical_uri"] = uri_notes
    if query_notes:
        notes["canonical_query"] = query_notes
    if left_out:
        notes["signed_headers"] = [f"sent but not signed: {', '.join(left_out)}"]
    canonical = f"{request.method}\n{uri}\n{query}\n{header_lines}\n{signed}\n{payload_value}"
    values = {
        "canonical_uri": uri,
        "canonical_query": query,
        "canonical_headers": header_lines,
        "signed_headers": signed,
        "payload_hash": payload_value,
        "canonical_request": canonical,
        "canonical_request_hash": _sha256(canonical.encode()).hexdigest(),
    }
    return values, notes


def string_to_sign(stamp: str, scope: str, canonical_request_hash: str) -> str:
    """``AWS4-HMAC-SHA256``, the timestamp, the credential scope and the canonical hash."""
    return f"{ALGORITHM}\n{stamp}\n{scope}\n{canonical_request_hash}"


def hmac_signature(signing_key_bytes: bytes, text: str) -> str:
    """The final SigV4 step: hex HMAC-SHA256 of a string to sign with kSigning."""
    return hmac.new(signing_key_bytes, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _sign(
    request: Request,
    groups: Mapping[str, str],
    credentials: Credentials,
    stamp: str,
    config: SigV4Config,
    unsigned: frozenset[str],
    payload: tuple[str, str],
    query_params: Sequence[tuple[str, str]] = (),
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every step from the canonical request to the HMAC signature, for either variant."""
    values, notes = canonical_steps(request, groups, config, unsigned, payload, query_params)
    key = scope_key(credentials.secret_access_key, stamp[:8], config.region, config.service)
    text = string_to_sign(stamp, key.scope, values["canonical_request_hash"])
    values["credential_scope"] = key.scope
    values["string_to_sign"] = text
    values.update(key.steps)  # k_date, k_region, k_service, signing_key
    values["signature"] = key.hmac.hexdigest(text.encode())
    return values, notes


def begin(
    request: Request,
    credentials: Credentials,
    when: datetime,
    params: frozenset[str] = PRESIGN_PARAMS,
) -> tuple[str, dict[str, str], tuple[str, ...]]:
    """What every SigV4/SigV4A variant does first: the timestamp, the request's
    `header_groups`, a refusal of a request already signed (an Authorization header, or one
    of `params` in the query), and the session tokens a result must mask."""
    stamp = signing_stamp(when)
    groups = header_groups(request.headers)
    if "authorization" in groups:
        raise InputError(
            "header Authorization", "the request is already signed; remove Authorization first"
        )
    token = credentials.session_token
    query = request.query
    if query:
        for name, _ in parse_query(query):
            if name in params:
                raise InputError("query", f"the URL already holds {name}; remove it before signing")
    if token is None and SESSION_TOKEN_NAMES.isdisjoint(groups) and not (
        query and "token" in query.lower()  # a token parameter's name, at least
    ):
        return stamp, groups, ()  # no token anywhere: nothing to mask
    return stamp, groups, sensitive_values(request, token, groups)


def host_addition(request: Request, groups: dict[str, str]) -> list[tuple[str, str]]:
    """The Host header every client sends, when the request does not carry one yet (added to
    `groups` too)."""
    if "host" in groups:
        return []
    host = request.host
    groups["host"] = host
    return [("Host", host)]


def header_additions(
    request: Request,
    credentials: Credentials,
    stamp: str,
    config: SigV4Config,
    groups: dict[str, str],
    extra: Sequence[tuple[str, str]] = (),
) -> tuple[list[tuple[str, str]], tuple[str, str], frozenset[str]]:
    """Headers the header variant adds, the payload line and the unsigned header names.

    Added in this order, each only when the request does not carry it already: Host, the
    session token (as `config.session_token_name`), X-Amz-Date, the `extra` headers (SigV4A's
    X-Amz-Region-Set), then x-amz-content-sha256 if configured. A header the request carries
    with another value than the one to sign is an input error. `groups` is the request's
    `header_groups()`; what is added goes into it too, as it will be signed.
    """
    added = host_addition(request, groups)
    token = credentials.session_token
    token_name = config.session_token_name
    if token is not None:
        sent = sent_once(request, token_name.lower(), groups)
        if sent is None:
            added.append((token_name, token))
            groups[token_name.lower()] = " ".join(token.split())
        elif sent != token:
            raise InputError(f"header {token_name}", "differs from the session token given")
    sent_date = sent_once(request, "x-amz-date", groups) if "x-amz-date" in groups else None
    if sent_date is None:
        added.append(("X-Amz-Date", stamp))
        groups["x-amz-date"] = stamp
    elif sent_date != stamp:
        raise InputError(
            "header X-Amz-Date",
            f"the request carries {sent_date!r} but the signing time is {stamp}; "
            "sign at that time or remove the header",
        )
    for name, value in extra:
        lname = name.lower()
        sent = sent_once(request, lname, groups)
        if sent is None:
            added.append((name, value))
            groups[lname] = value
        elif sent != value:
            raise InputError(
                f"header {name}",
                f"the request carries {sent!r} but {value!r} is to be signed; remove the header",
            )
    if config.payload_hash is not None and "x-amz-content-sha256" not in groups:
        payload = (config.payload_hash, "given")  # payload_hash's commonest answer, inline
    else:
        payload = payload_hash(request, config, groups)
    if config.content_sha256_header and "x-amz-content-sha256" not in groups:
        added.append(("x-amz-content-sha256", payload[0]))
        groups["x-amz-content-sha256"] = payload[0]
    unsigned = config.unsigned_headers
    if config.omit_session_token and token is not None:
        unsigned = unsigned | {token_name.lower()}
    return added, payload, unsigned


def query_additions(
    algorithm: str,
    credentials: Credentials,
    stamp: str,
    scope: str,
    config: SigV4Config,
    extra: Sequence[tuple[str, str]] = (),
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Parameters the query variant appends (before ``X-Amz-Signature``), and the signed ones,
    percent-encoded once for both the canonical query and the URL.

    Order: Algorithm, Credential, Date, Expires (if any), SignedHeaders (a placeholder until
    the signed header list is known), the session token (if any), then `extra` (SigV4A's
    X-Amz-Region-Set). An omitted session token is appended but not signed.
    """
    # the scope's parts are checked to be unreserved characters; only "/" needs encoding
    credential = f"{uri_encode(credentials.access_key_id)}%2F{scope.replace('/', '%2F')}"
    params = [
        ("X-Amz-Algorithm", algorithm),
        ("X-Amz-Credential", credential),
        ("X-Amz-Date", stamp),
    ]
    if config.expires is not None:
        params.append(("X-Amz-Expires", str(config.expires)))
    params.append(("X-Amz-SignedHeaders", ""))
    token = credentials.session_token
    signed_params = list(params)
    if token is not None:
        encoded_token = uri_encode(token)
        params.append((config.session_token_name, encoded_token))
        if not config.omit_session_token:
            signed_params.append(params[-1])
    for name, value in extra:
        params.append((uri_encode(name), uri_encode(value)))
        signed_params.append(params[-1])
    return params, signed_params


def finish_query(
    request: Request,
    host_added: Sequence[tuple[str, str]],
    params: Sequence[tuple[str, str]],
    values: dict[str, str],
) -> Request:
    """Append the parameters (percent-encoded) and ``X-Amz-Signature`` to the URL; record
    what was appended. Nothing appended needs checking: it is all encoded."""
    signed = uri_encode(values["signed_headers"])
    encoded = "&".join([f"{n}={signed if n == 'X-Amz-SignedHeaders' else v}" for n, v in params])
    encoded += "&X-Amz-Signature=" + values["signature"]
    new_query = f"{request.query}&{encoded}" if request.query else encoded
    signed_request = request._copy(new_query, (*host_added, *request.headers))
    values["query_added"] = encoded
    return signed_request


def sign_v4(
    request: Request, credentials: Credentials, when: datetime, config: SigV4Config
) -> SigningResult:
    """Header variant: adds the token, X-Amz-Date and (if configured) x-amz-content-sha256
    headers, then ``Authorization``."""
    result = _sign_v4_plain(request, credentials, when, config)
    if result is None:  # not `or`: a result's truth is its length, computed
        return _sign_v4_any(request, credentials, when, config)
    return result


def _sign_v4_plain(
    request: Request, credentials: Credentials, when: datetime, config: SigV4Config
) -> SigningResult | None:
    """`_sign_v4_any` of the commonest request in one function (the calls between the steps
    cost a tenth of a signature): no session token, no query, and none of the headers the
    signer adds or compares (Authorization, X-Amz-Date, x-amz-content-sha256, a token) sent.
    None for any other request. tests/test_request_model.py holds both to the same result."""
    if credentials.session_token is not None or request.query:
        return None
    stamp = signing_stamp(when)
    groups = header_groups(request.headers)
    if (
        "authorization" in groups
        or "x-amz-date" in groups
        or "x-amz-content-sha256" in groups
        or not SESSION_TOKEN_NAMES.isdisjoint(groups)
    ):
        return None
    added: list[tuple[str, str]] = []
    if "host" not in groups:
        host = request.host
        groups["host"] = host
        added.append(("Host", host))
    added.append(("X-Amz-Date", stamp))
    groups["x-amz-date"] = stamp
    payload = config.payload_hash  # payload_hash(), when the request sends no such header
    if payload is None:
        payload, source = hash_body(request.body), "from SHA-256 of the body"
    else:
        source = "from given"
    if config.content_sha256_header:
        added.append(("x-amz-content-sha256", payload))
        groups["x-amz-content-sha256"] = payload
    header_lines, signed, left_out = canonical_headers(groups, config.unsigned_headers)
    uri, uri_notes = canonical_uri(request.path, config)
    canonical = f"{request.method}\n{uri}\n\n{header_lines}\n{signed}\n{payload}"
    digest = _sha256(canonical.encode()).hexdigest()
    key = scope_key(credentials.secret_access_key, stamp[:8], config.region, config.service)
    text = string_to_sign(stamp, key.scope, digest)
    signature = key.hmac.hexdigest(text.encode())
    authorization = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{key.scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
    added.append(("Authorization", authorization))
    values = {
        "canonical_uri": uri,
        "canonical_query": "",
        "canonical_headers": header_lines,
        "signed_headers": signed,
        "payload_hash": payload,
        "canonical_request": canonical,
        "canonical_request_hash": digest,
        "credential_scope": key.scope,
        "string_to_sign": text,
        **key.steps,  # k_date, k_region, k_service, signing_key
        "signature": signature,
        "authorization": authorization,
    }
    notes = {"payload_hash": [source]}
    if uri_notes:
        notes["canonical_uri"] = uri_notes
    if left_out:
        notes["signed_headers"] = [f"sent but not signed: {', '.join(left_out)}"]
    signed_request = request.with_signer_headers(added)
    return SigningResult("sigv4", "header", values, signed_request, notes, (), added)


def _sign_v4_any(
    request: Request, credentials: Credentials, when: datetime, config: SigV4Config
) -> SigningResult:
    """`sign_v4` of any request, step by step through the helpers SigV4A shares."""
    stamp, groups, sensitive = begin(request, credentials, when)
    added, payload, unsigned = header_additions(request, credentials, stamp, config, groups)
    values, notes = _sign(request, groups, credentials, stamp, config, unsigned, payload)
    authorization = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{values['credential_scope']}, "
        f"SignedHeaders={values['signed_headers']}, Signature={values['signature']}"
    )
    added.append(("Authorization", authorization))
    values["authorization"] = authorization
    return SigningResult(
        "sigv4", "header", values, request.with_signer_headers(added), notes, sensitive, added
    )


def sign_v4_query(
    request: Request, credentials: Credentials, when: datetime, config: SigV4Config
) -> SigningResult:
    """Query (presigned URL) variant: adds no header; the signature goes in ``X-Amz-Signature``.

    Parameters are appended in the order the S3 documentation shows them.
    """
    stamp, groups, sensitive = begin(request, credentials, when)
    host_added = host_addition(request, groups)
    scope = f"{stamp[:8]}/{config.region}/{config.service}/aws4_request"
    params, signed_params = query_additions(ALGORITHM, credentials, stamp, scope, config)
    values, notes = _sign(
        request,
        groups,
        credentials,
        stamp,
        config,
        config.unsigned_headers,
        payload_hash(request, config, groups),
        signed_params,
    )
    signed_request = finish_query(request, host_added, params, values)
    return SigningResult("sigv4", "query", values, signed_request, notes, sensitive, host_added)


presign_v4 = sign_v4_query

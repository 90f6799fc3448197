"""Helpers every reader shares: decoding, and pulling scope/date/keys out of the signing texts,
so each source fills an `Observation` the same way whatever printed it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from sigkit.errors import InputError
from sigkit.http import Request
from sigkit.verify import split_authorization

MAX_INPUT = 16 * 1024 * 1024  # bytes; a debug source larger than this is refused, not read

_METHOD = re.compile(r"[A-Z]+\Z")
STATUS_LINE = re.compile(r"HTTP/\d(?:\.\d)? (?P<status>\d{3})(?: (?P<reason>.*))?\Z")


def decode_text(data: bytes, name: str) -> str:
    """Sources are UTF-8 text; say where they are not (binary input lands here)."""
    if len(data) > MAX_INPUT:
        raise InputError(name, f"input is larger than {MAX_INPUT // (1024 * 1024)} MiB; refused")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError(f"{name} line {line}", "binary input (NUL byte); expected text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{name} line {line}", f"not UTF-8 text (byte {exc.start})") from None


def algorithm_of(string_to_sign: str) -> str | None:
    """V4 strings to sign start with the algorithm; V2 ones start with the HTTP method."""
    first = string_to_sign.split("\n", 1)[0]
    if first.startswith("AWS4-"):
        return first
    if _METHOD.match(first):
        return "AWS"
    return None


def sts_fields(string_to_sign: str | None) -> dict[str, Any]:
    """Date and scope as the string to sign states them (V4 only)."""
    if not string_to_sign or not string_to_sign.startswith("AWS4-"):
        return {}
    lines = string_to_sign.split("\n")
    out: dict[str, Any] = {}
    if len(lines) > 1 and lines[1]:
        out["amz_date"] = lines[1]
    if len(lines) > 2 and lines[2]:
        out["credential_scope"] = lines[2]
    return out


def signed_headers_of(canonical_request: str | None) -> str | None:
    """The signed-headers line is the second to last of a V4 canonical request."""
    if not canonical_request:
        return None
    lines = canonical_request.split("\n")
    return lines[-2] if len(lines) >= 6 else None


def check_canonical_request(text: str, where: str) -> None:
    """A V4 canonical request has method, path, query, headers, a blank line, signed headers
    and a payload hash; anything shorter was cut off."""
    lines = text.split("\n")
    if len(lines) < 6 or lines[-3] != "" or not _METHOD.match(lines[0]):
        raise InputError(where, "CanonicalRequest block is truncated or garbled")


def check_string_to_sign(text: str, where: str) -> None:
    """V4 strings to sign have four lines; V2 ones at least five (method ... resource)."""
    lines = text.split("\n")
    if text.startswith("AWS4-"):
        ok = len(lines) == 4 and all(lines)
    else:
        ok = len(lines) >= 5 and bool(_METHOD.match(lines[0]))
    if not ok:
        raise InputError(where, "StringToSign block is truncated or garbled")


def auth_fields(value: str) -> dict[str, Any]:
    """Split an Authorization header (V4, V4A or V2) into the observation fields it carries
    (`sigkit.verify.split_authorization` reads it; what is missing stays unset)."""
    split = split_authorization(value)
    if split is None:
        return {}
    algorithm, components = split
    parts = {name: val for name, val in components if name}
    if algorithm == "AWS":
        return {
            "algorithm": "AWS",
            "access_key_id": parts["AWSAccessKeyId"],
            "signature": parts["Signature"],
        }
    ak, _, scope = parts.get("Credential", "").partition("/")
    out = {
        "algorithm": algorithm,
        "access_key_id": ak or None,
        "credential_scope": scope or None,
        "signed_headers": parts.get("SignedHeaders"),
        "signature": parts.get("Signature"),
    }
    return {k: v for k, v in out.items() if v is not None}


def query_fields(query: str | None) -> dict[str, Any]:
    """Presigned URL parameters (V4 ``X-Amz-*`` or V2 ``AWSAccessKeyId/Signature``)."""
    if not query:
        return {}
    params: dict[str, str] = {}
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        params.setdefault(unquote(key), unquote(value))
    out: dict[str, Any] = {}
    if "X-Amz-Signature" in params or "X-Amz-Credential" in params:
        ak, _, scope = params.get("X-Amz-Credential", "").partition("/")
        out = {
            "algorithm": params.get("X-Amz-Algorithm"),
            "access_key_id": ak or None,
            "credential_scope": scope or None,
            "signed_headers": params.get("X-Amz-SignedHeaders"),
            "amz_date": params.get("X-Amz-Date"),
            "signature": params.get("X-Amz-Signature"),
        }
        if "X-Amz-Expires" in params:
            out["details"] = {"expires": params["X-Amz-Expires"]}
    elif "Signature" in params and "AWSAccessKeyId" in params:
        out = {
            "algorithm": "AWS",
            "access_key_id": params["AWSAccessKeyId"],
            "signature": params["Signature"],
        }
        if "Expires" in params:
            out["details"] = {"expires": params["Expires"]}
    return {k: v for k, v in out.items() if v is not None}


def request_fields(request: Request) -> dict[str, Any]:
    """What the sent request itself says about its signature (header or query)."""
    out = query_fields(request.query)
    auth = request.header("authorization")
    if auth is not None:
        out.update(auth_fields(auth))
    date = request.header("x-amz-date")
    if date is not None and "amz_date" not in out:
        out["amz_date"] = date.strip()
    return out


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Fill fields of `base` that are still unset from `extra`; details are unioned."""
    out = dict(base)
    for key, value in extra.items():
        if key == "details":
            out["details"] = {**value, **out.get("details", {})}
        elif out.get(key) is None:
            out[key] = value
    return out


def header_lines(lines: list[str], name: str, first_line: int) -> list[tuple[str, str]]:
    """``Name: value`` lines of a response head, as received (value without the space after
    the colon); a line that is not a header is refused with its place."""
    out: list[tuple[str, str]] = []
    for offset, line in enumerate(lines):
        field, sep, value = line.partition(":")
        if not sep or not field or field != field.strip() or " " in field:
            raise InputError(
                f"{name} line {first_line + offset}", f"not a response header line: {line[:60]!r}"
            )
        out.append((field, value.strip(" \t")))
    return out


def header_value(
    headers: tuple[tuple[str, str], ...] | list[tuple[str, str]], name: str
) -> str | None:
    """The first value of header `name` (any case)."""
    lower = name.lower()
    return next((v for k, v in headers if k.lower() == lower), None)

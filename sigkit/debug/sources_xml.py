"""What a server answered: S3-style ``<Error>`` bodies (AWS, MinIO, Ceph RGW, s3rver, moto,
ministack, ...), the JSON error bodies of non-S3 services, and `answer`, which joins a status,
the response headers and such a body into one "server" observation.

DOCTYPE/ENTITY declarations are refused before any parsing, so no entity is ever expanded; the
``*Bytes`` hex fields win over the text, which XML parsing and copy-paste may have reformatted.
Elements without a field of their own (``ServerTime``, ``RequestTime``, ``Expires``,
``X-Amz-Expires``, ``Region``, ``HeadersNotSigned`` ...) are kept in `details` by name."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from sigkit.debug.model import Observation
from sigkit.debug.sources_common import (
    algorithm_of,
    check_canonical_request,
    check_string_to_sign,
    decode_text,
    merge,
    signed_headers_of,
    sts_fields,
)
from sigkit.errors import InputError

_DECL = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_START = re.compile(r"<Error[\s>]")
_END = "</Error>"
_HEX_PAIR = re.compile(r"[0-9A-Fa-f]{2}\Z")
_CODE = re.compile(r"<Code>([^<]{1,200})</Code>")
# Non-S3 AWS services quote their own computation in the message of a signature mismatch.
_EMBEDDED = re.compile(
    r"The Canonical String for this request should have been\n'(?P<cr>.*?)'\n\n"
    r"The String-to-Sign should have been\n'(?P<sts>.*?)'",
    re.DOTALL,
)
_KNOWN = {
    "Code": "error_code",
    "Message": "error_message",
    "AWSAccessKeyId": "access_key_id",
    "SignatureProvided": "signature_provided",
}


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def read_s3_error(data: bytes, *, name: str = "input") -> list[Observation]:
    """Every ``<Error>`` document in `data`, in order (noise around them is skipped), or the
    JSON error object `data` holds."""
    text = decode_text(data, name)
    if text.lstrip().startswith("{") and not _START.search(text):
        found = read_json_error_text(text, name=name)
        if found is None:
            raise InputError(name, "a JSON document, but not an error body (no message or type)")
        return [found]
    return read_s3_error_text(text, name=name)


def read_s3_error_text(
    text: str, *, name: str = "input", line_base: int = 0, cut_ok: bool = False
) -> list[Observation]:
    """Every ``<Error>`` document in `text`. With `cut_ok` (a body quoted in a log or trace), a
    last document cut off before ``</Error>`` ends the list instead of failing the source."""
    if not _START.search(text) and re.search(r"<html[\s>]", text, re.IGNORECASE):
        raise InputError(name, "an HTML page (server crash page?), not an S3 XML error body")
    decl = _DECL.search(text)
    if decl:
        line = line_base + _line_of(text, decl.start())
        raise InputError(
            f"{name} line {line}",
            "XML declares a DOCTYPE/ENTITY; refused (entities are not expanded)",
        )
    out: list[Observation] = []
    pos = 0
    while True:
        start_m = _START.search(text, pos)
        if not start_m:
            break
        start = start_m.start()
        end = text.find(_END, start)
        line = line_base + _line_of(text, start)
        if end == -1:
            if cut_ok:
                break
            raise InputError(f"{name} line {line}", "<Error> element is truncated (no </Error>)")
        following = _START.search(text, start_m.end())
        if following is not None and following.start() < end:
            # Cut off before another <Error> begins (the AWS SDK for PHP quotes the body
            # "(truncated...)" and then whole): the whole one that follows is the answer.
            pos = following.start()
            continue
        end += len(_END)
        out.append(_one_error(text[start:end], name, line))
        pos = end
    return out


def decode_hex_bytes(value: str, where: str) -> bytes:
    """``*Bytes`` fields are space-separated hex byte pairs (``47 45 54 0a ...``)."""
    tokens = value.split()
    for token in tokens:
        if not _HEX_PAIR.match(token):
            raise InputError(where, f"expected space-separated hex bytes, found {token[:20]!r}")
    return bytes(int(t, 16) for t in tokens)


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def _one_error(fragment: str, name: str, line: int) -> Observation:
    try:
        root = ET.fromstring(fragment)
    except ET.ParseError as exc:
        row = line + exc.position[0] - 1
        raise InputError(f"{name} line {row}", f"XML error body does not parse: {exc}") from None
    fields: dict[str, Any] = {}
    details: dict[str, str] = {}
    texts: dict[str, str] = {}
    for child in root:
        tag = child.tag if isinstance(child.tag, str) else str(child.tag)
        value = child.text or ""
        if tag in _KNOWN:
            fields[_KNOWN[tag]] = value
        elif tag in (
            "StringToSign",
            "CanonicalRequest",
            "StringToSignBytes",
            "CanonicalRequestBytes",
        ):
            texts[tag] = value
        else:
            details[tag] = value
    for field, tag in (
        ("string_to_sign", "StringToSign"),
        ("canonical_request", "CanonicalRequest"),
    ):
        text = texts.get(tag)
        hexed = texts.get(tag + "Bytes")
        chosen = text
        if hexed is not None:
            raw = decode_hex_bytes(hexed, f"{name} line {line}: {tag}Bytes")
            chosen = raw.decode("utf-8", "surrogateescape")
            details[f"{field}_from"] = f"{tag}Bytes"
            if text is not None and text != chosen:
                at = _first_difference(text, chosen)
                details[f"{field}_text"] = text
                details[f"{field}_mismatch"] = (
                    f"{tag} text differs from {tag}Bytes at character {at}; using the bytes"
                )
        if chosen is not None:
            fields[field] = chosen
    fields = _with_steps(merge(fields, _embedded_steps(fields.get("error_message"))))
    return Observation(
        source="s3-error",
        party="server",
        details=details,
        where=f"<Error> at line {line}",
        **fields,
    )


def _with_steps(fields: dict[str, Any]) -> dict[str, Any]:
    """Algorithm, date, scope and signed headers as the server's own steps state them."""
    sts = fields.get("string_to_sign")
    if sts is not None:
        fields["algorithm"] = algorithm_of(sts)
    fields = merge(fields, sts_fields(sts))
    sh = signed_headers_of(fields.get("canonical_request"))
    if sh is not None:
        fields["signed_headers"] = sh
    return {k: v for k, v in fields.items() if v is not None}


def _embedded_steps(message: str | None) -> dict[str, Any]:
    """The canonical request and string to sign a non-S3 service quotes in its message
    ("The Canonical String for this request should have been '...'"), when both are whole."""
    m = _EMBEDDED.search(message or "")
    if m is None:
        return {}
    try:
        check_canonical_request(m["cr"], "message")
        check_string_to_sign(m["sts"], "message")
    except InputError:
        return {}  # quoted, but cut or reformatted: the message itself stays as evidence
    return {"canonical_request": m["cr"], "string_to_sign": m["sts"]}


def error_code_of(value: str) -> str:
    """``x-amzn-ErrorType`` / ``__type`` values name the code with a namespace or a URL:
    ``com.amazon.coral.service#InvalidSignatureException``, ``InvalidSignatureException:http://...``."""
    return value.rsplit("#", 1)[-1].split(":", 1)[0].strip()


def read_json_error_text(
    text: str, *, name: str = "input", line: int = 1, headers: Sequence[tuple[str, str]] = ()
) -> Observation | None:
    """A JSON error body of a non-S3 service (``{"message": ...}``, ``{"Message": ...}``,
    ``{"__type": ...}``), or None when `text` is not one (not JSON, cut off, no error keys)."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return _json_error(doc, line, headers)


def _json_error(doc: object, line: int, headers: Sequence[tuple[str, str]]) -> Observation | None:
    if not isinstance(doc, dict):
        return None
    lower = {str(k).lower(): v for k, v in doc.items()}
    message = lower.get("message", lower.get("errormessage"))
    kind = lower.get("__type", lower.get("code", lower.get("errortype")))
    header_kind = next((v for k, v in headers if k.lower() == "x-amzn-errortype"), None)
    if message is None and kind is None and header_kind is None:
        return None
    fields: dict[str, Any] = {}
    if isinstance(kind, str) and kind:
        fields["error_code"] = error_code_of(kind)
    elif header_kind:
        fields["error_code"] = error_code_of(header_kind)
    if isinstance(message, str):
        fields["error_message"] = message
    details: dict[str, str] = {}
    for key, value in doc.items():
        if str(key).lower() in ("message", "errormessage", "__type", "code", "errortype"):
            continue
        if isinstance(value, str | int | float | bool):
            details[str(key)] = str(value)
    fields = _with_steps(merge(fields, _embedded_steps(fields.get("error_message"))))
    return Observation(
        source="json-error",
        party="server",
        details=details,
        where=f"JSON error at line {line}",
        **fields,
    )


def salvage_code(text: str) -> str | None:
    """The ``<Code>`` of an error body cut off before ``</Error>``: still the server's word."""
    m = _CODE.search(text)
    return m[1] if m and _START.search(text) else None


def read_body(
    text: str, *, name: str, line: int, headers: Sequence[tuple[str, str]] = ()
) -> tuple[Observation | None, str | None]:
    """The error a response body holds (XML or JSON) and a note when it could not be read whole.

    A body cut off (no ``</Error>``, JSON that stops early) is noise, never a failure of the
    source that quotes it; a whole ``<Error>`` document that does not parse is an InputError."""
    stripped = text.strip()
    if not stripped:
        return None, None
    if _START.search(text):
        found = read_s3_error_text(text, name=name, line_base=line - 1, cut_ok=True)
        if found:
            return found[0], None
        code = salvage_code(text)
        obs = Observation(source="s3-error", party="server", error_code=code) if code else None
        return obs, "the <Error> body is cut off before </Error>"
    start = text.find("{")
    if start != -1 and not text[:start].strip(" \t\r\n"):
        try:
            doc, _ = json.JSONDecoder().raw_decode(text, start)
        except (ValueError, RecursionError):
            return None, "the JSON body is cut off or garbled"
        return _json_error(doc, line, headers), None
    return None, None


def answer(
    source: str,
    *,
    status: int | None,
    headers: Sequence[tuple[str, str]] = (),
    body: Observation | None = None,
    body_note: str | None = None,
    where: str,
    logged_at: str | None = None,
    exchange: int | None = None,
    attempt: int | None = None,
    extra: dict[str, str] | None = None,
) -> Observation:
    """One "server" observation for one response: status and headers as received, and what
    its body said (code, message, any steps and details)."""
    details: dict[str, str] = dict(body.details) if body is not None else {}
    if body is not None and body.source != "s3-error":
        details["body"] = body.source
    if body_note:
        details["body_note"] = body_note
    details.update(extra or {})
    fields: dict[str, Any] = {}
    if body is not None:
        fields = {
            "algorithm": body.algorithm,
            "canonical_request": body.canonical_request,
            "string_to_sign": body.string_to_sign,
            "signature_provided": body.signature_provided,
            "access_key_id": body.access_key_id,
            "credential_scope": body.credential_scope,
            "signed_headers": body.signed_headers,
            "amz_date": body.amz_date,
            "error_code": body.error_code,
            "error_message": body.error_message,
        }
    if fields.get("error_code") is None:
        kind = next((v for k, v in headers if k.lower() == "x-amzn-errortype"), None)
        if kind:
            fields["error_code"] = error_code_of(kind)
    fields = {k: v for k, v in fields.items() if v is not None}
    return Observation(
        source=source,
        party="server",
        status=status,
        response_headers=tuple(headers),
        details=details,
        where=where,
        logged_at=logged_at,
        exchange=exchange,
        attempt=attempt,
        **fields,
    )

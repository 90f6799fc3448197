"""S3-style ``<Error>`` bodies (AWS, MinIO, Ceph RGW, s3rver, moto, ministack, ...): what the
server computed. DOCTYPE/ENTITY declarations are refused before any parsing, so no entity is
ever expanded; the ``*Bytes`` hex fields win over the text, which XML parsing and copy-paste
may have reformatted."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from sigkit.debug.model import Observation
from sigkit.debug.sources_common import (
    algorithm_of,
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
_KNOWN = {
    "Code": "error_code",
    "Message": "error_message",
    "AWSAccessKeyId": "access_key_id",
    "SignatureProvided": "signature_provided",
}


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def read_s3_error(data: bytes, *, name: str = "input") -> list[Observation]:
    """Every ``<Error>`` document in `data`, in order; noise around them is skipped."""
    text = decode_text(data, name)
    return read_s3_error_text(text, name=name)


def read_s3_error_text(text: str, *, name: str = "input", line_base: int = 0) -> list[Observation]:
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
            raise InputError(f"{name} line {line}", "<Error> element is truncated (no </Error>)")
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
    sts = fields.get("string_to_sign")
    if sts is not None:
        fields["algorithm"] = algorithm_of(sts)
    fields = merge(fields, sts_fields(sts))
    sh = signed_headers_of(fields.get("canonical_request"))
    if sh is not None:
        fields["signed_headers"] = sh
    fields = {k: v for k, v in fields.items() if v is not None}
    return Observation(
        source="s3-error",
        party="server",
        details=details,
        where=f"<Error> at line {line}",
        **fields,
    )

"""curl ``-v``, ``--trace-ascii`` and ``--trace`` output: the request head curl really sent and,
from curl 8.14 on, its ``aws_sigv4:`` canonical request, string to sign and signature.

``--trace-ascii`` cuts each header line into 64-byte pieces with hex offsets and drops CRLF;
the offsets say which pieces belong together, so the head is re-joined from them exactly."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from sigkit.debug.model import Observation
from sigkit.debug.sources_common import (
    algorithm_of,
    check_canonical_request,
    check_string_to_sign,
    decode_text,
    merge,
    request_fields,
    signed_headers_of,
    sts_fields,
)
from sigkit.errors import InputError
from sigkit.http import parse_request_text

_TIME = r"(?:\d\d:\d\d:\d\d\.\d{6} )?"
_PREFIX = re.compile(rf"{_TIME}(?:\* |\*\Z|> |>\Z|< |<\Z|\{{ |\}} |== Info: |=> |<= )")
_INFO = re.compile(rf"{_TIME}(?:\* |== Info: )(?P<msg>.*)\Z", re.DOTALL)
_SIGV4 = re.compile(
    r"aws_sigv4: (?P<what>Canonical request|String to sign) "
    r"\(enclosed in \[\]\) - \[(?P<rest>.*)\Z",
    re.DOTALL,
)
_SIGNATURE = re.compile(r"aws_sigv4: Signature - (?P<sig>[0-9a-f]+)\s*\Z")
_SEND_HEADER = re.compile(rf"{_TIME}=> Send header, (?P<n>\d+) bytes")
_OFFSET_ASCII = re.compile(r"(?P<off>[0-9a-f]{4,}): (?P<data>.*)\Z", re.DOTALL)
_OFFSET_HEX = re.compile(r"(?P<off>[0-9a-f]{4,}): (?P<hex>(?:[0-9a-f]{2} ){1,16})")
_VERBOSE_REQ = re.compile(r"> [A-Z]+ \S.* HTTP/\d(?:\.\d)?\r?\Z")


def looks_like_curl(text: str) -> bool:
    for line in text.splitlines()[:5000]:
        if _SEND_HEADER.match(line) or _VERBOSE_REQ.match(line) or "aws_sigv4: " in line:
            return True
    return False


def read_curl(data: bytes, *, name: str = "input") -> list[Observation]:
    """Every request head curl sent, in order, each with the aws_sigv4 steps logged before it."""
    text = decode_text(data, name)
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    scheme = "https" if re.search(r"SSL connection using|TLS handshake|ALPN:", text) else "http"
    out: list[Observation] = []
    steps: dict[str, Any] = {}
    steps_line = 0
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        number = i + 1
        info = _INFO.match(line)
        if info and _SIGV4.match(info["msg"]):
            j = i + 1
            while j < len(lines) and not _PREFIX.match(lines[j]):
                j += 1
            block = "\n".join([info["msg"], *lines[i + 1 : j]])
            m = _SIGV4.match(block)
            if m is None:  # cannot happen: the first line already matched
                raise InputError(f"{name} line {number}", "aws_sigv4 block does not parse")
            rest = m["rest"]
            if not rest.endswith("]"):
                raise InputError(f"{name} line {number}", f"aws_sigv4 {m['what']} is truncated")
            value = rest[:-1]
            if m["what"] == "Canonical request":
                check_canonical_request(value, f"{name} line {number}")
                steps, steps_line = {"canonical_request": value}, number
            else:
                check_string_to_sign(value, f"{name} line {number}")
                steps.setdefault("string_to_sign", value)
                steps_line = steps_line or number
            i = j
            continue
        if info:
            sig = _SIGNATURE.match(info["msg"])
            if sig:
                steps["signature"] = sig["sig"]
        if _VERBOSE_REQ.match(line):
            head, i = _verbose_head(lines, i)
            out.append(_observation("curl-verbose", head, scheme, steps, number, name))
            steps, steps_line = {}, 0
            continue
        send = _SEND_HEADER.match(line)
        if send:
            head, i = _trace_head(lines, i + 1, int(send["n"]), name)
            out.append(_observation("curl-trace", head, scheme, steps, number, name))
            steps, steps_line = {}, 0
            continue
        i += 1
    if steps and not out:
        out.append(_observation("curl-verbose", None, scheme, steps, steps_line, name))
    total = len(out)
    return [
        replace(o, where=f"request {k} of {total} in the curl output, {o.where}")
        for k, o in enumerate(out, start=1)
    ]


def _verbose_head(lines: list[str], i: int) -> tuple[bytes, int]:
    """``> `` lines up to the empty ``>`` line; curl printed them with their CRLF."""
    parts: list[str] = []
    while i < len(lines) and lines[i].startswith(">"):
        body = lines[i][2:] if lines[i].startswith("> ") else lines[i][1:]
        body = body.rstrip("\r")
        i += 1
        if body == "":
            return ("\r\n".join(parts) + "\r\n\r\n").encode("utf-8"), i
        parts.append(body)
    return ("\r\n".join(parts) + "\r\n\r\n").encode("utf-8"), i


def _trace_head(lines: list[str], i: int, size: int, name: str) -> tuple[bytes, int]:
    """Re-join ``--trace-ascii`` pieces (gap 0: wrapped, 1: LF, 2: CRLF) or ``--trace`` hex."""
    pieces: list[tuple[int, str, int]] = []
    hexed = bytearray()
    is_hex = None
    while i < len(lines):
        raw = lines[i].rstrip("\r") if is_hex else lines[i]
        mh = _OFFSET_HEX.match(raw)
        ma = _OFFSET_ASCII.match(raw)
        if is_hex is None and ma:
            is_hex = bool(mh) and len(raw) > 6 + 16 * 3  # hex rows carry an ASCII column too
        if is_hex and mh:
            hexed += bytes.fromhex(mh["hex"])
        elif not is_hex and ma:
            pieces.append((int(ma["off"], 16), ma["data"], i + 1))
        else:
            break
        i += 1
    if is_hex:
        if len(hexed) != size:
            raise InputError(f"{name} line {i}", f"trace holds {len(hexed)} of {size} header bytes")
        return bytes(hexed), i
    out = bytearray()
    for k, (offset, data, number) in enumerate(pieces):
        chunk = data.encode("latin-1", "replace")
        nxt = pieces[k + 1][0] if k + 1 < len(pieces) else size
        if offset != len(out):
            raise InputError(f"{name} line {number}", f"trace offset {offset:04x} out of sequence")
        gap = nxt - offset - len(chunk)
        if gap not in (0, 1, 2):
            raise InputError(f"{name} line {number}", "trace-ascii header is truncated or garbled")
        out += chunk + (b"", b"\n", b"\r\n")[gap]
    if len(out) != size:
        raise InputError(f"{name} line {i}", f"trace holds {len(out)} of {size} header bytes")
    return bytes(out), i


def _observation(
    source: str, head: bytes | None, scheme: str, steps: dict[str, Any], line: int, name: str
) -> Observation:
    fields: dict[str, Any] = dict(steps)
    details: dict[str, str] = {}
    if head is not None:
        try:
            request = parse_request_text(head, source=f"{name} line {line}")
        except InputError as exc:
            raise InputError(exc.field, exc.message) from None
        request = replace(request, scheme=scheme)
        fields["request"] = request
        fields = merge(fields, request_fields(request))
    sts = fields.get("string_to_sign")
    if sts is not None:
        fields["algorithm"] = algorithm_of(sts) or fields.get("algorithm")
    fields = merge(fields, sts_fields(sts))
    fields = merge(fields, {"signed_headers": signed_headers_of(fields.get("canonical_request"))})
    fields = {k: v for k, v in fields.items() if v is not None}
    return Observation(
        source=source, party="client", details=details, where=f"line {line}", **fields
    )

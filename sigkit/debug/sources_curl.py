"""curl ``-v``, ``--trace-ascii`` and ``--trace`` output: the request head curl really sent and,
from curl 8.14 on, its ``aws_sigv4:`` canonical request, string to sign and signature.

``--trace-ascii`` cuts each header line into 64-byte pieces with hex offsets and drops CRLF;
the offsets say which pieces belong together, so the head is re-joined from them exactly."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from sigkit.debug.integrity import framing_of
from sigkit.debug.model import Observation
from sigkit.debug.sources_common import (
    STATUS_LINE,
    algorithm_of,
    check_canonical_request,
    check_string_to_sign,
    decode_text,
    header_lines,
    merge,
    request_fields,
    signed_headers_of,
    sts_fields,
)
from sigkit.debug.sources_xml import answer, read_body
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
_VERBOSE_STATUS = re.compile(r"< HTTP/\d(?:\.\d)? (?P<status>\d{3})(?: (?P<reason>.*))?\Z")
_RECV = re.compile(rf"{_TIME}<= Recv (?P<what>header|data), (?P<n>\d+) bytes")
_TIME_ONLY = re.compile(r"(\d\d:\d\d:\d\d\.\d{6}) ")


def looks_like_curl(text: str) -> bool:
    for line in text.splitlines()[:5000]:
        verbose = _VERBOSE_REQ.match(_split_time(line)[1])
        if _SEND_HEADER.match(line) or verbose or "aws_sigv4: " in line:
            return True
    return False


@dataclass
class _Response:
    """One response as curl showed it: head from ``< `` lines or ``<= Recv header`` events,
    body from ``<= Recv data`` events or from stdout saved in the same file."""

    line: int
    at: str | None
    exchange: int | None
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    head_done: bool = False
    data: bytearray = field(default_factory=bytearray)
    data_ascii: bool = False  # --trace-ascii: LF and non-ASCII bytes shown as "."
    data_note: str | None = None
    loose: list[tuple[int, str]] = field(default_factory=list)  # stdout lines after the head


def _split_time(line: str) -> tuple[str | None, str]:
    """``--trace-time`` puts ``HH:MM:SS.ffffff `` before every prefixed line."""
    m = _TIME_ONLY.match(line)
    if m and _PREFIX.match(line[m.end() :]):
        return m[1], line[m.end() :]
    return None, line


def read_curl(data: bytes, *, name: str = "input") -> list[Observation]:
    """Every request head curl sent, in order, each with the aws_sigv4 steps logged before it,
    and after it the response curl received (status, headers, body when the output has it)."""
    text = decode_text(data, name)
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    split = [_split_time(line) for line in lines]
    times = [t for t, _ in split]
    plain = [p for _, p in split]
    scheme = "https" if re.search(r"SSL connection using|TLS handshake|ALPN:", text) else "http"
    items: list[Observation | _Response] = []
    requests = 0
    response: _Response | None = None
    skip_interim = False
    steps: dict[str, Any] = {}
    steps_line = 0
    i = 0
    while i < len(lines):
        line = plain[i].rstrip("\r")
        number = i + 1
        info = _INFO.match(line)
        if info and _SIGV4.match(info["msg"]):
            j = i + 1
            while j < len(lines) and not _PREFIX.match(plain[j]):
                j += 1
            block = "\n".join([info["msg"], *plain[i + 1 : j]])
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
            head, i = _verbose_head(plain, i)
            requests += 1
            obs = _observation("curl-verbose", head, scheme, steps, number, name)
            items.append(replace(obs, logged_at=times[number - 1], exchange=requests))
            steps, steps_line, response = {}, 0, None
            continue
        send = _SEND_HEADER.match(lines[i])
        if send:
            head, i = _trace_head(lines, i + 1, int(send["n"]), name)
            requests += 1
            obs = _observation("curl-trace", head, scheme, steps, number, name)
            items.append(replace(obs, logged_at=times[number - 1], exchange=requests))
            steps, steps_line, response = {}, 0, None
            continue
        status = _VERBOSE_STATUS.match(line)
        if status:
            j = i + 1
            head_lines: list[str] = []
            while j < len(lines) and plain[j].startswith("<") and plain[j].rstrip() != "<":
                head_lines.append(plain[j][2:].rstrip("\r"))
                j += 1
            code = int(status["status"])
            if code >= 200:
                response = _Response(
                    number, times[i], requests or None, code, status["reason"] or "", head_done=True
                )
                response.headers = header_lines(head_lines, name, number + 1)
                items.append(response)
            i = j + 1
            continue
        recv = _RECV.match(lines[i])
        if recv:
            raw, i, cut = _trace_block(lines, i + 1, int(recv["n"]), name, recv["what"])
            if recv["what"] == "header":
                head_text = raw.decode("latin-1").rstrip("\r\n")
                first = STATUS_LINE.match(head_text)
                if first:
                    code = int(first["status"])
                    skip_interim = code < 200
                    if not skip_interim:
                        response = _Response(
                            number,
                            times[number - 1],
                            requests or None,
                            code,
                            first["reason"] or "",
                        )
                        items.append(response)
                elif head_text == "":
                    if response is not None and not skip_interim:
                        response.head_done = True
                    skip_interim = False
                elif response is not None and not response.head_done and not skip_interim:
                    response.headers += header_lines([head_text], name, number + 1)
            elif response is not None:
                response.data += raw
                response.data_ascii = not _is_hex_row(lines, number)
                if cut:
                    response.data_note = "the traced response body is cut off"
            continue
        if response is not None and not _PREFIX.match(plain[i]):
            response.loose.append((number, plain[i]))
        i += 1
    if steps and not items:
        items.append(_observation("curl-verbose", None, scheme, steps, steps_line, name))
    source = "curl-trace" if any(_SEND_HEADER.match(x) for x in lines[:5000]) else "curl-verbose"
    out: list[Observation] = []
    total = sum(isinstance(item, Observation) for item in items)
    k = 0
    for item in items:
        if isinstance(item, Observation):
            k += 1
            out.append(
                replace(item, where=f"request {k} of {total} in the curl output, {item.where}")
            )
        else:
            out.append(_answer(item, source, total, name))
    return out


def _is_hex_row(lines: list[str], event_line: int) -> bool:
    """Whether the rows after the event at `event_line` (1-based) are ``--trace`` hex rows."""
    if event_line >= len(lines):
        return False
    row = lines[event_line].rstrip("\r")
    return bool(_OFFSET_HEX.match(row)) and len(row) > 6 + 16 * 3


def _trace_block(
    lines: list[str], i: int, size: int, name: str, what: str
) -> tuple[bytes, int, bool]:
    """A received header line or data block; a data block cut off is returned as far as it
    goes (noise), a header line cut off is an error."""
    try:
        raw, j = _trace_head(lines, i, size, name)
        return raw, j, False
    except InputError:
        if what == "header":
            raise
    j = i
    while j < len(lines) and _OFFSET_ASCII.match(lines[j]):
        j += 1
    return b"", j, True


def _answer(resp: _Response, source: str, total: int, name: str) -> Observation:
    """A response as a "server" observation: stdout's copy of the body when the output holds
    one (exact), else the traced bytes (exact for --trace, lossy for --trace-ascii)."""
    body: Observation | None = None
    note: str | None = None
    headers = tuple(resp.headers)
    if resp.loose:
        at = next(
            (
                k
                for k, (_, text) in enumerate(resp.loose)
                if "<Error" in text or text.lstrip().startswith("{")
            ),
            None,
        )
        if at is not None:
            first = resp.loose[at][0]
            text = "\n".join(t for _, t in resp.loose[at:])
            body, note = read_body(text, name=name, line=first, headers=headers)
    if body is None and resp.data:
        decoded = bytes(resp.data).decode("utf-8", "replace")
        body, note = read_body(
            decoded, name=f"{name} (traced body)", line=resp.line, headers=headers
        )
        if body is not None and resp.data_ascii:
            body, note = (
                _lossy(body),
                (
                    "--trace-ascii shows line ends and non-ASCII bytes in the body as '.'; "
                    "signing steps taken from the *Bytes fields only"
                ),
            )
    note = note or resp.data_note
    extra = {"reason": resp.reason} if resp.reason else {}
    framing = _stored_framing(resp) if resp.status and 200 <= resp.status < 300 else None
    if framing is not None:
        extra["StoredFraming"] = framing  # a GET's body holds the upload's aws-chunked framing
    to = f"answer to request {resp.exchange} of {total}" if resp.exchange else "answer"
    return answer(
        source,
        status=resp.status,
        headers=headers,
        body=body,
        body_note=note,
        where=f"{to} in the curl output, line {resp.line}",
        logged_at=resp.at,
        exchange=resp.exchange,
        extra=extra,
    )


def _stored_framing(resp: _Response) -> str | None:
    """aws-chunked framing at the start of the body curl printed (stdout's lines, from one of
    the first few of them) or traced: the object a store kept with its upload's framing."""
    if resp.data and not resp.data_ascii:
        found = framing_of(bytes(resp.data))
        if found is not None:
            return found
    texts = [text for _, text in resp.loose]
    for start in range(min(len(texts), 20)):
        found = framing_of(
            "\n".join(texts[start:]).encode("utf-8", "surrogateescape"), printed=True
        )
        if found is not None:
            return found
    return None


def _lossy(body: Observation) -> Observation:
    """Drop what --trace-ascii may have changed: step texts not taken from ``*Bytes``."""
    details = {k: v for k, v in body.details.items() if not k.endswith(("_mismatch", "_text"))}
    changes: dict[str, Any] = {"details": details}
    if details.get("string_to_sign_from") != "StringToSignBytes":
        changes.update(string_to_sign=None, algorithm=None, amz_date=None, credential_scope=None)
    if details.get("canonical_request_from") != "CanonicalRequestBytes":
        changes.update(canonical_request=None, signed_headers=None)
    return replace(body, **changes)


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
    details.update(fields.pop("details", {}))  # a presigned URL's expiry
    return Observation(
        source=source, party="client", details=details, where=f"line {line}", **fields
    )

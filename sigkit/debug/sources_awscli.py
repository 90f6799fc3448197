"""AWS CLI v1/v2 and botocore ``--debug`` logs: the signing blocks botocore prints and the request
it then sends, paired per thread, one observation per signed request, plus any error body the
log quotes from the server.

A record runs from its ``date - thread - logger - LEVEL - `` prefix to the next prefixed line, so
a block's text is every line in between, joined by LF, exactly as botocore formatted it."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
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
from sigkit.debug.sources_xml import read_s3_error_text
from sigkit.errors import InputError
from sigkit.http import Request

_TS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
# awscli: "date - thread - logger - LEVEL - msg"; boto3.set_stream_logger: "date logger [LEVEL] msg"
_RECORD = re.compile(
    rf"(?:{_TS} - (?P<thread>.*?) - (?P<logger>[\w.]+) - (?P<level>[A-Z]+) - "
    rf"|{_TS} (?P<logger2>[\w.]+) \[(?P<level2>[A-Z]+)\] )(?P<msg>.*)\Z",
    re.DOTALL,
)
_START_LINE = re.compile(rf"{_TS} ")
_BLOCKS = {
    "CanonicalRequest:": "canonical_request",
    "StringToSign:": "string_to_sign",
    "Signature:": "signature",
}


@dataclass
class _Record:
    line: int
    thread: str
    logger: str
    message: str


@dataclass
class _Pending:
    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)


def looks_like_awscli(text: str) -> bool:
    """True when some line is a botocore/awscli debug record."""
    return any(_RECORD.match(line) and "botocore" in line for line in text.splitlines()[:5000])


def _records(text: str) -> list[_Record]:
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    crlf = bool(lines) and all(line.endswith("\r") for line in lines)
    if crlf:  # a log saved with Windows line ends: CRLF is the file's, not botocore's
        lines = [line[:-1] for line in lines]
    records: list[_Record] = []
    for number, line in enumerate(lines, start=1):
        m = _RECORD.match(line) if _START_LINE.match(line) else None
        if m:
            thread = m["thread"] or "MainThread"
            logger = m["logger"] or m["logger2"] or ""
            records.append(_Record(number, thread, logger, m["msg"]))
        elif records:
            records[-1].message += "\n" + line
    return records


def read_awscli_log(data: bytes, *, name: str = "input") -> list[Observation]:
    """One observation per signed request, in log order; a log without signing records or sent
    requests gives []."""
    text = decode_text(data, name)
    records = _records(text)
    pending: dict[str, _Pending] = {}
    out: list[Observation] = []

    def flush(thread: str, request: Request | None = None, line: int = 0) -> None:
        group = pending.pop(thread, None)
        if group is None and request is None:
            return
        fields: dict[str, Any] = dict(group.fields) if group else {}
        details = dict(group.details) if group else {}
        first = group.line if group else line
        if request is not None:
            fields["request"] = request
            fields = merge(fields, request_fields(request))
            if group is None:
                details["signing"] = "no signing records in the log (botocore with awscrt?)"
        sts = fields.get("string_to_sign")
        if sts is not None and fields.get("algorithm") is None:
            fields["algorithm"] = algorithm_of(sts)
        fields = merge(fields, sts_fields(sts))
        fields = merge(
            fields, {"signed_headers": signed_headers_of(fields.get("canonical_request"))}
        )
        fields = {k: v for k, v in fields.items() if v is not None}
        if not any(k in fields for k in ("canonical_request", "string_to_sign", "signature")):
            return  # an unsigned request is nothing to compare
        if thread != "MainThread":
            details["thread"] = thread
        out.append(
            Observation(
                source="awscli-debug",
                party="client",
                details=details,
                where=f"line {first}",
                **fields,
            )
        )

    for index, rec in enumerate(records):
        msg = rec.message
        head, _, body = msg.partition("\n")
        where = f"{name} line {rec.line}"
        if rec.logger == "botocore.auth" and head.startswith("Calculating signature using"):
            flush(rec.thread)
            pending[rec.thread] = _Pending(rec.line, details={"auth": head[28:].rstrip(".")})
        elif rec.logger == "botocore.auth" and head.rstrip() in _BLOCKS:
            key = _BLOCKS[head.rstrip()]
            if key == "canonical_request":
                check_canonical_request(body, where)
            elif key == "string_to_sign":
                check_string_to_sign(body, where)
            else:
                body = body.strip()
                if not re.fullmatch(r"[0-9a-f]{64}", body):
                    raise InputError(where, "Signature block is truncated or garbled")
            group = pending.get(rec.thread)
            if group is None or key in group.fields:
                flush(rec.thread)
                group = pending[rec.thread] = _Pending(rec.line)
            group.fields[key] = body
        elif rec.logger == "botocore.auth" and head.startswith("HTTP request method: "):
            group = pending.setdefault(rec.thread, _Pending(rec.line))
            group.details["method"] = head[21:]
        elif head.startswith("Sending http request: "):
            flush(rec.thread, _sent_request(msg, where), rec.line)
        elif head.startswith("Response body:"):
            flush(rec.thread)
            out.extend(_response_body(body, name, rec.line, records, index))
    for thread in list(pending):
        flush(thread)
    total = len(out)
    return [_renumber(obs, i, total) for i, obs in enumerate(out, start=1)]


def _renumber(obs: Observation, index: int, total: int) -> Observation:
    return replace(obs, where=f"observation {index} of {total} in the log, {obs.where}")


def _sent_request(message: str, where: str) -> Request | None:
    """The ``AWSPreparedRequest`` repr: method, URL and a dict of str/bytes header values."""
    parts = _split_sending(message)
    if parts is None:
        return None  # older botocore printed only <PreparedRequest [GET]>
    method, url, header_repr = parts
    try:
        raw = ast.literal_eval(header_repr)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise InputError(where, "the sent request's headers do not parse (truncated?)") from None
    if not isinstance(raw, dict):
        raise InputError(where, "the sent request's headers are not a dict")
    headers: list[tuple[str, str]] = []
    for key, value in raw.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        headers.append((str(key), str(value)))
    try:
        return Request.from_url(method, url, headers)
    except InputError as exc:
        raise InputError(where, f"sent request: {exc}") from None


def _split_sending(message: str) -> tuple[str, str, str] | None:
    """Cut ``... method=GET, url=URL, headers={...}>`` by position (no backtracking regex:
    the message can be megabytes long)."""
    text = message.rstrip()
    if "<AWSPreparedRequest " not in text or not text.endswith("}>"):
        return None
    at = text.find(" method=")
    if at == -1:
        return None
    method, sep, rest = text[at + 8 :].partition(", url=")
    url, sep2, headers = rest.partition(", headers=")
    if not sep or not sep2 or not method or " " in method or not url or " " in url:
        return None
    return method, url, headers[:-1]


def _response_body(
    body: str, name: str, line: int, records: list[_Record], index: int
) -> list[Observation]:
    """botocore prints the server's answer as a Python bytes repr on the next line."""
    text = body.strip()
    if not text.startswith(("b'", 'b"')):
        return []
    try:
        raw = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return []  # a cut-off body is noise here; the client side is still worth comparing
    if not isinstance(raw, bytes) or b"<Error" not in raw:
        return []
    try:
        xml = raw.decode("utf-8")
    except UnicodeDecodeError:
        return []
    found = read_s3_error_text(xml, name=f"{name} (response body at line {line + 1})")
    return [replace(o, where=f"response body at line {line + 1}") for o in found]

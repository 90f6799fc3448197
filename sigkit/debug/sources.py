"""Readers for everything a user may paste into the debugger: AWS CLI / botocore ``--debug``
logs, S3-style (XML) and JSON error bodies, curl verbose/trace output, raw HTTP request or
response text and presigned URLs. Each returns `Observation`s in source order, the client's
request ("client") and the server's answer ("server") alike; `read_source` picks the reader.

Input is capped (16 MiB) and decoded strictly, and every failure is an `InputError` naming the
source and line, so a bad paste gives one clear line instead of a traceback."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import BinaryIO

from sigkit.debug.integrity import framing_of
from sigkit.debug.model import Observation
from sigkit.debug.sources_awscli import looks_like_awscli, read_awscli_log
from sigkit.debug.sources_common import (
    MAX_INPUT,
    STATUS_LINE,
    decode_text,
    header_lines,
    request_fields,
)
from sigkit.debug.sources_curl import looks_like_curl, read_curl
from sigkit.debug.sources_dumps import looks_like_dump, read_dump
from sigkit.debug.sources_sdk import read_sdk_error
from sigkit.debug.sources_xml import (
    answer,
    decode_hex_bytes,
    read_body,
    read_json_error_text,
    read_s3_error,
)
from sigkit.errors import InputError
from sigkit.http import Request, parse_request_text

__all__ = [
    "HINTS",
    "MAX_INPUT",
    "decode_hex_bytes",
    "detect_format",
    "read_awscli_log",
    "read_bounded",
    "read_curl",
    "read_http_request",
    "read_http_response",
    "read_presigned_url",
    "read_s3_error",
    "read_sdk_error",
    "read_source",
    "read_stored_object",
]

HINTS = ("awscli", "s3-error", "curl", "http", "url", "object", "sdk-error", "dump")
_REQUEST_LINE = re.compile(r"[A-Z]+ \S.* HTTP/\d(?:\.\d)?\r?\Z")


def read_bounded(stream: BinaryIO, *, name: str = "input", limit: int = MAX_INPUT) -> bytes:
    """Read at most `limit` bytes; a larger source is refused rather than loaded whole."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(name, f"input is larger than {limit // (1024 * 1024)} MiB; refused")
    return data


def utf8_of(data: bytes, name: str = "input") -> bytes:
    """`data` as UTF-8: a log Windows PowerShell 5 redirected (`2> log.txt`) is UTF-16 with a
    byte-order mark, and an editor's UTF-8 may start with one."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        if len(data) > 2 * MAX_INPUT:
            limit = MAX_INPUT // (1024 * 1024)
            raise InputError(name, f"input is larger than {limit} MiB; refused")
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeError:  # undecodable, or lone surrogates that UTF-8 cannot hold
            raise InputError(
                name, "not UTF-8 text (a UTF-16 byte-order mark, but not UTF-16 text either)"
            ) from None
    return data[3:] if data[:3] == b"\xef\xbb\xbf" else data


def detect_format(data: bytes, *, name: str = "input") -> str | None:
    """The hint `read_source` would use for `data`, or None for blank input."""
    data = utf8_of(data, name)
    if framing_of(data) is not None:
        return "object"  # a downloaded object that holds aws-chunked framing (binary is fine)
    text = decode_text(data, name)
    stripped = text.strip()
    if not stripped:
        return None
    if looks_like_awscli(text):
        return "awscli"
    if looks_like_dump(text):
        return "dump"
    if looks_like_curl(text):
        return "curl"
    first = stripped.split("\n", 1)[0].rstrip("\r")
    if STATUS_LINE.match(first):
        return "http"  # a raw response: status line, headers, body
    if re.search(r"<Error[\s>]|<\?xml|<!\s*(?:DOCTYPE|ENTITY)", text, re.IGNORECASE):
        return "s3-error"
    if stripped.startswith("{") and read_json_error_text(stripped, name=name) is not None:
        return "s3-error"  # a JSON error body of a non-S3 service
    if stripped.startswith(("http://", "https://")) and "\n" not in stripped:
        return "url"
    if _REQUEST_LINE.match(stripped.split("\n", 1)[0]):
        return "http"
    if read_sdk_error(text, name=name) is not None:
        return "sdk-error"  # the line a program logged: An error occurred (Code) ...
    raise InputError(
        name,
        "unrecognised format; expected an AWS CLI --debug log, an S3 (XML) or JSON error body, "
        "curl -v/--trace-ascii output, a raw HTTP request or response or a presigned URL "
        "(or pass a hint)",
    )


def read_source(data: bytes, *, hint: str | None = None, name: str = "input") -> list[Observation]:
    """Every observation in `data`, in order; [] when it holds nothing to compare."""
    if hint is not None and hint not in HINTS:
        raise InputError("hint", f"{hint!r} is not one of {', '.join(HINTS)}")
    data = utf8_of(data, name)
    fmt = hint or detect_format(data, name=name)
    if fmt is None:
        return []
    if fmt == "object":
        return [read_stored_object(data, name=name)]
    if fmt == "sdk-error":
        found = read_sdk_error(decode_text(data, name), name=name)
        if found is None:
            raise InputError(name, "holds no SDK error line (An error occurred (Code) ...)")
        return [found]
    if fmt == "awscli":
        return read_awscli_log(data, name=name)
    if fmt == "dump":
        return read_dump(decode_text(data, name), name=name)
    if fmt in ("s3-error", "http") and _starts_with_status(data):
        return [read_http_response(data, name=name)]
    if fmt == "s3-error":
        return read_s3_error(data, name=name)
    if fmt == "curl":
        return _with_error_line(read_curl(data, name=name), data, name)
    if fmt == "http":
        return [read_http_request(data, name=name)]
    return [read_presigned_url(data, name=name)]


def _with_error_line(found: list[Observation], data: bytes, name: str) -> list[Observation]:
    """A transcript whose answer shows no error code (curl -v without the body, Cyberduck's
    log) and the program's error line pasted after it: that line is the answer's words."""
    if any(o.party == "server" and o.error_code for o in found):
        return found
    line = read_sdk_error(decode_text(data, name), name=name)
    if line is None:
        return found
    exchanges = [o.exchange for o in found if o.exchange is not None]
    return [*found, replace(line, exchange=exchanges[-1] if exchanges else None)]


def read_http_request(data: bytes, *, name: str = "input") -> Observation:
    """Raw request text (request line, headers, blank line, body) as sent by the client."""
    if len(data) > MAX_INPUT:
        raise InputError(name, f"input is larger than {MAX_INPUT // (1024 * 1024)} MiB; refused")
    request = parse_request_text(data, source=name)
    details: dict[str, str] = {}
    body = request.body if isinstance(request.body, bytes) else None
    if body:
        # A saved capture often ends in a line break an editor or `echo` added: a server reads
        # Content-Length bytes, and with no length and no chunking there is no body at all.
        length = (request.header("content-length") or "").strip()
        chunked = request.header("transfer-encoding") is not None
        if length.isdigit() and len(body) > int(length):
            request = request.with_body(body[: int(length)] or None)
            details["body"] = f"cut to Content-Length {length} (the capture had {len(body)} bytes)"
        elif not length and not chunked and not body.strip(b"\r\n"):
            request = request.with_body(None)
            details["body"] = "trailing line breaks after the head, with no Content-Length: no body"
    obs = _client("raw-http", request, "line 1")
    return replace(obs, details={**obs.details, **details}) if details else obs


def read_stored_object(data: bytes, *, name: str = "input") -> Observation:
    """An object as a store returned it (a downloaded file, a GET's body): whether it holds the
    aws-chunked framing of the upload that wrote it (`integrity.framing_of`)."""
    framing = framing_of(data)
    if framing is None:
        raise InputError(name, "does not begin with an aws-chunked chunk line")
    return Observation(
        source="stored-object",
        party="server",
        status=200,
        details={"StoredFraming": framing, "size": str(len(data))},
        where=f"{name}, {len(data)} bytes",
    )


def _starts_with_status(data: bytes) -> bool:
    first = data.lstrip()[:200].split(b"\n", 1)[0].rstrip(b"\r")
    return STATUS_LINE.match(first.decode("latin-1")) is not None


def read_http_response(data: bytes, *, name: str = "input") -> Observation:
    """Raw response text (``curl -i``, a proxy's capture): status line, headers, blank line and
    the body, read as what the server answered. Interim 1xx heads before it are skipped."""
    text = decode_text(data, name)
    lead = len(text) - len(text.lstrip())
    line = text.count("\n", 0, lead) + 1
    rest = text[lead:]
    while True:
        head, sep, body = _split_head(rest)
        lines = head.split("\n")
        m = STATUS_LINE.match(lines[0])
        if m is None:
            raise InputError(f"{name} line {line}", "expected a status line (HTTP/1.1 403 ...)")
        status = int(m["status"])
        if not (100 <= status < 200 and sep and STATUS_LINE.match(body.split("\n", 1)[0].rstrip())):
            break
        line += head.count("\n") + 2
        rest = body
    headers = header_lines(lines[1:], name, line + 1)
    body_line = line + len(lines) + 1
    found, note = read_body(body, name=name, line=body_line, headers=headers)
    extra = {"reason": m["reason"]} if m["reason"] else {}
    printed = body.encode("utf-8", "surrogateescape")
    framing = (
        framing_of(printed) or framing_of(printed, printed=True) if 200 <= status < 300 else None
    )
    if framing is not None:
        extra["StoredFraming"] = framing  # a GET's body: the object holds the upload's framing
    return answer(
        "raw-http",
        status=status,
        headers=headers,
        body=found,
        body_note=note,
        where=f"response at line {line}",
        extra=extra,
    )


def _split_head(text: str) -> tuple[str, str, str]:
    """Head and body at the first empty line (CRLF or LF); the head's line ends made LF."""
    crlf = text.find("\r\n\r\n")
    lf = text.find("\n\n")
    if crlf != -1 and (lf == -1 or crlf < lf):
        head, body, sep = text[:crlf], text[crlf + 4 :], "\r\n\r\n"
    elif lf != -1:
        head, body, sep = text[:lf], text[lf + 2 :], "\n\n"
    else:
        head, body, sep = text, "", ""
    return head.replace("\r\n", "\n").rstrip("\r"), sep, body


def read_presigned_url(data: bytes, *, name: str = "input", method: str = "GET") -> Observation:
    """A presigned URL: the signature and scope sit in its query."""
    url = decode_text(data, name).strip()
    try:
        request = Request.from_url(method, url)
    except InputError as exc:
        raise InputError(f"{name}: {exc.field}", exc.message) from None
    return _client("url", request, "the URL")


def _client(source: str, request: Request, where: str) -> Observation:
    fields = request_fields(request)
    return Observation(source=source, party="client", request=request, where=where, **fields)

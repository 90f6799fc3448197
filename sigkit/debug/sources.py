"""Readers for everything a user may paste into the debugger: AWS CLI / botocore ``--debug``
logs, S3-style error bodies, curl verbose/trace output, raw HTTP request text and presigned
URLs. Each returns `Observation`s in source order; `read_source` picks the reader.

Input is capped (16 MiB) and decoded strictly, and every failure is an `InputError` naming the
source and line, so a bad paste gives one clear line instead of a traceback."""

from __future__ import annotations

import re
from typing import BinaryIO

from sigkit.debug.model import Observation
from sigkit.debug.sources_awscli import looks_like_awscli, read_awscli_log
from sigkit.debug.sources_common import MAX_INPUT, decode_text, request_fields
from sigkit.debug.sources_curl import looks_like_curl, read_curl
from sigkit.debug.sources_xml import decode_hex_bytes, read_s3_error
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
    "read_presigned_url",
    "read_s3_error",
    "read_source",
]

HINTS = ("awscli", "s3-error", "curl", "http", "url")
_REQUEST_LINE = re.compile(r"[A-Z]+ \S.* HTTP/\d(?:\.\d)?\r?\Z")


def read_bounded(stream: BinaryIO, *, name: str = "input", limit: int = MAX_INPUT) -> bytes:
    """Read at most `limit` bytes; a larger source is refused rather than loaded whole."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(name, f"input is larger than {limit // (1024 * 1024)} MiB; refused")
    return data


def detect_format(data: bytes, *, name: str = "input") -> str | None:
    """The hint `read_source` would use for `data`, or None for blank input."""
    text = decode_text(data, name)
    stripped = text.strip()
    if not stripped:
        return None
    if looks_like_awscli(text):
        return "awscli"
    if looks_like_curl(text):
        return "curl"
    if re.search(r"<Error[\s>]|<\?xml|<!\s*(?:DOCTYPE|ENTITY)", text, re.IGNORECASE):
        return "s3-error"
    if stripped.startswith(("http://", "https://")) and "\n" not in stripped:
        return "url"
    if _REQUEST_LINE.match(stripped.split("\n", 1)[0]):
        return "http"
    raise InputError(
        name,
        "unrecognised format; expected an AWS CLI --debug log, an S3 error body, curl -v/"
        "--trace-ascii output, a raw HTTP request or a presigned URL (or pass a hint)",
    )


def read_source(data: bytes, *, hint: str | None = None, name: str = "input") -> list[Observation]:
    """Every observation in `data`, in order; [] when it holds nothing to compare."""
    if hint is not None and hint not in HINTS:
        raise InputError("hint", f"{hint!r} is not one of {', '.join(HINTS)}")
    fmt = hint or detect_format(data, name=name)
    if fmt is None:
        return []
    if fmt == "awscli":
        return read_awscli_log(data, name=name)
    if fmt == "s3-error":
        return read_s3_error(data, name=name)
    if fmt == "curl":
        return read_curl(data, name=name)
    if fmt == "http":
        return [read_http_request(data, name=name)]
    return [read_presigned_url(data, name=name)]


def read_http_request(data: bytes, *, name: str = "input") -> Observation:
    """Raw request text (request line, headers, blank line, body) as sent by the client."""
    if len(data) > MAX_INPUT:
        raise InputError(name, f"input is larger than {MAX_INPUT // (1024 * 1024)} MiB; refused")
    request = parse_request_text(data, source=name)
    return _client("raw-http", request, "line 1")


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

"""HTTP dumps clients log: rclone's ``-vv --dump headers`` (or ``bodies``), the AWS SDK for Go
v2's ``ClientLogMode`` (LogRequest/LogResponse, with or without bodies) and Apache HttpClient's
wire log (the AWS SDK for Java's default HTTP client: ``org.apache.http.wire``): the requests
sent and the answers.

rclone logs each exchange between separator lines, the request and the response as Go's
httputil dumps them, the first line behind its log prefix::

    2025/01/22 09:14:03 DEBUG : HTTP REQUEST (req 0xc000a1e000)
    2025/01/22 09:14:03 DEBUG : PUT /bucket/key?x-id=PutObject HTTP/1.1
    Host: …
    2025/01/22 09:14:03 DEBUG : >>>>>>>>>>>>…

Its Authorization header is redacted ("XXXX") unless ``--dump auth``: the signature cannot be
checked, but the headers (the checksum era's traits) and the User-Agent are what the causes read.
The Go SDK logs ``SDK 2025/01/20 12:00:00 DEBUG Request`` (or ``Response``) and the dump on the
lines after it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sigkit.debug.model import Observation

_PREFIX = r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Z]+\s*: "
_MARK = re.compile(rf"^{_PREFIX}HTTP (?P<kind>REQUEST|RESPONSE) \(req (?P<id>0x[0-9a-f]+)\)\s*$")
_LINE = re.compile(rf"^{_PREFIX}")
_SEPARATOR = re.compile(rf"^{_PREFIX}(?:>{{10,}}|<{{10,}})\s*$")
_GO_MARK = re.compile(
    r"^SDK \d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Z]+ (?P<kind>Request|Response)\s*$"
)


# org.apache.http.wire - http-outgoing-0 >> "PUT /k HTTP/1.1[\r][\n]"
_WIRE = re.compile(r'\bhttp-outgoing-(?P<conn>\d+) (?P<dir>>>|<<) "(?P<data>.*)"\s*$')
_WIRE_ESCAPE = re.compile(r"\[(\\r|\\n|\\t|0x[0-9a-fA-F]{1,2})\]")


def looks_like_dump(text: str) -> bool:
    return any(
        _MARK.match(line) or _GO_MARK.match(line) or _WIRE.search(line)
        for line in text.splitlines()[:5000]
    )


def _unwire(data: str) -> bytes:
    """Apache's wire text: [\\r] [\\n] [\\t] and [0xNN] stand for those bytes."""

    def one(m: re.Match[str]) -> str:
        token = m[1]
        named = {"\\r": "\r", "\\n": "\n", "\\t": "\t"}
        return named[token] if token in named else chr(int(token[2:], 16))

    return _WIRE_ESCAPE.sub(one, data).encode("latin-1", "replace")


def read_wire_log(text: str, *, name: str = "input") -> list[Observation]:
    """Apache HttpClient's wire log: per connection, each run of ``>>`` lines a request and the
    run of ``<<`` lines after it the answer."""
    from sigkit.debug.sources import read_http_request, read_http_response

    runs: list[tuple[str, str, bytes, int]] = []  # (connection, direction, bytes, first line)
    for number, line in enumerate(text.splitlines(), 1):
        m = _WIRE.search(line)
        if m is None:
            continue
        conn, direction = m["conn"], m["dir"]
        last = next((i for i in range(len(runs) - 1, -1, -1) if runs[i][0] == conn), None)
        if last is not None and runs[last][1] == direction:
            c, d, data, first = runs[last]
            runs[last] = (c, d, data + _unwire(m["data"]), first)
        else:
            runs.append((conn, direction, _unwire(m["data"]), number))
    out: list[Observation] = []
    exchanges: dict[str, int] = {}
    count = 0
    for conn, direction, data, first in runs:
        where = f"{name} line {first}"
        if direction == ">>":
            count += 1
            exchanges[conn] = count
            obs = read_http_request(data, name=where)
        else:
            obs = read_http_response(data, name=where)
        exchange = exchanges.get(conn, count or 1)
        out.append(replace(obs, exchange=exchange, where=f"wire log, {where}"))
    return out


def _marker(line: str) -> tuple[str, str | None] | None:
    """("REQUEST"/"RESPONSE", rclone's request id or None for the Go SDK's), or None."""
    mark = _MARK.match(line)
    if mark is not None:
        return mark["kind"], mark["id"]
    go = _GO_MARK.match(line)
    return (go["kind"].upper(), None) if go is not None else None


_WHO = {False: "rclone dump", True: "Go SDK log"}


def read_dump(text: str, *, name: str = "input") -> list[Observation]:
    """Each dumped request (a client observation) and response (the server's answer to it)."""
    from sigkit.debug.sources import read_http_request, read_http_response

    if not any(_MARK.match(line) or _GO_MARK.match(line) for line in text.splitlines()[:5000]):
        return read_wire_log(text, name=name)

    lines = text.splitlines()
    out: list[Observation] = []
    ids: dict[str, int] = {}
    i = 0
    requests = 0
    while i < len(lines):
        mark = _marker(lines[i])
        if mark is None:
            i += 1
            continue
        kind, req_id = mark
        start = i + 1
        end = start
        while end < len(lines) and not _SEPARATOR.match(lines[end]) and not _marker(lines[end]):
            end += 1
        block = lines[start:end]
        if block:
            block[0] = _LINE.sub("", block[0], count=1)
        while block and not block[-1].strip() and kind == "RESPONSE":
            block.pop()
        data = "\r\n".join(line.rstrip("\r") for line in block).encode("utf-8", "surrogateescape")
        where = f"{name} line {start + 1}"
        if kind == "REQUEST":
            requests += 1
        exchange = ids.setdefault(req_id, len(ids) + 1) if req_id else max(requests, 1)
        if data.strip():
            if kind == "REQUEST":
                obs = read_http_request(data + b"\r\n", name=where)
            else:
                obs = read_http_response(data, name=where)
            out.append(replace(obs, exchange=exchange, where=f"{_WHO[req_id is None]}, {where}"))
        i = end
    return out

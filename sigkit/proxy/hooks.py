"""What the proxy's serving core shows to the parts that judge or change a request.

The server (`sigkit.proxy.server`) moves bytes; two hooks plug into it:

- a `Transformer` runs before a request is forwarded: it may replace the head and the body
  stream (re-signing), or refuse the request with `Refuse` (a client-key check);
- an `Observer` runs after each exchange, in a worker thread, with what was sent and what the
  store answered (diagnosis, logging). It never delays serving; what it raises is logged, never
  passed to the server.

The values are plain data, kept as the wire had them: header order, case and duplicates, the
request target as its bytes decoded latin-1 (no re-encoding).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol
from xml.sax.saxutils import escape

Headers = tuple[tuple[str, str], ...]

# How much of each body is kept for diagnosis (the rest is streamed and only hashed/counted).
PREFIX_LIMIT = 64 * 1024


@dataclass(frozen=True)
class RequestHead:
    """A request's first line and headers, as received (or as to be sent upstream).

    `target` is the request target as sent, decoded latin-1 so that every byte round-trips,
    in origin form (``/b/k?x=1``): a forward proxy's absolute-form target
    (``http://host/b/k``) is reduced to the origin form it is sent on with. `authority` is the
    upstream ``host[:port]`` the request goes to and `scheme` how (``http``/``https``)."""

    method: str
    target: str
    headers: Headers
    scheme: str
    authority: str

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


@dataclass
class BodyInfo:
    """The request body as it went through: length, SHA-256 (hex) computed while streaming,
    and its first `PREFIX_LIMIT` bytes."""

    length: int = 0
    sha256: str = ""
    prefix: bytes = b""


@dataclass(frozen=True)
class AnswerHead:
    """The upstream's status line and headers as received (or the proxy's own answer)."""

    status: int
    reason: str
    headers: Headers

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


@dataclass
class Exchange:
    """One request and what came of it.

    `request` is the head as the client sent it; `forwarded` the head sent upstream (differs
    from `request` only when a Transformer changed it; None when nothing was sent). `answer` is
    the answer the client got: the upstream's, or the proxy's own (502/504 with `error` set, or
    a `Refuse`, with `refused` set). `answer_body_prefix` holds its first `PREFIX_LIMIT` bytes
    (decoded of any chunked coding; content coding such as gzip is left as is).
    `started` is the wall-clock time (epoch seconds) the request head arrived; `elapsed` the
    seconds until the answer was sent whole."""

    request: RequestHead
    body: BodyInfo
    answer: AnswerHead | None
    answer_body_prefix: bytes = b""
    error: str | None = None
    started: float = 0.0
    elapsed: float = 0.0
    forwarded: RequestHead | None = None
    answer_body_length: int = 0
    refused: bool = False
    client: str = ""
    notes: list[str] = field(default_factory=list)


class Observer(Protocol):
    """Called once per exchange, after the answer was sent, in a worker thread."""

    def observe(self, exchange: Exchange) -> None:
        """Look at one finished exchange (log it, diagnose it). Must not block for long."""


class Transformer(Protocol):
    """Called before a request is forwarded, on the server's event loop."""

    async def transform(
        self, head: RequestHead, body: AsyncIterator[bytes], length: int | None
    ) -> tuple[RequestHead, AsyncIterator[bytes], int | None]:
        """The head to send upstream, the body stream and its length (None: sent chunked).

        `length` is the client's Content-Length (None when the body comes chunked). The head
        returned is sent as is: its framing headers (Content-Length, Transfer-Encoding) must
        agree with the length returned; the server sets them when they are absent. Raise
        `Refuse` to answer the client without forwarding."""
        ...


class Refuse(Exception):
    """Answer the client directly, in S3's error shape, instead of forwarding the request."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def xml(self) -> bytes:
        """The S3-style error body."""
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(self.code)}</Code><Message>{escape(self.message)}</Message>"
            "</Error>\n"
        ).encode()

"""`SigV4Middleware` for aiohttp 3.12+ clients:
``aiohttp.ClientSession(middlewares=[SigV4Middleware("s3", "us-east-1")])``.

A client middleware sees the request once aiohttp has built it (headers, Host, body and its
Content-Length), and every call through it is signed at that moment: a retrying middleware
listed *before* this one has each attempt signed again; a middleware listed *after* it that
changes a signed header breaks the signature (``debug=True`` names it ``header-changed``).
aiohttp adds ``Content-Type: application/octet-stream`` to a body sent without one after the
middlewares ran; this middleware sets that same header first, so it is signed.

Bodies: bytes are hashed; a file (``data=open(...)``) is hashed by reading it once and seeking
back, then aiohttp streams it; any other payload (an async generator, a stream reader) is
spooled (hashed while copied to a temporary file) unless ``payload="unsigned"``. An
aws-chunked body is encoded while it is sent, from bytes, a file or the spool.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from sigkit.errors import InputError
from sigkit.integrations._optional import missing

try:
    import aiohttp as _aiohttp
    from aiohttp import payload as _payload
    from yarl import URL
except ImportError:  # pragma: no cover - the extra is installed for the tests
    raise missing("aiohttp", "aiohttp") from None

from sigkit.integrations._adapter import AdapterBase
from sigkit.integrations._refusal import SigningRefused as _Refused
from sigkit.integrations._refusal import request_of
from sigkit.integrations._signing import READ_PIECE, Signed, Spool, seekable

__all__ = ["SigV4Middleware", "SigningRefused"]


class SigningRefused(_Refused, _aiohttp.ClientResponseError):
    """The server refused the signed request (an `aiohttp.ClientResponseError`), with sigkit's
    diagnosis (`report`, `cause`, `evidence`, `fix`)."""


class _Body(_payload.Payload):
    """A body of known length written in pieces: a spooled file or an aws-chunked body."""

    def __init__(
        self, source: IO[bytes] | Iterable[bytes], length: int, replaced: Any = None
    ) -> None:
        super().__init__(source, content_type="application/octet-stream")
        self._size = length
        self._replaced = replaced  # the payload read from, closed once this one is sent
        self.encoded = replaced is not None  # an aws-chunked encoding: written once only

    def _pieces(self) -> Iterable[bytes]:
        source = self._value
        if hasattr(source, "seek"):
            source.seek(0)
            return iter(lambda: source.read(READ_PIECE), b"")
        return source  # type: ignore[no-any-return]

    async def write(self, writer: Any) -> None:
        for piece in self._pieces():
            await writer.write(piece)
        if self._replaced is not None:
            await self._replaced.close()

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("a streamed body is not decoded")


class _SpoolWriter:
    """Takes what a payload writes, into a `Spool`."""

    def __init__(self) -> None:
        self.spool = Spool()

    async def write(self, chunk: bytes, *args: Any, **kwargs: Any) -> None:
        self.spool.add(chunk)

    async def drain(self) -> None:
        return None

    async def write_eof(self, chunk: bytes = b"") -> None:
        if chunk:
            self.spool.add(chunk)


def _url(url: Any) -> str:
    return str(url.with_fragment(None))


def _body_of(body: Any) -> tuple[Any, bool]:
    """The body as sigkit signs it (bytes, a seekable file, or the payload itself) and
    whether it must be spooled to be read."""
    if not body:
        return None, False
    value = getattr(body, "_value", None)
    if isinstance(body, _payload.BytesPayload) and isinstance(value, bytes | bytearray):
        return bytes(value), False
    if isinstance(body, _payload.IOBasePayload) and seekable(value):
        return value, False
    return body, True


class SigV4Middleware(AdapterBase):
    """Sign every request with sigkit: SigV4 (any service and region), SigV4A or S3 V2.

    The same options as `sigkit.integrations.requests.SigV4Auth`; see docs/integrations.md."""

    async def __call__(self, req: Any, handler: Any) -> Any:
        saved = getattr(req, _UNSIGNED, None)
        if saved is None:
            setattr(req, _UNSIGNED, (req.url, req.headers.copy()))
        else:  # sent again (a retrying middleware before this one): signed afresh
            if isinstance(req.body, _Body) and req.body.encoded:
                # its encoder and source were read by the first send: encoding the encoding
                # would store the chunk framing as the object's data
                raise InputError(
                    "aiohttp",
                    "an aws-chunked request cannot be sent again by a middleware; retry "
                    "with a new request (session.put(...)) or use payload='hashed'",
                )
            req.url, headers = saved
            req.headers = headers.copy()
        signed = await self._sign(req)
        response = await handler(req)
        if self.debug and response.status in (400, 403):
            await self._check(req, response, signed)
        return response

    async def _sign(self, req: Any) -> Signed:
        if (
            req.method in req.POST_METHODS
            and "Content-Type" not in req.headers
            and "Content-Type" not in req.skip_auto_headers
        ):
            req.headers["Content-Type"] = "application/octet-stream"  # as aiohttp sends it
        body, stream = _body_of(req.body)
        length = None
        spooled_hash = None
        sent = req.headers.get("Content-Length")
        if sent is not None and sent.isdigit():
            length = int(sent)
        # aws-chunked reads its source synchronously: an async payload is spooled first
        chunked = self.signer.payload == "chunked"
        spool = stream and (chunked or self.signer.must_spool(False, length))
        if spool:
            writer = _SpoolWriter()
            await req.body.write(writer)
            body, length, spooled_hash = writer.spool.done()
            await _set_body(req, _Body(body, length), close_old=True)
        signed = self.signer.sign(
            req.method,
            _url(req.url),
            list(req.headers.items()),
            body,
            length=length,
            payload_hash=spooled_hash,
        )
        if signed.url is not None:
            req.url = URL(signed.url, encoded=True)
        if signed.body is not None:
            assert signed.length is not None
            # aws-chunked reads the old payload's file as it sends: closed after, not now
            await _set_body(req, _Body(signed.body, signed.length, req.body or None))
        for name, value in signed.headers:
            if name != "Host" or "Host" not in req.headers:
                req.headers[name] = value
        return signed

    async def _check(self, req: Any, response: Any, signed: Signed) -> None:
        content = await response.read()
        info = response.request_info
        body = req.body
        sent_body = bytes(body._value) if isinstance(body, _payload.BytesPayload) else None
        found = self.refusal(
            signed,
            response.status,
            list(response.headers.items()),
            content,
            request_of(info.method, _url(info.url), list(info.headers.items()), sent_body),
        )
        if found is None:
            return
        message, report, code = found
        error = SigningRefused(
            info,
            response.history,
            status=response.status,
            message=message,
            headers=response.headers,
        )
        self.raise_refused(error, signed, report, response.status, code)


_UNSIGNED = "_sigkit_unsigned"  # the request's URL and headers before signing


async def _set_body(req: Any, body: _Body, *, close_old: bool = False) -> None:
    """Send `body` with its Content-Length instead. `update_body` closes the payload it
    replaces; unless `close_old`, it is detached first (the new body still reads it)."""
    req.chunked = None  # a known length: sent with Content-Length, not chunked
    req.headers.pop("Transfer-Encoding", None)
    if not close_old:
        req._body = None
    await req.update_body(body)

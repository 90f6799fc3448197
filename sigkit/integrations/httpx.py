"""`SigV4Auth` for httpx, sync and async: ``httpx.Client(auth=SigV4Auth("s3", "us-east-1"))``.

httpx runs an auth flow for every ``send``, after the request (headers, Content-Length, the
Host header) is built, so the signature covers what httpx sends and each send (a retry by
your code) is signed again at that moment. A redirect httpx follows itself is not: it runs
inside the flow's one send (see docs/integrations.md, redirects). Request event
hooks run after the flow: a hook that changes a signed header breaks the signature
(``debug=True`` names it ``header-changed``).

Bodies: bytes are hashed; a file given as ``content=open(...)`` is hashed by reading it once
and seeking back, then httpx streams it; an iterator or async iterator is spooled (hashed
while copied to a temporary file) unless ``payload="unsigned"`` or ``"chunked"`` (with a
Content-Length) lets it stream as it is. An aws-chunked body is encoded while it is sent.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Generator,
    Iterable,
    Iterator,
)
from typing import IO, Any, cast

from sigkit.integrations._optional import missing

try:
    import httpx as _httpx
except ImportError:  # pragma: no cover - the extra is installed for the tests
    raise missing("httpx", "httpx") from None

from sigkit.integrations._adapter import AdapterBase
from sigkit.integrations._refusal import SigningRefused as _Refused
from sigkit.integrations._refusal import request_of
from sigkit.integrations._signing import (
    LENGTH_HEADERS,
    READ_PIECE,
    Signed,
    Spool,
    seekable,
)

__all__ = ["SigV4Auth", "SigningRefused"]


class SigningRefused(_Refused, _httpx.HTTPStatusError):
    """The server refused the signed request (an `httpx.HTTPStatusError`, with `.request` and
    `.response`), with sigkit's diagnosis (`report`, `cause`, `evidence`, `fix`)."""


class _Body(_httpx.SyncByteStream, _httpx.AsyncByteStream):
    """A body to send in pieces, from a file (spooled) or an iterable (aws-chunked)."""

    def __init__(self, source: IO[bytes] | Iterable[bytes]) -> None:
        self._source = source

    def _pieces(self) -> Iterator[bytes]:
        source: Any = self._source
        if hasattr(source, "seek"):  # a spooled file (a ChunkedBody is iterated)
            source.seek(0)
            while piece := source.read(READ_PIECE):
                yield piece
        else:
            yield from source

    def __iter__(self) -> Iterator[bytes]:
        return self._pieces()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces():
            yield piece


def _url(request: Any) -> str:
    url = request.url
    return f"{url.scheme}://{url.netloc.decode('ascii')}{url.raw_path.decode('ascii')}"


def _headers(request: Any) -> list[tuple[str, str]]:
    encoding = request.headers.encoding
    return [(n.decode(encoding), v.decode(encoding)) for n, v in request.headers.raw]


def _file_of(stream: Any) -> Any:
    """The seekable file an httpx stream reads from, when it is one."""
    inner = getattr(stream, "_stream", None)
    return inner if inner is not None and seekable(inner) else None


class SigV4Auth(AdapterBase, _httpx.Auth):
    """Sign every request with sigkit: SigV4 (any service and region), SigV4A or S3 V2.

    The same options as `sigkit.integrations.requests.SigV4Auth`; see docs/integrations.md."""

    def sync_auth_flow(
        self, request: _httpx.Request
    ) -> Generator[_httpx.Request, _httpx.Response, None]:
        spooled = _restore(request)
        if spooled is None:
            if self._body(request)[0] is _STREAM:
                spooled = Spool.of(cast("Iterable[bytes]", request.stream)).done()
            _save(request, spooled)
        signed = self._sign(request, spooled)
        response = yield request
        if self.debug and response.status_code in (400, 403):
            response.read()
            self._check(request, response, signed)

    async def async_auth_flow(
        self, request: _httpx.Request
    ) -> AsyncGenerator[_httpx.Request, _httpx.Response]:
        spooled = _restore(request)
        if spooled is None:
            if self._body(request)[0] is _STREAM:
                spool = Spool()
                async for piece in cast("AsyncIterable[bytes]", request.stream):
                    spool.add(piece)
                spooled = spool.done()
            _save(request, spooled)
        signed = self._sign(request, spooled)
        response = yield request
        if self.debug and response.status_code in (400, 403):
            await response.aread()
            self._check(request, response, signed)

    def _body(self, request: Any) -> tuple[Any, int | None]:
        """The body to sign (bytes, a seekable file, the stream itself) and its length;
        `_STREAM` when it must be spooled first."""
        sent = request.headers.get("content-length")
        length = int(sent) if sent is not None and sent.isdigit() else None
        if isinstance(request.stream, _httpx.ByteStream):
            return request.content, length
        found = _file_of(request.stream)
        if self.signer.must_spool(found is not None, length):
            return _STREAM, None
        return (found if found is not None else request.stream), length

    def _sign(self, request: Any, spooled: Spooled | None) -> Signed:
        length: int | None
        if spooled is not None:
            body, length = spooled[0], spooled[1]
        else:
            body, length = self._body(request)
        headers = _headers(request)
        signed = self.signer.sign(
            request.method,
            _url(request),
            headers,
            body,
            length=length,
            payload_hash=spooled[2] if spooled is not None else None,
        )
        if signed.url is not None:
            request.url = _httpx.URL(signed.url)
        if signed.body is not None:
            assert signed.length is not None
            _set_body(request, signed.body, signed.length)
        for name, value in signed.headers:
            request.headers[name] = value
        return signed

    def _check(self, request: Any, response: Any, signed: Signed) -> None:
        found = self.refusal(
            signed,
            response.status_code,
            list(response.headers.multi_items()),
            response.content,
            request_of(
                request.method,
                _url(request),
                _headers(request),
                request.content if isinstance(request.stream, _httpx.ByteStream) else None,
            ),
        )
        if found is None:
            return
        message, report, code = found
        error = SigningRefused(message, request=request, response=response)
        self.raise_refused(error, signed, report, response.status_code, code)


_STREAM = object()  # the body must be read (spooled) before it can be signed
_UNSIGNED = "sigkit-unsigned"  # request.extensions key: the request as it was before signing
Spooled = tuple[IO[bytes], int, str]  # the spooled body, its length and SHA-256


def _save(request: Any, spooled: Spooled | None) -> None:
    """Keep the request as it is before signing (a spooled body in place), so that sending
    it again (a retry) signs it afresh rather than on top of the last signature."""
    if spooled is not None:
        _set_body(request, spooled[0], spooled[1])
    file = _file_of(request.stream)
    start = file.tell() if file is not None else None
    state = (request.url, request.headers.copy(), request.stream, spooled, start)
    request.extensions = {**request.extensions, _UNSIGNED: state}


def _restore(request: Any) -> Spooled | None:
    """Put back the request as it was before the last signing (nothing on the first send);
    return its spooled body, if any."""
    state = request.extensions.get(_UNSIGNED)
    if state is None:
        return None
    request.url, request.headers, request.stream, spooled, start = state
    request.headers = request.headers.copy()
    if start is not None:  # a file sent once is read again from where it started
        _file_of(request.stream).seek(start)
    return spooled  # type: ignore[no-any-return]


def _set_body(request: Any, source: IO[bytes] | Iterable[bytes], length: int) -> None:
    request.stream = _Body(source)
    for name in LENGTH_HEADERS:
        if name in request.headers:
            del request.headers[name]
    request.headers["Content-Length"] = str(length)

"""The proxy's serving core: accept clients, read each request with h11, forward it, stream
the answer back.

Bytes are moved, not re-made: the request target goes upstream as received, the headers in
their order, case and repeats (h11 writes Host first), bodies are streamed in slices of at
most 64 KiB with backpressure on both sides, so memory stays flat whatever the size. A
request that h11 cannot parse is answered 400 (431 for an oversized head) and never
forwarded. Every wait has a deadline: the head of a request must arrive whole within
`header_timeout` of its first byte (a slow client cannot hold a connection), an idle
keep-alive connection is closed after `idle_timeout`, a store that does not answer gets 504.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from sigkit.proxy.hooks import (
    PREFIX_LIMIT,
    AnswerHead,
    BodyInfo,
    Exchange,
    Headers,
    Observer,
    Refuse,
    RequestHead,
    Transformer,
)
from sigkit.proxy.log import shown_target
from sigkit.proxy.tls import Authority
from sigkit.proxy.upstream import READ_SIZE, Connection, Origin, Pool, UpstreamError

# Exchanges queued for a slow observer at most (each holds up to 128 KiB of body prefixes).
MAX_PENDING_OBSERVATIONS = 256

_PHRASES = frozenset(int(status) for status in HTTPStatus)

# Hop-by-hop headers meant for a forward proxy itself, never passed on.
_PROXY_ONLY = frozenset({b"proxy-connection", b"proxy-authorization"})


@dataclass
class Settings:
    """How the proxy serves: mode, where requests go, limits and deadlines (seconds)."""

    mode: Literal["reverse", "forward"] = "reverse"
    upstream: Origin | None = None  # reverse mode: the store
    authority: Authority | None = None  # forward mode: the CA that sees inside CONNECT
    max_head_bytes: int = 64 * 1024
    max_headers: int = 200
    header_timeout: float = 30.0
    idle_timeout: float = 60.0
    body_timeout: float = 60.0
    connect_timeout: float = 10.0
    answer_timeout: float = 120.0
    max_connections: int = 1000
    grace: float = 5.0
    note: Callable[[str], None] = field(
        default=lambda text: print(f"sigkit proxy: {text}", file=sys.stderr, flush=True)
    )


class _ClientGone(Exception):
    """The client closed, reset or stalled; nothing more can be said to it."""


class _BadBody(Exception):
    """The client's body is not valid HTTP framing (a bad chunk)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_body(status: int, code: str, message: str) -> tuple[Headers, bytes]:
    """The proxy's own answer in S3's XML error shape (the AWS CLI and SDKs print Message)."""
    body = Refuse(status, code, f"sigkit proxy: {message}").xml()
    return (
        ("Content-Type", "application/xml"),
        ("Content-Length", str(len(body))),
        ("x-sigkit-proxy", code),
    ), body


@dataclass
class _Peer:
    """One client connection: its streams, its h11 state, whether a request is in flight."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    address: str
    busy: bool = False
    h11: Any = None


class ProxyServer:
    """Listen, serve each client connection as a task, stop gracefully."""

    def __init__(
        self,
        settings: Settings,
        pool: Pool,
        *,
        observer: Observer | None = None,
        transformer: Transformer | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.observer = observer
        self.transformer = transformer
        self._server: asyncio.base_events.Server | None = None
        self._peers: dict[asyncio.Task[None], _Peer] = {}
        self._stopping = False
        self._stopped = asyncio.Event()
        self._observing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sigkit-observe")
        self.errors = 0  # the proxy's own bugs caught on a connection (never expected)
        self._pending = 0  # exchanges waiting for the observer
        self._pending_lock = threading.Lock()
        self.unobserved = 0

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on host:port (0: any free port); returns the address bound."""
        self._server = await asyncio.start_server(
            self._accept, host, port, limit=READ_SIZE, backlog=1024
        )
        sock = self._server.sockets[0].getsockname()
        return str(sock[0]), int(sock[1])

    def stop(self) -> None:
        """Stop accepting; idle connections close now, requests in flight get `grace` seconds."""
        if self._stopping:
            return
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for task, peer in list(self._peers.items()):
            if not peer.busy:
                task.cancel()
        self._stopped.set()

    def close(self) -> None:
        """Close the listener and the pooled connections (after `serve`, or instead of it)."""
        if self._server is not None:
            self._server.close()
        self.pool.close()
        self._observing.shutdown(wait=False)
        if self.settings.authority is not None:
            self.settings.authority.close()

    async def serve(self) -> None:
        """Serve until `stop`, then wait for requests in flight (cut after `grace`)."""
        await self._stopped.wait()
        tasks = list(self._peers)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.settings.grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        self.pool.close()
        self._observing.shutdown(wait=True)
        if self.settings.authority is not None:
            self.settings.authority.close()

    # --- one client connection ---------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peername = writer.get_extra_info("peername")
        address = f"{peername[0]}:{peername[1]}" if isinstance(peername, tuple) else "?"
        peer = _Peer(reader, writer, address)
        if self._stopping or len(self._peers) >= self.settings.max_connections:
            await self._refuse_connection(peer)
            return
        self._peers[task] = peer
        try:
            await self._serve_http(peer, None)
        except (_ClientGone, ConnectionError, asyncio.CancelledError):
            pass
        except Exception as exc:  # a bug: logged, the other connections go on
            self.errors += 1
            self.settings.note(f"internal error on {address}: {type(exc).__name__}: {exc}")
        finally:
            self._peers.pop(task, None)
            with contextlib.suppress(Exception):
                writer.close()

    async def _refuse_connection(self, peer: _Peer) -> None:
        import h11

        conn = h11.Connection(h11.SERVER)
        message = "stopping" if self._stopping else "too many connections open; retry later"
        headers, body = error_body(503, "SlowDown", message)
        with contextlib.suppress(Exception):
            peer.writer.write(
                conn.send(
                    h11.Response(status_code=503, headers=[*headers, ("Connection", "close")])
                )
                + conn.send(h11.Data(data=body))
            )
            await asyncio.wait_for(peer.writer.drain(), 5)
        with contextlib.suppress(Exception):
            peer.writer.close()

    async def _serve_http(self, peer: _Peer, tunnel: Origin | None) -> None:
        """Serve requests on one connection (plain, or inside a CONNECT tunnel to `tunnel`)."""
        import h11

        peer.h11 = h11.Connection(
            h11.SERVER, max_incomplete_event_size=self.settings.max_head_bytes
        )
        while not self._stopping:
            request = await self._read_head(peer)
            if request is None:
                return
            peer.busy = True
            try:
                if request.method == b"CONNECT":
                    await self._connect(peer, request, tunnel)
                    return
                keep = await self._exchange(peer, request, tunnel)
            finally:
                peer.busy = False
            if not keep:
                return
            try:
                peer.h11.start_next_cycle()
            except h11.LocalProtocolError:
                return

    async def _read_head(self, peer: _Peer) -> Any:
        """The next request head, or None when the connection is to be closed (the client
        left, stayed idle too long, or sent something malformed, which was answered)."""
        import h11

        conn = peer.h11
        started = time.monotonic()
        first_byte: float | None = None
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                status = exc.error_status_hint
                what = (
                    f"the request head is larger than {self.settings.max_head_bytes} bytes"
                    if status == 431
                    else f"malformed request: {exc}"
                )
                await self._answer_own(peer, status, "BadRequest", what, close=True)
                return None
            if isinstance(event, h11.Request):
                # h11 bounds a head still arriving; one that arrived whole in a read is
                # measured here.
                size = len(event.method) + len(event.target) + 12
                size += sum(len(k) + len(v) + 4 for k, v in event.headers.raw_items())
                if size > self.settings.max_head_bytes:
                    await self._answer_own(
                        peer,
                        431,
                        "BadRequest",
                        f"the request head is larger than {self.settings.max_head_bytes} bytes",
                        close=True,
                    )
                    return None
                names = {name for name, _ in event.headers}
                if b"transfer-encoding" in names and b"content-length" in names:
                    # Two framings: which one a store reads is how requests are smuggled
                    # (RFC 9112 section 6.1 lets a server refuse it; Ceph RGW does).
                    await self._answer_own(
                        peer,
                        400,
                        "BadRequest",
                        "Content-Length and Transfer-Encoding together; send one of them",
                        close=True,
                    )
                    return None
                if len(event.headers) > self.settings.max_headers:
                    await self._answer_own(
                        peer,
                        431,
                        "BadRequest",
                        f"{len(event.headers)} headers; at most {self.settings.max_headers}",
                        close=True,
                    )
                    return None
                return event
            if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return None
            if event is not h11.NEED_DATA:  # pragma: no cover - h11 gives nothing else here
                return None
            now = time.monotonic()
            if first_byte is None:
                deadline = started + self.settings.idle_timeout
            else:
                deadline = first_byte + self.settings.header_timeout
            try:
                data = await asyncio.wait_for(peer.reader.read(READ_SIZE), max(deadline - now, 0))
            except TimeoutError:
                if first_byte is not None:
                    await self._answer_own(
                        peer,
                        408,
                        "RequestTimeout",
                        f"the request head did not arrive within {self.settings.header_timeout:g}s",
                        close=True,
                    )
                return None
            except (ConnectionError, OSError):
                return None
            if data and first_byte is None:
                first_byte = time.monotonic()
            conn.receive_data(data)

    async def _answer_own(
        self, peer: _Peer, status: int, code: str, message: str, *, close: bool
    ) -> bool:
        """Answer the client with the proxy's own error; False when that was impossible."""
        import h11

        headers, body = error_body(status, code, message)
        if close:
            headers = (*headers, ("Connection", "close"))
        try:
            reason = HTTPStatus(status).phrase.encode() if status in _PHRASES else b""
            await self._send(
                peer, h11.Response(status_code=status, headers=list(headers), reason=reason)
            )
            await self._send(peer, h11.Data(data=body))
            await self._send(peer, h11.EndOfMessage())
        except (h11.LocalProtocolError, _ClientGone):
            return False
        return True

    async def _send(self, peer: _Peer, event: Any) -> None:
        """Write one event to the client and wait until it is taken (backpressure)."""
        data = peer.h11.send(event)
        if not data:
            return
        try:
            peer.writer.write(data)
            await asyncio.wait_for(peer.writer.drain(), self.settings.idle_timeout)
        except (TimeoutError, ConnectionError, OSError):
            raise _ClientGone() from None

    # --- where a request goes ----------------------------------------------------------------

    def _route(self, request: Any, tunnel: Origin | None) -> tuple[Origin, str, str | None]:
        """(origin, target to send, refusal message or None)."""
        target = request.target.decode("latin-1")
        shown = shown_target(target)[:200]  # a refusal never repeats a signature or token
        if tunnel is not None:
            return tunnel, target, None
        if self.settings.mode == "reverse":
            assert self.settings.upstream is not None
            return self.settings.upstream, target, None
        if target.startswith("/") or target == "*":
            return (
                Origin("http", "", 0),
                target,
                (
                    "this is a forward proxy: set HTTP_PROXY/HTTPS_PROXY to it (the request named "
                    "no host), or run it in reverse mode with --upstream URL"
                ),
            )
        try:
            parts = urlsplit(target)
        except ValueError:
            return Origin("http", "", 0), target, f"cannot read {shown!r} as a URL"
        if parts.scheme.lower() != "http" or not parts.hostname:
            return Origin("http", "", 0), target, f"cannot forward {shown!r}"
        try:
            port = parts.port or 80
        except ValueError:
            return Origin("http", "", 0), target, f"bad port in {shown!r}"
        origin_form = parts.path or "/"
        if parts.query or target.endswith("?"):
            origin_form += "?" + parts.query
        return Origin("http", parts.hostname, port), origin_form, None

    # --- one exchange ------------------------------------------------------------------------

    async def _exchange(self, peer: _Peer, request: Any, tunnel: Origin | None) -> bool:
        """Forward one request and relay its answer; True when the connection can go on."""
        import h11

        started_wall, started = time.time(), time.monotonic()
        origin, target, refusal = self._route(request, tunnel)
        forward_proxy = self.settings.mode == "forward" and tunnel is None
        headers = tuple(
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers.raw_items()
            if not (forward_proxy and name.lower() in _PROXY_ONLY)
        )
        head = RequestHead(
            method=request.method.decode("latin-1"),
            target=target,
            headers=headers,
            scheme=origin.scheme,
            authority=origin.authority,
        )
        info = BodyInfo()
        exchange = Exchange(
            request=head, body=info, answer=None, started=started_wall, client=peer.address
        )
        if refusal is not None:
            exchange.answer = AnswerHead(400, "Bad Request", ())
            exchange.error = refusal
            await self._answer_own(peer, 400, "BadRequest", refusal, close=True)
            self._finish(exchange, started)
            return False

        length = _content_length(request)
        # Whether the store is asked for the client's 100 Continue; when the proxy itself
        # reads the body first (a re-signer spooling it), the proxy answers 100 on its own.
        store_continues = [self.transformer is None]
        body: AsyncIterator[bytes] = self._client_body(peer, info, store_continues)
        sent_length = length
        if self.transformer is not None:
            try:
                head_out, body, sent_length = await self.transformer.transform(head, body, length)
            except Refuse as refuse:
                exchange.refused = True
                exchange.answer = AnswerHead(refuse.status, refuse.code, ())
                exchange.answer_body_prefix = refuse.xml()
                exchange.error = refuse.message
                await self._answer_own(peer, refuse.status, refuse.code, refuse.message, close=True)
                self._finish(exchange, started)
                return False
            except _ClientGone:
                exchange.error = "the client went away mid-exchange"
                self._finish(exchange, started)
                return False
            except _BadBody as exc:
                exchange.error = str(exc)
                exchange.answer = AnswerHead(exc.status, "Bad Request", ())
                await self._answer_own(peer, exc.status, "BadRequest", str(exc), close=True)
                self._finish(exchange, started)
                return False
            except Exception as exc:  # the transformer failed: said, never forwarded half-made
                why = f"the request could not be prepared for the store: {exc}"
                exchange.error = why
                exchange.answer = AnswerHead(500, "Internal Server Error", ())
                self.settings.note(f"{head.method} {head.authority}: {type(exc).__name__}: {exc}")
                await self._answer_own(peer, 500, "InternalError", why, close=True)
                self._finish(exchange, started)
                return False
            head_out = _framed(head_out, sent_length)
            store_continues[0] = any(k.lower() == "expect" for k, _ in head_out.headers)
        else:
            head_out = head
        exchange.forwarded = head_out

        attempt = 0
        while True:
            attempt += 1
            try:
                upstream = await self.pool.acquire(origin, fresh=attempt > 1)
            except UpstreamError as exc:
                return await self._failed(peer, exchange, exc, started, None)
            try:
                await self._relay(peer, upstream, head_out, body, exchange)
            except UpstreamError as exc:
                upstream.close()
                retry = (
                    attempt == 1
                    and upstream.reused
                    and exc.before_answer
                    and exc.status == 502
                    and sent_length == 0
                    and exchange.answer is None
                )
                if retry:
                    body = _empty()
                    continue
                return await self._failed(peer, exchange, exc, started, upstream)
            except (_ClientGone, _BadBody) as exc:
                upstream.close()
                if isinstance(exc, _BadBody) and exchange.answer is None:
                    exchange.error = str(exc)
                    exchange.answer = AnswerHead(exc.status, "Bad Request", ())
                    await self._answer_own(peer, exc.status, "BadRequest", str(exc), close=True)
                else:
                    exchange.error = exchange.error or "the client went away mid-exchange"
                self._finish(exchange, started)
                return False
            except Refuse as refuse:  # a transformer's body stream refused mid-way
                upstream.close()
                exchange.refused = True
                exchange.error = refuse.message
                if exchange.answer is None:
                    exchange.answer = AnswerHead(refuse.status, refuse.code, ())
                    exchange.answer_body_prefix = refuse.xml()
                    await self._answer_own(
                        peer, refuse.status, refuse.code, refuse.message, close=True
                    )
                self._finish(exchange, started)
                return False
            except Exception as exc:  # a transformer's body stream failed
                upstream.close()
                why = f"the request body could not be prepared for the store: {exc}"
                exchange.error = why
                self.settings.note(f"{head.method} {head.authority}: {type(exc).__name__}: {exc}")
                if exchange.answer is None:
                    exchange.answer = AnswerHead(500, "Internal Server Error", ())
                    await self._answer_own(peer, 500, "InternalError", why, close=True)
                self._finish(exchange, started)
                return False
            except BaseException:
                upstream.close()
                raise
            self.pool.release(upstream)
            break
        self._finish(exchange, started)
        conn = peer.h11
        return bool(conn.our_state is h11.DONE and conn.their_state is h11.DONE)

    async def _failed(
        self,
        peer: _Peer,
        exchange: Exchange,
        exc: UpstreamError,
        started: float,
        upstream: Connection | None,
    ) -> bool:
        """The store failed: answer 502/504 if nothing was relayed yet, else cut the client."""
        exchange.error = exc.message
        if exc.status == 400:  # the request itself cannot be sent (h11 refused it)
            code = "BadRequest"
        else:
            code = "BadGateway" if exc.status == 502 else "GatewayTimeout"
        if exchange.answer is None:
            exchange.answer = AnswerHead(exc.status, code, ())
            await self._answer_own(peer, exc.status, code, exc.message, close=True)
        else:
            exchange.notes.append("the answer was cut short: " + exc.message)
        self._finish(exchange, started)
        return False

    async def _relay(
        self,
        peer: _Peer,
        upstream: Connection,
        head: RequestHead,
        body: AsyncIterator[bytes],
        exchange: Exchange,
    ) -> None:
        """Send the request upstream while relaying what comes back (100 Continue included)."""
        import h11

        await upstream.send(
            h11.Request(
                method=head.method.encode("latin-1"),
                target=head.target.encode("latin-1"),
                headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in head.headers],
            )
        )
        pump = asyncio.create_task(self._pump(body, upstream))
        try:
            await self._answer(peer, upstream, exchange, pump)
            if not pump.done():
                # The store answered before taking the whole body: stop sending; neither
                # connection can carry another request.
                pump.cancel()
                with contextlib.suppress(BaseException):
                    await pump
            elif pump.exception() is not None:
                raise pump.exception()  # type: ignore[misc]
        finally:
            if not pump.done():
                pump.cancel()
                with contextlib.suppress(BaseException):
                    await pump

    async def _pump(self, body: AsyncIterator[bytes], upstream: Connection) -> None:
        import h11

        async for chunk in body:
            if chunk:
                await upstream.send(h11.Data(data=chunk))
        await upstream.send(h11.EndOfMessage())

    async def _answer(
        self, peer: _Peer, upstream: Connection, exchange: Exchange, pump: asyncio.Task[None]
    ) -> None:
        import h11

        prefix = bytearray()
        while True:
            event = await self._upstream_event(upstream, pump)
            if isinstance(event, h11.InformationalResponse):
                if event.status_code == 101:
                    raise UpstreamError(502, f"{upstream.origin.url} switched protocols (101)")
                await self._send(
                    peer,
                    h11.InformationalResponse(
                        status_code=event.status_code,
                        headers=list(event.headers.raw_items()),
                        reason=event.reason,
                    ),
                )
            elif isinstance(event, h11.Response):
                raw = list(event.headers.raw_items())
                exchange.answer = AnswerHead(
                    event.status_code,
                    event.reason.decode("latin-1"),
                    tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw),
                )
                await self._send(
                    peer,
                    h11.Response(status_code=event.status_code, headers=raw, reason=event.reason),
                )
            elif isinstance(event, h11.Data):
                data = bytes(event.data)
                exchange.answer_body_length += len(data)
                if len(prefix) < PREFIX_LIMIT:
                    prefix += data[: PREFIX_LIMIT - len(prefix)]
                await self._send(peer, h11.Data(data=data))
            elif isinstance(event, h11.EndOfMessage):
                exchange.answer_body_prefix = bytes(prefix)
                await self._send(peer, h11.EndOfMessage(headers=list(event.headers.raw_items())))
                return
            else:  # ConnectionClosed before the end
                raise UpstreamError(
                    502,
                    f"{upstream.origin.url} closed the connection mid-answer",
                    before_answer=exchange.answer is None,
                )

    async def _upstream_event(self, upstream: Connection, pump: asyncio.Task[None]) -> Any:
        """The next answer event. While the body is still being sent, waiting is no timeout
        (the pump has its own deadlines) and a failed pump is the error to report. The read is
        never cancelled while it may have taken bytes (they would be lost)."""
        if pump.done():
            if pump.exception() is not None:
                raise pump.exception()  # type: ignore[misc]
            return await upstream.next_event()
        read = asyncio.ensure_future(upstream.next_event(timeout=0))
        try:
            while True:
                waiting: set[asyncio.Future[Any]] = {read}
                if not pump.done():
                    waiting.add(pump)
                done, _ = await asyncio.wait(
                    waiting,
                    timeout=None if not pump.done() else self.settings.answer_timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if read in done:
                    return read.result()
                if pump.done() and pump.exception() is not None:
                    raise pump.exception()  # type: ignore[misc]
                if not done:
                    raise UpstreamError(
                        504,
                        f"{upstream.origin.url} did not answer within "
                        f"{self.settings.answer_timeout:g}s",
                        before_answer=upstream.answered is False,
                    )
        finally:
            if not read.done():
                read.cancel()

    async def _client_body(
        self, peer: _Peer, info: BodyInfo, store_continues: list[bool]
    ) -> AsyncIterator[bytes]:
        """The client's body as it arrives, hashed and counted into `info` on the way. A client
        waiting for 100 Continue gets it from the proxy when the store is not asked for it
        (else it would wait its own timeout, a second for botocore and curl, per request)."""
        import h11

        digest = hashlib.sha256()
        prefix = bytearray()
        conn = peer.h11
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise _BadBody(exc.error_status_hint, f"malformed request body: {exc}") from None
            if event is h11.NEED_DATA:
                if (
                    not store_continues[0]
                    and conn.client_is_waiting_for_100_continue
                    and conn.our_state is h11.SEND_RESPONSE
                ):
                    await self._send(
                        peer,
                        h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue"),
                    )
                try:
                    data = await asyncio.wait_for(
                        peer.reader.read(READ_SIZE), self.settings.body_timeout
                    )
                except (TimeoutError, ConnectionError, OSError):
                    raise _ClientGone() from None
                conn.receive_data(data)
                continue
            if isinstance(event, h11.Data):
                data = bytes(event.data)
                digest.update(data)
                info.length += len(data)
                if len(prefix) < PREFIX_LIMIT:
                    prefix += data[: PREFIX_LIMIT - len(prefix)]
                    info.prefix = bytes(prefix)
                info.sha256 = ""
                yield data
            elif isinstance(event, h11.EndOfMessage):
                info.sha256 = digest.hexdigest()
                return
            else:
                raise _ClientGone()

    # --- CONNECT -----------------------------------------------------------------------------

    async def _connect(self, peer: _Peer, request: Any, tunnel: Origin | None) -> None:
        import h11

        target = request.target.decode("latin-1")
        try:  # the CONNECT request ends here (it has no body); h11 then expects our answer
            ending = peer.h11.next_event()
        except h11.RemoteProtocolError:
            ending = None
        if not isinstance(ending, h11.EndOfMessage):
            await self._answer_own(peer, 400, "BadRequest", "CONNECT with a body", close=True)
            return
        if self.settings.mode != "forward" or tunnel is not None:
            await self._answer_own(
                peer,
                405,
                "MethodNotAllowed",
                "CONNECT needs forward mode (--forward); this proxy forwards to its --upstream",
                close=True,
            )
            return
        try:
            parts = urlsplit("//" + target)
            host, port = parts.hostname, parts.port
        except ValueError:
            host, port = None, None
        if not host or not port:
            await self._answer_own(
                peer,
                400,
                "BadRequest",
                f"CONNECT needs host:port, not {shown_target(target)[:200]!r}",
                close=True,
            )
            return
        origin = Origin("https", host, port)
        authority = self.settings.authority
        if authority is None:
            await self._tunnel(peer, origin)
            return
        # The client's TLS hello follows our 200 at once: it must stay in the socket for the
        # TLS layer, not be read into the plain stream's buffer.
        cast(asyncio.Transport, peer.writer.transport).pause_reading()
        await self._send(
            peer, h11.Response(status_code=200, headers=[], reason=b"Connection established")
        )
        if peer.h11.trailing_data[0]:
            return  # the client sent before the tunnel was open: not TLS we can take over
        try:
            await asyncio.wait_for(
                peer.writer.start_tls(authority.context_for(host)), self.settings.header_timeout
            )
        except (TimeoutError, OSError, ConnectionError) as exc:
            why = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
            self.settings.note(
                f"CONNECT {origin.authority}: TLS with the client failed ({why}); does it "
                f"trust {authority.cert_path}? (AWS_CA_BUNDLE, curl --cacert)"
            )
            return
        await self._serve_http(peer, origin)

    async def _tunnel(self, peer: _Peer, origin: Origin) -> None:
        """CONNECT without a CA: bytes both ways, unseen."""
        import h11

        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(origin.host, origin.port), self.settings.connect_timeout
            )
        except (TimeoutError, OSError) as exc:
            what = "timed out" if isinstance(exc, asyncio.TimeoutError) else str(exc)
            status = 504 if isinstance(exc, asyncio.TimeoutError) else 502
            await self._answer_own(
                peer,
                status,
                "BadGateway",
                f"cannot connect to {origin.authority}: {what}",
                close=True,
            )
            return
        self.settings.note(
            f"CONNECT {origin.authority}: tunnelled untouched; the proxy cannot see inside "
            "(run it with its CA, without --no-mitm, to see each request)"
        )
        await self._send(
            peer, h11.Response(status_code=200, headers=[], reason=b"Connection established")
        )
        trailing = peer.h11.trailing_data[0]
        if trailing:
            writer.write(trailing)

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await asyncio.wait_for(
                    src.read(READ_SIZE), self.settings.answer_timeout
                ):
                    dst.write(data)
                    await dst.drain()
            except (TimeoutError, OSError, ConnectionError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    dst.close()

        try:
            await asyncio.gather(copy(peer.reader, writer), copy(reader, peer.writer))
        finally:
            writer.close()

    # --- after an exchange -------------------------------------------------------------------

    def _finish(self, exchange: Exchange, started: float) -> None:
        exchange.elapsed = time.monotonic() - started
        if self.observer is None:
            return
        observer = self.observer

        def observe() -> None:
            try:
                observer.observe(exchange)
            except Exception as exc:  # never into the server
                self.settings.note(f"observer failed: {type(exc).__name__}: {exc}")

        if self._pending >= MAX_PENDING_OBSERVATIONS:
            # The observer is behind: serving goes on, this exchange goes unlogged.
            self.unobserved += 1
            if self.unobserved % 1000 == 1:
                self.settings.note(f"the log is behind: {self.unobserved} exchange(s) not logged")
            return
        with self._pending_lock:
            self._pending += 1

        def done(_: object) -> None:
            with self._pending_lock:
                self._pending -= 1

        with contextlib.suppress(RuntimeError):  # shutting down
            self._observing.submit(observe).add_done_callback(done)


def _content_length(request: Any) -> int | None:
    """The request's declared body length: Content-Length, None when chunked, else 0."""
    length: int | None = 0
    for name, value in request.headers:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            length = int(value)
    return length


def _framed(head: RequestHead, length: int | None) -> RequestHead:
    """`head` with framing headers added when a transformer left them out."""
    names = {k.lower() for k, _ in head.headers}
    if "content-length" in names or "transfer-encoding" in names:
        return head
    extra = (
        ("Content-Length", str(length)) if length is not None else ("Transfer-Encoding", "chunked")
    )
    if length == 0 and head.method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        return head
    return RequestHead(
        head.method, head.target, (*head.headers, extra), head.scheme, head.authority
    )


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator

"""Connections from the proxy to the store: TCP or TLS, a keep-alive pool per origin, timeouts.

Each connection pairs an asyncio stream with an h11 client-side state machine, so what goes
upstream is exactly the head the server hands over (h11 writes it; it does not add headers).
A failure is an `UpstreamError` whose `status` is what the client is answered: 502 when the
store cannot be reached or answers something that is not HTTP, 504 when it is too slow.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass
from typing import Any

READ_SIZE = 256 * 1024
MAX_ANSWER_HEAD = 256 * 1024


@dataclass(frozen=True)
class Origin:
    """Where requests go: scheme, host and port."""

    scheme: str
    host: str
    port: int

    @property
    def authority(self) -> str:
        """``host[:port]``, the port left out when it is the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}"


class UpstreamError(Exception):
    """The store could not be reached, answered garbage, or was too slow."""

    def __init__(self, status: int, message: str, *, before_answer: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.before_answer = before_answer


class Connection:
    """One connection to the store and its h11 client state."""

    def __init__(
        self,
        origin: Origin,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        read_timeout: float,
    ) -> None:
        import h11

        self.origin = origin
        self.reader = reader
        self.writer = writer
        self.read_timeout = read_timeout
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_ANSWER_HEAD)
        self.reused = False
        self.idle_since = time.monotonic()
        self.answered = False  # any byte of an answer seen in this cycle

    async def send(self, event: Any) -> None:
        """Write one h11 event and wait until the socket takes it (backpressure)."""
        import h11

        try:
            data = self.h11.send(event)
        except h11.LocalProtocolError as exc:
            raise UpstreamError(400, f"the request cannot be sent as HTTP/1.1: {exc}") from None
        try:
            if data:
                self.writer.write(data)
                await asyncio.wait_for(self.writer.drain(), self.read_timeout)
        except TimeoutError:
            raise UpstreamError(
                504, f"{self.origin.url} took more than {self.read_timeout:g}s to take the body"
            ) from None
        except (OSError, ConnectionError) as exc:
            raise UpstreamError(
                502, f"{self.origin.url} closed the connection while sending: {_why(exc)}"
            ) from None

    async def next_event(self, timeout: float | None = None) -> Any:
        """The next event of the answer; raises UpstreamError on garbage, close or timeout
        (`timeout` seconds without a byte; 0: no deadline)."""
        import h11

        wait = self.read_timeout if timeout is None else timeout
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise UpstreamError(
                    502,
                    f"{self.origin.url} answered something that is not HTTP/1.1 ({exc})",
                    before_answer=not self.answered,
                ) from None
            if event is h11.NEED_DATA:
                try:
                    if wait:
                        data = await asyncio.wait_for(self.reader.read(READ_SIZE), wait)
                    else:  # no deadline here: the caller keeps it
                        data = await self.reader.read(READ_SIZE)
                except TimeoutError:
                    raise UpstreamError(
                        504,
                        f"{self.origin.url} did not answer within {wait:g}s",
                        before_answer=not self.answered,
                    ) from None
                except (OSError, ConnectionError) as exc:
                    raise UpstreamError(
                        502,
                        f"{self.origin.url} closed the connection: {_why(exc)}",
                        before_answer=not self.answered,
                    ) from None
                if data:
                    self.answered = True
                elif self.h11.their_state is h11.SEND_RESPONSE:
                    raise UpstreamError(
                        502,
                        f"{self.origin.url} closed the connection without answering",
                        before_answer=not self.answered,
                    )
                self.h11.receive_data(data)
                continue
            return event

    def reusable(self) -> bool:
        import h11

        return (
            self.h11.our_state is h11.DONE
            and self.h11.their_state is h11.DONE
            and not self.reader.at_eof()
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


def _why(exc: BaseException) -> str:
    return (
        exc.strerror
        if isinstance(exc, OSError) and exc.strerror
        else str(exc) or type(exc).__name__
    )


class Pool:
    """Idle keep-alive connections per origin; a connection idle for longer than
    `idle_timeout` is closed rather than reused (the store may have dropped it)."""

    def __init__(
        self,
        tls: ssl.SSLContext | None,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        idle_timeout: float = 20.0,
        max_idle: int = 256,
    ) -> None:
        self._tls = tls
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self.max_idle = max_idle
        self._idle: dict[Origin, list[Connection]] = {}

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            from sigkit.proxy.tls import upstream_context

            self._tls = upstream_context(None, False)
        return self._tls

    async def acquire(self, origin: Origin, *, fresh: bool = False) -> Connection:
        """An idle connection to `origin`, else a new one."""
        idle = self._idle.get(origin, [])
        now = time.monotonic()
        while idle and not fresh:
            conn = idle.pop()
            if now - conn.idle_since < self.idle_timeout and not conn.reader.at_eof():
                conn.reused = True
                conn.answered = False
                return conn
            conn.close()
        return await self.connect(origin)

    async def connect(self, origin: Origin) -> Connection:
        """A new connection (TLS when the origin is https, verifying the store's certificate
        unless the context says not to)."""
        tls = self._tls_context() if origin.scheme == "https" else None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    origin.host,
                    origin.port,
                    ssl=tls,
                    server_hostname=origin.host if tls is not None else None,
                    limit=READ_SIZE,
                ),
                self.connect_timeout,
            )
        except TimeoutError:
            raise UpstreamError(
                504, f"cannot connect to {origin.url} within {self.connect_timeout:g}s"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise UpstreamError(
                502,
                f"{origin.url}: its TLS certificate is not trusted ({exc.verify_message}); "
                "give its CA with --upstream-ca FILE (or --insecure-upstream)",
            ) from None
        except ssl.SSLError as exc:
            raise UpstreamError(502, f"{origin.url}: TLS failed: {exc.reason or exc}") from None
        except (OSError, ConnectionError) as exc:
            raise UpstreamError(502, f"cannot connect to {origin.url}: {_why(exc)}") from None
        except (UnicodeError, ValueError) as exc:
            raise UpstreamError(502, f"cannot connect to {origin.url}: {exc}") from None
        return Connection(origin, reader, writer, self.read_timeout)

    def release(self, conn: Connection) -> None:
        """Back to the pool when its last exchange ended cleanly; closed otherwise."""
        if not conn.reusable():
            conn.close()
            return
        conn.h11.start_next_cycle()
        conn.idle_since = time.monotonic()
        idle = self._idle.setdefault(conn.origin, [])
        if len(idle) >= self.max_idle:
            conn.close()
            return
        idle.append(conn)

    def close(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()

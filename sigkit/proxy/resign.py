"""Re-sign mode: the proxy signs each request for the store with its own credentials.

For clients that cannot sign (curl without --aws-sigv4, browsers, Prometheus remote write,
dashboards, legacy programs), `Resigner` removes whatever signature the client sent (the
Authorization header, X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256, a presigned
URL's parameters, an aws-chunked body's framing) and signs the request for the upstream at the
time it is sent: SigV4 for any service and region (the rules `rules_for` gives) or S3 V2
(`v2_rules`). The body is

- ``unsigned``: streamed through as it comes, signed as UNSIGNED-PAYLOAD (S3's default);
- ``hashed``: read first (in memory up to `buffer_limit`, spooled to a temporary file beyond),
  its SHA-256 signed, then streamed from there (every other service's default);
- ``chunked``: aws-chunked with a signature per chunk (S3), streamed in constant memory.

With `client_credentials` (``--client-key``) the client's own signature is verified first
(`sigkit.verify.verify_request`, body included when it signed one) and a request that does not
verify, or carries none, is refused with S3's error and status; nothing is forwarded then."""

from __future__ import annotations

import asyncio
import hashlib
import io
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, Literal

from sigkit.credentials import Credentials
from sigkit.errors import InputError, SigkitError
from sigkit.http import Request, strip_default_port
from sigkit.proxy.diagnosis import request_of
from sigkit.proxy.hooks import Refuse, RequestHead
from sigkit.result import SigningResult
from sigkit.sigv2.s3 import sign_v2, v2_rules
from sigkit.sigv4.config import STREAMING_PAYLOADS, UNSIGNED_PAYLOAD, is_s3, rules_for
from sigkit.sigv4.signer import PRESIGN_PARAMS, sign_v4
from sigkit.verify import (
    DEFAULT_SKEW,
    V2_QUERY_PARAMS,
    read_auth,
    strip_query_params,
    verify_request,
)

__all__ = ["Payload", "Resigner", "transformer_from_options"]

Payload = Literal["unsigned", "hashed", "chunked"]
PAYLOADS: tuple[Payload, ...] = ("unsigned", "hashed", "chunked")

DEFAULT_BUFFER_LIMIT = 8 * 1024 * 1024  # a hashed body larger than this goes to a temp file
DEFAULT_CHUNK_SIZE = 64 * 1024
_PIECE = 256 * 1024  # how much is read from a spooled body at a time

# The client's signature: never forwarded (the proxy signs anew).
_SIGNATURE_HEADERS = frozenset(
    {
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-s3session-token",
        "x-amz-content-sha256",
        "date",
    }
)
# Hop-by-hop and framing headers: the server frames the body it sends (Content-Length is set
# again when the length is known).
_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "expect",
    }
)
# An aws-chunked body's own headers, dropped when the proxy decodes it.
_CHUNKED_HEADERS = frozenset({"x-amz-decoded-content-length", "x-amz-trailer"})
_QUERY_SIGNATURE = frozenset(PRESIGN_PARAMS | V2_QUERY_PARAMS)


# -- bodies ---------------------------------------------------------------------------------------
class Spool:
    """A body read whole, in memory up to `limit` bytes and in an unnamed temporary file
    beyond (constant memory whatever the size), with its length and SHA-256."""

    def __init__(self, limit: int = DEFAULT_BUFFER_LIMIT, directory: str | None = None) -> None:
        self.limit = limit
        self.directory = directory
        self.length = 0
        self._hash = hashlib.sha256()
        self._file: BinaryIO = io.BytesIO()
        self._on_disk = False

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    @property
    def on_disk(self) -> bool:
        return self._on_disk

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._on_disk and self.length + len(data) > self.limit:
            disk = tempfile.TemporaryFile(dir=self.directory)  # noqa: SIM115 - closed by close()
            disk.write(self._file.getbuffer() if isinstance(self._file, io.BytesIO) else b"")
            self._file = disk
            self._on_disk = True
        self._file.write(data)
        self._hash.update(data)
        self.length += len(data)

    async def fill(self, body: AsyncIterator[bytes]) -> Spool:
        async for piece in body:
            if self._on_disk:
                await asyncio.to_thread(self.write, piece)
            else:
                self.write(piece)
        self._file.flush()
        return self

    def stream(self) -> BinaryIO:
        """The body from its start (a seekable binary stream)."""
        self._file.seek(0)
        return self._file

    async def pieces(self, size: int = _PIECE) -> AsyncIterator[bytes]:
        """The body, `size` bytes at a time; the spool is closed at the end."""
        try:
            stream = self.stream()
            while True:
                piece = (
                    await asyncio.to_thread(stream.read, size)
                    if self._on_disk
                    else stream.read(size)
                )
                if not piece:
                    return
                yield piece
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator


async def _rechunk(body: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """Pieces of exactly `size` bytes (the last may be shorter), whatever came in."""
    buffer = bytearray()
    async for piece in body:
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


async def _aws_chunked(
    body: AsyncIterator[bytes], seed: SigningResult, chunk_size: int
) -> AsyncIterator[bytes]:
    """The aws-chunked encoding of `body`, one signed chunk at a time (constant memory)."""
    from sigkit.sigv4.chunked import ChunkSigner

    signer = ChunkSigner.from_result(seed)
    previous = signer.seed_signature
    index = 0
    async for data in _rechunk(body, chunk_size):
        step = signer.chunk_step(index, previous, data)
        previous = step.signature or previous
        yield step.line.encode("ascii") + b"\r\n" + data + b"\r\n"
        index += 1
    final = signer.chunk_step(index, previous, b"")
    yield final.line.encode("ascii") + b"\r\n\r\n"


async def _decoded(spool: Spool, payload: str, decoded_length: int | None, limit: int) -> Spool:
    """The data of an aws-chunked body the client sent (spooled), spooled again decoded."""
    from sigkit.sigv4.chunked import ChunkedDecoder

    out = Spool(limit, spool.directory)

    def decode() -> None:
        try:
            decoder = ChunkedDecoder(
                spool.stream(),
                payload=payload,
                signer=None,
                decoded_length=decoded_length,
                min_chunk_size=0,
            )
            for data in decoder:
                out.write(data)
        finally:
            spool.close()

    try:
        await asyncio.to_thread(decode)
    except SigkitError as exc:
        out.close()
        raise Refuse(400, "IncompleteBody", f"the aws-chunked body cannot be read: {exc}") from None
    return out


# -- the head ------------------------------------------------------------------------------------
def _wire(value: str) -> str:
    """Text as the latin-1 form the server writes byte for byte (UTF-8 bytes kept)."""
    return value if value.isascii() else value.encode("utf-8").decode("latin-1")


def _strip_query(request: Request) -> str | None:
    """The query without any presigned URL's signature parameters (other segments kept raw;
    none left, or an empty one, is no query)."""
    return strip_query_params(request, _QUERY_SIGNATURE).query or None


def _payload_line(request: Request) -> str | None:
    return (request.header("x-amz-content-sha256") or "").strip() or None


def _client_chunked(request: Request) -> str | None:
    """The STREAMING-* payload of an aws-chunked body the client sent, else None."""
    payload = _payload_line(request)
    coding = (request.header("content-encoding") or "").lower()
    if payload in STREAMING_PAYLOADS:
        return payload
    if "aws-chunked" in coding:
        return payload or "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    return None


def _without_aws_chunked(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for name, value in headers:
        lower = name.lower()
        if lower in _CHUNKED_HEADERS or lower == "x-amz-sdk-checksum-algorithm":
            continue
        if lower == "content-encoding":
            rest = [c.strip() for c in value.split(",") if c.strip().lower() != "aws-chunked"]
            if not rest:
                continue
            value = ",".join(rest)
        out.append((name, value))
    return out


# -- the transformer -----------------------------------------------------------------------------
class Resigner:
    """The proxy's `Transformer` for ``--resign`` (see the module's docstring).

    `sig` is ``"v4"`` (any `service`, `region`) or ``"v2"`` (S3 only); `payload` the body mode,
    None for the service's default (``unsigned`` for S3, ``hashed`` otherwise); `chunked_over`
    switches S3 bodies of at least that many bytes to ``chunked``. `clock` gives the signing
    time (epoch seconds)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        sig: Literal["v4", "v2"] = "v4",
        region: str = "us-east-1",
        service: str = "s3",
        payload: Payload | None = None,
        chunked_over: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        buffer_limit: int = DEFAULT_BUFFER_LIMIT,
        client_credentials: Iterable[Credentials] | Mapping[str, Credentials] | None = None,
        client_skew: timedelta = DEFAULT_SKEW,
        spool_dir: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if sig not in ("v4", "v2"):
            raise InputError("--sig", f"{sig!r} is not v4 or v2")
        if sig == "v2":
            v2_rules(service if service != "s3" else None)  # S3 only: says so otherwise
        else:
            rules_for(service, region)  # a bad region or service is an input error now
        if payload is not None and payload not in PAYLOADS:
            raise InputError("--payload", f"{payload!r} is not one of {', '.join(PAYLOADS)}")
        if (payload == "chunked" or chunked_over is not None) and not (
            sig == "v4" and is_s3(service)
        ):
            raise InputError("--payload", "aws-chunked bodies are S3's (SigV4, service s3)")
        from sigkit.sigv4.chunked import ChunkedConfig

        self._chunk_config = ChunkedConfig(chunk_size=chunk_size)  # checks the size
        self.credentials = credentials
        self.sig = sig
        self.region = region
        self.service = service
        self.payload: Payload = payload or ("unsigned" if is_s3(service) else "hashed")
        self.chunked_over = chunked_over
        self.chunk_size = chunk_size
        self.buffer_limit = buffer_limit
        self.client_credentials: dict[str, Credentials] | None = None
        if client_credentials is not None:
            items = (
                client_credentials.values()
                if isinstance(client_credentials, Mapping)
                else client_credentials
            )
            self.client_credentials = {c.access_key_id: c for c in items}
        self.client_skew = client_skew
        self.spool_dir = spool_dir
        self.clock = clock

    # The Transformer protocol.
    async def transform(
        self, head: RequestHead, body: AsyncIterator[bytes], length: int | None
    ) -> tuple[RequestHead, AsyncIterator[bytes], int | None]:
        try:
            request = request_of(head, None)
        except SigkitError as exc:
            raise Refuse(400, "InvalidRequest", f"the request cannot be re-signed: {exc}") from None
        spool: Spool | None = None
        if self.client_credentials is not None:
            spool = await self._check_client(request, body)
        chunked = _client_chunked(request)
        decoded_length: int | None = length
        if chunked is not None:
            # The client's own aws-chunked framing carries its chunk signatures: decode it.
            if spool is None:
                spool = await Spool(self.buffer_limit, self.spool_dir).fill(body)
            declared = (request.header("x-amz-decoded-content-length") or "").strip()
            spool = await _decoded(
                spool, chunked, int(declared) if declared.isdigit() else None, self.buffer_limit
            )
            decoded_length = spool.length
        mode = self._mode(decoded_length if spool is None else spool.length)
        if mode == "hashed" and spool is None:
            spool = await Spool(self.buffer_limit, self.spool_dir).fill(body)
        if spool is None and decoded_length is None:
            # Sent chunked by the client: S3 wants a Content-Length (411 MissingContentLength
            # otherwise), and aws-chunked needs the length up front. Spooled to learn it.
            spool = await Spool(self.buffer_limit, self.spool_dir).fill(body)
        if spool is not None:
            decoded_length = spool.length
            source: AsyncIterator[bytes] = spool.pieces()
        else:
            source = body
        try:
            return self._signed(head, request, source, decoded_length, mode, spool)
        except SigkitError as exc:
            if spool is not None:
                spool.close()
            raise Refuse(400, "InvalidRequest", f"the request cannot be re-signed: {exc}") from None

    def _mode(self, length: int | None) -> Payload:
        if self.sig == "v2":
            return "unsigned"  # V2 signs no body hash (a Content-MD5 the client sent is kept)
        if self.chunked_over is not None and length is not None and length >= self.chunked_over:
            return "chunked"
        if self.payload == "chunked" and not length:
            return "unsigned"  # nothing to chunk
        return self.payload

    def _signed(
        self,
        head: RequestHead,
        request: Request,
        body: AsyncIterator[bytes],
        length: int | None,
        mode: Payload,
        spool: Spool | None,
    ) -> tuple[RequestHead, AsyncIterator[bytes], int | None]:
        authority = head.authority
        scheme = head.scheme or "http"
        host = strip_default_port(scheme, authority)
        headers: list[tuple[str, str]] = [("Host", host)]
        for name, value in request.headers:
            lower = name.lower()
            # Expect: 100-continue stays while the body is still the client's to send.
            keep = lower == "expect" and spool is None and mode != "chunked"
            dropped = lower == "host" or lower in _SIGNATURE_HEADERS or lower in _HOP_HEADERS
            if dropped and not keep:
                continue
            headers.append((name, value))
        if _client_chunked(request) is not None:
            headers = _without_aws_chunked(headers)
        if length is not None and mode != "chunked":
            headers.append(("Content-Length", str(length)))
        bare = Request(
            request.method,
            request.path,
            _strip_query(request),
            tuple(headers),
            None,
            scheme=scheme,
            authority=authority,
        )
        when = datetime.fromtimestamp(self.clock(), UTC)
        out_length = length
        out_body = body
        result: SigningResult
        if self.sig == "v2":
            result = sign_v2(bare, self.credentials, when, v2_rules())
        elif mode == "chunked":
            from sigkit.sigv4.chunked import STREAMING_SIGNED, prepare_request

            assert length is not None
            prepared = prepare_request(bare, length, self._chunk_config)
            config = rules_for(self.service, self.region, payload=STREAMING_SIGNED)
            result = sign_v4(prepared, self.credentials, when, config)
            out_length = int(prepared.header("content-length") or 0)
            out_body = _aws_chunked(body, result, self.chunk_size)
        else:
            if mode == "hashed":
                payload = spool.sha256 if spool is not None else hashlib.sha256().hexdigest()
            else:
                payload = UNSIGNED_PAYLOAD
            config = rules_for(self.service, self.region, payload=payload)
            result = sign_v4(bare, self.credentials, when, config)
        signed = result.request
        target = signed.target
        new_head = RequestHead(
            head.method,
            _wire(target),
            tuple((name, _wire(value)) for name, value in signed.headers),
            scheme,
            authority,
        )
        if out_length == 0 and spool is None and length == 0:
            out_body = _empty()
        return new_head, out_body, out_length

    async def _check_client(self, request: Request, body: AsyncIterator[bytes]) -> Spool | None:
        """Verify the client's signature with the proxy's client keys; refuse when it does not.
        The body is read first (and returned, spooled) when the signature covers it."""
        assert self.client_credentials is not None
        try:
            auth = read_auth(request)
        except InputError as exc:
            raise Refuse(400, "InvalidRequest", exc.message) from None
        if auth is None:
            raise Refuse(
                403,
                "AccessDenied",
                "this proxy forwards only requests signed with a key it knows (--client-key)",
            )
        payload = _payload_line(request)
        covers_body = (
            auth.algorithm != "AWS" and auth.variant == "header" and payload != (UNSIGNED_PAYLOAD)
        )
        spool: Spool | None = None
        checked = request
        if covers_body:
            spool = await Spool(self.buffer_limit, self.spool_dir).fill(body)
            checked = request.with_body(spool.stream() if spool.length else None)
        now = datetime.fromtimestamp(self.clock(), UTC)
        outcome = await asyncio.to_thread(
            verify_request, checked, self.client_credentials, now, skew=self.client_skew
        )
        if outcome.verdict != "match":
            if spool is not None:
                spool.close()
            problem = outcome.problems[0]
            raise Refuse(problem.status, problem.code, problem.message)
        return spool


def parse_client_key(value: str) -> Credentials:
    """One ``--client-key ID:SECRET`` (the secret is never echoed in an error)."""
    key, sep, secret = value.partition(":")
    if not sep or not key.strip() or not secret:
        raise InputError("--client-key", "give ID:SECRET (an access key id, a colon, its secret)")
    return Credentials(key.strip(), secret)


def transformer_from_options(
    credentials: Credentials | Iterable[Credentials],
    *,
    sig: str = "v4",
    region: str | None = None,
    service: str | None = None,
    payload: str | None = None,
    chunked_over: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    buffer_limit: int = DEFAULT_BUFFER_LIMIT,
    client_keys: Iterable[str] = (),
    client_credentials: Iterable[Credentials] | Mapping[str, Credentials] | None = None,
    client_skew_seconds: int = int(DEFAULT_SKEW.total_seconds()),
    store: str | None = None,
) -> Resigner:
    """The transformer `sigkit proxy --resign` installs, from its options: the first of
    `credentials` signs; `client_keys` (``ID:SECRET``) or `client_credentials` turn on the
    client check; the region is `region`, else the `store` profile's default, else us-east-1;
    the service `service`, else s3."""
    if sig not in ("v4", "v2"):
        raise InputError("--sig", f"{sig!r} is not v4 or v2")
    if payload is not None and payload not in PAYLOADS:
        raise InputError("--payload", f"{payload!r} is not one of {', '.join(PAYLOADS)}")
    signer = credentials if isinstance(credentials, Credentials) else next(iter(credentials), None)
    if signer is None:
        raise InputError(
            "--resign", "needs credentials (--access-key/--secret-key, AWS_*, --profile)"
        )
    if region is None and store is not None:
        from sigkit import stores

        region = stores.get(store).default_region
    clients: dict[str, Credentials] | None = None
    keys = [parse_client_key(k) for k in client_keys]
    if client_credentials is not None:
        items = (
            client_credentials.values()
            if isinstance(client_credentials, Mapping)
            else client_credentials
        )
        keys += list(items)
    if keys:
        clients = {c.access_key_id: c for c in keys}
    return Resigner(
        signer,
        sig="v2" if sig == "v2" else "v4",
        region=region or "us-east-1",
        service=service or "s3",
        payload=payload,
        chunked_over=chunked_over,
        chunk_size=chunk_size,
        buffer_limit=buffer_limit,
        client_credentials=clients,
        client_skew=timedelta(seconds=client_skew_seconds),
    )

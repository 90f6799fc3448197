"""The signing every adapter shares: from a method, URL, headers and body to the headers (or
URL) to send, through sigkit's own signers and `rules_for` / `v2_rules`.

The adapters only translate their library's request into `Signer.sign`'s arguments and apply
what it returns. What is signed is what the library is about to send: every header the
request carries at that point except the ones `rules_for`'s config leaves unsigned
(User-Agent, Expect, Connection, Transfer-Encoding ...), the path and query as they will go
on the wire, and the payload as chosen:

- ``"hashed"`` (default): the SHA-256 of the body. Bytes are hashed directly; a seekable
  stream (an open file) is read once in pieces and rewound (`sigkit.payload.sha256_stream`),
  so memory stays constant; a stream that cannot seek (a generator, an iterator, an async
  iterable) is *spooled*: copied while hashed into a temporary file (in memory up to
  `SPOOL_IN_MEMORY`, on disk beyond) which is then sent with its Content-Length.
- ``"unsigned"``: ``UNSIGNED-PAYLOAD``; the body is sent as it is, never read for signing.
- ``"chunked"``: aws-chunked (`sigkit.sigv4.chunked`): a seed signature, then every 64 KiB
  chunk signed as it is sent, read from the body one chunk at a time. The decoded length must
  be known (bytes, a seekable stream or a Content-Length); otherwise the body is spooled first.

The signing time is the clock at the moment of `sign`, which the adapters call when the
request is sent.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, Literal

from sigkit.credentials import Credentials
from sigkit.errors import InputError
from sigkit.http import Request
from sigkit.integrations._credentials import CredentialSource
from sigkit.result import SigningResult
from sigkit.sigv2.s3 import S3V2Config, sign_v2, sign_v2_query, v2_rules
from sigkit.sigv4.config import S3_SERVICES, UNSIGNED_PAYLOAD, SigV4Config, rules_for
from sigkit.sigv4.signer import sign_v4, sign_v4_query

Algorithm = Literal["v4", "v4a", "s3v2"]
Payload = Literal["hashed", "unsigned", "chunked"]
ALGORITHMS = ("v4", "v4a", "s3v2")
PAYLOADS = ("hashed", "unsigned", "chunked")
SPOOL_IN_MEMORY = 1 << 20  # a spooled body larger than this goes to a temporary file
READ_PIECE = 64 << 10
# Headers the adapter replaces when it replaces the body (spooled, or aws-chunked).
LENGTH_HEADERS = frozenset({"content-length", "transfer-encoding"})


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Signed:
    """What to apply to the library's request.

    `headers` are the headers signing added (Host first when it added one); `url` the
    presigned URL (query variant) or None; `body` the body to send instead (spooled or
    aws-chunked) or None to keep it; `length` its Content-Length; `drop` the lower-case header
    names to remove first."""

    result: SigningResult
    headers: list[tuple[str, str]]
    credentials: Credentials
    url: str | None = None
    body: Iterable[bytes] | IO[bytes] | None = None
    length: int | None = None
    drop: frozenset[str] = frozenset()


class Spool:
    """A body that cannot be rewound, copied while it is hashed into a temporary file (memory
    up to `SPOOL_IN_MEMORY`, then disk), so it can be signed by its hash and then sent."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        self._hash = hashlib.sha256()
        self.length = 0

    def add(self, piece: bytes | bytearray | memoryview) -> None:
        if isinstance(piece, str):
            raise InputError("body", "an iterator body must yield bytes, not text")
        self._hash.update(piece)
        self.file.write(piece)
        self.length += len(piece)

    def done(self) -> tuple[IO[bytes], int, str]:
        """The file rewound, its length and its SHA-256."""
        self.file.seek(0)
        return self.file, self.length, self._hash.hexdigest()

    @classmethod
    def of(cls, pieces: Iterable[bytes]) -> Spool:
        spool = cls()
        for piece in pieces:
            spool.add(piece)
        return spool


class IterReader(io.RawIOBase):
    """A readable stream over an iterator of bytes (aws-chunked reads its source as one)."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces: Iterator[bytes] = iter(pieces)
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._left = memoryview(piece)
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


def seekable(body: object) -> bool:
    """A stream that can be read and rewound (an open file, BytesIO)."""
    try:
        return hasattr(body, "read") and bool(body.seekable())  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return False


class Signer:
    """One signing setup (algorithm, service, region, credentials, payload); thread-safe.

    - `algorithm`: ``"v4"`` (SigV4), ``"v4a"`` (SigV4A over `region_set`, default the region)
      or ``"s3v2"`` (S3 Signature Version 2: only S3, no payload signed).
    - `presign`: sign in the URL (the query variant) instead of the Authorization header;
      `expires` seconds.
    - `config_changes`: further `SigV4Config` / `S3V2Config` fields (e.g. ``unsigned_headers``,
      ``addressing``), handed to `rules_for` / `v2_rules` which decide the rest.
    """

    def __init__(
        self,
        service: str = "s3",
        region: str | None = None,
        *,
        credentials: object = None,
        profile: str | None = None,
        algorithm: Algorithm = "v4",
        region_set: str | Sequence[str] | None = None,
        payload: Payload = "hashed",
        presign: bool = False,
        expires: int = 3600,
        chunk_size: int | None = None,
        clock: Callable[[], datetime] | None = None,
        **config_changes: Any,
    ) -> None:
        if algorithm not in ALGORITHMS:
            raise InputError("algorithm", f"{algorithm!r} is not one of {', '.join(ALGORITHMS)}")
        if payload not in PAYLOADS:
            raise InputError("payload", f"{payload!r} is not one of {', '.join(PAYLOADS)}")
        if region is None and algorithm != "s3v2":
            region = _configured_region(profile)
        if region is None and algorithm != "s3v2" and service not in S3_SERVICES:
            raise InputError("region", f"no region configured for {service!r}; pass region=")
        self.service = service
        self.region = region or "us-east-1"  # S3's default, as botocore's
        self.algorithm = algorithm
        self.payload = payload if algorithm != "s3v2" else "unsigned"
        self.presign = presign
        self.credentials = CredentialSource(credentials, profile=profile)
        self.clock = clock or _utc_now
        self.region_set: str | None = None
        self._v2: S3V2Config | None = None
        self._v4: SigV4Config | None = None
        self._changes = config_changes
        if algorithm == "s3v2":
            if payload == "chunked":
                raise InputError("payload", "aws-chunked bodies are SigV4 and SigV4A only")
            changes = dict(config_changes)
            if presign:
                changes.setdefault("expires_in", expires)
            self._v2 = v2_rules(service, **changes)
            return
        if algorithm == "v4a":
            from sigkit.sigv4.sigv4a import region_set_value

            self.region_set = region_set_value(region_set or self.region)
        elif region_set is not None:
            raise InputError("region_set", "only SigV4A (algorithm='v4a') signs a region set")
        variant: Literal["header", "query"] = "query" if presign else "header"
        fixed = UNSIGNED_PAYLOAD if self.payload == "unsigned" else None
        if presign:
            config_changes.setdefault("expires", expires)
            if payload == "chunked":
                raise InputError("payload", "a presigned URL carries no aws-chunked body")
        self._v4 = rules_for(service, self.region, variant=variant, payload=fixed, **config_changes)
        if chunk_size is not None:
            from sigkit.sigv4.chunked import ChunkedConfig

            ChunkedConfig(chunk_size=chunk_size)  # checked now, not at the first request
        self.chunk_size = chunk_size

    # -- what the adapters ask ----------------------------------------------------------
    def must_spool(self, body_seekable: bool, length: int | None) -> bool:
        """Whether a body that is neither bytes nor None must be spooled before signing."""
        if self.payload == "hashed" and not self.presign:
            return not body_seekable
        if self.payload == "chunked":
            return not body_seekable and length is None
        return False

    def sign(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes | IO[bytes] | Iterable[bytes] | None = None,
        *,
        length: int | None = None,
        payload_hash: str | None = None,
    ) -> Signed:
        """Sign the request about to be sent. `body` is bytes, None, a seekable stream, or
        (unsigned or chunked payloads, with `length` for chunked) any iterable of bytes;
        `payload_hash` is the SHA-256 of a spooled body, already computed."""
        when = self.clock()
        creds = self.credentials.get(when)
        pairs = [(n, v) for n, v in headers]
        has_body = body not in (None, b"") and length != 0
        if self.payload == "chunked" and not self.presign and has_body:
            return self._chunked(method, url, pairs, body, length, creds, when)
        sigkit_body = body if body is None or isinstance(body, bytes) or seekable(body) else None
        request = Request.from_url(method, url, pairs, sigkit_body)  # type: ignore[arg-type]
        if self._v2 is not None:
            signer = sign_v2_query if self.presign else sign_v2
            result = signer(request, creds, when, self._v2)
        else:
            config = self._v4
            assert config is not None
            if payload_hash is not None:
                config = rules_for(
                    self.service, self.region, payload=payload_hash, **self._changes
                )
            elif sigkit_body is None and body is not None and self.payload == "hashed":
                raise InputError("body", "a stream that cannot seek must be spooled to be hashed")
            result = self._sign_v4(request, creds, when, config)
        if self.presign:
            url = result.request.url
            return Signed(result, _added(request, result.request), creds, url=url)
        return Signed(result, _added(request, result.request), creds)

    def _sign_v4(
        self, request: Request, creds: Credentials, when: datetime, config: SigV4Config
    ) -> SigningResult:
        if self.algorithm == "v4a":
            from sigkit.sigv4.sigv4a import sign_v4a, sign_v4a_query

            sign_a = sign_v4a_query if self.presign else sign_v4a
            return sign_a(request, creds, when, config, self.region_set)
        sign = sign_v4_query if self.presign else sign_v4
        return sign(request, creds, when, config)

    def _chunked(
        self,
        method: str,
        url: str,
        pairs: list[tuple[str, str]],
        body: bytes | IO[bytes] | Iterable[bytes] | None,
        length: int | None,
        creds: Credentials,
        when: datetime,
    ) -> Signed:
        from sigkit.sigv4.chunked import (
            DEFAULT_CHUNK_SIZE,
            STREAMING_ECDSA,
            STREAMING_SIGNED,
            ChunkedConfig,
            sign_v4_chunked,
        )

        assert self._v4 is not None
        kept = [(n, v) for n, v in pairs if n.lower() not in LENGTH_HEADERS]
        source: bytes | IO[bytes] | io.RawIOBase
        if body is None or isinstance(body, bytes) or seekable(body):
            source = body or b""  # type: ignore[assignment]
        else:
            if length is None:
                raise InputError("body", "an aws-chunked body needs its length (or seekable)")
            source = IterReader(body)
        request = Request.from_url(method, url, kept, source)  # type: ignore[arg-type]
        payload = STREAMING_ECDSA if self.algorithm == "v4a" else STREAMING_SIGNED
        chunked = ChunkedConfig(payload=payload, chunk_size=self.chunk_size or DEFAULT_CHUNK_SIZE)
        upload = sign_v4_chunked(
            request,
            creds,
            when,
            self._v4,
            chunked,
            decoded_length=None if isinstance(source, bytes) or seekable(source) else length,
            region_set=self.region_set,
        )
        added = _added(request.with_body(None), upload.seed.request)
        return Signed(
            upload.seed,
            added,
            creds,
            body=upload.body,
            length=upload.body.length,
            drop=LENGTH_HEADERS,
        )


def _added(before: Request, after: Request) -> list[tuple[str, str]]:
    """Headers the signer added: it appends them, but puts a Host it adds first."""
    old, new = before.headers, after.headers
    if len(new) == len(old):
        return []
    if old and new[0] is old[0]:
        return list(new[len(old) :])
    return [new[0], *new[len(old) + 1 :]]


def _configured_region(profile: str | None) -> str | None:
    """The region the CLI would use: AWS_REGION, AWS_DEFAULT_REGION, the profile's."""
    import os

    from sigkit.credentials import resolve_region
    from sigkit.integrations._credentials import _home

    found = resolve_region(env=os.environ, home=_home(), profile=profile)
    return found.value if found is not None else None

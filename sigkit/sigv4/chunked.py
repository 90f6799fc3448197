"""aws-chunked bodies: S3's streaming upload, encoded and decoded one chunk at a time.

An aws-chunked body is a run of chunks, ``<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n``,
then an empty final chunk and, in the ``*-TRAILER`` variants, trailing headers::

    STREAMING-AWS4-HMAC-SHA256-PAYLOAD
    10000;chunk-signature=ad80…\\r\\n<65536 bytes>\\r\\n
    400;chunk-signature=0055…\\r\\n<1024 bytes>\\r\\n
    0;chunk-signature=b6c6…\\r\\n\\r\\n

    STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the same, but the final chunk ends
    0;chunk-signature=2ca2…\\r\\n
    x-amz-checksum-crc32c:sOO8/Q==\\r\\n
    x-amz-trailer-signature:d81f…\\r\\n\\r\\n

    STREAMING-UNSIGNED-PAYLOAD-TRAILER
    400\\r\\n<1024 bytes>\\r\\n0\\r\\nx-amz-checksum-crc32:…\\r\\n\\r\\n

The seed is an ordinary header signature (`sign_v4` / `sign_v4a`) whose payload hash is the
``STREAMING-*`` constant. Every chunk signature then signs the one before it::

    chunk string to sign   = <alg>-PAYLOAD \\n <timestamp> \\n <scope> \\n <previous signature>
                             \\n sha256("") \\n sha256(chunk data)
    trailer string to sign = <alg>-TRAILER \\n <timestamp> \\n <scope> \\n <final chunk signature>
                             \\n sha256(canonical trailer)

with ``<alg>`` ``AWS4-HMAC-SHA256`` (HMAC with the seed's signing key) or ``AWS4-ECDSA-P256-SHA256``
(SigV4A: ECDSA with the derived key; on the wire right-padded with ``*`` to 144 characters so
that Content-Length is known before signing). The canonical trailer is ``name:value\\n`` per
header, names lower-cased and sorted, values trimmed.

Encoding streams: the source is read with ``readinto`` into one reused buffer (whole chunks, up
to 1 MiB a read), so memory stays at a few chunks whatever the body size, and each chunk's data
is copied once more, into its frame. Every chunk's string to sign and signature is a
`ChunkStep`, so a caller can show them. Nothing here reads a clock, the environment or files
other than the stream it is given.

Checksums for the trailer: every algorithm of `sigkit.checksums` (CRC32, CRC32C, CRC64NVME,
SHA-1/256/512, MD5, XXHASH64/3/128, C-backed where awscrt is installed); the value is the base64
of the big-endian digest, as S3 sends it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO, cast

from sigkit.checksums import (
    ALGORITHMS,
    DIGEST_SIZE,
    Hasher,
    backend,
    checksum_header,
    normalise,
)
from sigkit.checksums import checksum_value as checksum_value
from sigkit.checksums import crc32c as crc32c
from sigkit.checksums import new as new_checksum
from sigkit.credentials import Credentials
from sigkit.errors import InputError, UnsupportedError, VerificationError
from sigkit.hmackey import HmacKey
from sigkit.http import Request, check_header
from sigkit.result import SigningResult
from sigkit.sigv4.canonical import fold_value
from sigkit.sigv4.config import EMPTY_SHA256, SigV4Config
from sigkit.sigv4.signer import sign_v4
from sigkit.timefmt import amz_date, check_utc

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_ECDSA = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
STREAMING_ECDSA_TRAILER = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"

HMAC_ALGORITHM = "AWS4-HMAC-SHA256"
ECDSA_ALGORITHM = "AWS4-ECDSA-P256-SHA256"
TRAILER_SIGNATURE = "x-amz-trailer-signature"

MIN_CHUNK_SIZE = 8 * 1024  # S3: every chunk but the last holds at least 8 KiB
DEFAULT_CHUNK_SIZE = 64 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024  # sigkit's bound, so that memory stays bounded
_READ_SIZE = 1 << 20  # bytes the encoder reads from its source at once (whole chunks)
Stream = BinaryIO | io.RawIOBase | io.BufferedIOBase
Source = bytes | bytearray | Stream  # what an encoder or decoder reads from

ECDSA_WIRE_LENGTH = 144  # hex length of the longest DER P-256 signature (72 bytes)
_MAX_LINE = 4096  # longest chunk header or trailer line the decoder reads
_MAX_TRAILER_BYTES = 16 * 1024

_SIG_SEP = ";chunk-signature="
_HEX_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}\Z")
_HMAC_SIG = re.compile(r"[0-9a-f]{64}\Z")
_ECDSA_SIG = re.compile(r"[0-9a-f]{2,144}\**\Z")


@dataclass(frozen=True, slots=True)
class _Variant:
    algorithm: str | None  # None: chunks are not signed
    trailer: bool

    @property
    def signature_length(self) -> int:
        """Characters of a signature on the wire: fixed, so Content-Length is known ahead."""
        if self.algorithm is None:
            return 0
        return 64 if self.algorithm == HMAC_ALGORITHM else ECDSA_WIRE_LENGTH


VARIANTS = {
    STREAMING_SIGNED: _Variant(HMAC_ALGORITHM, False),
    STREAMING_SIGNED_TRAILER: _Variant(HMAC_ALGORITHM, True),
    STREAMING_UNSIGNED_TRAILER: _Variant(None, True),
    STREAMING_ECDSA: _Variant(ECDSA_ALGORITHM, False),
    STREAMING_ECDSA_TRAILER: _Variant(ECDSA_ALGORITHM, True),
}


def _variant(payload: str) -> _Variant:
    try:
        return VARIANTS[payload]
    except KeyError:
        raise InputError(
            "payload", f"{payload!r} is not an aws-chunked payload ({', '.join(VARIANTS)})"
        ) from None


# --------------------------------------------------------------------------- checksums


# Every x-amz-checksum-* algorithm lives in sigkit.checksums (checksum_header, checksum_value
# and crc32c are imported from there and stay importable from here).
CHECKSUMS = ALGORITHMS


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class ChunkedConfig:
    """How an aws-chunked body is made.

    - `payload`: the ``x-amz-content-sha256`` value; it says whether chunks are signed
      (HMAC or ECDSA) and whether trailing headers follow.
    - `chunk_size`: data bytes per chunk; only the last may be shorter.
    - `checksum`: an algorithm of `sigkit.checksums.ALGORITHMS` (``crc32``, ``CRC32`` and
      ``x-amz-checksum-crc32`` all name one), sent as the trailer ``x-amz-checksum-<name>``
      (``*-TRAILER`` payloads only).
    - `trailers`: more trailing headers with values known in advance.
    - `min_chunk_size`: S3 refuses shorter chunks (but the last); 0 lifts the check for
      servers that have no such rule, and for tests.
    - `content_encoding`: send ``Content-Encoding: aws-chunked``, as the documented examples do.
    """

    payload: str = STREAMING_SIGNED
    chunk_size: int = DEFAULT_CHUNK_SIZE
    checksum: str | None = None
    trailers: tuple[tuple[str, str], ...] = ()
    min_chunk_size: int = MIN_CHUNK_SIZE
    content_encoding: bool = True

    def __post_init__(self) -> None:
        variant = _variant(self.payload)
        size, minimum = self.chunk_size, self.min_chunk_size
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_CHUNK_SIZE:
            raise InputError("chunk size", f"{size!r} is not in 1..{MAX_CHUNK_SIZE} bytes")
        if not isinstance(minimum, int) or minimum < 0:
            raise InputError("min chunk size", f"{minimum!r} is not a byte count")
        if size < minimum:
            raise InputError(
                "chunk size",
                f"{size} bytes is below the {minimum}-byte minimum S3 sets for every chunk "
                "but the last (min_chunk_size=0 lifts it for servers without that rule)",
            )
        if self.checksum is not None:
            object.__setattr__(self, "checksum", normalise(self.checksum))
        trailers = tuple(self.trailers)
        object.__setattr__(self, "trailers", trailers)
        if (self.checksum or trailers) and not variant.trailer:
            raise InputError(
                "trailer",
                f"{self.payload} sends no trailing headers; use a *-TRAILER payload",
            )
        seen = {checksum_header(self.checksum)} if self.checksum else set()
        for pair in trailers:
            if len(pair) != 2:
                raise InputError("trailer", f"{pair!r} is not a (name, value) pair")
            name, value = pair
            check_header(name, value)
            lname = name.lower()
            if lname == TRAILER_SIGNATURE or lname in seen:
                raise InputError(f"trailer {name}", "sent twice or reserved")
            seen.add(lname)

    @property
    def signed(self) -> bool:
        return _variant(self.payload).algorithm is not None

    def trailer_names(self) -> list[str]:
        """The ``x-amz-trailer`` list, in the order the trailers are sent."""
        names = [name for name, _ in self.trailers]
        if self.checksum:
            names.insert(0, checksum_header(self.checksum))
        return names


# --------------------------------------------------------------------------- arithmetic


def _chunk_overhead(size: int, signature_length: int) -> int:
    """Framing bytes around one chunk: the size line and the CRLF after the data."""
    line = len(f"{size:x}") + (len(_SIG_SEP) + signature_length if signature_length else 0)
    return line + 2 + (2 if size else 0)


def encoded_length(decoded_length: int, config: ChunkedConfig) -> int:
    """Content-Length of the aws-chunked body carrying `decoded_length` data bytes.

    Chunk lines, data and CRLFs, the final chunk, then either CRLF or the trailer block
    (``name:value\\r\\n`` each, the trailer signature line if signed, CRLF).

    >>> encoded_length(66560, ChunkedConfig(chunk_size=65536))
    66824
    """
    _check_length(decoded_length, "decoded length")
    variant = _variant(config.payload)
    sig = variant.signature_length
    full, rest = divmod(decoded_length, config.chunk_size)
    total = decoded_length + full * _chunk_overhead(config.chunk_size, sig)
    if rest:
        total += _chunk_overhead(rest, sig)
    total += _chunk_overhead(0, sig)
    if variant.trailer:
        for name, value in _trailer_shapes(config):
            total += len(name) + 1 + len(value) + 2
        if sig:
            total += len(TRAILER_SIGNATURE) + 1 + sig + 2
    return total + 2


def _trailer_shapes(config: ChunkedConfig) -> list[tuple[str, str]]:
    """Trailers as they will be sent, with the checksum as a placeholder of its final length."""
    shapes = []
    if config.checksum:
        width = DIGEST_SIZE[config.checksum]
        shapes.append((checksum_header(config.checksum), "=" * (4 * ((width + 2) // 3))))
    shapes.extend(config.trailers)
    return shapes


def _check_length(value: object, field_name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(field_name, f"{value!r} is not a byte count")
    return value


def chunked_headers(decoded_length: int, config: ChunkedConfig) -> list[tuple[str, str]]:
    """Headers an aws-chunked request carries besides the signature ones, in sending order."""
    headers = []
    if config.content_encoding:
        headers.append(("Content-Encoding", "aws-chunked"))
    headers.append(("x-amz-decoded-content-length", str(decoded_length)))
    names = config.trailer_names()
    if names:
        headers.append(("x-amz-trailer", ",".join(names)))
    headers.append(("Content-Length", str(encoded_length(decoded_length, config))))
    return headers


def prepare_request(request: Request, decoded_length: int, config: ChunkedConfig) -> Request:
    """The request with the aws-chunked headers added, ready for the seed signature.

    A header the request already carries must agree with the body; it is never rewritten.
    ``Content-Encoding`` may list more codings after ``aws-chunked`` (``aws-chunked,gzip``).
    """
    wanted = chunked_headers(decoded_length, config)
    added = []
    for name, value in wanted:
        sent = request.header(name)
        if sent is None:
            added.append((name, value))
            continue
        sent = sent.strip()
        if name == "Content-Encoding":
            if sent.split(",")[0].strip().lower() != "aws-chunked":
                raise InputError(
                    "header Content-Encoding",
                    f"is {sent!r}; an aws-chunked body needs 'aws-chunked,{sent}'",
                )
        elif sent != value:
            raise InputError(
                f"header {name}",
                f"the request carries {sent!r} but the aws-chunked body needs {value!r}",
            )
    if request.header("transfer-encoding") is not None:
        raise InputError(
            "header Transfer-Encoding", "an aws-chunked body is sent with Content-Length"
        )
    return request.with_headers(added)


# --------------------------------------------------------------------------- signing


def chunk_string_to_sign(
    algorithm: str, timestamp: str, scope: str, previous_signature: str, chunk_hash: str
) -> str:
    """``<alg>-PAYLOAD\\n<timestamp>\\n<scope>\\n<previous>\\n<sha256("")>\\n<sha256(data)>``."""
    return (
        f"{algorithm}-PAYLOAD\n{timestamp}\n{scope}\n{previous_signature}\n"
        f"{EMPTY_SHA256}\n{chunk_hash}"
    )


def canonical_trailer(trailers: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> str:
    """``name:value\\n`` per trailing header: names lower-cased and sorted, values trimmed."""
    lines = sorted((name.strip().lower(), fold_value(value)) for name, value in trailers)
    return "".join(f"{name}:{value}\n" for name, value in lines)


def trailer_string_to_sign(
    algorithm: str, timestamp: str, scope: str, previous_signature: str, canonical: str
) -> str:
    """``<alg>-TRAILER\\n<timestamp>\\n<scope>\\n<final chunk signature>\\n<sha256 of trailer>``."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{algorithm}-TRAILER\n{timestamp}\n{scope}\n{previous_signature}\n{digest}"


@dataclass(frozen=True, slots=True)
class ChunkSigner:
    """What chains the chunk signatures of one upload to its seed signature.

    Immutable: the encoder and decoder carry the previous signature. `sign` is None when only
    verification is possible (SigV4A with the public key alone).
    """

    algorithm: str
    timestamp: str
    scope: str
    seed_signature: str
    sign: Callable[[str], str] | None = field(repr=False)
    verify: Callable[[str, str], bool] = field(repr=False)

    @classmethod
    def sigv4(
        cls, seed_signature: str, when: datetime, scope: str, signing_key: bytes
    ) -> ChunkSigner:
        """HMAC-SHA256 chunks: the key is the seed's kSigning (``signing_key(...)[3]``)."""
        stamp = _stamp_for_scope(when, scope, 4)
        if not isinstance(signing_key, bytes) or len(signing_key) != 32:
            raise InputError("signing key", "must be the 32 bytes of kSigning")
        _check_signature(seed_signature, HMAC_ALGORITHM, "seed signature")

        # The key set up once (sigkit.hmackey): half the cost of `hmac.new` per chunk.
        key = HmacKey(signing_key, "sha256")

        def sign(string_to_sign: str) -> str:
            return key.hexdigest(string_to_sign.encode("utf-8"))

        def verify(string_to_sign: str, signature: str) -> bool:
            return hmac.compare_digest(sign(string_to_sign), signature)

        return cls(HMAC_ALGORITHM, stamp, scope, seed_signature, sign, verify)

    @classmethod
    def sigv4a(
        cls,
        seed_signature: str,
        when: datetime,
        scope: str,
        *,
        private_key: ec.EllipticCurvePrivateKey | None = None,
        public_key: ec.EllipticCurvePublicKey | None = None,
    ) -> ChunkSigner:
        """ECDSA P-256 chunks (SigV4A): signing needs the private key, verifying the public."""
        from sigkit.sigv4.sigv4a import verify_v4a

        stamp = _stamp_for_scope(when, scope, 3)
        _check_signature(seed_signature, ECDSA_ALGORITHM, "seed signature")
        sign: Callable[[str], str] | None = None
        if private_key is not None:
            key = private_key
            public = key.public_key() if public_key is None else public_key

            def sign(string_to_sign: str) -> str:
                return _ecdsa_sign(key, string_to_sign)

        elif public_key is not None:
            public = public_key
        else:
            raise InputError("key", "SigV4A chunks need the private key or the public key")

        def verify(string_to_sign: str, signature: str) -> bool:
            return verify_v4a(string_to_sign, signature, public)

        return cls(ECDSA_ALGORITHM, stamp, scope, seed_signature, sign, verify)

    @classmethod
    def from_result(cls, result: SigningResult) -> ChunkSigner:
        """The chain that continues a seed made by `sign_v4` or `sign_v4a` (header variant)."""
        if result.variant != "header":
            raise InputError("seed", "aws-chunked uploads are signed in the header variant")
        stamp = result["string_to_sign"].split("\n")[1]
        when = _parse_stamp(stamp)
        scope = result["credential_scope"]
        if result.algorithm == "sigv4":
            return cls.sigv4(result.signature, when, scope, bytes.fromhex(result["signing_key"]))
        if result.algorithm == "sigv4a":
            from cryptography.hazmat.primitives.asymmetric import ec

            key = ec.derive_private_key(int(result["private_key"], 16), ec.SECP256R1())
            return cls.sigv4a(result.signature, when, scope, private_key=key)
        raise UnsupportedError(f"aws-chunked signing after a {result.algorithm} seed")

    def chunk_step(self, index: int, previous: str, data: bytes | memoryview) -> ChunkStep:
        """Sign one chunk (data chunk or the empty final one)."""
        digest, sts, signature = self._chunk_signer()(previous, data)
        kind = "final" if len(data) == 0 else "chunk"
        line = f"{len(data):x}{_SIG_SEP}{self.wire(signature)}"
        return ChunkStep(index, kind, len(data), line, digest, sts, signature, previous)

    def _chunk_signer(self) -> Callable[[str, bytes | memoryview], tuple[str, str, str]]:
        """(data hash, string to sign, signature) of a chunk, with the constant parts of the
        string to sign joined once: an encoder signs thousands of chunks with one signer.
        The string is the one `chunk_string_to_sign` gives."""
        head = f"{self.algorithm}-PAYLOAD\n{self.timestamp}\n{self.scope}\n"
        middle = f"\n{EMPTY_SHA256}\n"
        sign = self.sign if self.sign is not None else self._sign
        sha256 = hashlib.sha256

        def signed(previous: str, data: bytes | memoryview) -> tuple[str, str, str]:
            digest = sha256(data).hexdigest()
            sts = head + previous + middle + digest
            return digest, sts, sign(sts)

        return signed

    def trailer_step(self, index: int, previous: str, trailers: list[tuple[str, str]]) -> ChunkStep:
        canonical = canonical_trailer(trailers)
        sts = trailer_string_to_sign(
            self.algorithm, self.timestamp, self.scope, previous, canonical
        )
        signature = self._sign(sts)
        lines = "".join(f"{name}:{value}\r\n" for name, value in trailers)
        lines += f"{TRAILER_SIGNATURE}:{self.wire(signature)}\r\n"
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        return ChunkStep(index, "trailer", 0, lines, digest, sts, signature, previous, canonical)

    def wire(self, signature: str) -> str:
        """The signature as sent: SigV4A right-pads with ``*`` to a fixed length."""
        if self.algorithm == ECDSA_ALGORITHM:
            return signature.ljust(ECDSA_WIRE_LENGTH, "*")
        return signature

    def _sign(self, string_to_sign: str) -> str:
        if self.sign is None:
            raise InputError("key", "only a public key was given: chunks can be verified only")
        return self.sign(string_to_sign)


def _ecdsa_sign(key: ec.EllipticCurvePrivateKey, string_to_sign: str) -> str:
    """Hex of the DER ECDSA-P256-SHA256 signature (random nonce, as SigV4A)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    return key.sign(string_to_sign.encode("utf-8"), ec.ECDSA(hashes.SHA256())).hex()


def _parse_stamp(stamp: str) -> datetime:
    from sigkit.timefmt import parse_time

    return parse_time(stamp, field="timestamp")


def _stamp_for_scope(when: datetime, scope: str, parts: int) -> str:
    stamp = amz_date(check_utc(when, "timestamp"))
    pieces = scope.split("/") if isinstance(scope, str) else []
    if len(pieces) != parts or pieces[-1] != "aws4_request" or not all(pieces):
        shape = "date/region/service" if parts == 4 else "date/service"
        raise InputError("scope", f"{scope!r} is not {shape}/aws4_request")
    if pieces[0] != stamp[:8]:
        raise InputError("scope", f"the scope's date {pieces[0]} is not the signing day {stamp}")
    return stamp


def _check_signature(signature: str, algorithm: str, what: str) -> None:
    pattern = _HMAC_SIG if algorithm == HMAC_ALGORITHM else _ECDSA_SIG
    if not isinstance(signature, str) or not pattern.match(signature):
        kind = "64 lower-case hex digits" if algorithm == HMAC_ALGORITHM else "hex (DER)"
        raise InputError(what, f"{signature!r} is not {kind}")


@dataclass(frozen=True, slots=True)
class ChunkStep:
    """One chunk (or the trailer) as sent, with what its signature was computed from.

    `line` is the chunk header without CRLF (``400;chunk-signature=…``), or for the trailer
    the block of trailer lines as sent. `payload_hash` is the SHA-256 of the chunk data (of the
    canonical trailer); the signing fields are None for unsigned payloads.
    """

    index: int
    kind: str  # "chunk", "final" or "trailer"
    size: int
    line: str
    payload_hash: str | None = None
    string_to_sign: str | None = None
    signature: str | None = None
    previous_signature: str | None = None
    canonical_trailer: str | None = None


# --------------------------------------------------------------------------- encoding


class ChunkedBody:
    """An aws-chunked body made while it is read: iterate it for the bytes to send.

    The source is read with ``readinto`` into one reused buffer of `config.chunk_size` bytes,
    so memory stays at a few chunks. A source whose length differs from `decoded_length` is an
    `InputError`: found before the first byte when the source can seek, otherwise before the
    chunk that shows it, so what was produced never ends in a final chunk and no server takes
    it as a whole body. A seekable source can be encoded again (a retry); another cannot.
    """

    def __init__(
        self,
        source: Source,
        decoded_length: int | None,
        config: ChunkedConfig,
        signer: ChunkSigner | None = None,
    ) -> None:
        _check_signer(config.payload, signer, required=True)
        if isinstance(source, bytes | bytearray):
            if decoded_length is None:
                decoded_length = len(source)
            source = io.BytesIO(source)
        elif not hasattr(source, "read"):
            raise InputError("body", f"must be bytes or a binary stream, not {type(source)}")
        if decoded_length is None:
            decoded_length = _remaining(source)
            if decoded_length is None:
                raise InputError("decoded length", "give the length of a stream that cannot seek")
        self.decoded_length = _check_length(decoded_length, "decoded length")
        self.config = config
        self.signer = signer
        self.length = encoded_length(self.decoded_length, config)
        self.trailers: list[tuple[str, str]] = []
        self._source = source
        self._start = _tell(source)
        self._used = False

    def __iter__(self) -> Iterator[bytes]:
        self._rewind()
        for _, data in self._frames(steps=False):
            yield data

    def frames(self) -> Iterator[tuple[ChunkStep, bytes]]:
        """Each chunk's step and its bytes on the wire (header, data, CRLF)."""
        self._rewind()
        return cast("Iterator[tuple[ChunkStep, bytes]]", self._frames(steps=True))

    def stream(self) -> BinaryIO:
        """The body as a readable binary stream (for HTTP clients that want one)."""
        return io.BufferedReader(_IterStream(iter(self)), buffer_size=self.config.chunk_size)

    def read(self) -> bytes:
        """The whole body at once, for small bodies and tests."""
        return b"".join(self)

    def _rewind(self) -> None:
        if self._used:
            if self._start is None:
                raise InputError(
                    "body", "a stream that cannot seek can be encoded once; give it again"
                )
            try:
                self._source.seek(self._start)
            except OSError as exc:
                raise InputError("body", f"cannot be rewound: {exc}") from None
        self._used = True
        if self._start is not None:
            remaining = _remaining(self._source)
            if remaining is not None and remaining != self.decoded_length:
                raise InputError(
                    "body",
                    f"holds {remaining} bytes but the declared length is {self.decoded_length}",
                )

    def _frames(self, *, steps: bool) -> Iterator[tuple[ChunkStep | None, bytes]]:
        """The frames; data chunks come without their `ChunkStep` unless `steps` (making one
        costs about 2% of the time per 64 KiB chunk, for a caller that only sends bytes)."""
        config, signer = self.config, self.signer
        size = config.chunk_size
        # Several chunks per read: fewer calls into the source (a Python method, often).
        block = min(max(_READ_SIZE // size, 1) * size, max(self.decoded_length, 1))
        buffer = memoryview(bytearray(block))
        checksum = new_checksum(config.checksum) if config.checksum else None
        previous = signer.seed_signature if signer else ""
        sign_chunk = signer._chunk_signer() if signer else None
        pad = ECDSA_WIRE_LENGTH if signer and signer.algorithm == ECDSA_ALGORITHM else 0  # wire()
        join, crlf = b"".join, b"\r\n"
        remaining, index = self.decoded_length, 0
        at = have = 0  # the next chunk's offset in the buffer, and the bytes the buffer holds
        self.trailers = []
        while remaining:
            n = min(size, remaining)
            if have - at < n:
                left = have - at
                buffer[:left] = buffer[at:have]
                have = left + _fill(self._source, buffer[left : min(block, remaining)])
                at = 0
                if have < n:
                    done = self.decoded_length - remaining + have
                    raise InputError(
                        "body",
                        f"ended after {done} bytes; the declared length is {self.decoded_length}",
                    )
            view = buffer[at : at + n]
            at += n
            remaining -= n
            if not remaining and _fill(self._source, memoryview(bytearray(1))):
                raise InputError(
                    "body", f"is longer than the declared length {self.decoded_length}"
                )
            if checksum is not None:
                checksum.update(view)
            step = None
            if sign_chunk is not None:
                digest, sts, signature = sign_chunk(previous, view)
                line = f"{n:x}{_SIG_SEP}{signature.ljust(pad, '*')}"
                if steps:
                    step = ChunkStep(index, "chunk", n, line, digest, sts, signature, previous)
                previous = signature
            else:
                line = f"{n:x}"
                if steps:
                    step = ChunkStep(index, "chunk", n, line)
            # One copy of the data into the frame (not one per `+`); the buffer is reused.
            yield step, join((line.encode("ascii"), crlf, view, crlf))
            index += 1
        yield from self._final(index, previous, checksum)

    def _final(
        self, index: int, previous: str, checksum: Hasher | None
    ) -> Iterator[tuple[ChunkStep, bytes]]:
        config, signer = self.config, self.signer
        trailer = _variant(config.payload).trailer
        if signer is not None:
            step = signer.chunk_step(index, previous, b"")
            previous = step.signature or ""
        else:
            step = ChunkStep(index, "final", 0, "0")
        tail = b"" if trailer else b"\r\n"
        yield step, step.line.encode("ascii") + b"\r\n" + tail
        if not trailer:
            return
        trailers = list(config.trailers)
        if checksum is not None and config.checksum:
            value = base64.b64encode(checksum.digest()).decode("ascii")
            trailers.insert(0, (checksum_header(config.checksum), value))
        self.trailers = trailers
        if signer is not None:
            step = signer.trailer_step(index + 1, previous, trailers)
        else:
            lines = "".join(f"{name}:{value}\r\n" for name, value in trailers)
            step = ChunkStep(index + 1, "trailer", 0, lines)
        yield step, step.line.encode("utf-8") + b"\r\n"


class _IterStream(io.RawIOBase):
    """A readable raw stream over an iterator of byte strings."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._current:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._current = memoryview(piece)
        n = min(len(buffer), len(self._current))
        buffer[:n] = self._current[:n]
        self._current = self._current[n:]
        return n


def _check_signer(payload: str, signer: ChunkSigner | None, *, required: bool) -> None:
    algorithm = _variant(payload).algorithm
    if algorithm is None:
        if signer is not None:
            raise InputError("signer", f"{payload} has unsigned chunks; give no signer")
    elif signer is None:
        if required:
            raise InputError("signer", f"{payload} needs the seed's ChunkSigner")
    elif signer.algorithm != algorithm:
        raise InputError("signer", f"{payload} is signed with {algorithm}, not {signer.algorithm}")


def _tell(source: Stream) -> int | None:
    try:
        return source.tell() if source.seekable() else None
    except (OSError, AttributeError, ValueError):
        return None


def _remaining(source: Stream) -> int | None:
    """Bytes left in a seekable stream, or None when it cannot tell."""
    try:
        if not source.seekable():
            return None
        here = source.tell()
        end = source.seek(0, io.SEEK_END)
        source.seek(here)
    except (OSError, AttributeError, ValueError):
        return None
    return max(end - here, 0)


def _fill(source: Stream, view: memoryview) -> int:
    """Read until `view` is full or the stream ends; short reads are not the end."""
    readinto = getattr(source, "readinto", None)
    got = 0
    try:
        while got < len(view):
            if readinto is not None:
                n = readinto(view[got:])
            else:
                piece = source.read(len(view) - got)
                n = len(piece) if piece is not None else None
                if n:
                    view[got : got + n] = piece
            if n is None:
                raise InputError("body", "a non-blocking stream had no data ready")
            if n == 0:
                break
            got += n
    except OSError as exc:
        raise InputError("body", f"cannot be read: {exc.strerror or exc}") from None
    return got


@dataclass(frozen=True, slots=True)
class ChunkedUpload:
    """A signed aws-chunked upload: the seed signature's steps and the body to send."""

    seed: SigningResult
    body: ChunkedBody

    @property
    def request(self) -> Request:
        """The signed request with the aws-chunked body as a stream."""
        return self.seed.request.with_body(self.body.stream())


def sign_v4_chunked(
    request: Request,
    credentials: Credentials,
    when: datetime,
    config: SigV4Config,
    chunked: ChunkedConfig | None = None,
    *,
    decoded_length: int | None = None,
    region_set: str | None = None,
) -> ChunkedUpload:
    """Sign an upload whose body (bytes or a stream) is sent aws-chunked.

    Adds the aws-chunked headers (`prepare_request`), signs the seed with `sign_v4` (or
    `sign_v4a` for the ECDSA payloads, over `region_set`) and returns the body encoder. The
    length comes from the body when it is bytes or can seek; give it for other streams.
    """
    chunked = chunked or ChunkedConfig()
    variant = _variant(chunked.payload)
    body = request.body if request.body is not None else b""
    length = decoded_length
    if length is None:
        length = len(body) if isinstance(body, bytes) else _remaining(body)
    if length is None:
        raise InputError("decoded length", "give the length of a stream that cannot seek")
    if config.payload_hash not in (None, chunked.payload):
        raise InputError(
            "payload hash", f"{config.payload_hash!r} contradicts the payload {chunked.payload}"
        )
    seed_config = replace(config, payload_hash=chunked.payload, content_sha256_header=True)
    prepared = prepare_request(request.with_body(None), length, chunked)
    if variant.algorithm == ECDSA_ALGORITHM:
        from sigkit.sigv4.sigv4a import sign_v4a

        seed = sign_v4a(prepared, credentials, when, seed_config, region_set)
    else:
        if region_set is not None:
            raise InputError("region set", f"only SigV4A signs a region set, not {chunked.payload}")
        seed = sign_v4(prepared, credentials, when, seed_config)
    signer = ChunkSigner.from_result(seed) if variant.algorithm else None
    return ChunkedUpload(seed, ChunkedBody(body, length, chunked, signer))


# --------------------------------------------------------------------------- decoding


class _Reader:
    """Buffered reads of lines and exact byte counts from a stream, holding little."""

    def __init__(self, source: Stream) -> None:
        self._source = source
        self._buffer = bytearray()
        self.offset = 0  # bytes consumed so far, for messages

    def _more(self, want: int) -> bool:
        try:
            piece = self._source.read(max(want, 64 * 1024))
        except OSError as exc:
            raise InputError("body", f"cannot be read: {exc.strerror or exc}") from None
        if not piece:
            return False
        self._buffer += piece
        return True

    def line(self, where: str) -> bytes:
        """One CRLF-terminated line, without the CRLF."""
        start = 0
        while (end := self._buffer.find(b"\r\n", start)) == -1 and len(self._buffer) <= _MAX_LINE:
            start = max(len(self._buffer) - 1, 0)
            if not self._more(_MAX_LINE):
                raise InputError(where, f"the body ends inside a line at offset {self.offset}")
        if end == -1 or end > _MAX_LINE:
            raise InputError(where, f"no CRLF within {_MAX_LINE} bytes at offset {self.offset}")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        self.offset += end + 2
        return line

    def exact(self, n: int, where: str) -> bytes:
        while len(self._buffer) < n:
            if not self._more(n - len(self._buffer)):
                raise InputError(
                    where, f"the body ends after {len(self._buffer)} of {n} data bytes"
                )
        with memoryview(self._buffer) as view:
            data = bytes(view[:n])
        del self._buffer[:n]
        self.offset += n
        return data

    def at_end(self) -> bool:
        return not self._buffer and not self._more(1)


class ChunkVerificationError(VerificationError):
    """A chunk (`chunk` is its 0-based index) or the trailer (`chunk` None) whose signature
    does not verify. The message and `string_to_sign` show what was signed; the expected
    signature is left out (a verifier must not hand it to whoever sent the body), but
    ``signer.sign(error.string_to_sign)`` gives it to a caller who debugs their own upload."""

    def __init__(self, message: str, chunk: int | None, string_to_sign: str) -> None:
        super().__init__(message)
        self.chunk = chunk
        self.string_to_sign = string_to_sign


class ChunkedDecoder:
    """Reads an aws-chunked body, checks it and gives back the data, chunk by chunk.

    Each chunk's data is yielded only after its signature verifies; a failure later raises,
    so a consumer must discard what it took from a body that ends in an error. Framing that
    cannot be read is an `InputError`; a signature, checksum, length or trailer list that does
    not match is a `VerificationError` naming the chunk (0-based) or the trailer.
    """

    def __init__(
        self,
        source: Source,
        *,
        payload: str,
        signer: ChunkSigner | None,
        decoded_length: int | None = None,
        trailer_names: list[str] | None = None,
        min_chunk_size: int = MIN_CHUNK_SIZE,
        max_chunk_size: int = MAX_CHUNK_SIZE,
    ) -> None:
        self.variant = _variant(payload)
        self.payload = payload
        _check_signer(payload, signer, required=False)
        if isinstance(source, bytes | bytearray):
            source = io.BytesIO(source)
        self.signer = signer
        self.decoded_length = (
            None if decoded_length is None else _check_length(decoded_length, "decoded length")
        )
        self.trailer_names = (
            None if trailer_names is None else [n.strip().lower() for n in trailer_names if n]
        )
        self.min_chunk_size = min_chunk_size
        self.max_chunk_size = max_chunk_size
        self.trailers: list[tuple[str, str]] = []
        self.complete = False  # True once the whole body was read and checked
        self._reader = _Reader(source)

    def __iter__(self) -> Iterator[bytes]:
        for _, data in self.frames():
            if data:
                yield data

    def read(self) -> bytes:
        return b"".join(self)

    def frames(self) -> Iterator[tuple[ChunkStep, bytes]]:
        """Each chunk's step and its verified data (the trailer step comes with no data)."""
        signer, variant = self.signer, self.variant
        previous = signer.seed_signature if signer else ""
        checksums = self._checksums()
        total, index = 0, 0
        short: tuple[int, int] | None = None  # (index, size) of a chunk under the minimum
        while True:
            where = f"chunk {index}"
            size, signature = self._chunk_line(where)
            if size > self.max_chunk_size:
                raise InputError(where, f"{size} bytes is over the {self.max_chunk_size} limit")
            if size and short is not None:
                raise VerificationError(
                    f"chunk {short[0]}: {short[1]} bytes is below the "
                    f"{self.min_chunk_size}-byte minimum for every chunk but the last"
                )
            if self.decoded_length is not None and total + size > self.decoded_length:
                raise VerificationError(
                    f"{where}: the data runs past x-amz-decoded-content-length "
                    f"{self.decoded_length}"
                )
            data = self._reader.exact(size, where) if size else b""
            if size and self._reader.line(where) != b"":
                raise InputError(where, f"the {size} data bytes are not followed by CRLF")
            step = self._check(index, previous, data, signature)
            previous = step.signature or previous
            for state in checksums.values():
                state.update(data)
            total += size
            if size and size < self.min_chunk_size:
                short = (index, size)
            if not size:
                break
            yield step, data
            index += 1
        if self.decoded_length is not None and total != self.decoded_length:
            raise VerificationError(
                f"the body holds {total} data bytes but x-amz-decoded-content-length is "
                f"{self.decoded_length}"
            )
        if not variant.trailer:
            if self._reader.line(f"chunk {index}") != b"":
                raise InputError(f"chunk {index}", "the final chunk is not followed by CRLF")
            self._end()
            yield step, b""
            return
        yield step, b""
        yield self._trailer(index + 1, previous, checksums), b""
        self._end()

    def _checksums(self) -> dict[str, Hasher]:
        """The checksums a trailer may carry: those x-amz-trailer declares; without that
        header, every algorithm computed in C (a pure-Python xxHash or CRC-64, without the
        ``fast`` extra, would slow every decode for a trailer that is rarely sent)."""
        if not self.variant.trailer:
            return {}
        if self.trailer_names is None:
            names = [name for name in CHECKSUMS if backend(name) != "pure"]
        else:
            names = [n.removeprefix("x-amz-checksum-") for n in self.trailer_names]
        return {name: new_checksum(name) for name in names if name in CHECKSUMS}

    def _chunk_line(self, where: str) -> tuple[int, str | None]:
        line = self._reader.line(where)
        size_text, sep, rest = line.partition(b";")
        if not _HEX_SIZE.match(size_text):
            raise InputError(where, f"{_show(line)} does not start with a hex chunk size")
        size = int(size_text, 16)
        if self.variant.algorithm is None:
            if sep:
                raise InputError(where, f"{_show(line)}: unsigned chunks carry no extension")
            return size, None
        if not sep or not rest.startswith(b"chunk-signature="):
            raise InputError(where, f"{_show(line)} has no ';chunk-signature='")
        signature = rest[len(b"chunk-signature=") :].decode("ascii", "replace")
        return size, self._wire_signature(signature, where)

    def _wire_signature(self, signature: str, where: str) -> str:
        if self.variant.algorithm == HMAC_ALGORITHM:
            if not _HMAC_SIG.match(signature):
                raise InputError(where, f"signature {signature!r} is not 64 lower-case hex digits")
            return signature
        if not _ECDSA_SIG.match(signature) or len(signature) > ECDSA_WIRE_LENGTH:
            raise InputError(
                where,
                f"signature {signature!r} is not hex (padded with '*' to at most "
                f"{ECDSA_WIRE_LENGTH})",
            )
        return signature.rstrip("*")

    def _check(self, index: int, previous: str, data: bytes, signature: str | None) -> ChunkStep:
        kind = "chunk" if data else "final"
        if signature is None:
            return ChunkStep(index, kind, len(data), f"{len(data):x}")
        digest = hashlib.sha256(data).hexdigest()
        signer = self.signer
        line = f"{len(data):x}{_SIG_SEP}{signature}"
        if signer is None:
            return ChunkStep(index, kind, len(data), line, digest, None, signature, previous)
        sts = chunk_string_to_sign(
            signer.algorithm, signer.timestamp, signer.scope, previous, digest
        )
        if not signer.verify(sts, signature):
            raise ChunkVerificationError(
                f"chunk {index}: the signature {signature} does not sign this chunk "
                f"({len(data)} bytes, SHA-256 {digest}); string to sign {sts!r}",
                index,
                sts,
            )
        return ChunkStep(index, kind, len(data), line, digest, sts, signature, previous)

    def _trailer(self, index: int, previous: str, checksums: dict[str, Hasher]) -> ChunkStep:
        trailers: list[tuple[str, str]] = []
        signature = None
        size = 0
        while True:
            line = self._reader.line("trailer")
            size += len(line) + 2
            if size > _MAX_TRAILER_BYTES:
                raise InputError("trailer", f"longer than {_MAX_TRAILER_BYTES} bytes")
            if line == b"":
                break
            if signature is not None:
                raise InputError("trailer", f"{_show(line)} follows {TRAILER_SIGNATURE}")
            name_b, sep, value_b = line.partition(b":")
            try:
                name, value = name_b.decode("ascii"), value_b.decode("utf-8")
                check_header(name, value)
            except (UnicodeDecodeError, InputError):
                raise InputError("trailer", f"{_show(line)} is not a 'name:value' line") from None
            if not sep:
                raise InputError("trailer", f"{_show(line)} is not a 'name:value' line")
            if name.lower() == TRAILER_SIGNATURE:
                if self.variant.algorithm is None:
                    raise InputError("trailer", f"{TRAILER_SIGNATURE} in an unsigned trailer")
                signature = self._wire_signature(value.strip(), "trailer")
                continue
            if any(n.lower() == name.lower() for n, _ in trailers):
                raise InputError("trailer", f"{name} is sent twice")
            trailers.append((name, value))
        self.trailers = trailers
        lines = "".join(f"{name}:{value}\r\n" for name, value in trailers)
        names = [name.lower() for name, _ in trailers]
        if self.trailer_names is not None and sorted(names) != sorted(self.trailer_names):
            raise VerificationError(
                f"trailer: sent {', '.join(names) or 'nothing'} but x-amz-trailer declares "
                f"{', '.join(self.trailer_names) or 'nothing'}"
            )
        for name, value in trailers:
            algorithm = name.lower().removeprefix("x-amz-checksum-")
            if name.lower().startswith("x-amz-checksum-") and algorithm in checksums:
                computed = base64.b64encode(checksums[algorithm].digest()).decode("ascii")
                if computed != value.strip():
                    raise VerificationError(
                        f"trailer: {name} is {value.strip()} but the data's {algorithm} is "
                        f"{computed}"
                    )
        step = ChunkStep(index, "trailer", 0, lines)
        if self.variant.algorithm is None:
            return step
        if signature is None:
            raise InputError("trailer", f"{self.payload} needs a {TRAILER_SIGNATURE} line")
        lines += f"{TRAILER_SIGNATURE}:{signature}\r\n"
        canonical = canonical_trailer(trailers)
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        signer = self.signer
        if signer is None:
            return replace(step, line=lines, signature=signature, canonical_trailer=canonical)
        sts = trailer_string_to_sign(
            signer.algorithm, signer.timestamp, signer.scope, previous, canonical
        )
        if not signer.verify(sts, signature):
            raise ChunkVerificationError(
                f"trailer: the signature {signature} does not sign the trailing headers; "
                f"string to sign {sts!r}",
                None,
                sts,
            )
        return ChunkStep(index, "trailer", 0, lines, digest, sts, signature, previous, canonical)

    def _end(self) -> None:
        if not self._reader.at_end():
            raise InputError(
                "body",
                f"bytes follow the end of the aws-chunked body at offset {self._reader.offset}",
            )
        self.complete = True


def _show(line: bytes) -> str:
    text = line[:80].decode("ascii", "backslashreplace")
    return repr(text + ("…" if len(line) > 80 else ""))


def decode_chunked(
    source: Source,
    *,
    payload: str,
    signer: ChunkSigner | None,
    decoded_length: int | None = None,
    trailer_names: list[str] | None = None,
    min_chunk_size: int = MIN_CHUNK_SIZE,
) -> bytes:
    """The whole decoded, verified body at once (`ChunkedDecoder` streams it instead)."""
    decoder = ChunkedDecoder(
        source,
        payload=payload,
        signer=signer,
        decoded_length=decoded_length,
        trailer_names=trailer_names,
        min_chunk_size=min_chunk_size,
    )
    return decoder.read()

"""S3's flexible checksums (``x-amz-checksum-*``): every algorithm, one home, as S3 writes them.

A value is the base64 of the algorithm's big-endian digest: ``x-amz-checksum-crc32: NSRBwg==``.
The names are the lower-case keys botocore uses (``crc32`` ... ``xxhash128``); `sdk_name` gives
the upper-case spelling of ``x-amz-sdk-checksum-algorithm`` and `field_name` the response field
(``ChecksumCRC32``) that ``aws s3api head-object --checksum-mode ENABLED`` prints.

Backends, chosen per algorithm on first use: `awscrt` (the ``fast`` extra; botocore uses it for
the same algorithms) for CRC32C, CRC64NVME and the xxHash family; zlib for CRC32 (faster than
awscrt's on the machines measured, see bench/checksums.py); hashlib for SHA-1/256/512 and MD5;
pure Python otherwise. ``SIGKIT_CHECKSUM_BACKEND=pure`` (or ``new(alg, backend="pure")``)
forces the pure code, so that it can be checked against the C code: every algorithm has one.

Multipart objects: S3 shows either a *full-object* checksum (a CRC of the whole object, the
same value a single PUT would give) or a *composite* one, ``<base64>-<parts>``: the algorithm
over the concatenated raw digests of the parts. CRC64NVME is full-object only; SHA-1 and
SHA-256 composite only; CRC32 and CRC32C either (see `FULL_OBJECT`, `COMPOSITE`,
docs/checksums.md).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import os
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sigkit.errors import InputError, UnsupportedError

ALGORITHMS: tuple[str, ...] = (
    "crc32",
    "crc32c",
    "crc64nvme",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "xxhash64",
    "xxhash3",
    "xxhash128",
)
DIGEST_SIZE: dict[str, int] = {
    "crc32": 4,
    "crc32c": 4,
    "crc64nvme": 8,
    "sha1": 20,
    "sha256": 32,
    "sha512": 64,
    "md5": 16,
    "xxhash64": 8,
    "xxhash3": 8,
    "xxhash128": 16,
}
# Multipart checksum types S3 offers per algorithm (CreateMultipartUpload's ChecksumType).
FULL_OBJECT: frozenset[str] = frozenset({"crc32", "crc32c", "crc64nvme"})
COMPOSITE: frozenset[str] = frozenset(ALGORITHMS) - {"crc64nvme"}

BACKEND_VARIABLE = "SIGKIT_CHECKSUM_BACKEND"  # "pure" forces the pure-Python code
BACKENDS = ("awscrt", "zlib", "hashlib", "pure")
READ_SIZE = 1 << 20  # bytes read at once by of_stream


class Hasher(Protocol):
    """What `new` returns: the hashlib interface, reduced to what a checksum needs."""

    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...

    def digest(self) -> bytes: ...


# --------------------------------------------------------------------------- names


def normalise(name: str) -> str:
    """``CRC32``, ``crc32``, ``x-amz-checksum-crc32``, ``ChecksumCRC32`` -> ``crc32``."""
    key = name.strip().lower().replace("-", "").replace("_", "")
    for prefix in ("xamzchecksum", "checksum"):
        key = key.removeprefix(prefix)
    if key in ALGORITHMS:
        return key
    raise InputError("checksum algorithm", f"{name!r} is not one of {', '.join(ALGORITHMS)}")


def header_name(alg: str) -> str:
    """The request/response header (and trailer) S3 reads: ``x-amz-checksum-crc32``."""
    return f"x-amz-checksum-{normalise(alg)}"


def sdk_name(alg: str) -> str:
    """The value of ``x-amz-sdk-checksum-algorithm`` / ``x-amz-checksum-algorithm``: ``CRC32``."""
    return normalise(alg).upper()


def field_name(alg: str) -> str:
    """The field the SDKs and ``aws s3api head-object`` show: ``ChecksumCRC32``."""
    return "Checksum" + sdk_name(alg)


# Names chunked.py has always used.
checksum_header = header_name


# --------------------------------------------------------------------------- backends


@lru_cache(maxsize=1)
def _crt() -> Any:
    """awscrt.checksums, or None when the ``fast`` extra is not installed (or is too old)."""
    try:
        checksums = importlib.import_module("awscrt.checksums")
    except ImportError:
        return None
    if not hasattr(checksums, "XXHash"):  # awscrt < 0.31 has no xxHash; use the pure code
        return None
    return checksums


_CRT_ALGORITHMS = frozenset({"crc32c", "crc64nvme", "xxhash64", "xxhash3", "xxhash128"})
_HASHLIB = {"sha1": "sha1", "sha256": "sha256", "sha512": "sha512", "md5": "md5"}


def _forced(backend: str | None) -> str | None:
    if backend is None:
        backend = os.environ.get(BACKEND_VARIABLE) or None
    if backend is not None and backend not in ("pure", "auto", *BACKENDS):
        raise InputError(BACKEND_VARIABLE, f"{backend!r} is not 'auto' or 'pure'")
    return None if backend == "auto" else backend


def backend(alg: str, prefer: str | None = None) -> str:
    """Which code computes `alg`: ``awscrt``, ``zlib``, ``hashlib`` or ``pure``."""
    alg = normalise(alg)
    forced = _forced(prefer)
    if alg in _HASHLIB:
        return "hashlib"
    if forced == "pure":
        return "pure"
    if alg == "crc32":
        return "zlib"
    if forced in (None, "awscrt") and _crt() is not None:
        return "awscrt"
    if forced == "awscrt":
        raise UnsupportedError(
            f"checksum {alg}: awscrt is not installed (pip install 'sigkit[fast]')"
        )
    return "pure"


def new(alg: str, backend_name: str | None = None) -> Hasher:
    """A fresh running checksum of `alg`; `backend_name` ``pure`` forces the pure code."""
    alg = normalise(alg)
    kind = backend(alg, backend_name)
    if kind == "hashlib":
        if alg == "md5":
            return hashlib.md5(usedforsecurity=False)
        return hashlib.new(_HASHLIB[alg])
    if kind == "zlib":
        return _Crc32()
    if kind == "awscrt":
        return _CRT_FACTORIES[alg](_crt())
    return _PURE_FACTORIES[alg]()


def value(alg: str, data: bytes | bytearray | memoryview) -> str:
    """Base64 of the big-endian digest of `data`, the form of every ``x-amz-checksum-*``."""
    state = new(alg)
    state.update(data)
    return _b64(state.digest())


def checksum_value(alg: str, data: bytes | bytearray | memoryview) -> str:
    """`value` under the name chunked.py has always used."""
    return value(alg, data)


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _algorithms(algs: Iterable[str] | None) -> list[str]:
    """Normalised, de-duplicated, in the given order (all of them when None)."""
    if algs is None:
        return list(ALGORITHMS)
    out: list[str] = []
    for alg in algs:
        name = normalise(alg)
        if name not in out:
            out.append(name)
    return out


# --------------------------------------------------------------------------- streams and files


def of_stream(
    stream: BinaryIO, algs: Iterable[str] | None = None, chunk: int = READ_SIZE
) -> dict[str, str]:
    """Every algorithm of `algs` (all by default) over the rest of `stream`, in one pass and
    constant memory (one read of `chunk` bytes at a time)."""
    return summarise(stream, algs, chunk=chunk).checksums


def of_file(path: str | os.PathLike[str], algs: Iterable[str] | None = None) -> dict[str, str]:
    """`of_stream` over a file."""
    with open(path, "rb") as stream:
        return of_stream(stream, algs)


def composite(alg: str, part_digests: Sequence[bytes]) -> str:
    """S3's composite checksum of a multipart object, ``<base64>-<number of parts>``: the
    algorithm over the concatenation of the parts' raw digests."""
    alg = normalise(alg)
    if alg not in COMPOSITE:
        raise UnsupportedError(f"checksum {alg}: S3 keeps only a full-object checksum for it")
    state = new(alg)
    for digest in part_digests:
        state.update(digest)
    return f"{_b64(state.digest())}-{len(part_digests)}"


def check_part_size(part_size: int) -> int:
    if not isinstance(part_size, int) or isinstance(part_size, bool) or part_size <= 0:
        raise InputError("part size", f"{part_size!r} is not a positive number of bytes")
    return part_size


# Rough cost of each algorithm in ns per byte here (bench/checksums.py), to share the work of
# one read between threads: hashlib, zlib and awscrt release the GIL while they hash.
_COST = {"md5": 14, "sha512": 12, "sha1": 6, "sha256": 6, "crc32": 3, "xxhash64": 1}
_PURE_COST = 100
_SPREAD_WORKERS = 4


class _Spread:
    """Feeds each read to several running checksums, sharing them out between threads when
    the machine has more than one core: the C hashers release the GIL, so MD5, SHA-512 and
    the rest of `sigkit checksum`'s default set run side by side instead of one after the
    other. `slots` may be replaced between reads (a new part's checksum); each slot is only
    ever touched by one thread at a time (every read waits for all of them)."""

    def __init__(self, slots: list[Hasher], names: Sequence[str]) -> None:
        self.slots = slots
        workers = min(os.cpu_count() or 1, _SPREAD_WORKERS, len(slots))
        groups: list[list[int]] = [[] for _ in range(max(workers, 1))]
        loads = [0] * len(groups)

        def cost(i: int) -> int:
            if backend(names[i]) == "pure":
                return _PURE_COST
            return _COST.get(names[i], 0)

        for i in sorted(range(len(slots)), key=cost, reverse=True):
            lightest = loads.index(min(loads))
            groups[lightest].append(i)
            loads[lightest] += cost(i) or 1
        self._groups = [g for g in groups if g]
        self._pool = None
        if len(self._groups) > 1:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(len(self._groups) - 1, "sigkit-checksum")

    def _run(self, group: list[int], piece: bytes) -> None:
        slots = self.slots
        for i in group:
            slots[i].update(piece)

    def update(self, piece: bytes) -> None:
        if self._pool is None:
            for state in self.slots:
                state.update(piece)
            return
        first, *rest = self._groups
        futures = [self._pool.submit(self._run, group, piece) for group in rest]
        try:
            self._run(first, piece)
        finally:
            for future in futures:
                future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def __enter__(self) -> _Spread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def of_stream_parts(
    stream: BinaryIO, algs: Iterable[str] | None, part_size: int, chunk: int = READ_SIZE
) -> tuple[dict[str, str], dict[str, str], int, int]:
    """One pass over `stream` cut into parts of `part_size` bytes (the last may be shorter):
    (full-object values, multipart values, bytes, parts). A multipart value is the composite
    ``<b64>-N`` where S3 offers one and the full-object value otherwise (CRC64NVME)."""
    check_part_size(part_size)
    names = _algorithms(algs)
    per_part = [name for name in names if name in COMPOSITE]
    slots = [new(name) for name in names] + [new(name) for name in per_part]
    first_part = len(names)  # slots[first_part + j] is per_part[j]'s current part
    digests: list[list[bytes]] = [[] for _ in per_part]
    in_part = total = parts = 0
    with _Spread(slots, names + per_part) as spread:
        while piece := stream.read(min(chunk, part_size - in_part)):
            spread.update(piece)
            in_part += len(piece)
            total += len(piece)
            if in_part == part_size:
                for j, name in enumerate(per_part):
                    digests[j].append(slots[first_part + j].digest())
                    slots[first_part + j] = new(name)
                in_part, parts = 0, parts + 1
    if in_part or total == 0:  # the last, short part (an empty object is one empty part)
        for j in range(len(per_part)):
            digests[j].append(slots[first_part + j].digest())
        parts += 1
    full = {name: _b64(slots[i].digest()) for i, name in enumerate(names)}
    multi = {name: full[name] for name in names}
    for j, name in enumerate(per_part):
        multi[name] = composite(name, digests[j])
    return full, multi, total, parts


@dataclass(frozen=True)
class Summary:
    """A stream's checksums: `checksums` full-object; with a part size, `composite` holds what
    S3 shows for a multipart upload in `parts` parts of `part_size` bytes."""

    size: int
    checksums: dict[str, str]
    part_size: int | None = None
    parts: int | None = None
    composite: dict[str, str] | None = None


def summarise(
    stream: BinaryIO,
    algs: Iterable[str] | None = None,
    part_size: int | None = None,
    chunk: int = READ_SIZE,
) -> Summary:
    """Size and checksums of the rest of `stream` in one pass (see `of_stream_parts`)."""
    if part_size is not None:
        full, multi, size, parts = of_stream_parts(stream, algs, part_size, chunk)
        return Summary(size, full, part_size, parts, multi)
    names = _algorithms(algs)
    states = [new(name) for name in names]
    size = 0
    with _Spread(states, names) as spread:
        while piece := stream.read(chunk):
            size += len(piece)
            spread.update(piece)
    return Summary(size, {n: _b64(h.digest()) for n, h in zip(names, states, strict=True)})


def of_file_parts(
    path: str | os.PathLike[str], algs: Iterable[str] | None, part_size: int
) -> dict[str, str]:
    """What S3 shows for `path` uploaded in parts of `part_size` bytes: the composite
    ``<b64>-N`` per algorithm (the full-object value for CRC64NVME, S3's only kind for it)."""
    with Path(path).open("rb") as stream:
        return of_stream_parts(stream, algs, part_size)[1]


# --------------------------------------------------------------------------- awscrt


class _CrtCrc:
    __slots__ = ("_fn", "_size", "value")

    def __init__(self, fn: Callable[[Any, int], int], size: int) -> None:
        self._fn = fn
        self._size = size
        self.value = 0

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        self.value = self._fn(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(self._size, "big")


class _CrtXxhash:
    __slots__ = ("_state",)

    def __init__(self, state: Any) -> None:
        self._state = state

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        # awscrt's xxhash_update takes only read-only buffers without a release (bytes).
        self._state.update(data if isinstance(data, bytes) else bytes(data))

    def digest(self) -> bytes:
        return bytes(self._state.finalize())


_CRT_FACTORIES: dict[str, Callable[[Any], Hasher]] = {
    "crc32c": lambda crt: _CrtCrc(crt.crc32c, 4),
    "crc64nvme": lambda crt: _CrtCrc(crt.crc64nvme, 8),
    "xxhash64": lambda crt: _CrtXxhash(crt.XXHash.new_xxhash64()),
    "xxhash3": lambda crt: _CrtXxhash(crt.XXHash.new_xxhash3_64()),
    "xxhash128": lambda crt: _CrtXxhash(crt.XXHash.new_xxhash3_128()),
}


class _Crc32:
    """zlib's CRC-32 (the IEEE polynomial) behind the hashlib interface."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


# --------------------------------------------------------------------------- pure CRCs

# Reflected CRCs with init and final XOR all ones (CRC-32, CRC-32C, CRC-64/NVME). A byte-at-a-
# time table, or slicing-by-8, costs a Python bytecode round per byte or word (about 15 MiB/s).
# Instead the message is read as one big polynomial over GF(2) (a Python int, bits reversed per
# byte so that the first bit sent is the highest power) and reduced modulo the CRC polynomial
# by folding: N = H*x^k + L = H*(x^k mod P) + L, where multiplying by the W-bit constant
# (x^k mod P) is a handful of shift-XORs done in C on the whole int. Each fold halves the int;
# k is picked near the middle where (x^k mod P) has few bits set. The last few bytes go through
# a 256-entry table. About 15x faster than slicing-by-8 (bench/checksums.py).
_BIT_REVERSE = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))
_CRC_PIECE = 64 * 1024  # big ints beyond this lose to cache misses (measured)
_CRC_SMALL = 64  # below this many bytes the byte table is quicker


def _reverse(x: int, width: int) -> int:
    return int(f"{x:0{width}b}"[::-1], 2)


class _CrcSpec:
    """A reflected CRC of `width` bits whose polynomial, MSB-first, is `poly`."""

    def __init__(self, width: int, poly: int) -> None:
        self.width = width
        self.mask = (1 << width) - 1
        self.full = (1 << width) | poly  # P, with its x^width term
        reflected_poly = _reverse(poly, width)
        reflected, normal = [], []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ reflected_poly if c & 1 else c >> 1
            reflected.append(c)
            n = i << width
            for bit in range(width + 7, width - 1, -1):
                if n >> bit & 1:
                    n ^= self.full << (bit - width)
            normal.append(n)
        self.reflected = tuple(reflected)  # small inputs, LSB-first
        self.normal = tuple(normal)  # t * x^width mod P, MSB-first
        self.plan = lru_cache(maxsize=64)(self._fold_plan)

    def _mulmod(self, a: int, b: int) -> int:
        result = 0
        while b:
            if b & 1:
                result ^= a
            b >>= 1
            a <<= 1
            if a >> self.width:
                a ^= self.full
        return result

    def _pow(self, k: int) -> int:
        """x^k mod P."""
        result, base = 1, 2
        while k:
            if k & 1:
                result = self._mulmod(result, base)
            base = self._mulmod(base, base)
            k >>= 1
        return result

    def _fold_plan(self, nbits: int) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
        """For an int of `nbits` bits: each fold's split point k, its mask, and the bit
        positions of x^k mod P. Cached: pieces share a size, so a plan serves a whole file."""
        w = self.width
        steps = []
        while nbits > 2 * w + 16:
            half = nbits // 2
            # w < k < nbits - w, so that every fold shortens the int.
            low, high = max(w + 1, half - 128), min(nbits - w - 1, half + 128)
            power = self._pow(low)
            best_k, best_c = low, power
            for k in range(low + 1, high + 1):
                power <<= 1
                if power >> w:
                    power ^= self.full
                if power.bit_count() < best_c.bit_count():
                    best_k, best_c = k, power
            steps.append((best_k, (1 << best_k) - 1, tuple(j for j in range(w) if best_c >> j & 1)))
            nbits = max(best_k, nbits - best_k + w)
        return tuple(steps)

    def _piece(self, data: bytes, crc: int) -> int:
        mask = self.mask
        if len(data) < _CRC_SMALL:
            table = self.reflected
            crc ^= mask
            for byte in data:
                crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
            return crc ^ mask
        w = self.width
        nbits = len(data) * 8
        # The running CRC (pre-inverted) adds into the first w bits of the message.
        n = int.from_bytes(data.translate(_BIT_REVERSE), "big") ^ (
            _reverse(crc ^ mask, w) << (nbits - w)
        )
        for k, low_mask, bits in self.plan(nbits):
            high = n >> k
            n &= low_mask
            product = 0
            for j in bits:
                product ^= high << j
            n ^= product
        # n * x^w mod P, a byte at a time from the top (n has few bits left).
        table = self.normal
        top = w - 8
        r = 0
        for shift in range((n.bit_length() + 7) // 8 * 8 - 8, -8, -8):
            r = ((r << 8) & mask) ^ table[(r >> top) ^ ((n >> shift) & 0xFF)]
        return _reverse(r, w) ^ mask

    def update(self, data: bytes | bytearray | memoryview, crc: int) -> int:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), _CRC_PIECE):
            crc = self._piece(bytes(view[start : start + _CRC_PIECE]), crc)
        return crc


@cache
def _spec(alg: str) -> _CrcSpec:
    """The CRC's parameters (tables built on first use, to keep imports cheap)."""
    return {
        "crc32": lambda: _CrcSpec(32, 0x04C11DB7),
        "crc32c": lambda: _CrcSpec(32, 0x1EDC6F41),
        # CRC-64/NVME: reflected 0x9a6c9329ac4bc9ad, MSB-first 0xad93d23594c93659.
        "crc64nvme": lambda: _CrcSpec(64, 0xAD93D23594C93659),
    }[alg]()


class _PureCrc:
    __slots__ = ("_spec", "value")

    def __init__(self, alg: str) -> None:
        self._spec = _spec(alg)
        self.value = 0

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        self.value = self._spec.update(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(self._spec.width // 8, "big")


def crc32c(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-32C (Castagnoli) of `data`, continuing from `crc` as `zlib.crc32` does (awscrt's
    when installed, else the pure code)."""
    if backend("crc32c") == "awscrt":
        return int(_crt().crc32c(data, crc))
    return _spec("crc32c").update(data, crc)


def crc64nvme(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-64/NVME of `data`, continuing from `crc`."""
    if backend("crc64nvme") == "awscrt":
        return int(_crt().crc64nvme(data, crc))
    return _spec("crc64nvme").update(data, crc)


# --------------------------------------------------------------------------- pure xxHash

# From the xxHash specification (github.com/Cyan4973/xxHash, doc/xxhash_spec.md): XXH64, and
# XXH3 with seed 0 and the default secret, 64- and 128-bit. Integers are Python ints masked to
# 64 bits where the C code wraps. Slow next to C, but every length path is the spec's.
_M64 = (1 << 64) - 1
_M32 = (1 << 32) - 1
_P32_1, _P32_2, _P32_3 = 0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D
_P64_1 = 0x9E3779B185EBCA87
_P64_2 = 0xC2B2AE3D27D4EB4F
_P64_3 = 0x165667B19E3779F9
_P64_4 = 0x85EBCA77C2B2AE63
_P64_5 = 0x27D4EB2F165667C5
_PRIME_MX1 = 0x165667919E3779F9
_PRIME_MX2 = 0x9FB21C651E98DF25
_SECRET = bytes.fromhex(
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
    "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
    "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
    "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e"
)
_SECRET_SIZE_MIN = 136
_STRIPE = 64
_STRIPES_PER_BLOCK = (len(_SECRET) - _STRIPE) // 8  # 16
_BLOCK = _STRIPE * _STRIPES_PER_BLOCK  # 1024
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_LANES8 = struct.Struct("<8Q")
_LANES4 = struct.Struct("<4Q")


def _r64(data: bytes, at: int) -> int:
    return int(_U64.unpack_from(data, at)[0])


def _r32(data: bytes, at: int) -> int:
    return int(_U32.unpack_from(data, at)[0])


def _rotl64(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _swap64(x: int) -> int:
    return int.from_bytes(x.to_bytes(8, "little"), "big")


def _swap32(x: int) -> int:
    return int.from_bytes(x.to_bytes(4, "little"), "big")


def _xxh64_avalanche(h: int) -> int:
    h ^= h >> 33
    h = (h * _P64_2) & _M64
    h ^= h >> 29
    h = (h * _P64_3) & _M64
    return h ^ (h >> 32)


def _xxh3_avalanche(h: int) -> int:
    h ^= h >> 37
    h = (h * _PRIME_MX1) & _M64
    return h ^ (h >> 32)


def _rrmxmx(h: int, length: int) -> int:
    h ^= _rotl64(h, 49) ^ _rotl64(h, 24)
    h = (h * _PRIME_MX2) & _M64
    h ^= (h >> 35) + length
    h = (h * _PRIME_MX2) & _M64
    return h ^ (h >> 28)


def _fold64(a: int, b: int) -> int:
    """The 128-bit product of two 64-bit numbers, its halves XORed."""
    p = a * b
    return (p ^ (p >> 64)) & _M64


# XXH64 -----------------------------------------------------------------------------------


def _xxh64_round(acc: int, lane: int) -> int:
    acc = (acc + lane * _P64_2) & _M64
    return (_rotl64(acc, 31) * _P64_1) & _M64


class _PureXxh64:
    """XXH64, seed 0; streaming in 32-byte stripes of four lanes."""

    __slots__ = ("_buffer", "_length", "_v")

    def __init__(self) -> None:
        self._v = [
            (_P64_1 + _P64_2) & _M64,
            _P64_2,
            0,
            (-_P64_1) & _M64,
        ]
        self._buffer = b""
        self._length = 0

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        data = self._buffer + bytes(data)
        self._length += len(data) - len(self._buffer)
        end = len(data) - len(data) % 32
        v1, v2, v3, v4 = self._v
        unpack = _LANES4.unpack_from
        for at in range(0, end, 32):
            a, b, c, d = unpack(data, at)
            v1 = (_rotl64((v1 + a * _P64_2) & _M64, 31) * _P64_1) & _M64
            v2 = (_rotl64((v2 + b * _P64_2) & _M64, 31) * _P64_1) & _M64
            v3 = (_rotl64((v3 + c * _P64_2) & _M64, 31) * _P64_1) & _M64
            v4 = (_rotl64((v4 + d * _P64_2) & _M64, 31) * _P64_1) & _M64
        self._v = [v1, v2, v3, v4]
        self._buffer = data[end:]

    def digest(self) -> bytes:
        if self._length >= 32:
            v1, v2, v3, v4 = self._v
            h = (_rotl64(v1, 1) + _rotl64(v2, 7) + _rotl64(v3, 12) + _rotl64(v4, 18)) & _M64
            for v in self._v:
                h ^= _xxh64_round(0, v)
                h = (h * _P64_1 + _P64_4) & _M64
        else:
            h = _P64_5
        h = (h + self._length) & _M64
        tail = self._buffer
        at = 0
        while at + 8 <= len(tail):
            h ^= _xxh64_round(0, _r64(tail, at))
            h = (_rotl64(h, 27) * _P64_1 + _P64_4) & _M64
            at += 8
        if at + 4 <= len(tail):
            h ^= (_r32(tail, at) * _P64_1) & _M64
            h = (_rotl64(h, 23) * _P64_2 + _P64_3) & _M64
            at += 4
        while at < len(tail):
            h ^= (tail[at] * _P64_5) & _M64
            h = (_rotl64(h, 11) * _P64_1) & _M64
            at += 1
        return _xxh64_avalanche(h).to_bytes(8, "big")


# XXH3 short inputs (0-240 bytes) ---------------------------------------------------------


def _mix16(data: bytes, at: int, secret_at: int, seed: int = 0) -> int:
    return _fold64(
        _r64(data, at) ^ ((_r64(_SECRET, secret_at) + seed) & _M64),
        _r64(data, at + 8) ^ ((_r64(_SECRET, secret_at + 8) - seed) & _M64),
    )


def _xxh3_64_short(data: bytes) -> int:
    n = len(data)
    s = _SECRET
    if n == 0:
        return _xxh64_avalanche(_r64(s, 56) ^ _r64(s, 64))
    if n <= 3:
        combined = (data[0] << 16) | (data[n >> 1] << 24) | data[n - 1] | (n << 8)
        return _xxh64_avalanche(combined ^ (_r32(s, 0) ^ _r32(s, 4)))
    if n <= 8:
        input64 = _r32(data, n - 4) + (_r32(data, 0) << 32)
        return _rrmxmx(input64 ^ (_r64(s, 8) ^ _r64(s, 16)), n)
    if n <= 16:
        lo = _r64(data, 0) ^ (_r64(s, 24) ^ _r64(s, 32))
        hi = _r64(data, n - 8) ^ (_r64(s, 40) ^ _r64(s, 48))
        return _xxh3_avalanche((n + _swap64(lo) + hi + _fold64(lo, hi)) & _M64)
    acc = n * _P64_1
    if n <= 128:
        if n > 32:
            if n > 64:
                if n > 96:
                    acc += _mix16(data, 48, 96) + _mix16(data, n - 64, 112)
                acc += _mix16(data, 32, 64) + _mix16(data, n - 48, 80)
            acc += _mix16(data, 16, 32) + _mix16(data, n - 32, 48)
        acc += _mix16(data, 0, 0) + _mix16(data, n - 16, 16)
        return _xxh3_avalanche(acc & _M64)
    for i in range(8):
        acc += _mix16(data, 16 * i, 16 * i)
    acc = _xxh3_avalanche(acc & _M64)
    for i in range(8, n // 16):
        acc += _mix16(data, 16 * i, 16 * (i - 8) + 3)
    acc += _mix16(data, n - 16, _SECRET_SIZE_MIN - 17)
    return _xxh3_avalanche(acc & _M64)


def _mix32(
    acc: tuple[int, int], data: bytes, at1: int, at2: int, secret_at: int, seed: int = 0
) -> tuple[int, int]:
    low, high = acc
    low = (low + _mix16(data, at1, secret_at, seed)) & _M64
    low ^= (_r64(data, at2) + _r64(data, at2 + 8)) & _M64
    high = (high + _mix16(data, at2, secret_at + 16, seed)) & _M64
    high ^= (_r64(data, at1) + _r64(data, at1 + 8)) & _M64
    return low, high


def _xxh3_128_short(data: bytes) -> tuple[int, int]:
    """(high, low) 64-bit halves."""
    n = len(data)
    s = _SECRET
    if n == 0:
        return (
            _xxh64_avalanche(_r64(s, 80) ^ _r64(s, 88)),
            _xxh64_avalanche(_r64(s, 64) ^ _r64(s, 72)),
        )
    if n <= 3:
        combined_l = (data[0] << 16) | (data[n >> 1] << 24) | data[n - 1] | (n << 8)
        swapped = _swap32(combined_l)
        combined_h = ((swapped << 13) | (swapped >> 19)) & _M32
        low = _xxh64_avalanche(combined_l ^ (_r32(s, 0) ^ _r32(s, 4)))
        high = _xxh64_avalanche(combined_h ^ (_r32(s, 8) ^ _r32(s, 12)))
        return high, low
    if n <= 8:
        input64 = _r32(data, 0) + (_r32(data, n - 4) << 32)
        keyed = input64 ^ (_r64(s, 16) ^ _r64(s, 24))
        m = keyed * ((_P64_1 + (n << 2)) & _M64)
        m_low, m_high = m & _M64, m >> 64
        m_high = (m_high + (m_low << 1)) & _M64
        m_low ^= m_high >> 3
        m_low ^= m_low >> 35
        m_low = (m_low * _PRIME_MX2) & _M64
        m_low ^= m_low >> 28
        return _xxh3_avalanche(m_high), m_low
    if n <= 16:
        bitflip_l = _r64(s, 32) ^ _r64(s, 40)
        bitflip_h = _r64(s, 48) ^ _r64(s, 56)
        input_lo = _r64(data, 0)
        input_hi = _r64(data, n - 8)
        m = (input_lo ^ input_hi ^ bitflip_l) * _P64_1
        m_low, m_high = m & _M64, m >> 64
        m_low = (m_low + ((n - 1) << 54)) & _M64
        input_hi ^= bitflip_h
        m_high = (m_high + input_hi + (input_hi & _M32) * (_P32_2 - 1)) & _M64
        m_low ^= _swap64(m_high)
        h = m_low * _P64_2
        h_low, h_high = h & _M64, h >> 64
        h_high = (h_high + m_high * _P64_2) & _M64
        return _xxh3_avalanche(h_high), _xxh3_avalanche(h_low)
    acc = (n * _P64_1 & _M64, 0)
    if n <= 128:
        if n > 32:
            if n > 64:
                if n > 96:
                    acc = _mix32(acc, data, 48, n - 64, 96)
                acc = _mix32(acc, data, 32, n - 48, 64)
            acc = _mix32(acc, data, 16, n - 32, 32)
        acc = _mix32(acc, data, 0, n - 16, 0)
    else:
        for i in range(4):
            acc = _mix32(acc, data, 32 * i, 32 * i + 16, 32 * i)
        acc = (_xxh3_avalanche(acc[0]), _xxh3_avalanche(acc[1]))
        for i in range(4, n // 32):
            acc = _mix32(acc, data, 32 * i, 32 * i + 16, 3 + 32 * (i - 4))
        acc = _mix32(acc, data, n - 16, n - 32, _SECRET_SIZE_MIN - 17 - 16)
    low, high = acc
    h_low = (low + high) & _M64
    h_high = (low * _P64_1 + high * _P64_4 + n * _P64_2) & _M64
    return (-_xxh3_avalanche(h_high)) & _M64, _xxh3_avalanche(h_low)


# XXH3 long inputs (> 240 bytes): eight accumulators over 64-byte stripes ------------------

_INIT_ACC = (_P32_3, _P64_1, _P64_2, _P64_3, _P64_4, _P32_2, _P64_5, _P32_1)
_STRIPE_KEYS = tuple(_LANES8.unpack_from(_SECRET, 8 * i) for i in range(_STRIPES_PER_BLOCK))
_SCRAMBLE_KEYS = _LANES8.unpack_from(_SECRET, len(_SECRET) - _STRIPE)
_LAST_KEYS = _LANES8.unpack_from(_SECRET, len(_SECRET) - _STRIPE - 7)


def _accumulate(acc: list[int], data: bytes, at: int, keys: tuple[int, ...]) -> None:
    d = _LANES8.unpack_from(data, at)
    for i in range(8):
        k = d[i] ^ keys[i]
        acc[i ^ 1] += d[i]
        acc[i] += (k & _M32) * (k >> 32)


def _scramble(acc: list[int]) -> None:
    for i in range(8):
        a = acc[i] & _M64
        a ^= a >> 47
        a ^= _SCRAMBLE_KEYS[i]
        acc[i] = (a * _P32_1) & _M64


def _merge(acc: list[int], secret_at: int, start: int) -> int:
    result = start
    for i in range(4):
        result += _fold64(
            acc[2 * i] ^ _r64(_SECRET, secret_at + 16 * i),
            acc[2 * i + 1] ^ _r64(_SECRET, secret_at + 16 * i + 8),
        )
    return _xxh3_avalanche(result & _M64)


class _PureXxh3:
    """XXH3 (64- or 128-bit), seed 0, default secret; streaming. Up to 240 bytes are kept and
    hashed at the end by the short paths; beyond, every 64-byte stripe followed by more data
    is accumulated (a block of 16 is then scrambled), as the spec's one-shot loop does."""

    __slots__ = ("_acc", "_bits", "_buffer", "_last", "_length", "_stripes")

    def __init__(self, bits: int) -> None:
        self._bits = bits
        self._acc = list(_INIT_ACC)
        self._buffer = b""  # data not yet accumulated
        self._last = b""  # the input's last 64 bytes
        self._length = 0
        self._stripes = 0  # stripes accumulated in the current block

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        data = bytes(data)
        if not data:
            return
        self._length += len(data)
        self._last = (self._last + data[-_STRIPE:])[-_STRIPE:]
        buffer = self._buffer + data
        if self._length <= 240:
            self._buffer = buffer
            return
        acc, stripes = self._acc, self._stripes
        end = (len(buffer) - 1) // _STRIPE * _STRIPE  # keep at least one byte for the end
        for at in range(0, end, _STRIPE):
            _accumulate(acc, buffer, at, _STRIPE_KEYS[stripes])
            stripes += 1
            if stripes == _STRIPES_PER_BLOCK:
                _scramble(acc)
                stripes = 0
        self._stripes = stripes
        self._buffer = buffer[end:]

    def digest(self) -> bytes:
        n = self._length
        if n <= 240:
            if self._bits == 64:
                return _xxh3_64_short(self._buffer).to_bytes(8, "big")
            high, low = _xxh3_128_short(self._buffer)
            return high.to_bytes(8, "big") + low.to_bytes(8, "big")
        acc = list(self._acc)
        _accumulate(acc, self._last, 0, _LAST_KEYS)
        acc = [a & _M64 for a in acc]
        low = _merge(acc, 11, (n * _P64_1) & _M64)
        if self._bits == 64:
            return low.to_bytes(8, "big")
        high = _merge(acc, len(_SECRET) - _STRIPE - 11, ~(n * _P64_2) & _M64)
        return high.to_bytes(8, "big") + low.to_bytes(8, "big")


_PURE_FACTORIES: dict[str, Callable[[], Hasher]] = {
    "crc32": lambda: _PureCrc("crc32"),
    "crc32c": lambda: _PureCrc("crc32c"),
    "crc64nvme": lambda: _PureCrc("crc64nvme"),
    "xxhash64": _PureXxh64,
    "xxhash3": lambda: _PureXxh3(64),
    "xxhash128": lambda: _PureXxh3(128),
}

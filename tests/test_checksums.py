"""sigkit.checksums against independent sources: botocore's own checksum classes (awscrt for
the CRT ones, zlib/hashlib for the rest), awscrt called directly, published check values
(the CRC catalogue's, xxHash's sanity vectors), and the pure-Python fallbacks against the C
code for random data of random lengths, split at random into streaming updates."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from awscrt import checksums as crt
from botocore.httpchecksum import _CHECKSUM_CLS
from botocore.utils import calculate_md5
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sigkit import checksums
from sigkit.errors import InputError, UnsupportedError

MiB = 1 << 20
C_ALGORITHMS = ("crc32c", "crc64nvme", "xxhash64", "xxhash3", "xxhash128")  # awscrt or pure
PURE_ALGORITHMS = ("crc32", *C_ALGORITHMS)
def slow(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )

# Lengths around every boundary the algorithms branch on: xxHash's 0-3, 4-8, 9-16, 17-128,
# 129-240 and long paths, 32- and 64-byte stripes, XXH3's 1024-byte blocks, the pure CRC's
# 64-byte table limit and 64 KiB pieces, and the 1 MiB reads of of_stream.
_EDGES = (0, 4, 8, 16, 32, 64, 128, 240, 1024, 65536, MiB)
BOUNDARIES = sorted({n + d for n in _EDGES for d in (-1, 0, 1) if n + d >= 0})
def _log_lengths(top_bit: int) -> st.SearchStrategy[int]:
    """Lengths spread evenly over powers of two up to 2**top_bit (a plain integers(0, 3 MiB)
    draws mostly small ones)."""
    return st.integers(0, top_bit - 1).flatmap(lambda e: st.integers(2**e - 1, 2 ** (e + 1) + 1))


lengths = st.one_of(st.sampled_from(BOUNDARIES), st.integers(0, 300), _log_lengths(22))
short_lengths = st.one_of(st.sampled_from(BOUNDARIES[:-3]), st.integers(0, 300), _log_lengths(17))


def _data(length: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(length)


def _splits(data: bytes, points: list[int]) -> list[bytes]:
    cuts = sorted({min(p, len(data)) for p in points})
    pieces, start = [], 0
    for cut in [*cuts, len(data)]:
        pieces.append(data[start:cut])
        start = cut
    return pieces


def _botocore(alg: str, data: bytes) -> str:
    """The value botocore itself sends for `data` (MD5 has no flexible-checksum class in
    botocore; its Content-MD5 helper gives the same base64 form)."""
    if alg == "md5":
        return str(calculate_md5(data))
    state = _CHECKSUM_CLS[alg]()
    state.update(data)
    return str(state.b64digest())


def _b64_int(value: int, size: int) -> str:
    return base64.b64encode(value.to_bytes(size, "big")).decode()


# --- names ----------------------------------------------------------------------------------


def test_every_algorithm_botocore_knows() -> None:
    assert set(_CHECKSUM_CLS) | {"md5"} == set(checksums.ALGORITHMS)


@pytest.mark.parametrize(
    ("given_name", "alg"),
    [
        ("CRC32", "crc32"),
        ("crc64nvme", "crc64nvme"),
        ("CRC64NVME", "crc64nvme"),
        ("x-amz-checksum-crc32c", "crc32c"),
        ("X-Amz-Checksum-XXHASH128", "xxhash128"),
        ("ChecksumSHA256", "sha256"),
        (" md5 ", "md5"),
    ],
)
def test_names(given_name: str, alg: str) -> None:
    assert checksums.normalise(given_name) == alg
    assert checksums.header_name(given_name) == f"x-amz-checksum-{alg}"
    assert checksums.sdk_name(given_name) == alg.upper()
    assert checksums.field_name(given_name) == "Checksum" + alg.upper()


def test_unknown_name_is_an_input_error_naming_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"'crc16' is not one of crc32, crc32c, crc64nvme"):
        checksums.normalise("crc16")


def test_names_match_botocores_model() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    put = model.operation_model("PutObject").input_shape
    head = model.operation_model("HeadObject").output_shape
    assert set(put.members["ChecksumAlgorithm"].enum) == {
        checksums.sdk_name(a) for a in checksums.ALGORITHMS
    }
    assert {checksums.field_name(a) for a in checksums.ALGORITHMS} <= set(head.members)


# --- published values -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["pure", None])
def test_crc_check_values(backend: str | None) -> None:
    # The CRC catalogue's check values: the CRC of the ASCII bytes "123456789".
    for alg, check in (
        ("crc32", 0xCBF43926),
        ("crc32c", 0xE3069283),
        ("crc64nvme", 0xAE8B14860A799888),  # CRC-64/NVME
    ):
        state = checksums.new(alg, backend)
        state.update(b"123456789")
        assert state.digest() == check.to_bytes(checksums.DIGEST_SIZE[alg], "big"), alg


def _xxhsum_buffer(length: int) -> bytes:
    """xxHash's sanity-test input (cli/xsum_sanity_check.c, XSUM_fillTestBuffer)."""
    prime32, prime64 = 2654435761, 11400714785074694797
    out, gen = bytearray(), prime32
    for _ in range(length):
        out.append(gen >> 56)
        gen = (gen * prime64) & ((1 << 64) - 1)
    return bytes(out)


# Seed-0 rows of xxHash's sanity vectors (Cyan4973/xxHash, cli/xsum_sanity_check.c): XXH64,
# XXH3_64bits and XXH3_128bits (given there as {low64, high64}) of the test buffer's prefix.
XXH64_VECTORS = {
    0: 0xEF46DB3751D8E999,
    1: 0xE934A84ADB052768,
    4: 0x9136A0DCA57457EE,
    14: 0x8282DCC4994E35C8,
    222: 0xB641AE8CB691C174,
}
XXH3_VECTORS = {
    0: 0x2D06800538D394C2,
    1: 0xC44BDFF4074EECDB,
    6: 0x27B56A84CD2D7325,
    12: 0xA713DAF0DFBB77E7,
    24: 0xA3FE70BF9D3510EB,
    48: 0x397DA259ECBA1F11,
    80: 0xBCDEFBBB2C47C90A,
    195: 0xCD94217EE362EC3A,
    403: 0xCDEB804D65C6DEA4,
    512: 0x617E49599013CB6B,
    2048: 0xDD59E2C3A5F038E0,
    2099: 0xC6B9D9B3FC9AC765,
    2240: 0x6E73A90539CF2948,
    2367: 0xCB37AEB9E5D361ED,
}
XXH128_VECTORS = {
    0: (0x6001C324468D497F, 0x99AA06D3014798D8),
    1: (0xC44BDFF4074EECDB, 0xA6CD5E9392000F6A),
    6: (0x3E7039BDDA43CFC6, 0x082AFE0B8162D12A),
    12: (0x061A192713F69AD9, 0x6E3EFD8FC7802B18),
    24: (0x1E7044D28B1B901D, 0x0CE966E4678D3761),
    48: (0xF942219AED80F67B, 0xA002AC4E5478227E),
    81: (0x5E8BAFB9F95FB803, 0x4952F58181AB0042),
    222: (0xF1AEBD597CEC6B3A, 0x337E09641B948717),
    403: (0xCDEB804D65C6DEA4, 0x1B6DE21E332DD73D),
    512: (0x617E49599013CB6B, 0x18D2D110DCC9BCA1),
    2048: (0xDD59E2C3A5F038E0, 0xF736557FD47073A5),
    2240: (0x6E73A90539CF2948, 0xCCB134FBFA7CE49D),
    2367: (0xCB37AEB9E5D361ED, 0xE89C0F6FF369B427),
}


@pytest.mark.parametrize("backend", ["pure", None])
def test_xxhash_sanity_vectors(backend: str | None) -> None:
    buffer = _xxhsum_buffer(2367)
    expected: list[tuple[str, int, bytes]] = []
    expected += [("xxhash64", n, v.to_bytes(8, "big")) for n, v in XXH64_VECTORS.items()]
    expected += [("xxhash3", n, v.to_bytes(8, "big")) for n, v in XXH3_VECTORS.items()]
    expected += [
        ("xxhash128", n, high.to_bytes(8, "big") + low.to_bytes(8, "big"))
        for n, (low, high) in XXH128_VECTORS.items()
    ]
    for alg, n, digest in expected:
        whole = checksums.new(alg, backend)
        whole.update(buffer[:n])
        bytewise = checksums.new(alg, backend)  # as xxhsum also checks: one byte per update
        for i in range(n):
            bytewise.update(buffer[i : i + 1])
        assert whole.digest() == digest, (alg, n)
        assert bytewise.digest() == digest, (alg, n)


def test_s3_documented_style_values() -> None:
    # The empty body's CRC32 is the AAAAAA== a presigned PUT carries (issue #11's table).
    assert checksums.value("crc32", b"") == "AAAAAA=="
    assert checksums.value("sha256", b"") == base64.b64encode(hashlib.sha256().digest()).decode()
    assert checksums.value("crc32c", b"a") == "wdBDMA=="  # aws-c-auth's integration test


# --- botocore and awscrt, random data -------------------------------------------------------


@slow(40)
@given(lengths, st.integers(0, 2**32), st.lists(st.integers(0, 3 * MiB + 7), max_size=4))
@example(3 * MiB + 7, 1, [1, 65536, MiB + 1, 2 * MiB])
@example(4 * MiB, 2, [])
def test_every_algorithm_equals_botocore(length: int, seed: int, points: list[int]) -> None:
    data = _data(length, seed)
    for alg in checksums.ALGORITHMS:
        state = checksums.new(alg)
        for piece in _splits(data, points):
            state.update(piece)
        value = base64.b64encode(state.digest()).decode()
        assert value == _botocore(alg, data), (alg, length)
        assert checksums.value(alg, memoryview(data)) == value, alg


@slow(25)
@given(short_lengths, st.integers(0, 2**32), st.lists(st.integers(0, 70000), max_size=5))
@example(140_000, 3, [1, 63, 1025, 65536, 65600])
def test_pure_fallback_equals_awscrt(length: int, seed: int, points: list[int]) -> None:
    data = _data(length, seed)
    pieces = _splits(data, points)
    expected = {
        "crc32": zlib.crc32(data).to_bytes(4, "big"),
        "crc32c": crt.crc32c(data).to_bytes(4, "big"),
        "crc64nvme": crt.crc64nvme(data).to_bytes(8, "big"),
        "xxhash64": crt.XXHash.compute_xxhash64(data),
        "xxhash3": crt.XXHash.compute_xxhash3_64(data),
        "xxhash128": crt.XXHash.compute_xxhash3_128(data),
    }
    for alg in PURE_ALGORITHMS:
        assert checksums.backend(alg, "pure") == "pure"
        state = checksums.new(alg, "pure")
        for piece in pieces:
            state.update(memoryview(piece) if len(piece) % 2 else piece)
        assert state.digest() == expected[alg], (alg, length)


def test_pure_fallback_on_a_long_input_with_stripes_and_blocks() -> None:
    data = _data(2 * MiB + 12345, 7)
    for alg in PURE_ALGORITHMS:
        pure, fast = checksums.new(alg, "pure"), checksums.new(alg, "awscrt")
        for at in range(0, len(data), 777_777):  # splits inside stripes and blocks
            pure.update(data[at : at + 777_777])
            fast.update(data[at : at + 777_777])
        assert pure.digest() == fast.digest(), alg


def test_pure_crc_every_short_length_from_a_running_value() -> None:
    data = bytes(range(7, 256)) * 2
    for alg, fn, size in (("crc32c", crt.crc32c, 4), ("crc64nvme", crt.crc64nvme, 8)):
        for n in range(0, 300, 3):
            start = checksums.new(alg, "pure")
            start.update(b"prefix")
            start.update(data[:n])
            assert start.digest() == fn(b"prefix" + data[:n]).to_bytes(size, "big"), (alg, n)


def test_backends() -> None:
    assert checksums.backend("crc32") == "zlib"
    assert checksums.backend("sha256") == "hashlib"
    assert checksums.backend("crc64nvme") == "awscrt"
    assert checksums.backend("xxhash3", "pure") == "pure"


def test_backend_variable_forces_the_pure_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(checksums.BACKEND_VARIABLE, "pure")
    assert [checksums.backend(a) for a in C_ALGORITHMS] == ["pure"] * len(C_ALGORITHMS)
    assert checksums.value("crc64nvme", b"123456789") == _b64_int(0xAE8B14860A799888, 8)
    monkeypatch.setenv(checksums.BACKEND_VARIABLE, "fastest")
    with pytest.raises(InputError, match=checksums.BACKEND_VARIABLE):
        checksums.backend("crc32c")


def test_module_level_crc_functions() -> None:
    assert checksums.crc32c(b"123456789") == 0xE3069283
    assert checksums.crc64nvme(b"56789", checksums.crc64nvme(b"1234")) == 0xAE8B14860A799888


# --- streams, files and multipart -----------------------------------------------------------


def test_of_stream_one_pass_all_algorithms() -> None:
    data = _data(MiB * 2 + 3, 1)
    values = checksums.of_stream(io.BytesIO(data), chunk=100_000)
    assert list(values) == list(checksums.ALGORITHMS)
    assert values == {alg: _botocore(alg, data) for alg in checksums.ALGORITHMS}


def _composite_reference(alg: str, data: bytes, part_size: int) -> str:
    """S3's rule computed with botocore's classes alone: the algorithm over the concatenated
    raw digests of the parts, then -<parts>."""
    parts = [data[i : i + part_size] for i in range(0, len(data), part_size)] or [b""]
    digests = b"".join(base64.b64decode(_botocore(alg, part)) for part in parts)
    return f"{_botocore(alg, digests)}-{len(parts)}"


@slow(15)
@given(_log_lengths(22), st.one_of(st.integers(1, 300), _log_lengths(21)), st.integers(0, 2**32))
@example(3 * MiB + 1, MiB, 5)
@example(0, 5, 6)
def test_multipart_composite_equals_an_independent_computation(
    length: int, part_size: int, seed: int
) -> None:
    part_size = max(part_size, -(-length // 300))  # at most 300 parts: a bounded run time
    data = _data(length, seed)
    full, multi, size, parts = checksums.of_stream_parts(io.BytesIO(data), None, part_size, 65537)
    assert size == length
    assert parts == max(1, -(-length // part_size))
    for alg in checksums.ALGORITHMS:
        assert full[alg] == _botocore(alg, data)
        if alg == "crc64nvme":  # S3 keeps only a full-object CRC64NVME
            assert multi[alg] == full[alg]
        else:
            assert multi[alg] == _composite_reference(alg, data, part_size), alg


def test_full_object_crc_is_the_combination_of_the_parts() -> None:
    # S3's FULL_OBJECT multipart checksum combines the part CRCs; awscrt's combine gives the
    # whole-object CRC that sigkit shows as the full value.
    data, part_size = _data(5 * MiB + 99, 3), 2 * MiB
    parts = [data[i : i + part_size] for i in range(0, len(data), part_size)]
    full = checksums.of_stream_parts(io.BytesIO(data), None, part_size)[0]
    for alg, fn, combine, size in (
        ("crc32", crt.crc32, crt.combine_crc32, 4),
        ("crc32c", crt.crc32c, crt.combine_crc32c, 4),
        ("crc64nvme", crt.crc64nvme, crt.combine_crc64nvme, 8),
    ):
        value = fn(parts[0])
        for part in parts[1:]:
            value = combine(value, fn(part), len(part))
        assert full[alg] == _b64_int(value, size), alg


def test_composite_of_part_digests_and_refusals() -> None:
    digests = [hashlib.sha256(b"a").digest(), hashlib.sha256(b"b").digest()]
    expected = base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode()
    assert checksums.composite("SHA256", digests) == f"{expected}-2"
    with pytest.raises(UnsupportedError, match="full-object"):
        checksums.composite("crc64nvme", [b"\0" * 8])
    with pytest.raises(InputError, match="part size"):
        checksums.of_stream_parts(io.BytesIO(b""), None, 0)


def test_of_file_and_of_file_parts(tmp_path: Path) -> None:
    data = _data(300_000, 9)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert checksums.of_file(path, ["CRC32", "crc32"]) == {"crc32": _botocore("crc32", data)}
    assert checksums.of_file_parts(path, ["sha1"], 100_000) == {
        "sha1": _composite_reference("sha1", data, 100_000)
    }


# --- a 1 GiB file in constant memory --------------------------------------------------------

_ONE_GIB = r"""
import json, resource, sys, tracemalloc
from sigkit import checksums
path = sys.argv[1]
algs = ["crc32", "crc32c", "crc64nvme", "xxhash3", "xxhash128", "sha256"]
checksums.of_stream(open(path, "rb"), algs, chunk=1 << 16)  # warm up: imports, buffers
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
summary = checksums.summarise(open(path, "rb"), algs, part_size=64 << 20)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"size": summary.size, "full": summary.checksums,
                  "composite": summary.composite, "peak": peak,
                  "rss_growth_kib": after - before}))
"""


def test_one_gib_file_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "one-gib.bin"
    with path.open("wb") as f:  # sparse: a marker at each end, zeros between
        f.write(b"start")
        f.seek((1 << 30) - 3)
        f.write(b"end")
    proc = subprocess.run(
        [sys.executable, "-c", _ONE_GIB, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["size"] == 1 << 30
    # Memory: one 1 MiB read at a time, whatever the size.
    assert result["peak"] < 8 * MiB, result["peak"]
    assert result["rss_growth_kib"] < 32 * 1024, result["rss_growth_kib"]
    # Values, computed here independently (zlib, awscrt, hashlib) over the same bytes.
    block = bytes(MiB)
    expected = {
        "crc32": (zlib.crc32, 4),
        "crc32c": (crt.crc32c, 4),
        "crc64nvme": (crt.crc64nvme, 8),
    }
    head, tail = b"start" + bytes(MiB - 5), bytes(MiB - 3) + b"end"
    for alg, (fn, size) in expected.items():
        value = fn(head)
        for _ in range(1022):
            value = fn(block, value)
        value = fn(tail, value)
        assert result["full"][alg] == _b64_int(value, size), alg
    xxh = crt.XXHash.new_xxhash3_64()
    sha = hashlib.sha256()
    for piece in (head, *([block] * 1022), tail):
        xxh.update(piece)
        sha.update(piece)
    assert result["full"]["xxhash3"] == base64.b64encode(xxh.finalize()).decode()
    assert result["full"]["sha256"] == base64.b64encode(sha.digest()).decode()
    assert result["composite"]["crc64nvme"] == result["full"]["crc64nvme"]
    assert result["composite"]["crc32"].endswith("-16")


def test_without_awscrt_every_algorithm_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checksums, "_crt", lambda: None)  # as if the fast extra were missing
    assert {checksums.backend(a) for a in C_ALGORITHMS} == {"pure"}
    assert checksums.value("xxhash3", b"") == base64.b64encode(
        XXH3_VECTORS[0].to_bytes(8, "big")
    ).decode()
    with pytest.raises(UnsupportedError, match=r"sigkit\[fast\]"):
        checksums.new("crc32c", "awscrt")


@pytest.mark.parametrize("alg", ["crc64nvme", "xxhash128", "sha512", "CRC32C"])
def test_chunked_trailer_carries_any_algorithm(alg: str) -> None:
    from sigkit.sigv4.chunked import (
        STREAMING_UNSIGNED_TRAILER,
        ChunkedBody,
        ChunkedConfig,
        ChunkedDecoder,
    )

    data = _data(100_000, 4)
    config = ChunkedConfig(STREAMING_UNSIGNED_TRAILER, 8192, alg)
    body = ChunkedBody(data, len(data), config, None)
    wire = b"".join(body)
    name = checksums.header_name(alg)
    value = _botocore(checksums.normalise(alg), data)
    assert wire.endswith(f"0\r\n{name}:{value}\r\n\r\n".encode())
    decoder = ChunkedDecoder(wire, payload=STREAMING_UNSIGNED_TRAILER, signer=None)
    assert decoder.read() == data and decoder.trailers == [(name, value)]

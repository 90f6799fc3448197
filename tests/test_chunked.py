"""aws-chunked streaming: the published chunk signatures, the length arithmetic, bad input, and
encode/decode round trips.

Expected values are transcribed from the shared vector records (only records marked
``"verified": true``), never produced by sigkit:

- ``aws-docs/s3-sigv4-streaming.json``: the S3 documentation's chunked PUT example
  ("chunked-put-object") and its trailer variant ("chunked-put-object-with-trailer");
- ``aws-c-auth-extra/s3-streaming-sigv4.json``: aws-c-auth's tests/test_chunked_signing.c
  (commit 495329c2), SigV4 chunks and trailing headers;
- ``aws-c-auth-extra/s3-streaming-sigv4a.json``: the same for SigV4A, whose signatures are
  random: they are verified with the published public key, and the strings to sign compared.

`test_transcriptions_match_the_shared_records` re-reads the records (vectors/records/, the
repository's unchanged copies), so a slip in the transcription cannot hide.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sigkit import Credentials, InputError, Request, SigV4Config, VerificationError
from sigkit.sigv4.chunked import (
    ECDSA_WIRE_LENGTH,
    MIN_CHUNK_SIZE,
    STREAMING_ECDSA,
    STREAMING_ECDSA_TRAILER,
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    ChunkedBody,
    ChunkedConfig,
    ChunkedDecoder,
    ChunkSigner,
    ChunkVerificationError,
    canonical_trailer,
    checksum_value,
    chunk_string_to_sign,
    chunked_headers,
    crc32c,
    decode_chunked,
    encoded_length,
    prepare_request,
    sign_v4_chunked,
    trailer_string_to_sign,
)
from sigkit.sigv4.signer import signing_key
from sigkit.sigv4.sigv4a import derive_private_key, public_key_from_xy, sign_v4a, verify_v4a

ROOT = Path(__file__).resolve().parent.parent
# The repository's unchanged copies of the shared records, else the shared folder itself.
RECORDS = next(
    (d for d in (ROOT / "vectors" / "records", ROOT.parent / "shared" / "vectors") if d.is_dir()),
    ROOT / "vectors" / "records",
)
CREDS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
WHEN = datetime(2013, 5, 24, tzinfo=UTC)
URL = "https://s3.amazonaws.com/examplebucket/chunkObject.txt"
DATA = b"a" * 66560  # chunks of 65536 and 1024 bytes of "a"
SCOPE = "20130524/us-east-1/s3/aws4_request"
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
HASH_65536_A = "bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a"
HASH_1024_A = "2edc986847e209b4016e141a6dc8716d3207350f416969382d431539bf292e4a"

# --- aws-docs/s3-sigv4-streaming.json, "chunked-put-object" (verified) ---------------------
DOC_CANONICAL_REQUEST = (
    "PUT\n/examplebucket/chunkObject.txt\n\ncontent-encoding:aws-chunked\n"
    "content-length:66824\nhost:s3.amazonaws.com\n"
    "x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD\nx-amz-date:20130524T000000Z\n"
    "x-amz-decoded-content-length:66560\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
    "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
    "x-amz-decoded-content-length;x-amz-storage-class\nSTREAMING-AWS4-HMAC-SHA256-PAYLOAD"
)
DOC_STRING_TO_SIGN = (
    "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
    "cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455"
)
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_SIGNED_HEADERS = (
    "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
    "x-amz-decoded-content-length;x-amz-storage-class"
)
DOC_CHUNKS = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
]
DOC_CONTENT_LENGTH = 66824  # the documented Content-Length header

# --- aws-docs/s3-sigv4-streaming.json, "chunked-put-object-with-trailer" (verified) --------
TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
TRAILER_SIGNED_HEADERS = (
    "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
    "x-amz-storage-class;x-amz-trailer"
)
TRAILER_CHUNKS = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
]
TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
TRAILER_CRC32C = "sOO8/Q=="  # the documented trailer value: base64 CRC32C of DATA

# --- aws-c-auth-extra/s3-streaming-sigv4.json (verified) ----------------------------------
CRT_AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
    f"SignedHeaders={DOC_SIGNED_HEADERS}, Signature={DOC_SEED}"
)
CRT_TRAILING_HEADERS = [("first", "1st"), ("second", "2nd"), ("third", "3rd")]
CRT_TRAILING_SIGNATURE = "df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c"

# --- aws-c-auth-extra/s3-streaming-sigv4a.json (verified) ---------------------------------
V4A_PUBLIC = (
    "18b7d04643359f6ec270dcbab8dce6d169d66ddc9778c75cfb08dfdb701637ab",
    "fa36b35e4fe67e3112261d2e17a956ef85b06e44712d2850bcd3c2161e9993f2",
)
V4A_CANONICAL_REQUEST = (
    "PUT\n/examplebucket/chunkObject.txt\n\ncontent-encoding:aws-chunked\n"
    "content-length:66824\nhost:s3.amazonaws.com\n"
    "x-amz-content-sha256:STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD\n"
    "x-amz-date:20130524T000000Z\nx-amz-decoded-content-length:66560\n"
    "x-amz-region-set:us-east-1\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
    "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
    "x-amz-decoded-content-length;x-amz-region-set;x-amz-storage-class\n"
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
)
V4A_TRAILER_CANONICAL_REQUEST = (
    "PUT\n/examplebucket/chunkObject.txt\n\ncontent-encoding:aws-chunked\n"
    "content-length:66824\nhost:s3.amazonaws.com\n"
    "x-amz-content-sha256:STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER\n"
    "x-amz-date:20130524T000000Z\nx-amz-decoded-content-length:66560\n"
    "x-amz-region-set:us-east-1\nx-amz-storage-class:REDUCED_REDUNDANCY\n"
    "x-amz-trailer:first,second,third\n\n"
    "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
    "x-amz-decoded-content-length;x-amz-region-set;x-amz-storage-class;x-amz-trailer\n"
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
)
V4A_CHUNK_PREFIX = "AWS4-ECDSA-P256-SHA256-PAYLOAD\n20130524T000000Z\n20130524/s3/aws4_request\n"
V4A_CHUNK_SUFFIXES = [
    f"\n{EMPTY}\n{HASH_65536_A}",
    f"\n{EMPTY}\n{HASH_1024_A}",
    f"\n{EMPTY}\n{EMPTY}",
]
V4A_TRAILER_PREFIX = "AWS4-ECDSA-P256-SHA256-TRAILER\n20130524T000000Z\n20130524/s3/aws4_request\n"
V4A_TRAILER_SUFFIX = "\n83d8f190334fb741bc8daf73c891689d320bd8017756bc730c540021ed48001f"


def _record(path: str, name: str) -> dict[str, Any]:
    records = json.loads((RECORDS / path).read_text())["records"]
    (record,) = [r for r in records if r["name"] == name]
    assert record["verified"] is True
    return dict(record)


def test_transcriptions_match_the_shared_records() -> None:
    if not (RECORDS / "aws-docs" / "s3-sigv4-streaming.json").is_file():
        pytest.skip("the vector records are neither in vectors/records nor beside the checkout")
    doc = _record("aws-docs/s3-sigv4-streaming.json", "chunked-put-object")
    assert doc["expected"]["seed"]["canonical_request"] == DOC_CANONICAL_REQUEST
    assert doc["expected"]["seed"]["string_to_sign"] == DOC_STRING_TO_SIGN
    assert doc["expected"]["seed"]["signature"] == DOC_SEED
    assert doc["expected"]["chunk_signatures"] == DOC_CHUNKS
    assert ["Content-Length", str(DOC_CONTENT_LENGTH)] in doc["inputs"]["headers"]
    assert doc["derived"]["chunks"][0]["data_sha256"] == HASH_65536_A
    assert doc["derived"]["chunks"][1]["data_sha256"] == HASH_1024_A
    trailer = _record("aws-docs/s3-sigv4-streaming.json", "chunked-put-object-with-trailer")
    assert trailer["expected"]["seed"]["signature"] == TRAILER_SEED
    assert (
        f"SignedHeaders={TRAILER_SIGNED_HEADERS}," in trailer["expected"]["seed"]["authorization"]
    )
    assert trailer["expected"]["chunk_signatures"] == TRAILER_CHUNKS
    assert trailer["expected"]["trailer_signature"] == TRAILER_SIGNATURE
    assert trailer["inputs"]["trailers"] == [["x-amz-checksum-crc32c", TRAILER_CRC32C]]
    crt = _record("aws-c-auth-extra/s3-streaming-sigv4.json", "sigv4-chunked")
    assert crt["expected"]["authorization"] == CRT_AUTHORIZATION
    assert crt["expected"]["chunk_signatures"] == DOC_CHUNKS
    crt = _record("aws-c-auth-extra/s3-streaming-sigv4.json", "sigv4-chunked-then-trailing-headers")
    assert crt["inputs"]["trailing_headers"] == [list(h) for h in CRT_TRAILING_HEADERS]
    assert crt["expected"]["trailing_headers_signature"] == CRT_TRAILING_SIGNATURE
    v4a = _record("aws-c-auth-extra/s3-streaming-sigv4a.json", "sigv4a-chunked")
    assert v4a["expected"]["canonical_request"] == V4A_CANONICAL_REQUEST
    assert v4a["expected"]["chunk_string_to_sign_prefix"] == V4A_CHUNK_PREFIX
    assert v4a["expected"]["chunk_string_to_sign_suffixes"] == V4A_CHUNK_SUFFIXES
    assert (v4a["expected"]["public_key"]["X"], v4a["expected"]["public_key"]["Y"]) == V4A_PUBLIC
    v4a = _record("aws-c-auth-extra/s3-streaming-sigv4a.json", "sigv4a-chunked-with-trailer")
    assert v4a["expected"]["canonical_request"] == V4A_TRAILER_CANONICAL_REQUEST
    assert v4a["expected"]["trailer_string_to_sign_prefix"] == V4A_TRAILER_PREFIX
    assert v4a["expected"]["trailer_string_to_sign_suffix"] == V4A_TRAILER_SUFFIX


# --- the published examples ---------------------------------------------------------------


def _doc_request(body: bytes | io.BytesIO | None = DATA) -> Request:
    headers = [("Host", "s3.amazonaws.com"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")]
    return Request.from_url("PUT", URL, headers, body)


def test_documented_chunked_put_reproduces() -> None:
    config = ChunkedConfig(STREAMING_SIGNED, chunk_size=65536)
    upload = sign_v4_chunked(_doc_request(), CREDS, WHEN, SigV4Config.s3("us-east-1"), config)
    seed = upload.seed
    assert seed["canonical_request"] == DOC_CANONICAL_REQUEST
    assert seed["string_to_sign"] == DOC_STRING_TO_SIGN
    assert seed.signature == DOC_SEED
    assert seed["authorization"] == CRT_AUTHORIZATION
    frames = list(upload.body.frames())
    steps = [step for step, _ in frames]
    assert [s.signature for s in steps] == DOC_CHUNKS
    assert [s.payload_hash for s in steps] == [HASH_65536_A, HASH_1024_A, EMPTY]
    previous = [DOC_SEED, *DOC_CHUNKS[:2]]
    for step, prev in zip(steps, previous, strict=True):
        assert step.string_to_sign == (
            f"AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n{SCOPE}\n{prev}\n{EMPTY}\n"
            f"{step.payload_hash}"
        )
    wire = b"".join(data for _, data in frames)
    assert len(wire) == DOC_CONTENT_LENGTH == upload.body.length
    assert wire.startswith(b"10000;chunk-signature=" + DOC_CHUNKS[0].encode() + b"\r\naaaa")
    assert b"\r\n400;chunk-signature=" + DOC_CHUNKS[1].encode() + b"\r\naaaa" in wire
    assert wire.endswith(b"a\r\n0;chunk-signature=" + DOC_CHUNKS[2].encode() + b"\r\n\r\n")
    assert seed.request.header("content-length") == str(DOC_CONTENT_LENGTH)
    assert seed.request.header("x-amz-decoded-content-length") == "66560"


def test_documented_trailer_example_reproduces() -> None:
    """The seed reproduces with Content-Length sent but not signed (the record's note)."""
    config = ChunkedConfig(STREAMING_SIGNED_TRAILER, 65536, checksum="crc32c")
    unsigned = SigV4Config.s3("us-east-1").unsigned_headers | {"content-length"}
    sigv4 = SigV4Config.s3("us-east-1", unsigned_headers=unsigned)
    upload = sign_v4_chunked(_doc_request(), CREDS, WHEN, sigv4, config)
    assert upload.seed.signature == TRAILER_SEED
    assert upload.seed["signed_headers"] == TRAILER_SIGNED_HEADERS
    steps = [step for step, _ in upload.body.frames()]
    assert [s.kind for s in steps] == ["chunk", "chunk", "final", "trailer"]
    assert [s.signature for s in steps[:3]] == TRAILER_CHUNKS
    assert steps[3].signature == TRAILER_SIGNATURE
    assert steps[3].canonical_trailer == f"x-amz-checksum-crc32c:{TRAILER_CRC32C}\n"
    assert upload.body.trailers == [("x-amz-checksum-crc32c", TRAILER_CRC32C)]
    wire = upload.body.read()
    assert wire.endswith(
        f"0;chunk-signature={TRAILER_CHUNKS[2]}\r\nx-amz-checksum-crc32c:{TRAILER_CRC32C}\r\n"
        f"x-amz-trailer-signature:{TRAILER_SIGNATURE}\r\n\r\n".encode()
    )
    assert len(wire) == upload.body.length
    assert upload.seed.request.header("content-length") == str(len(wire))


def test_aws_c_auth_trailing_headers_after_the_plain_seed() -> None:
    """aws-c-auth signs trailing headers after the STREAMING-…-PAYLOAD seed and chunks."""
    upload = sign_v4_chunked(
        _doc_request(), CREDS, WHEN, SigV4Config.s3("us-east-1"), ChunkedConfig(chunk_size=65536)
    )
    assert upload.seed["authorization"] == CRT_AUTHORIZATION
    config = ChunkedConfig(STREAMING_SIGNED_TRAILER, 65536, trailers=tuple(CRT_TRAILING_HEADERS))
    body = ChunkedBody(DATA, None, config, ChunkSigner.from_result(upload.seed))
    steps = [step for step, _ in body.frames()]
    assert [s.signature for s in steps[:3]] == DOC_CHUNKS
    assert steps[3].signature == CRT_TRAILING_SIGNATURE
    assert canonical_trailer(CRT_TRAILING_HEADERS) == "first:1st\nsecond:2nd\nthird:3rd\n"


def test_chunk_signer_from_the_signing_key() -> None:
    """The verifier's view: seed signature, scope, time and kSigning are all it needs."""
    key = signing_key(CREDS.secret_access_key, "20130524", "us-east-1", "s3")[3]
    signer = ChunkSigner.sigv4(DOC_SEED, WHEN, SCOPE, key)
    sts = chunk_string_to_sign(signer.algorithm, signer.timestamp, SCOPE, DOC_SEED, HASH_65536_A)
    assert signer.sign is not None and signer.sign(sts) == DOC_CHUNKS[0]
    sts = trailer_string_to_sign(
        signer.algorithm,
        signer.timestamp,
        SCOPE,
        TRAILER_CHUNKS[2],
        f"x-amz-checksum-crc32c:{TRAILER_CRC32C}\n",
    )
    assert signer.sign(sts) == TRAILER_SIGNATURE


def _sigv4a_seed(payload: str, extra: list[tuple[str, str]]) -> Any:
    """The aws-c-auth SigV4A request as the test builds it (its Content-Length is 66824)."""
    headers = [
        ("host", "s3.amazonaws.com"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("Content-Length", "66824"),
        *extra,
    ]
    request = Request.from_url("PUT", URL, headers)
    return sign_v4a(request, CREDS, WHEN, SigV4Config.s3("us-east-1", payload_hash=payload))


@pytest.mark.parametrize("trailer", [False, True], ids=["chunks", "chunks-and-trailer"])
def test_sigv4a_chunks_reproduce(trailer: bool) -> None:
    public = public_key_from_xy(*V4A_PUBLIC)
    key = derive_private_key(CREDS.access_key_id, CREDS.secret_access_key)
    assert public.public_numbers() == key.public_key().public_numbers()
    payload = STREAMING_ECDSA_TRAILER if trailer else STREAMING_ECDSA
    extra = [("x-amz-trailer", "first,second,third")] if trailer else []
    seed = _sigv4a_seed(payload, extra)
    expected = V4A_TRAILER_CANONICAL_REQUEST if trailer else V4A_CANONICAL_REQUEST
    assert seed["canonical_request"] == expected
    assert verify_v4a(seed["string_to_sign"], seed.signature, public)
    trailers = tuple(CRT_TRAILING_HEADERS) if trailer else ()
    config = ChunkedConfig(payload, 65536, trailers=trailers)
    body = ChunkedBody(DATA, None, config, ChunkSigner.from_result(seed))
    frames = list(body.frames())
    previous = seed.signature
    for (step, wire), suffix in zip(frames, V4A_CHUNK_SUFFIXES, strict=False):
        assert step.string_to_sign == V4A_CHUNK_PREFIX + previous + suffix
        assert step.signature is not None
        assert verify_v4a(V4A_CHUNK_PREFIX + previous + suffix, step.signature, public)
        padded = step.signature.ljust(ECDSA_WIRE_LENGTH, "*").encode()
        assert wire.startswith(f"{step.size:x};chunk-signature=".encode() + padded + b"\r\n")
        previous = step.signature
    if trailer:
        step, wire = frames[3]
        sts = V4A_TRAILER_PREFIX + previous + V4A_TRAILER_SUFFIX
        assert step.string_to_sign == sts
        assert step.signature is not None
        assert verify_v4a(sts, step.signature, public)
    encoded = b"".join(w for _, w in frames)
    assert len(encoded) == body.length
    verifier = ChunkSigner.sigv4a(
        seed.signature, WHEN, "20130524/s3/aws4_request", public_key=public
    )
    assert decode_chunked(encoded, payload=payload, signer=verifier, decoded_length=66560) == DATA
    sent = body.read()  # the path that makes no steps pads and chains the same way
    assert len(sent) == body.length
    assert decode_chunked(sent, payload=payload, signer=verifier, decoded_length=66560) == DATA


def test_sign_v4_chunked_with_sigv4a_seed() -> None:
    config = ChunkedConfig(STREAMING_ECDSA, 65536)
    upload = sign_v4_chunked(_doc_request(), CREDS, WHEN, SigV4Config.s3("us-east-1"), config)
    assert upload.seed.algorithm == "sigv4a"
    assert upload.seed.request.header("x-amz-region-set") == "us-east-1"
    wire = upload.body.read()
    assert len(wire) == upload.body.length
    assert upload.seed.request.header("content-length") == str(len(wire))
    assert upload.body.length == DOC_CONTENT_LENGTH + 3 * (ECDSA_WIRE_LENGTH - 64)
    signer = ChunkSigner.from_result(upload.seed)
    assert decode_chunked(wire, payload=STREAMING_ECDSA, signer=signer) == DATA


def test_sigv4a_altered_chunk_is_refused() -> None:
    config = ChunkedConfig(STREAMING_ECDSA, 65536)
    upload = sign_v4_chunked(_doc_request(), CREDS, WHEN, SigV4Config.s3("us-east-1"), config)
    wire = bytearray(upload.body.read())
    wire[1000] ^= 1
    verifier = ChunkSigner.sigv4a(
        upload.seed.signature,
        WHEN,
        "20130524/s3/aws4_request",
        public_key=public_key_from_xy(*V4A_PUBLIC),
    )
    with pytest.raises(ChunkVerificationError, match="chunk 0: the signature") as caught:
        decode_chunked(bytes(wire), payload=STREAMING_ECDSA, signer=verifier)
    assert caught.value.chunk == 0
    with pytest.raises(InputError, match="chunks can be verified only"):
        ChunkedBody(DATA, None, config, verifier).read()


def test_upload_request_carries_the_body_as_a_stream() -> None:
    upload = sign_v4_chunked(
        _doc_request(io.BytesIO(DATA)),
        CREDS,
        WHEN,
        SigV4Config.s3("us-east-1"),
        ChunkedConfig(chunk_size=65536),
    )
    request = upload.request
    assert request.body is not None and not isinstance(request.body, bytes)
    wire = request.body.read()
    assert len(wire) == DOC_CONTENT_LENGTH and DOC_CHUNKS[2].encode() in wire
    assert upload.request.body_bytes() == wire  # a seekable source starts again


# --- checksums ----------------------------------------------------------------------------


def _crc32c_bytewise(data: bytes, crc: int = 0) -> int:
    """The textbook reflected CRC-32C, one byte at a time (an independent reference)."""
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def test_crc32c_known_values() -> None:
    assert crc32c(b"123456789") == 0xE3069283  # the catalogue's check value
    assert crc32c(b"") == 0
    assert checksum_value("crc32c", DATA) == TRAILER_CRC32C
    assert checksum_value("crc32c", b"a") == "wdBDMA=="  # aws-c-auth's integration test
    assert (
        checksum_value("crc32", b"a")
        == base64.b64encode(zlib.crc32(b"a").to_bytes(4, "big")).decode()
    )
    with pytest.raises(InputError, match="is not one of"):
        checksum_value("crc128", b"a")


@given(st.binary(max_size=3000), st.integers(0, 3000))
def test_crc32c_matches_the_bytewise_reference(data: bytes, split: int) -> None:
    assert crc32c(data) == _crc32c_bytewise(data)
    split = min(split, len(data))
    assert crc32c(data[split:], crc32c(data[:split])) == crc32c(data)


def test_crc32c_every_short_length() -> None:
    """Every length the fold plans differ for near the table/fold boundary, from a set CRC."""
    data = bytes(range(7, 256)) * 2
    for n in range(300):
        assert crc32c(data[:n], 0x12345678) == _crc32c_bytewise(data[:n], 0x12345678), n


def test_crc32c_on_large_and_unaligned_input() -> None:
    data = bytes(range(256)) * 1031  # over one 64 KiB piece, not a multiple of it
    assert crc32c(memoryview(data)[3:]) == _crc32c_bytewise(data[3:])


# --- arithmetic ---------------------------------------------------------------------------


def test_encoded_length_of_the_documented_example() -> None:
    assert encoded_length(66560, ChunkedConfig(chunk_size=65536)) == DOC_CONTENT_LENGTH
    # 0 bytes: the final chunk and CRLF only
    assert encoded_length(0, ChunkedConfig()) == len("0;chunk-signature=") + 64 + 4
    assert encoded_length(0, ChunkedConfig(STREAMING_UNSIGNED_TRAILER)) == len("0\r\n\r\n")


def test_chunked_headers() -> None:
    config = ChunkedConfig(STREAMING_UNSIGNED_TRAILER, checksum="sha256")
    assert chunked_headers(10, config) == [
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "10"),
        ("x-amz-trailer", "x-amz-checksum-sha256"),
        ("Content-Length", str(len("a\r\n") + 10 + 2 + 3 + len("x-amz-checksum-sha256:") + 44 + 4)),
    ]


# --- bad input ----------------------------------------------------------------------------


class _Unseekable(io.RawIOBase):
    """A stream that gives `data` in small reads and cannot seek (like a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        piece = self._data.read(min(len(buffer), 1000))
        buffer[: len(piece)] = piece
        return len(piece)


def _signer() -> ChunkSigner:
    key = signing_key(CREDS.secret_access_key, "20130524", "us-east-1", "s3")[3]
    return ChunkSigner.sigv4(DOC_SEED, WHEN, SCOPE, key)


SMALL = ChunkedConfig(chunk_size=MIN_CHUNK_SIZE)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"chunk_size": 1024}, "below the 8192-byte minimum"),
        ({"chunk_size": 0}, "is not in 1.."),
        ({"chunk_size": 32 * 1024 * 1024}, "is not in 1.."),
        ({"payload": "UNSIGNED-PAYLOAD"}, "not an aws-chunked payload"),
        ({"checksum": "crc32"}, "use a *-TRAILER payload"),
        ({"payload": STREAMING_SIGNED_TRAILER, "checksum": "md4"}, "is not one of"),
        ({"payload": STREAMING_SIGNED_TRAILER, "trailers": (("bad name", "x"),)}, "name may"),
        ({"payload": STREAMING_SIGNED_TRAILER, "trailers": (("x", "a\r\nb"),)}, "control"),
        (
            {
                "payload": STREAMING_SIGNED_TRAILER,
                "checksum": "crc32",
                "trailers": (("x-amz-checksum-crc32", "AAAAAA=="),),
            },
            "sent twice",
        ),
    ],
)
def test_bad_config(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message.replace("*", r"\*")):
        ChunkedConfig(**changes)


def test_small_chunks_allowed_when_the_minimum_is_lifted() -> None:
    config = ChunkedConfig(chunk_size=1024, min_chunk_size=0)
    body = ChunkedBody(DATA, None, config, _signer())
    assert len(list(body.frames())) == 66 and len(body.read()) == body.length


@pytest.mark.parametrize("actual", [100, 8191, 8193, 30000])
def test_seekable_body_of_the_wrong_length_fails_before_any_byte(actual: int) -> None:
    body = ChunkedBody(io.BytesIO(b"x" * actual), 8192, SMALL, _signer())
    produced: list[bytes] = []
    with pytest.raises(InputError, match="declared length is 8192"):
        produced.extend(body)
    assert produced == []


def test_unseekable_body_that_ends_early_never_gets_a_final_chunk() -> None:
    body = ChunkedBody(_Unseekable(b"x" * 20000), 30000, SMALL, _signer())
    produced: list[bytes] = []
    with pytest.raises(InputError, match="ended after 20000 bytes; the declared length is 30000"):
        produced.extend(body)
    assert len(produced) == 2  # two whole 8 KiB chunks, no partial one, no final chunk
    assert all(p.endswith(b"x\r\n") and p.startswith(b"2000;") for p in produced)


def test_unseekable_body_that_runs_long_stops_before_its_last_chunk() -> None:
    body = ChunkedBody(_Unseekable(b"x" * 20001), 20000, SMALL, _signer())
    produced: list[bytes] = []
    with pytest.raises(InputError, match="longer than the declared length 20000"):
        produced.extend(body)
    assert len(produced) == 2  # the 3616-byte last chunk and the final chunk never went out


def test_unseekable_body_encodes_once_seekable_body_again() -> None:
    body = ChunkedBody(_Unseekable(b"x" * 9000), 9000, SMALL, _signer())
    first = body.read()
    with pytest.raises(InputError, match="can be encoded once"):
        body.read()
    again = ChunkedBody(io.BytesIO(b"x" * 9000), None, SMALL, _signer())
    assert again.read() == again.read() == first


def test_unseekable_stream_needs_a_length() -> None:
    with pytest.raises(InputError, match="give the length"):
        ChunkedBody(_Unseekable(b"x"), None, SMALL, _signer())
    request = _doc_request(None).with_body(_Unseekable(b"x"))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="give the length"):
        sign_v4_chunked(request, CREDS, WHEN, SigV4Config.s3("us-east-1"))


def test_signer_must_fit_the_payload() -> None:
    with pytest.raises(InputError, match="needs the seed's ChunkSigner"):
        ChunkedBody(b"", None, ChunkedConfig(), None)
    with pytest.raises(InputError, match="unsigned chunks; give no signer"):
        ChunkedBody(b"", None, ChunkedConfig(STREAMING_UNSIGNED_TRAILER), _signer())
    with pytest.raises(InputError, match="signed with AWS4-ECDSA-P256-SHA256"):
        ChunkedBody(b"", None, ChunkedConfig(STREAMING_ECDSA), _signer())


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ("20130524/s3/aws4_request", "is not date/region/service/aws4_request"),
        ("20130525/us-east-1/s3/aws4_request", "is not the signing day"),
        ("20130524/us-east-1/s3/aws5_request", "is not date/region"),
    ],
)
def test_bad_scope(scope: str, message: str) -> None:
    key = bytes(32)
    with pytest.raises(InputError, match=message):
        ChunkSigner.sigv4(DOC_SEED, WHEN, scope, key)


def test_bad_seed_and_key() -> None:
    with pytest.raises(InputError, match="seed signature"):
        ChunkSigner.sigv4("XYZ", WHEN, SCOPE, bytes(32))
    with pytest.raises(InputError, match="32 bytes"):
        ChunkSigner.sigv4(DOC_SEED, WHEN, SCOPE, b"short")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (("Content-Length", "66560"), "needs '66824'"),
        (("x-amz-decoded-content-length", "1"), "needs '66560'"),
        (("Content-Encoding", "gzip"), "needs 'aws-chunked,gzip'"),
        (("Transfer-Encoding", "chunked"), "sent with Content-Length"),
    ],
)
def test_request_headers_that_contradict_the_body(header: tuple[str, str], message: str) -> None:
    request = _doc_request(None)
    request = request.with_headers([header])
    with pytest.raises(InputError, match=message):
        prepare_request(request, 66560, ChunkedConfig(chunk_size=65536))


def test_request_headers_that_agree_are_kept() -> None:
    request = _doc_request(None).with_headers(
        [("Content-Encoding", "aws-chunked,gzip"), ("Content-Length", "66824")]
    )
    prepared = prepare_request(request, 66560, ChunkedConfig(chunk_size=65536))
    assert prepared.header_values("content-encoding") == ["aws-chunked,gzip"]
    assert prepared.header_values("content-length") == ["66824"]


def test_payload_hash_that_contradicts_the_payload() -> None:
    config = SigV4Config.s3("us-east-1", payload_hash="UNSIGNED-PAYLOAD")
    with pytest.raises(InputError, match="contradicts"):
        sign_v4_chunked(_doc_request(), CREDS, WHEN, config)


def test_query_seed_is_refused() -> None:
    from sigkit import sign_v4_query

    result = sign_v4_query(_doc_request(None), CREDS, WHEN, SigV4Config.s3("us-east-1"))
    with pytest.raises(InputError, match="header variant"):
        ChunkSigner.from_result(result)


# --- decoding: what a server receives -----------------------------------------------------


def _doc_wire() -> bytes:
    return ChunkedBody(DATA, None, ChunkedConfig(chunk_size=65536), _signer()).read()


def _decode(wire: bytes, **options: Any) -> bytes:
    options.setdefault("payload", STREAMING_SIGNED)
    options.setdefault("signer", _signer())
    return decode_chunked(wire, **options)


def test_decoder_gives_back_the_documented_body_and_steps() -> None:
    decoder = ChunkedDecoder(_doc_wire(), payload=STREAMING_SIGNED, signer=_signer())
    frames = list(decoder.frames())
    assert [s.signature for s, _ in frames] == DOC_CHUNKS
    assert b"".join(d for _, d in frames) == DATA and decoder.complete


def test_decoder_streams_from_a_stream() -> None:
    decoder = ChunkedDecoder(
        _Unseekable(_doc_wire()), payload=STREAMING_SIGNED, signer=_signer(), decoded_length=66560
    )
    assert [len(d) for d in decoder] == [65536, 1024]


def _replace_first(wire: bytes, old: bytes, new: bytes) -> bytes:
    assert old in wire
    return wire.replace(old, new, 1)


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda w: w[:-1], InputError, "ends inside a line"),
        (lambda w: w + b"x", InputError, "bytes follow the end"),
        (lambda w: w[:60000], InputError, "ends after 59912 of 65536"),
        (lambda w: b"zz" + w[5:], InputError, "does not start with a hex chunk size"),
        (lambda w: _replace_first(w, b";chunk-signature=", b";chunk-sig="), InputError, "has no"),
        (lambda w: _replace_first(w, DOC_CHUNKS[1].encode(), b"ab"), InputError, "64 lower-case"),
        (lambda w: _replace_first(w, b"a\r\n400", b"aX\n400"), InputError, "not followed by CRLF"),
        (
            lambda w: _replace_first(w, DOC_CHUNKS[1][:8].encode(), b"00000000"),
            VerificationError,
            "chunk 1: the signature",
        ),
        (
            lambda w: _replace_first(w, b"a\r\n400", b"b\r\n400"),
            VerificationError,
            "chunk 0: the signature",
        ),
        (
            lambda w: _replace_first(w, b"\r\n400;", b"\r\n3ff;"),
            InputError,
            "not followed by CRLF",
        ),
        (lambda w: b"1" * 5000 + w, InputError, "no CRLF within"),
    ],
)
def test_decoder_refuses_damage(mutate: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        _decode(mutate(_doc_wire()))


def test_decoder_names_the_chunk_and_what_was_signed() -> None:
    wire = _replace_first(_doc_wire(), DOC_CHUNKS[2].encode(), b"f" * 64)
    with pytest.raises(ChunkVerificationError) as caught:
        _decode(wire)
    error = caught.value
    assert str(error).startswith("chunk 2: the signature " + "f" * 64)
    assert error.chunk == 2
    assert error.string_to_sign == chunk_string_to_sign(
        "AWS4-HMAC-SHA256", "20130524T000000Z", SCOPE, DOC_CHUNKS[1], EMPTY
    )
    assert DOC_CHUNKS[2] not in str(error)  # the expected signature is not handed out
    signer = _signer()
    assert signer.sign is not None and signer.sign(error.string_to_sign) == DOC_CHUNKS[2]


def test_decoder_checks_the_declared_length_and_minimum() -> None:
    wire = _doc_wire()
    with pytest.raises(VerificationError, match="runs past x-amz-decoded-content-length 66559"):
        _decode(wire, decoded_length=66559)
    with pytest.raises(VerificationError, match=r"holds 66560 data bytes but .* is 66561"):
        _decode(wire, decoded_length=66561)
    small = ChunkedBody(DATA, None, ChunkedConfig(chunk_size=4096, min_chunk_size=0), _signer())
    with pytest.raises(VerificationError, match="chunk 0: 4096 bytes is below the 8192-byte"):
        _decode(small.read())
    assert _decode(small.read(), min_chunk_size=0) == DATA


def _trailer_wire(payload: str = STREAMING_SIGNED_TRAILER, **changes: Any) -> bytes:
    config = ChunkedConfig(payload, 65536, **changes)
    signer = _signer() if payload != STREAMING_UNSIGNED_TRAILER else None
    return ChunkedBody(DATA, None, config, signer).read()


def test_decoder_checks_trailers() -> None:
    wire = _trailer_wire(checksum="crc32c", trailers=(("x-extra", "v"),))
    names = ["x-amz-checksum-crc32c", "x-extra"]
    decoder = ChunkedDecoder(
        wire, payload=STREAMING_SIGNED_TRAILER, signer=_signer(), trailer_names=names
    )
    assert decoder.read() == DATA
    assert decoder.trailers == [("x-amz-checksum-crc32c", TRAILER_CRC32C), ("x-extra", "v")]
    options = {"payload": STREAMING_SIGNED_TRAILER, "trailer_names": names}
    with pytest.raises(VerificationError, match="x-amz-trailer declares"):
        _decode(wire, payload=STREAMING_SIGNED_TRAILER, trailer_names=["x-extra"])
    bad = _replace_first(wire, b"x-extra:v", b"x-extra:w")
    with pytest.raises(VerificationError, match="trailer: the signature"):
        _decode(bad, **options)
    bad = _replace_first(wire, TRAILER_CRC32C.encode(), b"AAAAAA==")
    with pytest.raises(VerificationError, match="the data's crc32c is sOO8/Q=="):
        _decode(bad, **options)
    bad = _replace_first(wire, b"x-amz-trailer-signature:", b"x-amz-trailer-signaturX:")
    with pytest.raises(InputError, match="needs a x-amz-trailer-signature line"):
        _decode(bad, payload=STREAMING_SIGNED_TRAILER)
    bad = _replace_first(wire, b"x-extra:v", b"x-extra v")
    with pytest.raises(InputError, match="is not a 'name:value' line"):
        _decode(bad, **options)


def test_decoder_unsigned_trailer() -> None:
    wire = _trailer_wire(STREAMING_UNSIGNED_TRAILER, checksum="sha1")
    assert wire.endswith(
        f"\r\n0\r\nx-amz-checksum-sha1:{checksum_value('sha1', DATA)}\r\n\r\n".encode()
    )
    assert decode_chunked(wire, payload=STREAMING_UNSIGNED_TRAILER, signer=None) == DATA
    bad = _replace_first(wire, b"aaaa\r\n0\r\n", b"aaab\r\n0\r\n")
    with pytest.raises(VerificationError, match=r"x-amz-checksum-sha1 is .* the data's sha1 is"):
        decode_chunked(bad, payload=STREAMING_UNSIGNED_TRAILER, signer=None)
    with pytest.raises(InputError, match="unsigned chunks carry no extension"):
        decode_chunked(_doc_wire(), payload=STREAMING_UNSIGNED_TRAILER, signer=None)


# --- round trips --------------------------------------------------------------------------

PAYLOADS = [STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER]


@st.composite
def _uploads(draw: st.DrawFn) -> tuple[bytes, ChunkedConfig]:
    payload = draw(st.sampled_from(PAYLOADS))
    data = draw(st.binary(max_size=2500))
    size = draw(st.integers(1, 700))
    checksum = None
    trailers: tuple[tuple[str, str], ...] = ()
    if payload == STREAMING_UNSIGNED_TRAILER:  # only a checksum protects unsigned data
        checksum = draw(st.sampled_from(["crc32", "crc32c", "sha1", "sha256"]))
    elif payload == STREAMING_SIGNED_TRAILER:
        checksum = draw(st.sampled_from([None, "crc32", "crc32c", "sha1", "sha256"]))
        trailers = draw(st.sampled_from([(), (("x-amz-meta-a", "1"),)]))
    config = ChunkedConfig(payload, size, checksum, trailers, min_chunk_size=0)
    return data, config


def _encode(data: bytes, config: ChunkedConfig) -> bytes:
    signer = _signer() if config.signed else None
    return ChunkedBody(io.BytesIO(data), len(data), config, signer).read()


def _decode_as_sent(wire: bytes, data: bytes, config: ChunkedConfig) -> bytes:
    return decode_chunked(
        wire,
        payload=config.payload,
        signer=_signer() if config.signed else None,
        decoded_length=len(data),
        trailer_names=config.trailer_names(),
        min_chunk_size=0,
    )


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_uploads())
def test_round_trip(upload: tuple[bytes, ChunkedConfig]) -> None:
    data, config = upload
    wire = _encode(data, config)
    assert len(wire) == encoded_length(len(data), config)
    assert _decode_as_sent(wire, data, config) == data


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_uploads(), st.integers(min_value=0), st.integers(1, 255))
def test_a_flipped_byte_is_detected(
    upload: tuple[bytes, ChunkedConfig], where: int, mask: int
) -> None:
    data, config = upload
    wire = bytearray(_encode(data, config))
    at = where % len(wire)
    old = wire[at]
    wire[at] ^= mask
    try:
        decoded = _decode_as_sent(bytes(wire), data, config)
    except (InputError, VerificationError):
        return
    # Only a change of letter case (in a hex chunk size, a trailer name) means the same body.
    assert decoded == data
    assert chr(old).isalpha() and chr(old).lower() == chr(wire[at]).lower()


@given(st.binary(max_size=5000), st.integers(1, 2000))
def test_stream_view_matches_iteration(data: bytes, size: int) -> None:
    assume(True)
    config = ChunkedConfig(chunk_size=size, min_chunk_size=0)
    body = ChunkedBody(data, None, config, _signer())
    expected = body.read()
    assert body.stream().read() == expected
    stream = ChunkedBody(data, None, config, _signer()).stream()
    pieces = iter(lambda: stream.read(7), b"")
    assert b"".join(pieces) == expected


# --- the encoder's fast paths (issue #6) give what the plain definitions give -------------


def _reference_body(data: bytes, chunk_size: int, key: bytes) -> bytes:
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD built from the spec with hmac.new, chunk by chunk."""
    out, previous = [], DOC_SEED
    pieces = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for piece in pieces:
        sts = chunk_string_to_sign(
            "AWS4-HMAC-SHA256", "20130524T000000Z", SCOPE, previous,
            hashlib.sha256(piece).hexdigest(),
        )  # fmt: skip
        previous = hmac.new(key, sts.encode(), "sha256").hexdigest()
        out.append(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(piece), previous.encode(), piece))
    return b"".join(out)


@pytest.mark.parametrize(
    ("length", "chunk_size"),
    [(0, 8192), (1, 8192), (3 << 20, 65536), ((3 << 20) + 12345, 300_000), (2_500_000, 1 << 21)],
)
def test_encoding_across_read_blocks_matches_the_spec(length: int, chunk_size: int) -> None:
    data = bytes(range(256)) * (length // 256) + b"z" * (length % 256)
    key = signing_key(CREDS.secret_access_key, "20130524", "us-east-1", "s3")[3]
    config = ChunkedConfig(chunk_size=chunk_size, min_chunk_size=0)
    expected = _reference_body(data, chunk_size, key)
    body = ChunkedBody(data, None, config, _signer())
    assert body.read() == expected
    assert b"".join(frame for _, frame in body.frames()) == expected
    unseekable = ChunkedBody(_Unseekable(data), length, config, _signer())
    assert b"".join(unseekable) == expected  # short reads (1000 bytes) fill whole chunks


def test_chunk_stepper_signs_what_chunk_string_to_sign_says() -> None:
    key = signing_key(CREDS.secret_access_key, "20130524", "us-east-1", "s3")[3]
    signer, previous = _signer(), DOC_SEED
    for data in (b"", b"x", b"a" * 65536, bytes(range(256)) * 40):
        step = signer.chunk_step(3, previous, data)
        assert step.string_to_sign == chunk_string_to_sign(
            signer.algorithm, signer.timestamp, SCOPE, previous, step.payload_hash or ""
        )
        assert step.signature == hmac.new(key, step.string_to_sign.encode(), "sha256").hexdigest()
        assert signer.verify(step.string_to_sign, step.signature)
        previous = step.signature


def test_short_source_fails_at_the_chunk_that_shows_it_within_a_read_block() -> None:
    # 300000-byte chunks: three to a 1 MiB read; the source ends inside the second block.
    config = ChunkedConfig(chunk_size=300_000, min_chunk_size=0)
    body = ChunkedBody(_Unseekable(b"x" * 1_250_000), 2_000_000, config, _signer())
    produced: list[bytes] = []
    with pytest.raises(
        InputError, match="ended after 1250000 bytes; the declared length is 2000000"
    ):
        produced.extend(body)
    assert len(produced) == 4  # every whole chunk went out, then the error, no final chunk


def test_long_source_fails_before_the_last_chunk_within_a_read_block() -> None:
    config = ChunkedConfig(chunk_size=300_000, min_chunk_size=0)
    body = ChunkedBody(_Unseekable(b"x" * 700_001), 700_000, config, _signer())
    produced: list[bytes] = []
    with pytest.raises(InputError, match="longer than the declared length 700000"):
        produced.extend(body)
    assert len(produced) == 2

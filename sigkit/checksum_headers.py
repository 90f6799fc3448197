"""What a signed S3 upload carries for its checksum, as the 2025 SDKs send it.

Since botocore 1.36 (AWS CLI v1.37 / v2.23, JS v3 3.729, ...) a PutObject or UploadPart
carries a checksum by default, in one of three forms (captured from botocore 1.43, see
tests/test_checksum_signing.py):

- **header** (plain body; botocore over http)::

      x-amz-checksum-crc32: DUoRhQ==
      x-amz-sdk-checksum-algorithm: CRC32          both signed

- **trailer** (aws-chunked body; botocore over https)::

      Transfer-Encoding: chunked                   (not signed)
      Content-Encoding: aws-chunked
      x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER
      x-amz-trailer: x-amz-checksum-crc32
      x-amz-decoded-content-length: 11
      x-amz-sdk-checksum-algorithm: CRC32

  and the checksum as the trailer ``x-amz-checksum-crc32:DUoRhQ==`` after the last chunk.

- **query** (a presigned PUT; JS v3's presigner moves the two headers into the URL, so the
  URL binds the checksum of the body given when it was signed, ``AAAAAA==`` for none: the
  ``presigned-checksum`` pitfall). botocore 1.43 instead signs them as headers
  (``X-Amz-SignedHeaders=host;x-amz-checksum-crc32``), which the uploader must then send.

``request_checksum_calculation = when_required`` sends none of them (`NONE`).

Public reports of the query form's pitfall: https://github.com/seaweedfs/seaweedfs/issues/10216
(JS v3 3.729 binds ``x-amz-checksum-crc32=AAAAAA==``), https://github.com/localstack/localstack/
issues/12169; botocore's header form for a presigned PUT: https://github.com/boto/botocore/
issues/3216.

Which form a store takes is read from its profile (`sigkit.stores.Store`); `decide` is the
one rule every command follows. Pure: values are computed by `sigkit.checksums` from the
bytes or stream given; no file is opened here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Literal

from sigkit import checksums
from sigkit.errors import InputError

if TYPE_CHECKING:
    from sigkit.stores import Store

SDK_ALGORITHM_HEADER = "x-amz-sdk-checksum-algorithm"
UNSIGNED_TRAILER_PAYLOAD = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
NONE = "none"
# What a user may type for "send no checksum" (the SDK setting's own name included).
_NONE_WORDS = frozenset({"none", "off", "when-required", "when_required", "no"})

Form = Literal["header", "trailer", "query"]
FORMS: tuple[Form, ...] = ("header", "trailer", "query")


def parse_algorithm(text: str | None, field_name: str = "--checksum") -> str | None:
    """The algorithm a ``--checksum`` option names (``crc32``, ``CRC32C``, ``sha256`` ...,
    as `sigkit.checksums` spells it), `NONE` for "send none", None when not given."""
    if text is None:
        return None
    if text.strip().lower() in _NONE_WORDS:
        return NONE
    try:
        return checksums.normalise(text)
    except InputError:
        known = ", ".join(checksums.ALGORITHMS)
        raise InputError(field_name, f"{text!r} is not one of {known} or none") from None


@dataclass(frozen=True, slots=True)
class Decision:
    """What to send: `algorithm` (None: no checksum at all), its `form`, and what the user
    should be told about the choice (`notes`: remarks; `warnings`: the user asked for what
    the store refuses)."""

    algorithm: str | None
    form: Form = "header"
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())


def decide(
    requested: str | None,
    *,
    form: Form = "header",
    store: Store | None = None,
    default: str | None = None,
) -> Decision:
    """The checksum a command sends, from ``--checksum`` (`requested`: an algorithm, `NONE`,
    or None when not given), the form asked for and the store profile, if any.

    A store that refuses checksum headers (or trailers, or a checksum in a presigned URL)
    gets none unless the user asked for one by name: then it is sent, with a warning. Never
    silent: a store's refusal is always said. `default` is what is sent when nothing is
    asked (None: no checksum, sigkit's default; ``"crc32"``: the SDKs')."""
    if form not in FORMS:
        raise InputError("form", f"{form!r} is not one of {', '.join(FORMS)}")
    explicit = requested is not None and requested != NONE
    algorithm = default if requested is None else (None if requested == NONE else requested)
    refused = _refusal(store, form)
    notes: list[str] = []
    warnings: list[str] = []
    if store is not None and refused and requested != NONE:  # none asked: nothing to say
        what, cause = refused
        if explicit:
            warnings.append(
                f"{store.title} {what} ({cause}): sent anyway because --checksum "
                f"{requested} was given; --checksum none leaves it out"
            )
        else:
            if algorithm is not None:
                algorithm = None
            example = default or "crc32"
            notes.append(
                f"{store.title} {what} ({cause}): none sent; --checksum {example} sends it anyway"
            )
    return Decision(algorithm, form, tuple(notes), tuple(warnings))


def _refusal(store: Store | None, form: Form) -> tuple[str, str] | None:
    """What `store` refuses of `form`, as text, and the registry's cause id; None if it
    takes it (or no source says)."""
    if store is None:
        return None
    if form == "query" and store.accepts_presigned_checksum is False:
        return "refuses a presigned URL that binds a checksum", "presigned-checksum"
    if store.accepts_checksum_headers is False:
        return "refuses x-amz-checksum-* and x-amz-sdk-checksum-algorithm", "checksum-unsupported"
    if form == "trailer" and (store.accepts_trailer is False or store.accepts_aws_chunked is False):
        return "refuses aws-chunked bodies with a trailing checksum", "aws-chunked-unsupported"
    return None


def body_value(algorithm: str, body: bytes | BinaryIO | None) -> str:
    """The checksum of `body` as S3 writes it (base64); a seekable stream is read from where
    it stands and put back there."""
    if body is None:
        return checksums.value(algorithm, b"")
    if isinstance(body, bytes | bytearray | memoryview):
        return checksums.value(algorithm, bytes(body))
    start = body.tell()
    try:
        return checksums.of_stream(body, [algorithm])[algorithm]
    finally:
        body.seek(start)


def body_length(body: bytes | BinaryIO | None) -> int:
    """Bytes in `body` from where a stream stands (it is left there)."""
    if body is None:
        return 0
    if isinstance(body, bytes | bytearray | memoryview):
        return len(body)
    start = body.tell()
    end = body.seek(0, 2)
    body.seek(start)
    return max(end - start, 0)


def header_form(algorithm: str, value: str) -> list[tuple[str, str]]:
    """botocore 1.43's PutObject over http: the checksum and the algorithm's SDK name."""
    return [(checksums.header_name(algorithm), value), (SDK_ALGORITHM_HEADER, sdk(algorithm))]


def trailer_form(algorithm: str, decoded_length: int) -> list[tuple[str, str]]:
    """botocore 1.43's PutObject over https, but for ``x-amz-content-sha256``, which the
    signer adds from the payload line (`UNSIGNED_TRAILER_PAYLOAD`). ``Transfer-Encoding`` is
    not signed (the SDK sends no Content-Length)."""
    if decoded_length < 0:
        raise InputError("body", f"{decoded_length} is not a length")
    return [
        ("Transfer-Encoding", "chunked"),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-trailer", checksums.header_name(algorithm)),
        ("x-amz-decoded-content-length", str(decoded_length)),
        (SDK_ALGORITHM_HEADER, sdk(algorithm)),
    ]


SDK_CHUNK_SIZE = 1024 * 1024  # botocore's AwsChunkedWrapper: 1 MiB chunks


def trailer_body(algorithm: str, data: bytes, chunk_size: int = SDK_CHUNK_SIZE) -> bytes:
    """`data` as the SDK sends it in the trailer form: unsigned aws-chunked chunks of 1 MiB,
    then ``0``, the checksum trailer and a blank line (``sigkit.sigv4.chunked`` encodes)."""
    from sigkit.sigv4.chunked import ChunkedBody, ChunkedConfig

    config = ChunkedConfig(
        UNSIGNED_TRAILER_PAYLOAD, chunk_size=chunk_size, checksum=algorithm, min_chunk_size=0
    )
    return ChunkedBody(data, len(data), config).read()


def query_form(algorithm: str, value: str) -> list[tuple[str, str]]:
    """A presigned PUT bound to one body's checksum, as JS v3's presigner writes it (the
    header names as query parameters, signed with the URL)."""
    return [(SDK_ALGORITHM_HEADER, sdk(algorithm)), (checksums.header_name(algorithm), value)]


def sdk(algorithm: str) -> str:
    """The ``x-amz-sdk-checksum-algorithm`` value (``CRC32``, ``CRC64NVME`` ...)."""
    return checksums.sdk_name(algorithm)


def empty_value(algorithm: str) -> str:
    """The checksum of no bytes (``AAAAAA==`` for CRC32): what a URL presigned without its
    body binds."""
    return checksums.value(algorithm, b"")


def empty_body_note(algorithm: str, value: str, how: str = "--file") -> str:
    """Said whenever a presigned URL binds the checksum of an empty (or absent) body."""
    return (
        f"the URL binds {checksums.header_name(algorithm)}={value}, the checksum of an empty "
        "body: a store that checks it refuses any other body (the presigned-checksum pitfall "
        f"of JS v3 3.729+); give the body ({how}) or --checksum none"
    )

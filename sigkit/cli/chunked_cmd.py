"""`sigkit chunked`: sign an aws-chunked upload and show the seed and every chunk's signature."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sigkit.cli.common import note, resolve_credentials, signing_scope
from sigkit.cli.options import (
    AccessKey,
    AsJson,
    Profile,
    Region,
    SecretKey,
    SessionToken,
    ShowSecrets,
    SigningDate,
    StoreName,
)
from sigkit.cli.request_build import (
    checksum_decision,
    parse_header_option,
    resolve_store,
    store_region,
)
from sigkit.curl import upload_command
from sigkit.errors import InputError
from sigkit.files import atomic_writer, resolve_target
from sigkit.http import Request
from sigkit.render import render_text, step_dicts, use_colour
from sigkit.result import SigningResult
from sigkit.sigv4.config import rules_for
from sigkit.timefmt import parse_time

if TYPE_CHECKING:
    from sigkit.sigv4.chunked import ChunkStep
    from sigkit.stores import Store


def _source(data_file: str) -> tuple[Any, int | None]:
    if data_file == "-":
        return sys.stdin.buffer.read(), None
    try:
        stream = Path(data_file).open("rb")  # noqa: SIM115 - read while encoding, closed at exit
    except OSError as exc:
        raise InputError("--data-file", f"{data_file}: {exc.strerror}") from None
    if not stream.seekable():
        data = stream.read()
        stream.close()
        return data, None
    return stream, None


def _chunk_text(step: ChunkStep) -> str:
    lines = [f"== {step.kind} {step.index}: {step.size} bytes", step.line]
    if step.string_to_sign is not None:
        lines += ["string to sign:", step.string_to_sign, f"signature: {step.signature}"]
    if step.canonical_trailer is not None:
        lines += ["canonical trailer:", step.canonical_trailer.rstrip("\n")]
    return "\n".join(lines) + "\n"


def chunked(
    url: Annotated[str, typer.Argument(help="object URL (PUT)")],
    data_file: Annotated[str, typer.Option("--data-file", help="body: a file or '-' for stdin")],
    output: Annotated[
        Path | None, typer.Option("--output", help="write the encoded body to this file")
    ] = None,
    payload: Annotated[
        str | None,
        typer.Option(
            "--payload",
            help="STREAMING-* value of x-amz-content-sha256 [STREAMING-AWS4-HMAC-SHA256-PAYLOAD;"
            " with --checksum, the SDKs' STREAMING-UNSIGNED-PAYLOAD-TRAILER]",
        ),
    ] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="data bytes per chunk")] = 65536,
    checksum: Annotated[
        str | None,
        typer.Option(
            "--checksum",
            help="trailer checksum (crc32, crc32c, crc64nvme, sha1, sha256, sha512, md5, "
            "xxhash64, xxhash3, xxhash128), with x-amz-sdk-checksum-algorithm as the SDKs send "
            "it; none: no trailer checksum",
        ),
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("-H", "--header", help="'Name: value'")
    ] = None,
    region: Region = None,
    service: Annotated[str | None, typer.Option("--service")] = None,
    region_set: Annotated[str | None, typer.Option("--region-set", help="SigV4A payloads")] = None,
    date: SigningDate = None,
    access_key: AccessKey = None,
    secret_key: SecretKey = None,
    session_token: SessionToken = None,
    profile: Profile = None,
    store: StoreName = None,
    show_secrets: ShowSecrets = False,
    as_json: AsJson = False,
    curl: Annotated[
        bool,
        typer.Option(
            "--curl",
            help="with --output: a curl command uploading it (stdout alone; steps on stderr)",
        ),
    ] = False,
) -> None:
    """Sign a PUT whose body is sent aws-chunked: print the seed signature's steps and each
    chunk's string to sign and signature, and with --output write the encoded body (with
    --curl, print a curl command that uploads it).

    --checksum ALG sends the checksum as a trailer, with the signed x-amz-sdk-checksum-algorithm
    header, as a 2025 SDK does (over https, botocore sends STREAMING-UNSIGNED-PAYLOAD-TRAILER,
    the default payload then; the encoded body is botocore's byte for byte at the same
    --chunk-size, but Content-Length is sent and signed where botocore streams with
    Transfer-Encoding: chunked: `sigkit sign --trailer` gives botocore's exact headers);
    --checksum none sends none (when_required). --store NAME signs
    with that store's region and says what of this upload it refuses (aws-chunked bodies,
    trailers, checksum headers, several chunks).

    \b
    sigkit chunked https://b.s3.amazonaws.com/k --data-file f --checksum crc32
    sigkit chunked https://b.s3.amazonaws.com/k --data-file f --checksum crc64nvme \\
        --payload STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER --output f.chunked
    """
    from sigkit.sigv4.chunked import ChunkedConfig, sign_v4_chunked

    if curl and output is None:
        raise InputError("--curl", "needs --output: the command uploads the encoded file")
    if output is not None:
        resolve_target(output, [data_file])  # refused before the body is read
    body, _ = _source(data_file)
    headers = [parse_header_option(h) for h in header or []]
    request = Request.from_url("PUT", url, headers, body)
    resolved = resolve_credentials(access_key, secret_key, session_token, profile=profile)
    credentials, source = resolved.credentials, resolved.credentials_source
    when = parse_time(date, field="--date") if date else datetime.now(UTC)
    remarks: list[str] = []
    profile_ = resolve_store(store, request.host, remarks)
    if profile_ is not None:
        region = region or store_region(profile_, request.host, remarks)
        service = service or "s3"
        _store_refusals(profile_, checksum, remarks)
    region_, service_ = signing_scope(
        request.host,
        region or ("us-east-1" if region_set else None),
        service,
        remarks,
        resolved.region,
    )
    algorithm, payload, request = _checksum_choice(checksum, payload, request, remarks)
    config = rules_for(service_, region_)
    upload = sign_v4_chunked(
        request,
        credentials,
        when,
        config,
        ChunkedConfig(payload=payload, chunk_size=chunk_size, checksum=algorithm),
        region_set=region_set,
    )
    chunks: list[ChunkStep] = []
    with atomic_writer(output, inputs=[data_file]) if output else nullcontext() as out:
        for step, data in upload.body.frames():
            if out is not None:
                out.write(data)
            chunks.append(step)
    several = sum(1 for c in chunks if c.kind == "chunk") > 1
    if profile_ is not None and profile_.accepts_multi_chunk is False and several:
        remarks.append(
            f"warning: {profile_.title} refuses an aws-chunked body of more than one chunk"
            " (aws-chunked-unsupported); --chunk-size larger than the body sends one"
        )
    seed = _with_every_added_header(upload.seed, request)
    command = None
    if curl:
        assert output is not None
        command = upload_command(url, seed, str(output), service=service_)
    if as_json:
        document: dict[str, Any] = {
            "seed": step_dicts(seed, show_secrets=show_secrets),
            "chunks": [{k: v for k, v in asdict(c).items() if v is not None} for c in chunks],
        }
        if command is not None:
            document["curl"] = command
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    for remark in remarks:
        note(remark)
    if not resolved.from_flags:
        note(f"credentials: {source}")
    steps = sys.stderr if curl else sys.stdout
    steps.write(render_text(seed, colour=use_colour(steps), show_secrets=show_secrets))
    for step in chunks:
        steps.write("\n" + _chunk_text(step))
    steps.flush()
    if output is not None:
        note(f"encoded body written to {output}")
    if command is not None:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        note(
            f"the command sends the headers signed at {stamp}: valid while the server's clock "
            "is within its skew window of that time (15 minutes on AWS S3)"
            + ("; it reads $AWS_SESSION_TOKEN when it runs" if credentials.session_token else "")
        )
        sys.stdout.write(command + "\n")


def _with_every_added_header(seed: SigningResult, request: Request) -> SigningResult:
    """The seed with "Headers added" listing every header the request did not carry: the
    aws-chunked ones (Content-Encoding, x-amz-decoded-content-length, x-amz-trailer,
    Content-Length) as well as the signature's."""
    given = list(request.headers)
    added = []
    for header in seed.request.headers:
        if header in given:
            given.remove(header)
        else:
            added.append(header)
    derived = ("headers_added", "url", "signed_request")
    return SigningResult(
        seed.algorithm,
        seed.variant,
        {name: seed[name] for name in seed if name not in derived},
        seed.request,
        notes={name: list(notes) for name, notes in seed.notes.items()},
        sensitive=seed.sensitive,
        added=added,
    )


def _store_refusals(store: Store, checksum: str | None, remarks: list[str]) -> None:
    """What the store profile refuses of an aws-chunked upload, as warnings: the user asked
    for this upload, so it is built as asked (`sigkit.checksum_headers.decide`'s rule for a
    checksum named by --checksum)."""
    from sigkit import checksum_headers

    if store.accepts_aws_chunked is False:
        remarks.append(
            f"warning: {store.title} refuses aws-chunked bodies (aws-chunked-unsupported)"
        )
    requested = checksum_headers.parse_algorithm(checksum)
    if requested is not None and requested != checksum_headers.NONE:
        checksum_decision(checksum, True, store, remarks)


def _checksum_choice(
    checksum: str | None, payload: str | None, request: Request, remarks: list[str]
) -> tuple[str | None, str, Request]:
    """The trailer checksum, the payload line and the request with the SDK's
    ``x-amz-sdk-checksum-algorithm`` header (`sigkit.checksum_headers`)."""
    from sigkit import checksum_headers

    algorithm = checksum_headers.parse_algorithm(checksum)
    if algorithm is None or algorithm == checksum_headers.NONE:
        return None, payload or "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", request
    if payload is None:
        payload = checksum_headers.UNSIGNED_TRAILER_PAYLOAD
        remarks.append(
            f"payload {payload}: what the SDKs send with a checksum over https "
            "(--payload to choose another)"
        )
    if request.header(checksum_headers.SDK_ALGORITHM_HEADER) is None:
        sdk = checksum_headers.sdk(algorithm)
        request = request.with_headers([(checksum_headers.SDK_ALGORITHM_HEADER, sdk)])
    return algorithm, payload, request

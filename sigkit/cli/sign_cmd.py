"""`sigkit sign`: sign one request and print every step.

Only what every signing needs is imported up front (SigV4 and the text renderer): SigV2 and
SigV4A (cryptography) are imported when asked for, pygments only for a terminal (see
sigkit.render), so that `sigkit sign --example` starts fast (bench/cli_startup.py).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from sigkit.cli.common import note, resolve_credentials
from sigkit.cli.options import (
    AccessKey,
    Addressing,
    AsJson,
    Bucket,
    Checksum,
    Data,
    DataBinary,
    DataFile,
    Header,
    Method,
    PayloadHash,
    Profile,
    Region,
    RequestFile,
    SecretKey,
    Service,
    SessionToken,
    ShowSecrets,
    SigningDate,
    StoreName,
    Trailer,
    UnsignedPayload,
    UploadFile,
)
from sigkit.cli.request_build import (  # re-exported: parse_header_option's old home
    EXAMPLE_DATE,
    EXAMPLE_HEADERS,
    EXAMPLE_SIGNATURE,
    EXAMPLE_URL,
    SignOptions,
    StoreChecksum,
    build_request,
    open_body,
    parse_header_option,
    sign_request,
    store_and_checksum,
)
from sigkit.errors import InputError
from sigkit.render import render_json, render_text, use_colour
from sigkit.timefmt import parse_time

__all__ = ["parse_header_option", "sign"]


def sign(
    args: Annotated[
        list[str] | None, typer.Argument(help="[METHOD] URL", show_default=False)
    ] = None,
    request_method: Method = None,
    header: Header = None,
    data: Data = None,
    data_binary: DataBinary = None,
    upload_file: UploadFile = None,
    data_file: DataFile = None,
    request_file: RequestFile = None,
    sig: Annotated[str, typer.Option("--sig", help="v4, v4a or v2")] = "v4",
    region_set: Annotated[
        str | None, typer.Option("--region-set", help="v4a: regions, e.g. 'us-*,eu-west-1'")
    ] = None,
    region: Region = None,
    service: Service = None,
    date: SigningDate = None,
    presign: Annotated[
        bool, typer.Option("--presign", help="query (presigned URL) variant")
    ] = False,
    expires: Annotated[
        int | None, typer.Option("--expires", help="presigned URL lifetime, seconds [3600]")
    ] = None,
    unsigned_payload: UnsignedPayload = False,
    payload_hash: PayloadHash = None,
    bucket: Bucket = None,
    addressing: Addressing = None,
    checksum: Checksum = None,
    trailer: Trailer = False,
    store: StoreName = None,
    access_key: AccessKey = None,
    secret_key: SecretKey = None,
    session_token: SessionToken = None,
    profile: Profile = None,
    show_secrets: ShowSecrets = False,
    as_json: AsJson = False,
    example: Annotated[
        bool, typer.Option("--example", help="sign the S3 documentation's GET example")
    ] = False,
) -> None:
    """Sign one request and print every step: canonical request, string to sign, key chain,
    signature, Authorization header (or presigned URL) and the signed request.

    --checksum ALG adds what a 2025 SDK sends with a body (x-amz-checksum-ALG and
    x-amz-sdk-checksum-algorithm, signed; with --trailer the aws-chunked trailer form; with
    --presign the URL binds the body's checksum); --checksum none sends none (the SDKs'
    when_required). --store NAME builds what that store accepts (its region; no checksum
    where it refuses one, said on stderr).

    \b
    sigkit sign PUT http://127.0.0.1:9000/my-bucket/k -d hello --checksum crc32 --service s3
    sigkit sign PUT https://my-bucket.s3.amazonaws.com/k --data-file f --checksum crc64nvme \\
        --trailer
    sigkit sign PUT https://ACCOUNT.r2.cloudflarestorage.com/my-bucket/k -d hi --store r2
    """
    headers = list(header or [])
    positional = list(args or [])
    if example:
        if positional or request_file or headers:
            raise InputError("--example", "the example is a whole request; drop the URL and -H")
        positional, headers = [EXAMPLE_URL], [f"{n}: {v}" for n, v in EXAMPLE_HEADERS]
        date = date or EXAMPLE_DATE
    body, default_method = open_body(data, data_binary, data_file, upload_file)
    request = build_request(positional, request_method, headers, body, request_file, default_method)
    remarks: list[str] = []
    request, region, service, payload_hash = store_and_checksum(
        request,
        StoreChecksum(store, checksum, trailer, presign, sig, unsigned_payload, payload_hash),
        region,
        service,
        remarks,
    )
    env: dict[str, str] | None = {} if example else None
    resolved = resolve_credentials(
        access_key, secret_key, session_token, env, profile=profile, read_files=not example
    )
    credentials, source = resolved.credentials, resolved.credentials_source
    when = parse_time(date, field="--date") if date else datetime.now(UTC)
    options = SignOptions(
        sig,
        presign,
        expires,
        unsigned_payload,
        payload_hash,
        region,
        service,
        bucket,
        addressing,
        region_set,
        resolved.region,
    )
    result = sign_request(request, credentials, when, options, remarks)
    for remark in remarks:
        note(remark)
    if as_json:
        print(
            render_json(
                result,
                show_secrets=show_secrets,
                credentials_source=source,
                access_key_id=credentials.access_key_id,
            )
        )
        return
    if not resolved.from_flags:
        note(f"credentials: {source}")
    if example and result.signature == EXAMPLE_SIGNATURE:
        note(
            "example: the S3 documentation's GET Object request; its published signature is "
            + EXAMPLE_SIGNATURE
        )
    sys.stdout.write(render_text(result, colour=use_colour(sys.stdout), show_secrets=show_secrets))


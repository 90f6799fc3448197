"""`sigkit presign`: a presigned S3 URL for GET, PUT, DELETE or HEAD, or a curl command using it.

The URL is the product, so it is printed whole (with the session token, if any, as any
presigned URL must carry it). `sigkit sign --presign` shows every step of the same signature.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sigkit.cli.common import note, resolve_credentials
from sigkit.cli.options import (
    AccessKey,
    AsJson,
    Checksum,
    EndpointUrl,
    Profile,
    Region,
    SecretKey,
    SessionToken,
    SigningDate,
    StoreName,
)
from sigkit.cli.request_build import (
    checksum_decision,
    resolve_store,
    store_endpoint,
    store_sig_warning,
    with_checksum_query,
)
from sigkit.curl import comment, data_file_word, file_word, quote, shell_word, t_renames
from sigkit.endpoints import infer_scope
from sigkit.errors import InputError
from sigkit.http import Request, split_url
from sigkit.render import render_json
from sigkit.result import SigningResult
from sigkit.s3uri import (
    Addressing,
    aws_endpoint,
    choose_addressing,
    has_dot_segment,
    object_url,
    parse_endpoint,
    parse_s3_uri,
)
from sigkit.sigv2.s3 import sign_v2_query, v2_rules
from sigkit.sigv4.config import MAX_EXPIRES, is_s3, rules_for
from sigkit.sigv4.signer import sign_v4_query
from sigkit.timefmt import parse_time

if TYPE_CHECKING:
    from sigkit.credentials import Resolved
    from sigkit.stores import Store

METHODS = ("GET", "PUT", "DELETE", "HEAD")
DEFAULT_REGION = "us-east-1"


def s3_url(
    target: str,
    region: str,
    endpoint_url: str | None,
    addressing: str | None = None,
    remarks: list[str] | None = None,
) -> tuple[str, str, Addressing]:
    """The object's URL for ``s3://BUCKET/KEY``, its bucket and addressing style: `addressing`
    ("path" or "virtual") as the curl verbs read it, else path style under a custom endpoint
    or for a bucket name that cannot be a single host label (dots), virtual-hosted on AWS."""
    uri = parse_s3_uri(target)
    if uri.key is None:
        raise InputError("TARGET", f"{target!r} names no key; write s3://BUCKET/KEY")
    endpoint = parse_endpoint(endpoint_url) if endpoint_url is not None else aws_endpoint(region)
    style, said = choose_addressing(endpoint, uri.bucket, addressing)
    if remarks is not None:
        remarks.extend(said)
    return object_url(endpoint, uri.bucket, uri.key, style), uri.bucket, style


def curl_command(
    method: str, url: str, file: str | None, headers: tuple[tuple[str, str], ...] = ()
) -> str:
    """A curl command that sends exactly the presigned request and no header that is not signed.

    ``-g`` and ``--path-as-is`` keep curl from expanding ``[]{}`` or removing dot segments from
    the URL. A PUT body goes with ``-T`` (curl adds no Content-Type then, which V2 would sign);
    for a key ending in ``/`` curl would append the file name to the URL, so that upload goes
    with ``--data-binary`` and curl's default form Content-Type removed.
    """
    words = ["curl", "--fail-with-body", "-sS", "-g", "--path-as-is"]
    for name, value in headers:  # signed by the URL (X-Amz-SignedHeaders): sent as signed
        words += ["-H", shell_word(f"{name}: {value}")]
    if method == "PUT":
        source = file or "FILE"
        if t_renames(split_url(url)[2]):
            words += ["-X", "PUT", "-H", quote("Content-Type:")]
            words += ["--data-binary", data_file_word(source)]
        else:
            words += ["-T", file_word(source)]
    elif method == "HEAD":
        words.append("--head")
    elif method == "DELETE":
        words += ["-X", "DELETE"]
    elif file is not None:
        words += ["-o", quote(file)]  # '-': standard output, as curl reads it
    return " ".join([*words, quote(url)])


def presign(
    target: Annotated[
        str, typer.Argument(metavar="TARGET", help="s3://BUCKET/KEY or an object URL")
    ],
    method: Annotated[str, typer.Option("--method", "-X", help="GET, PUT, DELETE or HEAD")] = "GET",
    expires: Annotated[int, typer.Option("--expires", help="lifetime, seconds")] = 3600,
    sig: Annotated[str, typer.Option("--sig", help="v4 or v2")] = "v4",
    region: Region = None,
    endpoint_url: EndpointUrl = None,
    addressing: Annotated[
        str | None,
        typer.Option(
            "--addressing",
            help="path | virtual (an s3:// TARGET) [path with --endpoint-url, virtual on AWS]",
        ),
    ] = None,
    curl: Annotated[
        bool, typer.Option("--curl", help="print a curl command instead of the URL")
    ] = False,
    file: Annotated[
        str | None,
        typer.Option("--file", help="--curl: file to upload (PUT) or to save to (GET)"),
    ] = None,
    checksum: Checksum = None,
    checksum_in: Annotated[
        str,
        typer.Option(
            "--checksum-in",
            help="query: bind the checksum in the URL (JS v3's presigner); header: sign it as "
            "headers the uploader sends (botocore's)",
        ),
    ] = "query",
    store: StoreName = None,
    date: SigningDate = None,
    access_key: AccessKey = None,
    secret_key: SecretKey = None,
    session_token: SessionToken = None,
    profile: Profile = None,
    as_json: AsJson = False,
) -> None:
    """Print a presigned S3 URL (or, with --curl, a ready-to-run curl command for it).

    V4 signs UNSIGNED-PAYLOAD and only the host header, so the URL works for any body; V2
    signs the method, Content-MD5, Content-Type and Expires, so a client must send neither
    Content-MD5 nor Content-Type (the --curl command sends neither).

    A PUT with --checksum ALG binds the checksum of --file (of an empty body without one, the
    presigned-checksum pitfall, said on stderr): in the query as JS v3's presigner does, or
    with --checksum-in header as signed headers, as botocore does. --store NAME applies that
    store's region, addressing and presign lifetime, and leaves out what it refuses.

    \b
    sigkit presign s3://my-bucket/up.bin -X PUT --checksum crc32 --file ./up.bin --curl
    sigkit presign s3://my-bucket/up.bin -X PUT --checksum sha256 --checksum-in header \\
        --file ./up.bin
    sigkit presign s3://my-bucket/k --store r2 \\
        --endpoint-url https://ACCOUNT.r2.cloudflarestorage.com
    """
    verb = method.upper()
    if verb not in METHODS:
        raise InputError("--method", f"{method!r} is not one of {', '.join(METHODS)}")
    if sig not in ("v4", "v2"):
        raise InputError("--sig", f"{sig!r} is not v4 or v2")
    if expires < 1:  # the upper limit is the store's (Yandex: 30 days), checked once it is known
        raise InputError("--expires", f"{expires} is out of range (at least 1 second)")
    if file is not None and not curl and checksum is None:
        raise InputError("--file", "applies only with --curl or --checksum")
    if checksum_in not in ("query", "header"):
        raise InputError("--checksum-in", f"{checksum_in!r} is not query or header")
    s3_target = target.startswith("s3://")
    for given, flag in ((endpoint_url, "--endpoint-url"), (addressing, "--addressing")):
        if not s3_target and given is not None:
            raise InputError(flag, "applies only to an s3:// target; the URL names its host")

    def resolve(region: str | None, endpoint_url: str | None) -> Resolved:
        """Credentials, region and endpoint, resolved again when a store profile changes the
        region or the endpoint (the flags and the environment still win)."""
        return resolve_credentials(
            access_key,
            secret_key,
            session_token,
            profile=profile,
            region=region,
            endpoint_url=endpoint_url,
            service="s3" if s3_target else None,
        )

    resolved = resolve(region, endpoint_url)
    credentials = resolved.credentials
    remarks: list[str] = []
    endpoint_given = resolved.endpoint_url.value if resolved.endpoint_url else None
    where = target if not s3_target else endpoint_given
    chosen = resolve_store(store, Request.from_url(verb, where).host if where else None, remarks)
    if s3_target and chosen is not None and chosen.name != "aws" and endpoint_given is None:
        endpoint_url = where = store_endpoint(chosen, remarks)
        resolved = resolve(region, endpoint_url)
    _check_expires(chosen, expires, sig)
    store_sig_warning(chosen, sig, remarks)
    if chosen is not None:
        if region is None and chosen.name != "aws":
            store_region = chosen.region_for(Request.from_url(verb, where).host if where else "")
            if store_region is not None:
                region = store_region
                remarks.append(
                    f"region {region!r} from the {chosen.name} store profile (--region to change)"
                )
                if s3_target:
                    resolved = resolve(region, endpoint_url)
        if s3_target and addressing is None and chosen.addressing in ("path", "virtual"):
            addressing = chosen.addressing
    service_ = "s3"
    v2_where: dict[str, str] = {}  # V2 signs /BUCKET/KEY whichever way the URL names it
    if s3_target:
        region_ = resolved.region.value if resolved.region else DEFAULT_REGION
        endpoint = resolved.endpoint_url.value if resolved.endpoint_url else None
        if resolved.region is None and (sig == "v4" or endpoint is None):
            remarks.append(f"region {DEFAULT_REGION!r} assumed (--region, AWS_REGION or a profile)")
        via = resolved.endpoint_url.source if resolved.endpoint_url else "--endpoint-url"
        if via != "--endpoint-url":
            remarks.append(f"endpoint {endpoint} from {via}")
        url, bucket, style = s3_url(target, region_, endpoint, addressing, remarks)
        v2_where = {"bucket": bucket, "addressing": style}
    else:
        url = target
        host_region, host_service = infer_scope(Request.from_url(verb, url).host)
        if host_service is not None:
            if not is_s3(host_service):
                raise InputError(
                    "TARGET", f"the host is {host_service!r}, not S3; use `sigkit sign --presign`"
                )
            service_ = host_service
        if region is not None:
            region_ = region
        elif host_region is not None:
            region_ = host_region
        elif resolved.region is not None:
            region_ = resolved.region.value
            remarks.append(f"region {region_!r} from {resolved.region.source}")
        else:
            region_ = DEFAULT_REGION
            if sig == "v4":
                remarks.append(f"region {DEFAULT_REGION!r} assumed (the host names none; --region)")
    request = Request.from_url(verb, url)
    request, sent_headers = _bind_checksum(
        request, verb, sig, checksum, checksum_in, chosen, file, remarks
    )
    if has_dot_segment(request.path):
        remarks.append(
            "the path holds a '.' or '..' segment, which browsers and most clients remove "
            "before sending (curl keeps it with --path-as-is, as the --curl command does)"
        )
    when = parse_time(date, field="--date") if date else datetime.now(UTC).replace(microsecond=0)
    try:
        expires_at = (when + timedelta(seconds=expires)).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:
        raise InputError("--date", f"{date!r} plus --expires {expires} s is past 9999") from None
    result: SigningResult
    if sig == "v4":
        lifetime = chosen.presign_max_seconds if chosen is not None else None
        longest = max(lifetime or MAX_EXPIRES, MAX_EXPIRES)
        config = rules_for(
            service_, region_, variant="query", expires=expires, max_expires=longest
        )
        result = sign_v4_query(request, credentials, when, config)
    else:
        rules = v2_rules(service_, expires_in=expires, **v2_where)
        result = sign_v2_query(request, credentials, when, rules)
    signed_url = result["url"]
    command = curl_command(verb, signed_url, file, sent_headers)
    for remark in remarks:
        note(remark)
    if as_json:
        extra: dict[str, Any] = {}
        if sent_headers:
            extra["headers"] = [list(h) for h in sent_headers]
        print(
            render_json(
                result,
                method=verb,
                url=signed_url,
                expires_in=expires,
                expires_at=expires_at,
                curl=command,
                **extra,
                credentials_source=resolved.credentials_source,
                access_key_id=credentials.access_key_id,
            )
        )
        return
    if not resolved.from_flags:
        note(f"credentials: {resolved.credentials_source}")
    if credentials.session_token:
        note("the URL carries the session token: anyone holding it can use it until it expires")
    print(command if curl else signed_url)


def _check_expires(store: Store | None, expires: int, sig: str) -> None:
    """--expires within the store's presign lifetime (Yandex 30 days, AWS and most 7) and
    within what a SigV4 X-Amz-Expires may say (7 days)."""
    limit = store.presign_max_seconds if store is not None else None
    if store is not None and limit is not None and expires > limit:
        raise InputError(
            "--expires", f"{expires} s is longer than {store.title} accepts ({limit} s at most)"
        )
    if sig == "v4" and expires > MAX_EXPIRES and (limit is None or limit <= MAX_EXPIRES):
        raise InputError("--expires", f"{expires} is out of range (1..{MAX_EXPIRES} seconds)")


def _bind_checksum(
    request: Request,
    verb: str,
    sig: str,
    checksum: str | None,
    checksum_in: str,
    store: Store | None,
    file: str | None,
    remarks: list[str],
) -> tuple[Request, tuple[tuple[str, str], ...]]:
    """The request with the checksum bound (query parameters, or headers the URL signs and
    the uploader must send: returned as the second item)."""
    from sigkit import checksum_headers, checksums

    if checksum is None and (store is None or verb != "PUT"):
        return request, ()
    form = "query" if checksum_in == "query" else "header"
    decision = checksum_decision(checksum, False, store, remarks, form=form)
    algorithm = decision.algorithm
    if algorithm is None:
        return request, ()
    if verb != "PUT":
        raise InputError("--checksum", "binds an upload's checksum: applies to --method PUT")
    if sig != "v4":
        raise InputError("--checksum", "applies to --sig v4 (V2 signs no checksum in a URL)")
    if file is None or file == "-":
        value = checksum_headers.empty_value(algorithm)
        remarks.append(checksum_headers.empty_body_note(algorithm, value))
    else:
        try:
            value = checksums.of_file(file, [algorithm])[algorithm]
        except OSError as exc:
            raise InputError("--file", f"{comment(file)}: {exc.strerror or exc}") from None
        if value == checksum_headers.empty_value(algorithm) and os.path.getsize(file) == 0:
            remarks.append(checksum_headers.empty_body_note(algorithm, value))
    if form == "header":
        headers = tuple(checksum_headers.header_form(algorithm, value))
        return request.with_headers(headers), headers
    return with_checksum_query(request, algorithm, value), ()

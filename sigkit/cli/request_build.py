"""Building and signing a request from the command line's words, shared by the commands that
take curl's vocabulary (`sign`, `diff --ours`, `vectors new`, `chunked`, `curl request`):
``[METHOD] URL``, ``-X``, ``-H``, ``-d``/``--data-binary``/``--data-file``/``-T`` and
``--request-file``; and the choice of signer and config from the signing options."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from sigkit.checksum_headers import Decision
    from sigkit.stores import Store

from sigkit.cli.common import signing_scope
from sigkit.credentials import Credentials, Sourced
from sigkit.endpoints import infer_scope
from sigkit.errors import InputError
from sigkit.http import Body, Request, parse_request_text
from sigkit.result import SigningResult
from sigkit.sigv4.config import UNSIGNED_PAYLOAD, rules_for
from sigkit.sigv4.signer import sign_v4, sign_v4_query

# The S3 documentation's "GET Object" SigV4 example, whose published signature is
# f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41.
EXAMPLE_URL = "https://examplebucket.s3.amazonaws.com/test.txt"
EXAMPLE_HEADERS = [("Range", "bytes=0-9")]
EXAMPLE_DATE = "20130524T000000Z"
EXAMPLE_SIGNATURE = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"


def parse_header_option(text: str) -> tuple[str, str]:
    """curl's ``-H "Name: value"`` (blanks after the colon dropped) and ``-H "Name;"`` for an
    empty value. curl drops a header given as ``Name:`` with nothing after it; sigkit refuses
    that form rather than silently dropping what the user typed."""
    if text.endswith(";") and ":" not in text:
        return text[:-1].strip(), ""
    name, sep, value = text.partition(":")
    if not sep:
        raise InputError("-H", f"{text!r} is not 'Name: value' (or 'Name;' for an empty value)")
    value = value.lstrip(" \t")
    if not value:
        raise InputError("-H", f"{text!r} has no value; write '{name.strip()};' to send it empty")
    return name.strip(), value


def read_body_file(path: str, flag: str) -> Body:
    """A body file: stdin for ``-``, a seekable stream for a regular file (hashed without
    loading it), the bytes of anything else (a pipe)."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        stream: BinaryIO = Path(path).open("rb")  # noqa: SIM115 - read by the signer
    except OSError as exc:
        raise InputError(flag, f"{path}: {exc.strerror}") from None
    if not stream.seekable():
        data = stream.read()
        stream.close()
        return data
    return stream


def open_body(
    data: str | None, data_binary: str | None, data_file: Path | None, upload_file: str | None
) -> tuple[Body, str | None]:
    """The body as curl would send it, and the method curl would then use (POST or PUT).

    ``-d @file`` drops CR and LF as curl does; ``--data-binary @file`` and ``-T file`` send the
    file's bytes exactly."""
    given = [
        name
        for name, value in (
            ("--data", data),
            ("--data-binary", data_binary),
            ("--data-file", data_file),
            ("--upload-file", upload_file),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise InputError(given[1], f"give only one body option, not {' and '.join(given)}")
    if upload_file is not None:
        return read_body_file(upload_file, "--upload-file"), "PUT"
    if data_file is not None:
        return read_body_file(str(data_file), "--data-file"), "POST"
    text, flag = (data, "--data") if data is not None else (data_binary, "--data-binary")
    if text is None:
        return None, None
    if text.startswith("@"):
        body = read_body_file(text[1:], flag)
        if flag == "--data":
            raw = body if isinstance(body, bytes) else body.read()  # type: ignore[union-attr]
            return raw.replace(b"\r", b"").replace(b"\n", b""), "POST"
        return body, "POST"
    try:
        return text.encode("utf-8"), "POST"
    except UnicodeEncodeError:
        raise InputError(flag, "holds bytes that are not UTF-8; use --data-binary @FILE") from None


def build_request(
    args: list[str],
    method: str | None,
    headers: list[str],
    body: Body,
    request_file: Path | None,
    default_method: str | None = None,
) -> Request:
    if request_file is not None:
        if args:
            raise InputError("URL", "give either a URL or --request-file, not both")
        try:
            raw = request_file.read_bytes()
        except OSError as exc:
            raise InputError("--request-file", f"{request_file}: {exc.strerror}") from None
        request = parse_request_text(raw, source=str(request_file))
        if method or headers or body is not None:
            raise InputError(
                "--request-file", "the file holds the whole request; drop -X/-H/--data"
            )
        return request
    if not args:
        raise InputError("URL", "missing; give a URL, --request-file, or --example")
    if len(args) == 2:
        if method is not None:
            raise InputError("METHOD", "given both as an argument and with -X")
        method = args[0]
        args = args[1:]
    elif len(args) > 2:
        raise InputError("URL", f"expected [METHOD] URL, got {len(args)} arguments")
    if method is None:
        method = default_method or "GET"
    return Request.from_url(method, args[0], [parse_header_option(h) for h in headers], body)


def sign_request(
    request: Request,
    credentials: Credentials,
    when: datetime,
    options: SignOptions,
    notes: list[str],
) -> SigningResult:
    """Pick the signer and its config from the options; refuse options that do not apply.

    Remarks for the user go to `notes`, printed only once signing has succeeded, so that an
    error stays a single line."""
    o = options
    if o.sig not in ("v4", "v4a", "v2"):
        raise InputError("--sig", f"{o.sig!r} is not v4, v4a or v2")
    if o.region_set is not None and o.sig != "v4a":
        raise InputError("--region-set", "applies only to --sig v4a")
    if o.expires is not None and not o.presign:
        raise InputError("--expires", "applies only with --presign")
    expires = 3600 if o.expires is None else o.expires
    if o.sig == "v2":
        for flag, value in (("--payload-hash", o.payload_hash), ("--unsigned-payload", o.unsigned)):
            if value:
                raise InputError(flag, "does not apply to --sig v2 (V2 signs no payload hash)")
        if o.region:
            notes.append("--region is not used by --sig v2")
        from sigkit.sigv2.s3 import sign_v2, sign_v2_query, v2_rules

        v2 = v2_rules(o.service, addressing=o.addressing, bucket=o.bucket, expires_in=expires)
        return (sign_v2_query if o.presign else sign_v2)(request, credentials, when, v2)
    for flag, value in (("--bucket", o.bucket), ("--addressing", o.addressing)):
        if value:
            raise InputError(flag, "applies only to --sig v2")
    if o.unsigned and o.payload_hash:
        raise InputError("--payload-hash", "give either --payload-hash or --unsigned-payload")
    region_hint = o.region
    if o.sig == "v4a" and o.region_set is not None and region_hint is None:
        region_hint = infer_scope(request.host)[0] or "us-east-1"  # not signed by SigV4A
    region, service = signing_scope(
        request.host, region_hint, o.service, notes, o.configured_region
    )
    config = rules_for(
        service,
        region,
        variant="query" if o.presign else "header",
        payload=UNSIGNED_PAYLOAD if o.unsigned else o.payload_hash,
        content_sha256_sent=request.header("x-amz-content-sha256") is not None,
        expires=expires,
    )
    if o.sig == "v4a":
        from sigkit.sigv4.sigv4a import sign_v4a, sign_v4a_query

        region_set = o.region_set if o.region_set is not None else region
        signer_a = sign_v4a_query if o.presign else sign_v4a
        return signer_a(request, credentials, when, config, region_set)
    return (sign_v4_query if o.presign else sign_v4)(request, credentials, when, config)


@dataclass(frozen=True)
class SignOptions:
    sig: str
    presign: bool
    expires: int | None
    unsigned: bool
    payload_hash: str | None
    region: str | None
    service: str | None
    bucket: str | None
    addressing: str | None
    region_set: str | None = None
    configured_region: Sourced | None = None


# --- store profiles and checksums, shared by sign, curl and presign --------------------------


_AWS_HOST = re.compile(r"\.amazonaws\.com(?:\.cn)?\.?(?::\d+)?\Z", re.IGNORECASE)


def resolve_store(name: str | None, host: str | None, notes: list[str]) -> Store | None:
    """The store profile ``--store NAME`` names, else the one whose published endpoint `host`
    is (said in `notes`, but for AWS itself, whose rules are sigkit's own), else None."""
    if name is None and (not host or _AWS_HOST.search(host)):
        return None  # AWS's own rules are sigkit's defaults: its profile changes nothing
    from sigkit import stores

    if name is not None:
        return stores.get(name)
    assert host is not None
    found = stores.from_host(host)
    if found is not None and found.name != "aws":  # AWS's own rules are sigkit's defaults
        notes.append(
            f"store {found.name} ({found.title}) recognised from the host; "
            "--store to choose another"
        )
    return found


def store_endpoint(store: Store, notes: list[str]) -> str:
    """The endpoint URL of a store chosen by name with no --endpoint-url: its one public
    endpoint (said in `notes`), or an input error where it has none (R2's is per account,
    MinIO's and Ceph's are the user's own)."""
    if store.endpoint is None:
        raise InputError(
            "--endpoint-url", f"the {store.name} store has no one endpoint; give its URL"
        )
    notes.append(f"endpoint {store.endpoint} of the {store.name} store profile")
    return store.endpoint


def store_sig_warning(store: Store | None, sig: str, notes: list[str]) -> None:
    """Say when the store profile says it refuses S3 Signature Version 2."""
    if store is not None and sig == "v2" and store.sigv2 is False:
        notes.append(f"warning: {store.title} does not accept S3 Signature Version 2 (--sig v4)")


def store_region(store: Store | None, host: str, notes: list[str]) -> str | None:
    """The signing region a store profile gives (R2: ``auto``) where the host names none in
    AWS's own form; None without a profile or when the host's region applies."""
    if store is None or infer_scope(host)[0] is not None:
        return None
    region = store.region_for(host)
    if region is not None:
        notes.append(f"region {region!r} from the {store.name} store profile (--region to change)")
    return region


def checksum_decision(
    checksum: str | None,
    trailer: bool,
    store: Store | None,
    notes: list[str],
    *,
    form: str | None = None,
) -> Decision:
    """``--checksum`` / ``--trailer`` read against the store profile (`checksum_headers.decide`);
    its remarks and warnings go to `notes`."""
    from sigkit import checksum_headers

    requested = checksum_headers.parse_algorithm(checksum)
    if trailer and (requested is None or requested == checksum_headers.NONE):
        raise InputError("--trailer", "sends a checksum as a trailer; give --checksum ALG too")
    chosen = form or ("trailer" if trailer else "header")
    decision = checksum_headers.decide(requested, form=chosen, store=store)  # type: ignore[arg-type]
    notes.extend(decision.notes)
    notes.extend(f"warning: {w}" for w in decision.warnings)
    return decision


def with_checksum(request: Request, decision: Decision) -> tuple[Request, str | None]:
    """The request carrying the decided checksum headers, and the payload line the trailer
    form signs (None: the usual one). Headers the user gave already are refused, not doubled."""
    from sigkit import checksum_headers

    algorithm = decision.algorithm
    if algorithm is None:
        return request, None
    if decision.form == "trailer":
        added = checksum_headers.trailer_form(algorithm, checksum_headers.body_length(request.body))
        payload: str | None = checksum_headers.UNSIGNED_TRAILER_PAYLOAD
    else:
        value = checksum_headers.body_value(algorithm, request.body)
        added = checksum_headers.header_form(algorithm, value)
        payload = None
    for name, _ in added:
        if request.header(name) is not None:
            raise InputError(f"header {name}", "given with -H and by --checksum; give one")
    request = request.with_headers(added)
    if payload is not None and isinstance(request.body, bytes):
        request = request.with_body(checksum_headers.trailer_body(algorithm, request.body))
    return request, payload


def with_checksum_query(request: Request, algorithm: str, value: str) -> Request:
    """A presigned request bound to a body's checksum: the query form (JS v3's presigner),
    the parameters signed with the URL."""
    from sigkit import checksum_headers
    from sigkit.encoding import uri_encode

    added = checksum_headers.query_form(algorithm, value)
    taken = {n.lower() for n, _ in checksum_headers.query_form(algorithm, value)}
    if request.query and any(
        part.partition("=")[0].lower() in taken for part in request.query.split("&")
    ):
        raise InputError("URL", "already carries the checksum parameters --checksum adds")
    pairs = "&".join(f"{uri_encode(n)}={uri_encode(v)}" for n, v in added)
    return request.with_query(f"{request.query}&{pairs}" if request.query else pairs)


@dataclass(frozen=True, slots=True)
class StoreChecksum:
    """sign's store and checksum options (``--store``, ``--checksum``, ``--trailer``) and
    those they must agree with."""

    store: str | None
    checksum: str | None
    trailer: bool
    presign: bool
    sig: str
    unsigned: bool
    payload_hash: str | None


def store_and_checksum(
    request: Request,
    o: StoreChecksum,
    region: str | None,
    service: str | None,
    notes: list[str],
) -> tuple[Request, str | None, str | None, str | None]:
    """The request with what the store profile and ``--checksum`` add, and the region,
    service and payload hash to sign with (a store's region where none was given; the
    trailer form's payload line)."""
    store = resolve_store(o.store, request.host, notes)
    store_sig_warning(store, o.sig, notes)
    if region is None:
        region = store_region(store, request.host, notes)
    if store is not None and service is None and o.sig != "v2":
        service = "s3"  # a store profile is an S3 store
    payload_hash = o.payload_hash
    if o.checksum is None and not o.trailer and store is None:
        return request, region, service, payload_hash
    decision = checksum_decision(
        o.checksum, o.trailer, store, notes, form="query" if o.presign else None
    )
    algorithm = decision.algorithm
    if algorithm is None:
        return request, region, service, payload_hash
    if o.presign:
        from sigkit import checksum_headers

        if o.trailer:
            raise InputError("--trailer", "a presigned URL carries no body framing")
        value = checksum_headers.body_value(algorithm, request.body)
        if checksum_headers.body_length(request.body) == 0:
            notes.append(checksum_headers.empty_body_note(algorithm, value, "-d or --data-file"))
        return with_checksum_query(request, algorithm, value), region, service, payload_hash
    if o.trailer and (o.sig == "v2" or o.unsigned or o.payload_hash):
        flag = "--sig v2" if o.sig == "v2" else "--unsigned-payload/--payload-hash"
        raise InputError("--trailer", f"signs its own payload line; drop {flag}")
    request, streaming = with_checksum(request, decision)
    return request, region, service, streaming or payload_hash

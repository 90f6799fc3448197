"""`sigkit vectors`: run test-vector suites; `sigkit vectors new`: write a new case.

`vectors PATH...` takes paths, so `new` cannot be a sub-command of a click group without
breaking it; the app resolves the two words `vectors new` first (see sigkit.cli.app), and a
folder named `new` is run as `./new`.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from sigkit.cli.common import configured_region, note, resolve_credentials, signing_scope
from sigkit.cli.options import (
    AccessKey,
    Addressing,
    AsJson,
    Bucket,
    Data,
    DataFile,
    Header,
    Method,
    PayloadHash,
    Region,
    RequestFile,
    SecretKey,
    Service,
    SessionToken,
    ShowSecrets,
    SigningDate,
    UnsignedPayload,
)
from sigkit.cli.request_build import (
    EXAMPLE_DATE,
    EXAMPLE_HEADERS,
    EXAMPLE_URL,
    build_request,
    open_body,
)
from sigkit.credentials import Credentials, Sourced
from sigkit.errors import InputError
from sigkit.http import Request
from sigkit.render import redact, use_colour
from sigkit.sigv2.s3 import v2_rules
from sigkit.sigv4.canonical import payload_hash
from sigkit.sigv4.config import (
    EMPTY_SHA256,
    MAX_EXPIRES,
    SECURITY_TOKEN,
    UNSIGNED_PAYLOAD,
    rules_for,
)
from sigkit.timefmt import parse_time
from sigkit.vectors import case_files, run_suites, write_case


def _paint(text: str, colour: str, enabled: bool) -> str:
    if not enabled:
        return text
    from pygments.console import colorize

    return str(colorize(colour, text))


def vectors(
    paths: Annotated[list[Path], typer.Argument(help="suite folders or case folders")],
    as_json: AsJson = False,
    show_secrets: ShowSecrets = False,
) -> int:
    """Run every case folder (context.json + request.txt) under PATHS; exit 1 if any failed.
    A failure's detail shows session tokens masked unless --show-secrets."""
    results = run_suites(paths)
    shown = (lambda text: text) if show_secrets else redact
    passed = sum(r.status == "passed" for r in results)
    failed = sum(r.status == "failed" for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    if as_json:
        document = {
            "passed": passed,
            "failed": failed,
            "skipped": skipped,
            "results": [
                {
                    "case": r.case,
                    "variant": r.variant,
                    "algorithm": r.algorithm,
                    "status": r.status,
                    **({"reason": r.reason} if r.reason else {}),
                    "failures": [{"check": c.name, "detail": shown(c.detail)} for c in r.failures],
                }
                for r in results
            ],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        colour = use_colour(sys.stdout)
        for r in results:
            for check in r.failures:
                fail = _paint("FAIL", "red", colour)
                print(f"{fail} {r.case} [{r.variant}] {check.name}: {shown(check.detail)}")
        reasons = Counter(r.reason for r in results if r.status == "skipped")
        for reason, count in sorted(reasons.items()):
            print(f"SKIP {count}: {reason}")
            for r in results:  # which ones: a count alone cannot be checked
                if r.status == "skipped" and r.reason == reason:
                    print(f"  {r.case}" + (f" [{r.variant}]" if r.variant != "-" else ""))
        line = f"{passed} passed, {failed} failed"
        if skipped:
            line += f", {skipped} skipped"
        print(_paint(line, "red" if failed else "green", colour))
    return 1 if failed else 0


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def vector_context(
    request: Request,
    credentials: Credentials,
    when: datetime,
    *,
    sig: str,
    region: str | None,
    service: str | None,
    region_set: str | None,
    expires: int,
    unsigned_payload: bool,
    payload_hash_value: str | None,
    bucket: str | None,
    addressing: str | None,
    notes: list[str],
    configured: Sourced | None = None,
) -> dict[str, Any]:
    """The context.json keys that make the runner sign as `sigkit sign` would sign `request`
    with these options (see the key table in vectors/README.md)."""
    if sig not in ("v4", "v4a", "v2"):
        raise InputError("--sig", f"{sig!r} is not v4, v4a or v2")
    if region_set is not None and sig != "v4a":
        raise InputError("--region-set", "applies only to --sig v4a")
    if expires < 1 or (sig != "v2" and expires > MAX_EXPIRES):
        # context.json's 0 means "no X-Amz-Expires", which `sign` never produces
        limit = "at least 1" if sig == "v2" else f"1..{MAX_EXPIRES}"
        raise InputError("--expires", f"{expires} is out of range ({limit} seconds)")
    creds: dict[str, str] = {
        "access_key_id": credentials.access_key_id,
        "secret_access_key": credentials.secret_access_key,
    }
    if credentials.session_token:
        creds["token"] = credentials.session_token
    context: dict[str, Any] = {
        "credentials": creds,
        "timestamp": _iso(when),
        "expiration_in_seconds": expires,
    }
    if sig == "v2":
        for flag, value in (
            ("--payload-hash", payload_hash_value),
            ("--unsigned-payload", unsigned_payload),
        ):
            if value:
                raise InputError(flag, "does not apply to --sig v2 (V2 signs no payload hash)")
        v2_rules(service)  # refuses a service V2 does not sign
        if region:
            notes.append("--region is not used by --sig v2")
        context["algorithm"] = "s3v2"
        if bucket is not None:
            context["bucket"] = bucket
        if addressing is not None:
            context["addressing"] = addressing
        return context
    for flag, value in (("--bucket", bucket), ("--addressing", addressing)):
        if value:
            raise InputError(flag, "applies only to --sig v2")
    if unsigned_payload and payload_hash_value:
        raise InputError("--payload-hash", "give either --payload-hash or --unsigned-payload")
    if sig == "v4a" and region_set is not None and region is None:
        region = "us-east-1"  # SigV4A signs the region set, not a region
    region, service = signing_scope(request.host, region, service, notes, configured)
    payload = UNSIGNED_PAYLOAD if unsigned_payload else payload_hash_value
    config = rules_for(service, region, payload=payload)
    if payload is None and not config.content_sha256_header:
        # `sign` hashes the body without sending x-amz-content-sha256; the context says that
        # as the literal hash (sign_body would add the header).
        computed = payload_hash(request, config)[0]
        payload = None if computed == EMPTY_SHA256 else computed
    if payload is None and config.content_sha256_header:
        notes.append(
            "the query variant signs the body's hash, but S3 checks presigned URLs with "
            "UNSIGNED-PAYLOAD (--unsigned-payload writes such a case)"
        )
    context.update(
        algorithm="sigv4a" if sig == "v4a" else "sigv4",
        region=(region_set or region) if sig == "v4a" else region,
        service=service,
        normalize=config.normalize_path,
        double_uri_encode=config.double_uri_encode,
        sign_body=config.content_sha256_header,
    )
    if payload is not None:
        context["signed_body_value"] = payload
    if config.session_token_name != SECURITY_TOKEN:
        context["session_token_name"] = config.session_token_name
    return context


def vectors_new(
    folder: Annotated[
        Path,
        typer.Argument(metavar="DIR", help="new case folder (must not exist, or be empty)"),
    ],
    args: Annotated[
        list[str] | None,
        typer.Argument(metavar="[METHOD] URL", help="as for `sign`", show_default=False),
    ] = None,
    request_method: Method = None,
    header: Header = None,
    data: Data = None,
    data_file: DataFile = None,
    request_file: RequestFile = None,
    sig: Annotated[str, typer.Option("--sig", help="v4, v4a or v2")] = "v4",
    region_set: Annotated[
        str | None, typer.Option("--region-set", help="v4a: regions, e.g. 'us-*,eu-west-1'")
    ] = None,
    region: Region = None,
    service: Service = None,
    date: SigningDate = None,
    expires: Annotated[
        int, typer.Option("--expires", help="query variant lifetime, seconds")
    ] = 3600,
    unsigned_payload: UnsignedPayload = False,
    payload_hash_value: PayloadHash = None,
    bucket: Bucket = None,
    addressing: Addressing = None,
    access_key: AccessKey = None,
    secret_key: SecretKey = None,
    session_token: SessionToken = None,
    example: Annotated[
        bool, typer.Option("--example", help="the S3 documentation's GET example")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Write a new case folder for a request given as for `sign`: context.json, request.txt
    and every expected file of both variants (header-* and query-*), so that a signer written
    elsewhere can be checked against exact bytes. `sigkit vectors FOLDER` passes it.

    The keys are written into context.json, so they come only from --access-key/--secret-key
    (default: the AWS documentation example pair), never from the environment or ~/.aws, and
    context.json is readable by its owner only (0600). The folder is written whole or not at
    all, and an existing non-empty one is refused."""
    headers = list(header or [])
    positional = list(args or [])
    if example:
        if positional or request_file or headers:
            raise InputError("--example", "the example is a whole request; drop the URL and -H")
        positional, headers = [EXAMPLE_URL], [f"{n}: {v}" for n, v in EXAMPLE_HEADERS]
        date = date or EXAMPLE_DATE
    body, default_method = open_body(data, None, data_file, None)
    request = build_request(positional, request_method, headers, body, request_file, default_method)
    if not isinstance(request.body, bytes | None):
        request = request.with_body(request.body_bytes())
    credentials = resolve_credentials(
        access_key, secret_key, session_token, {}, read_files=False
    ).credentials
    when = parse_time(date, field="--date") if date else datetime.now(UTC)
    when = when.replace(microsecond=0)  # context.json holds whole seconds
    remarks: list[str] = []
    context = vector_context(
        request,
        credentials,
        when,
        sig=sig,
        region=region,
        service=service,
        region_set=region_set,
        expires=expires,
        unsigned_payload=unsigned_payload,
        payload_hash_value=payload_hash_value,
        bucket=bucket,
        addressing=addressing,
        notes=remarks,
        configured=configured_region() if sig != "v2" else None,
    )
    files = case_files(request, context)
    written = write_case(folder, files)
    for remark in remarks:
        note(remark)
    names = sorted(files)
    if as_json:
        document = {
            "case": str(folder),
            "path": str(written),
            "algorithm": context["algorithm"],
            "files": names,
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    print(f"wrote {folder} ({context['algorithm']}, header and query variants):")
    for name in names:
        print(f"  {name}")
    note(f"check it with: sigkit vectors {folder}")

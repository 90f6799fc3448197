"""`sigkit curl`: ready-to-run curl commands for S3 operations, in three styles.

The commands are named as AWS CLI users know them (mb, put, ls, get, rm, rb), plus a generic
`request` and the six-step `walkthrough`. What goes on stdout is valid shell (commands and
``#`` comments), so it can be piped to bash; remarks go to stderr.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from sigkit.cli.common import note, resolve_credentials
from sigkit.cli.options import (
    AccessKey,
    AsJson,
    Checksum,
    EndpointUrl,
    OptionSpec,
    SessionToken,
    StoreName,
    shared_options,
)
from sigkit.cli.request_build import (
    checksum_decision,
    resolve_store,
    store_endpoint,
    store_sig_warning,
)
from sigkit.credentials import Credentials, Resolved
from sigkit.curl import (
    STYLES,
    CurlCall,
    CurlVersion,
    aws_sigv4_command,
    aws_sigv4_remarks,
    comment,
    headers_command,
    mask_token_line,
    script_command,
    sign_call,
)
from sigkit.encoding import canonical_query_pairs, reencode_path, uri_encode
from sigkit.errors import InputError
from sigkit.http import Request, split_url
from sigkit.render import step_dicts
from sigkit.s3uri import (
    Addressing,
    Endpoint,
    S3Uri,
    aws_endpoint,
    check_key,
    choose_addressing,
    object_url,
    parse_endpoint,
    parse_s3_uri,
)
from sigkit.sigv2.s3 import v2_rules
from sigkit.sigv4.config import SigV4Config, rules_for
from sigkit.stores import Store
from sigkit.timefmt import amz_date, parse_time

DEFAULT_REGION = "us-east-1"
_SCOPE_PART = re.compile(r"[A-Za-z0-9._-]+\Z")  # what a credential scope may hold
SKEW_NOTE = "15 minutes either way on AWS S3 and Ceph RGW"


def _examples(*lines: str) -> str:
    """An epilog click prints line for line (the ``\\b`` paragraph marker stops re-wrapping)."""
    return "Examples:\n\n\b\n" + "\n".join(lines)


curl_app = typer.Typer(
    name="curl",
    help="Ready-to-run curl commands for S3: mb, put, ls, get, rm, rb, request, walkthrough.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

Style = Annotated[
    str | None,
    typer.Option("--style", help="aws-sigv4 | headers | script [aws-sigv4 for v4, headers for v2]"),
]
Sig = Annotated[str, typer.Option("--sig", help="v4 or v2")]
Region = Annotated[
    str | None,
    typer.Option(
        "--region", help="signing region [AWS_REGION, AWS_DEFAULT_REGION, profile; us-east-1]"
    ),
]
Profile = Annotated[str | None, typer.Option("--profile", help="shared-file profile")]
AddressingOpt = Annotated[
    str | None,
    typer.Option("--addressing", help="path | virtual [path with --endpoint-url, virtual on AWS]"),
]
Date = Annotated[
    str | None, typer.Option("--date", help="headers style: signing time (default: now)")
]
SecretKey = Annotated[str | None, typer.Option("--secret-key", help="secret access key")]
InlineSecrets = Annotated[
    bool,
    typer.Option("--inline-secrets", help="write keys and token into the command, not $VARS"),
]
ShowSecrets = Annotated[
    bool, typer.Option("--show-secrets", help="--json: derived keys and token in full")
]
ContentType = Annotated[
    str | None, typer.Option("--content-type", help="Content-Type of the object")
]
Metadata = Annotated[
    list[str] | None, typer.Option("--metadata", help="KEY=VALUE, sent as x-amz-meta-KEY")
]

# The options every sub-command takes, in the order --help lists them (after its own).
CURL_OPTIONS = (
    OptionSpec("style", Style, None),
    OptionSpec("sig", Sig, "v4"),
    OptionSpec("endpoint_url", EndpointUrl, None),
    OptionSpec("region", Region, None),
    OptionSpec("addressing", AddressingOpt, None),
    OptionSpec("date", Date, None),
    OptionSpec("access_key", AccessKey, None),
    OptionSpec("secret_key", SecretKey, None),
    OptionSpec("session_token", SessionToken, None),
    OptionSpec("profile", Profile, None),
    OptionSpec("store", StoreName, None),
    OptionSpec("inline_secrets", InlineSecrets, False),
    OptionSpec("as_json", AsJson, False),
    OptionSpec("show_secrets", ShowSecrets, False),
)


@dataclass(frozen=True, slots=True)
class Options:
    """The options every sub-command shares."""

    style: str | None
    sig: str
    endpoint_url: str | None
    region: str  # None from the command line: filled in from the resolved configuration
    addressing: str | None
    date: str | None
    access_key: str | None
    secret_key: str | None
    session_token: str | None
    inline_secrets: bool
    as_json: bool
    show_secrets: bool
    profile: str | None = None
    store: str | None = None
    resolved: Resolved | None = None
    profile_of_store: Store | None = None
    remarks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        resolved = resolve_credentials(
            self.access_key,
            self.secret_key,
            self.session_token,
            profile=self.profile,
            region=self.region or None,
            endpoint_url=self.endpoint_url,
            service="s3",
        )
        object.__setattr__(self, "resolved", resolved)
        region = resolved.region.value if resolved.region else DEFAULT_REGION
        endpoint = resolved.endpoint_url.value if resolved.endpoint_url else None
        remarks: list[str] = []
        host = parse_endpoint(endpoint).authority if endpoint is not None else None
        store = resolve_store(self.store, host, remarks)
        store_sig_warning(store, self.sig, remarks)
        if store is not None:
            region = _store_region(self.region, store, host, region, remarks)
            if endpoint is None and store.name != "aws":
                endpoint = store_endpoint(store, remarks)
            if self.addressing is None and store.addressing in ("path", "virtual"):
                object.__setattr__(self, "addressing", store.addressing)
        object.__setattr__(self, "region", region)
        object.__setattr__(self, "endpoint_url", endpoint)
        object.__setattr__(self, "profile_of_store", store)
        object.__setattr__(self, "remarks", tuple(remarks))
        _style(self)  # refuse bad combinations before any file is looked at

    @classmethod
    def from_command_line(cls, region: str | None = None, **values: Any) -> Options:
        """The options as `shared_options` passes them (an unset region: "")."""
        return cls(region=region or "", **values)


def _store_region(
    given: str, store: Store, host: str | None, configured: str, remarks: list[str]
) -> str:
    """--region, else the store's (R2: ``auto``; what the host names), else the configured
    one. AWS's own profile leaves the region to the host and the configuration."""
    if given or store.name == "aws":
        return configured
    region = store.region_for(host or "")
    if region is None:
        return configured
    remarks.append(f"region {region!r} from the {store.name} store profile (--region to change)")
    return region


def _with_curl_options(
    *omit: str,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A sub-command's decorator: the `CURL_OPTIONS` after its own, passed as `options`."""
    return shared_options(CURL_OPTIONS, Options.from_command_line, omit=omit)


@dataclass(frozen=True, slots=True)
class Step:
    """One command of the output: its name (mb, put, ...), a title for the comment above it,
    and the request."""

    name: str
    title: str
    call: CurlCall


# --- building the requests ------------------------------------------------------------------


def _where(options: Options, bucket: str) -> tuple[Endpoint, Addressing, list[str]]:
    """The endpoint and addressing style (`choose_addressing`: path under a custom endpoint,
    virtual-hosted on AWS, path for a dotted bucket there)."""
    if options.endpoint_url is not None:
        endpoint = parse_endpoint(options.endpoint_url)
    else:
        endpoint = aws_endpoint(options.region)
    addressing, remarks = choose_addressing(endpoint, bucket, options.addressing)
    return endpoint, addressing, remarks


def _call(
    options: Options,
    method: str,
    bucket: str,
    key: str | None,
    remarks: list[str],
    *,
    query: list[tuple[str, str]] | None = None,
    headers: tuple[tuple[str, str], ...] = (),
    data: str | None = None,
    upload: str | None = None,
    output: str | None = None,
) -> CurlCall:
    """One S3 request at its URL; the query is sent sorted and encoded (its canonical form)."""
    endpoint, addressing, where_remarks = _where(options, bucket)
    remarks.extend(r for r in where_remarks if r not in remarks)
    encoded = None
    if query:
        encoded = "&".join(f"{uri_encode(n)}={uri_encode(v)}" for n, v in sorted(query))
    return CurlCall(
        method=method,
        url=object_url(endpoint, bucket, key, addressing, encoded),
        headers=headers,
        data=data,
        upload=upload,
        output=output,
        region=options.region,
        bucket=bucket,
        addressing=addressing,
    )


def _readable_file(path: str, field: str = "FILE") -> str:
    if path == "-":
        raise InputError(field, "cannot upload standard input: S3 needs the length first")
    if os.path.isdir(path):
        raise InputError(field, f"{comment(path)}: is a directory")
    try:
        with open(path, "rb") as stream:
            stream.read(1)
    except OSError as exc:
        raise InputError(field, f"{comment(path)}: {exc.strerror or exc}") from None
    return path


def _writable_target(path: str, field: str = "FILE") -> str:
    if path == "-":
        return path
    if os.path.isdir(path):
        raise InputError(field, f"{comment(path)}: is a directory; name the file to write")
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        raise InputError(field, f"{comment(path)}: the folder {comment(parent)} does not exist")
    return path


def _object_headers(
    content_type: str | None, metadata: list[str] | None
) -> tuple[tuple[str, str], ...]:
    headers: list[tuple[str, str]] = []
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    for item in metadata or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError("--metadata", f"{item!r} is not KEY=VALUE")
        headers.append((f"x-amz-meta-{name}", value))
    return tuple(headers)


def _bucket_only(uri: S3Uri, command: str) -> str:
    if uri.key is not None:
        raise InputError("TARGET", f"{command} takes s3://BUCKET, not an object key")
    return uri.bucket


def _key_of(uri: S3Uri, file: str | None = None) -> str:
    """The target's key; for an upload to s3://BUCKET[/], the file's name (as `aws s3 cp`)."""
    if uri.key is not None:
        return uri.key
    if file is not None and os.path.basename(file):
        return check_key(os.path.basename(file), field="FILE")
    raise InputError("TARGET", "names no key; write s3://BUCKET/KEY")


def _mb(options: Options, bucket: str, remarks: list[str]) -> Step:
    """AWS outside us-east-1 wants the region as LocationConstraint; other stores get none
    (a store's own region names rarely match what a client was told to sign with)."""
    if options.endpoint_url is not None or options.region == DEFAULT_REGION:
        call = _call(options, "PUT", bucket, None, remarks)
    else:
        xml = (
            '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<LocationConstraint>{options.region}</LocationConstraint>"
            "</CreateBucketConfiguration>"
        )
        headers = (("Content-Type", "application/xml"),)
        call = _call(options, "PUT", bucket, None, remarks, data=xml, headers=headers)
    return Step("mb", f"create bucket {bucket}", call)


def _checksum_headers(
    options: Options,
    checksum: str | None,
    remarks: list[str],
    *,
    file: str | None = None,
    data: str | None = None,
) -> tuple[tuple[str, str], ...]:
    """The header form of ``--checksum`` (what botocore sends over http) for the body: a
    file's checksum is taken now, so the command is for the file as it is now. A store
    profile that refuses checksums gets none unless asked by name (`checksum_decision`)."""
    from sigkit import checksum_headers, checksums

    if checksum is None and options.profile_of_store is None:
        return ()
    decision = checksum_decision(checksum, False, options.profile_of_store, remarks)
    algorithm = decision.algorithm
    if algorithm is None:
        return ()
    if file is not None:
        try:
            value = checksums.of_file(file, [algorithm])[algorithm]
        except OSError as exc:
            raise InputError("FILE", f"{comment(file)}: {exc.strerror or exc}") from None
        remarks.append(
            f"{checksums.header_name(algorithm)} is the checksum of {comment(file)} as it is "
            "now: a store that checks it refuses the upload if the file changes"
        )
    else:
        value = checksum_headers.body_value(algorithm, (data or "").encode("utf-8"))
    return tuple(checksum_headers.header_form(algorithm, value))


def _put(
    options: Options,
    file: str,
    uri: S3Uri,
    headers: tuple[tuple[str, str], ...],
    remarks: list[str],
    checksum: str | None = None,
) -> Step:
    key = _key_of(uri, file)
    upload = _readable_file(file)
    headers += _checksum_headers(options, checksum, remarks, file=upload)
    call = _call(options, "PUT", uri.bucket, key, remarks, upload=upload, headers=headers)
    return Step("put", f"upload {file} to s3://{uri.bucket}/{key}", call)


def _ls(
    options: Options, bucket: str, prefix: str | None, delimiter: str | None, remarks: list[str]
) -> Step:
    query = [("list-type", "2")]
    if prefix:
        query.append(("prefix", prefix))
    if delimiter:
        query.append(("delimiter", delimiter))
    call = _call(options, "GET", bucket, None, remarks, query=query)
    shown = f"s3://{bucket}/{prefix or ''}"
    return Step("ls", f"list {shown} (ListObjectsV2)", call)


def _get(options: Options, uri: S3Uri, file: str, remarks: list[str]) -> Step:
    key = _key_of(uri)
    call = _call(options, "GET", uri.bucket, key, remarks, output=_writable_target(file))
    return Step("get", f"download s3://{uri.bucket}/{key} to {file}", call)


def _rm(options: Options, uri: S3Uri, remarks: list[str]) -> Step:
    key = _key_of(uri)
    call = _call(options, "DELETE", uri.bucket, key, remarks)
    return Step("rm", f"delete s3://{uri.bucket}/{key}", call)


def _rb(options: Options, bucket: str, remarks: list[str]) -> Step:
    return Step("rb", f"delete bucket {bucket}", _call(options, "DELETE", bucket, None, remarks))


# --- turning requests into commands ---------------------------------------------------------


def _style(options: Options) -> str:
    """The style to use, refusing combinations that cannot work."""
    if options.sig not in ("v4", "v2"):
        raise InputError("--sig", f"{options.sig!r} is not v4 or v2")
    if not _SCOPE_PART.match(options.region):
        raise InputError("--region", f"{options.region!r} may hold only letters, digits, . _ -")
    style = options.style or ("headers" if options.sig == "v2" else "aws-sigv4")
    if style not in STYLES:
        raise InputError("--style", f"{style!r} is not one of {', '.join(STYLES)}")
    if style == "aws-sigv4" and options.sig == "v2":
        raise InputError(
            "--style",
            "aws-sigv4 is SigV4 only (curl has no S3 V2 signer); use --style headers or script",
        )
    if options.date is not None and style != "headers":
        raise InputError("--date", f"applies only to --style headers; {style} signs when it runs")
    return style


def _preamble(style: str, sig: str, token: bool, inline: bool, when: datetime | None) -> list[str]:
    algorithm = "SigV4" if sig == "v4" else "S3 Signature Version 2"
    needs = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" + (
        " and AWS_SESSION_TOKEN" if token else ""
    )
    if style == "headers":
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else ""
        lines = [
            f"# {algorithm}, signed by sigkit at {stamp}: the headers are valid while the "
            "server's clock",
            f"# is within its skew window of that time ({SKEW_NOTE}).",
        ]
        if token and not inline:
            lines.append("# Needs AWS_SESSION_TOKEN in the environment.")
        return lines
    if style == "aws-sigv4":
        lines = [
            f"# {algorithm}: curl signs each request when it runs (curl 7.87 or later;",
            "# docs/curl.md lists what each curl version gets wrong).",
        ]
    else:
        lines = [f"# {algorithm}: each snippet signs when it runs, with date and openssl."]
    if not inline:
        lines.append(f"# Needs {needs} in the environment.")
    return lines


def _commented(text: str, *, masked: bool) -> list[str]:
    """Signed text as comment lines, the session token masked unless asked."""
    lines = [mask_token_line(line) if masked else line for line in text.split("\n")]
    return [f"#   {comment(line)}" if line else "#" for line in lines]


@functools.cache
def local_curl_version() -> CurlVersion | None:
    """The version of the ``curl`` on PATH (which the printed commands will most likely run
    with), or None when there is none or it does not say."""
    try:
        done = subprocess.run(
            ["curl", "--version"], capture_output=True, timeout=10, check=False, text=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.match(r"curl (\d+)\.(\d+)(?:\.(\d+))?", done.stdout)
    if found is None:
        return None
    major, minor, patch = found.groups()
    return int(major), int(minor), int(patch or 0)


def _emit(options: Options, steps: list[Step], remarks: list[str], *, numbered: bool) -> None:
    remarks[:0] = [r for r in options.remarks if r not in remarks]
    style = _style(options)
    resolved = options.resolved
    assert resolved is not None  # set by Options.__post_init__
    credentials: Credentials = resolved.credentials
    token = credentials.session_token
    inline = credentials if options.inline_secrets else None
    when: datetime | None = None
    if style == "headers":
        when = (
            parse_time(options.date, field="--date")
            if options.date
            else datetime.now(UTC).replace(microsecond=0)
        )
    if resolved.example and (style == "headers" or inline is not None):
        remarks.append(
            "no credentials given: signed with the AWS documentation example keys, which a "
            "server refuses"
        )
    elif style != "headers" and inline is None and resolved.from_flags:
        remarks.append(
            "the command reads $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY when it runs; "
            "--inline-secrets writes the given keys into it instead"
        )
    documents: list[dict[str, Any]] = []
    text: list[str] = _preamble(style, options.sig, token is not None, inline is not None, when)
    for number, step in enumerate(steps, start=1):
        entry: dict[str, Any] = {"name": step.name, "title": step.title}
        comments: list[str] = []
        if style == "aws-sigv4":
            command = aws_sigv4_command(step.call, session_token=token, inline=inline)
            for remark in aws_sigv4_remarks(step.call, local_curl_version()):
                if remark not in remarks:
                    remarks.append(remark)
        elif style == "headers":
            assert when is not None
            result = sign_call(step.call, credentials, when, options.sig)
            command = headers_command(step.call, result, inline=options.inline_secrets)
            what = "canonical_request" if options.sig == "v4" else "string_to_sign"
            comments = [f"# {what.replace('_', ' ')}:"]
            comments += _commented(result[what], masked=not options.show_secrets)
            entry["signed_at"] = amz_date(when)
            entry["algorithm"] = result.algorithm
            entry["steps"] = step_dicts(result, show_secrets=options.show_secrets)
        else:
            command = script_command(step.call, sig=options.sig, session_token=token, inline=inline)
        entry["command"] = command
        documents.append(entry)
        text.append("")
        title = comment(step.title)
        text.append(f"# {number}. {title}" if numbered else f"# {title}")
        text.extend(comments)
        text.append(command)
    for remark in remarks:
        note(remark)
    if options.as_json:
        document: dict[str, Any] = {"style": style, "sig": options.sig, "region": options.region}
        if numbered:
            document["commands"] = documents
        else:
            document.update(documents[0])
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    sys.stdout.write("\n".join(text) + "\n")


# --- the sub-commands ------------------------------------------------------------------------


@curl_app.command(
    "mb",
    epilog=_examples(
        "sigkit curl mb s3://my-bucket",
        "sigkit curl mb s3://demo --endpoint-url http://127.0.0.1:7480 --style script",
    ),
)
@_with_curl_options()
def mb(
    target: Annotated[str, typer.Argument(metavar="TARGET", help="s3://BUCKET")],
    options: Options,
) -> None:
    """Create a bucket (PUT /BUCKET)."""
    remarks: list[str] = []
    bucket = _bucket_only(parse_s3_uri(target), "mb")
    _emit(options, [_mb(options, bucket, remarks)], remarks, numbered=False)


@curl_app.command(
    "put",
    epilog=_examples(
        "sigkit curl put ./report.csv s3://my-bucket/reports/report.csv --content-type text/csv",
        "sigkit curl put ./f.bin s3://my-bucket/ --metadata owner=ops --sig v2",
        "sigkit curl put ./f.bin s3://my-bucket/f.bin --checksum crc32   # as a 2025 SDK",
        "sigkit curl put ./f.bin s3://my-bucket/f.bin --checksum none \\",
        "    --endpoint-url https://ACCOUNT.r2.cloudflarestorage.com --store r2",
    ),
)
@_with_curl_options()
def put(
    file: Annotated[str, typer.Argument(metavar="FILE", help="local file to upload")],
    target: Annotated[
        str, typer.Argument(metavar="TARGET", help="s3://BUCKET/KEY (s3://BUCKET/: the file name)")
    ],
    options: Options,
    content_type: ContentType = None,
    metadata: Metadata = None,
    checksum: Checksum = None,
) -> None:
    """Upload a file (PUT /BUCKET/KEY); curl reads the file when the command runs.

    --checksum ALG sends x-amz-checksum-ALG (taken from the file now) and
    x-amz-sdk-checksum-algorithm, signed, as a 2025 SDK does over http; --checksum none,
    or a --store that refuses them, sends none."""
    remarks: list[str] = []
    uri = parse_s3_uri(target)
    headers = _object_headers(content_type, metadata)
    step = _put(options, file, uri, headers, remarks, checksum)
    _emit(options, [step], remarks, numbered=False)


@curl_app.command(
    "ls",
    epilog=_examples(
        "sigkit curl ls s3://my-bucket --prefix reports/",
        "sigkit curl ls s3://my-bucket/reports/ --delimiter / --style headers",
    ),
)
@_with_curl_options()
def ls(
    target: Annotated[str, typer.Argument(metavar="TARGET", help="s3://BUCKET[/PREFIX]")],
    options: Options,
    prefix: Annotated[str | None, typer.Option("--prefix", help="list keys starting so")] = None,
    delimiter: Annotated[
        str | None, typer.Option("--delimiter", help="group keys, e.g. '/'")
    ] = None,
) -> None:
    """List objects (GET /BUCKET?list-type=2&prefix=...); prints the XML S3 returns."""
    remarks: list[str] = []
    uri = parse_s3_uri(target)
    if uri.key is not None and prefix is not None:
        raise InputError("--prefix", "give the prefix either in the target or with --prefix")
    step = _ls(options, uri.bucket, prefix if prefix is not None else uri.key, delimiter, remarks)
    _emit(options, [step], remarks, numbered=False)


@curl_app.command(
    "get",
    epilog=_examples(
        "sigkit curl get s3://my-bucket/reports/report.csv ./copy.csv",
        "sigkit curl get s3://my-bucket/k - --style script --sig v2",
    ),
)
@_with_curl_options()
def get(
    target: Annotated[str, typer.Argument(metavar="TARGET", help="s3://BUCKET/KEY")],
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="where to save it ('-': standard output)")
    ],
    options: Options,
) -> None:
    """Download an object (GET /BUCKET/KEY) to a file."""
    remarks: list[str] = []
    _emit(options, [_get(options, parse_s3_uri(target), file, remarks)], remarks, numbered=False)


@curl_app.command(
    "rm",
    epilog=_examples(
        "sigkit curl rm s3://my-bucket/reports/report.csv",
        "sigkit curl rm 's3://my-bucket/a b+c.txt' --style headers --json",
    ),
)
@_with_curl_options()
def rm(
    target: Annotated[str, typer.Argument(metavar="TARGET", help="s3://BUCKET/KEY")],
    options: Options,
) -> None:
    """Delete an object (DELETE /BUCKET/KEY)."""
    remarks: list[str] = []
    _emit(options, [_rm(options, parse_s3_uri(target), remarks)], remarks, numbered=False)


@curl_app.command(
    "rb",
    epilog=_examples(
        "sigkit curl rb s3://my-bucket",
        "sigkit curl rb s3://demo --endpoint-url http://127.0.0.1:7480 --sig v2",
    ),
)
@_with_curl_options()
def rb(
    target: Annotated[str, typer.Argument(metavar="TARGET", help="s3://BUCKET")],
    options: Options,
) -> None:
    """Delete an empty bucket (DELETE /BUCKET)."""
    remarks: list[str] = []
    bucket = _bucket_only(parse_s3_uri(target), "rb")
    _emit(options, [_rb(options, bucket, remarks)], remarks, numbered=False)


@curl_app.command(
    "walkthrough",
    epilog=_examples(
        "sigkit curl walkthrough s3://my-bucket ./report.csv",
        "sigkit curl walkthrough s3://demo ./f.bin --endpoint-url http://127.0.0.1:7480 \\",
        "    --sig v2 --style script | bash -e",
    ),
)
@_with_curl_options()
def walkthrough(
    target: Annotated[
        str, typer.Argument(metavar="TARGET", help="s3://BUCKET[/KEY] (KEY: the file name)")
    ],
    file: Annotated[str, typer.Argument(metavar="FILE", help="local file to upload")],
    options: Options,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="download to [FILE.downloaded]")
    ] = None,
    content_type: ContentType = None,
    checksum: Checksum = None,
) -> None:
    """The whole session: create the bucket, upload FILE, list (list-type=2), download,
    delete the object, delete the bucket. --checksum ALG: the upload carries it."""
    remarks: list[str] = []
    uri = parse_s3_uri(target)
    key = _key_of(uri, file)
    obj = S3Uri(uri.bucket, key)
    download = output if output is not None else file + ".downloaded"
    steps = [
        _mb(options, uri.bucket, remarks),
        _put(options, file, obj, _object_headers(content_type, None), remarks, checksum),
        _ls(options, uri.bucket, None, None, remarks),
        _get(options, obj, download, remarks),
        _rm(options, obj, remarks),
        _rb(options, uri.bucket, remarks),
    ]
    _emit(options, steps, remarks, numbered=True)


@curl_app.command(
    "request",
    epilog=_examples(
        "sigkit curl request -X GET 'https://my-bucket.s3.us-east-1.amazonaws.com/?acl'",
        "sigkit curl request PUT https://my-bucket.s3.amazonaws.com/k --data-file ./f.bin \\",
        "    -H 'x-amz-tagging: team=ops' --style headers",
    ),
)
@_with_curl_options("endpoint_url", "addressing")
def request(
    args: Annotated[
        list[str], typer.Argument(metavar="ARGS", help="[METHOD] URL", show_default=False)
    ],
    options: Options,
    request_method: Annotated[str | None, typer.Option("-X", "--request", help="method")] = None,
    header: Annotated[
        list[str] | None, typer.Option("-H", "--header", help="'Name: value'; repeatable")
    ] = None,
    data: Annotated[str | None, typer.Option("-d", "--data", help="request body, as given")] = None,
    data_file: Annotated[
        str | None, typer.Option("--data-file", help="body from a file, read when run")
    ] = None,
    output: Annotated[str | None, typer.Option("-o", "--output", help="save the body")] = None,
    service: Annotated[str, typer.Option("--service", help="signing service")] = "s3",
    checksum: Checksum = None,
) -> None:
    """Any request, given by its URL, in curl's vocabulary (-X, -H, -d). --checksum ALG:
    the body's x-amz-checksum-ALG and x-amz-sdk-checksum-algorithm, signed."""
    from sigkit.cli.request_build import parse_header_option

    remarks: list[str] = []
    method, url = _method_and_url(args, request_method, data, data_file)
    if options.sig == "v2":
        v2_rules(service)  # refuses a service V2 does not sign
    if not _SCOPE_PART.match(service):
        raise InputError("--service", f"{service!r} may hold only letters, digits, . _ -")
    if data is not None and data_file is not None:
        raise InputError("--data-file", "give either --data or --data-file, not both")
    headers = tuple(parse_header_option(h) for h in header or [])
    upload = _readable_file(data_file, "--data-file") if data_file is not None else None
    if checksum is not None and data is None and upload is None:
        raise InputError("--checksum", "the request sends no body (give -d or --data-file)")
    if data is not None or upload is not None:
        headers += _checksum_headers(options, checksum, remarks, file=upload, data=data)
    if _style(options) == "aws-sigv4":
        url = _canonical_url(url, rules_for(service, options.region), remarks)
    call = CurlCall(
        method=method,
        url=url,
        headers=headers,
        data=data,
        upload=upload,
        output=_writable_target(output, "--output") if output is not None else None,
        region=options.region,
        service=service,
    )
    _emit(options, [Step("request", f"{method} {url}", call)], remarks, numbered=False)


def _method_and_url(
    args: list[str], method: str | None, data: str | None, data_file: str | None
) -> tuple[str, str]:
    """curl's defaults: POST for -d, PUT for an uploaded file, else GET."""
    if len(args) == 2:
        if method is not None:
            raise InputError("METHOD", "given both as an argument and with -X")
        method, url = args
    elif len(args) == 1:
        url = args[0]
    else:
        raise InputError("URL", f"expected [METHOD] URL, got {len(args)} arguments")
    Request.from_url(method or "GET", url)
    default = "POST" if data is not None else "PUT" if data_file is not None else "GET"
    return (method or default).upper(), url


def _canonical_url(url: str, config: SigV4Config, remarks: list[str]) -> str:
    """The URL in the form a SigV4 server recomputes, so that curl versions that sign the path
    and query as sent (7.x, and the path again from 8.14 for S3) agree with the server."""
    scheme, authority, path, query = split_url(url)
    if not config.double_uri_encode:
        canonical_path = reencode_path(path)
    else:
        if "%" in path or reencode_path(path) != path:
            raise InputError(
                "URL",
                f"curl --aws-sigv4 encodes a {config.service} path differently in each version; "
                "use --style headers or script for this path",
            )
        canonical_path = path
    canonical = f"{scheme}://{authority}{canonical_path}"
    if query:
        pairs = canonical_query_pairs(query, plus_as_space=True)
        canonical += "?" + "&".join(f"{n}={v}" for n, v in pairs)
    if canonical != url:
        remarks.append(f"URL sent in the canonical form curl signs as is: {canonical}")
    return canonical

"""`sigkit diff A B`: compare two views of one signed request step by step (canonical request,
string to sign, signature); `sigkit diff A --ours [METHOD] URL ...` compares A with what sigkit
computes for the request (the same options as `sign`)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from sigkit.cli.common import note, resolve_credentials
from sigkit.cli.options import (
    AccessKey,
    AsJson,
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
    UnsignedPayload,
    UploadFile,
)
from sigkit.cli.request_build import SignOptions, build_request, open_body, sign_request
from sigkit.credentials import Credentials
from sigkit.debug import integrity
from sigkit.debug.diagnose import observation_of
from sigkit.debug.investigate import investigate
from sigkit.debug.model import Observation
from sigkit.debug.report import Report, hidden_values, load, pick
from sigkit.errors import InputError
from sigkit.http import Request
from sigkit.render import use_colour
from sigkit.result import SigningResult
from sigkit.timefmt import parse_time
from sigkit.verify import read_auth, verify_request

EXIT_HELP = (
    "Exit status: 0 every step compared is identical (verdict match), 1 a step differs "
    "(mismatch), 2 an input error, or nothing to compare (verdict no-data: the sources hold "
    "no common signing step)."
)

Hint = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="source format (default: detected): awscli, s3-error, curl, http, url, dump",
    ),
]


@dataclass(frozen=True)
class RequestOptions:
    """The `sign` options that describe a request and how to sign it."""

    args: list[str]
    method: str | None
    headers: list[str]
    data: str | None
    data_binary: str | None
    upload_file: str | None
    data_file: Path | None
    request_file: Path | None
    region: str | None
    service: str | None
    date: str | None
    unsigned_payload: bool
    payload_hash: str | None

    @property
    def given(self) -> bool:
        return bool(
            self.args
            or self.request_file
            or self.headers
            or self.method
            or any(v is not None for v in (self.data, self.data_binary, self.upload_file))
            or self.data_file is not None
        )

    def build(self) -> Request:
        body, default_method = open_body(
            self.data, self.data_binary, self.data_file, self.upload_file
        )
        return build_request(
            list(self.args),
            self.method,
            list(self.headers),
            body,
            self.request_file,
            default_method,
        )


def signing_time(date: str | None, theirs: Observation | None) -> datetime:
    """--date, else the time the other side signed at (X-Amz-Date, the string to sign's date
    line), else now."""
    if date:
        return parse_time(date, field="--date")
    stamp = theirs.amz_date if theirs is not None else None
    if not stamp and theirs is not None and theirs.string_to_sign:
        lines = theirs.string_to_sign.split("\n")
        stamp = lines[1] if len(lines) == 4 and lines[0].startswith("AWS4") else None
    if stamp:
        try:
            when = parse_time(stamp, field="X-Amz-Date")
        except InputError:
            pass
        else:
            note(f"signing time {stamp} taken from {theirs.source if theirs else 'the source'}")
            return when
    return datetime.now(UTC)


def recompute(
    request: Request,
    credentials: Credentials,
    when: datetime,
    opts: RequestOptions,
    scope: str | None = None,
) -> SigningResult | None:
    """Our signing of `request`: a request that is signed already is recomputed as a server
    would (its SignedHeaders, scope and time; None when it cannot be, e.g. a header it needs
    sent twice: the investigation then says why); an unsigned one is signed as `sign` does,
    in --region/--service, else the region and service of the other side's `scope`."""
    if read_auth(request) is not None:
        return verify_request(request, credentials, when).result
    parts = (scope or "").split("/")
    region, service = opts.region, opts.service
    if len(parts) >= 3:
        region, service = region or parts[1], service or parts[2]
    options = SignOptions(
        "v4", False, None, opts.unsigned_payload, opts.payload_hash, region, service, None, None
    )
    notes: list[str] = []
    result = sign_request(request, credentials, when, options, notes)
    for remark in notes:
        note(remark)
    return result


def emit(
    report: Report, as_json: bool, *, show_secrets: bool = False, secrets: Iterable[str] = ()
) -> None:
    """Print the report; `secrets` (see `hidden_values`) and every session token in it are
    masked unless `show_secrets` (sigkit.render.redact)."""
    if as_json:
        print(report.render_json(secrets=secrets, show_secrets=show_secrets))
    else:
        text = report.render_text(
            colour=use_colour(sys.stdout), secrets=secrets, show_secrets=show_secrets
        )
        sys.stdout.write(text)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


# The store's profile (sigkit.stores): what it refuses is evidence for the checksum causes.
StoreName = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="the store the request went to (r2, b2, minio, ceph, hetzner, gcs ...; see "
        "docs/stores.md): what it refuses is evidence [default: recognised from the host]",
    ),
]


def diff(
    sources: Annotated[
        list[str],
        typer.Argument(help="A B (files, '-' for stdin, or URLs); with --ours: A [METHOD] [URL]"),
    ],
    ours: Annotated[
        bool,
        typer.Option(
            "--ours",
            help="compare A with sigkit's own computation for the request (given as for sign, "
            "else the request A holds) and the credentials",
        ),
    ] = False,
    request_method: Method = None,
    header: Header = None,
    data: Data = None,
    data_binary: DataBinary = None,
    upload_file: UploadFile = None,
    data_file: DataFile = None,
    request_file: RequestFile = None,
    region: Region = None,
    service: Service = None,
    date: SigningDate = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="the server's time, for clock-skew and expiry checks"),
    ] = None,
    unsigned_payload: UnsignedPayload = False,
    payload_hash: PayloadHash = None,
    access_key: AccessKey = None,
    secret_key: SecretKey = None,
    session_token: SessionToken = None,
    profile: Profile = None,
    hint: Hint = None,
    store: StoreName = None,
    show_secrets: ShowSecrets = False,
    as_json: AsJson = False,
) -> None:
    """Compare two views of one signed request step by step: the first differing line of the
    canonical request, string to sign and signature (invisible characters shown), findings and
    a one-line verdict. The first source is shown as "ours" (or sigkit's computation, with
    --ours) and the other as "theirs". Exit status: 0 every step compared is identical, 1 a
    step differs, 2 an input error or nothing to compare (verdict no-data)."""
    opts = RequestOptions(
        sources[1:] if ours else [],
        request_method,
        list(header or []),
        data,
        data_binary,
        upload_file,
        data_file,
        request_file,
        region,
        service,
        date,
        unsigned_payload,
        payload_hash,
    )
    server_now = parse_time(now, field="--now") if now else None
    if store is not None:
        integrity.resolve_store(store, None)  # an unknown name is an input error at once
    if not ours:
        if len(sources) != 2:
            raise InputError(
                "SOURCES", f"expected two sources A B (or A --ours), got {len(sources)}"
            )
        if opts.given or date or region or service:
            raise InputError("--ours", "request options apply only with --ours")
        a_all, b_all = load(sources[0], hint=hint), load(sources[1], hint=hint)
        a_obs, b_obs = pick(a_all), pick(b_all)
        if a_obs is None or b_obs is None:
            empty = [name for name, obs in zip(sources, (a_obs, b_obs), strict=True) if not obs]
            report = Report(
                "no-data",
                a_obs,
                b_obs,
                message=f"{' and '.join(empty)} holds no signing step",
            )
        else:
            report = investigate(
                a_all,
                b_all,
                pair=(a_obs, b_obs),
                now=server_now,
                secret=secret_key,  # with the secret, the request as sent is verified too
                access_key=access_key,
                session_token=session_token,
                store=store,
            )
        emit(report, as_json, show_secrets=show_secrets, secrets=hidden_values([*a_all, *b_all]))
        return
    observations = load(sources[0], hint=hint)
    theirs = pick(observations)
    if opts.given:
        request = opts.build()
    elif theirs is not None and theirs.request is not None:
        request = theirs.request
    else:
        raise InputError(sources[0], "holds no request; give the request as for sign (URL, -H ...)")
    resolved = resolve_credentials(
        access_key, secret_key, session_token, profile=profile, access_key_from_source=True
    )
    key = theirs.access_key_id if theirs is not None else None
    credentials = resolved.for_access_key(key)
    when = signing_time(date, theirs)
    scope = theirs.credential_scope if theirs else None
    result = recompute(request, credentials, when, opts, scope)
    if result is None:  # not recomputable: the investigation of the source says why
        report = investigate(
            observations,
            credentials=credentials,
            now=server_now,
            region=region,
            service=service,
            store=store,
        )
        secrets = hidden_values(observations, None, credentials.secret_access_key)
        emit(report, as_json, show_secrets=show_secrets, secrets=secrets)
        return
    mine = observation_of(result)
    pair = (mine, theirs) if theirs is not None else None
    report = investigate(
        observations,
        result if theirs is None else mine,
        credentials=credentials,
        now=server_now,
        region=region,  # given with --ours: the server's scope as well as the signing one
        service=service,
        pair=pair,
        store=store,
    )
    given = (credentials.secret_access_key, credentials.session_token, *result.sensitive)
    secrets = hidden_values(observations, result.request, *given)
    emit(report, as_json, show_secrets=show_secrets, secrets=secrets)

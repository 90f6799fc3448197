"""`sigkit explain`: from one source (a server's error body, an AWS CLI --debug log, a curl
capture, a presigned URL) and optionally the request and the secret, recompute, compare and
name the cause of a signature mismatch, ending with a one-line verdict."""

from __future__ import annotations

from typing import Annotated

import typer

from sigkit.cli.common import resolve_credentials
from sigkit.cli.diff_cmd import (
    Hint,
    RequestOptions,
    build_report,
    emit,
    recompute,
    signing_time,
)
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
    SigningDate,
    UnsignedPayload,
    UploadFile,
)
from sigkit.credentials import Credentials
from sigkit.debug.diagnose import findings_from_error, observation_of
from sigkit.debug.model import Observation
from sigkit.debug.report import Report, load, pick
from sigkit.http import Request
from sigkit.timefmt import parse_time


def explain(
    args: Annotated[
        list[str],
        typer.Argument(
            help="SOURCE (file, '-' for stdin, or a presigned URL), then optionally "
            "the request as for sign: [METHOD] URL"
        ),
    ],
    also: Annotated[
        str | None,
        typer.Option(
            "--also",
            help="a second source holding the client's side (e.g. an AWS "
            "CLI --debug log next to the server's error body)",
        ),
    ] = None,
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
    as_json: AsJson = False,
) -> None:
    """Explain a signature mismatch. With a server's error body (canonical request / string to
    sign) and the request plus credentials, recompute ours and compare with the server's; with
    a client log (AWS CLI --debug) and the secret, recompute from the logged request and compare
    with what the client logged; with only a signature, search which slip reproduces it. Prints
    the first difference, the findings (cause, evidence, fix; most likely first) and a one-line
    verdict. Exit status: 0 match, 1 mismatch, 2 an input error or nothing to compare (verdict
    no-data, e.g. neither the request nor the secret given for a bare signature)."""
    source, rest = args[0], args[1:]
    opts = RequestOptions(
        rest,
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
    observations = load(source, hint=hint)
    if also is not None:
        observations += load(also, hint=hint)
    server = pick(observations, party="server")
    client = pick(observations, party="client")
    theirs = server or client
    if theirs is None:
        emit(Report("no-data", None, None, message=f"{source} holds no signed request"), as_json)
        return
    request: Request | None = opts.build() if opts.given else (client.request if client else None)
    resolved = resolve_credentials(access_key, secret_key, session_token, profile=profile)
    credentials: Credentials | None = resolved.credentials
    notes: list[str] = []
    if resolved.example and secret_key is None:
        credentials = None  # no secret given: compare what the sources show, no recomputation
    when_server = parse_time(now, field="--now") if now else None
    ours: Observation | None = None
    if (
        server is not None
        and client is not None
        and client.canonical_request
        and not (credentials and opts.given)
    ):
        ours = client  # both parties' own views: no secret needed
        notes.append("compared the client's logged steps with the server's")
    elif request is not None and credentials is not None:
        when = signing_time(date, theirs)
        when_server = when_server or when
        result = recompute(request, credentials, when, opts, theirs.credential_scope)
        ours = observation_of(result)
        request = result.request if opts.given else request
    else:
        missing = "the secret (--secret-key)" if request is not None else "the request and secret"
        notes.append(f"give {missing} to recompute the signature")
    secret = credentials.secret_access_key if credentials else None
    if ours is None:
        report = Report(
            "no-data",
            None,
            theirs,
            notes=tuple(notes),
            message=f"nothing to compare {theirs.source} with",
        )
        from_error = findings_from_error(theirs)
        if from_error:
            report = Report(
                "mismatch", None, theirs, findings=tuple(from_error), notes=tuple(notes)
            )
        elif theirs.error_code:
            report = Report(
                "no-data",
                None,
                theirs,
                notes=tuple(notes),
                message=f"the server answered {theirs.error_code}, but there is nothing to "
                "recompute it with",
            )
        emit(report, as_json)
        return
    report = build_report(
        ours,
        theirs,
        secret=secret,
        request=request,
        when=when_server,
        message_a="our side",
        message_b=source,
        notes=tuple(notes),
    )
    if theirs.party == "server" and theirs.error_code:
        report = Report(
            report.verdict,
            report.ours,
            report.theirs,
            report.compared,
            report.differences,
            report.findings,
            (*report.notes, f"the server answered {theirs.error_code}"),
            report.message,
        )
    emit(report, as_json)

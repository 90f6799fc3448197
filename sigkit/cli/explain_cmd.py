"""`sigkit explain`: a thin renderer of `sigkit.debug.investigate` over the sources given (a
server's error body, an AWS CLI --debug log, a curl capture, a raw request, a presigned URL),
the request when given as for `sign`, and what the user knows."""

from __future__ import annotations

from typing import Annotated

import typer

from sigkit.cli.common import resolve_credentials
from sigkit.cli.diff_cmd import (
    Hint,
    RequestOptions,
    StoreName,
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
    RequestFile,
    SecretKey,
    SessionToken,
    ShowSecrets,
    SigningDate,
    UnsignedPayload,
    UploadFile,
)
from sigkit.debug.investigate import investigate
from sigkit.debug.model import Observation
from sigkit.debug.report import hidden_values, load, pick
from sigkit.http import Request
from sigkit.result import SigningResult
from sigkit.timefmt import parse_time
from sigkit.verify import read_auth


def explain(
    args: Annotated[
        list[str],
        typer.Argument(
            help="SOURCE (file, '-' for stdin, or a presigned URL), then optionally "
            "the request as for sign: [METHOD] URL"
        ),
    ],
    also: Annotated[
        list[str] | None,
        typer.Option(
            "--also",
            help="another source (repeatable): e.g. the server's error body next to the "
            "client's --debug log, or the answer file next to a raw request",
        ),
    ] = None,
    request_method: Method = None,
    header: Header = None,
    data: Data = None,
    data_binary: DataBinary = None,
    upload_file: UploadFile = None,
    data_file: DataFile = None,
    request_file: RequestFile = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="the server's region: a scope for another is named as the cause; also the "
            "signing region of a request given unsigned [given only: the environment's region "
            "signs such a request but is not taken as the server's]",
        ),
    ] = None,
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            help="the server's service (s3, execute-api ...); also the signing service of a "
            "request given unsigned",
        ),
    ] = None,
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
    """Explain why a signed request was refused, from whatever you have: an AWS CLI/botocore
    --debug log (with the server's answer in it or not), a server's error body, curl -v /
    --trace-ascii output, a raw HTTP request, a presigned URL (SOURCE and --also, any mix), plus
    the secret (--secret-key; the access key is read from the source), the server's time
    (--now; else its answer's Date) and its region/service. Every source adds evidence: the
    server's answer, the request as sent verified as the server would, the signing steps two
    views share compared, and a search of the slips clients make. Prints the first difference,
    the findings (cause, evidence, fix; certain ones first), what else would help, and a
    one-line verdict. Exit status: 0 match, 1 mismatch or refused, 2 an input error or nothing
    to compare (no-data).
    """
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
    names = [source, *(also or [])]
    loaded = [load(name, hint=hint) for name in names]  # one list per source
    observations = [obs for one in loaded for obs in one]
    resolved = resolve_credentials(
        access_key, secret_key, session_token, profile=profile, access_key_from_source=True
    )
    given = secret_key is not None or not resolved.example
    server_now = parse_time(now, field="--now") if now else None
    extra: list[Observation | Request | SigningResult] = []
    if opts.given:
        request = opts.build()
        if read_auth(request) is not None:
            extra.append(request)  # a signed request: the request as sent
        elif given:
            theirs = pick(observations, party="server") or pick(observations)
            key = theirs.access_key_id if theirs is not None else None
            credentials = resolved.for_access_key(key)
            when = signing_time(date, theirs)
            scope = theirs.credential_scope if theirs is not None else None
            signed = recompute(request, credentials, when, opts, scope)
            if signed is not None:  # always, for a request given unsigned
                extra.append(signed)
    report = investigate(
        *loaded,
        *extra,
        # --secret-key alone: the key is the one the sources name, whatever the environment's.
        credentials=(
            resolved.credentials
            if given and resolved.access_key_known and (secret_key is None or access_key)
            else None
        ),
        secret=resolved.credentials.secret_access_key if given else None,
        access_key=access_key,
        session_token=session_token,
        now=server_now,
        region=region,
        service=service,
        store=store,
    )
    masked = [resolved.credentials.secret_access_key, resolved.credentials.session_token]
    for item in extra:
        if isinstance(item, SigningResult):
            masked.extend(item.sensitive)
        elif isinstance(item, Request):
            masked.extend(hidden_values([], item))
    secrets = hidden_values(observations, None, *masked)
    emit(report, as_json, show_secrets=show_secrets, secrets=secrets)

"""`sigkit verify`: is the signature of a received request valid, and if not, why."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from sigkit.cli.common import resolve_credentials
from sigkit.cli.diff_cmd import StoreName
from sigkit.cli.options import ShowSecrets
from sigkit.credentials import Credentials
from sigkit.debug.investigate import investigate, server_time
from sigkit.debug.model import Observation
from sigkit.debug.report import Report, hidden_values, load
from sigkit.debug.sources_common import request_fields
from sigkit.errors import InputError
from sigkit.http import Request, parse_request_text
from sigkit.render import redact, redact_data
from sigkit.timefmt import parse_time
from sigkit.verify import MAX_SKEW

MAX_INPUT = 64 << 20  # a capture larger than this is not a single request

# The S3 documentation's "GET Object" example as the server received it, with its
# published signature; checked with the documentation's key pair at its own time.
EXAMPLE_REQUEST = (
    "GET /test.txt HTTP/1.1\r\n"
    "Host: examplebucket.s3.amazonaws.com\r\n"
    "Range: bytes=0-9\r\n"
    "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\n"
    "x-amz-date: 20130524T000000Z\r\n"
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
    "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41\r\n\r\n"
)


def _client(request: Request) -> Observation:
    return Observation(
        "raw-http", "client", request=request, where="line 1", **request_fields(request)
    )


def render(report: Report) -> str:
    """Plain text: verdict, S3's refusal, the causes, then what we computed."""
    outcome = report.verification
    lines = [f"verdict: {report.verdict}"]
    if outcome is not None and outcome.algorithm:
        lines.append(f"algorithm: {outcome.algorithm} ({outcome.variant})")
    if outcome is not None and outcome.access_key_id:
        lines.append(f"access key: {outcome.access_key_id}")
    for problem in outcome.problems if outcome is not None else ():
        cause = f" [{problem.cause}]" if problem.cause else ""
        lines.append(f"problem: {problem.code}{cause}: {problem.message}")
        lines.extend(f"  {name}: {value}" for name, value in problem.details)
    lines.extend(f"refused: {r}" for r in report.refusals)
    for finding in report.findings:
        how = "certain" if finding.certain else "likely"
        lines.append(f"cause: {finding.cause} ({how}): {finding.evidence}")
        lines.append(f"fix [{finding.cause}]: {finding.fix}")
        if finding.detail:
            lines.append(f"here [{finding.cause}]: {finding.detail}")
    lines.extend(f"to tell more: {n}" for n in report.needs)
    data = outcome.to_dict() if outcome is not None else {}
    for key in ("signature_provided", "signature_computed"):
        if data.get(key):
            lines.append(f"{key.replace('_', ' ')}: {data[key]}")
    for key in ("canonical_request", "string_to_sign"):
        value = data.get(key)
        if isinstance(value, str):
            lines.append(f"\n{key.replace('_', ' ')}:\n{value}")
    return "\n".join(lines) + "\n"


def verify(
    source: Annotated[
        str | None,
        typer.Argument(
            help="a presigned URL, or a file ('-' for stdin) holding the request as sent: raw "
            "HTTP, curl -v / --trace-ascii / --trace output, an AWS CLI or botocore --debug log, "
            "or a URL (an S3 error body is the server's answer, not a request: give it to "
            "explain)"
        ),
    ] = None,
    access_key: Annotated[str | None, typer.Option("--access-key", help="access key id")] = None,
    secret_key: Annotated[
        str | None, typer.Option("--secret-key", help="secret access key")
    ] = None,
    session_token: Annotated[
        str | None, typer.Option("--session-token", help="expected session token")
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="shared config/credentials profile")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="the server's time (default: now, UTC)")
    ] = None,
    skew: Annotated[
        int, typer.Option("--skew", help="allowed clock skew, seconds", min=0, max=MAX_SKEW)
    ] = 900,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="the server's region: a SigV4 scope for another is refused as S3 refuses it "
            "[AWS_REGION, AWS_DEFAULT_REGION, profile; default: any]",
        ),
    ] = None,
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            help="the server's service (s3, execute-api ...): a SigV4 scope for another is "
            "refused [default: any]",
        ),
    ] = None,
    hint: Annotated[
        str | None,
        typer.Option("--format", help="input format (default: detected): http, curl, awscli, url"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    store: StoreName = None,
    show_secrets: ShowSecrets = False,
    example: Annotated[
        bool, typer.Option("--example", help="verify the S3 documentation's GET example")
    ] = False,
) -> int:
    """Verify the signature of a received request (V2, V4 header or query) with the secret, as
    S3 would: verdict, S3's refusal (code, message, elements), the canonical request and string
    to sign computed, and why it does not match.

    SOURCE is the request as the server received it: a presigned URL, raw HTTP request text,
    curl -v / --trace-ascii / --trace output, or an AWS CLI / botocore --debug log (the first
    request). An S3 error body holds no request: give it to 'sigkit explain'.
    Every other thing the source shows is evidence too: a log's or curl output's answer from the
    server (its code, its Date as the server's time when --now is not given).
    Exit status 0 when it matches, 1 when not (or when the source shows it refused)."""
    if example:
        if source is not None:
            raise InputError("--example", "the example is a whole request; drop SOURCE")
        observations = [_client(parse_request_text(EXAMPLE_REQUEST, source="example"))]
        now = now or "20130524T000000Z"
    elif source is None:
        raise InputError("SOURCE", "give a presigned URL or a request file ('-' for stdin)")
    else:
        observations = load(source, hint=hint)
    sent = [o for o in observations if o.party == "client" and o.request is not None]
    if not sent:
        raise InputError(str(source), "holds no request as the client sent it")
    env: dict[str, str] | None = {} if example else None
    resolved = resolve_credentials(
        access_key,
        secret_key,
        session_token,
        env,
        profile=profile,
        region=region,
        read_files=not example,
        access_key_from_source=True,
    )
    source_key = sent[-1].access_key_id
    credentials = resolved.for_access_key(source_key)
    if secret_key is not None and access_key is None and source_key:
        # --secret-key alone is the secret of the key the request names, whatever the
        # environment's AWS_ACCESS_KEY_ID says.
        credentials = Credentials(source_key, secret_key, credentials.session_token)
    # The server's time: --now, else what its answer in the source says, else this clock.
    when = parse_time(now, field="--now") if now else None
    if when is None:
        when = server_time([o for o in observations if o.party == "server"])[0]
    when = when or datetime.now(UTC)
    # The server's region: --region, else AWS_REGION, AWS_DEFAULT_REGION, the profile's.
    region = resolved.region.value if resolved.region is not None else None
    report = investigate(
        observations,
        credentials=credentials,
        access_key=credentials.access_key_id,  # the server's: a request for another is refused
        now=when,
        region=region,
        service=service,
        skew=timedelta(seconds=skew),
        store=store,
    )
    outcome = report.verification
    # The secret, the session token and every token the request carries are masked unless
    # --show-secrets (sigkit.render.redact: one rule for every command).
    secrets = hidden_values(
        observations, None, credentials.secret_access_key, credentials.session_token
    )
    if as_json:
        data: dict[str, object] = dict(outcome.to_dict()) if outcome is not None else {}
        data.update(
            verdict=report.verdict,
            findings=[f.to_dict() for f in report.findings],
            refusals=list(report.refusals),
            needs=list(report.needs),
        )
        print(json.dumps(data if show_secrets else redact_data(data, secrets), indent=2))
    else:
        text = render(report)
        sys.stdout.write(text if show_secrets else redact(text, secrets))
    code = report.exit_code
    if code:
        raise typer.Exit(code)
    return code

"""`sigkit verify`: is the signature of a received request valid, and if not, why."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from sigkit.cli.common import resolve_credentials
from sigkit.debug.investigate import received
from sigkit.debug.model import Finding
from sigkit.errors import InputError
from sigkit.http import Request, parse_request_text
from sigkit.timefmt import parse_time
from sigkit.verify import VerifyResult, verify_request

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


def _load(source: str, hint: str | None) -> Request:
    """A presigned URL as given, else a file (``-`` for stdin): raw HTTP request text, a curl
    -v / --trace-ascii capture or a URL (read by sigkit.debug.sources when installed)."""
    if source.startswith(("http://", "https://")):
        data = source.encode("utf-8", "surrogateescape")
    elif source == "-":
        data = sys.stdin.buffer.read(MAX_INPUT + 1)
    else:
        try:
            with Path(source).open("rb") as stream:
                data = stream.read(MAX_INPUT + 1)
        except OSError as exc:
            raise InputError(source, exc.strerror or str(exc)) from None
    if len(data) > MAX_INPUT:
        raise InputError(source, f"larger than {MAX_INPUT} bytes")
    try:
        from sigkit.debug.sources import read_source
    except ImportError:
        if data.lstrip().startswith((b"http://", b"https://")):
            return Request.from_url("GET", data.decode("utf-8", "replace").strip())
        return parse_request_text(data, source=source)
    name = "URL" if source.startswith(("http://", "https://")) else source
    for observation in read_source(data, hint=hint, name=name):
        if observation.party == "client" and observation.request is not None:
            return observation.request
    raise InputError(source, "holds no request as the client sent it")


def render(outcome: VerifyResult, findings: Sequence[Finding] = ()) -> str:
    """Plain text: verdict, problems, findings, then what we computed."""
    lines = [f"verdict: {outcome.verdict}"]
    if outcome.algorithm:
        lines.append(f"algorithm: {outcome.algorithm} ({outcome.variant})")
    if outcome.access_key_id:
        lines.append(f"access key: {outcome.access_key_id}")
    for problem in outcome.problems:
        cause = f" [{problem.cause}]" if problem.cause else ""
        lines.append(f"problem: {problem.code}{cause}: {problem.message}")
        lines.extend(f"  {name}: {value}" for name, value in problem.details)
    for finding in findings:
        how = "certain" if finding.certain else "likely"
        lines.append(f"cause: {finding.cause} ({how}): {finding.evidence}")
        lines.append(f"fix [{finding.cause}]: {finding.fix}")
    data = outcome.to_dict()
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
    skew: Annotated[int, typer.Option("--skew", help="allowed clock skew, seconds", min=0)] = 900,
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
    Exit status 0 when it matches, 1 when not."""
    if example:
        if source is not None:
            raise InputError("--example", "the example is a whole request; drop SOURCE")
        request = parse_request_text(EXAMPLE_REQUEST, source="example")
        now = now or "20130524T000000Z"
    elif source is None:
        raise InputError("SOURCE", "give a presigned URL or a request file ('-' for stdin)")
    else:
        request = _load(source, hint)
    env: dict[str, str] | None = {} if example else None
    resolved = resolve_credentials(
        access_key,
        secret_key,
        session_token,
        env,
        profile=profile,
        region=region,
        read_files=not example,
    )
    when = parse_time(now, field="--now") if now else datetime.now(UTC)
    # The server's region: --region, else AWS_REGION, AWS_DEFAULT_REGION, the profile's.
    region = resolved.region.value if resolved.region is not None else None
    outcome = verify_request(
        request,
        resolved.credentials,
        when,
        skew=timedelta(seconds=skew),
        region=region,
        service=service,
    )
    findings = received(request, outcome, resolved.credentials, when)
    if as_json:
        print(
            json.dumps({**outcome.to_dict(), "findings": [f.to_dict() for f in findings]}, indent=2)
        )
    else:
        sys.stdout.write(render(outcome, findings))
    code = 0 if outcome.verdict == "match" else 1
    if code:
        raise typer.Exit(code)
    return code

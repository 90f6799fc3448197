"""`sigkit post-policy`: sign a browser upload form and print its fields and a curl command."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from sigkit.cli.common import note, resolve_credentials
from sigkit.cli.options import (
    AccessKey,
    AsJson,
    EndpointUrl,
    Profile,
    Region,
    SecretKey,
    SessionToken,
    ShowSecrets,
    SigningDate,
)
from sigkit.curl import form_command
from sigkit.errors import InputError
from sigkit.postpolicy import ConditionLike, PostResult
from sigkit.render import redact, render_json, render_text, use_colour
from sigkit.timefmt import parse_time

_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,254}\Z")
SKIP_STEPS = ("canonical_uri", "canonical_query", "canonical_headers", "signed_request")


def _s3_target(target: str) -> tuple[str, str | None]:
    if not target.startswith("s3://"):
        raise InputError("TARGET", f"{target!r} is not s3://BUCKET[/KEY]")
    bucket, _, key = target[len("s3://") :].partition("/")
    if not _BUCKET.match(bucket):
        raise InputError("TARGET", f"{bucket!r} is not a bucket name (letters, digits, '.', '-')")
    return bucket, key or None


def _form_url(bucket: str, region: str, endpoint_url: str | None) -> str:
    """The bucket's address: path style under a custom endpoint, virtual-hosted on AWS."""
    if endpoint_url:
        return endpoint_url.rstrip("/") + "/" + bucket
    return f"https://{bucket}.s3.{region}.amazonaws.com/"


def _conditions(items: list[str]) -> list[ConditionLike]:
    out: list[ConditionLike] = []
    for item in items:
        try:
            value = json.loads(item)
        except RecursionError:
            raise InputError("--condition", "the JSON nests too deeply") from None
        except ValueError as exc:
            raise InputError("--condition", f"{item!r} is not JSON: {exc}") from None
        if not isinstance(value, dict | list):
            raise InputError("--condition", f"{item!r} is neither a JSON list nor an object")
        out.append(value)
    return out


def _fields(items: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError("--field", f"{item!r} is not NAME=VALUE")
        out.append((name, value))
    return out


def _write_page(path: str, result: PostResult, url: str) -> None:
    """The upload page (sigkit.postpolicy.html), written whole or not at all; 0600 when it
    carries a session token, else with the umask's mode (a policy and its signature allow
    only what the policy says, and the page is made to be handed out)."""
    from sigkit.files import write_file
    from sigkit.postpolicy.html import holds_secret, render_form_page

    secret = holds_secret(result)
    write_file(path, render_form_page(result, url=url).encode("utf-8"), secret=secret)
    mode = " (mode 0600: it holds the session token)" if secret else ""
    note(f"wrote the upload form to {path}{mode}; open it in a browser")


def post_policy(
    target: Annotated[str, typer.Argument(help="s3://BUCKET/KEY (KEY may end in ${filename})")],
    file: Annotated[str, typer.Option("--file", help="file the curl command uploads")] = "FILE",
    sig: Annotated[str, typer.Option("--sig", help="v4 or v2")] = "v4",
    region: Region = None,
    endpoint_url: EndpointUrl = None,
    starts_with: Annotated[
        str | None, typer.Option("--key-prefix", help="allow any key starting with this")
    ] = None,
    condition: Annotated[
        list[str] | None,
        typer.Option("--condition", help="JSON, e.g. '[\"content-length-range\", 0, 1048576]'"),
    ] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", help="NAME=VALUE form field")
    ] = None,
    expires: Annotated[int, typer.Option("--expires", help="policy lifetime, seconds")] = 3600,
    date: SigningDate = None,
    access_key: AccessKey = None,
    secret_key: SecretKey = None,
    session_token: SessionToken = None,
    profile: Profile = None,
    show_secrets: ShowSecrets = False,
    inline_secrets: Annotated[
        bool, typer.Option("--inline-secrets", help="put the session token in the command")
    ] = False,
    as_json: AsJson = False,
    curl: Annotated[
        bool,
        typer.Option(
            "--curl", help="stdout: the curl command alone (pipe it to bash); steps on stderr"
        ),
    ] = False,
    html: Annotated[
        str | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="also write a self-contained HTML page whose form uploads with this policy",
        ),
    ] = None,
) -> None:
    """Sign a POST policy (browser upload) and print every step, the form fields and a
    ready-to-run curl command (with --curl, the command alone on stdout; with --html FILE,
    also a web page whose form a browser submits)."""
    if curl and as_json:
        raise InputError("--curl", "prints the command alone; --json holds it as 'curl'")
    bucket, key = _s3_target(target)
    conditions = _conditions(list(condition or []))
    if starts_with is not None:
        if key is not None:
            raise InputError("--key-prefix", "give either a KEY in the target or --key-prefix")
        conditions.append(["starts-with", "$key", starts_with])
        key = starts_with + "${filename}"
    if key is None:
        raise InputError("TARGET", "name the key: s3://BUCKET/KEY or --key-prefix")
    resolved = resolve_credentials(
        access_key,
        secret_key,
        session_token,
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        service="s3",
    )
    credentials, source = resolved.credentials, resolved.credentials_source
    region = resolved.region.value if resolved.region else "us-east-1"
    endpoint_url = resolved.endpoint_url.value if resolved.endpoint_url else None
    when = parse_time(date, field="--date") if date else datetime.now(UTC)
    url = _form_url(bucket, region, endpoint_url)
    extra = _fields(list(field or []))
    if sig == "v4":
        from sigkit.sigv4.post_policy import presign_post_v4

        result = presign_post_v4(
            credentials,
            when,
            region=region,
            bucket=bucket,
            key=key,
            conditions=conditions,
            fields=extra,
            expires_in=expires,
            url=url,
        )
    elif sig == "v2":
        from sigkit.sigv2.post_policy import presign_post_v2

        result = presign_post_v2(
            credentials,
            when,
            bucket=bucket,
            key=key,
            conditions=conditions,
            fields=extra,
            expires_in=expires,
            url=url,
        )
    else:
        raise InputError("--sig", f"{sig!r} is not v4 or v2")
    if html is not None:
        _write_page(html, result, url)
    token = credentials.session_token
    variables = {} if inline_secrets or not token else {"AWS_SESSION_TOKEN": token}
    command = form_command(url, result.fields, file, variables=variables)
    if as_json:
        print(
            render_json(
                result,
                show_secrets=show_secrets,
                url=url,
                fields=[list(f) for f in result.fields]
                if show_secrets
                else [[n, redact(v, result.sensitive)] for n, v in result.fields],
                curl=command,
            )
        )
        return
    if not resolved.from_flags:
        note(f"credentials: {source}")
    for what, item in (("region", resolved.region), ("endpoint", resolved.endpoint_url)):
        if item is not None and not item.source.startswith("--"):
            note(f"{what} {item.value} from {item.source}")
    steps = sys.stderr if curl else sys.stdout
    steps.write(
        render_text(result, colour=use_colour(steps), show_secrets=show_secrets, skip=SKIP_STEPS)
    )
    if curl:
        steps.flush()
    else:
        sys.stdout.write("\n== Upload with curl (the file part must come last)\n")
    sys.stdout.write(command + "\n")

"""Pieces several commands share: credentials, region and endpoint resolution, output streams."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from sigkit.credentials import Resolved, Sourced, resolve, resolve_region
from sigkit.endpoints import infer_scope
from sigkit.errors import InputError

_FILE_VARIABLES = ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE")


def _home(env: Mapping[str, str]) -> Path | None:
    """The user's home for ``~/.aws``; from HOME only when the caller passed its own env, so
    that tests never reach the real one."""
    if env is os.environ:
        try:
            return Path.home()
        except RuntimeError:
            return None
    home = env.get("HOME")
    return Path(home) if home else None


def resolve_credentials(
    access_key: str | None,
    secret_key: str | None,
    session_token: str | None,
    env: Mapping[str, str] | None = None,
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    service: str | None = None,
    read_files: bool = True,
    access_key_from_source: bool = False,
) -> Resolved:
    """Flags, then environment variables, then the shared files (see sigkit.credentials.resolve);
    with none at all, the AWS documentation example pair, which `Resolved.example` flags since a
    signature made with it is only an example. `read_files=False` keeps ``~/.aws`` out.

    `--secret-key` alone takes its access key from AWS_ACCESS_KEY_ID; with neither,
    `access_key_from_source=True` (commands whose source names the key: explain, diff, verify)
    returns credentials whose key is filled in by `Resolved.for_access_key(key_in_the_source)`.
    The region is `sigkit.credentials.REGION_ORDER`; see `signing_scope` for the host's part."""
    env = os.environ if env is None else env
    home = _home(env) if read_files else None
    if not read_files:
        env = {k: v for k, v in env.items() if k not in _FILE_VARIABLES}
    return resolve(
        env=env,
        home=home,
        access_key=access_key,
        secret_key=secret_key,
        session_token=session_token,
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        service=service,
        access_key_from_source=access_key_from_source,
    )


def configured_region(
    region: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    profile: str | None = None,
    read_files: bool = True,
) -> Sourced | None:
    """--region, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region: the same
    order as `resolve_credentials(...).region`, for commands that resolve no credentials."""
    env = os.environ if env is None else env
    home = _home(env) if read_files else None
    if not read_files:
        env = {k: v for k, v in env.items() if k not in _FILE_VARIABLES}
    return resolve_region(env=env, home=home, region=region, profile=profile)


def signing_scope(
    host: str,
    region: str | None,
    service: str | None,
    notes: list[str],
    configured: Sourced | None = None,
) -> tuple[str, str]:
    """The region and service to sign for, the one rule every signing command follows:
    --region/--service, else what an AWS (or known store's) host name says, else (region
    only) the `configured` region (AWS_REGION, AWS_DEFAULT_REGION, the profile; see
    `configured_region`). Remarks for the user go to `notes`.

    The host beats the environment: AWS refuses a scope for another region than the host's
    (AuthorizationHeaderMalformed, "the region 'us-east-1' is wrong; expecting 'eu-west-1'").
    botocore given such an endpoint signs first with its configured region and, on that
    refusal, retries with the region S3 names; sigkit signs once, with the host's region, and
    says so when the environment names another."""
    host_region, host_service = infer_scope(host)
    guessed = [
        f"{what} {value!r}"
        for what, given, value in (
            ("region", region, host_region),
            ("service", service, host_service),
        )
        if given is None and value is not None
    ]
    from_host = region is None and host_region is not None
    region = region or host_region
    service = service or host_service
    if not region and configured is not None:
        region = configured.value
        notes.append(f"region {region!r} from {configured.source} (the host names none)")
    if not region:
        raise InputError(
            "--region",
            f"missing; the host {host!r} does not name one (nor AWS_REGION, AWS_DEFAULT_REGION "
            "or the profile)",
        )
    if not service:
        raise InputError("--service", f"missing; the host {host!r} does not name one")
    if guessed:
        other = ""
        if from_host and configured is not None and configured.value != region:
            other = f"; {configured.source} says {configured.value!r}"
        notes.append(
            f"{' and '.join(guessed)} read from the host name (--region/--service to change{other})"
        )
    return region, service


def note(message: str) -> None:
    print(f"sigkit: {message}", file=sys.stderr)

"""Pieces several commands share: credentials, region and endpoint resolution, output streams."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from sigkit.credentials import Resolved, resolve

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
) -> Resolved:
    """Flags, then environment variables, then the shared files (see sigkit.credentials.resolve);
    with none at all, the AWS documentation example pair, which `Resolved.example` flags since a
    signature made with it is only an example. `read_files=False` keeps ``~/.aws`` out."""
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
    )


def note(message: str) -> None:
    print(f"sigkit: {message}", file=sys.stderr)

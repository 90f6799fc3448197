"""Pieces several commands share: credentials from flags or environment, output streams."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from sigkit.credentials import EXAMPLE_ACCESS_KEY_ID, EXAMPLE_SECRET_ACCESS_KEY, Credentials
from sigkit.errors import InputError


def resolve_credentials(
    access_key: str | None,
    secret_key: str | None,
    session_token: str | None,
    env: Mapping[str, str] | None = None,
) -> tuple[Credentials, str]:
    """Flags, then AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, then the AWS
    documentation example pair (said so, since a signature made with it is only an example)."""
    env = os.environ if env is None else env
    if access_key is not None or secret_key is not None:
        if not access_key:
            raise InputError("--access-key", "missing (given --secret-key without it)")
        if not secret_key:
            raise InputError("--secret-key", "missing (given --access-key without it)")
        return Credentials(access_key, secret_key, session_token or None), "command line"
    env_key = env.get("AWS_ACCESS_KEY_ID")
    env_secret = env.get("AWS_SECRET_ACCESS_KEY")
    if env_key is not None or env_secret is not None:
        if not env_key:
            raise InputError(
                "AWS_ACCESS_KEY_ID", "empty or unset while AWS_SECRET_ACCESS_KEY is set"
            )
        if not env_secret:
            raise InputError(
                "AWS_SECRET_ACCESS_KEY", "empty or unset while AWS_ACCESS_KEY_ID is set"
            )
        token = session_token or env.get("AWS_SESSION_TOKEN") or None
        return Credentials(env_key, env_secret, token), "environment"
    creds = Credentials(EXAMPLE_ACCESS_KEY_ID, EXAMPLE_SECRET_ACCESS_KEY, session_token or None)
    return creds, "the AWS documentation example credentials (no credentials were given)"


def note(message: str) -> None:
    print(f"sigkit: {message}", file=sys.stderr)

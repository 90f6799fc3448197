"""`sigkit config`: what credentials, region and endpoint the other commands would use, and from
where, so that a wrong profile or a stray environment variable is visible before signing."""

from __future__ import annotations

import json
import sys
from typing import Any

from sigkit.cli.common import resolve_credentials
from sigkit.cli.options import (
    AccessKey,
    AsJson,
    EndpointUrl,
    Profile,
    Region,
    SecretKey,
    SessionToken,
    ShowSecrets,
)
from sigkit.credentials import Resolved, SharedFile, Sourced, mask

NOT_SET = "(not set)"


def rows(resolved: Resolved, *, show_secrets: bool = False) -> list[tuple[str, str | None, str]]:
    """(item, value or None, source) in display order; secrets masked unless asked."""
    creds = resolved.credentials

    def secret(value: str | None) -> str | None:
        return value if value is None or show_secrets else mask(value)

    def sourced(item: Sourced | None) -> tuple[str | None, str]:
        return (item.value, item.source) if item is not None else (None, "")

    def shared(item: SharedFile | None) -> tuple[str | None, str]:
        if item is None:
            return None, "no home directory"
        return item.path or None, item.source + ("" if item.found else ", not found")

    return [
        ("profile", *sourced(resolved.profile)),
        ("access_key_id", creds.access_key_id, resolved.credentials_source),
        ("secret_access_key", secret(creds.secret_access_key), resolved.credentials_source),
        ("session_token", secret(creds.session_token), resolved.session_token_source or ""),
        ("region", *sourced(resolved.region)),
        ("endpoint_url", *sourced(resolved.endpoint_url)),
        ("credentials_file", *shared(resolved.credentials_file)),
        ("config_file", *shared(resolved.config_file)),
    ]


def render_config_text(resolved: Resolved, *, show_secrets: bool = False) -> str:
    table = rows(resolved, show_secrets=show_secrets)
    name_width = max(len(name) for name, _, _ in table)
    value_width = max(len(value or NOT_SET) for _, value, _ in table)
    lines = [
        f"{name:<{name_width}}  {value or NOT_SET:<{value_width}}  {source}".rstrip()
        for name, value, source in table
    ]
    return "\n".join(lines) + "\n"


def render_config_json(resolved: Resolved, *, show_secrets: bool = False) -> str:
    document: dict[str, Any] = {
        name: {"value": value, "source": source or None}
        for name, value, source in rows(resolved, show_secrets=show_secrets)
    }
    document["example_credentials"] = resolved.example
    document["secrets_masked"] = not show_secrets
    return json.dumps(document, indent=2, ensure_ascii=False)


def config(
    profile: Profile = None,
    region: Region = None,
    endpoint_url: EndpointUrl = None,
    access_key: AccessKey = None,
    secret_key: SecretKey = None,
    session_token: SessionToken = None,
    show_secrets: ShowSecrets = False,
    as_json: AsJson = False,
) -> None:
    """Show the credentials, region, endpoint URL and profile that sigkit resolves from flags,
    environment variables and ~/.aws/{credentials,config}, each with where it came from."""
    resolved = resolve_credentials(
        access_key,
        secret_key,
        session_token,
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        service="s3",
    )
    if as_json:
        print(render_config_json(resolved, show_secrets=show_secrets))
        return
    sys.stdout.write(render_config_text(resolved, show_secrets=show_secrets))

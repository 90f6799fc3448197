"""Command-line options several commands share, declared once so they read the same way
everywhere (name, type, help)."""

from __future__ import annotations

from typing import Annotated

import typer

AccessKey = Annotated[str | None, typer.Option("--access-key", help="access key id")]
SecretKey = Annotated[str | None, typer.Option("--secret-key", help="secret access key")]
SessionToken = Annotated[str | None, typer.Option("--session-token", help="session token")]
Profile = Annotated[str | None, typer.Option("--profile", help="shared config/credentials profile")]
Region = Annotated[str | None, typer.Option("--region", help="signing region")]
EndpointUrl = Annotated[
    str | None, typer.Option("--endpoint-url", help="S3-compatible endpoint, scheme://host[:port]")
]
SigningDate = Annotated[str | None, typer.Option("--date", help="signing time (default: now, UTC)")]
ShowSecrets = Annotated[
    bool, typer.Option("--show-secrets", help="print key material and tokens in full")
]
AsJson = Annotated[bool, typer.Option("--json", help="machine-readable output")]
UnsignedPayload = Annotated[bool, typer.Option("--unsigned-payload", help="sign UNSIGNED-PAYLOAD")]
PayloadHash = Annotated[str | None, typer.Option("--payload-hash", help="payload hash to sign")]
Bucket = Annotated[str | None, typer.Option("--bucket", help="V2: bucket for the resource")]
Addressing = Annotated[
    str | None, typer.Option("--addressing", help="V2: virtual-hosted|path|service")
]

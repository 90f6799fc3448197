"""Command-line options several commands share, declared once so they read the same way
everywhere (name, type, help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

AccessKey = Annotated[str | None, typer.Option("--access-key", help="access key id")]
SecretKey = Annotated[
    str | None,
    typer.Option(
        "--secret-key", help="secret access key (given alone: AWS_ACCESS_KEY_ID's access key)"
    ),
]
SessionToken = Annotated[str | None, typer.Option("--session-token", help="session token")]
Profile = Annotated[str | None, typer.Option("--profile", help="shared config/credentials profile")]
Region = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="signing region [the host's, else AWS_REGION, AWS_DEFAULT_REGION, the profile's]",
    ),
]
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

# The request, in curl's vocabulary (sign, diff --ours, explain, vectors new).
Method = Annotated[str | None, typer.Option("-X", "--request", help="HTTP method")]
Header = Annotated[
    list[str] | None, typer.Option("-H", "--header", help="'Name: value'; repeatable")
]
Data = Annotated[
    str | None, typer.Option("-d", "--data", help="body as given; @FILE reads it (CR/LF dropped)")
]
DataBinary = Annotated[
    str | None, typer.Option("--data-binary", help="body as given; @FILE sends its bytes")
]
UploadFile = Annotated[
    str | None, typer.Option("-T", "--upload-file", help="PUT this file's bytes ('-' = stdin)")
]
DataFile = Annotated[
    Path | None, typer.Option("--data-file", help="body from a file ('-' = stdin)")
]
RequestFile = Annotated[Path | None, typer.Option("--request-file", help="raw HTTP request text")]
Service = Annotated[str | None, typer.Option("--service", help="signing service, e.g. s3")]

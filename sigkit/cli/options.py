"""Command-line options several commands share, declared once so they read the same way
everywhere (name, type, help)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, get_type_hints

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

# Checksums and store profiles (sign, curl, presign, chunked; serve may take --store too).
StoreName = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="store profile (aws, r2, b2, minio, ceph, gcs, ...): build what it accepts "
        "[recognised from the endpoint host]",
    ),
]
Checksum = Annotated[
    str | None,
    typer.Option(
        "--checksum",
        help="crc32, crc32c, crc64nvme, sha1, sha256, ...: send x-amz-checksum-* as the 2025 "
        "SDKs do; none: send none (when_required)",
    ),
]
Trailer = Annotated[
    bool,
    typer.Option(
        "--trailer",
        help="--checksum as an aws-chunked trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER), the "
        "SDKs' form over https",
    ),
]


# --- a group of options several sub-commands share, declared once ----------------------------


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option of a shared group: the parameter name, its annotation (an
    ``Annotated[..., typer.Option(...)]``) and its default."""

    name: str
    annotation: Any
    default: Any


def shared_options(
    group: Sequence[OptionSpec],
    build: Callable[..., Any],
    *,
    omit: Sequence[str] = (),
    into: str = "options",
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the options of `group` (after its own, in the group's order) and pass
    them to it as one object, ``build(**values)``, in its parameter `into`.

    Each command then declares only its own options; `omit` names group options a command
    does not take (``build`` gets their defaults).
    """

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        hints = get_type_hints(func, include_extras=True)
        own = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in inspect.signature(func).parameters.values()
            if p.name != into
        ]
        added = [
            inspect.Parameter(
                spec.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=spec.annotation,
                default=spec.default,
            )
            for spec in group
            if spec.name not in omit
        ]
        names = {spec.name for spec in group}

        @functools.wraps(func)
        def command(**kwargs: Any) -> None:
            values = {spec.name: spec.default for spec in group}
            values.update({k: v for k, v in kwargs.items() if k in names})
            own_values = {k: v for k, v in kwargs.items() if k not in names}
            func(**own_values, **{into: build(**values)})

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + added
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        del command.__wrapped__  # typer reads the signature above, not func's
        return command

    return decorate

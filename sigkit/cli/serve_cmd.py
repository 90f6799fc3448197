"""`sigkit serve`: a local endpoint that verifies every request it receives."""

from __future__ import annotations

import json
import math
import signal
import socket
import sys
from datetime import timedelta
from typing import Annotated

import typer

from sigkit import stores
from sigkit.cli.common import note, resolve_credentials
from sigkit.errors import InputError
from sigkit.serve import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_CONNECTIONS,
    FORMAT_PARAM,
    VerifyingServer,
    is_loopback,
    tls_context,
)
from sigkit.verify import MAX_SKEW


def serve(
    host: Annotated[str | None, typer.Option("--host", help="address to bind [127.0.0.1]")] = None,
    port: Annotated[
        int, typer.Option("--port", help="port (0: any free)", min=0, max=65535)
    ] = 8400,
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
    skew: Annotated[
        int, typer.Option("--skew", help="allowed clock skew, seconds", min=0, max=MAX_SKEW)
    ] = 900,
    scope_region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="the region this endpoint answers for: SigV4 scopes for others are refused "
            "as S3 refuses them [AWS_REGION, AWS_DEFAULT_REGION, profile]",
        ),
    ] = None,
    scope_service: Annotated[
        str | None,
        typer.Option(
            "--service",
            help="the service this endpoint answers for (s3, execute-api ...): SigV4 scopes "
            "for others are refused [default: any]",
        ),
    ] = None,
    max_body: Annotated[
        int, typer.Option("--max-body", help="largest body accepted, bytes", min=0)
    ] = DEFAULT_MAX_BODY,
    deadline: Annotated[
        float,
        typer.Option(
            "--deadline",
            help="seconds a request may take to arrive whole; slower connections are cut",
            min=0.1,
            max=3600,
        ),
    ] = DEFAULT_DEADLINE,
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections",
            help="connections open at once; more are answered 503 SlowDown",
            min=1,
            max=100_000,
        ),
    ] = DEFAULT_MAX_CONNECTIONS,
    diagnose: Annotated[
        bool,
        typer.Option(
            "--diagnose/--no-diagnose",
            help="search which slip explains a bare signature mismatch (uses the secret)",
        ),
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="log one JSON object per line (start-up line too)")
    ] = False,
    store_name: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="answer as this store does to what it refuses (r2, b2, ceph, hetzner, "
            "scality, aliyun, storj, minio, gcs, ...): its status, code and message, with "
            "sigkit's cause; PUT objects are kept for a GET",
        ),
    ] = None,
    tls_cert: Annotated[
        str | None,
        typer.Option("--tls-cert", help="serve https with this PEM certificate (chain)"),
    ] = None,
    tls_key: Annotated[
        str | None, typer.Option("--tls-key", help="the certificate's PEM private key")
    ] = None,
) -> None:
    """Answer every request with its verdict: 200 when the signature matches, else the S3
    error (403 SignatureDoesNotMatch with StringToSign and CanonicalRequest, 403
    RequestTimeTooSkewed / AccessDenied, 400 for malformed requests or another region).
    The error's Message keeps S3's sentence and appends the cause sigkit finds ('sigkit:
    <cause> (certain|likely): <evidence>. Fix: <fix>'), which the AWS CLI and SDKs print;
    Cause, Certain, Evidence, Fix and Finding elements follow. One log line per request
    names the code and the cause. JSON instead of XML with 'Accept: application/json' or
    the query parameter x-sigkit-format=json.

    With --store NAME a request that verifies is answered as that store answers what it
    refuses (docs/stores.md): e.g. --store r2 gives a checksum header 501 NotImplemented
    'Header 'x-amz-checksum-crc32' with value '...' not implemented', --store gcs keeps an
    aws-chunked upload's framing in the object a GET returns."""
    bind = host or "127.0.0.1"
    store = stores.get(store_name) if store_name is not None else None
    if (tls_cert is None) != (tls_key is None):
        raise InputError("--tls-cert" if tls_cert is None else "--tls-key", "give both or none")
    tls = None
    if tls_cert is not None and tls_key is not None:
        try:
            tls = tls_context(tls_cert, tls_key)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
            message = f"cannot load {tls_cert} / {tls_key}: {reason}"
            raise InputError("--tls-cert", message) from None
    if not math.isfinite(deadline):  # nan passes click's range check
        raise InputError("--deadline", f"{deadline!r} is not a number of seconds")
    if host is None and not is_loopback(bind):  # pragma: no cover - default is loopback
        raise InputError("--host", "refusing a non-loopback default")
    resolved = resolve_credentials(
        access_key, secret_key, session_token, profile=profile, region=scope_region
    )
    creds = resolved.credentials
    if resolved.region is not None:  # --region, else AWS_REGION, AWS_DEFAULT_REGION, profile
        scope_region = resolved.region.value
        if resolved.region.source != "--region":
            note(f"region {scope_region} from {resolved.region.source}: other scopes refused")
    try:
        server = VerifyingServer(
            (bind, port),
            {creds.access_key_id: creds},
            skew=timedelta(seconds=skew),
            max_body=max_body,
            log_json=as_json,
            diagnose=diagnose,
            region=scope_region,
            service=scope_service,
            request_deadline=deadline,
            max_connections=max_connections,
            store=store,
            tls=tls,
        )
    except socket.gaierror as exc:  # a host name that does not resolve
        raise InputError("--host", f"cannot listen on {bind!r}: {exc.strerror}") from None
    except OSError as exc:
        raise InputError("--port", f"cannot listen on {bind}:{port}: {exc.strerror}") from None
    except (TypeError, ValueError, UnicodeError):  # a NUL or what IDNA cannot encode
        raise InputError("--host", f"{bind!r} is no host name or address") from None
    actual = server.server_address[1]
    scheme = "https" if tls is not None else "http"
    if not is_loopback(bind):
        note(f"listening on {bind}, reachable from other hosts")
    if as_json:
        print(
            json.dumps(
                {
                    "listening": f"{scheme}://{bind}:{actual}",
                    "store": store.name if store is not None else None,
                    "access_key_id": creds.access_key_id,
                    "format_param": FORMAT_PARAM,
                    "region": scope_region,
                    "service": scope_service,
                }
            ),
            flush=True,
        )
    else:
        note(f"verifying requests for {creds.access_key_id} at {scheme}://{bind}:{actual}/")
        if store is not None:
            note(f"answering as {store.title} answers what it refuses (docs/stores.md)")
    previous = signal.signal(signal.SIGTERM, _interrupt)  # stop as on Ctrl-C, at once
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
    sys.stdout.flush()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt

"""`sigkit proxy`: a live proxy between a client and a store (reverse, forward, re-sign).

Parsing and wiring only: serving is `sigkit.proxy.server`, the log line or diagnosis of each
exchange `sigkit.proxy.diagnosis` (plain `sigkit.proxy.log` when that is absent), re-signing
`sigkit.proxy.resign`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
import os
import re
import signal
import socket
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from sigkit.cli.common import note, resolve_credentials
from sigkit.errors import InputError

DEFAULT_PORT = 8401
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _origin(url: str, option: str) -> Any:
    from sigkit.proxy.upstream import Origin

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise InputError(option, f"{url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InputError(option, f"{url!r}: give scheme://host[:port], e.g. http://127.0.0.1:9000")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InputError(
            option, f"{url!r}: requests keep their own path; give the store without a path"
        )
    if parts.username or parts.password:
        raise InputError(option, f"{url!r}: no user or password in the URL")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise InputError(option, f"{url!r}: the port is not a number from 1 to 65535") from None
    return Origin(scheme, parts.hostname, port)


def _seconds(value: float, option: str) -> float:
    if not math.isfinite(value):
        raise InputError(option, f"{value!r} is not a number of seconds")
    return value


def _pairs(access_keys: list[str], secret_keys: list[str]) -> list[tuple[str | None, str | None]]:
    """--access-key/--secret-key given several times go together in order."""
    if len(access_keys) > 1 or len(secret_keys) > 1:
        if len(access_keys) != len(secret_keys):
            raise InputError(
                "--secret-key",
                f"{len(access_keys)} --access-key and {len(secret_keys)} --secret-key: give "
                "them in pairs",
            )
        return list(zip(access_keys, secret_keys, strict=True))
    return [(access_keys[0] if access_keys else None, secret_keys[0] if secret_keys else None)]


def _client_keys_elsewhere(path: Path | None) -> list[str]:
    """Client keys from --client-key-file (one ID:SECRET a line; blank lines and # comments
    skipped) and $SIGKIT_PROXY_CLIENT_KEY (separated by commas, spaces or newlines): a secret
    on the command line shows in `ps` to every user of the machine."""
    keys: list[str] = []
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as exc:
            why = getattr(exc, "strerror", None) or type(exc).__name__
            raise InputError("--client-key-file", f"{path}: cannot read it ({why})") from None
        for number, raw in enumerate(text.splitlines(), 1):
            entry = raw.strip()
            if not entry or entry.startswith("#"):
                continue
            if ":" not in entry:
                raise InputError(
                    "--client-key-file", f"{path} line {number}: give ID:SECRET on each line"
                )
            keys.append(entry)
    env = os.environ.get("SIGKIT_PROXY_CLIENT_KEY", "")
    keys += [part for part in re.split(r"[,\s]+", env) if part]
    return keys


def proxy(
    upstream: Annotated[
        str | None,
        typer.Option("--upstream", help="reverse mode: the store, scheme://host[:port]"),
    ] = None,
    forward: Annotated[
        bool,
        typer.Option(
            "--forward", help="forward mode: clients set HTTP_PROXY/HTTPS_PROXY to this proxy"
        ),
    ] = False,
    host: Annotated[str | None, typer.Option("--host", help="address to bind [127.0.0.1]")] = None,
    port: Annotated[
        int, typer.Option("--port", help="port (0: any free)", min=0, max=65535)
    ] = DEFAULT_PORT,
    ca_dir: Annotated[
        Path | None,
        typer.Option(
            "--ca-dir",
            help="forward mode: folder of the proxy's CA, created once "
            "[$XDG_DATA_HOME/sigkit/proxy-ca]",
        ),
    ] = None,
    no_mitm: Annotated[
        bool,
        typer.Option("--no-mitm", help="forward mode: tunnel HTTPS untouched (unseen)"),
    ] = False,
    upstream_ca: Annotated[
        Path | None,
        typer.Option("--upstream-ca", help="also trust this CA file for the store's certificate"),
    ] = None,
    insecure_upstream: Annotated[
        bool,
        typer.Option("--insecure-upstream", help="do not verify the store's TLS certificate"),
    ] = False,
    access_key: Annotated[
        list[str] | None,
        typer.Option("--access-key", help="access key id; repeat with --secret-key for several"),
    ] = None,
    secret_key: Annotated[
        list[str] | None, typer.Option("--secret-key", help="secret access key (repeatable)")
    ] = None,
    session_token: Annotated[
        str | None, typer.Option("--session-token", help="session token")
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="shared config/credentials profile")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="the store's region (diagnosis, re-sign)")
    ] = None,
    service: Annotated[str | None, typer.Option("--service", help="signing service [s3]")] = None,
    store: Annotated[
        str | None, typer.Option("--store", help="store profile (aws, ceph, minio, r2 ...)")
    ] = None,
    resign: Annotated[
        bool, typer.Option("--resign", help="sign each request for the store with the credentials")
    ] = False,
    client_key: Annotated[
        list[str] | None,
        typer.Option(
            "--client-key",
            help="with --resign: only clients signing with this key (ID:SECRET) pass; repeatable",
        ),
    ] = None,
    client_key_file: Annotated[
        Path | None,
        typer.Option(
            "--client-key-file",
            help="with --resign: client keys, one ID:SECRET a line (kept out of `ps`; "
            "also $SIGKIT_PROXY_CLIENT_KEY)",
        ),
    ] = None,
    sig: Annotated[str, typer.Option("--sig", help="with --resign: v4 or v2")] = "v4",
    payload: Annotated[
        str | None,
        typer.Option(
            "--payload",
            help="with --resign: unsigned, hashed or chunked (aws-chunked, S3) "
            "[S3: unsigned; others: hashed]",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per request on stdout")
    ] = False,
    diagnose: Annotated[
        bool,
        typer.Option(
            "--diagnose/--no-diagnose",
            help="explain each request (--no-diagnose: only method, target, status, code)",
        ),
    ] = True,
    verify_all: Annotated[
        bool,
        typer.Option(
            "--verify-all",
            help="investigate accepted requests in full too (default: a cheap check only)",
        ),
    ] = False,
    header_timeout: Annotated[
        float,
        typer.Option("--header-timeout", help="seconds a request head may take", min=0.1, max=3600),
    ] = 30.0,
    idle_timeout: Annotated[
        float,
        typer.Option(
            "--idle-timeout", help="seconds an idle connection is kept", min=0.1, max=86400
        ),
    ] = 60.0,
    answer_timeout: Annotated[
        float,
        typer.Option(
            "--answer-timeout",
            help="seconds the store may take to answer (else 504)",
            min=0.1,
            max=86400,
        ),
    ] = 120.0,
    max_connections: Annotated[
        int,
        typer.Option("--max-connections", help="client connections at once", min=1, max=100_000),
    ] = 1000,
) -> None:
    """Stand between a client and a store. Reverse mode (--upstream URL): clients use the proxy
    as their endpoint (path-style) and every request goes to the store byte for byte. Forward
    mode (--forward): clients keep their endpoint and set HTTP_PROXY/HTTPS_PROXY; HTTPS is
    opened with the proxy's own CA (printed: trust it with AWS_CA_BUNDLE or curl --cacert), or
    tunnelled unseen with --no-mitm. One log line per request: method, target, status, the
    store's code, and with credentials the cause of each refusal."""
    if importlib.util.find_spec("h11") is None:
        raise InputError("sigkit proxy", "needs h11: pip install 'sigkit[proxy]'")
    from sigkit.proxy.server import ProxyServer, Settings
    from sigkit.proxy.tls import default_ca_dir, load_or_create, upstream_context
    from sigkit.proxy.upstream import Pool

    for value, option in (
        (header_timeout, "--header-timeout"),
        (idle_timeout, "--idle-timeout"),
        (answer_timeout, "--answer-timeout"),
    ):
        _seconds(value, option)
    if forward == (upstream is not None):
        raise InputError(
            "--upstream", "give --upstream URL (reverse mode) or --forward, one of them"
        )
    if sig not in ("v4", "v2"):
        raise InputError("--sig", f"{sig!r}: v4 or v2")
    if store is not None and importlib.util.find_spec("sigkit.stores") is not None:
        from sigkit import stores

        stores.get(store)  # an unknown name is refused here, in one line
    if payload is not None and not resign:
        raise InputError("--payload", "only with --resign")
    client_key = [*(client_key or []), *_client_keys_elsewhere(client_key_file)]
    if client_key and not resign:
        raise InputError("--client-key", "only with --resign (the proxy checks, then re-signs)")
    if no_mitm and not forward:
        raise InputError("--no-mitm", "only in forward mode")
    if ca_dir is not None and (not forward or no_mitm):
        raise InputError("--ca-dir", "only in forward mode without --no-mitm")
    origin = _origin(upstream, "--upstream") if upstream is not None else None
    if upstream_ca is not None and insecure_upstream:
        raise InputError("--upstream-ca", "and --insecure-upstream: choose one")
    tls = upstream_context(str(upstream_ca) if upstream_ca else None, insecure_upstream)
    if insecure_upstream:
        note("warning: --insecure-upstream: the store's TLS certificate is not verified")

    keys = _pairs(access_key or [], secret_key or [])
    credentials = []
    region_found: str | None = region
    for key, secret in keys:
        resolved = resolve_credentials(key, secret, session_token, profile=profile, region=region)
        if resolved.region is not None and region_found is None:
            region_found = resolved.region.value
        if not resolved.example:
            credentials.append(resolved.credentials)
    if resign and not credentials:
        raise InputError(
            "--resign", "needs credentials (--access-key/--secret-key, AWS_*, --profile)"
        )

    bind = host or "127.0.0.1"
    authority = None
    if forward and not no_mitm:
        authority = load_or_create(ca_dir or default_ca_dir())
    settings = Settings(
        mode="forward" if forward else "reverse",
        upstream=origin,
        authority=authority,
        header_timeout=header_timeout,
        idle_timeout=idle_timeout,
        body_timeout=idle_timeout,
        answer_timeout=answer_timeout,
        max_connections=max_connections,
    )
    pool = Pool(tls, read_timeout=answer_timeout)
    transformer = None
    clients: list[Any] = []
    if resign:
        transformer = _transformer(
            credentials, region_found, service, sig, client_key or [], store, payload
        )
        clients = list((getattr(transformer, "client_credentials", None) or {}).values())
        checked = f", only for clients signing with {len(clients)} key(s)" if clients else ""
        note(f"re-signing each request ({sig}) as {credentials[0].access_key_id}{checked}")
        if not clients and bind not in _LOOPBACK:
            note(
                f"warning: --resign on {bind} without --client-key: whoever reaches the proxy "
                f"acts as {credentials[0].access_key_id} on the store"
            )
    observer = _observer(
        credentials, region_found, service, store, as_json, diagnose, clients, verify_all
    )
    asyncio.run(
        _run(
            ProxyServer(settings, pool, observer=observer, transformer=transformer),
            bind,
            port,
            settings,
            as_json,
            forward,
        )
    )


async def _run(
    server: Any, bind: str, port: int, settings: Any, as_json: bool, forward: bool
) -> None:
    from sigkit.curl import shell_word

    try:
        _, actual = await server.start(bind, port)
    except socket.gaierror as exc:
        raise InputError("--host", f"cannot listen on {bind!r}: {exc.strerror}") from None
    except OSError as exc:
        raise InputError("--port", f"cannot listen on {bind}:{port}: {exc.strerror}") from None
    except (TypeError, ValueError, UnicodeError):  # a NUL or what IDNA cannot encode
        raise InputError("--host", f"{bind!r} is no host name or address") from None
    url = f"http://{bind if ':' not in bind else f'[{bind}]'}:{actual}"
    upstream = settings.upstream.url if settings.upstream is not None else None
    ca = str(settings.authority.cert_path) if settings.authority is not None else None
    if as_json:
        print(
            json.dumps({"listening": url, "mode": settings.mode, "upstream": upstream, "ca": ca}),
            flush=True,
        )
    if not forward:
        note(f"proxy {url} -> {upstream} (clients: --endpoint-url {url}, path-style)")
    else:
        note(f"forward proxy {url} (clients: HTTP_PROXY={url} HTTPS_PROXY={url})")
        if ca is not None:
            made = "created" if settings.authority.created else "using"
            note(f"{made} the proxy's CA {ca}; trust it in clients:")
            note(f"  AWS_CA_BUNDLE={shell_word(ca)} HTTPS_PROXY={url} aws s3 ls ...")
            note(f"  curl --proxy {url} --cacert {shell_word(ca)} https://...")
        else:
            note("--no-mitm: HTTPS is tunnelled untouched and cannot be seen")
    if bind not in _LOOPBACK:
        note(f"warning: listening on {bind}: reachable from other hosts (default 127.0.0.1)")
    sys.stderr.flush()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, server.stop)
    try:
        await server.serve()
    finally:
        server.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _observer(
    credentials: list[Any],
    region: str | None,
    service: str | None,
    store: str | None,
    as_json: bool,
    diagnose: bool,
    clients: list[Any],
    verify_all: bool = False,
) -> Any:
    """The diagnosis, or the plain log (--no-diagnose, or a build without diagnosis)."""
    if diagnose and importlib.util.find_spec("sigkit.proxy.diagnosis") is not None:
        from sigkit.proxy import diagnosis

        def stdout_line(line: str) -> None:
            print(line, flush=True)

        return diagnosis.observer_from_options(
            credentials=credentials,
            client_credentials=clients,
            region=region,
            service=service,
            as_json=as_json,
            store=store,
            verify_all=verify_all,
            write=stdout_line if as_json else None,
        )
    from sigkit.proxy.log import LogObserver

    return LogObserver(as_json=as_json)


def _transformer(
    credentials: list[Any],
    region: str | None,
    service: str | None,
    sig: str,
    client_keys: list[str],
    store: str | None,
    payload: str | None,
) -> Any:
    """The re-signer (`sigkit.proxy.resign`)."""
    if importlib.util.find_spec("sigkit.proxy.resign") is None:
        raise InputError("--resign", "re-signing is not available in this build")
    resign_module = importlib.import_module("sigkit.proxy.resign")
    return resign_module.transformer_from_options(
        credentials,
        region=region,
        service=service,
        sig=sig,
        client_keys=client_keys,
        store=store,
        payload=payload,
    )

"""Shared by tests/test_integrations_*.py: the oracle (botocore signing the same request),
a fixed clock, and sigkit serve's verifying server on a free loopback port."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from unittest import mock

from botocore.auth import HmacV1Auth, S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from sigkit.credentials import Credentials
from sigkit.serve import VerifyingServer

KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(KEY, SECRET)
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def fixed_clock() -> datetime:
    return WHEN


def signed_names(authorization: str) -> list[str]:
    return authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")


def botocore_authorization(
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
    *,
    service: str = "s3",
    region: str = "us-east-1",
    secret: str = SECRET,
    token: str | None = None,
    when: datetime = WHEN,
    keep_payload_header: bool = False,
) -> str:
    """botocore's Authorization for the request sent, over the headers our signature names
    (those botocore sets itself, the date, the payload hash and the token, it recomputes).

    `keep_payload_header`: sign the x-amz-content-sha256 sent (UNSIGNED-PAYLOAD, STREAMING-*)
    with botocore's SigV4Auth, which takes the payload line from that header (for paths that
    S3's rules and the generic ones sign alike)."""
    names = {n for n in signed_names(dict((k.lower(), v) for k, v in headers)["authorization"])}
    own = {"authorization", "x-amz-date", "x-amz-security-token"}
    if service == "s3" and not keep_payload_header:
        own.add("x-amz-content-sha256")
    request = AWSRequest(method=method, url=url, data=body or b"")
    for name, value in headers:
        if name.lower() in names and name.lower() not in own:
            request.headers[name] = value
    creds = BotoCredentials(KEY, secret, token)
    cls = S3SigV4Auth if service == "s3" and not keep_payload_header else SigV4Auth
    with mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
        cls(creds, service, region).add_auth(request)
    return str(request.headers["Authorization"])


def botocore_v2_authorization(
    method: str, url: str, headers: Sequence[tuple[str, str]], when: datetime = WHEN
) -> str:
    """botocore's HmacV1 (S3 V2) Authorization for the request sent, dated `when`."""
    request = AWSRequest(method=method, url=url)
    for name, value in headers:
        if name.lower() not in ("authorization", "date", "host"):
            request.headers[name] = value
    date = format_datetime(when, usegmt=True)
    with mock.patch("botocore.auth.formatdate", lambda usegmt=True: date):
        HmacV1Auth(BotoCredentials(KEY, SECRET)).add_auth(request)
    return str(request.headers["Authorization"])


@contextlib.contextmanager
def serving(*, service: str | None = None, region: str | None = "us-east-1") -> Iterator[str]:
    """sigkit serve's verifying server (the class `sigkit serve` runs) with KEY/SECRET on a
    free loopback port; yields its base URL."""
    srv = VerifyingServer(("127.0.0.1", 0), {KEY: CREDS}, log=None, region=region, service=service)
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()

"""One end-to-end test per catalogued cause (sigkit.debug.model.CAUSES).

An independent client (botocore's signers, curl, or a raw socket carrying a hand-modified
request) makes a request with the fault to a real `sigkit serve` endpoint on loopback; the
diagnosis must then name the cause. The last part of each test id says which path named it:

- ``explain``: `sigkit explain` on serve's XML answer, with ``--also`` botocore's own --debug
  output when it shows a canonical request, else ``--request-file`` (the bytes sent); the secret
  and ``--now`` either way. ``explain-request``: always ``--request-file``.
- ``lib``: what explain wraps: ``read_source(serve's answer)`` as the server's view, botocore's
  --debug output (else the bytes sent) as the client's, then ``diagnose(...)`` with the secret,
  the request as sent and the server's time.
- ``variant``: ``find_variant`` on the client's request and signature against the endpoint's
  region and service (for faults `sigkit serve` accepts: it verifies under the client's scope).
- ``serve-json``: the causes in serve's own answer (the same bytes plus an unsigned
  ``Accept: application/json``, whose problems and findings carry cause ids).

Where a path cannot produce or name a cause the test is ``xfail(strict=True)`` with the reason.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import re
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from botocore.auth import (
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
)
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from sigkit.cli.app import main
from sigkit.credentials import Credentials
from sigkit.debug.diagnose import diagnose
from sigkit.debug.model import CAUSES
from sigkit.debug.sources import read_http_request, read_source
from sigkit.debug.variants import find_variant
from sigkit.http import Request, parse_request_text
from sigkit.serve import VerifyingServer
from sigkit.sigv4.config import EMPTY_SHA256, SigV4Config
from sigkit.verify import default_diagnose

KEY, SECRET = "AKIDCAUSES", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN"
REGION = "us-east-1"
AWSCLI_FORMAT = "%(asctime)s - %(threadName)s - %(name)s - %(levelname)s - %(message)s"


# -- the endpoint ---------------------------------------------------------------------------
@dataclass
class Endpoint:
    port: int
    token: str | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def endpoints() -> Iterator[dict[str, Endpoint]]:
    """`sigkit serve` endpoints: plain credentials, credentials with a session token, and one
    answering for a fixed scope (us-east-1/s3, as a regional S3 endpoint does)."""
    servers = []
    out: dict[str, Endpoint] = {}
    for name, token, scope in (
        ("plain", None, (None, None)),
        ("token", TOKEN, (None, None)),
        ("scoped", None, (REGION, "s3")),
    ):
        srv = VerifyingServer(
            ("127.0.0.1", 0),
            {KEY: Credentials(KEY, SECRET, token)},
            log=None,
            diagnose=default_diagnose(),
            region=scope[0],
            service=scope[1],
        )
        threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(srv)
        out[name] = Endpoint(int(srv.server_address[1]), token)
    yield out
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def send_raw(port: int, raw: bytes) -> tuple[int, bytes]:
    """The exact bytes on a fresh socket; the answer as status and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock, method=raw.split(b" ", 1)[0].decode())
        response.begin()
        return response.status, response.read()


# -- clients ----------------------------------------------------------------------------------
CLIENT_LOG: list[str] = []  # botocore's own --debug lines of the latest signing


def boto_signed(
    auth: object,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    auth_path: str | None = None,
) -> tuple[str, str, list[tuple[str, str]], bytes]:
    """Sign with a botocore signer; (method, target, headers with Host first, body). botocore's
    debug output (as ``aws --debug`` prints it) is kept in CLIENT_LOG."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    if auth_path is not None:
        request.auth_path = auth_path  # what botocore sets for virtual-hosted addressing
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(AWSCLI_FORMAT))
    log = logging.getLogger("botocore.auth")
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        auth.add_auth(request)  # type: ignore[attr-defined]
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    CLIENT_LOG[:] = [stream.getvalue()]
    prepared = request.prepare()
    netloc = url.split("/", 3)[2]
    target = "/" + prepared.url.split("/", 3)[3]
    return method, target, [("Host", netloc), *prepared.headers.items()], body


def raw_bytes(method: str, target: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1"]
    names = {n.lower() for n, _ in headers}
    extra = [] if "content-length" in names else [("Content-Length", str(len(body)))]
    lines += [f"{n}: {v}" for n, v in [*headers, *extra, ("Connection", "close")]]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def creds(secret: str | None = None, token: str | None = None) -> BotoCredentials:
    """The endpoint's key (module globals, so the RGW tests can point them at RGW's)."""
    return BotoCredentials(KEY, SECRET if secret is None else secret, token)


def v4(
    secret: str | None = None, region: str = REGION, service: str = "s3", token: str | None = None
):
    if service == "s3":
        return S3SigV4Auth(creds(secret, token), service, region)
    return SigV4Auth(creds(secret, token), service, region)


def replace_header(headers: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(n, value if n.lower() == name.lower() else v) for n, v in headers]


def at(moment: datetime):
    """botocore signs as if its clock read `moment`."""
    return mock.patch(
        "botocore.auth.get_current_datetime", lambda *a, **k: moment.replace(tzinfo=None)
    )


# -- scenarios: each returns the raw request bytes for an endpoint ----------------------------
Scenario = Callable[[Endpoint], bytes]


def s_wrong_secret(ep: Endpoint) -> bytes:
    return raw_bytes(*boto_signed(v4("another-secret"), "GET", f"{ep.base}/bucket/key"))


def s_secret_whitespace(ep: Endpoint) -> bytes:
    return raw_bytes(*boto_signed(v4(SECRET + "\n"), "GET", f"{ep.base}/bucket/key"))


def s_unsigned_header(ep: Endpoint) -> bytes:
    # Signed without x-amz-meta-color, then the header is added and listed as signed.
    method, target, headers, body = boto_signed(v4(), "GET", f"{ep.base}/bucket/key")
    auth = dict(headers)["Authorization"]
    auth = re.sub(r"SignedHeaders=([^,]+)", lambda m: _add_signed(m.group(1)), auth)
    headers = [*replace_header(headers, "Authorization", auth), ("x-amz-meta-color", "red")]
    return raw_bytes(method, target, headers, body)


def _add_signed(names: str) -> str:
    return "SignedHeaders=" + ";".join(sorted([*names.split(";"), "x-amz-meta-color"]))


def s_header_changed(ep: Endpoint) -> bytes:
    method, target, headers, body = boto_signed(
        v4(), "GET", f"{ep.base}/bucket/key", {"x-amz-meta-color": "red"}
    )
    return raw_bytes(method, target, replace_header(headers, "x-amz-meta-color", "blue"), body)


def s_content_type_md5(ep: Endpoint) -> bytes:
    url = f"{ep.base}/bucket/key"
    method, target, headers, body = boto_signed(
        HmacV1Auth(creds()), "PUT", url, {"Content-Type": "text/plain"}, b"hello"
    )
    return raw_bytes(method, target, replace_header(headers, "Content-Type", "text/html"), body)


def s_content_type_added(ep: Endpoint) -> bytes:
    # V2 signed without Content-Type; the HTTP stack adds one (as curl -d does).
    url = f"{ep.base}/bucket/key"
    method, target, headers, body = boto_signed(HmacV1Auth(creds()), "PUT", url, body=b"a=1")
    ctype = ("Content-Type", "application/x-www-form-urlencoded")
    return raw_bytes(method, target, [*headers, ctype], body)


def s_query_encoding(ep: Endpoint) -> bytes:
    # Signed with the value "a+b" (%2B); sent with a raw '+', which S3 reads as a space.
    method, target, headers, body = boto_signed(v4(), "GET", f"{ep.base}/bucket?prefix=a%2Bb")
    return raw_bytes(method, target.replace("a%2Bb", "a+b"), headers, body)


def s_path_encoding(ep: Endpoint) -> bytes:
    # A non-S3 client's habit (double encoding) used against S3: SigV4Auth for service s3.
    method, target, headers, body = boto_signed(
        SigV4Auth(creds(), "s3", REGION), "GET", f"{ep.base}/bucket/a%20b"
    )
    return raw_bytes(method, target, headers, body)


def s_path_reserved_raw(ep: Endpoint) -> bytes:
    # A signer that leaves `*!'()` raw in the canonical URI (S3 encodes them: %2A%21%27%28%29).
    class RawPath(S3SigV4Auth):
        def _normalize_url_path(self, path: str) -> str:
            return path

    url = f"{ep.base}/bucket/a*!'()"
    method, _target, headers, body = boto_signed(RawPath(creds(), "s3", REGION), "GET", url)
    return raw_bytes(method, "/bucket/a*!'()", headers, body)


def s_query_order(ep: Endpoint) -> bytes:
    # A signer that keeps the query in the caller's order (the canonical query is sorted).
    class Unsorted(S3SigV4Auth):
        def canonical_query_string(self, request):
            return request.url.split("?", 1)[1]

    return raw_bytes(
        *boto_signed(
            Unsorted(creds(), "s3", REGION), "GET", f"{ep.base}/bucket?versions=&delimiter=x"
        )
    )


def s_empty_query_value(ep: Endpoint) -> bytes:
    # SigV4 signs 'acl=', the client signed 'acl' (the V2 habit).
    class Bare(S3SigV4Auth):
        def canonical_query_string(self, request):
            return "acl"

    return raw_bytes(*boto_signed(Bare(creds(), "s3", REGION), "GET", f"{ep.base}/bucket?acl"))


def s_query_not_sent(ep: Endpoint) -> bytes:
    method, target, headers, body = boto_signed(v4(), "GET", f"{ep.base}/bucket?list-type=2")
    return raw_bytes(method, target.split("?")[0], headers, body)


def s_host_port(ep: Endpoint) -> bytes:
    method, target, headers, body = boto_signed(v4(), "GET", f"{ep.base}/bucket/key")
    return raw_bytes(method, target, replace_header(headers, "Host", "127.0.0.1"), body)


def s_addressing_style(ep: Endpoint) -> bytes:
    # V2, botocore's virtual-hosted addressing: resource /bucket/key signed, sent to
    # bucket.localhost/key, which the endpoint does not know as a bucket host (path style).
    url = f"http://bucket.localhost:{ep.port}/key"
    method, target, headers, body = boto_signed(
        HmacV1Auth(creds()), "GET", url, auth_path="/bucket/key"
    )
    return raw_bytes(method, target, headers, body)


def s_region(ep: Endpoint) -> bytes:
    return raw_bytes(*boto_signed(v4(region="eu-west-1"), "GET", f"{ep.base}/bucket/key"))


def s_service(ep: Endpoint) -> bytes:
    return raw_bytes(*boto_signed(v4(service="execute-api"), "GET", f"{ep.base}/bucket/key"))


def s_clock_skew(ep: Endpoint) -> bytes:
    with at(datetime.now(UTC) - timedelta(hours=1)):
        return raw_bytes(*boto_signed(v4(), "GET", f"{ep.base}/bucket/key"))


def s_expired(ep: Endpoint) -> bytes:
    with at(datetime.now(UTC) - timedelta(seconds=120)):
        auth = S3SigV4QueryAuth(creds(), "s3", REGION, expires=60)
        return raw_bytes(*boto_signed(auth, "GET", f"{ep.base}/bucket/key"))


def s_scope_date(ep: Endpoint) -> bytes:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y%m%d")

    class LocalDate(S3SigV4Auth):
        def scope(self, request):
            return "/".join([KEY, *self._scope_parts()])

        def credential_scope(self, request):
            return "/".join(self._scope_parts())

        def _scope_parts(self) -> list[str]:
            return [yesterday, REGION, "s3", "aws4_request"]

    return raw_bytes(*boto_signed(LocalDate(creds(), "s3", REGION), "GET", f"{ep.base}/bucket/key"))


def s_payload_hash(ep: Endpoint) -> bytes:
    # The header carries the body's hash, the payload line signed is the empty-body hash.
    class EmptyLine(S3SigV4Auth):
        def canonical_request(self, request):
            head, _, _ = super().canonical_request(request).rpartition("\n")
            return head + "\n" + EMPTY_SHA256

    auth = EmptyLine(creds(), "s3", REGION)
    return raw_bytes(*boto_signed(auth, "PUT", f"{ep.base}/bucket/key", body=b"hello"))


def s_body_changed(ep: Endpoint) -> bytes:
    method, target, headers, _ = boto_signed(v4(), "PUT", f"{ep.base}/bucket/key", body=b"hello")
    return raw_bytes(method, target, headers, b"HELLO")


def s_session_token_missing(ep: Endpoint) -> bytes:
    return raw_bytes(*boto_signed(v4(), "GET", f"{ep.base}/bucket/key"))


def s_session_token_unsigned(ep: Endpoint) -> bytes:
    method, target, headers, body = boto_signed(v4(), "GET", f"{ep.base}/bucket/key")
    return raw_bytes(method, target, [*headers, ("X-Amz-Security-Token", TOKEN)], body)


def s_v2_subresource(ep: Endpoint) -> bytes:
    # The sub-resource ?acl left out of the V2 string to sign.
    method, target, headers, body = boto_signed(HmacV1Auth(creds()), "GET", f"{ep.base}/bucket")
    return raw_bytes(method, target + "?acl", headers, body)


def s_signature_version(ep: Endpoint) -> bytes:
    # A V2 signature (HMAC-SHA1, base64) sent in a SigV4 Authorization header.
    _, _, v2headers, _ = boto_signed(HmacV1Auth(creds()), "GET", f"{ep.base}/bucket/key")
    method, target, headers, body = boto_signed(v4(), "GET", f"{ep.base}/bucket/key")
    v2sig = dict(v2headers)["Authorization"].rsplit(":", 1)[1]
    auth = re.sub(r"Signature=\w+", f"Signature={v2sig}", dict(headers)["Authorization"])
    return raw_bytes(method, target, replace_header(headers, "Authorization", auth), body)


def s_method(ep: Endpoint) -> bytes:
    _method, target, headers, body = boto_signed(v4(), "GET", f"{ep.base}/bucket/key")
    return raw_bytes("DELETE", target, headers, body)


def s_v2_date(ep: Endpoint) -> bytes:
    method, target, headers, body = boto_signed(HmacV1Auth(creds()), "GET", f"{ep.base}/bucket/key")
    return raw_bytes(method, target, [(n, v) for n, v in headers if n.lower() != "date"], body)


def s_v2_date_line(ep: Endpoint) -> bytes:
    # V2 signed with the Date line filled; x-amz-date then added (by a proxy or SDK layer):
    # with x-amz-date the Date line must be empty and x-amz-date is signed among x-amz-*.
    method, target, headers, body = boto_signed(HmacV1Auth(creds()), "GET", f"{ep.base}/bucket/key")
    return raw_bytes(method, target, [*headers, ("x-amz-date", dict(headers)["Date"])], body)


def s_v2_query_expired(ep: Endpoint) -> bytes:
    with mock.patch("time.time", lambda: datetime.now(UTC).timestamp() - 600):
        auth = HmacV1QueryAuth(creds(), expires=60)
        return raw_bytes(*boto_signed(auth, "GET", f"{ep.base}/bucket/key"))


class Exchange:
    """A request some client made itself: the bytes it sent, the answer, its debug output."""

    def __init__(self, raw: bytes, status: int, answer: bytes, client_log: str) -> None:
        self.raw, self.status, self.answer, self.client_log = raw, status, answer, client_log


def curl(ep: Endpoint, *args: str) -> Exchange:
    """Run curl -v against the endpoint; what it sent is read back from its '> ' lines."""
    proc = subprocess.run(
        ["/usr/bin/curl", "-sS", "-v", *args],
        capture_output=True,
        timeout=20,
        check=False,
    )
    verbose = proc.stderr.decode("utf-8", "replace")
    sent = [line[2:] for line in verbose.splitlines() if line.startswith("> ")]
    status = re.search(r"^< HTTP/1\.1 (\d+)", verbose, re.M)
    assert sent and status, verbose
    raw = ("\r\n".join(x for x in sent if x) + "\r\n\r\n").encode()
    return Exchange(raw, int(status.group(1)), proc.stdout, verbose)


def s_curl_wrong_secret(ep: Endpoint) -> Exchange:
    return curl(
        ep,
        "--aws-sigv4",
        f"aws:amz:{REGION}:s3",
        "--user",
        f"{KEY}:not-the-secret",
        f"{ep.base}/bucket/key",
    )


def s_curl_region(ep: Endpoint) -> Exchange:
    return curl(
        ep,
        "--aws-sigv4",
        "aws:amz:eu-west-1:s3",
        "--user",
        f"{KEY}:{SECRET}",
        f"{ep.base}/bucket/key",
    )


# -- the table -------------------------------------------------------------------------------
# Paths: "explain" (sigkit explain on serve's answer, with --also the client's --debug log when
# it shows a canonical request, else --request-file), "explain-request" (always --request-file),
# "lib" (read_source + diagnose), "variant" (find_variant on the client's request against the
# endpoint's region/service), "serve-json" (the causes in serve's own JSON answer, same bytes
# plus an unsigned Accept header). Each maps to None (must name the cause) or an xfail reason.
LIB = {"explain": None, "lib": None}
SAME_STEPS = (
    "serve's XML has no computed signature and the client's view ({view}) shows the same "
    "steps, so diagnose sees no difference; its variant search drops the uncertain "
    "wrong-secret result"
)
EXPLAIN_V2 = (
    "explain does not use a V2 client log (it has no canonical request), and with "
    "--request-file its recomputation of the request as sent equals serve's StringToSign: it "
    "names only wrong-secret (this slip is no find_variant_v2 variant); the lib path names it "
    "from serve's StringToSign against botocore's logged one"
)
V2_DATE_REFUSED = (
    "serve and the library name v2-date from serve's AccessDenied answer, but explain with "
    "--also the botocore V2 log does not yet (open: explain's V2 path)"
)
V2_DATE_NO_VARIANT = (
    "find_variant_v2 has no 'Date line filled although x-amz-date is sent' variant, so serve's "
    "findings stop at the mismatch"
)


@dataclass(frozen=True)
class Case:
    cause: str
    client: str
    scenario: Callable[[Endpoint], bytes | Exchange]
    paths: dict[str, str | None]
    endpoint: str = "plain"


CASES = [
    Case(
        "wrong-secret",
        "botocore",
        s_wrong_secret,
        {
            "explain-request": None,
            "lib": SAME_STEPS.format(view="botocore's --debug steps"),
            "variant": None,
            "serve-json": None,
        },
    ),
    Case(
        "wrong-secret",
        "curl",
        s_curl_wrong_secret,
        {
            "explain": None,
            "lib": SAME_STEPS.format(view="curl -v shows no steps; the raw request"),
            "variant": None,
        },
    ),
    Case(
        "secret-whitespace",
        "botocore",
        s_secret_whitespace,
        {"explain-request": None, "lib": None, "serve-json": None},
    ),
    Case("unsigned-header", "raw", s_unsigned_header, LIB),
    Case("header-changed", "raw", s_header_changed, LIB),
    Case("content-type-md5", "botocore-v2", s_content_type_md5, {**LIB, "explain": EXPLAIN_V2}),
    Case(
        "content-type-md5",
        "botocore-v2-type-added",
        s_content_type_added,
        {**LIB, "serve-json": None},
    ),
    Case("query-encoding", "raw", s_query_encoding, LIB),
    Case("path-encoding", "botocore-double", s_path_encoding, LIB),
    Case("path-encoding", "botocore-raw-reserved", s_path_reserved_raw, LIB),
    Case("query-order", "botocore-unsorted", s_query_order, LIB),
    Case("empty-query-value", "botocore-bare-acl", s_empty_query_value, LIB),
    Case("query-not-sent", "raw", s_query_not_sent, LIB),
    Case("host-port", "raw", s_host_port, LIB),
    Case("addressing-style", "botocore-v2", s_addressing_style, {**LIB, "explain": EXPLAIN_V2}),
    Case(
        "region",
        "botocore",
        s_region,
        {"explain": None, "lib": None, "variant": None, "serve-json": None},
        endpoint="scoped",
    ),
    Case("region", "curl", s_curl_region, {"variant": None}),
    Case(
        "service",
        "botocore",
        s_service,
        {"explain": None, "lib": None, "variant": None, "serve-json": None},
        endpoint="scoped",
    ),
    Case(
        "clock-skew",
        "botocore",
        s_clock_skew,
        {"explain": None, "lib": None, "serve-json": None},
    ),
    Case(
        "expired",
        "botocore-presign",
        s_expired,
        {"explain": None, "lib": None, "serve-json": None},
    ),
    Case(
        "expired",
        "botocore-v2-presign",
        s_v2_query_expired,
        {
            "explain": None,
            "lib": None,
            "serve-json": None,
        },
    ),
    Case("scope-date", "botocore-scope", s_scope_date, LIB),
    Case("payload-hash", "botocore-empty-line", s_payload_hash, LIB),
    Case(
        "body-changed",
        "raw",
        s_body_changed,
        {
            "explain": None,
            "lib": None,
            "serve-json": None,
        },
    ),
    Case(
        "session-token",
        "botocore-missing",
        s_session_token_missing,
        {
            "explain": None,
            "lib": None,
            "serve-json": None,
        },
        endpoint="token",
    ),
    Case(
        "session-token",
        "raw-unsigned",
        s_session_token_unsigned,
        {"explain": None, "lib": None},
        endpoint="token",
    ),
    Case("v2-subresource", "raw-v2", s_v2_subresource, {**LIB, "explain": EXPLAIN_V2}),
    Case(
        "signature-version",
        "raw-v2-sig-in-v4",
        s_signature_version,
        {"explain": None, "lib": None},
    ),
    Case("method", "raw", s_method, LIB),
    Case(
        "v2-date",
        "botocore-v2-no-date",
        s_v2_date,
        {"explain": V2_DATE_REFUSED, "lib": None, "serve-json": None},
    ),
    Case(
        "v2-date",
        "botocore-v2-amz-date",
        s_v2_date_line,
        {"explain": EXPLAIN_V2, "lib": None, "serve-json": V2_DATE_NO_VARIANT},
    ),
]


def _params() -> list[object]:
    out = []
    for case in CASES:
        for path, reason in case.paths.items():
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            ident = f"{case.cause}-{case.client}-{path}"
            out.append(pytest.param(case, path, id=ident, marks=marks))
    return out


def test_every_cause_has_a_case() -> None:
    assert {case.cause for case in CASES} == set(CAUSES)


# -- diagnosis paths ---------------------------------------------------------------------------
def _sent_request(raw: bytes) -> Request:
    sent = parse_request_text(raw)
    return Request(sent.method, sent.path, sent.query, sent.headers, sent.body, scheme="http")


def via_variant(ep: Endpoint, ex: Exchange, now: datetime) -> set[str]:
    sent = _sent_request(ex.raw)
    provided = re.search(r"Signature=(\w+)", sent.header("authorization") or "")
    assert provided, sent
    config = SigV4Config.s3(REGION)
    found = find_variant(sent, Credentials(KEY, SECRET, ep.token), now, config, provided.group(1))
    return {found.cause} if found else set()


def via_lib(ep: Endpoint, ex: Exchange, now: datetime) -> set[str]:
    theirs = read_source(ex.answer)
    assert theirs, ex.answer
    client = read_source(ex.client_log.encode()) if ex.client_log else []
    with_steps = [o for o in client if o.string_to_sign]
    ours = with_steps[-1] if with_steps else read_http_request(ex.raw)
    findings = diagnose(ours, theirs[0], secret=SECRET, request=_sent_request(ex.raw), when=now)
    return {f.cause for f in findings}


def via_explain(
    ep: Endpoint,
    ex: Exchange,
    now: datetime,
    tmp: Path,
    capsys: pytest.CaptureFixture[str],
    mode: str,
) -> set[str]:
    """`sigkit explain` on the server's answer with (mode "also") the client's --debug output
    when it shows a canonical request, else (or mode "request") with the request as sent
    (`--request-file`); the secret either way."""
    answer, request, log = tmp / "answer.xml", tmp / "request.txt", tmp / "client.log"
    answer.write_bytes(ex.answer)
    request.write_bytes(ex.raw)
    argv = ["explain", str(answer)]
    steps = read_source(ex.client_log.encode()) if ex.client_log else []
    if mode == "also" and any(o.canonical_request for o in steps):
        log.write_text(ex.client_log)
        argv += ["--also", str(log)]
    else:
        argv += ["--request-file", str(request)]
    argv += ["--access-key", KEY, "--secret-key", SECRET]
    argv += ["--now", now.strftime("%Y%m%dT%H%M%SZ"), "--json"]
    if ep.token:
        argv += ["--session-token", ep.token]
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr().out
    assert code in (0, 1), (code, out, capsys.readouterr().err)
    return {f["cause"] for f in json.loads(out).get("findings", [])}


def via_serve_json(ep: Endpoint, ex: Exchange) -> set[str]:
    """The same bytes again with 'Accept: application/json' (an unsigned header)."""
    head, _, body = ex.raw.partition(b"\r\n\r\n")
    _status, answer = send_raw(ep.port, head + b"\r\nAccept: application/json\r\n\r\n" + body)
    data = json.loads(answer)
    return {p["cause"] for p in data["problems"] if p.get("cause")} | {
        f["cause"] for f in data["findings"]
    }


@pytest.mark.parametrize(("case", "path"), _params())
def test_cause_named(
    case: Case,
    path: str,
    endpoints: dict[str, Endpoint],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ep = endpoints[case.endpoint]
    CLIENT_LOG.clear()
    made = case.scenario(ep)
    if isinstance(made, Exchange):
        ex = made
    else:
        status, answer = send_raw(ep.port, made)
        ex = Exchange(made, status, answer, CLIENT_LOG[0] if CLIENT_LOG else "")
    now = datetime.now(UTC)
    if path == "variant":
        causes = via_variant(ep, ex, now)
    elif path == "lib":
        causes = via_lib(ep, ex, now)
    elif path == "explain":
        causes = via_explain(ep, ex, now, tmp_path, capsys, "also")
    elif path == "explain-request":
        causes = via_explain(ep, ex, now, tmp_path, capsys, "request")
    else:
        causes = via_serve_json(ep, ex)
    assert case.cause in causes, (ex.status, ex.answer.decode(errors="replace")[:600], causes)

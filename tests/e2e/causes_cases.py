"""The per-cause scenarios: each makes a refused request with a real client, against a real
verifying endpoint, and keeps the client's log (which holds the server's answer).

A scenario gets a `Target` (where to send, the server's key, secret, token and region) and
returns a `Made` (the client's own log text and its kind). What the server received and
answered is kept by a `Recorder` in front of it. `run_cases` runs a table of cases in parallel
threads against one upstream and writes, per case, the files the sigkit paths read:
``request.http`` (the bytes the server received), ``answer.xml`` (the server's body),
``client.log`` (the client's log with the answer; absent for raw sockets).

Faults made by the clients themselves:
- botocore's real client stack (`session.create_client('s3', ...)`, debug log in the AWS CLI
  format on the `botocore` and `urllib3` loggers), with faults through its configuration (wrong
  secret, secret with a newline, region, V2 signing, session token), through the `before-send`
  event (the prepared request changed after signing) or through a signer with a slip chosen
  with the `choose-signer` event;
- the AWS CLI v1 (`aws ... --debug`) for faults of its command line and environment;
- curl 7.88 `--aws-sigv4` (its query and path signed as sent, its `-T` payload hash);
- the AWS docs' S3 V2 openssl recipe in bash (`echo -en $stringToSign | openssl sha1 -hmac`);
- a raw socket carrying hand-modified bytes where no client makes the fault.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import functools
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import botocore.auth
from botocore.auth import HmacV1Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from sigkit.credentials import Credentials
from sigkit.serve import VerifyingServer
from tests.e2e import realclients as rc

KEY, SECRET = "AKIDCAUSESEXAMPLE01", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN_KEY, TOKEN = "ASIACAUSESEXAMPLE02", "FwoGZXIvYXdzEXAMPLETOKENcausesE2E"
SERVE_REGION, SERVE_SERVICE = "us-east-1", "s3"
SKEW = timedelta(minutes=40)
BUCKET = "causes-bucket"


@dataclass(frozen=True)
class Target:
    """Where a scenario sends, and what the server knows."""

    base: str  # the recorder's URL (the client talks to it)
    host: str
    port: int
    key: str
    secret: str
    token: str | None
    region: str  # the server's region
    home: str  # this case's directory (files, HOME of subprocesses)
    where: str  # "serve" or "rgw"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@dataclass(frozen=True)
class Made:
    log: str | None  # the client's log, holding the server's answer; None for a raw socket
    kind: str  # "botocore", "awscli", "curl", "raw"


Scenario = Callable[[Target], Made]


@dataclass(frozen=True)
class Case:
    cause: str
    client: str
    scenario: Scenario
    serve: str | None = "plain"  # which sigkit serve endpoint; None: not against serve
    rgw: bool = False  # also against Ceph RGW (which refuses this fault)
    paths: tuple[str, ...] = ("verify", "serve-xml", "explain-log")
    rgw_paths: tuple[str, ...] = ("verify", "explain-log")
    serial: bool = False  # patches a process-wide clock: run alone
    proxy: str = ""  # "drop-port-9000": a reverse proxy that drops the port of Host
    awscli_line: bool = False  # check the AWS CLI's error line names the cause
    note: str = ""  # why a path is left out (impossible from that vantage point)
    store: str | None = None  # against `sigkit serve --store NAME` (serve is then "store-NAME")
    accepted: bool = False  # nothing is refused: the exchange of interest is the last answer

    @property
    def id(self) -> str:
        return f"{self.cause}-{self.client}"


# -- botocore helpers -----------------------------------------------------------------------
def boto_call(
    t: Target,
    operation: str,
    params: dict[str, Any],
    *,
    key: str | None = None,
    secret: str | None = None,
    token: str | None = None,
    region: str | None = None,
    signature_version: str = "s3v4",
    before_send: Callable[..., None] | None = None,
    signer: type | None = None,
) -> Made:
    with rc.debug_log() as log:
        client = rc.boto_client(
            t.base,
            key or t.key,
            t.secret if secret is None else secret,
            token=token,
            region=region or t.region,
            signature_version=signature_version,
        )
        if before_send is not None:
            client.meta.events.register("before-send.s3", before_send)
        if signer is not None:
            name = f"s3v4-{signer.__name__}"
            botocore.auth.AUTH_TYPE_MAPS[name] = signer
            client.meta.events.register("choose-signer.s3", lambda **kw: name)
        rc.call(client, operation, **params)
    return Made(log.getvalue(), "botocore")


def presign(t: Target, expires: int, *, signature_version: str = "s3v4") -> str:
    client = rc.boto_client(
        t.base, t.key, t.secret, region=t.region, signature_version=signature_version
    )
    return str(
        client.generate_presigned_url(
            "get_object", Params={"Bucket": BUCKET, "Key": "key.txt"}, ExpiresIn=expires
        )
    )


def aws(t: Target, *args: str, **env: str) -> Made:
    base_env = {
        "AWS_ACCESS_KEY_ID": t.key,
        "AWS_SECRET_ACCESS_KEY": t.secret,
        "AWS_DEFAULT_REGION": t.region,
    }
    base_env.update(env)
    out = os.path.join(t.home, "object.out")
    proc = rc.run_aws(
        t.home,
        ["s3api", *args, *([out] if args[0] == "get-object" else []), "--endpoint-url", t.base],
        **base_env,
    )
    return Made(proc.stderr, "awscli")


def curl_v4(t: Target, *args: str, secret: str | None = None, scope: str | None = None) -> Made:
    scope = scope or f"aws:amz:{t.region}:s3"
    user = f"{t.key}:{t.secret if secret is None else secret}"
    return Made(rc.run_curl("--aws-sigv4", scope, "--user", user, *args), "curl")


def _yesterday() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).strftime("%Y%m%d")


# -- scenarios ------------------------------------------------------------------------------
GET = ("GetObject", {"Bucket": BUCKET, "Key": "key.txt"})


def boto_wrong_secret(t: Target) -> Made:
    return boto_call(t, *GET, secret="not-the-secret-" + t.secret[:8])


def aws_wrong_secret(t: Target) -> Made:
    return aws(
        t, "get-object", "--bucket", BUCKET, "--key", "key.txt",
        AWS_SECRET_ACCESS_KEY="not-the-secret-" + t.secret[:8],
    )  # fmt: skip


def aws_s3_cp_wrong_secret(t: Target) -> Made:
    # `aws s3 cp FILE s3://bucket/key` (an upload: PutObject, whose answer has a body).
    path = Path(t.home) / "upload.txt"
    path.write_bytes(b"hello")
    proc = rc.run_aws(
        t.home,
        ["s3", "cp", str(path), f"s3://{BUCKET}/key.txt", "--endpoint-url", t.base],
        AWS_ACCESS_KEY_ID=t.key,
        AWS_SECRET_ACCESS_KEY="not-the-secret-" + t.secret[:8],
        AWS_DEFAULT_REGION=t.region,
    )
    return Made(proc.stderr + proc.stdout, "awscli")


def curl_wrong_secret(t: Target) -> Made:
    return curl_v4(t, t.url(f"/{BUCKET}/key.txt"), secret="not-the-secret-" + t.secret[:8])


def boto_secret_newline(t: Target) -> Made:
    return boto_call(t, *GET, secret=t.secret + "\n")


def aws_secret_cr(t: Target) -> Made:
    # `export AWS_SECRET_ACCESS_KEY=$(cat secret.txt)` of a file with CR LF line ends.
    return aws(
        t, "get-object", "--bucket", BUCKET, "--key", "key.txt",
        AWS_SECRET_ACCESS_KEY=t.secret + "\r",
    )  # fmt: skip


def boto_unknown_key(t: Target) -> Made:
    return boto_call(t, *GET, key="AKIDNOTKNOWNHERE0001")


def aws_unknown_key(t: Target) -> Made:
    return aws(
        t, "get-object", "--bucket", BUCKET, "--key", "key.txt",
        AWS_ACCESS_KEY_ID="AKIDNOTKNOWNHERE0002",
    )  # fmt: skip


def boto_unsigned_meta(t: Target) -> Made:
    # A later layer adds x-amz-meta-color after botocore signed: sent, not signed.
    def add(request: Any, **_: Any) -> None:
        request.headers["x-amz-meta-color"] = "red"

    return boto_call(t, *GET, before_send=add)


PUT_TEXT = (
    "PutObject",
    {"Bucket": BUCKET, "Key": "key.txt", "Body": b"hello", "ContentType": "text/plain"},
)


def _charset(request: Any, **_: Any) -> None:
    # The HTTP layer appends a charset to the signed Content-Type.
    rc.set_header(request, "Content-Type", "text/plain; charset=utf-8")


def boto_signed_header_dropped(t: Target) -> Made:
    # A proxy strips the signed Content-Type: signed, not sent.
    def drop(request: Any, **_: Any) -> None:
        rc.set_header(request, "Content-Type", None)

    return boto_call(t, *PUT_TEXT, before_send=drop)


def boto_content_type_lowered(t: Target) -> Made:
    # A proxy lower-cases the signed Content-Type value.
    def lower(request: Any, **_: Any) -> None:
        rc.set_header(request, "Content-Type", "text/plain")

    put = {**PUT_TEXT[1], "ContentType": "Text/Plain"}
    return boto_call(t, "PutObject", put, before_send=lower)


def boto_content_type_charset(t: Target) -> Made:
    return boto_call(t, *PUT_TEXT, before_send=_charset)


def boto_v2_content_type_charset(t: Target) -> Made:
    return boto_call(t, *PUT_TEXT, signature_version="s3", before_send=_charset)


RECIPE = r"""
set -u
file=key.txt
bucket={bucket}
printf 'hello' > "$file"
s3Key="$SIGKIT_KEY"
s3Secret="$SIGKIT_SECRET"
dateValue=`date -R`
{body}
"""

RECIPE_PUT_NO_TYPE = r"""
# The docs' PUT recipe with its -H "Content-Type: ..." line left out.
resource="/${bucket}/${file}"
contentType="application/octet-stream"
stringToSign="PUT\n\n${contentType}\n${dateValue}\n${resource}"
signature=`echo -en ${stringToSign} | openssl sha1 -hmac ${s3Secret} -binary | base64`
curl -sS -v -X PUT -T "${file}" \
  -H "Date: ${dateValue}" \
  -H "Authorization: AWS ${s3Key}:${signature}" \
  "$SIGKIT_ENDPOINT/${bucket}/${file}"
"""

RECIPE_PUT_DATA = r"""
# The docs' PUT recipe with no Content-Type signed, the upload sent with curl --data-binary
# (which adds Content-Type: application/x-www-form-urlencoded).
resource="/${bucket}/${file}"
stringToSign="PUT\n\n\n${dateValue}\n${resource}"
signature=`echo -en ${stringToSign} | openssl sha1 -hmac ${s3Secret} -binary | base64`
curl -sS -v -X PUT --data-binary "@${file}" \
  -H "Date: ${dateValue}" \
  -H "Authorization: AWS ${s3Key}:${signature}" \
  "$SIGKIT_ENDPOINT/${bucket}/${file}"
"""

RECIPE_GET_ACL = r"""
# GET ?acl with the sub-resource left out of the resource signed.
resource="/${bucket}/${file}"
stringToSign="GET\n\n\n${dateValue}\n${resource}"
signature=`echo -en ${stringToSign} | openssl sha1 -hmac ${s3Secret} -binary | base64`
curl -sS -v \
  -H "Date: ${dateValue}" \
  -H "Authorization: AWS ${s3Key}:${signature}" \
  "$SIGKIT_ENDPOINT/${bucket}/${file}?acl"
"""

RECIPE_GET_RESPONSE_TYPE = r"""
# GET with a response-content-type override the resource signed leaves out.
resource="/${bucket}/${file}"
stringToSign="GET\n\n\n${dateValue}\n${resource}"
signature=`echo -en ${stringToSign} | openssl sha1 -hmac ${s3Secret} -binary | base64`
curl -sS -v \
  -H "Date: ${dateValue}" \
  -H "Authorization: AWS ${s3Key}:${signature}" \
  "$SIGKIT_ENDPOINT/${bucket}/${file}?response-content-type=text%2Fplain"
"""

RECIPE_PUT_MD5_UNSIGNED = r"""
# The docs' PUT recipe (Content-MD5 line empty) with a Content-MD5 header added to the upload.
resource="/${bucket}/${file}"
contentType="application/octet-stream"
md5=`openssl md5 -binary < "${file}" | base64`
stringToSign="PUT\n\n${contentType}\n${dateValue}\n${resource}"
signature=`echo -en ${stringToSign} | openssl sha1 -hmac ${s3Secret} -binary | base64`
curl -sS -v -X PUT -T "${file}" \
  -H "Date: ${dateValue}" \
  -H "Content-Type: ${contentType}" \
  -H "Content-MD5: ${md5}" \
  -H "Authorization: AWS ${s3Key}:${signature}" \
  "$SIGKIT_ENDPOINT/${bucket}/${file}"
"""

RECIPE_GET_NO_DATE = r"""
# The date signed, the -H "Date: ..." line left out.
resource="/${bucket}/${file}"
stringToSign="GET\n\n\n${dateValue}\n${resource}"
signature=`echo -en ${stringToSign} | openssl sha1 -hmac ${s3Secret} -binary | base64`
curl -sS -v \
  -H "Authorization: AWS ${s3Key}:${signature}" \
  "$SIGKIT_ENDPOINT/${bucket}/${file}"
"""

RECIPE_GET_NO_BUCKET = r"""
# Path-style URL, the bucket left out of the resource signed.
resource="/${file}"
stringToSign="GET\n\n\n${dateValue}\n${resource}"
signature=`echo -en ${stringToSign} | openssl sha1 -hmac ${s3Secret} -binary | base64`
curl -sS -v \
  -H "Date: ${dateValue}" \
  -H "Authorization: AWS ${s3Key}:${signature}" \
  "$SIGKIT_ENDPOINT/${bucket}/${file}"
"""


def recipe(body: str) -> Scenario:
    def run(t: Target) -> Made:
        script = RECIPE.replace("{bucket}", BUCKET).replace("{body}", body)
        out = rc.run_bash(
            script, t.home, SIGKIT_KEY=t.key, SIGKIT_SECRET=t.secret, SIGKIT_ENDPOINT=t.base
        )
        return Made(out, "curl")

    run.__name__ = f"recipe_{abs(hash(body))}"
    return run


def curl_plus_query(t: Target) -> Made:
    return curl_v4(t, t.url(f"/{BUCKET}?prefix=a+b"))


def curl_plus_path(t: Target) -> Made:
    return curl_v4(t, t.url(f"/{BUCKET}/a+b.txt"))


def curl_reserved_in_path(t: Target) -> Made:
    # curl 7.88 signs the path as sent: '*', '(' and ')' raw, which S3 encodes (%2A %28 %29).
    return curl_v4(t, t.url(f"/{BUCKET}/a*b(1).txt"))


def boto_meta_value_changed(t: Target) -> Made:
    # A signed x-amz-meta-* value rewritten to another word after signing.
    def change(request: Any, **_: Any) -> None:
        rc.set_header(request, "x-amz-meta-color", "blue")

    return boto_call(
        t, "PutObject", {**PUT_TEXT[1], "Metadata": {"color": "red"}}, before_send=change
    )


def curl_unsorted_query(t: Target) -> Made:
    return curl_v4(t, t.url(f"/{BUCKET}?prefix=a&delimiter=%2F"))


def curl_bare_acl(t: Target) -> Made:
    return curl_v4(t, t.url(f"/{BUCKET}?acl"))


def boto_query_dropped(t: Target) -> Made:
    # A layer strips the query after botocore signed ListObjectsV2 (?list-type=2...).
    def drop(request: Any, **_: Any) -> None:
        request.url = request.url.split("?", 1)[0]

    return boto_call(t, "ListObjectsV2", {"Bucket": BUCKET}, before_send=drop)


def boto_query_added(t: Target) -> Made:
    # A cache-buster appended to the URL after signing.
    def add(request: Any, **_: Any) -> None:
        request.url += ("&" if "?" in request.url else "?") + "_=1765152000"

    return boto_call(t, *GET, before_send=add)


def boto_plain_get(t: Target) -> Made:
    return boto_call(t, *GET)


def boto_region(t: Target) -> Made:
    return boto_call(t, *GET, region="eu-west-1")


def aws_region(t: Target) -> Made:
    return aws(t, "get-object", "--bucket", BUCKET, "--key", "key.txt", "--region", "eu-west-1")


def curl_region(t: Target) -> Made:
    return curl_v4(t, t.url(f"/{BUCKET}/key.txt"), scope="aws:amz:eu-west-1:s3")


def curl_service(t: Target) -> Made:
    return curl_v4(t, t.url(f"/{BUCKET}/key.txt"), scope=f"aws:amz:{t.region}:execute-api")


def aws_plain_get(t: Target) -> Made:
    return aws(t, "get-object", "--bucket", BUCKET, "--key", "key.txt")


@contextlib.contextmanager
def botocore_clock(moment: datetime) -> Any:
    """botocore's signing clock set to `moment`, for its own signers and the awscrt ones it
    uses when awscrt is installed (the test extras install it)."""

    def now(remove_tzinfo: bool = True) -> datetime:
        aware = moment.replace(tzinfo=UTC)
        return aware.replace(tzinfo=None) if remove_tzinfo else aware

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("botocore.auth.get_current_datetime", now))
        with contextlib.suppress(ImportError):
            import botocore.crt.auth  # noqa: F401

            stack.enter_context(mock.patch("botocore.crt.auth.get_current_datetime", now))
        yield


def boto_clock_behind(t: Target) -> Made:
    moment = (datetime.now(UTC) - SKEW).replace(tzinfo=None)
    with botocore_clock(moment):
        return boto_call(t, *GET)


def curl_old_amz_date(t: Target) -> Made:
    # curl 7.88 signs with an x-amz-date given on the command line (and sends it twice).
    old = (datetime.now(UTC) - SKEW).strftime("%Y%m%dT%H%M%SZ")
    return curl_v4(t, "-H", f"x-amz-date: {old}", t.url(f"/{BUCKET}/key.txt"))


def presigned_expired(t: Target) -> Made:
    moment = (datetime.now(UTC) - timedelta(minutes=10)).replace(tzinfo=None)
    with botocore_clock(moment):
        url = presign(t, 60)
    return Made(rc.run_curl(url), "curl")


def presigned_v2_expired(t: Target) -> Made:
    then = datetime.now(UTC).timestamp() - 600
    with mock.patch("botocore.auth.time.time", lambda: then):
        url = presign(t, 60, signature_version="s3")
    return Made(rc.run_curl(url), "curl")


def presigned_two_weeks(t: Target) -> Made:
    return Made(rc.run_curl(presign(t, 14 * 24 * 3600)), "curl")


def aws_presign_two_weeks(t: Target) -> Made:
    # `aws s3 presign --expires-in 1209600` (SigV4 set in the config), the URL used with curl.
    config = Path(t.home) / "aws-config"
    config.write_text("[default]\ns3 =\n    signature_version = s3v4\n")
    proc = rc.run_aws(
        t.home,
        [
            "s3",
            "presign",
            f"s3://{BUCKET}/key.txt",
            "--expires-in",
            "1209600",
            "--endpoint-url",
            t.base,
        ],
        AWS_ACCESS_KEY_ID=t.key,
        AWS_SECRET_ACCESS_KEY=t.secret,
        AWS_DEFAULT_REGION=t.region,
        AWS_CONFIG_FILE=str(config),
    )
    return Made(rc.run_curl(proc.stdout.strip()), "curl")


def presigned_get_used_for_put(t: Target) -> Made:
    path = os.path.join(t.home, "upload.txt")
    Path(path).write_bytes(b"hello")
    return Made(rc.run_curl("-T", path, presign(t, 300)), "curl")


class ScopeYesterday(S3SigV4Auth):
    """The credential scope dated from another clock (yesterday) than X-Amz-Date."""

    def scope(self, request: Any) -> str:
        return "/".join([self.credentials.access_key, self.credential_scope(request)])

    def credential_scope(self, request: Any) -> str:
        return "/".join([_yesterday(), self._region_name, self._service_name, "aws4_request"])


class KeyYesterday(S3SigV4Auth):
    """A signing key cached from yesterday: scope dated today, key derived for yesterday."""

    def signature(self, string_to_sign: str, request: Any) -> str:
        k_date = self._sign(("AWS4" + self.credentials.secret_key).encode(), _yesterday())
        k_region = self._sign(k_date, self._region_name)
        k_service = self._sign(k_region, self._service_name)
        k_signing = self._sign(k_service, "aws4_request")
        return str(self._sign(k_signing, string_to_sign, hex=True))


def boto_scope_yesterday(t: Target) -> Made:
    return boto_call(t, *GET, signer=ScopeYesterday)


def boto_key_yesterday(t: Target) -> Made:
    return boto_call(t, *GET, signer=KeyYesterday)


def curl_upload(t: Target) -> Made:
    # curl 7.88 -T: signs the empty-body hash while sending the file.
    path = os.path.join(t.home, "upload.txt")
    Path(path).write_bytes(b"hello")
    return curl_v4(t, "-T", path, t.url(f"/{BUCKET}/key.txt"))


def boto_body_changed(t: Target) -> Made:
    def change(request: Any, **_: Any) -> None:
        request.body = b"HELLO"  # same length, other bytes

    return boto_call(
        t, "PutObject", {"Bucket": BUCKET, "Key": "key.txt", "Body": b"hello"}, before_send=change
    )


def boto_token_added_unsigned(t: Target) -> Made:
    # Signed without a token; a later layer adds X-Amz-Security-Token (sent, not signed).
    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amz-Security-Token"] = t.token or ""

    return boto_call(t, *GET, before_send=add)


def aws_token_missing(t: Target) -> Made:
    return aws(t, "get-object", "--bucket", BUCKET, "--key", "key.txt")  # no AWS_SESSION_TOKEN


def boto_token_wrong(t: Target) -> Made:
    return boto_call(t, *GET, token="FwoGZXIvYXdzEXAMPLEanotherTOKEN")


def boto_v2_amz_date_added(t: Target) -> Made:
    # V2 signed with the Date line; a later layer adds x-amz-date (then the Date line must
    # be empty and x-amz-date is signed among the x-amz-* lines).
    def add(request: Any, **_: Any) -> None:
        request.headers["x-amz-date"] = request.headers["Date"]

    return boto_call(t, *GET, signature_version="s3", before_send=add)


def raw_v2_signature_in_v4(t: Target) -> Made:
    """Hand-modified bytes: botocore's V4 request carrying a V2 (HMAC-SHA1, base64) signature."""
    creds = BotoCredentials(t.key, t.secret)
    url = t.url(f"/{BUCKET}/key.txt")

    def signed(auth: Any) -> AWSRequest:
        request = AWSRequest(method="GET", url=url, data=b"")
        auth.add_auth(request)
        return request

    v2 = signed(HmacV1Auth(creds))
    v4 = signed(S3SigV4Auth(creds, "s3", t.region))
    v2sig = v2.headers["Authorization"].rsplit(":", 1)[1]
    auth = re.sub(r"Signature=\w+", f"Signature={v2sig}", v4.headers["Authorization"])
    headers = [("Host", f"{t.host}:{t.port}")]
    headers += [(n, auth if n == "Authorization" else v) for n, v in v4.headers.items()]
    headers += [("Content-Length", "0"), ("Connection", "close")]
    head = "\r\n".join([f"GET /{BUCKET}/key.txt HTTP/1.1", *(f"{n}: {v}" for n, v in headers)])
    rc.send_raw(t.host, t.port, (head + "\r\n\r\n").encode("latin-1"))
    return Made(None, "raw")


# -- the table ------------------------------------------------------------------------------
LOG_HIDES_MUTATION = (
    "explain-log against RGW is left out: the request was changed after botocore logged it, "
    "and RGW's answer holds no canonical request, so no source shows what was sent"
)
SERVER_CANNOT_SEE = (
    "verify and serve-xml are left out: a parameter dropped before sending leaves no trace in "
    "what the server receives"
)
ARBITRARY_VALUE = (
    "verify and serve-xml are left out: a signed value changed to an arbitrary other value "
    "cannot be told from a wrong secret by the server, which never saw the value signed; "
    "against RGW (no canonical request in its answer) no source shows both values"
)
PROXY_UNSEEN = (
    "explain-log against RGW is left out: the Host rewrite happens in a proxy after the client "
    "logged the request, and RGW's answer holds no canonical request"
)
STORE_NOTE = (
    "serve answers as the store does (its code and exact message, then sigkit's <Cause>); "
    "verify reads the request as received with the store's profile (--store)"
)


# -- the checksum era (against `sigkit serve --store NAME`) -----------------------------------
# The AWS CLI v1 and botocore 1.43 with their default checksum settings: CRC32 headers over
# HTTP; over TLS an aws-chunked body with a trailing CRC32. The relay is plain TCP, so the TLS
# check of botocore's choice is bypassed (its scheme read as https) to send the very request it
# sends over TLS; nothing else of it is changed.
@contextlib.contextmanager
def _as_over_tls() -> Any:
    from urllib.parse import urlparse

    import botocore.httpchecksum as httpchecksum

    def tls(url: str) -> Any:
        return urlparse(url)._replace(scheme="https")

    with mock.patch.object(httpchecksum, "urlparse", tls):
        yield


PUT_PARAMS = {"Bucket": BUCKET, "Key": "key.txt", "Body": b"a body of the checksum era"}


def aws_put_checksum_header(t: Target) -> Made:
    path = Path(t.home) / "upload.txt"
    path.write_bytes(b"a body of the checksum era")
    return aws(t, "put-object", "--bucket", BUCKET, "--key", "key.txt", "--body", str(path))


def boto_put_checksum_header(t: Target) -> Made:
    return boto_call(t, "PutObject", dict(PUT_PARAMS))


def boto_put_trailer(t: Target) -> Made:
    with _as_over_tls():
        return boto_call(t, "PutObject", dict(PUT_PARAMS))


def boto_put_trailer_then_get(t: Target) -> Made:
    with _as_over_tls(), rc.debug_log() as log:
        client = rc.boto_client(t.base, t.key, t.secret, region=t.region)
        rc.call(client, "PutObject", **PUT_PARAMS)
        rc.call(client, "GetObject", Bucket=BUCKET, Key="key.txt")
    return Made(log.getvalue(), "botocore")


def aws_delete_objects(t: Target) -> Made:
    objects = json.dumps({"Objects": [{"Key": "key.txt"}]})
    return aws(t, "delete-objects", "--bucket", BUCKET, "--delete", objects)


def curl_presigned_empty_checksum(t: Target) -> Made:
    """A presigned PUT bound to the empty body's CRC32 (what aws-sdk-js 3.729+ signs for a
    PutObjectCommand without a Body, made with `sigkit presign --checksum crc32` and no file),
    used by curl with a real body."""
    env = rc.clean_env(t.home, AWS_ACCESS_KEY_ID=t.key, AWS_SECRET_ACCESS_KEY=t.secret)
    sigkit = str(Path(sys.executable).parent / "sigkit")
    proc = subprocess.run(
        [sigkit, "presign", f"s3://{BUCKET}/key.txt", "--method", "PUT", "--checksum", "crc32",
         "--endpoint-url", t.base, "--region", t.region, "--expires", "600"],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    url = proc.stdout.strip().splitlines()[-1]
    path = Path(t.home) / "upload.txt"
    path.write_bytes(b"the real upload")
    return Made(rc.run_curl("-T", str(path), url), "curl")


def curl_chunked_no_length(t: Target) -> Made:
    # curl streams the body with Transfer-Encoding: chunked and no Content-Length.
    path = Path(t.home) / "upload.txt"
    path.write_bytes(b"a streamed body")
    return curl_v4(
        t, "-X", "PUT", "--data-binary", f"@{path}", "-H", "Transfer-Encoding: chunked",
        "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", t.url(f"/{BUCKET}/key.txt"),
    )  # fmt: skip


CASES: list[Case] = [
    Case("wrong-secret", "botocore", boto_wrong_secret, rgw=True),
    Case("wrong-secret", "awscli", aws_wrong_secret, rgw=True, awscli_line=True),
    Case("wrong-secret", "awscli-s3-cp", aws_s3_cp_wrong_secret, rgw=True, awscli_line=True),
    Case("wrong-secret", "curl", curl_wrong_secret, rgw=True),
    Case("secret-whitespace", "botocore-newline", boto_secret_newline, rgw=True),
    Case("secret-whitespace", "awscli-cr", aws_secret_cr, awscli_line=True),
    Case("unknown-access-key", "botocore", boto_unknown_key, rgw=True),
    Case("unknown-access-key", "awscli", aws_unknown_key, rgw=True, awscli_line=True),
    # RGW accepts an unsigned x-amz-meta-* header (S3 refuses it): serve only.
    Case("unsigned-header", "botocore-meta-added", boto_unsigned_meta),
    Case(
        "unsigned-header",
        "botocore-signed-type-dropped",
        boto_signed_header_dropped,
        rgw=True,
        rgw_paths=("verify",),
        note=LOG_HIDES_MUTATION,
    ),
    Case(
        "header-changed",
        "botocore-type-lower-cased",
        boto_content_type_lowered,
        rgw=True,
        rgw_paths=("verify",),
        note=LOG_HIDES_MUTATION,
    ),
    Case(
        "header-changed",
        "botocore-charset-added",
        boto_content_type_charset,
        rgw=True,
        rgw_paths=("verify",),
        note=LOG_HIDES_MUTATION,
    ),
    Case(
        "header-changed",
        "botocore-meta-value-changed",
        boto_meta_value_changed,
        rgw=True,
        paths=("explain-log",),
        rgw_paths=(),
        note=ARBITRARY_VALUE,
    ),
    Case("content-type-md5", "openssl-recipe-type-not-sent", recipe(RECIPE_PUT_NO_TYPE), rgw=True),
    Case(
        "content-type-md5",
        "botocore-v2-charset-added",
        boto_v2_content_type_charset,
        rgw=True,
        rgw_paths=("verify",),
        note=LOG_HIDES_MUTATION,
    ),
    Case(
        "content-type-md5", "openssl-recipe-curl-data-adds-type", recipe(RECIPE_PUT_DATA), rgw=True
    ),
    Case(
        "content-type-md5",
        "openssl-recipe-md5-not-signed",
        recipe(RECIPE_PUT_MD5_UNSIGNED),
        rgw=True,
    ),
    Case("query-encoding", "curl-plus-in-query", curl_plus_query, rgw=True),
    Case("path-encoding", "curl-plus-in-path", curl_plus_path, rgw=True),
    Case("path-encoding", "curl-reserved-in-path", curl_reserved_in_path, rgw=True),
    Case("query-order", "curl-unsorted", curl_unsorted_query, rgw=True),
    Case("empty-query-value", "curl-bare-acl", curl_bare_acl, rgw=True),
    Case(
        "query-not-sent",
        "botocore-query-dropped",
        boto_query_dropped,
        rgw=True,
        paths=("explain-log",),
        rgw_paths=("explain-log",),
        note=SERVER_CANNOT_SEE,
    ),
    Case(
        "query-not-sent",
        "botocore-query-added",
        boto_query_added,
        rgw=True,
        rgw_paths=("verify",),
        note=LOG_HIDES_MUTATION,
    ),
    Case(
        "host-port",
        "botocore-proxy-drops-port",
        boto_plain_get,
        rgw=True,
        proxy="drop-port-9000",
        rgw_paths=("verify",),
        note=PROXY_UNSEEN,
    ),
    Case("addressing-style", "openssl-recipe-no-bucket", recipe(RECIPE_GET_NO_BUCKET), rgw=True),
    Case("region", "botocore", boto_region),
    Case("region", "awscli", aws_region),
    Case("region", "curl", curl_region),
    Case(
        "service",
        "curl",
        curl_service,
        rgw=True,
        rgw_paths=("verify",),
        note="explain-log against RGW is left out: RGW answers a bare SignatureDoesNotMatch, "
        "and nothing in the log says which service the endpoint signs for",
    ),
    Case(
        "clock-skew", "awscli-server-clock-ahead", aws_plain_get, serve="skewed", awscli_line=True
    ),
    Case("clock-skew", "botocore-clock-behind", boto_clock_behind, rgw=True, serial=True),
    Case("clock-skew", "curl-old-amz-date", curl_old_amz_date, serve=None, rgw=True),
    Case("expired", "botocore-presign-curl", presigned_expired, rgw=True, serial=True),
    Case("expired", "botocore-v2-presign-curl", presigned_v2_expired, rgw=True, serial=True),
    Case("expires-too-long", "botocore-presign-curl", presigned_two_weeks, rgw=True),
    Case("expires-too-long", "awscli-presign-curl", aws_presign_two_weeks, rgw=True),
    Case("scope-date", "botocore-scope-yesterday", boto_scope_yesterday, rgw=True),
    Case("scope-date", "botocore-key-yesterday", boto_key_yesterday, rgw=True),
    Case("payload-hash", "curl-upload", curl_upload, rgw=True),
    Case(
        "body-changed",
        "botocore-body-changed",
        boto_body_changed,
        rgw=True,
        rgw_paths=("verify", "explain-log"),
    ),
    Case(
        "session-token", "awscli-token-missing", aws_token_missing, serve="token", awscli_line=True
    ),
    Case("session-token", "botocore-token-wrong", boto_token_wrong, serve="token"),
    Case(
        "session-token", "botocore-token-added-unsigned", boto_token_added_unsigned, serve="token"
    ),
    Case("v2-subresource", "openssl-recipe-acl-left-out", recipe(RECIPE_GET_ACL), rgw=True),
    Case(
        "v2-subresource",
        "openssl-recipe-response-type-left-out",
        recipe(RECIPE_GET_RESPONSE_TYPE),
        rgw=True,
    ),
    Case("signature-version", "raw-v2-signature-in-v4", raw_v2_signature_in_v4, rgw=True),
    Case("method", "presigned-get-curl-put", presigned_get_used_for_put, rgw=True),
    Case("v2-date", "openssl-recipe-no-date", recipe(RECIPE_GET_NO_DATE), rgw=True),
    Case(
        "v2-date",
        "botocore-v2-amz-date-added",
        boto_v2_amz_date_added,
        rgw=True,
        rgw_paths=("verify",),
        note=LOG_HIDES_MUTATION,
    ),
    Case(
        "checksum-unsupported", "awscli-put-r2", aws_put_checksum_header, store="r2",
        note=STORE_NOTE,
    ),
    Case(
        "checksum-unsupported", "botocore-put-b2", boto_put_checksum_header, store="b2",
        note=STORE_NOTE,
    ),
    Case(
        "aws-chunked-unsupported", "botocore-trailer-scality", boto_put_trailer, store="scality",
        serial=True, note=STORE_NOTE,
    ),
    Case(
        "aws-chunked-unsupported", "botocore-trailer-hetzner", boto_put_trailer, store="hetzner",
        serial=True, note=STORE_NOTE + "; Hetzner answers XAmzContentSHA256Mismatch, which "
        "names aws-chunked-unsupported only with the trailer request in view",
    ),
    Case(
        "content-md5-required", "awscli-delete-objects-minio", aws_delete_objects,
        store="minio", note=STORE_NOTE,
    ),
    Case(
        "presigned-checksum", "curl-presigned-empty-crc32-r2", curl_presigned_empty_checksum,
        store="r2", note=STORE_NOTE,
    ),
    Case(
        "content-length-chunked", "curl-chunked-storj", curl_chunked_no_length, store="storj",
        note=STORE_NOTE,
    ),
    Case(
        "chunked-framing-stored", "botocore-trailer-gcs", boto_put_trailer_then_get,
        store="gcs", serial=True, accepted=True,
        note="nothing is refused: GCS keeps the framing. verify reads the PUT as received with "
        "--store gcs; serve-xml is serve's answer to the GET (the object, framing and all), "
        "which sigkit explain names; explain-log is that object with the client's log "
        "(--also)",
    ),
]


# -- running a table ------------------------------------------------------------------------
@dataclass
class Outcome:
    """One case run against one server: what was sent and answered, and the files made."""

    case: Case
    where: str  # "serve" or "rgw"
    key: str
    secret: str
    token: str | None
    region: str
    clock_offset: timedelta
    home: Path
    exchanges: list[rc.Exchange] = field(default_factory=list)
    made: Made | None = None
    error: str = ""
    log: ServeLog | None = None

    @property
    def refused(self) -> rc.Exchange | None:
        """The refused exchange; for a case where nothing is refused (`Case.accepted`), the
        last answer (a GET of what the store kept)."""
        if self.case.accepted:
            done = [e for e in self.exchanges if 200 <= e.status < 300]
            return done[-1] if len(done) >= 2 else None
        # 404 (NoSuchBucket, NoSuchKey) is an answer to a request that passed authentication.
        return next((e for e in self.exchanges if e.status >= 400 and e.status != 404), None)

    @property
    def sent(self) -> rc.Exchange | None:
        """The request verify reads: the refused one; for an accepted case the first (the
        upload whose bytes the store kept)."""
        if self.case.accepted:
            return self.exchanges[0] if self.exchanges else None
        return self.refused

    @property
    def server_now(self) -> datetime:
        refused = self.refused
        moment = refused.received_at if refused else datetime.now(UTC)
        return moment + self.clock_offset

    @property
    def request_file(self) -> Path:
        return self.home / "request.http"

    @property
    def answer_file(self) -> Path:
        return self.home / "answer.xml"

    @property
    def response_file(self) -> Path:
        return self.home / "response.http"

    @property
    def log_file(self) -> Path | None:
        return self.home / "client.log" if self.made and self.made.log is not None else None

    def describe(self) -> str:
        refused = self.refused
        if self.error:
            return f"{self.where} {self.case.id}: the scenario failed: {self.error}"
        if refused is None:
            statuses = [e.status for e in self.exchanges]
            return f"{self.where} {self.case.id}: nothing refused (statuses {statuses})"
        return (
            f"{self.where} {self.case.id}: {refused.status} "
            f"{refused.body.decode('utf-8', 'replace')[:500]}"
        )


@dataclass(frozen=True)
class Upstream:
    where: str
    address: tuple[str, int]
    key: str
    secret: str
    token: str | None
    region: str
    clock_offset: timedelta = timedelta(0)
    log: ServeLog | None = None  # serve's JSON log lines


def _proxy(case: Case) -> tuple[tuple[str, int], Callable[[str], str] | None]:
    if case.proxy == "drop-port-9000":
        host = f"127.{random.randint(1, 250)}.{random.randint(1, 250)}.{random.randint(2, 250)}"
        return (host, 9000), lambda value: value.rsplit(":", 1)[0]
    return ("127.0.0.1", 0), None


def run_one(case: Case, upstream: Upstream, root: Path) -> Outcome:
    home = root / f"{upstream.where}-{case.id}"
    home.mkdir(parents=True, exist_ok=True)
    out = Outcome(
        case, upstream.where, upstream.key, upstream.secret, upstream.token, upstream.region,
        upstream.clock_offset, home,
    )  # fmt: skip
    out.log = upstream.log
    listen, rewrite = _proxy(case)
    try:
        recorder = rc.Recorder(upstream.address, listen, rewrite)
    except OSError as exc:
        out.error = f"cannot listen on {listen}: {exc}"
        return out
    target = Target(
        recorder.base, str(recorder.host), int(recorder.port), upstream.key, upstream.secret,
        upstream.token, upstream.region, str(home), upstream.where,
    )  # fmt: skip
    try:
        out.made = case.scenario(target)
    except Exception:
        out.error = traceback.format_exc(limit=4)
    finally:
        out.exchanges = recorder.close()
    refused, sent = out.refused, out.sent
    if refused is not None and sent is not None:
        out.request_file.write_bytes(sent.raw)
        out.answer_file.write_bytes(refused.body)
        out.response_file.write_bytes(refused.response)
    if out.made is not None and out.made.log is not None:
        (home / "client.log").write_text(out.made.log)
    return out


def run_cases(cases: list[Case], upstreams: dict[str, Upstream], root: Path) -> list[Outcome]:
    """Serial cases first (they patch a process-wide clock), then the rest in threads."""
    chosen = [
        (c, upstreams[name])
        for c, name in ((c, _upstream_name(c, upstreams)) for c in cases)
        if name
    ]
    results: dict[int, Outcome] = {}
    for index, (case, upstream) in enumerate(chosen):
        if case.serial:
            results[index] = run_one(case, upstream, root)
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        futures = {
            pool.submit(run_one, case, upstream, root): index
            for index, (case, upstream) in enumerate(chosen)
            if not case.serial
        }
        for future, index in futures.items():
            results[index] = future.result()
    return [results[i] for i in range(len(chosen))]


def _upstream_name(case: Case, upstreams: dict[str, Upstream]) -> str | None:
    if "rgw" in upstreams:
        return "rgw" if case.rgw else None
    if "serve-cli" in upstreams:
        return "serve-cli" if case.id in SERVE_CLI_CASES else None
    if case.store:
        return f"store-{case.store}" if f"store-{case.store}" in upstreams else None
    return case.serve if case.serve in upstreams else None


# -- the sigkit paths -----------------------------------------------------------------------
def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def verify_argv(o: Outcome, source: Path | None = None) -> list[str]:
    argv = [
        "verify",
        str(source or o.request_file),
        "--access-key",
        o.key,
        "--secret-key",
        o.secret,
    ]
    if o.token:
        argv += ["--session-token", o.token]
    argv += ["--region", o.region, "--service", "s3", "--now", stamp(o.server_now), "--json"]
    if o.case.store and o.where != "rgw":
        argv += ["--store", o.case.store]
    return argv


def explain_log_argv(o: Outcome, now: bool = False) -> list[str]:
    """The client's failed log with the server's answer in it; for a raw socket, the bytes sent
    with the answer given with --also."""
    if o.case.accepted and o.log_file is not None:
        # The object as the store returned it, with the client's log of the upload.
        argv = ["explain", str(o.answer_file), "--also", str(o.log_file)]
    elif o.log_file is not None:
        argv = ["explain", str(o.log_file)]
    else:
        argv = ["explain", str(o.request_file), "--also", str(o.answer_file)]
    argv += ["--secret-key", o.secret, "--json"]
    if now:
        argv += ["--now", stamp(o.server_now)]
    return argv


# -- process-wide runs, shared by the test modules ---------------------------------------------
_ROOT = Path(tempfile.mkdtemp(prefix="sigkit-causes-"))
atexit.register(shutil.rmtree, _ROOT, True)
_LOCK = threading.Lock()


@functools.cache
def pool() -> rc.SigkitPool:
    home = _ROOT / "sigkit-home"
    home.mkdir(exist_ok=True)
    workers = rc.SigkitPool(str(home), workers=3)
    atexit.register(workers.close)
    return workers


class ServeLog(io.StringIO):
    """serve's JSON log lines, looked up by request id."""

    def entry(self, request_id: str) -> dict[str, Any] | None:
        for line in self.getvalue().splitlines():
            with contextlib.suppress(ValueError):
                data = json.loads(line)
                if isinstance(data, dict) and data.get("request_id") == request_id:
                    return data
        return None


SERVE_LOG = ServeLog()


def _start_serve(
    credentials: Credentials, offset: timedelta, store: str | None = None
) -> VerifyingServer:
    from sigkit import stores

    server = VerifyingServer(
        ("127.0.0.1", 0),
        {credentials.access_key_id: credentials},
        log=SERVE_LOG,
        log_json=True,
        diagnose=True,
        region=SERVE_REGION,
        service=SERVE_SERVICE,
        clock=lambda: datetime.now(UTC) + offset,
        store=stores.get(store) if store else None,
    )
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()

    def stop() -> None:
        with contextlib.suppress(Exception):
            server.shutdown()
            server.server_close()

    atexit.register(stop)
    return server


@functools.cache
def serve_outcomes() -> tuple[Outcome, ...]:
    """Every case with a `sigkit serve` endpoint, run once per process."""
    with _LOCK:
        upstreams = {}
        named = sorted({c.store for c in CASES if c.store and c.serve is not None})
        for name, creds, offset, store in (
            ("plain", Credentials(KEY, SECRET), timedelta(0), None),
            ("token", Credentials(TOKEN_KEY, SECRET, TOKEN), timedelta(0), None),
            ("skewed", Credentials(KEY, SECRET), SKEW, None),
            *((f"store-{n}", Credentials(KEY, SECRET), timedelta(0), n) for n in named),
        ):
            server = _start_serve(creds, offset, store)
            address = ("127.0.0.1", int(server.server_address[1]))
            upstreams[name] = Upstream(
                "serve", address, creds.access_key_id, creds.secret_access_key,
                creds.session_token, SERVE_REGION, offset, SERVE_LOG,
            )  # fmt: skip
        return tuple(run_cases(CASES, upstreams, _ROOT / "serve"))


@functools.cache
def rgw_outcomes(endpoint: str, key: str, secret: str, region: str) -> tuple[Outcome, ...]:
    """Every case RGW refuses, run once per process against the running RGW."""
    with _LOCK:
        host, _, port = endpoint.split("//", 1)[1].rstrip("/").partition(":")
        upstream = Upstream("rgw", (host, int(port or 80)), key, secret, None, region)
        _rgw_bucket(endpoint, key, secret, region)
        return tuple(run_cases(CASES, {"rgw": upstream}, _ROOT / "rgw"))


def _rgw_bucket(endpoint: str, key: str, secret: str, region: str) -> None:
    """The bucket and object the cases name, so that RGW refuses for the fault, not for a
    missing bucket (it looks the bucket up before it checks a body's hash)."""
    from botocore.exceptions import ClientError

    client = rc.boto_client(endpoint, key, secret, region=region)
    try:
        client.create_bucket(Bucket=BUCKET)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    client.put_object(Bucket=BUCKET, Key="key.txt", Body=b"hello")


def rgw_env(s3server: dict[str, str]) -> tuple[str, str, str, str]:
    return (
        s3server["S3_ENDPOINT"],
        s3server["AWS_ACCESS_KEY_ID"],
        s3server["AWS_SECRET_ACCESS_KEY"],
        s3server.get("AWS_DEFAULT_REGION") or "us-east-1",
    )


# -- the cause paths, run once per process ------------------------------------------------------
PathResults = dict[tuple[str, str], rc.CliResult]


def cause_paths(outcomes: tuple[Outcome, ...], rgw: bool) -> PathResults:
    """`sigkit verify` and `sigkit explain` for every case's paths (serve-xml needs no call)."""
    keys: list[tuple[str, str]] = []
    batch: list[list[str]] = []
    for o in outcomes:
        if o.refused is None:
            continue
        for path in o.case.rgw_paths if rgw else o.case.paths:
            if path == "verify":
                batch.append(verify_argv(o))
            elif path == "explain-log":
                batch.append(explain_log_argv(o))
            else:
                continue
            keys.append((o.case.id, path))
    return dict(zip(keys, pool().run_all(batch), strict=True))


@functools.cache
def serve_paths() -> PathResults:
    return cause_paths(serve_outcomes(), rgw=False)


@functools.cache
def rgw_paths(endpoint: str, key: str, secret: str, region: str) -> PathResults:
    return cause_paths(rgw_outcomes(endpoint, key, secret, region), rgw=True)


def check_path(o: Outcome, path: str, results: PathResults) -> None:
    """The cause is named first on `path`; AssertionError with what was said instead."""
    assert o.refused is not None, o.describe()
    if path == "serve-xml":
        check_serve_xml(o)
        return
    result = results[(o.case.id, path)]
    assert result.first_cause() == o.case.cause, f"{result.show()}\n{o.describe()}"


SIGKIT_LINE = re.compile(r"sigkit: (?P<cause>[a-z0-9-]+) \((?P<how>certain|likely)\): \S")


def check_store_answer(o: Outcome) -> None:
    """serve --store answered as the store does: its status, code and exact message (when it
    sends one), then sigkit's <Cause>; its log line names the cause. For an accepted case: the
    object serve returned is what the store keeps, and sigkit explain names the cause from it."""
    import xml.etree.ElementTree as ET

    from sigkit import stores

    assert o.refused is not None and o.case.store is not None
    store = stores.get(o.case.store)
    if o.case.accepted:
        assert store.stores_chunked_framing, store
        body = o.refused.body
        assert body.startswith(b"%x\r\n" % len(PUT_PARAMS["Body"])), body[:200]
        result = pool().run_all([["explain", str(o.answer_file), "--json"]])[0]
        assert result.first_cause() == o.case.cause, result.show()
        return
    refusal = store.refusals[o.case.cause]
    root = ET.fromstring(o.refused.body.decode("utf-8", "replace"))
    problems = []
    if (o.refused.status, root.findtext("Code")) != (refusal.status, refusal.code):
        problems.append(f"answered {o.refused.status} {root.findtext('Code')}")
    message = root.findtext("Message")
    prefix = refusal.message.split("{", 1)[0]
    if refusal.message and not (message or "").startswith(prefix):
        problems.append(f"<Message> {message!r}")
    if not refusal.message and message:
        problems.append(f"a <Message> the store does not send: {message!r}")
    if root.findtext("Cause") != o.case.cause:
        problems.append(f"<Cause> is {root.findtext('Cause')!r}")
    request_id = next(
        (v for n, v in rc.response_headers(o.refused.response) if n.lower() == "x-amz-request-id"),
        "",
    )
    entry = (o.log.entry(request_id) if o.log is not None else None) or {}
    if entry.get("cause") != o.case.cause:
        problems.append(f"serve's log line: {entry or None}")
    assert not problems, f"{'; '.join(problems)}\n{o.refused.body[:1200]!r}"


def check_serve_xml(o: Outcome) -> None:
    import xml.etree.ElementTree as ET

    if o.case.store:
        check_store_answer(o)
        return
    assert o.refused is not None
    body = o.refused.body.decode("utf-8", "replace")
    root = ET.fromstring(body)
    cause = root.findtext("Cause")
    message = root.findtext("Message") or ""
    sentence = message.partition("sigkit: ")[0]
    found = SIGKIT_LINE.search(message)
    problems = []
    if cause != o.case.cause:
        problems.append(f"<Cause> is {cause!r}")
    if not sentence.strip():
        problems.append("<Message> does not start with S3's sentence")
    if found is None or found.group("cause") != o.case.cause:
        problems.append(f"<Message> names {found.group('cause') if found else None!r}")
    request_id = next(
        (v for n, v in rc.response_headers(o.refused.response) if n.lower() == "x-amz-request-id"),
        "",
    )
    entry = (o.log.entry(request_id) if o.log is not None else None) or {}
    if entry.get("cause") != o.case.cause or not isinstance(entry.get("certain"), bool):
        problems.append(f"serve's log line: {entry or None}")
    if o.case.awscli_line and o.made is not None and o.made.log is not None:
        lines = [x for x in o.made.log.splitlines() if "An error occurred (" in x]
        if not lines or f"sigkit: {o.case.cause} (" not in lines[-1]:
            problems.append(f"the AWS CLI's error line: {lines[-1][:300] if lines else None!r}")
    assert not problems, f"{'; '.join(problems)}\n{body[:1200]}"


# -- `sigkit serve` as a command ---------------------------------------------------------------
# A few cases against the `sigkit serve` command (its --region/--service/--json options), as a
# user starts it; the rest run against the in-process server, which is the same code.
SERVE_CLI_CASES = (
    "wrong-secret-awscli-s3-cp",
    "region-curl",
    "service-curl",
    "unsigned-header-botocore-meta-added",
    "query-encoding-curl-plus-in-query",
    "v2-subresource-openssl-recipe-acl-left-out",
    "body-changed-botocore-body-changed",
)


@functools.cache
def serve_cli_outcomes() -> tuple[Outcome, ...]:
    with _LOCK:
        sigkit = str(Path(sys.executable).parent / "sigkit")
        home = _ROOT / "serve-cli-home"
        home.mkdir(parents=True, exist_ok=True)
        argv = [sigkit, "serve", "--port", "0", "--json", "--access-key", KEY]
        argv += ["--secret-key", SECRET, "--region", SERVE_REGION, "--service", SERVE_SERVICE]
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=rc.clean_env(str(home)),
            stdin=subprocess.DEVNULL,
        )
        atexit.register(_stop, proc)
        log = ServeLog()
        started = threading.Event()
        listening: list[str] = []

        def drain(stream: Any) -> None:
            for line in stream:
                with contextlib.suppress(ValueError):
                    data = json.loads(line)
                    if isinstance(data, dict) and "listening" in data:
                        listening.append(str(data["listening"]))
                        started.set()
                log.write(line)

        for stream in (proc.stdout, proc.stderr):
            threading.Thread(target=drain, args=(stream,), daemon=True).start()
        if not started.wait(20):
            raise RuntimeError(f"sigkit serve did not start: {log.getvalue()[-500:]}")
        port = int(listening[0].rsplit(":", 1)[1].strip("/"))
        upstream = Upstream(
            "serve-cli", ("127.0.0.1", port), KEY, SECRET, None, SERVE_REGION, timedelta(0), log
        )
        return tuple(run_cases(CASES, {"serve-cli": upstream}, _ROOT / "serve-cli"))


def _stop(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(Exception):
        proc.terminate()
        proc.wait(timeout=10)


@functools.cache
def serve_cli_paths() -> PathResults:
    return cause_paths(serve_cli_outcomes(), rgw=False)

"""S3 Signature Version 2 (HmacV1): string to sign, canonicalised resource, signature.

Rules from "Signing and authenticating REST requests (AWS signature version 2)" in the S3
documentation; see docs/s3-sigv2.md. Nothing here reads a clock or the environment.
"""

from __future__ import annotations

import re
from binascii import b2a_base64
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Literal

from sigkit.credentials import Credentials
from sigkit.encoding import parse_query, percent_decode, uri_encode
from sigkit.errors import InputError
from sigkit.hmackey import HmacKey
from sigkit.http import Request
from sigkit.keycache import holds_keys
from sigkit.result import SigningResult, sensitive_values
from sigkit.timefmt import signing_epoch, signing_http_date

Addressing = Literal["virtual-hosted", "path", "service"]
ADDRESSING_STYLES = ("virtual-hosted", "path", "service")

# Query parameters that are part of the canonicalised resource: AWS's published list plus
# the newer ones S3 clients sign (botocore's list), sorted.
SUBRESOURCES = frozenset(
    [
        "accelerate",
        "acl",
        "analytics",
        "cors",
        "defaultObjectAcl",
        "delete",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "partNumber",
        "policy",
        "replication",
        "requestPayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "select",
        "select-type",
        "storageClass",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    ]
)

# Virtual-hosted AWS hosts: bucket.s3.amazonaws.com, bucket.s3.region.amazonaws.com,
# bucket.s3-region.amazonaws.com, and the .cn partition.
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
_AWS_VHOST = re.compile(
    rf"(?P<bucket>.+?)\.s3(?:\.dualstack)?(?:[.-]{_REGION})?\.amazonaws\.com(?:\.cn)?\Z"
)


@dataclass(frozen=True, slots=True)
class S3V2Config:
    """Options of one S3 V2 signature.

    - `bucket` / `addressing`: where the bucket is; None infers them from the host (AWS hosts and
      `endpoint_bases`) and the path.
    - `endpoint_bases`: hosts of S3-compatible stores whose sub-domains are buckets, e.g.
      ``storage.yandexcloud.net``.
    - `expires_at` (query variant): the ``Expires`` epoch; None means signing time +
      `expires_in` seconds.
    - `plus_as_space`: read a raw ``+`` in a sub-resource value as a space (off: botocore and
      the documentation only percent-decode).
    """

    bucket: str | None = None
    addressing: Addressing | None = None
    endpoint_bases: tuple[str, ...] = ()
    expires_at: int | None = None
    expires_in: int = 3600
    plus_as_space: bool = False

    def __post_init__(self) -> None:
        if self.addressing is not None and self.addressing not in ADDRESSING_STYLES:
            raise InputError("addressing", f"{self.addressing!r} is not one of {ADDRESSING_STYLES}")
        if self.expires_at is not None and self.expires_at < 0:
            raise InputError("expires", f"{self.expires_at} is before 1970")
        if self.expires_in < 1:
            raise InputError("expires", f"{self.expires_in} must be at least 1 second")


_DEFAULT_CONFIG = S3V2Config()

# The only service S3 V2 (HmacV1) signs: S3 Express One Zone, Outposts and Object Lambda take
# SigV4 only (botocore 1.43 has no HmacV1 signer for them).
V2_SERVICE = "s3"
_ADDRESSING_ALIASES: dict[str, Addressing] = {"virtual": "virtual-hosted"}


def v2_rules(
    service: str | None = V2_SERVICE,
    *,
    addressing: str | None = None,
    **changes: object,
) -> S3V2Config:
    """The S3 V2 config for `service` (None: unnamed, taken as S3): the V2 counterpart of
    `sigkit.sigv4.config.rules_for`, the one place that says which services V2 signs.

    `addressing` is "virtual-hosted" (or "virtual"), "path", "service" or None (found from the
    host); `changes` set the other `S3V2Config` fields (``bucket``, ``expires_in`` ...)."""
    if service is not None and service != V2_SERVICE:
        raise InputError(
            "--sig", f"S3 V2 signs only {V2_SERVICE!r} requests, not {service!r}; use SigV4"
        )
    style = _ADDRESSING_ALIASES.get(addressing, addressing) if addressing else None
    if not changes and style is None:
        return _DEFAULT_CONFIG
    return S3V2Config(addressing=style, **changes)  # type: ignore[arg-type]


@lru_cache(maxsize=256)
def _aws_bucket(host: str) -> str | None:
    """The bucket of a virtual-hosted AWS host name (the regular expression costs a
    microsecond; a program signs for few hosts)."""
    match = _AWS_VHOST.match(host)
    return match.group("bucket") if match else None


def locate_bucket(
    request: Request, config: S3V2Config, host: str | None = None
) -> tuple[str | None, Addressing, str]:
    """(bucket, addressing, how it was found); `host` is the request's, when known already."""
    if config.addressing is None and config.bucket is None and not config.endpoint_bases:
        return _located_by_host(host or request.host)  # the usual config: the host decides
    host = (host or request.host).lower()
    host_only = _host_only(host)
    if config.addressing is not None:
        if config.addressing == "virtual-hosted" and config.bucket is None:
            return host_only, "virtual-hosted", "the whole host name (CNAME bucket)"
        if config.addressing == "path" and config.bucket is not None:
            first = request.path.lstrip("/").split("/", 1)[0]
            if first != config.bucket:
                raise InputError(
                    "bucket", f"path style, but the path does not start with /{config.bucket}"
                )
        return config.bucket, config.addressing, "given"
    from_host = _aws_bucket(host_only)
    match = from_host is not None
    for base in config.endpoint_bases:
        base = base.lower()
        if from_host is None and host_only.endswith("." + base):
            from_host = host_only[: -len(base) - 1]
    if config.bucket is not None:
        if from_host == config.bucket or host_only.startswith(config.bucket.lower() + "."):
            return config.bucket, "virtual-hosted", "given; the host names it"
        first = request.path.lstrip("/").split("/", 1)[0]
        if first == config.bucket:
            return config.bucket, "path", "given; the path starts with it"
        return config.bucket, "virtual-hosted", "given; neither host nor path names it (CNAME)"
    if from_host is not None:
        how = _FROM_AWS_HOST if match else "from the host under a configured endpoint"
        return from_host, "virtual-hosted", how
    return None, "path", _PATH_STYLE


_FROM_AWS_HOST = "from the AWS host name"
_PATH_STYLE = "path style (the bucket, if any, is the first path segment)"


def _host_only(host: str) -> str:
    return host.rsplit(":", 1)[0] if not host.endswith("]") else host


@lru_cache(maxsize=256)
def _located_by_host(host: str) -> tuple[str | None, Addressing, str]:
    """`locate_bucket` for a config that names no bucket, addressing or endpoint: the host
    alone decides, so the answer is remembered (a program signs for few hosts)."""
    bucket = _aws_bucket(_host_only(host.lower()))
    if bucket is not None:
        return bucket, "virtual-hosted", _FROM_AWS_HOST
    return None, "path", _PATH_STYLE


def _bucket_note(bucket: str | None, addressing: str, how: str, path: str) -> str:
    """Where the bucket was found, for the steps (never "bucket None")."""
    if bucket is not None:
        return f"bucket {bucket!r}, {addressing} addressing: {how}"
    if addressing == "path":
        first = path.lstrip("/").split("/", 1)[0]
        if first:
            return f"bucket {first!r} (the first path segment), path addressing"
        return "no bucket (the path is /: the service), path addressing"
    return f"no bucket, {addressing} addressing: {how}"


def canonical_resource(
    request: Request, config: S3V2Config, host: str | None = None
) -> tuple[str, list[str]]:
    bucket, addressing, how = locate_bucket(request, config, host)
    path = request.path or "/"
    notes = [_bucket_note(bucket, addressing, how, path)]
    if addressing == "virtual-hosted" and bucket is not None:
        resource = f"/{bucket}{path}"
    elif addressing == "service":
        resource = "/"
    else:
        resource = path
    subresources: list[tuple[str, str | None]] = []
    left_out: list[str] = []
    for name, value in parse_query(request.query) if request.query else ():
        if name in SUBRESOURCES:
            decoded = None
            if value is not None:
                decoded = percent_decode(value, plus_as_space=config.plus_as_space).decode(
                    "utf-8", "surrogateescape"
                )
            subresources.append((name, decoded))
        else:
            left_out.append(name)
    if subresources:
        subresources.sort(key=lambda pair: pair[0])
        resource += "?" + "&".join(n if v is None else f"{n}={v}" for n, v in subresources)
    if left_out:
        notes.append(f"query parameters not signed (not sub-resources): {', '.join(left_out)}")
    return resource, notes


def _amz_header_lines(groups: dict[str, list[str]]) -> str:
    amz = sorted([(name, values) for name, values in groups.items() if name[:6] == "x-amz-"])
    return "".join(
        [
            f"{name}:{values[0].strip()}\n"
            if len(values) == 1
            else f"{name}:{','.join([v.strip() for v in values])}\n"
            for name, values in amz
        ]
    )


def _line(groups: dict[str, list[str]], name: str) -> str:
    """A header's values as signed: each trimmed, repeats joined with commas."""
    values = groups.get(name)
    if not values:
        return ""
    if len(values) == 1:
        return values[0].strip()
    return ",".join([v.strip() for v in values])


@holds_keys
@lru_cache(maxsize=16)
def _secret_key(secret: str) -> HmacKey:
    return HmacKey(secret.encode("utf-8"), "sha1")


def _sign(secret: str, string_to_sign: str) -> str:
    try:
        message = string_to_sign.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("request", "holds text that is not valid UTF-8") from None
    return b2a_base64(_secret_key(secret).digest(message), newline=False).decode("ascii")


def _string_to_sign(
    request: Request,
    groups: dict[str, list[str]],
    date_line: str,
    config: S3V2Config,
    values: dict[str, str],
) -> tuple[str, list[str]]:
    """Fill in the V2 steps from the headers as sent (`groups`: lower-case name -> values)."""
    host = groups["host"][0].strip() if "host" in groups else None
    resource, notes = canonical_resource(request, config, host)
    values["content_md5"] = md5 = _line(groups, "content-md5")
    values["content_type"] = content_type = _line(groups, "content-type")
    values["date_line"] = date_line
    values["amz_headers"] = amz = _amz_header_lines(groups)
    values["canonical_resource"] = resource
    values["string_to_sign"] = text = (
        f"{request.method}\n{md5}\n{content_type}\n{date_line}\n{amz}{resource}"
    )
    return text, notes


def sign_v2(
    request: Request, credentials: Credentials, when: datetime, config: S3V2Config | None = None
) -> SigningResult:
    """Header variant: ``Authorization: AWS <key>:<signature>``.

    The date signed is the request's own ``Date`` when it has one, else a ``Date`` set to
    `when` is added. With ``x-amz-date`` the Date line is empty and the date is signed
    among the x-amz-* headers, as the S3 documentation states.
    """
    config = config or _DEFAULT_CONFIG
    groups = request.header_groups()
    if "authorization" in groups:
        raise InputError("header Authorization", "the request is already signed; remove it first")
    added: list[tuple[str, str]] = []
    if "host" not in groups:
        added.append(("Host", request.host))
    token = credentials.session_token
    if token is not None:
        sent = groups.get("x-amz-security-token")
        if sent is None:
            added.append(("x-amz-security-token", token))
            groups["x-amz-security-token"] = [token]
        elif sent[0].strip() != token:
            raise InputError("header x-amz-security-token", "differs from the session token given")
    notes: dict[str, list[str]] = {}
    if "x-amz-date" in groups:
        date_line = ""
        notes["date_line"] = ["empty because x-amz-date is sent (it is signed with x-amz-*)"]
    elif "date" in groups:
        date_line = groups["date"][0].strip()
        notes["date_line"] = ["the request's own Date header"]
    else:
        date_line = signing_http_date(when)
        added.append(("Date", date_line))
        notes["date_line"] = ["Date header added at the signing time"]
    if added and added[0][0] == "Host":
        groups["host"] = [added[0][1]]
    values: dict[str, str] = {}
    text, notes["canonical_resource"] = _string_to_sign(request, groups, date_line, config, values)
    signature = _sign(credentials.secret_access_key, text)
    authorization = f"AWS {credentials.access_key_id}:{signature}"
    values["signature"] = signature
    values["authorization"] = authorization
    added.append(("Authorization", authorization))
    return SigningResult(
        "s3v2",
        "header",
        values,
        request.with_signer_headers(added),
        notes,
        sensitive_values(request, token, groups),
        added,
    )


def sign_v2_query(
    request: Request, credentials: Credentials, when: datetime, config: S3V2Config | None = None
) -> SigningResult:
    """Query variant: ``AWSAccessKeyId``, ``Signature`` and ``Expires`` appended to the URL."""
    config = config or _DEFAULT_CONFIG
    if request.query:
        for name, _ in parse_query(request.query):
            if name in ("Signature", "AWSAccessKeyId", "Expires"):
                raise InputError("query", f"the URL is already presigned ({name}); remove it first")
    if config.expires_at is not None:
        expires = config.expires_at
    else:
        expires = signing_epoch(when) + config.expires_in
    groups = request.header_groups()
    sensitive = sensitive_values(request, credentials.session_token, groups)
    token = credentials.session_token
    if token is not None:  # signed as if sent as a header
        groups.setdefault("x-amz-security-token", []).append(token)
    host_added = [] if "host" in groups else [("Host", request.host)]
    if host_added:
        groups["host"] = [host_added[0][1]]
    values: dict[str, str] = {}
    text, resource_notes = _string_to_sign(request, groups, str(expires), config, values)
    notes = {
        "canonical_resource": resource_notes,
        "date_line": ["the Expires value (seconds since the epoch)"],
    }
    signature = _sign(credentials.secret_access_key, text)
    values["signature"] = signature
    # base64 holds three characters to encode: replacing them costs a tenth of quote()
    encoded_signature = signature.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    encoded = (
        f"AWSAccessKeyId={uri_encode(credentials.access_key_id)}"
        f"&Signature={encoded_signature}&Expires={expires}"
    )
    if token is not None:
        encoded += f"&x-amz-security-token={uri_encode(token)}"
    signed = request._copy(
        f"{request.query}&{encoded}" if request.query else encoded,
        (*host_added, *request.headers),
    )
    values["query_added"] = encoded
    return SigningResult("s3v2", "query", values, signed, notes, sensitive)


presign_v2 = sign_v2_query

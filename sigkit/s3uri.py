"""``s3://BUCKET/KEY`` targets, the S3 naming rules, and the URL an object is reached at.

A key is text as stored, never percent-decoded: ``s3://b/a%20b`` names the key ``a%20b``, as in
the AWS CLI. In a URL the key is encoded the way S3 clients send it (every byte outside
``A-Z a-z 0-9 - . _ ~`` and ``/`` as upper-case ``%XX``), which is also the canonical form a
SigV4 S3 server recomputes, so a signer that signs the path as sent and one that canonicalises
it agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sigkit.encoding import uri_encode
from sigkit.errors import InputError
from sigkit.http import split_url

MAX_KEY_BYTES = 1024
Addressing = Literal["path", "virtual"]

_BUCKET_CHARS = re.compile(r"[a-z0-9.-]+\Z")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}\Z")
# Reserved by AWS for its own naming schemes (general purpose bucket naming rules).
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_DOT_SEGMENT = re.compile(r"(?:^|/)\.{1,2}(?:/|$)")
_SCHEME = re.compile(r"https?://", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class S3Uri:
    """A bucket and, when the target names one, a key (``None`` for ``s3://BUCKET[/]``)."""

    bucket: str
    key: str | None = None


def parse_s3_uri(text: str, *, field: str = "TARGET") -> S3Uri:
    """Split ``s3://BUCKET[/KEY]``, checking the bucket name and the key."""
    if not text.startswith("s3://"):
        raise InputError(field, f"{text!r} is not an S3 URI; write s3://BUCKET[/KEY]")
    bucket, _, key = text[len("s3://") :].partition("/")
    if not bucket:
        raise InputError(field, f"{text!r} names no bucket; write s3://BUCKET[/KEY]")
    check_bucket_name(bucket, field=field)
    if key:
        check_key(key, field=field)
    return S3Uri(bucket, key or None)


def check_bucket_name(name: str, *, field: str = "bucket") -> str:
    """The S3 rules for general purpose buckets; the message names the rule broken."""
    if not 3 <= len(name) <= 63:
        raise InputError(field, f"bucket name {name!r} must be 3 to 63 characters long")
    if not _BUCKET_CHARS.match(name):
        raise InputError(
            field,
            f"bucket name {name!r} may hold only lower-case letters, digits, '.' and '-'",
        )
    if not (name[0].isalnum() and name[-1].isalnum()):
        raise InputError(field, f"bucket name {name!r} must begin and end with a letter or digit")
    if ".." in name:
        raise InputError(field, f"bucket name {name!r} must not hold two adjacent periods")
    if _IPV4.match(name):
        raise InputError(field, f"bucket name {name!r} must not look like an IP address")
    for prefix in _RESERVED_PREFIXES:
        if name.startswith(prefix):
            raise InputError(field, f"bucket name {name!r} must not begin with {prefix!r}")
    for suffix in _RESERVED_SUFFIXES:
        if name.endswith(suffix):
            raise InputError(field, f"bucket name {name!r} must not end with {suffix!r}")
    return name


def check_key(key: str, *, field: str = "key") -> str:
    """A key is 1 to 1024 bytes of UTF-8; anything else S3 refuses."""
    if not key:
        raise InputError(field, "empty object key")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InputError(field, f"key holds bytes that are not UTF-8 (at {exc.start})") from None
    if size > MAX_KEY_BYTES:
        raise InputError(field, f"key is {size} bytes of UTF-8; S3 allows at most {MAX_KEY_BYTES}")
    return key


def encode_key(key: str) -> str:
    """The key as it goes in a URL path: ``/`` kept, every other non-unreserved byte ``%XX``."""
    return uri_encode(key, keep_slash=True)


def has_dot_segment(path: str) -> bool:
    """True when a ``.`` or ``..`` segment would be removed by a URL parser (curl, browsers)."""
    return bool(_DOT_SEGMENT.search(path))


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go: ``scheme://host[:port]``, and whether it is AWS's own S3."""

    scheme: str
    authority: str
    aws: bool

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}"


def aws_endpoint(region: str) -> Endpoint:
    """AWS's regional S3 endpoint (``.amazonaws.com.cn`` in the China regions)."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return Endpoint("https", f"s3.{region}.{suffix}", aws=True)


def parse_endpoint(url: str, *, field: str = "--endpoint-url") -> Endpoint:
    """``scheme://host[:port]`` of an S3-compatible store; a path, query or no scheme is refused."""
    if not _SCHEME.match(url):
        raise InputError(field, f"{url!r} has no scheme; write http://HOST[:PORT] or https://...")
    try:
        scheme, authority, path, query = split_url(url)
    except InputError as exc:
        raise InputError(field, exc.message) from None
    if query is not None or path.rstrip("/"):
        raise InputError(field, f"{url!r} has a path or query; give only scheme://host[:port]")
    return Endpoint(scheme, authority, aws=False)


def dns_compatible(bucket: str) -> bool:
    """Whether the bucket can be a host label under a wildcard TLS certificate (no dots)."""
    return "." not in bucket


def can_be_virtual_host(endpoint: Endpoint) -> bool:
    """An IP literal or ``localhost`` has no sub-domains for buckets."""
    host = endpoint.authority.rsplit(":", 1)[0] if "]" not in endpoint.authority else ""
    return bool(host) and not _IPV4.match(host) and host.lower() != "localhost"


def choose_addressing(
    endpoint: Endpoint, bucket: str, choice: str | None, *, field: str = "--addressing"
) -> tuple[Addressing, list[str]]:
    """The addressing style for `bucket` at `endpoint` and what to remark about it. `choice`
    None: virtual-hosted on AWS for a bucket without dots (a dotted host name fails the
    wildcard certificate), path style otherwise and under a custom endpoint; "virtual" (or
    "virtual-hosted") needs a host name that can take the bucket as a sub-domain."""
    if choice is None:
        return ("virtual" if endpoint.aws and dns_compatible(bucket) else "path"), []
    if choice in ("virtual", "virtual-hosted"):
        if not endpoint.aws and not can_be_virtual_host(endpoint):
            raise InputError(
                field,
                f"virtual-hosted needs a DNS name for {bucket}.HOST; {endpoint.authority} is not",
            )
        remarks = []
        if endpoint.scheme == "https" and not dns_compatible(bucket):
            remarks.append(
                f"bucket {bucket!r} has dots: over HTTPS its host name fails certificate checks"
            )
        return "virtual", remarks
    if choice == "path":
        return "path", []
    raise InputError(field, f"{choice!r} is not path or virtual")


def object_url(
    endpoint: Endpoint,
    bucket: str,
    key: str | None,
    addressing: Addressing,
    query: str | None = None,
) -> str:
    """The URL of a bucket (``key`` None) or an object, with an already-encoded query."""
    path = encode_key(key) if key else ""
    if addressing == "virtual":
        url = f"{endpoint.scheme}://{bucket}.{endpoint.authority}/{path}"
    else:
        url = f"{endpoint.url}/{bucket}" + (f"/{path}" if key else "")
    return url if query is None else f"{url}?{query}"

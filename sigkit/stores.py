"""Store profiles: what each S3-compatible store refuses or requires, as data sigkit reads.

Since January 2025 the AWS SDKs send CRC32 checksums by default (headers, or an aws-chunked
body with a trailer over TLS); many stores refuse that, each in its own words. A `Store`
says what one store accepts (trailers, aws-chunked, checksum headers, addressing, region,
presign lifetime) and, for each cause id of the registry (`sigkit.debug.causes`) it answers,
the exact `Refusal` (status, code, message) it sends. Every fact names its public source in
`Store.sources`; a fact nobody has published is ``None`` (unknown), never a guess.

Pure: no I/O. `get` finds a profile by name or alias, `from_host` recognises an endpoint
host (``None`` when the host is not one of a store's published endpoints). ``python -m
sigkit.stores`` prints the tables of docs/stores.md.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sigkit.errors import InputError

# Cause ids of the registry (sigkit/debug/causes.py) a store profile answers for.
CHECKSUM_UNSUPPORTED = "checksum-unsupported"
AWS_CHUNKED_UNSUPPORTED = "aws-chunked-unsupported"
CONTENT_MD5_REQUIRED = "content-md5-required"
PRESIGNED_CHECKSUM = "presigned-checksum"
CONTENT_LENGTH_CHUNKED = "content-length-chunked"
CHUNKED_FRAMING_STORED = "chunked-framing-stored"
CAUSES = (
    CHECKSUM_UNSUPPORTED,
    AWS_CHUNKED_UNSUPPORTED,
    CONTENT_MD5_REQUIRED,
    PRESIGNED_CHECKSUM,
    CONTENT_LENGTH_CHUNKED,
    CHUNKED_FRAMING_STORED,
)

AWS_PRESIGN_MAX = 604800  # seven days


@dataclass(frozen=True)
class Refusal:
    """What a store answers when it refuses a request for one cause: exactly its status,
    error code and message text. `message` may hold ``{header}``, ``{value}`` and
    ``{algorithm}`` fields the refused request fills in (`text`); "" when the store sends
    no message element. `when` says which versions or requests it applies to."""

    status: int
    code: str
    message: str
    source: str = ""  # public URL showing this answer
    when: str = ""  # e.g. "before Squid (19.2)"; "" when always

    def text(self, *, header: str = "", value: str = "", algorithm: str = "") -> str:
        """The message with the refused request's header, value and algorithm filled in."""
        return (
            self.message.replace("{header}", header)
            .replace("{value}", value)
            .replace("{algorithm}", algorithm)
        )


@dataclass(frozen=True, eq=False)
class Store:
    """One store's profile. Booleans are ``None`` where no public source says."""

    name: str  # id, lower-case
    title: str
    hosts: tuple[str, ...] = ()  # ".suffix" matches subdomains; "host" matches it exactly
    default_region: str | None = None
    addressing: str = "either"  # "path" | "virtual" | "either"
    accepts_checksum_headers: bool | None = None  # x-amz-checksum-*, x-amz-sdk-checksum-algorithm
    accepts_trailer: bool | None = None  # STREAMING-UNSIGNED-PAYLOAD-TRAILER, x-amz-trailer
    accepts_aws_chunked: bool | None = None  # signed STREAMING-AWS4-HMAC-SHA256-PAYLOAD
    accepts_multi_chunk: bool | None = None  # an aws-chunked body of more than one chunk
    requires_content_md5: tuple[str, ...] = ()  # operations needing Content-MD5, not a CRC
    accepts_presigned_checksum: bool | None = None  # a presigned URL binding x-amz-checksum-*
    requires_content_length: bool | None = None  # chunked transfer without a length refused
    stores_chunked_framing: bool | None = None  # keeps the aws-chunked framing in the object
    presign_max_seconds: int | None = None
    sigv2: bool | None = None  # accepts S3 Signature Version 2
    refusals: Mapping[str, Refusal] = field(default_factory=dict)  # cause id -> its answer
    sources: Mapping[str, str] = field(default_factory=dict)  # fact -> public URL
    aliases: tuple[str, ...] = ()
    region_pattern: str = ""  # regex with a `region` group, read from the host
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:  # read-only views: a profile is shared data
        object.__setattr__(self, "refusals", MappingProxyType(dict(self.refusals)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))

    def region_for(self, host: str) -> str | None:
        """The signing region the host names (``s3.us-west-004.backblazeb2.com`` →
        ``us-west-004``), else the store's default region."""
        if self.region_pattern:
            found = re.search(self.region_pattern, _bare_host(host))
            if found:
                return found.group("region")
        return self.default_region

    def refusal(self, cause: str) -> Refusal | None:
        return self.refusals.get(cause)


# --- sources -------------------------------------------------------------------------------
GH = "https://github.com/"
R2_S3_API = "https://developers.cloudflare.com/r2/api/s3/api/"
R2_TOKENS = "https://developers.cloudflare.com/r2/api/s3/tokens/"
B2_S3 = "https://www.backblaze.com/docs/cloud-storage-s3-compatible-api"
AWS_PRESIGN = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html"
AWS_CHECKSUMS = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html"
)
AWS_ENDPOINTS = "https://docs.aws.amazon.com/general/latest/gr/s3.html"
YANDEX_PRESIGN = "https://yandex.cloud/en/docs/storage/concepts/pre-signed-urls"
GCS_INTEROP = "https://cloud.google.com/storage/docs/interoperability"

STORES: tuple[Store, ...] = (
    Store(
        name="aws",
        title="Amazon S3",
        hosts=("amazonaws.com", "amazonaws.com.cn"),
        default_region="us-east-1",
        addressing="either",
        accepts_checksum_headers=True,
        accepts_trailer=True,
        accepts_aws_chunked=True,
        accepts_multi_chunk=True,
        accepts_presigned_checksum=True,
        requires_content_length=True,
        stores_chunked_framing=False,
        presign_max_seconds=AWS_PRESIGN_MAX,
        sigv2=True,
        region_pattern=r"(?:^|\.)s3[.-](?:dualstack\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.",
        aliases=("s3", "amazon", "amazon-s3"),
        sources={
            "presign_max_seconds": AWS_PRESIGN,
            "accepts_checksum_headers": AWS_CHECKSUMS,
            "hosts": AWS_ENDPOINTS,
        },
    ),
    Store(
        name="r2",
        title="Cloudflare R2",
        hosts=(".r2.cloudflarestorage.com",),
        default_region="auto",
        addressing="either",
        accepts_checksum_headers=False,
        accepts_presigned_checksum=False,
        presign_max_seconds=AWS_PRESIGN_MAX,
        sigv2=False,
        aliases=("cloudflare", "cloudflare-r2"),
        refusals={
            CHECKSUM_UNSUPPORTED: Refusal(
                501,
                "NotImplemented",
                "Header '{header}' with value '{value}' not implemented",
                GH + "aws/aws-sdk-js-v3/issues/6810",
            ),
        },
        sources={
            "default_region": R2_S3_API,
            "accepts_checksum_headers": GH + "cloudflare/cloudflare-docs/issues/19236",
            "hosts": R2_TOKENS,
        },
    ),
    Store(
        name="b2",
        title="Backblaze B2",
        hosts=(".backblazeb2.com",),
        region_pattern=r"^s3\.(?P<region>[a-z]+-[a-z]+-\d+)\.backblazeb2\.com$",
        addressing="either",
        accepts_checksum_headers=False,
        presign_max_seconds=AWS_PRESIGN_MAX,
        sigv2=False,
        aliases=("backblaze", "backblaze-b2"),
        refusals={
            CHECKSUM_UNSUPPORTED: Refusal(
                400,
                "InvalidArgument",
                "Unsupported header '{header}' received for this API call.",
                GH + "boto/s3transfer/issues/327",
            ),
        },
        sources={"accepts_checksum_headers": GH + "boto/s3transfer/issues/327", "hosts": B2_S3},
    ),
    Store(
        name="minio",
        title="MinIO",
        default_region="us-east-1",
        addressing="path",
        accepts_checksum_headers=True,
        accepts_trailer=True,
        accepts_aws_chunked=True,
        accepts_multi_chunk=True,
        presign_max_seconds=AWS_PRESIGN_MAX,
        sigv2=True,
        requires_content_md5=("DeleteObjects",),
        refusals={
            CONTENT_MD5_REQUIRED: Refusal(
                400,
                "MissingContentMD5",
                "Missing required header for this request: Content-Md5.",
                GH + "aws/aws-sdk-java-v2/issues/5805",
                "older releases",
            ),
        },
        sources={"accepts_trailer": GH + "minio/minio/pull/16484"},
    ),
    Store(
        name="ceph",
        title="Ceph Object Gateway (RGW)",
        addressing="path",
        accepts_checksum_headers=True,
        accepts_trailer=False,
        accepts_aws_chunked=True,
        accepts_multi_chunk=True,
        presign_max_seconds=AWS_PRESIGN_MAX,
        sigv2=True,
        aliases=("ceph-rgw", "rgw", "radosgw"),
        refusals={
            AWS_CHUNKED_UNSUPPORTED: Refusal(
                400,
                "XAmzContentSHA256Mismatch",
                "",
                GH + "fsspec/s3fs/issues/932",
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER, releases before Squid",
            ),
        },
    ),
    Store(
        name="gcs",
        title="Google Cloud Storage (XML API interoperability)",
        hosts=("storage.googleapis.com",),
        default_region="auto",
        addressing="either",
        stores_chunked_framing=True,
        presign_max_seconds=AWS_PRESIGN_MAX,
        sigv2=True,
        aliases=("google", "gcs-interop", "google-cloud-storage"),
        refusals={
            CHUNKED_FRAMING_STORED: Refusal(
                200, "", "", GH + "redpanda-data/redpanda/issues/28874"
            ),
        },
        sources={
            "hosts": GCS_INTEROP,
            "stores_chunked_framing": GH + "redpanda-data/redpanda/issues/28874",
        },
    ),
    Store(
        name="wasabi",
        title="Wasabi",
        hosts=(".wasabisys.com", "wasabisys.com"),
        default_region="us-east-1",
        region_pattern=r"^s3\.(?P<region>[a-z]{2}-[a-z]+-\d)\.wasabisys\.com$",
        addressing="either",
        aliases=("wasabisys",),
    ),
    Store(
        name="spaces",
        title="DigitalOcean Spaces",
        hosts=(".digitaloceanspaces.com",),
        default_region="us-east-1",
        region_pattern=r"(?:^|\.)(?P<region>[a-z]{3}\d)\.digitaloceanspaces\.com$",
        addressing="either",
        aliases=("digitalocean", "do-spaces", "digitalocean-spaces"),
    ),
    Store(
        name="yandex",
        title="Yandex Object Storage",
        hosts=("storage.yandexcloud.net",),
        default_region="ru-central1",
        addressing="either",
        presign_max_seconds=2592000,
        aliases=("yandex-cloud", "yandexcloud"),
        sources={"presign_max_seconds": YANDEX_PRESIGN},
    ),
    Store(
        name="hetzner",
        title="Hetzner Object Storage",
        hosts=(".your-objectstorage.com",),
        region_pattern=r"^(?:[^.]+\.)?(?P<region>[a-z]+\d)\.your-objectstorage\.com$",
        addressing="either",
        accepts_trailer=False,
        accepts_multi_chunk=False,
        refusals={
            AWS_CHUNKED_UNSUPPORTED: Refusal(
                400, "XAmzContentSHA256Mismatch", "", GH + "fsspec/s3fs/issues/932"
            ),
        },
    ),
    Store(
        name="scality",
        title="Scality CloudServer (Zenko)",
        default_region="us-east-1",
        addressing="path",
        accepts_trailer=False,
        aliases=("cloudserver", "zenko", "scality-cloudserver"),
        refusals={
            AWS_CHUNKED_UNSUPPORTED: Refusal(
                400,
                "NotImplemented",
                "trailing checksum is not supported",
                GH + "scality/cloudserver/issues/5553",
            ),
        },
    ),
    Store(
        name="seaweedfs",
        title="SeaweedFS S3 gateway",
        default_region="us-east-1",
        addressing="path",
        accepts_presigned_checksum=False,
        aliases=("seaweed",),
    ),
    Store(
        name="garage",
        title="Garage",
        default_region="garage",
        addressing="path",
        accepts_presigned_checksum=False,
        aliases=("garagehq", "deuxfleurs-garage"),
    ),
)

_BY_NAME: dict[str, Store] = {s.name: s for s in STORES}
_ALIASES: dict[str, str] = {a: s.name for s in STORES for a in s.aliases}


def names() -> tuple[str, ...]:
    """Every profile's id, in the table's order."""
    return tuple(s.name for s in STORES)


def get(name: str, field_name: str = "--store") -> Store:
    """The profile named `name` (its id or an alias, any case); an input error naming
    `field_name` and listing the ids when there is none."""
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    found = _BY_NAME.get(key) or _BY_NAME.get(_ALIASES.get(key, ""))
    if found is None:
        raise InputError(field_name, f"no store profile {name!r}; known: {', '.join(names())}")
    return found


def _bare_host(host: str) -> str:
    """Lower-case host without port, brackets, user info or trailing dot."""
    host = host.strip().lower().rpartition("@")[2]
    if host.startswith("["):
        return host.partition("]")[0][1:]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def _matches(host: str, pattern: str) -> bool:
    if pattern.startswith("."):
        return host.endswith(pattern)
    return host == pattern or host.endswith("." + pattern)


def from_host(host: str) -> Store | None:
    """The store whose published endpoint `host` is (``fsn1.your-objectstorage.com`` →
    hetzner); ``None`` for any other host (a self-hosted MinIO or Ceph cannot be told from
    its name)."""
    bare = _bare_host(host)
    if not bare:
        return None
    for store in STORES:
        if any(_matches(bare, p) for p in store.hosts):
            return store
    return None


def main() -> None:  # pragma: no cover - exercised through the docs test
    sys.stdout.write("\n".join(s.name for s in STORES) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()

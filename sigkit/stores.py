"""Store profiles: what each S3-compatible store refuses or requires, as data sigkit reads.

Since January 2025 the AWS SDKs send CRC32 checksums by default (headers, or an aws-chunked
body with a trailer over TLS); many stores refuse that, each in its own words. A `Store`
says what one store accepts (trailers, aws-chunked, checksum headers, addressing, region,
presign lifetime) and, for each cause id of the registry (`sigkit.debug.causes`) it answers,
the exact `Refusal` (status, code, message) it sends. Every fact names its public source in
`Store.sources` or `Refusal.source`; a fact no public source states is ``None`` (unknown),
never a guess.

Pure: no I/O. `get` finds a profile by name or alias, `from_host` recognises an endpoint
host (``None`` when the host is none of a store's published endpoints), `refused` says which
refusal of a profile a request meets (what `sigkit serve --store` answers).
``python -m sigkit.stores`` prints docs/stores.md.
"""

from __future__ import annotations

import base64
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl

from sigkit.errors import InputError
from sigkit.http import Request

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
ADDRESSING = ("path", "virtual", "either")


@dataclass(frozen=True)
class Refusal:
    """What a store answers when it refuses a request for one cause: exactly its status,
    error code and message text, as a public report shows them.

    `message` may hold ``{header}``, ``{value}``, ``{algorithm}`` and ``{payload}`` fields the
    refused request fills in (`text`); "" when the store sends no Message element, or when
    no report shows its text (`message_published` False). `names` lists the headers the
    store names, in the order it checks them (``x-amz-checksum-*``: any algorithm's);
    `details` are further elements of its error body; `when` says which releases or
    requests it applies to."""

    status: int
    code: str
    message: str
    source: str  # public URL showing this answer
    when: str = ""
    names: tuple[str, ...] = ()
    details: tuple[tuple[str, str], ...] = ()
    message_published: bool = True

    def text(self, **fields: str) -> str:
        """The message with the refused request's values filled in."""
        return _fill(self.message, fields)

    def elements(self, **fields: str) -> tuple[tuple[str, str], ...]:
        """`details` with the refused request's values filled in."""
        return tuple((name, _fill(value, fields)) for name, value in self.details)


def _fill(text: str, fields: Mapping[str, str]) -> str:
    for name, value in fields.items():
        text = text.replace("{" + name + "}", value)
    return text


@dataclass(frozen=True, eq=False)
class Store:
    """One store's profile. Booleans are ``None`` where no public source says."""

    name: str  # id, lower-case
    title: str
    hosts: tuple[
        str, ...
    ] = ()  # ".suffix" matches subdomains; "host" matches it and its subdomains
    default_region: str | None = None
    endpoint: str | None = None  # the one public endpoint, where the store has a single one
    addressing: str = "either"  # "path" | "virtual" | "either"
    accepts_checksum_headers: bool | None = None  # x-amz-checksum-*, x-amz-sdk-checksum-algorithm
    accepts_trailer: bool | None = None  # STREAMING-UNSIGNED-PAYLOAD-TRAILER, x-amz-trailer
    accepts_aws_chunked: bool | None = None  # signed STREAMING-AWS4-HMAC-SHA256-PAYLOAD
    accepts_multi_chunk: bool | None = None  # an aws-chunked body of more than one chunk
    requires_content_md5: tuple[str, ...] = ()  # operations needing Content-MD5, not a CRC
    accepts_presigned_checksum: bool | None = None  # a presigned URL binding x-amz-checksum-*
    requires_content_length: bool | None = None  # a chunked transfer with no length refused
    stores_chunked_framing: bool | None = None  # keeps the aws-chunked framing in the object
    presign_max_seconds: int | None = None
    sigv2: bool | None = None  # accepts S3 Signature Version 2
    refusals: Mapping[str, Refusal] = field(default_factory=dict)  # cause id -> its answer
    sources: Mapping[str, str] = field(default_factory=dict)  # fact -> public URL
    aliases: tuple[str, ...] = ()
    region_pattern: str = ""  # regex with a `region` group, read from the host
    multi_chunk_refusal: Refusal | None = None  # aws-chunked-unsupported, for many chunks
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:  # read-only views: a profile is shared data
        object.__setattr__(self, "refusals", MappingProxyType(dict(self.refusals)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))

    def region_for(self, host: str) -> str | None:
        """The signing region the host names (``s3.us-west-004.backblazeb2.com`` →
        ``us-west-004``), else the store's default region (None: none published)."""
        if self.region_pattern:
            found = re.search(self.region_pattern, _bare_host(host))
            if found:
                return found.group("region")
        return self.default_region

    def refusal(self, cause: str) -> Refusal | None:
        return self.refusals.get(cause)


# --- sources (each fact's public page) -------------------------------------------------
GH = "https://github.com/"
AWS_PRESIGN = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html"
AWS_CLI_PRESIGN = "https://docs.aws.amazon.com/cli/latest/reference/s3/presign.html"
AWS_ENDPOINTS = "https://docs.aws.amazon.com/general/latest/gr/s3.html"
AWS_STREAMING = "https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html"
AWS_CHECKSUMS = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html"
)
R2_S3_API = "https://developers.cloudflare.com/r2/api/s3/api/"
B2_S3 = "https://www.backblaze.com/docs/cloud-storage-s3-compatible-api"
YANDEX_PRESIGN = "https://yandex.cloud/en/docs/storage/concepts/pre-signed-urls"
GCS_INTEROP = "https://cloud.google.com/storage/docs/interoperability"
ALIYUN_S3 = "https://www.alibabacloud.com/help/en/oss/user-guide/0017-00000804"
WASABI_URLS = (
    "https://docs.wasabi.com/docs/what-are-the-service-urls-for-wasabis-different-storage-regions"
)
SPACES_SDKS = "https://docs.digitalocean.com/products/spaces/reference/aws-sdks/"
HETZNER = "https://docs.hetzner.com/storage/object-storage/overview"
GARAGE_CLIENTS = "https://garagehq.deuxfleurs.fr/cookbook/clients.html"
GCS_SIGNED_URLS = "https://cloud.google.com/storage/docs/access-control/signed-urls-v2"


def _gh(ref: str) -> str:
    """``owner/repo#123`` → its GitHub URL (issues and pull requests share the path)."""
    repo, _, number = ref.partition("#")
    return f"{GH}{repo}/issues/{number}"


# The headers a checksum refusal can name: "x-amz-checksum-*" is any x-amz-checksum-<alg>.
SDK_ALGORITHM = "x-amz-sdk-checksum-algorithm"
CHECKSUM_ANY = "x-amz-checksum-*"
CHECKSUM_MODE = "x-amz-checksum-mode"
OLD_ALGORITHM = "x-amz-checksum-algorithm"  # CreateMultipartUpload's (Go SDK, 2024 reports)

STORES: tuple[Store, ...] = (
    Store(
        name="aws",
        title="Amazon S3",
        hosts=("amazonaws.com", "amazonaws.com.cn"),
        default_region="us-east-1",
        region_pattern=r"(?:^|\.)s3[.-](?:dualstack\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.",
        addressing="either",
        accepts_checksum_headers=True,
        accepts_trailer=True,
        accepts_aws_chunked=True,
        accepts_multi_chunk=True,
        stores_chunked_framing=False,
        presign_max_seconds=AWS_PRESIGN_MAX,
        sigv2=True,
        aliases=("s3", "amazon", "amazon-s3"),
        sources={
            "hosts": AWS_ENDPOINTS,
            "presign_max_seconds": AWS_CLI_PRESIGN,
            "accepts_checksum_headers": AWS_CHECKSUMS,
            "accepts_trailer": AWS_CHECKSUMS,
            "accepts_aws_chunked": AWS_STREAMING,
            "stores_chunked_framing": AWS_STREAMING,
        },
        notes=(
            "Whether S3 checks a checksum a presigned URL binds in its query is reported both "
            "ways (localstack/localstack#12169 says ignored, floci-io/floci#4188 says refused), "
            "so accepts_presigned_checksum stays unknown.",
        ),
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
        aliases=("cloudflare", "cloudflare-r2"),
        refusals={
            CHECKSUM_UNSUPPORTED: Refusal(
                501,
                "NotImplemented",
                "Header '{header}' with value '{value}' not implemented",
                _gh("cloudflare/cloudflare-docs#19236"),
                "January 2025 (aws-sdk-js-v3 3.729.0, aws/aws-sdk-js-v3#6810); the S3 API "
                "compatibility page has since listed checksum algorithms",
                names=(CHECKSUM_ANY, SDK_ALGORITHM, OLD_ALGORITHM),
            ),
            PRESIGNED_CHECKSUM: Refusal(
                400, "InvalidDigest", "", _gh("usekaneo/kaneo#1196"), message_published=False
            ),
        },
        sources={
            "hosts": R2_S3_API,
            "default_region": R2_S3_API,
            "accepts_checksum_headers": _gh("aws/aws-sdk-js-v3#6810"),
            "accepts_presigned_checksum": _gh("usekaneo/kaneo#1196"),
            "presign_max_seconds": "https://developers.cloudflare.com/r2/api/s3/presigned-urls",
        },
        notes=("An empty region and us-east-1 alias to auto (the S3 API compatibility page).",),
    ),
    Store(
        name="b2",
        title="Backblaze B2",
        hosts=(".backblazeb2.com",),
        region_pattern=r"^(?:.+\.)?s3\.(?P<region>[a-z]+-[a-z]+-\d+)\.backblazeb2\.com$",
        addressing="either",
        accepts_checksum_headers=False,
        aliases=("backblaze", "backblaze-b2"),
        refusals={
            CHECKSUM_UNSUPPORTED: Refusal(
                400,
                "InvalidArgument",
                "Unsupported header '{header}' received for this API call.",
                _gh("home-assistant/core#143995"),
                names=(SDK_ALGORITHM, CHECKSUM_ANY, CHECKSUM_MODE),
            ),
        },
        sources={
            "hosts": B2_S3,
            "accepts_checksum_headers": B2_S3,
            "refusals": _gh("boto/s3transfer#327"),
            "x-amz-checksum-mode": _gh("vatesfr/xen-orchestra#8358"),
        },
        notes=("The region is the endpoint's: s3.<region>.backblazeb2.com.",),
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
        aliases=("min.io",),
        refusals={
            CONTENT_MD5_REQUIRED: Refusal(
                400,
                "MissingContentMD5",
                "Missing required header for this request: Content-Md5.",
                _gh("apache/arrow-rs#5414"),
                "releases before 2025 (aws/aws-sdk-java-v2#5805, apache/iceberg#12264)",
            ),
        },
        sources={
            "accepts_trailer": GH + "minio/minio/pull/16484",
            "requires_content_md5": _gh("aws/aws-sdk-java-v2#5805"),
        },
        notes=(
            "Whether MinIO checks a checksum a presigned URL binds is unknown: "
            "seaweedfs/seaweedfs#10216's maintainer says MinIO refuses it as S3 and R2 do, "
            "and no MinIO report shows either.",
        ),
    ),
    Store(
        name="ceph",
        title="Ceph Object Gateway (RGW)",
        addressing="either",
        accepts_checksum_headers=True,
        accepts_trailer=False,
        accepts_aws_chunked=True,
        requires_content_length=True,
        sigv2=True,
        aliases=("ceph-rgw", "rgw", "radosgw"),
        refusals={
            CONTENT_LENGTH_CHUNKED: Refusal(
                411,
                "MissingContentLength",
                "",
                _gh("ceph/s3-tests#501"),
                "a chunked transfer without Content-Length (botocore's trailer upload over "
                "TLS), releases before ceph/ceph#50235 (2023); Ceph 16.2 (Pacific) answers so, "
                "with an empty Message element",
                details=(("BucketName", "{bucket}"),),
            ),
            AWS_CHUNKED_UNSUPPORTED: Refusal(
                400,
                "XAmzContentSHA256Mismatch",
                "",
                _gh("fsspec/s3fs#932"),
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER on releases without trailer support "
                "(Clever Cloud Cellar, fleetdm/fleet#47850)",
                details=(("BucketName", "{bucket}"),),
            ),
        },
        sources={
            "accepts_trailer": _gh("fsspec/s3fs#932"),
            "requires_content_length": _gh("ceph/s3-tests#501"),
        },
        notes=(
            "Virtual-hosted addressing needs rgw_dns_name; the zonegroup's name is the region.",
        ),
    ),
    Store(
        name="gcs",
        title="Google Cloud Storage (XML API interoperability)",
        hosts=("storage.googleapis.com",),
        endpoint="https://storage.googleapis.com",
        default_region="auto",
        addressing="either",
        stores_chunked_framing=True,
        presign_max_seconds=AWS_PRESIGN_MAX,
        sigv2=True,
        aliases=("google", "gcs-interop", "google-cloud-storage", "googleapis"),
        sources={
            "hosts": GCS_INTEROP,
            "stores_chunked_framing": GH + "redpanda-data/redpanda/pull/28874",
            "presign_max_seconds": GCS_SIGNED_URLS,
            "sigv2": GCS_SIGNED_URLS,
            "default_region": "https://gist.github.com/jmatt/f18fc75a10423147565ec6b22832726d",
        },
        notes=(
            "An aws-chunked upload is accepted and stored verbatim, framing and all, with "
            "Content-Encoding aws-chunked; a GET returns the framed bytes.",
        ),
    ),
    Store(
        name="wasabi",
        title="Wasabi",
        hosts=(".wasabisys.com", "wasabisys.com"),
        default_region="us-east-1",
        region_pattern=r"^(?:.+\.)?s3\.(?P<region>[a-z]{2}-[a-z]+-\d)\.wasabisys\.com$",
        addressing="either",
        aliases=("wasabisys",),
        sources={"hosts": WASABI_URLS, "default_region": WASABI_URLS},
    ),
    Store(
        name="spaces",
        title="DigitalOcean Spaces",
        hosts=(".digitaloceanspaces.com",),
        region_pattern=r"(?:^|\.)(?P<region>[a-z]{3}\d)\.digitaloceanspaces\.com$",
        addressing="either",
        aliases=("digitalocean", "do-spaces", "digitalocean-spaces", "do"),
        sources={"hosts": SPACES_SDKS, "region_pattern": SPACES_SDKS},
        notes=("The region is the datacenter the endpoint names (nyc3, ams3, fra1 ...).",),
    ),
    Store(
        name="yandex",
        title="Yandex Object Storage",
        hosts=("storage.yandexcloud.net",),
        endpoint="https://storage.yandexcloud.net",
        default_region="ru-central1",
        addressing="either",
        presign_max_seconds=2592000,
        aliases=("yandex-cloud", "yandexcloud"),
        sources={
            "hosts": YANDEX_PRESIGN,
            "default_region": YANDEX_PRESIGN,
            "presign_max_seconds": YANDEX_PRESIGN,
        },
    ),
    Store(
        name="hetzner",
        title="Hetzner Object Storage",
        hosts=(".your-objectstorage.com",),
        region_pattern=r"^(?:.+\.)?(?P<region>[a-z]+\d)\.your-objectstorage\.com$",
        addressing="either",
        accepts_trailer=False,
        accepts_multi_chunk=False,
        refusals={
            AWS_CHUNKED_UNSUPPORTED: Refusal(
                400,
                "XAmzContentSHA256Mismatch",
                "",
                _gh("home-assistant/core#144015"),
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER (aiobotocore's UploadPart read its empty "
                "message as None)",
            ),
        },
        multi_chunk_refusal=Refusal(
            400,
            "",
            "Transfering payloads in multiple chunks using aws-chunked is not supported.",
            _gh("velero-io/velero#8660"),
            "an aws-chunked body of more than one chunk (the error code is not published)",
        ),
        sources={
            "accepts_trailer": _gh("home-assistant/core#144015"),
            "accepts_multi_chunk": _gh("velero-io/velero#8660"),
            "hosts": HETZNER,
        },
        notes=(
            "The region is the location the endpoint names (fsn1, nbg1, hel1); the data lives "
            "in a Ceph cluster (the overview page), hence RGW's answers.",
        ),
    ),
    Store(
        name="scality",
        title="Scality CloudServer (Zenko)",
        default_region="us-east-1",
        addressing="path",
        accepts_trailer=False,
        requires_content_md5=("PutBucketCors",),
        aliases=("cloudserver", "zenko", "scality-cloudserver"),
        refusals={
            AWS_CHUNKED_UNSUPPORTED: Refusal(
                400,
                "BadRequest",
                "trailing checksum is not supported",
                _gh("scality/cloudserver#5553"),
                "x-amz-trailer present, releases before CLDSRV-620 (scality/cloudserver#5757, "
                "March 2025)",
            ),
            CONTENT_MD5_REQUIRED: Refusal(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what we received.",
                _gh("scality/cloudserver#5784"),
                "PutBucketCors sent with a CRC32 instead of Content-MD5 (boto3 >= 1.36)",
            ),
        },
        sources={"accepts_trailer": _gh("scality/cloudserver#5553")},
    ),
    Store(
        name="seaweedfs",
        title="SeaweedFS S3 gateway",
        default_region="us-east-1",
        addressing="path",
        accepts_presigned_checksum=False,
        aliases=("seaweed", "weed"),
        refusals={
            PRESIGNED_CHECKSUM: Refusal(
                400,
                "BadDigest",
                "",
                _gh("seaweedfs/seaweedfs#10216"),
                "a presigned PUT whose URL binds the CRC32 of another body (AAAAAA== is the "
                "empty body's); the code is from seaweedfs/seaweedfs#8914",
                message_published=False,
            ),
        },
        sources={
            "accepts_presigned_checksum": _gh("seaweedfs/seaweedfs#10216"),
            "stores_chunked_framing": _gh("seaweedfs/seaweedfs#6548"),
        },
        notes=(
            "Releases before trailer support stored the aws-chunked framing inside the object "
            "(seaweedfs/seaweedfs#6548, #6847; fixed by seaweedfs/seaweedfs#7623).",
        ),
    ),
    Store(
        name="garage",
        title="Garage",
        default_region="garage",
        addressing="path",
        accepts_presigned_checksum=False,
        aliases=("garagehq", "deuxfleurs-garage"),
        refusals={
            PRESIGNED_CHECKSUM: Refusal(
                400,
                "InvalidDigest",
                "Invalid digest: Failed to validate checksum for algorithm {garage_algorithm}: "
                "calculated Some({garage_algorithm}([{computed_bytes}])), expected "
                "{garage_algorithm}([{bound_bytes}])",
                _gh("usekaneo/kaneo#1173"),
                "a presigned PUT whose URL binds the CRC32 of another body (the text quoted "
                "for CRC32; other algorithms assumed spelt alike, Crc32c, Sha256 ...)",
                details=(("Region", "garage"),),
            ),
        },
        sources={
            "accepts_presigned_checksum": _gh("usekaneo/kaneo#1173"),
            "default_region": GARAGE_CLIENTS,
            "addressing": GARAGE_CLIENTS,
        },
    ),
    Store(
        name="aliyun",
        title="Alibaba Cloud OSS",
        hosts=(".aliyuncs.com",),
        region_pattern=r"(?:^|\.)oss-(?P<region>[a-z]+-[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$",
        addressing="virtual",
        accepts_trailer=False,
        accepts_aws_chunked=True,
        aliases=("alibaba", "oss", "alibaba-oss", "aliyun-oss"),
        refusals={
            AWS_CHUNKED_UNSUPPORTED: Refusal(
                400,
                "InvalidArgument",
                "aws-chunked encoding is not supported with the specified "
                "x-amz-content-sha256 value.",
                GH + "apache/polaris/issues/3346",
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER; the answer names it in ArgumentName and "
                "ArgumentValue",
                details=(("ArgumentName", "x-amz-content-sha256"), ("ArgumentValue", "{payload}")),
            ),
        },
        sources={"accepts_trailer": ALIYUN_S3, "accepts_aws_chunked": ALIYUN_S3},
        notes=("Tencent COS answers the same text (megvii-research/megfile#509).",),
    ),
    Store(
        name="storj",
        title="Storj S3 gateway",
        hosts=("gateway.storjshare.io",),
        endpoint="https://gateway.storjshare.io",
        requires_content_length=True,
        aliases=("storjshare",),
        refusals={
            CONTENT_LENGTH_CHUNKED: Refusal(
                411,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.",
                _gh("treeverse/lakeFS#3582"),
                "a chunked transfer with no Content-Length (storj/gateway-st#89)",
            ),
        },
        sources={"requires_content_length": _gh("storj/gateway-st#89")},
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
    """Lower-case host without scheme, path, port, brackets, user info or trailing dot."""
    host = host.strip().lower()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].rpartition("@")[2]
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
    hetzner; a URL or ``host:port`` is read too); ``None`` for any other host: a
    self-hosted MinIO or Ceph cannot be told from its name, so none is guessed."""
    bare = _bare_host(host)
    if not bare:
        return None
    for store in STORES:
        if any(_matches(bare, p) for p in store.hosts):
            return store
    return None


# --- which refusal a request meets ---------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A request a profile refuses: the cause id, the store's answer with the request's
    values filled in, and what in the request it rests on (for sigkit's evidence)."""

    cause: str
    refusal: Refusal
    message: str
    elements: tuple[tuple[str, str], ...]
    evidence: str


def _refused(
    cause: str, refusal: Refusal, evidence: str, request: Request, **fields: str
) -> Refused:
    fields.setdefault("bucket", request.path.strip("/").split("/", 1)[0])
    return Refused(cause, refusal, refusal.text(**fields), refusal.elements(**fields), evidence)


_NOT_A_CHECKSUM = (CHECKSUM_MODE, OLD_ALGORITHM, SDK_ALGORITHM)


def _checksum_header(request: Request) -> tuple[str, str] | None:
    for name, value in request.headers:
        low = name.lower()
        if low.startswith("x-amz-checksum-") and low not in _NOT_A_CHECKSUM:
            return low, value
    return None


def _checksum_headers(store: Store, request: Request) -> Refused | None:
    refusal = store.refusal(CHECKSUM_UNSUPPORTED)
    if refusal is None:
        return None
    for name in refusal.names or (SDK_ALGORITHM, CHECKSUM_ANY):
        if name == CHECKSUM_ANY:
            found = _checksum_header(request)
        else:
            value = request.header(name)
            found = (name, value) if value is not None else None
        if found is not None:
            header, value = found
            return _refused(
                CHECKSUM_UNSUPPORTED,
                refusal,
                f"{header}: {value} sent; {store.title} refuses checksum headers",
                request,
                header=header,
                value=value,
            )
    return None


def _content_length(store: Store, request: Request) -> Refused | None:
    refusal = store.refusal(CONTENT_LENGTH_CHUNKED)
    chunked = "chunked" in (request.header("transfer-encoding") or "").lower()
    if refusal is None or not chunked or request.header("content-length") is not None:
        return None
    return _refused(
        CONTENT_LENGTH_CHUNKED,
        refusal,
        f"Transfer-Encoding: chunked with no Content-Length; {store.title} needs the length",
        request,
    )


def _aws_chunked(store: Store, request: Request, data_chunks: int | None) -> Refused | None:
    payload = (request.header("x-amz-content-sha256") or "").strip()
    trailer = request.header("x-amz-trailer")
    has_trailer = payload.endswith("-TRAILER") or trailer is not None
    chunked = (
        payload.startswith("STREAMING-")
        or "aws-chunked" in (request.header("content-encoding") or "").lower()
    )
    shown = f"x-amz-content-sha256: {payload or '-'}" + (
        f", x-amz-trailer: {trailer}" if trailer is not None else ""
    )
    refusal = store.refusal(AWS_CHUNKED_UNSUPPORTED)
    if refusal is not None and (
        (store.accepts_trailer is False and has_trailer)
        or (store.accepts_aws_chunked is False and chunked)
    ):
        what = "a trailing checksum" if has_trailer else "aws-chunked bodies"
        return _refused(
            AWS_CHUNKED_UNSUPPORTED,
            refusal,
            f"{shown}; {store.title} does not take {what}",
            request,
            payload=payload,
            header="x-amz-content-sha256",
            value=payload,
        )
    many = store.multi_chunk_refusal
    if (
        many is not None
        and many.code
        and store.accepts_multi_chunk is False
        and chunked
        and (data_chunks or 0) > 1
    ):
        return _refused(
            AWS_CHUNKED_UNSUPPORTED,
            many,
            f"{shown} in {data_chunks} chunks; {store.title} takes one",
            request,
            payload=payload,
        )
    return None


# Operations a store may want Content-MD5 for: (method, the query parameter naming it).
_MD5_OPERATIONS = {
    ("POST", "delete"): "DeleteObjects",
    ("PUT", "cors"): "PutBucketCors",
    ("PUT", "lifecycle"): "PutBucketLifecycleConfiguration",
}


def operation_needing_md5(request: Request) -> str | None:
    """The S3 operation `request` is when it is one stores may want Content-MD5 for."""
    params = {k for k, _ in parse_qsl(request.query or "", keep_blank_values=True)}
    for (method, param), operation in _MD5_OPERATIONS.items():
        if request.method.upper() == method and param in params:
            return operation
    return None


def _content_md5(store: Store, request: Request) -> Refused | None:
    refusal = store.refusal(CONTENT_MD5_REQUIRED)
    operation = operation_needing_md5(request)
    if refusal is None or operation not in store.requires_content_md5:
        return None
    if request.header("content-md5") is not None:
        return None
    sent = _checksum_header(request)
    instead = f" ({sent[0]} sent instead)" if sent else ""
    return _refused(
        CONTENT_MD5_REQUIRED,
        refusal,
        f"{operation} without Content-MD5{instead}; {store.title} requires it",
        request,
        header="Content-MD5",
    )


def _presigned(
    store: Store, request: Request, body_checksum: Callable[[str], str] | None
) -> Refused | None:
    refusal = store.refusal(PRESIGNED_CHECKSUM)
    if refusal is None or body_checksum is None:
        return None
    params = parse_qsl(request.query or "", keep_blank_values=True)
    if not any(k.lower() in ("x-amz-signature", "signature") for k, _ in params):
        return None
    for key, bound in params:
        low = key.lower()
        if not low.startswith("x-amz-checksum-") or low in _NOT_A_CHECKSUM:
            continue
        algorithm = low.removeprefix("x-amz-checksum-")
        try:
            computed = body_checksum(algorithm)
        except (InputError, ValueError, KeyError):
            continue  # an algorithm the checker does not know: not claimed either way
        if computed != bound:
            empty = " (the empty body's)" if bound == body_checksum_of_empty(algorithm) else ""
            return _refused(
                PRESIGNED_CHECKSUM,
                refusal,
                f"the URL binds {low}={bound}{empty}; the body's is {computed}",
                request,
                header=low,
                value=bound,
                algorithm=algorithm.upper(),
                garage_algorithm=_GARAGE_NAMES.get(algorithm, algorithm.capitalize()),
                computed_bytes=_byte_list(computed),
                bound_bytes=_byte_list(bound),
            )
    return None


# Garage's spelling of an algorithm in its answers (Rust's Debug form of its enum).
_GARAGE_NAMES = {"crc32": "Crc32", "crc32c": "Crc32c", "crc64nvme": "Crc64Nvme"}


def _byte_list(b64: str) -> str:
    """``AAAAAA==`` -> ``0, 0, 0, 0``: a digest's bytes as Garage prints them."""
    try:
        raw = base64.b64decode(b64, validate=True)
    except ValueError:
        return b64
    return ", ".join(str(b) for b in raw)


_EMPTY = {"crc32": "AAAAAA==", "crc32c": "AAAAAA==", "crc64nvme": "AAAAAAAAAAA="}


def body_checksum_of_empty(algorithm: str) -> str | None:
    """The value the SDKs bind for a body they did not have (the CRCs of nothing)."""
    return _EMPTY.get(algorithm)


def refused(
    store: Store,
    request: Request,
    *,
    body_checksum: Callable[[str], str] | None = None,
    data_chunks: int | None = None,
) -> Refused | None:
    """The refusal of `store` that `request` meets, in the order a store reads a request
    (length, headers, body encoding, operation, presigned checksum); None when the profile
    refuses none of it. `body_checksum(algorithm)` gives the received body's checksum (for a
    presigned URL's bound one); `data_chunks` the aws-chunked body's count of data chunks."""
    return (
        _content_length(store, request)
        or _checksum_headers(store, request)
        or _aws_chunked(store, request, data_chunks)
        or _content_md5(store, request)
        or _presigned(store, request, body_checksum)
    )


# --- docs/stores.md ------------------------------------------------------------------------

# One line per cause: what to change; the SDKs' own settings live in docs/causes.md.
_FIX = {
    CHECKSUM_UNSUPPORTED: "send no checksum headers: `request_checksum_calculation = "
    "when_required` (AWS_REQUEST_CHECKSUM_CALCULATION=when_required)",
    AWS_CHUNKED_UNSUPPORTED: "send a plain body with its length: `request_checksum_calculation "
    "= when_required`, or turn chunked encoding off where the SDK has the switch",
    CONTENT_MD5_REQUIRED: "send Content-MD5 (Java: LegacyMd5Plugin) or upgrade the store",
    PRESIGNED_CHECKSUM: "presign without a checksum (`requestChecksumCalculation: "
    "'WHEN_REQUIRED'` on the presigning client), or with the real body's",
    CONTENT_LENGTH_CHUNKED: "send Content-Length (a known length; no chunked transfer)",
    CHUNKED_FRAMING_STORED: "send a plain body: `request_checksum_calculation = when_required`",
}

_FACTS = (
    ("hosts", "endpoint hosts"),
    ("default_region", "region"),
    ("addressing", "addressing"),
    ("accepts_checksum_headers", "checksum headers (x-amz-checksum-*)"),
    ("accepts_trailer", "trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER)"),
    ("accepts_aws_chunked", "signed aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)"),
    ("accepts_multi_chunk", "aws-chunked in several chunks"),
    ("requires_content_md5", "Content-MD5 required for"),
    ("accepts_presigned_checksum", "presigned URL binding a checksum"),
    ("requires_content_length", "Content-Length required"),
    ("stores_chunked_framing", "stores the aws-chunked framing"),
    ("presign_max_seconds", "longest presigned URL, seconds"),
    ("sigv2", "S3 Signature Version 2"),
)


def _shown(value: object) -> str:
    if value is None or value == ():
        return "unknown" if value is None else "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(f"`{v}`" for v in value)
    return f"`{value}`"


def _link(url: str) -> str:
    short = url.removeprefix("https://").removeprefix("www.")
    if short.startswith("github.com/"):
        parts = short.split("/")
        if len(parts) >= 5:
            short = f"{parts[1]}/{parts[2]}#{parts[4]}"
    return f"[{short}]({url})"


def _refusal_lines(cause: str, refusal: Refusal) -> list[str]:
    code = f"`{refusal.code}`" if refusal.code else "(code not published)"
    if refusal.message:
        said = f"“{refusal.message}”"
    else:
        said = "(an empty message)" if refusal.message_published else "(text not published)"
    lines = [
        f"- [`{cause}`](causes.md#{cause}): **{refusal.status} {code}** {said}",
    ]
    if refusal.details:
        lines.append("  - also: " + ", ".join(f"`<{n}>{v}</{n}>`" for n, v in refusal.details))
    if refusal.when:
        lines.append(f"  - when: {refusal.when}")
    lines.append(f"  - source: {_link(refusal.source)}")
    lines.append(f"  - fix: {_FIX[cause]}")
    return lines


def markdown() -> str:
    """docs/stores.md: one section per profile, facts and refusals with their sources."""
    out = [
        "# Store profiles",
        "",
        "Generated from `sigkit/stores.py` by `python -m sigkit.stores > docs/stores.md`; a test "
        "keeps this page current. What each S3-compatible store refuses or requires, the exact "
        "answer it gives (status, code, message), the fix, and the public source of each fact. "
        "*unknown* means no public source says; sigkit then assumes nothing. A value shown "
        "without a source link rests on no page sigkit cites (for Ceph, what its own tests see "
        "from RGW 16.2): treat it as likely, not published.",
        "",
        "A profile is chosen with `--store NAME` (an id below, or an alias) or recognised from "
        "the endpoint host. `sigkit serve --store NAME` answers as that store does to what it "
        "refuses (its status, code and message, plus sigkit's `<Cause>` and `x-sigkit-cause`), "
        "so a refusal can be reproduced locally and a fix checked before touching production. "
        "The `{...}` parts of a message are filled in from the refused request.",
        "",
        "| id | store | endpoint hosts | region | addressing | refuses |",
        "|---|---|---|---|---|---|",
    ]
    for s in STORES:
        refuses = ", ".join(f"`{c}`" for c in s.refusals) or "nothing published"
        out.append(
            f"| [`{s.name}`](#{s.name}) | {s.title} | {_shown(s.hosts)} | "
            f"{_shown(s.default_region)} | {s.addressing} | {refuses} |"
        )
    for s in STORES:
        also = f" (also `--store {'`, `'.join(s.aliases)}`)" if s.aliases else ""
        out += ["", f"## {s.name}", "", f"**{s.title}**{also}"]
        out += ["", "| fact | value | source |", "|---|---|---|"]
        for attr, label in _FACTS:
            source = s.sources.get(attr)
            out.append(
                f"| {label} | {_shown(getattr(s, attr))} | {_link(source) if source else ''} |"
            )
        if s.region_pattern:
            source = s.sources.get("region_pattern")
            out.append(f"| region from the host | yes | {_link(source) if source else ''} |")
        out.append("")
        if s.refusals or s.multi_chunk_refusal:
            out.append("What it answers:")
            out.append("")
            for cause, refusal in s.refusals.items():
                out += _refusal_lines(cause, refusal)
            if s.multi_chunk_refusal is not None:
                out += _refusal_lines(AWS_CHUNKED_UNSUPPORTED, s.multi_chunk_refusal)
        else:
            out.append("No refusal of the 2025 checksum defaults is published for it.")
        if s.stores_chunked_framing:
            out.append(
                f"- [`{CHUNKED_FRAMING_STORED}`](causes.md#{CHUNKED_FRAMING_STORED}): the "
                f"upload is accepted and the framing stored; fix: {_FIX[CHUNKED_FRAMING_STORED]}"
            )
        for note in s.notes:
            out.append(f"- {note}")
        shown = {a for a, _ in _FACTS} | {"region_pattern"}
        extra = {k: v for k, v in s.sources.items() if k not in shown}
        for fact, url in extra.items():
            out.append(f"- {fact}: {_link(url)}")
    return "\n".join(out) + "\n" + _APPENDIX


# Written by hand beside the generator: how to reproduce a store's refusal with sigkit serve.
_APPENDIX = """
## Reproducing a store's answer locally

`sigkit serve --store NAME` verifies each request first (a bad signature is still answered
SignatureDoesNotMatch) and then answers as the store does. Header-form checksums are what
botocore sends over http; the trailer form (aws-chunked with `Transfer-Encoding: chunked`) is
what it sends over https, so give serve a certificate for those:

```bash
sigkit serve --store r2 --port 8400 --access-key AKIDEXAMPLE --secret-key "$SECRET" &
aws s3api put-object --bucket b --key k --body ./f --endpoint-url http://127.0.0.1:8400
# An error occurred (NotImplemented) when calling the PutObject operation:
#   Header 'x-amz-checksum-crc32' with value '...' not implemented
AWS_REQUEST_CHECKSUM_CALCULATION=when_required \\
  aws s3api put-object --bucket b --key k --body ./f --endpoint-url http://127.0.0.1:8400

sigkit serve --store scality --tls-cert cert.pem --tls-key key.pem --port 8443 ... &
aws s3api put-object --bucket b --key k --body ./f --endpoint-url https://localhost:8443 \\
  --ca-bundle cert.pem
# An error occurred (BadRequest) ...: trailing checksum is not supported
```

The answer's body is the store's error XML (its `<Code>`, its `<Message>` exactly, its own
further elements such as OSS's `<ArgumentName>`), followed by sigkit's `<Cause>`,
`<Certain>`, `<Evidence>` and `<Fix>`; the response header `x-sigkit-cause` names the cause
too. A message no report shows is not invented: no `<Message>` is sent then. Ceph RGW (and
Hetzner, which runs it) sends an empty `<Message></Message>`: botocore reads it as None
("... operation: None") and the AWS CLI v1 stops with "argument of type 'NoneType' is not
iterable", against the real RGW 16 and `--store ceph` alike. With
`--store gcs` an aws-chunked upload is kept with its framing and a GET of the key returns the
framed bytes; with any store, what was PUT is kept (at most 1000 objects, 64 MiB, in memory)
for a GET of the same key.
"""


def main() -> None:  # pragma: no cover - exercised through the docs test
    sys.stdout.write(markdown())


if __name__ == "__main__":  # pragma: no cover
    main()

"""Store profiles (sigkit/stores.py): endpoint hosts, names, and every refusal with its source.

The hosts below are endpoints as public reports and documentation show them (a Backblaze
host from iterate-ch/cyberduck#16107 and vatesfr/xen-orchestra#8358, an OSS one from
karakeep-app/karakeep#2191, Storj's from treeverse/lakeFS#3582, Hetzner's and Spaces'
datacenter hosts from their documentation)."""

from __future__ import annotations

import pytest

from sigkit import stores
from sigkit.debug import causes
from sigkit.errors import InputError
from sigkit.http import Request

HOSTS = [
    ("s3.amazonaws.com", "aws", "us-east-1"),
    ("s3.us-west-2.amazonaws.com", "aws", "us-west-2"),
    ("my-bucket.s3.eu-west-1.amazonaws.com", "aws", "eu-west-1"),
    ("my-bucket.s3-eu-west-1.amazonaws.com", "aws", "eu-west-1"),
    ("s3.cn-north-1.amazonaws.com.cn", "aws", "cn-north-1"),
    ("0123456789abcdef.r2.cloudflarestorage.com", "r2", "auto"),
    ("0123456789abcdef.eu.r2.cloudflarestorage.com", "r2", "auto"),
    ("s3.us-west-004.backblazeb2.com", "b2", "us-west-004"),
    ("bucket.s3.eu-central-003.backblazeb2.com", "b2", "eu-central-003"),
    ("storage.googleapis.com", "gcs", "auto"),
    ("bucket.storage.googleapis.com", "gcs", "auto"),
    ("s3.wasabisys.com", "wasabi", "us-east-1"),
    ("s3.eu-central-1.wasabisys.com", "wasabi", "eu-central-1"),
    ("nyc3.digitaloceanspaces.com", "spaces", "nyc3"),
    ("bucket.fra1.digitaloceanspaces.com", "spaces", "fra1"),
    ("storage.yandexcloud.net", "yandex", "ru-central1"),
    ("bucket.storage.yandexcloud.net", "yandex", "ru-central1"),
    ("fsn1.your-objectstorage.com", "hetzner", "fsn1"),
    ("bucket.hel1.your-objectstorage.com", "hetzner", "hel1"),
    ("oss-cn-hangzhou.aliyuncs.com", "aliyun", "cn-hangzhou"),
    ("bucket.oss-cn-hangzhou.aliyuncs.com", "aliyun", "cn-hangzhou"),
    ("gateway.storjshare.io", "storj", None),
]


@pytest.mark.parametrize(("host", "name", "region"), HOSTS)
def test_from_host_recognises_each_stores_endpoint(host: str, name: str, region: str) -> None:
    store = stores.from_host(host)
    assert store is not None and store.name == name
    assert store.region_for(host) == region
    # a port, a URL or upper case are the same host
    assert stores.from_host(f"https://{host.upper()}:443/bucket/key") is store


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:9000",
        "localhost",
        "minio.example.com",
        "ceph.internal",
        "notamazonaws.com",
        "amazonaws.com.evil.example",
        "r2.cloudflarestorage.com.example.org",
        "",
        "[::1]:8400",
    ],
)
def test_from_host_never_guesses(host: str) -> None:
    assert stores.from_host(host) is None


def test_the_issue_names_a_profile_for_each_store() -> None:
    wanted = {
        "aws", "r2", "b2", "minio", "ceph", "gcs", "wasabi", "spaces", "yandex", "hetzner",
        "scality", "seaweedfs", "garage",
    }  # fmt: skip
    assert wanted <= set(stores.names())
    assert len(stores.names()) == len(set(stores.names()))


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("cloudflare", "r2"),
        ("R2", "r2"),
        ("backblaze", "b2"),
        ("digitalocean", "spaces"),
        ("gcs-interop", "gcs"),
        ("ceph-rgw", "ceph"),
        ("RGW", "ceph"),
        ("cloudserver", "scality"),
        ("amazon_s3", "aws"),
    ],
)
def test_get_accepts_ids_and_aliases(alias: str, name: str) -> None:
    assert stores.get(alias).name == name


def test_get_unknown_is_an_input_error_listing_the_names() -> None:
    with pytest.raises(InputError) as caught:
        stores.get("nosuchstore")
    assert caught.value.field == "--store"
    assert "'nosuchstore'" in caught.value.message
    for name in stores.names():
        assert name in caught.value.message


def _refusals() -> list[tuple[str, str, stores.Refusal]]:
    found = [(s.name, c, r) for s in stores.STORES for c, r in s.refusals.items()]
    found += [
        (s.name, stores.AWS_CHUNKED_UNSUPPORTED, s.multi_chunk_refusal)
        for s in stores.STORES
        if s.multi_chunk_refusal is not None
    ]
    return found


@pytest.mark.parametrize(("store", "cause", "refusal"), _refusals())
def test_every_refusal_is_a_declared_cause_with_its_answer_and_source(
    store: str, cause: str, refusal: stores.Refusal
) -> None:
    assert cause in causes.IDS
    assert 400 <= refusal.status <= 599
    assert refusal.source.startswith("https://")
    assert refusal.message or not refusal.message_published or refusal.code
    if refusal is not stores.get(store).multi_chunk_refusal:
        assert refusal.code  # what serve --store answers with


def test_the_issue_table_is_in_the_profiles() -> None:
    """The answers the issue's table quotes, store by store."""
    r2 = stores.get("r2").refusals[stores.CHECKSUM_UNSUPPORTED]
    assert (r2.status, r2.code) == (501, "NotImplemented")
    assert r2.text(header="x-amz-checksum-crc32", value="8FJbTw==") == (
        "Header 'x-amz-checksum-crc32' with value '8FJbTw==' not implemented"
    )
    b2 = stores.get("b2").refusals[stores.CHECKSUM_UNSUPPORTED]
    assert (b2.status, b2.code) == (400, "InvalidArgument")
    assert b2.text(header="x-amz-sdk-checksum-algorithm") == (
        "Unsupported header 'x-amz-sdk-checksum-algorithm' received for this API call."
    )
    for name in ("hetzner", "ceph"):
        refusal = stores.get(name).refusals[stores.AWS_CHUNKED_UNSUPPORTED]
        assert (refusal.status, refusal.code) == (400, "XAmzContentSHA256Mismatch")
    assert "multiple chunks using aws-chunked is not supported" in (
        stores.get("hetzner").multi_chunk_refusal or stores.Refusal(0, "", "", "")
    ).message
    aliyun = stores.get("aliyun").refusals[stores.AWS_CHUNKED_UNSUPPORTED]
    assert aliyun.message == (
        "aws-chunked encoding is not supported with the specified x-amz-content-sha256 value."
    )
    scality = stores.get("scality").refusals[stores.AWS_CHUNKED_UNSUPPORTED]
    assert scality.message == "trailing checksum is not supported"
    storj = stores.get("storj").refusals[stores.CONTENT_LENGTH_CHUNKED]
    assert (storj.status, storj.code) == (411, "MissingContentLength")
    minio = stores.get("minio").refusals[stores.CONTENT_MD5_REQUIRED]
    assert minio.code == "MissingContentMD5"
    assert stores.get("minio").requires_content_md5 == ("DeleteObjects",)
    for name in ("seaweedfs", "garage", "r2"):
        assert stores.PRESIGNED_CHECKSUM in stores.get(name).refusals
        assert stores.get(name).accepts_presigned_checksum is False
    assert stores.get("gcs").stores_chunked_framing is True


def test_facts_named_in_the_issue() -> None:
    assert stores.get("r2").default_region == "auto"
    assert stores.get("yandex").default_region == "ru-central1"
    assert stores.get("yandex").presign_max_seconds == 30 * 24 * 3600
    assert stores.get("aws").presign_max_seconds == 7 * 24 * 3600
    for store in stores.STORES:
        assert store.addressing in stores.ADDRESSING
        for fact, url in store.sources.items():
            assert url.startswith("https://"), (store.name, fact)
        for cause in store.refusals:
            assert cause in stores.CAUSES


def _request(method: str, target: str, headers: list[tuple[str, str]]) -> Request:
    path, _, query = target.partition("?")
    return Request(method, path, query or None, (("Host", "h"), *headers), scheme="http")


def test_refused_fills_the_request_into_the_stores_answer() -> None:
    trailer = [
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
    ]
    found = stores.refused(stores.get("aliyun"), _request("PUT", "/b/k", trailer))
    assert found is not None and found.cause == stores.AWS_CHUNKED_UNSUPPORTED
    assert found.elements == (
        ("ArgumentName", "x-amz-content-sha256"),
        ("ArgumentValue", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
    )
    # the signed aws-chunked form OSS takes is not refused
    signed = [("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")]
    assert stores.refused(stores.get("aliyun"), _request("PUT", "/b/k", signed)) is None
    # a store nobody reports refusing anything refuses nothing
    assert stores.refused(stores.get("aws"), _request("PUT", "/b/k", trailer)) is None


def test_refused_presigned_checksum_compares_the_bound_value_with_the_body() -> None:
    target = (
        "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&x-amz-checksum-crc32=AAAAAA%3D%3D"
        "&x-amz-sdk-checksum-algorithm=CRC32&X-Amz-Signature=00"
    )
    store = stores.get("seaweedfs")
    found = stores.refused(
        store, _request("PUT", target, []), body_checksum=lambda alg: "DUoRhQ=="
    )
    assert found is not None and found.cause == stores.PRESIGNED_CHECKSUM
    assert "x-amz-checksum-crc32=AAAAAA== (the empty body's)" in found.evidence
    same = stores.refused(store, _request("PUT", target, []), body_checksum=lambda a: "AAAAAA==")
    assert same is None


def test_refused_content_md5_only_for_the_operation_named() -> None:
    store = stores.get("minio")
    crc = [("x-amz-checksum-crc32", "tCs18Q==")]
    found = stores.refused(store, _request("POST", "/b?delete", crc))
    assert found is not None and found.cause == stores.CONTENT_MD5_REQUIRED
    assert "x-amz-checksum-crc32 sent instead" in found.evidence
    md5 = [("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")]
    assert stores.refused(store, _request("POST", "/b?delete", md5)) is None
    assert stores.refused(store, _request("PUT", "/b/k", crc)) is None

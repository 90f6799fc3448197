"""A handful of catalogued causes against the real S3 server (Ceph RGW).

The same clients and faults as tests/e2e/test_causes.py, sent byte for byte to RGW. RGW's
error bodies carry no StringToSign, so the cause is named from the client's side: the request
as sent, its signature and the secret, through ``find_variant`` / ``find_variant_v2`` against
RGW's region (path ``variant`` in the test ids). RGW's refusal (403) shows the fault reproduces
on a real server; the lone exception is said in the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from sigkit.credentials import Credentials
from sigkit.debug.variants import find_variant, find_variant_v2
from sigkit.sigv2.s3 import S3V2Config
from sigkit.sigv4.config import SigV4Config
from tests.e2e import test_causes as causes

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rgw(s3server: dict[str, str]) -> Iterator[causes.Endpoint]:
    """An Endpoint on RGW; the scenario clients sign with RGW's key while the module runs."""
    port = urlsplit(s3server["S3_ENDPOINT"]).port
    assert port is not None
    saved = causes.KEY, causes.SECRET
    causes.KEY, causes.SECRET = s3server["AWS_ACCESS_KEY_ID"], s3server["AWS_SECRET_ACCESS_KEY"]
    try:
        yield causes.Endpoint(port)
    finally:
        causes.KEY, causes.SECRET = saved


NOT_A_VARIANT = (
    "find_variant has no variant for a signed header's value changed in transit; it names "
    "wrong-secret (header-changed is found only by comparing canonical requests)"
)
NO_VARIANT = (
    "find_variant has no variant for {what}; it names wrong-secret (serve's XML lets diagnose "
    "find {cause} by comparing canonical requests, RGW's error body has none to compare)"
)

# (cause, client, scenario, expected RGW statuses, xfail reason)
CASES: list[tuple[str, str, Callable[[causes.Endpoint], bytes], tuple[int, ...], str | None]] = [
    ("wrong-secret", "botocore", causes.s_wrong_secret, (403,), None),
    ("secret-whitespace", "botocore", causes.s_secret_whitespace, (403,), None),
    ("unsigned-header", "raw", causes.s_unsigned_header, (403,), None),
    ("header-changed", "raw", causes.s_header_changed, (403,), NOT_A_VARIANT),
    ("query-encoding", "raw", causes.s_query_encoding, (403,), None),
    ("path-encoding", "botocore-double", causes.s_path_encoding, (403,), None),
    (
        "query-not-sent",
        "raw",
        causes.s_query_not_sent,
        (403,),
        NO_VARIANT.format(what="a signed query left off the URL", cause="query-not-sent"),
    ),
    (
        "host-port",
        "raw",
        causes.s_host_port,
        (403,),
        NO_VARIANT.format(
            what="a host signed with a non-default port (it toggles only :80/:443)",
            cause="host-port",
        ),
    ),
    ("payload-hash", "botocore-empty-line", causes.s_payload_hash, (403,), None),
    (
        "content-type-md5",
        "botocore-v2",
        causes.s_content_type_md5,
        (403,),
        NO_VARIANT.format(what="a Content-Type value changed", cause="content-type-md5"),
    ),
    ("content-type-md5", "botocore-v2-type-added", causes.s_content_type_added, (403,), None),
    (
        "v2-subresource",
        "raw-v2",
        causes.s_v2_subresource,
        (403,),
        NO_VARIANT.format(what="a V2 sub-resource left out", cause="v2-subresource"),
    ),
    ("region", "botocore", causes.s_region, (403, 404, 200), None),
]


def _params() -> list[object]:
    out = []
    for cause, client, scenario, statuses, reason in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(
            pytest.param(cause, scenario, statuses, id=f"{cause}-{client}-variant", marks=marks)
        )
    return out


@pytest.mark.parametrize(("cause", "scenario", "statuses"), _params())
def test_cause_named_rgw(
    rgw: causes.Endpoint,
    cause: str,
    scenario: Callable[[causes.Endpoint], bytes],
    statuses: tuple[int, ...],
) -> None:
    raw = scenario(rgw)
    status, answer = causes.send_raw(rgw.port, raw)
    assert status in statuses, (status, answer[:400])
    sent = causes._sent_request(raw)
    now = datetime.now(UTC)
    credentials = Credentials(causes.KEY, causes.SECRET)
    auth = (sent.header("authorization") or "").strip()
    if auth.startswith("AWS "):
        signature = auth.rsplit(":", 1)[1]
        found = find_variant_v2(sent, credentials, now, S3V2Config(), signature)
    else:
        match = re.search(r"Signature=(\w+)", auth)
        assert match, auth
        found = find_variant(sent, credentials, now, SigV4Config.s3("us-east-1"), match.group(1))
    assert found is not None and found.cause == cause, (status, answer[:400], found)

"""sigkit's signatures against a real S3 server (Ceph RGW): accepted when right, refused when not.

Requests go out byte for byte as sigkit's signed request says (http.client, no rewriting), so
the server judges exactly what sigkit signed. The server's answer is the independent oracle.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from sigkit import (
    Credentials,
    Request,
    S3V2Config,
    SigV4Config,
    sign_v2,
    sign_v2_query,
    sign_v4,
    sign_v4_query,
)
from tests.e2e.wire import send

pytestmark = pytest.mark.e2e

BUCKET = "sigkit-e2e"
KEYS = {
    "plain.txt": b"plain",
    "a+b": b"plus",
    "a b": b"space",
    "x*y!(z)'$=@:,;&": b"reserved",
    "~tilde/and/slashes": b"tilde",
    "caf\u00e9/\u4e2d\u6587/\U0001f600.txt": b"unicode",
    "100%": b"percent",
}


def now() -> datetime:
    return datetime.now(UTC)


def creds(env: dict[str, str], secret: str | None = None) -> Credentials:
    return Credentials(env["AWS_ACCESS_KEY_ID"], secret or env["AWS_SECRET_ACCESS_KEY"])


def v4(
    env: dict[str, str],
    method: str,
    target: str,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    **config: object,
) -> tuple[int, bytes]:
    hdrs = list(headers or [])
    if body or method in ("PUT", "POST"):
        hdrs.append(("Content-Length", str(len(body))))
    request = Request.from_url(method, env["S3_ENDPOINT"] + target, hdrs, body or None)
    signed = sign_v4(request, creds(env), now(), SigV4Config.s3("us-east-1", **config))  # type: ignore[arg-type]
    return send(env["S3_ENDPOINT"], signed.request)


def key_path(key: str) -> str:
    return f"/{BUCKET}/" + quote(key, safe="/~")


@pytest.fixture(scope="module")
def bucket(s3server: dict[str, str]) -> dict[str, str]:
    status, body = v4(s3server, "PUT", f"/{BUCKET}")
    assert status == 200, body
    for key, data in KEYS.items():
        status, body = v4(s3server, "PUT", key_path(key), data)
        assert status == 200, (key, body)
    return s3server


@pytest.mark.parametrize("key", sorted(KEYS))
def test_v4_header_round_trip(bucket: dict[str, str], key: str) -> None:
    status, body = v4(bucket, "GET", key_path(key))
    assert (status, body) == (200, KEYS[key])


def test_v4_wrong_secret_is_refused(bucket: dict[str, str]) -> None:
    request = Request.from_url("GET", bucket["S3_ENDPOINT"] + key_path("plain.txt"))
    signed = sign_v4(request, creds(bucket, "not-the-secret"), now(), SigV4Config.s3("us-east-1"))
    status, body = send(bucket["S3_ENDPOINT"], signed.request)
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in body


def _listed(body: bytes) -> list[str]:
    return re.findall(r"<Key>([^<]*)</Key>", body.decode())


def test_raw_plus_in_query_is_a_space(bucket: dict[str, str]) -> None:
    """sigkit's default reading of a raw '+' (a space) is the one the server checks."""
    status, body = v4(bucket, "GET", f"/{BUCKET}?list-type=2&prefix=a+b")
    assert status == 200, body
    assert _listed(body) == ["a b"]
    status, body = v4(bucket, "GET", f"/{BUCKET}?list-type=2&prefix=a+b", plus_as_space=False)
    assert status == 403, "the literal-plus reading must be refused, or the test proves nothing"
    status, body = v4(bucket, "GET", f"/{BUCKET}?list-type=2&prefix=a%2Bb")
    assert (status, _listed(body)) == (200, ["a+b"])


def test_raw_reserved_characters_in_path(bucket: dict[str, str]) -> None:
    """Sent raw, signed re-encoded (%2A ...): what the server computes from the received path."""
    status, body = v4(bucket, "GET", f"/{BUCKET}/x*y!(z)'$=@:,;&")
    assert (status, body) == (200, KEYS["x*y!(z)'$=@:,;&"])


def test_raw_plus_in_path_is_a_literal_plus(bucket: dict[str, str]) -> None:
    status, body = v4(bucket, "GET", f"/{BUCKET}/a+b")
    assert (status, body) == (200, KEYS["a+b"])


def test_bare_subresource_and_header_spacing(bucket: dict[str, str]) -> None:
    status, body = v4(bucket, "GET", f"/{BUCKET}?acl")
    assert status == 200 and b"AccessControlPolicy" in body
    status, body = v4(
        bucket, "GET", key_path("plain.txt"), headers=[("x-amz-meta-note", "  a   b  c ")]
    )
    assert (status, body) == (200, KEYS["plain.txt"])


def test_unsigned_payload_and_wrong_payload_hash(bucket: dict[str, str]) -> None:
    status, _ = v4(
        bucket, "PUT", key_path("unsigned.txt"), b"data", payload_hash="UNSIGNED-PAYLOAD"
    )
    assert status == 200
    wrong = "0" * 64
    status, body = v4(bucket, "PUT", key_path("unsigned.txt"), b"data", payload_hash=wrong)
    assert status == 400 and b"XAmzContentSHA256Mismatch" in body


def test_v4_presigned_get_and_tampering(bucket: dict[str, str]) -> None:
    request = Request.from_url(
        "GET", bucket["S3_ENDPOINT"] + key_path("caf\u00e9/\u4e2d\u6587/\U0001f600.txt")
    )
    config = SigV4Config.s3("us-east-1", payload_hash="UNSIGNED-PAYLOAD", expires=300)
    signed = sign_v4_query(request, creds(bucket), now(), config).request
    assert send(bucket["S3_ENDPOINT"], signed) == (
        200,
        KEYS["caf\u00e9/\u4e2d\u6587/\U0001f600.txt"],
    )
    tampered = signed.with_query((signed.query or "") + "&extra=1")
    assert send(bucket["S3_ENDPOINT"], tampered)[0] == 403


def test_v2_header_with_date_and_with_x_amz_date(bucket: dict[str, str]) -> None:
    url = bucket["S3_ENDPOINT"] + key_path("a b")
    signed = sign_v2(Request.from_url("GET", url), creds(bucket), now(), S3V2Config())
    assert send(bucket["S3_ENDPOINT"], signed.request) == (200, KEYS["a b"])
    from sigkit.timefmt import http_date

    # The S3 documentation's rule: with x-amz-date the Date line is empty.
    request = Request.from_url("GET", url, [("x-amz-date", http_date(now()))])
    signed = sign_v2(request, creds(bucket), now(), S3V2Config())
    assert signed["date_line"] == ""
    assert send(bucket["S3_ENDPOINT"], signed.request) == (200, KEYS["a b"])


def test_v2_subresource_and_wrong_secret(bucket: dict[str, str]) -> None:
    request = Request.from_url("GET", bucket["S3_ENDPOINT"] + f"/{BUCKET}?acl")
    signed = sign_v2(request, creds(bucket), now())
    assert signed["canonical_resource"] == f"/{BUCKET}?acl"
    status, body = send(bucket["S3_ENDPOINT"], signed.request)
    assert status == 200 and b"AccessControlPolicy" in body
    signed = sign_v2(request, creds(bucket, "wrong"), now())
    assert send(bucket["S3_ENDPOINT"], signed.request)[0] == 403


def test_v2_presigned_get(bucket: dict[str, str]) -> None:
    url = bucket["S3_ENDPOINT"] + key_path("a+b") + "?response-content-type=text/plain"
    signed = sign_v2_query(Request.from_url("GET", url), creds(bucket), now(), S3V2Config())
    assert send(bucket["S3_ENDPOINT"], signed.request) == (200, KEYS["a+b"])

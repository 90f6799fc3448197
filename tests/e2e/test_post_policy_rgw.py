"""POST-policy uploads built by sigkit against a real S3 server (Ceph RGW).

The multipart body goes out byte for byte as sigkit builds it (http.client, no rewriting). A
good form must store the file exactly; each altered form must be refused and leave nothing
stored, and sigkit's own verifier must refuse it too, naming the same cause.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from sigkit import Credentials, Request, SigV4Config, sign_v4
from sigkit.sigv2.post_policy import presign_post_v2, verify_post_v2
from sigkit.sigv4.post_policy import (
    Condition,
    ConditionLike,
    PostPolicy,
    PostResult,
    form_request,
    presign_post_v4,
    verify_post_v4,
)
from tests.e2e.wire import send

pytestmark = pytest.mark.e2e

BUCKET = "sigkit-e2e-post"
DATA = bytes(range(256)) * 40 + b"\r\n--not-a-boundary--\r\n"  # binary, with CRLF and dashes
CONDITIONS: list[ConditionLike] = [
    ["content-length-range", 1, 1 << 20],
    ["starts-with", "$Content-Type", "text/"],
]
FIELDS = [
    ("Content-Type", "text/plain"),
    ("x-amz-meta-note", "from sigkit"),
    ("success_action_status", "201"),
]


def now() -> datetime:
    return datetime.now(UTC)


def creds(env: dict[str, str], secret: str | None = None) -> Credentials:
    return Credentials(env["AWS_ACCESS_KEY_ID"], secret or env["AWS_SECRET_ACCESS_KEY"])


def v4(env: dict[str, str], method: str, key: str = "") -> tuple[int, bytes]:
    target = f"/{BUCKET}" + (("/" + quote(key, safe="/~")) if key else "")
    headers = [("Content-Length", "0")] if method == "PUT" else []
    request = Request.from_url(method, env["S3_ENDPOINT"] + target, headers)
    signed = sign_v4(request, creds(env), now(), SigV4Config.s3("us-east-1"))
    return send(env["S3_ENDPOINT"], signed.request)


def action(env: dict[str, str]) -> str:
    return f"{env['S3_ENDPOINT']}/{BUCKET}"


@pytest.fixture(scope="module")
def bucket(s3server: dict[str, str]) -> dict[str, str]:
    status, body = v4(s3server, "PUT")
    assert status == 200, body
    return s3server


def upload(
    env: dict[str, str], fields: list[tuple[str, str]], filename: str, data: bytes = DATA
) -> tuple[int, bytes]:
    request = form_request(
        fields, data, url=action(env), filename=filename, content_type="text/plain"
    )
    return send(env["S3_ENDPOINT"], request)


def good_v4(env: dict[str, str], prefix: str, when: datetime | None = None) -> PostResult:
    return presign_post_v4(
        creds(env),
        when or now(),
        region="us-east-1",
        bucket=BUCKET,
        key=f"{prefix}/${{filename}}",
        conditions=CONDITIONS,
        fields=FIELDS,
        url=action(env),
    )


def good_v2(env: dict[str, str], prefix: str) -> PostResult:
    return presign_post_v2(
        creds(env),
        now(),
        bucket=BUCKET,
        key=f"{prefix}/${{filename}}",
        conditions=CONDITIONS,
        fields=FIELDS,
        url=action(env),
    )


def replace(fields: tuple[tuple[str, str], ...], name: str, value: str) -> list[tuple[str, str]]:
    return [(n, value if n.lower() == name.lower() else v) for n, v in fields]


def refused(env: dict[str, str], fields: list[tuple[str, str]], key: str) -> bytes:
    """The upload is refused with 403 and nothing is stored under `key`."""
    status, body = upload(env, fields, key.rsplit("/", 1)[-1])
    assert status == 403, (status, body)
    assert v4(env, "GET", key)[0] == 404
    return body


@pytest.mark.parametrize("name", ["report.bin", "caf\u00e9 \u4e2d.txt"])
def test_v4_upload_reads_back_identical(bucket: dict[str, str], name: str) -> None:
    form = good_v4(bucket, "v4")
    request = form.form_request(DATA, filename=name, content_type="text/plain")
    status, body = send(bucket["S3_ENDPOINT"], request)
    assert status == 201, body
    assert f"<Key>v4/{name}</Key>".encode() in body
    assert v4(bucket, "GET", f"v4/{name}") == (200, DATA)
    check = verify_post_v4(
        form.fields, creds(bucket), now(), bucket=BUCKET, file_size=len(DATA), filename=name
    )
    assert check.ok, check.problems


def test_v2_upload_reads_back_identical(bucket: dict[str, str]) -> None:
    form = good_v2(bucket, "v2")
    status, body = upload(bucket, list(form.fields), "report.bin")
    assert status == 201, body
    assert v4(bucket, "GET", "v2/report.bin") == (200, DATA)
    check = verify_post_v2(
        form.fields, creds(bucket), now(), bucket=BUCKET, file_size=len(DATA), filename="x"
    )
    assert check.ok, check.problems


@pytest.mark.parametrize("version", ["v4", "v2"])
def test_key_outside_the_policy_is_refused(bucket: dict[str, str], version: str) -> None:
    form = good_v4(bucket, "in") if version == "v4" else good_v2(bucket, "in")
    fields = replace(form.fields, "key", "out/${filename}")
    body = refused(bucket, fields, "out/k.bin")
    assert b"Policy condition failed: starts-with: $key, in/" in body
    verify = verify_post_v4 if version == "v4" else verify_post_v2
    check = verify(fields, creds(bucket), now(), bucket=BUCKET, file_size=len(DATA))
    assert [(p.check, p.subject) for p in check.problems] == [
        ("condition", '["starts-with", "$key", "in/"]')
    ]


@pytest.mark.parametrize("version", ["v4", "v2"])
def test_wrong_signature_is_refused(bucket: dict[str, str], version: str) -> None:
    form = good_v4(bucket, "sig") if version == "v4" else good_v2(bucket, "sig")
    name = "X-Amz-Signature" if version == "v4" else "Signature"
    sig = form.signature
    fields = replace(form.fields, name, ("0" if sig[0] != "0" else "1") + sig[1:])
    refused(bucket, fields, "sig/k.bin")


@pytest.mark.parametrize("version", ["v4", "v2"])
def test_modified_policy_is_refused(bucket: dict[str, str], version: str) -> None:
    """A policy widened after signing (the old signature kept) is refused."""
    form = good_v4(bucket, "pol") if version == "v4" else good_v2(bucket, "pol")
    widened = [c for c in form.policy.conditions if c.name != "key"]
    widened.append(Condition.starts_with("key", ""))
    policy = PostPolicy.build(form.policy.expiration, widened)
    fields = replace(form.fields, "Policy", policy.encoded)
    fields = replace(tuple(fields), "key", "elsewhere/${filename}")
    refused(bucket, fields, "elsewhere/k.bin")
    verify = verify_post_v4 if version == "v4" else verify_post_v2
    check = verify(fields, creds(bucket), now(), bucket=BUCKET, file_size=len(DATA))
    assert [p.check for p in check.problems] == ["signature"]


def test_v2_non_canonical_base64_signature(bucket: dict[str, str]) -> None:
    """Same digest, last base64 character with its unused low bits set (as in the typo of the
    AWS V2 text-area example): RGW compares the text, and so does sigkit's verifier."""
    form = good_v2(bucket, "b64")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    sig = form.signature
    assert sig.endswith("=") and len(sig) == 28
    last = alphabet.index(sig[-2])
    assert last % 4 == 0  # 160 bits in 27 characters: the last one's 2 low bits are unused
    odd = sig[:-2] + alphabet[last | 1] + "="
    fields = replace(form.fields, "Signature", odd)
    refused(bucket, fields, "b64/k.bin")
    check = verify_post_v2(fields, creds(bucket), now(), bucket=BUCKET, file_size=len(DATA))
    assert [p.check for p in check.problems] == ["signature"]
    assert "not canonical base64" in check.problems[0].message


def test_uncovered_field_is_refused(bucket: dict[str, str]) -> None:
    form = good_v4(bucket, "extra")
    fields = list(form.fields)
    fields.insert(1, ("x-amz-meta-extra", "not in the policy"))
    body = refused(bucket, fields, "extra/k.bin")
    assert b"Policy missing condition: x-amz-meta-extra" in body
    check = verify_post_v4(fields, creds(bucket), now(), bucket=BUCKET, file_size=len(DATA))
    assert [(p.check, p.subject) for p in check.problems] == [("field", "x-amz-meta-extra")]


def test_content_type_outside_the_policy_is_refused(bucket: dict[str, str]) -> None:
    form = good_v4(bucket, "ctype")
    fields = replace(form.fields, "Content-Type", "image/png")
    body = refused(bucket, fields, "ctype/k.bin")
    assert b"Policy condition failed: starts-with: $Content-Type, text/" in body
    check = verify_post_v4(fields, creds(bucket), now(), bucket=BUCKET, file_size=len(DATA))
    assert [p.subject for p in check.problems] == ['["starts-with", "$Content-Type", "text/"]']


def test_expired_policy_is_refused(bucket: dict[str, str]) -> None:
    """Signed two hours ago for one hour: the signature is right, the policy has expired."""
    form = good_v4(bucket, "old", when=now() - timedelta(hours=2))
    body = refused(bucket, list(form.fields), "old/k.bin")
    assert b"<Message>Policy expired</Message>" in body
    check = verify_post_v4(form.fields, creds(bucket), now(), bucket=BUCKET, file_size=len(DATA))
    assert [p.check for p in check.problems] == ["expiration"]


def test_file_larger_than_the_range_is_refused(bucket: dict[str, str]) -> None:
    form = presign_post_v4(
        creds(bucket),
        now(),
        region="us-east-1",
        bucket=BUCKET,
        key="small/${filename}",
        conditions=[["content-length-range", 1, 100]],
        url=action(bucket),
    )
    status, body = upload(bucket, list(form.fields), "k.bin")
    assert status == 400 and b"<Code>EntityTooLarge</Code>" in body, (status, body)
    assert v4(bucket, "GET", "small/k.bin")[0] == 404
    check = verify_post_v4(form.fields, creds(bucket), now(), bucket=BUCKET, file_size=len(DATA))
    assert [p.subject for p in check.problems] == ['["content-length-range", 1, 100]']

"""POST policy (browser-based upload), SigV4 and S3 V2.

Expected signatures and policies come only from the AWS documentation records in
vectors/records/aws-docs/ (verified records for reproduction; the unverified V2 record only as
the negative case its note describes) and from botocore as an independent signer.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigkit import Credentials, InputError, VerificationError
from sigkit.result import STEP_INFO
from sigkit.sigv2.post_policy import presign_post_v2, sign_post_v2, verify_post_v2
from sigkit.sigv4.post_policy import (
    Condition,
    PostPolicy,
    form_request,
    multipart_body,
    presign_post_v4,
    sign_post_v4,
    verify_post_v4,
)
from sigkit.timefmt import parse_time

DOCS = Path(__file__).resolve().parent.parent / "vectors" / "records" / "aws-docs"
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
WHEN = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _records(name: str) -> dict[str, dict[str, Any]]:
    path = DOCS / name
    return {r["name"]: r for r in json.loads(path.read_text())["records"]}


@pytest.fixture
def v4_doc() -> dict[str, Any]:
    record = _records("s3-sigv4-post-policy.json")["post-policy-sigv4"]
    assert record["verified"] is True
    return record


@pytest.fixture
def v2_docs() -> dict[str, dict[str, Any]]:
    return _records("s3-sigv2-post-policy.json")


def _v4_sign(record: dict[str, Any], **kw: Any) -> Any:
    inputs = record["inputs"]
    return sign_post_v4(
        PostPolicy.from_base64(inputs["policy_base64"]),
        Credentials(**inputs["credentials"]),
        kw.pop("when", parse_time(inputs["timestamp"])),
        region=inputs["region"],
        service=inputs["service"],
        fields=[tuple(f) for f in inputs["form_fields"]],
        bucket=kw.pop("bucket", inputs["bucket"]),
        **kw,
    )


def _v4_form(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The documented form as a browser sends it: its fields, Policy and the signature."""
    inputs = record["inputs"]
    fields = [(n, v) for n, v in inputs["form_fields"]]
    return [
        *fields,
        ("Policy", inputs["policy_base64"]),
        ("X-Amz-Signature", record["expected"]["signature"]),
    ]


def _v4_verify(record: dict[str, Any], fields: list[tuple[str, str]], **kw: Any) -> Any:
    inputs = record["inputs"]
    return verify_post_v4(
        fields,
        Credentials(**inputs["credentials"]),
        kw.pop("now", parse_time(inputs["timestamp"])),
        bucket=kw.pop("bucket", inputs["bucket"]),
        region=inputs["region"],
        **kw,
    )


# --------------------------------------------------------------------------- documentation


def test_v4_documentation_example_reproduces(v4_doc: dict[str, Any]) -> None:
    result = _v4_sign(v4_doc)
    assert result["string_to_sign"] == v4_doc["expected"]["string_to_sign"]
    assert result["policy_base64"] == v4_doc["inputs"]["policy_base64"]
    assert result.signature == v4_doc["expected"]["signature"]
    assert result["signing_key"] == v4_doc["derived"]["signing_key_hex"]
    assert result["policy_document"] == v4_doc["derived"]["policy_document"]
    assert list(result.fields) == _v4_form(v4_doc)


def test_v4_documentation_document_bytes_are_kept(v4_doc: dict[str, Any]) -> None:
    """From the JSON text (CRLF, a blank line, spaces) to the same base64 and signature."""
    policy = PostPolicy.from_document(v4_doc["derived"]["policy_document"])
    assert policy.encoded == v4_doc["inputs"]["policy_base64"]
    result = _v4_sign(v4_doc)
    assert any("CRLF" in note for note in result.notes["policy_document"])


def test_v2_documentation_example_reproduces(v2_docs: dict[str, dict[str, Any]]) -> None:
    record = v2_docs["post-policy-file-upload"]
    assert record["verified"] is True
    inputs = record["inputs"]
    policy = PostPolicy.from_base64(inputs["policy_base64"])
    assert policy.document.decode() == record["derived"]["policy_document"]
    # V2 carries no time: "now" only has to be before the policy's expiration.
    now = policy.expiration - timedelta(days=1)
    result = sign_post_v2(policy, Credentials(**inputs["credentials"]), now, bucket="johnsmith")
    assert result["string_to_sign"] == record["expected"]["string_to_sign"]
    assert result.signature == record["expected"]["signature"]
    assert [n for n, _ in result.fields] == ["AWSAccessKeyId", "Policy", "Signature"]


def test_v2_documentation_typo_is_a_non_canonical_signature(
    v2_docs: dict[str, dict[str, Any]],
) -> None:
    """The unverified text-area record prints ...cWgF=; the HMAC is ...cWgE=. Same bytes under a
    lenient decoder, different text: sigkit signs the canonical text and refuses the other."""
    record = v2_docs["post-policy-text-area-upload"]
    assert record["verified"] is False
    inputs = record["inputs"]
    creds = Credentials(**inputs["credentials"])
    policy = PostPolicy.from_base64(inputs["policy_base64"])
    now = policy.expiration - timedelta(days=1)
    result = sign_post_v2(policy, creds, now)
    printed = record["expected"]["signature"]
    assert result.signature == record["derived"]["signature_canonical_base64"]
    assert result.signature != printed
    assert base64.b64decode(printed) == base64.b64decode(result.signature)
    form = [
        ("key", "user/eric/post.html"),
        ("acl", "public-read"),
        ("success_action_redirect", "http://johnsmith.s3.amazonaws.com/new_post.html"),
        ("Content-Type", "text/html"),
        ("x-amz-meta-uuid", "14365123651274"),
        ("x-amz-meta-tag", ""),
        ("AWSAccessKeyId", creds.access_key_id),
        ("Policy", inputs["policy_base64"]),
    ]
    good = verify_post_v2([*form, ("Signature", result.signature)], creds, now, bucket="johnsmith")
    assert good.ok, good.problems
    bad = verify_post_v2([*form, ("Signature", printed)], creds, now, bucket="johnsmith")
    assert [p.check for p in bad.problems] == ["signature"]
    assert "not canonical base64" in bad.problems[0].message


# --------------------------------------------------------------------------- verification


def test_verification_accepts_the_documented_form(v4_doc: dict[str, Any]) -> None:
    check = _v4_verify(v4_doc, _v4_form(v4_doc), file_size=1024, filename="C:\\pics\\cat.jpg")
    assert check.ok, check.problems
    assert check.expected_signature == v4_doc["expected"]["signature"]
    check.raise_for_problems()


ALTERED = [
    ("key", "user/user2/cat.jpg", '["starts-with", "$key", "user/user1/"]'),
    ("acl", "private", '{"acl": "public-read"}'),
    (
        "success_action_redirect",
        "http://evil.example/",
        '{"success_action_redirect": '
        '"http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"}',
    ),
    ("Content-Type", "text/html", '["starts-with", "$Content-Type", "image/"]'),
    ("Content-Type", "image/jpeg,text/html", '["starts-with", "$Content-Type", "image/"]'),
    ("x-amz-meta-uuid", "1", '{"x-amz-meta-uuid": "14365123651274"}'),
    ("x-amz-server-side-encryption", "aws:kms", '{"x-amz-server-side-encryption": "AES256"}'),
    ("X-Amz-Date", "20151229T000001Z", '{"x-amz-date": "20151229T000000Z"}'),
]


@pytest.mark.parametrize(("name", "value", "condition"), ALTERED)
def test_verification_names_the_failed_condition(
    v4_doc: dict[str, Any], name: str, value: str, condition: str
) -> None:
    form = [(n, value if n == name else v) for n, v in _v4_form(v4_doc)]
    check = _v4_verify(v4_doc, form, file_size=10)
    assert [(p.check, p.subject) for p in check.problems] == [("condition", condition)]
    with pytest.raises(VerificationError, match="condition"):
        check.raise_for_problems()


def test_verification_comma_separated_content_types(v4_doc: dict[str, Any]) -> None:
    form = [(n, "image/jpeg,image/png" if n == "Content-Type" else v) for n, v in _v4_form(v4_doc)]
    assert _v4_verify(v4_doc, form).ok


def test_verification_other_bucket(v4_doc: dict[str, Any]) -> None:
    check = _v4_verify(v4_doc, _v4_form(v4_doc), bucket="other")
    assert [p.subject for p in check.problems] == ['{"bucket": "sigv4examplebucket"}']


def test_verification_uncovered_field(v4_doc: dict[str, Any]) -> None:
    form = _v4_form(v4_doc)
    form.insert(1, ("x-amz-meta-extra", "1"))
    form.insert(1, ("x-ignore-this", "ignored"))
    check = _v4_verify(v4_doc, form)
    assert [(p.check, p.subject) for p in check.problems] == [("field", "x-amz-meta-extra")]


def test_verification_signature_policy_secret_and_expiry(v4_doc: dict[str, Any]) -> None:
    form = _v4_form(v4_doc)
    wrong_sig = [(n, "0" * 64 if n == "X-Amz-Signature" else v) for n, v in form]
    assert [p.check for p in _v4_verify(v4_doc, wrong_sig).problems] == ["signature"]
    # A policy changed after signing: one character of the document.
    doc = v4_doc["derived"]["policy_document"].replace("user/user1/", "user/")
    changed = PostPolicy.from_document(doc).encoded
    widened = [(n, changed if n == "Policy" else v) for n, v in form]
    assert [p.check for p in _v4_verify(v4_doc, widened).problems] == ["signature"]
    other = Credentials(v4_doc["inputs"]["credentials"]["access_key_id"], "not-the-secret")
    check = verify_post_v4(
        form, other, parse_time(v4_doc["inputs"]["timestamp"]), bucket="sigv4examplebucket"
    )
    assert [p.check for p in check.problems] == ["signature"]
    late = datetime(2015, 12, 30, 12, 0, 0, tzinfo=UTC)
    check = _v4_verify(v4_doc, form, now=late)
    assert [(p.check, p.subject) for p in check.problems] == [
        ("expiration", "2015-12-30T12:00:00.000Z")
    ]


def test_verification_missing_and_malformed_fields(v4_doc: dict[str, Any]) -> None:
    form = [(n, v) for n, v in _v4_form(v4_doc) if n != "key"]
    check = _v4_verify(v4_doc, form)
    assert ("form", "key") in [(p.check, p.subject) for p in check.problems]
    assert ("condition", '["starts-with", "$key", "user/user1/"]') in [
        (p.check, p.subject) for p in check.problems
    ]
    bad_policy = [(n, "not base64!" if n == "Policy" else v) for n, v in _v4_form(v4_doc)]
    assert "policy" in [p.check for p in _v4_verify(v4_doc, bad_policy).problems]
    other_key = [
        (n, v.replace("AKIAIOSFODNN7EXAMPLE", "AKIDOTHER") if n == "X-Amz-Credential" else v)
        for n, v in _v4_form(v4_doc)
    ]
    checks = {p.check for p in _v4_verify(v4_doc, other_key).problems}
    assert "credential" in checks


def test_filename_is_expanded_before_the_checks() -> None:
    result = presign_post_v4(
        CREDS,
        WHEN,
        region="eu-west-1",
        bucket="b",
        key="up/${filename}",
        conditions=[Condition.eq("key", "up/a.jpg", as_object=False)],
    )
    for filename, ok in (("C:\\x\\a.jpg", True), ("/tmp/a.jpg", True), ("b.jpg", False)):
        check = verify_post_v4(result.fields, CREDS, WHEN, bucket="b", filename=filename)
        assert check.ok is ok, (filename, check.problems)


def test_repeated_fields_are_joined_with_commas() -> None:
    result = presign_post_v4(
        CREDS,
        WHEN,
        region="us-east-1",
        bucket="b",
        key="k",
        conditions=[{"x-amz-meta-tag": "Ninja,Stallman"}],
    )
    fields = list(result.fields)
    fields[1:1] = [("x-amz-meta-tag", "Ninja"), ("x-amz-meta-tag", "Stallman")]
    assert verify_post_v4(fields, CREDS, WHEN, bucket="b").ok


def test_content_length_range() -> None:
    result = presign_post_v4(
        CREDS,
        WHEN,
        region="us-east-1",
        bucket="b",
        key="k",
        conditions=[["content-length-range", 10, 20]],
    )
    for size, ok in ((10, True), (20, True), (9, False), (21, False)):
        check = verify_post_v4(result.fields, CREDS, WHEN, bucket="b", file_size=size)
        assert check.ok is ok
        if not ok:
            assert [p.subject for p in check.problems] == ['["content-length-range", 10, 20]']
    unchecked = verify_post_v4(result.fields, CREDS, WHEN, bucket="b")
    assert unchecked.ok and any("no file size" in n for n in unchecked.notes)


# --------------------------------------------------------------------------- building


def test_built_policy_is_compact_deterministic_json_s3_can_read() -> None:
    kwargs: dict[str, Any] = {
        "region": "us-east-1",
        "bucket": "sigv4examplebucket",
        "key": "user/user1/${filename}",
        "conditions": [
            ["starts-with", "$Content-Type", "image/"],
            ["content-length-range", 1, 10485760],
        ],
        "fields": [("acl", "public-read"), ("Content-Type", "image/jpeg")],
        "expires_in": 600,
    }
    result = presign_post_v4(CREDS, WHEN, **kwargs)
    again = presign_post_v4(CREDS, WHEN, **kwargs)
    assert again["policy_base64"] == result["policy_base64"]
    document = base64.b64decode(result["policy_base64"])
    parsed = json.loads(document)
    assert list(parsed) == ["expiration", "conditions"]
    assert parsed["expiration"] == "2024-05-01T12:10:00.000Z"
    assert json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode() == document
    scope = "AKIDEXAMPLE/20240501/us-east-1/s3/aws4_request"
    assert parsed["conditions"] == [
        {"bucket": "sigv4examplebucket"},
        ["starts-with", "$key", "user/user1/"],
        ["starts-with", "$Content-Type", "image/"],
        ["content-length-range", 1, 10485760],
        {"acl": "public-read"},
        {"x-amz-credential": scope},
        {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
        {"x-amz-date": "20240501T120000Z"},
    ]
    assert result.fields == (
        ("key", "user/user1/${filename}"),
        ("acl", "public-read"),
        ("Content-Type", "image/jpeg"),
        ("X-Amz-Credential", scope),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Date", "20240501T120000Z"),
        ("Policy", result["policy_base64"]),
        ("X-Amz-Signature", result.signature),
    )
    assert PostPolicy.from_base64(result["policy_base64"]).conditions == result.policy.conditions
    check = verify_post_v4(
        result.fields, CREDS, WHEN, bucket="sigv4examplebucket", file_size=5, filename="a.jpg"
    )
    assert check.ok, check.problems


def test_steps_and_masking() -> None:
    token_creds = Credentials("AKIDEXAMPLE", "secret", "session-token-value")
    result = presign_post_v4(token_creds, WHEN, region="us-east-1", bucket="b", key="k")
    names = [s.name for s in result.steps]
    assert names == [
        "policy_document",
        "policy_base64",
        "string_to_sign",
        "credential_scope",
        "k_date",
        "k_region",
        "k_service",
        "signing_key",
        "signature",
        "form_fields",
        "signed_request",
    ]
    secret = {s.name for s in result.steps if s.secret}
    assert secret == {"k_date", "k_region", "k_service", "signing_key"}
    assert all(name in STEP_INFO for name in names)
    assert result.sensitive == ("session-token-value",)
    assert ("X-Amz-Security-Token", "session-token-value") in result.fields
    assert {"x-amz-security-token": "session-token-value"} in json.loads(result["policy_document"])[
        "conditions"
    ]
    assert verify_post_v4(result.fields, token_creds, WHEN, bucket="b").ok
    v2 = presign_post_v2(token_creds, WHEN, bucket="b", key="k")
    assert [n for n, _ in v2.fields] == [
        "key",
        "AWSAccessKeyId",
        "x-amz-security-token",
        "Policy",
        "Signature",
    ]
    assert verify_post_v2(v2.fields, token_creds, WHEN, bucket="b").ok


def test_v2_build_and_verify() -> None:
    result = presign_post_v2(
        CREDS,
        WHEN,
        bucket="johnsmith",
        key="user/eric/${filename}",
        fields=[("acl", "public-read")],
        expiration=WHEN + timedelta(days=1),
    )
    assert json.loads(result["policy_document"])["expiration"] == "2024-05-02T12:00:00.000Z"
    check = verify_post_v2(result.fields, CREDS, WHEN, bucket="johnsmith", filename="x.png")
    assert check.ok, check.problems
    tampered = [(n, "private" if n == "acl" else v) for n, v in result.fields]
    check = verify_post_v2(tampered, CREDS, WHEN, bucket="johnsmith")
    assert [p.subject for p in check.problems] == ['{"acl": "public-read"}']


def test_policy_without_bucket_condition_is_noted(v2_docs: dict[str, dict[str, Any]]) -> None:
    policy = PostPolicy.build(WHEN + timedelta(hours=1), [["starts-with", "$key", ""]])
    result = sign_post_v2(policy, CREDS, WHEN, fields=[("key", "k")])
    assert any("RGW refuses" in n for n in result.notes["policy_document"])


# --------------------------------------------------------------------------- botocore


def _botocore_post(version: str) -> dict[str, Any]:
    botocore_session = pytest.importorskip("botocore.session")
    from botocore.config import Config

    client = botocore_session.get_session().create_client(
        "s3",
        region_name="eu-central-1",
        aws_access_key_id=CREDS.access_key_id,
        aws_secret_access_key=CREDS.secret_access_key,
        config=Config(signature_version=version),
    )
    post: dict[str, Any] = client.generate_presigned_post(
        "bucket-1",
        "uploads/${filename}",
        Fields={"acl": "public-read", "Content-Type": "image/png"},
        Conditions=[
            {"acl": "public-read"},
            ["starts-with", "$Content-Type", "image/"],
            ["content-length-range", 0, 1000],
        ],
        ExpiresIn=900,
    )
    return post


def test_botocore_v4_post_signs_and_verifies_the_same() -> None:
    post = _botocore_post("s3v4")
    fields = post["fields"]
    when = parse_time(fields["x-amz-date"])
    policy = PostPolicy.from_base64(fields["policy"])
    result = sign_post_v4(
        policy,
        CREDS,
        when,
        region="eu-central-1",
        fields=[(n, v) for n, v in fields.items() if n not in ("policy", "x-amz-signature")],
        bucket="bucket-1",
    )
    assert result.signature == fields["x-amz-signature"]
    check = verify_post_v4(
        list(fields.items()), CREDS, when, bucket="bucket-1", file_size=10, filename="a.png"
    )
    assert check.ok, check.problems


def test_botocore_v2_post_signs_and_verifies_the_same() -> None:
    post = _botocore_post("s3")
    fields = post["fields"]
    policy = PostPolicy.from_base64(fields["policy"])
    now = policy.expiration - timedelta(seconds=60)
    result = sign_post_v2(policy, CREDS, now, bucket="bucket-1")
    assert result.signature == fields["signature"]
    check = verify_post_v2(
        list(fields.items()), CREDS, now, bucket="bucket-1", file_size=10, filename="a.png"
    )
    assert check.ok, check.problems


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "condition",
    [
        ["eq", "key", "x"],
        ["starts-with", "$key"],
        ["ends-with", "$key", "x"],
        ["starts-with", "$", "x"],
        ["eq", "$acl", 1],
        {"a": "1", "b": "2"},
        {"acl": 1},
        {"$acl": "public-read"},
        {},
        "acl",
        ["content-length-range", 10, 5],
        ["content-length-range", -1, 5],
        ["content-length-range", "a", 5],
        ["content-length-range", True, 5],
        ["content-length-range", 1.5, 5],
        ["starts-with", "$x-amz-date", "2024"],
    ],
)
def test_malformed_conditions_are_refused(condition: Any) -> None:
    with pytest.raises(InputError):
        presign_post_v4(
            CREDS, WHEN, region="us-east-1", bucket="b", key="k", conditions=[condition]
        )


def test_content_length_range_min_above_max_is_named() -> None:
    with pytest.raises(InputError, match="minimum 10 is greater than maximum 5"):
        Condition.length_range(10, 5)


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        b"[]",
        b'{"conditions": []}',
        b'{"expiration": "2024-05-01T12:00:00", "conditions": []}',
        b'{"expiration": "tomorrow", "conditions": []}',
        b'{"expiration": 5, "conditions": []}',
        b'{"expiration": "2024-05-01T12:00:00Z"}',
        b'{"expiration": "2024-05-01T12:00:00Z", "conditions": {"a": "b"}}',
        b'{"expiration": "2024-05-01T12:00:00Z", "expiration": "x", "conditions": []}',
        b'{"expiration": "2024-05-01T12:00:00Z", "conditions": [["eq", "$a", NaN]]}',
        b'\xff{"expiration": "2024-05-01T12:00:00Z", "conditions": []}',
    ],
)
def test_malformed_documents_are_refused(document: bytes) -> None:
    with pytest.raises(InputError):
        PostPolicy.from_document(document)


def test_aws_escapes_are_read_but_the_bytes_are_kept() -> None:
    """The S3 pages list \\$ as an escape; strict JSON does not. Read it, sign the bytes."""
    document = b'{"expiration": "2024-05-01T13:00:00Z", "conditions": [{"key": "a\\$b"}]}'
    policy = PostPolicy.from_document(document)
    assert policy.conditions == (Condition.eq("key", "a$b"),)
    assert base64.b64decode(policy.encoded) == document


def test_base64_policy_must_be_one_exact_line() -> None:
    with pytest.raises(InputError, match="whitespace"):
        PostPolicy.from_base64("eyJ\nhIjoxfQ==")
    with pytest.raises(InputError, match="base64"):
        PostPolicy.from_base64("eyJ*")


def test_expired_policies_are_refused(v4_doc: dict[str, Any]) -> None:
    inputs = v4_doc["inputs"]
    with pytest.raises(InputError, match=r"expired at 2015-12-30T12:00:00\.000Z"):
        sign_post_v4(
            PostPolicy.from_base64(inputs["policy_base64"]),
            Credentials(**inputs["credentials"]),
            datetime(2015, 12, 31, tzinfo=UTC),
            region=inputs["region"],
        )
    with pytest.raises(InputError, match="expired"):
        presign_post_v4(CREDS, WHEN, region="us-east-1", bucket="b", key="k", expiration=WHEN)
    with pytest.raises(InputError, match="expires"):
        presign_post_v2(CREDS, WHEN, bucket="b", key="k", expires_in=0)


def test_a_form_its_own_policy_refuses_is_never_signed(v4_doc: dict[str, Any]) -> None:
    inputs = v4_doc["inputs"]
    fields = [(n, "other/x" if n == "key" else v) for n, v in inputs["form_fields"]]
    before = list(fields)
    with pytest.raises(InputError, match=r"starts-with.*\$key"):
        sign_post_v4(
            PostPolicy.from_base64(inputs["policy_base64"]),
            Credentials(**inputs["credentials"]),
            parse_time(inputs["timestamp"]),
            region=inputs["region"],
            fields=fields,
        )
    assert fields == before  # the caller's list is not touched
    with pytest.raises(InputError, match="X-Amz-Date"):  # signed at another time than the policy's
        _v4_sign(v4_doc, when=datetime(2015, 12, 29, 1, tzinfo=UTC))
    with pytest.raises(InputError, match="bucket"):
        _v4_sign(v4_doc, bucket="other")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InputError):
        presign_post_v4(CREDS, WHEN.replace(tzinfo=None), region="us-east-1", bucket="b", key="k")
    with pytest.raises(InputError, match="writes this field"):
        presign_post_v4(
            CREDS, WHEN, region="us-east-1", bucket="b", key="k", fields=[("Policy", "x")]
        )
    with pytest.raises(InputError, match="key"):
        presign_post_v4(CREDS, WHEN, region="us-east-1", bucket="b")
    with pytest.raises(InputError, match="region"):
        presign_post_v4(CREDS, WHEN, region="", bucket="b", key="k")
    with pytest.raises(InputError, match="quote"):
        presign_post_v4(CREDS, WHEN, region="us-east-1", bucket="b", key="k", fields=[('a"b', "x")])
    with pytest.raises(InputError, match="file size"):
        verify_post_v4([], CREDS, WHEN, bucket="b", file_size=-1)
    with pytest.raises(InputError, match="signature needs"):
        presign_post_v4(
            CREDS,
            WHEN,
            region="us-east-1",
            bucket="b",
            key="k",
            fields=[("X-Amz-Algorithm", "AWS4-HMAC-SHA1")],
        )


# --------------------------------------------------------------------------- the form


def test_multipart_body_is_exact_and_file_last() -> None:
    ctype, body = multipart_body(
        [("key", "k"), ("Policy", "cA==")],
        b"a\r\nb",
        filename="f.txt",
        content_type="text/plain",
        boundary="B0undary",
    )
    assert ctype == "multipart/form-data; boundary=B0undary"
    assert body == (
        b'--B0undary\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n'
        b'--B0undary\r\nContent-Disposition: form-data; name="Policy"\r\n\r\ncA==\r\n'
        b'--B0undary\r\nContent-Disposition: form-data; name="file"; filename="f.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\na\r\nb\r\n--B0undary--\r\n"
    )
    with pytest.raises(InputError, match="boundary"):
        multipart_body([("key", "k")], b"x--B0undary", boundary="B0undary")
    assert multipart_body([("key", "k")], b"x") == multipart_body([("key", "k")], b"x")


def test_form_request_is_ready_to_send() -> None:
    result = presign_post_v4(
        CREDS, WHEN, region="us-east-1", bucket="b", key="k", url="http://127.0.0.1:9000/b"
    )
    request = result.form_request(b"data", filename="d.bin")
    assert request.method == "POST" and request.target == "/b"
    assert request.headers[0] == ("Host", "127.0.0.1:9000")
    assert request.header("content-length") == str(len(request.body_bytes()))
    boundary = str(request.header("content-type")).split("boundary=")[1]
    assert request.body_bytes().endswith(f"\r\n\r\ndata\r\n--{boundary}--\r\n".encode())
    assert form_request(result.fields, b"").target == "/"
    assert result["signed_request"].startswith("POST /b HTTP/1.1\nHost:127.0.0.1:9000\n")


# --------------------------------------------------------------------------- properties

_text = st.text(
    st.characters(codec="utf-8", exclude_characters='"\r\n\x00'),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=_text,
    metas=st.dictionaries(
        st.from_regex(r"x-amz-meta-[a-z]{1,8}", fullmatch=True), _text, max_size=3
    ),
    size=st.integers(0, 5000),
    seconds=st.integers(1, 10**7),
)
def test_built_forms_verify_and_any_change_is_caught(
    key: str, metas: dict[str, str], size: int, seconds: int
) -> None:
    result = presign_post_v4(
        CREDS,
        WHEN,
        region="us-east-1",
        bucket="b",
        key=key,
        fields=sorted(metas.items()),
        conditions=[["content-length-range", 0, 5000]],
        expires_in=seconds,
    )
    assert verify_post_v4(result.fields, CREDS, WHEN, bucket="b", file_size=size).ok
    for i, (name, value) in enumerate(result.fields):
        changed = list(result.fields)
        changed[i] = (name, value + "x")
        assert not verify_post_v4(changed, CREDS, WHEN, bucket="b", file_size=size).ok, name

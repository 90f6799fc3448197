"""Browser-based upload with S3 Signature Version 2: ``Signature`` = base64(HMAC-SHA1(secret,
base64 policy)), sent with ``AWSAccessKeyId`` and ``Policy``.

The policy document, condition checks and form are shared with SigV4 (`sigkit.postpolicy`).
Source: "HTML forms (AWS signature version 2)" and "Upload examples (AWS signature version 2)"
in the S3 documentation; see docs/post-policy.md. Nothing here reads a clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import datetime

from sigkit.credentials import Credentials
from sigkit.errors import InputError
from sigkit.postpolicy import (
    Condition,
    ConditionLike,
    PostPolicy,
    PostProblem,
    PostResult,
    PostVerification,
    auto_conditions,
    check_fields,
    check_verify_args,
    condition_from,
    expiration_from,
    finish_result,
    finish_verification,
    first_values,
    key_and_fields,
    merge_auth_fields,
    policy_steps,
    self_check,
)
from sigkit.timefmt import check_utc

V2_EXEMPT = frozenset({"awsaccesskeyid", "signature", "file", "policy"})
V2_RESERVED = ("policy", "signature", "file")


def _hmac_sha1(secret: str, text: str) -> bytes:
    return hmac.digest(secret.encode("utf-8"), text.encode("ascii"), hashlib.sha1)


def sign_post_v2(
    policy: PostPolicy,
    credentials: Credentials,
    now: datetime,
    *,
    fields: Iterable[tuple[str, str]] = (),
    bucket: str | None = None,
    url: str | None = None,
) -> PostResult:
    """Sign a given policy. V2 carries no time, so `now` only checks the policy has not expired.

    `fields` are the other form fields in order; ``AWSAccessKeyId`` (and with a session token
    ``x-amz-security-token``) is added unless present, then ``Policy`` and ``Signature``.
    """
    if not isinstance(policy, PostPolicy):
        raise InputError("policy", "use PostPolicy.build, .from_document or .from_base64")
    return _sign_v2(policy, credentials, now, check_fields(fields, V2_RESERVED), bucket, url, [])


def presign_post_v2(
    credentials: Credentials,
    now: datetime,
    *,
    bucket: str,
    key: str | None = None,
    conditions: Iterable[ConditionLike] = (),
    fields: Iterable[tuple[str, str]] = (),
    expiration: datetime | None = None,
    expires_in: int = 3600,
    url: str | None = None,
) -> PostResult:
    """Build the policy (bucket, key, the caller's conditions, one per uncovered field, and the
    session token if any) and sign it. The expiration is `expiration` or `now` + `expires_in`."""
    now = check_utc(now, "now")
    until = expiration if expiration is not None else expiration_from(now, expires_in)
    parsed = [condition_from(c, f"condition {i + 1}") for i, c in enumerate(conditions)]
    form = key_and_fields(key, fields, V2_RESERVED)
    built, notes = auto_conditions(parsed, bucket, form)
    if credentials.session_token is not None:
        built.append(Condition.eq("x-amz-security-token", credentials.session_token))
    policy = PostPolicy.build(until, built)
    return _sign_v2(policy, credentials, now, form, bucket, url, notes)


def _sign_v2(
    policy: PostPolicy,
    credentials: Credentials,
    now: datetime,
    given: list[tuple[str, str]],
    bucket: str | None,
    url: str | None,
    build_notes: list[str],
) -> PostResult:
    now = check_utc(now, "now")
    auth = [("AWSAccessKeyId", credentials.access_key_id)]
    if credentials.session_token is not None:
        auth.append(("x-amz-security-token", credentials.session_token))
    form = merge_auth_fields(given, auth)
    self_check(policy, form, when=now, bucket=bucket, exempt=V2_EXEMPT)
    values, notes = policy_steps(policy)
    notes["policy_document"].extend(build_notes)
    signature = base64.b64encode(_hmac_sha1(credentials.secret_access_key, policy.encoded))
    values["signature"] = signature.decode("ascii")
    notes["signature"] = ["base64 of HMAC-SHA1(secret, the base64 policy)"]
    form += [("Policy", policy.encoded), ("Signature", values["signature"])]
    return finish_result("s3v2", values, notes, form, policy, url, credentials)


def _signature_problem(received: str, expected: bytes) -> PostProblem | None:
    """Compare as text, in constant time: a server compares the base64 it computes with the one
    sent. When the text differs but decodes to the right digest, say so: it is a non-canonical
    encoding (unused low bits set in the last character), not a wrong key."""
    wanted = base64.b64encode(expected).decode("ascii")
    if hmac.compare_digest(wanted.encode("ascii"), received.encode("utf-8", "replace")):
        return None
    message = "does not match base64(HMAC-SHA1(secret, Policy field as received))"
    try:
        decoded = base64.b64decode(received, validate=True)
    except (binascii.Error, ValueError):
        decoded = None
    if decoded is not None and hmac.compare_digest(decoded, expected):
        message = (
            "decodes to the right HMAC-SHA1 but is not canonical base64 (the unused low bits of "
            "its last character are set); servers compare the text, so it is refused"
        )
    return PostProblem("signature", "signature", message)


def verify_post_v2(
    fields: Sequence[tuple[str, str]],
    credentials: Credentials,
    now: datetime,
    *,
    bucket: str,
    file_size: int | None = None,
    filename: str = "",
) -> PostVerification:
    """Check a received V2 form as S3 does: ``AWSAccessKeyId``, ``Policy``, ``Signature`` and
    ``key`` present, the signature (constant-time, as text), expiry against `now`, every
    condition, and a condition for each field."""
    now = check_verify_args(now, file_size)
    sent = first_values(fields)
    problems: list[PostProblem] = []
    for name in ("awsaccesskeyid", "policy", "signature", "key"):
        if name not in sent:
            problems.append(PostProblem("form", name, "missing; S3 requires this field"))
    access_key = sent.get("awsaccesskeyid")
    if access_key is not None and access_key != credentials.access_key_id:
        problems.append(
            PostProblem(
                "credential",
                access_key,
                f"the form names this access key; the secret given is for "
                f"{credentials.access_key_id}",
            )
        )
    encoded = sent.get("policy")
    received = sent.get("signature")
    expected = None
    if encoded is not None and encoded.isascii():
        digest = _hmac_sha1(credentials.secret_access_key, encoded)
        expected = base64.b64encode(digest).decode("ascii")
        if received is not None:
            problem = _signature_problem(received, digest)
            if problem is not None:
                problems.append(problem)
    return finish_verification(
        problems,
        encoded,
        fields,
        bucket=bucket,
        exempt=V2_EXEMPT,
        now=now,
        file_size=file_size,
        filename=filename,
        expected=expected,
    )

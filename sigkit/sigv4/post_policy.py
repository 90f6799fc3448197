"""Browser-based upload (S3 POST policy): the policy document, its signature, the form fields,
and the check a server makes of a received form.

The policy document, the condition checks and the multipart form live in `sigkit.postpolicy`,
shared with S3 V2 (`sigkit.sigv2.post_policy`); this module is the SigV4 signer and verifier,
and re-exports the shared names it always offered.
Sources: the S3 pages "POST Policy" (sigv4-HTTPPOSTConstructPolicy), "Example: Browser-Based
Upload using HTTP POST (Using AWS Signature Version 4)" (sigv4-post-example) and "HTML forms
(AWS signature version 2)" (HTTPPOSTForms); see docs/post-policy.md. Nothing here reads a clock,
the environment or a file: the signing time and "now" are arguments.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from sigkit.credentials import Credentials
from sigkit.errors import InputError
from sigkit.postpolicy import (
    EXACT_ONLY,
    FILENAME_VARIABLE,
    NO_BUCKET_NOTE,
    OPS,
    Condition,
    ConditionLike,
    Op,
    PostPolicy,
    PostProblem,
    PostResult,
    PostVerification,
    auto_conditions,
    check_fields,
    check_form,
    check_key,
    check_verify_args,
    condition_from,
    describe_fields,
    expiration_from,
    finish_result,
    finish_verification,
    first_values,
    form_request,
    format_expiration,
    key_and_fields,
    merge_auth_fields,
    multipart_body,
    policy_steps,
    self_check,
)
from sigkit.sigv4.signer import ALGORITHM, signing_key
from sigkit.timefmt import amz_date, check_utc

__all__ = [
    "EXACT_ONLY",
    "FILENAME_VARIABLE",
    "NO_BUCKET_NOTE",
    "OPS",
    "V4_EXEMPT",
    "V4_REQUIRED",
    "Condition",
    "ConditionLike",
    "Op",
    "PostPolicy",
    "PostProblem",
    "PostResult",
    "PostVerification",
    "auto_conditions",
    "check_fields",
    "check_form",
    "check_key",
    "check_verify_args",
    "condition_from",
    "describe_fields",
    "expiration_from",
    "finish_result",
    "finish_verification",
    "first_values",
    "form_request",
    "format_expiration",
    "key_and_fields",
    "merge_auth_fields",
    "multipart_body",
    "policy_steps",
    "presign_post_v4",
    "self_check",
    "sign_post_v4",
    "verify_post_v4",
]
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z\Z")


# --------------------------------------------------------------------------- SigV4

V4_EXEMPT = frozenset({"x-amz-signature", "file", "policy"})
V4_REQUIRED = ("policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")


def _v4_signature(secret: str, scope_date: str, region: str, service: str, text: str) -> str:
    key = signing_key(secret, scope_date, region, service)[3]
    return hmac.new(key, text.encode("ascii"), hashlib.sha256).hexdigest()


def sign_post_v4(
    policy: PostPolicy,
    credentials: Credentials,
    when: datetime,
    *,
    region: str,
    service: str = "s3",
    fields: Iterable[tuple[str, str]] = (),
    bucket: str | None = None,
    url: str | None = None,
) -> PostResult:
    """Sign a given policy: hex HMAC-SHA256 of its base64 text with the SigV4 key of the day.

    `fields` are the other form fields in order (``key`` first, as forms send it). The
    ``X-Amz-Credential``/``-Algorithm``/``-Date`` fields are added unless present, then
    ``Policy`` and ``X-Amz-Signature``. The form is checked against its own policy first, so a
    form S3 would refuse is never produced.
    """
    if not isinstance(policy, PostPolicy):
        raise InputError("policy", "use PostPolicy.build, .from_document or .from_base64")
    given = check_fields(fields, ("policy", "x-amz-signature", "file"))
    return _sign_v4(policy, credentials, when, region, service, given, bucket, url, [])


def presign_post_v4(
    credentials: Credentials,
    when: datetime,
    *,
    region: str,
    bucket: str,
    key: str | None = None,
    conditions: Iterable[ConditionLike] = (),
    fields: Iterable[tuple[str, str]] = (),
    expiration: datetime | None = None,
    expires_in: int = 3600,
    service: str = "s3",
    url: str | None = None,
) -> PostResult:
    """Build the policy and sign it, as SDKs' ``generate_presigned_post`` do.

    Conditions, in order: the bucket, the key (exact, or a prefix when `key` ends in
    ``${filename}``), the caller's, one exact match per caller field nothing else names, then
    the ``x-amz-credential``, ``-algorithm``, ``-date`` (and ``-security-token``) values S3
    requires. The expiration is `expiration`, or `when` + `expires_in` seconds.
    """
    when = check_utc(when)
    _check_scope_parts(region, service)
    until = expiration if expiration is not None else expiration_from(when, expires_in)
    parsed = [condition_from(c, f"condition {i + 1}") for i, c in enumerate(conditions)]
    form = key_and_fields(key, fields, ("policy", "x-amz-signature", "file"))
    built, notes = auto_conditions(parsed, bucket, form)
    stamp = amz_date(when)
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    built += [
        Condition.eq("x-amz-credential", f"{credentials.access_key_id}/{scope}"),
        Condition.eq("x-amz-algorithm", ALGORITHM),
        Condition.eq("x-amz-date", stamp),
    ]
    if credentials.session_token is not None:
        built.append(Condition.eq("x-amz-security-token", credentials.session_token))
    policy = PostPolicy.build(until, built)
    return _sign_v4(policy, credentials, when, region, service, form, bucket, url, notes)


def _check_scope_parts(region: str, service: str) -> None:
    for name, value in (("region", region), ("service", service)):
        if not isinstance(value, str) or not value or "/" in value:
            raise InputError(name, f"{value!r} must be non-empty text without '/'")


def _sign_v4(
    policy: PostPolicy,
    credentials: Credentials,
    when: datetime,
    region: str,
    service: str,
    given: list[tuple[str, str]],
    bucket: str | None,
    url: str | None,
    build_notes: list[str],
) -> PostResult:
    when = check_utc(when)
    _check_scope_parts(region, service)
    stamp = amz_date(when)
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    auth = [
        ("X-Amz-Credential", f"{credentials.access_key_id}/{scope}"),
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Date", stamp),
    ]
    if credentials.session_token is not None:
        auth.append(("X-Amz-Security-Token", credentials.session_token))
    form = merge_auth_fields(given, auth)
    self_check(policy, form, when=when, bucket=bucket, exempt=V4_EXEMPT)
    values, notes = policy_steps(policy)
    notes["policy_document"].extend(build_notes)
    keys = signing_key(credentials.secret_access_key, stamp[:8], region, service)
    values["credential_scope"] = scope
    values["k_date"] = keys[0].hex()
    values["k_region"] = keys[1].hex()
    values["k_service"] = keys[2].hex()
    values["signing_key"] = keys[3].hex()
    signature = hmac.new(keys[3], policy.encoded.encode("ascii"), hashlib.sha256).hexdigest()
    values["signature"] = signature
    form += [("Policy", policy.encoded), ("X-Amz-Signature", signature)]
    return finish_result("sigv4", values, notes, form, policy, url, credentials)


def verify_post_v4(
    fields: Sequence[tuple[str, str]],
    credentials: Credentials,
    now: datetime,
    *,
    bucket: str,
    file_size: int | None = None,
    filename: str = "",
    region: str | None = None,
    service: str = "s3",
) -> PostVerification:
    """Check a received SigV4 form as S3 does: the fields it needs, the signature (compared in
    constant time), the expiry against `now`, every condition, and that each field is covered.

    `fields` are the form fields before the file, in order; `filename` is the file part's name
    (``${filename}`` is replaced by its base name before the conditions are checked).
    """
    now = check_verify_args(now, file_size)
    sent = first_values(fields)
    problems: list[PostProblem] = []
    for name in (*V4_REQUIRED, "key"):
        if name not in sent:
            problems.append(PostProblem("form", name, "missing; S3 requires this field"))
    algorithm = sent.get("x-amz-algorithm")
    if algorithm is not None and algorithm != ALGORITHM:
        problems.append(PostProblem("form", "x-amz-algorithm", f"{algorithm!r} is not {ALGORITHM}"))
    scope: list[str] | None = None
    credential = sent.get("x-amz-credential")
    if credential is not None:
        parts = credential.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or not re.fullmatch(r"\d{8}", parts[1]):
            problems.append(
                PostProblem(
                    "credential", credential, "is not AKID/YYYYMMDD/region/service/aws4_request"
                )
            )
        else:
            scope = parts
            for what, got, want in (
                ("access key", parts[0], credentials.access_key_id),
                ("region", parts[2], region),
                ("service", parts[3], service),
            ):
                if want is not None and got != want:
                    problems.append(
                        PostProblem("credential", credential, f"{what} is {got!r}, not {want!r}")
                    )
    date = sent.get("x-amz-date")
    if date is not None:
        if not _AMZ_DATE.match(date):
            problems.append(PostProblem("form", "x-amz-date", f"{date!r} is not YYYYMMDDTHHMMSSZ"))
        elif scope is not None and date[:8] != scope[1]:
            problems.append(
                PostProblem(
                    "credential", credential or "", f"its date {scope[1]} is not that of {date}"
                )
            )
    expected = None
    encoded = sent.get("policy")
    received = sent.get("x-amz-signature")
    if encoded is not None and scope is not None and encoded.isascii():
        expected = _v4_signature(
            credentials.secret_access_key, scope[1], scope[2], scope[3], encoded
        )
        if received is not None and not hmac.compare_digest(expected, received):
            problems.append(
                PostProblem(
                    "signature",
                    "x-amz-signature",
                    "does not match HMAC-SHA256 of the Policy field as received, keyed for "
                    f"{'/'.join(scope[1:])}",
                )
            )
    return finish_verification(
        problems,
        encoded,
        fields,
        bucket=bucket,
        exempt=V4_EXEMPT,
        now=now,
        file_size=file_size,
        filename=filename,
        expected=expected,
    )

"""The POST form: checking received fields against a policy, the fields a signer emits, the
multipart body, and the signing result, shared by the SigV4 and S3 V2 signers.

Sources: the S3 pages "Example: Browser-Based Upload using HTTP POST (Using AWS Signature
Version 4)" (sigv4-post-example) and "HTML forms (AWS signature version 2)"; see
docs/post-policy.md. Pure: the signing time and "now" are arguments.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sigkit.credentials import Credentials
from sigkit.errors import InputError, VerificationError
from sigkit.http import Request
from sigkit.postpolicy.policy import (
    FILENAME_VARIABLE,
    NO_BUCKET_NOTE,
    Condition,
    PostPolicy,
    format_expiration,
)
from sigkit.result import SigningResult
from sigkit.timefmt import check_utc

# --------------------------------------------------------------------------- checking a form


@dataclass(frozen=True, slots=True)
class PostProblem:
    """One reason a form is refused: `check` is the kind, `subject` the condition (as JSON) or
    the field it is about."""

    check: Literal["form", "credential", "signature", "policy", "expiration", "condition", "field"]
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.check} {self.subject}: {self.message}"


@dataclass(frozen=True, slots=True)
class PostVerification:
    """What a server would decide about a received form, and why.

    `expected_signature` is for debugging only: never show it to whoever sent the form (with it
    they could sign any policy they like).
    """

    problems: tuple[PostProblem, ...]
    notes: tuple[str, ...] = ()
    policy: PostPolicy | None = None
    expected_signature: str | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        if self.problems:
            raise VerificationError("; ".join(str(p) for p in self.problems))


def _form_values(
    fields: Sequence[tuple[str, str]], filename: str | None
) -> dict[str, tuple[str, str]]:
    """lower-case name -> (name as sent, value). Repeated fields are joined with commas and
    ``${filename}`` is replaced by the file's base name, as S3 does before any check."""
    base = None if filename is None else re.split(r"[/\\]", filename)[-1]
    joined: dict[str, tuple[str, list[str]]] = {}
    for name, value in fields:
        joined.setdefault(name.lower(), (name, []))[1].append(value)
    out = {}
    for lname, (name, values) in joined.items():
        value = ",".join(values)
        if base is not None:
            value = value.replace(FILENAME_VARIABLE, base)
        out[lname] = (name, value)
    return out


def _condition_problem(cond: Condition, sent: str | None, shown: str) -> PostProblem | None:
    value = "" if sent is None else sent
    if cond.op == "eq":
        if value == cond.value:
            return None
        want = f"to equal {cond.value!r}"
    elif cond.name == "content-type" and "," in value:
        # Comma-separated Content-Type values: each must match (the S3 condition table).
        bad = [v for v in value.split(",") if not v.startswith(cond.value)]
        if not bad:
            return None
        want = f"(each comma-separated value) to start with {cond.value!r}; {bad[0]!r} does not"
    else:
        if value.startswith(cond.value):
            return None
        want = f"to start with {cond.value!r}"
    got = "absent from the form" if sent is None else f"{sent!r}"
    return PostProblem("condition", str(cond), f"{shown} is {got}; the policy requires it {want}")


def check_form(
    policy: PostPolicy,
    fields: Sequence[tuple[str, str]],
    *,
    bucket: str | None,
    exempt: frozenset[str],
    now: datetime | None = None,
    file_size: int | None = None,
    filename: str | None = "",
    partial: bool = False,
) -> tuple[list[PostProblem], list[str]]:
    """Expiry, every condition, and that every field is named by a condition.

    `exempt` are the lower-case fields S3 does not require a condition for (the signature
    fields, ``policy``, ``file``; ``x-ignore-*`` always). `partial` is the signer's own check of
    the fields it emits: a condition on a field the browser will add is not an error there, and
    a value holding ``${filename}`` is left to the server.
    """
    problems: list[PostProblem] = []
    notes: list[str] = []
    if now is not None and now >= policy.expiration:
        problems.append(
            PostProblem(
                "expiration",
                policy.expiration_text,
                f"the policy expired at {policy.expiration_text}; the time given is "
                f"{format_expiration(now)}",
            )
        )
    values = _form_values(fields, filename)
    for cond in policy.conditions:
        if cond.op == "content-length-range":
            if file_size is None:
                if not partial:
                    notes.append(f"{cond} not checked: no file size given")
            elif not cond.low <= file_size <= cond.high:
                problems.append(
                    PostProblem(
                        "condition",
                        str(cond),
                        f"the file is {file_size} bytes, outside {cond.low}..{cond.high}",
                    )
                )
            continue
        if cond.name == "bucket":
            if bucket is None:
                if not partial:
                    notes.append(f"{cond} not checked: no bucket given")
                continue
            problem = _condition_problem(cond, bucket, "the bucket")
        else:
            name, sent = values.get(cond.name, (cond.field, None))
            if partial and (sent is None or FILENAME_VARIABLE in sent):
                continue
            problem = _condition_problem(cond, sent, f"field {name}")
        if problem is not None:
            problems.append(problem)
    covered = {c.name for c in policy.conditions}
    if "bucket" not in covered and not partial:
        notes.append(NO_BUCKET_NOTE)
    for lname, (name, _) in values.items():
        if lname in exempt or lname.startswith("x-ignore-") or lname in covered:
            continue
        problems.append(
            PostProblem(
                "field",
                name,
                "no condition names this field; S3 requires one for every field except "
                f"{', '.join(sorted(exempt))} and x-ignore-*",
            )
        )
    return problems, notes


def self_check(
    policy: PostPolicy,
    fields: Sequence[tuple[str, str]],
    *,
    when: datetime,
    bucket: str | None,
    exempt: frozenset[str],
) -> None:
    """Refuse to sign a form that its own policy would refuse: nothing half-written."""
    problems, _ = check_form(
        policy, fields, bucket=bucket, exempt=exempt, now=when, filename=None, partial=True
    )
    if problems:
        first = problems[0]
        where = {"condition": f"condition {first.subject}", "field": f"field {first.subject}"}
        raise InputError(
            where.get(first.check, first.check),
            "; ".join(p.message for p in problems) + " (S3 would refuse this form)",
        )


def check_fields(
    fields: Iterable[tuple[str, str]], reserved: Iterable[str]
) -> list[tuple[str, str]]:
    """Caller's extra form fields: text, a usable multipart name, none that the signer adds."""
    taken = {r.lower() for r in reserved}
    out = []
    for pair in fields:
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise InputError("fields", f"{pair!r} is not a (name, value) pair") from None
        if not isinstance(name, str) or not isinstance(value, str):
            raise InputError("fields", f"{pair!r}: names and values must be text")
        _check_part_name(name, "field name")
        if name.lower() in taken:
            raise InputError(f"field {name}", "the signer writes this field itself")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(f"field {name}", "holds text that is not UTF-8") from None
        out.append((name, value))
    return out


def merge_auth_fields(
    fields: list[tuple[str, str]], auth: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Keep an auth field where the caller put it (it must hold the signer's value); append the
    others after the caller's fields."""
    given = {name.lower(): (name, value) for name, value in fields}
    for name, value in auth:
        sent = given.get(name.lower())
        if sent is not None and sent[1] != value:
            raise InputError(
                f"field {sent[0]}", f"given as {sent[1]!r} but the signature needs {value!r}"
            )
    return fields + [(n, v) for n, v in auth if n.lower() not in given]


def auto_conditions(
    conditions: Sequence[Condition], bucket: str, form: Sequence[tuple[str, str]]
) -> tuple[list[Condition], list[str]]:
    """The bucket, the key (a prefix when it ends in ``${filename}``, as S3 replaces that before
    checking), the caller's conditions, then an exact match for each field nothing names."""
    if not isinstance(bucket, str) or not bucket:
        raise InputError("bucket", "empty bucket name")
    out: list[Condition] = []
    notes: list[str] = []
    named = {c.name for c in conditions}
    if "bucket" not in named:
        out.append(Condition.eq("bucket", bucket))
    key = first_values(form).get("key")
    if key is None and "key" not in named:
        raise InputError("key", "give key= or a condition on $key: every upload needs a key")
    if key is not None and "key" not in named:
        if key.endswith(FILENAME_VARIABLE):
            out.append(Condition.starts_with("key", key[: -len(FILENAME_VARIABLE)]))
        else:
            out.append(Condition.eq("key", key))
        named.add("key")
    out.extend(conditions)
    for name, value in form:
        lname = name.lower()
        if lname not in named and not lname.startswith("x-ignore-"):
            out.append(Condition.eq(name, value))
            named.add(lname)
            notes.append(f"{Condition.eq(name, value)} added: every form field needs a condition")
    return out, notes


# --------------------------------------------------------------------------- the form


def _check_part_name(text: str, what: str) -> None:
    if not text or any(c in text for c in '"\r\n\x00'):
        raise InputError(what, f"{text!r} is empty or holds a quote, line break or NUL")


def _part(name: str, value: bytes, filename: str | None = None, ctype: str | None = None) -> bytes:
    head = f'Content-Disposition: form-data; name="{name}"'
    if filename is not None:
        head += f'; filename="{filename}"'
    if ctype is not None:
        head += f"\r\nContent-Type: {ctype}"
    return head.encode("utf-8") + b"\r\n\r\n" + value


def multipart_body(
    fields: Sequence[tuple[str, str]],
    file: bytes,
    *,
    filename: str = "",
    content_type: str | None = None,
    boundary: str | None = None,
) -> tuple[str, bytes]:
    """(Content-Type header value, body) of the multipart/form-data upload, the file last.

    The boundary is derived from the content when not given, so the same form gives the same
    bytes (no randomness in the core); it is checked not to occur inside any part.
    """
    if filename:
        _check_part_name(filename, "filename")
    if content_type is not None and any(c in content_type for c in "\r\n"):
        raise InputError("content type", "holds a line break")
    parts = [_part(name, value.encode("utf-8")) for name, value in fields]
    parts.append(_part("file", file, filename, content_type))
    if boundary is None:
        digest = hashlib.sha256()
        for part in parts:
            digest.update(hashlib.sha256(part).digest())
        boundary = "sigkit-" + digest.hexdigest()[:32]
    elif not re.fullmatch(r"[0-9A-Za-z'()+_,.:=?-]{1,70}", boundary):
        raise InputError("boundary", f"{boundary!r} is not a valid multipart boundary")
    delimiter = b"--" + boundary.encode("ascii")
    if any(delimiter in part for part in parts):
        raise InputError("boundary", "occurs inside a field or the file; choose another")
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts) + delimiter + b"--\r\n"
    return f"multipart/form-data; boundary={boundary}", body


def form_request(
    fields: Sequence[tuple[str, str]],
    file: bytes,
    *,
    url: str | None = None,
    filename: str = "",
    content_type: str | None = None,
    boundary: str | None = None,
) -> Request:
    """The POST that uploads `file` with the form: to `url` (the bucket's address, e.g.
    ``https://bucket.s3.amazonaws.com/``), or to ``/`` with no host when none is given."""
    ctype, body = multipart_body(
        fields, file, filename=filename, content_type=content_type, boundary=boundary
    )
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))]
    if url is None:
        return Request("POST", "/", headers=tuple(headers), body=body)
    request = Request.from_url("POST", url, headers, body)
    return request.with_headers([("Host", request.host)])


class PostResult(SigningResult):
    """The steps of a POST-policy signature, plus the form fields in the order to send them.

    `request` is the form POSTed with an empty file part; `form_request` puts a file in.
    """

    __slots__ = ("fields", "policy", "url")

    def __init__(
        self,
        algorithm: str,
        values: dict[str, str],
        fields: tuple[tuple[str, str], ...],
        policy: PostPolicy,
        url: str | None,
        notes: dict[str, list[str]],
        sensitive: tuple[str, ...],
    ) -> None:
        super().__init__(
            algorithm, "post", values, form_request(fields, b"", url=url), notes, sensitive
        )
        self.fields = fields
        self.policy = policy
        self.url = url

    def form_request(
        self,
        file: bytes,
        *,
        filename: str = "",
        content_type: str | None = None,
        url: str | None = None,
        boundary: str | None = None,
    ) -> Request:
        return form_request(
            self.fields,
            file,
            url=url or self.url,
            filename=filename,
            content_type=content_type,
            boundary=boundary,
        )


def describe_fields(fields: Sequence[tuple[str, str]]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in fields)


def policy_steps(policy: PostPolicy) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The first steps of either signature: the document, its base64, the string to sign."""
    values = {
        "policy_document": policy.document.decode("utf-8"),
        "policy_base64": policy.encoded,
        "string_to_sign": policy.encoded,
    }
    how = {
        "built": "built by sigkit: compact JSON, keys in a fixed order",
        "document": "the caller's document, byte for byte",
        "base64": "decoded from the caller's base64 text, which is signed as given",
    }[policy.origin]
    notes = {
        "policy_document": [how, *policy.notes],
        "string_to_sign": ["for POST the string to sign is the base64 policy itself"],
    }
    if not any(c.name == "bucket" for c in policy.conditions):
        notes["policy_document"].append(NO_BUCKET_NOTE)
    return values, notes


def check_verify_args(now: datetime, file_size: int | None) -> datetime:
    if file_size is not None and (
        isinstance(file_size, bool) or not isinstance(file_size, int) or file_size < 0
    ):
        raise InputError("file size", f"{file_size!r} is not a size in bytes")
    return check_utc(now, "now")


def finish_result(
    algorithm: str,
    values: dict[str, str],
    notes: dict[str, list[str]],
    form: list[tuple[str, str]],
    policy: PostPolicy,
    url: str | None,
    credentials: Credentials,
) -> PostResult:
    values["form_fields"] = describe_fields(form)
    notes["form_fields"] = ["send them in this order as multipart/form-data, the file field last"]
    notes["signed_request"] = ["the file part is empty here; PostResult.form_request adds one"]
    sensitive = (credentials.session_token,) if credentials.session_token else ()
    return PostResult(algorithm, values, tuple(form), policy, url, notes, sensitive)


def key_and_fields(
    key: str | None, fields: Iterable[tuple[str, str]], reserved: tuple[str, ...]
) -> list[tuple[str, str]]:
    """The form a builder emits: ``key`` first (S3 reads it before the file), then the rest."""
    if key is None:
        return check_fields(fields, reserved)
    check_key(key)
    return [("key", key), *check_fields(fields, (*reserved, "key"))]


def check_key(key: str) -> None:
    if not isinstance(key, str) or not key:
        raise InputError("key", "empty key")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("key", "holds text that is not UTF-8") from None


def first_values(fields: Sequence[tuple[str, str]]) -> dict[str, str]:
    """lower-case name -> first value: how servers read the fields they need themselves."""
    out: dict[str, str] = {}
    for name, value in fields:
        out.setdefault(name.lower(), value)
    return out


def finish_verification(
    problems: list[PostProblem],
    encoded: str | None,
    fields: Sequence[tuple[str, str]],
    *,
    bucket: str,
    exempt: frozenset[str],
    now: datetime,
    file_size: int | None,
    filename: str,
    expected: str | None,
) -> PostVerification:
    """The policy half of a verification, shared by V4 and V2."""
    if encoded is None:
        return PostVerification(tuple(problems), expected_signature=expected)
    try:
        policy = PostPolicy.from_base64(encoded)
    except InputError as exc:
        problems.append(PostProblem("policy", exc.field, exc.message))
        return PostVerification(tuple(problems), expected_signature=expected)
    found, notes = check_form(
        policy,
        fields,
        bucket=bucket,
        exempt=exempt,
        now=now,
        file_size=file_size,
        filename=filename,
    )
    return PostVerification(tuple(problems + found), tuple(notes), policy, expected)

"""Browser-based upload (S3 POST policy): the policy document, its signature, the form fields,
and the check a server makes of a received form.

The policy model, the condition checks and the multipart form are shared with S3 V2
(`sigkit.sigv2.post_policy`); the SigV4 signer and verifier are at the end of this module.
Sources: the S3 pages "POST Policy" (sigv4-HTTPPOSTConstructPolicy), "Example: Browser-Based
Upload using HTTP POST (Using AWS Signature Version 4)" (sigv4-post-example) and "HTML forms
(AWS signature version 2)" (HTTPPOSTForms); see docs/post-policy.md. Nothing here reads a clock,
the environment or a file: the signing time and "now" are arguments.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sigkit.credentials import Credentials
from sigkit.errors import InputError, VerificationError
from sigkit.http import Request
from sigkit.result import SigningResult
from sigkit.sigv4.signer import ALGORITHM, signing_key
from sigkit.timefmt import amz_date, check_utc

Op = Literal["eq", "starts-with", "content-length-range"]
OPS: tuple[Op, ...] = ("eq", "starts-with", "content-length-range")
# Matched exactly only (the S3 condition table): a prefix match on these is refused when building.
EXACT_ONLY = frozenset(
    {
        "success_action_status",
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-security-token",
    }
)
FILENAME_VARIABLE = "${filename}"
NO_BUCKET_NOTE = (
    'no bucket condition: Ceph RGW refuses such a form ("Policy missing condition: bucket"); '
    "AWS documents no such rule"
)
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z\Z")
# JSON escapes the S3 pages list that strict JSON lacks; read only to parse, never re-signed.
_AWS_ESCAPES = re.compile(r"\\(\\|\$|v)")


# --------------------------------------------------------------------------- conditions


@dataclass(frozen=True, slots=True)
class Condition:
    """One policy condition: ``{"field": "v"}`` / ``["eq", "$field", "v"]``,
    ``["starts-with", "$field", "prefix"]`` or ``["content-length-range", low, high]``.

    `field` is the form field name without ``$`` (matched case-insensitively, as S3 and RGW
    do); `as_object` keeps which of the two exact-match spellings is meant.
    """

    op: Op
    field: str = ""
    value: str = ""
    low: int = 0
    high: int = 0
    as_object: bool = False

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise InputError("condition", f"unknown condition {self.op!r} (use {', '.join(OPS)})")
        if self.op == "content-length-range":
            for bound in (self.low, self.high):
                if isinstance(bound, bool) or not isinstance(bound, int) or bound < 0:
                    raise InputError(
                        "content-length-range", f"{bound!r} is not a size in bytes (0 or more)"
                    )
            if self.low > self.high:
                raise InputError(
                    "content-length-range",
                    f"minimum {self.low} is greater than maximum {self.high}",
                )
            return
        if self.as_object and self.op != "eq":
            raise InputError("condition", "only an exact match is written as an object")
        if not isinstance(self.field, str) or not self.field or self.field.startswith("$"):
            raise InputError("condition", f"field name {self.field!r} is empty or starts with $")
        if not isinstance(self.value, str):
            raise InputError(f"condition on {self.field}", f"value {self.value!r} must be a string")
        for text in (self.field, self.value):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(
                    f"condition on {self.field}", "holds text that is not UTF-8"
                ) from None

    @classmethod
    def eq(cls, field: str, value: str, *, as_object: bool = True) -> Condition:
        return cls("eq", field, value, as_object=as_object)

    @classmethod
    def starts_with(cls, field: str, prefix: str) -> Condition:
        return cls("starts-with", field, prefix)

    @classmethod
    def length_range(cls, low: int, high: int) -> Condition:
        return cls("content-length-range", low=low, high=high)

    @property
    def name(self) -> str:
        """The field name as S3 compares it (lower case); ``content-length-range`` for sizes."""
        return "content-length-range" if self.op == "content-length-range" else self.field.lower()

    def to_json(self) -> object:
        if self.op == "content-length-range":
            return ["content-length-range", self.low, self.high]
        if self.as_object:
            return {self.field: self.value}
        return [self.op, "$" + self.field, self.value]

    def __str__(self) -> str:
        """The condition as JSON, the spelling error messages use to name it."""
        return json.dumps(self.to_json(), ensure_ascii=False)


ConditionLike = Condition | Mapping[str, object] | Sequence[object]


def condition_from(item: ConditionLike, where: str = "condition") -> Condition:
    """Read one condition in any of its JSON spellings; malformed ones raise InputError."""
    if isinstance(item, Condition):
        return item
    if isinstance(item, _Pairs):
        pairs = list(item)
    elif isinstance(item, Mapping):
        pairs = list(item.items())
    else:
        pairs = None
    if pairs is not None:
        if len(pairs) != 1:
            raise InputError(
                where, f"an object condition names exactly one field, not {len(pairs)}"
            )
        name, value = pairs[0]
        if not isinstance(name, str) or not isinstance(value, str):
            raise InputError(where, f"{{{name!r}: {value!r}}}: the value must be a string")
        return Condition("eq", name, value, as_object=True)
    if isinstance(item, str | bytes) or not isinstance(item, Sequence):
        raise InputError(where, f"{item!r} is neither an object nor a 3-element array")
    if len(item) != 3:
        raise InputError(
            where, f"{list(item)!r}: an array condition has 3 elements, not {len(item)}"
        )
    op, first, second = item
    if op == "content-length-range":
        return Condition("content-length-range", low=_size(first, where), high=_size(second, where))
    if op not in ("eq", "starts-with"):
        raise InputError(where, f"unknown condition {op!r} (use {', '.join(OPS)})")
    if not isinstance(first, str) or not first.startswith("$") or len(first) < 2:
        raise InputError(where, f'[{op!r}, {first!r}, ...]: the field is written as "$name"')
    if not isinstance(second, str):
        raise InputError(where, f"[{op!r}, {first!r}, {second!r}]: the value must be a string")
    return Condition(op, first[1:], second)


def _size(value: object, where: str) -> int:
    """A content-length-range bound: a JSON integer (or a string of digits, which S3 reads)."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(where, f"content-length-range bound {value!r} is not a whole number")
    if value < 0:
        raise InputError(where, f"content-length-range bound {value} is negative")
    return value


# --------------------------------------------------------------------------- the policy


class _Pairs(list[tuple[str, object]]):
    """A JSON object as its pairs in order, so repeated names are seen, not silently merged."""


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _load_json(text: str) -> object:
    def load(source: str) -> object:
        try:
            return json.loads(source, object_pairs_hook=_Pairs, parse_constant=_reject_constant)
        except RecursionError:  # thousands of nested lists: no policy, and no traceback
            raise ValueError("it nests too deeply") from None

    try:
        return load(text)
    except ValueError:
        if "\\$" not in text and "\\v" not in text:
            raise
        swap = {"\\": "\\\\", "$": "$", "v": "\\u000b"}
        return load(_AWS_ESCAPES.sub(lambda m: swap[m.group(1)], text))


def format_expiration(when: datetime) -> str:
    """ISO 8601 UTC with milliseconds, the form of every S3 example: 2015-12-30T12:00:00.000Z."""
    when = check_utc(when, "expiration")
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z"


def expiration_from(now: datetime, seconds: int) -> datetime:
    """`now` plus `seconds`: the usual way to say how long a form stays usable."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
        raise InputError("expires", f"{seconds!r} must be a whole number of seconds, at least 1")
    try:
        return check_utc(check_utc(now, "now") + timedelta(seconds=seconds), "expiration")
    except OverflowError:
        raise InputError("expires", f"{now:%Y-%m-%d} plus {seconds} seconds is past 9999") from None


def _parse_expiration(value: object) -> datetime:
    if not isinstance(value, str):
        raise InputError("expiration", f"{value!r} must be a string like 2015-12-30T12:00:00.000Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            "expiration", f"{value!r} is not an ISO 8601 time like 2015-12-30T12:00:00.000Z"
        ) from None
    if parsed.tzinfo is None:
        raise InputError("expiration", f"{value!r} has no time zone; S3 reads it as UTC: add Z")
    return check_utc(parsed, "expiration")


@dataclass(frozen=True, slots=True)
class PostPolicy:
    """A policy document exactly as it is signed.

    `encoded` is the base64 text that goes in the ``Policy`` field and is the string to sign;
    `document` is what it decodes to. A caller's document keeps its bytes (line endings, spaces,
    key order): re-serialising would change the signature.
    """

    encoded: str = field(repr=False)
    document: bytes = field(repr=False)
    expiration: datetime
    expiration_text: str
    conditions: tuple[Condition, ...]
    origin: Literal["built", "document", "base64"]
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def build(cls, expiration: datetime, conditions: Iterable[ConditionLike]) -> PostPolicy:
        """Compact, deterministic JSON: ``{"expiration":...,"conditions":[...]}``, UTF-8."""
        text = format_expiration(expiration)
        parsed = tuple(condition_from(c, f"condition {i + 1}") for i, c in enumerate(conditions))
        if not parsed:
            raise InputError("conditions", "a policy without conditions allows nothing")
        for cond in parsed:
            if cond.op == "starts-with" and cond.name in EXACT_ONLY:
                raise InputError(
                    f"condition {cond}", f"S3 matches {cond.field} exactly only; use eq"
                )
        document = json.dumps(
            {"expiration": text, "conditions": [c.to_json() for c in parsed]},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8")
        encoded = base64.b64encode(document).decode("ascii")
        return cls(encoded, document, _parse_expiration(text), text, parsed, "built")

    @classmethod
    def from_document(cls, document: bytes | str) -> PostPolicy:
        """A policy written by hand or copied from documentation; its bytes are kept."""
        raw = document.encode("utf-8") if isinstance(document, str) else document
        if not isinstance(raw, bytes):
            raise InputError("policy", "the document must be text or bytes")
        return cls._parse(base64.b64encode(raw).decode("ascii"), raw, "document")

    @classmethod
    def from_base64(cls, encoded: str) -> PostPolicy:
        """The ``Policy`` field as sent: the text is kept, since the signature covers it."""
        if not isinstance(encoded, str) or not encoded:
            raise InputError("policy", "empty or not text")
        if any(c.isspace() for c in encoded):
            raise InputError(
                "policy",
                "the base64 text holds whitespace or line breaks; the signature covers the exact "
                "text, so join it into one line first",
            )
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("policy", "is not valid base64") from None
        return cls._parse(encoded, raw, "base64")

    @classmethod
    def _parse(cls, encoded: str, raw: bytes, origin: Literal["document", "base64"]) -> PostPolicy:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError("policy", f"the document is not UTF-8 (byte {exc.start})") from None
        try:
            top = _load_json(text)
        except ValueError as exc:
            raise InputError("policy", f"the document is not JSON: {exc}") from None
        if not isinstance(top, _Pairs):
            raise InputError("policy", "the document must be a JSON object")
        seen: dict[str, object] = {}
        notes = []
        for name, value in top:
            if name in seen:
                raise InputError("policy", f"{name!r} appears twice in the document")
            seen[name] = value
            if name not in ("expiration", "conditions"):
                notes.append(f"the document also holds {name!r}, which S3 does not define")
        if "expiration" not in seen:
            raise InputError("expiration", "the policy has none; S3 requires one")
        if "conditions" not in seen:
            raise InputError("conditions", "the policy has none; S3 requires the list")
        items = seen["conditions"]
        if not isinstance(items, list) or isinstance(items, _Pairs):
            raise InputError("conditions", "must be a JSON array")
        expiration_text = seen["expiration"]
        expiration = _parse_expiration(expiration_text)
        conditions = tuple(
            condition_from(item, f"condition {i + 1}") for i, item in enumerate(items)
        )
        if "\r\n" in text:
            notes.append("CRLF line endings, kept as they are (the signature covers them)")
        assert isinstance(expiration_text, str)
        return cls(encoded, raw, expiration, expiration_text, conditions, origin, tuple(notes))

    def document_text(self) -> str:
        return self.document.decode("utf-8")


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


# --------------------------------------------------------------------------- SigV4

V4_EXEMPT = frozenset({"x-amz-signature", "file", "policy"})
V4_REQUIRED = ("policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")


def check_verify_args(now: datetime, file_size: int | None) -> datetime:
    if file_size is not None and (
        isinstance(file_size, bool) or not isinstance(file_size, int) or file_size < 0
    ):
        raise InputError("file size", f"{file_size!r} is not a size in bytes")
    return check_utc(now, "now")


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

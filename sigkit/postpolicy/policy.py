"""The POST policy document: its conditions, its expiration, and how it is read and written.

Shared by the SigV4 and S3 V2 signers (`sigkit.sigv4.post_policy`, `sigkit.sigv2.post_policy`).
Sources: the S3 pages "POST Policy" (sigv4-HTTPPOSTConstructPolicy) and "HTML forms (AWS
signature version 2)" (HTTPPOSTForms); see docs/post-policy.md. Pure: no clock, environment or
file.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sigkit.errors import InputError
from sigkit.timefmt import check_utc

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

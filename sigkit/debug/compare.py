"""Where two versions of one signing step first part, and which part of the step that is.

A mismatch is usually one byte in one line; showing that line from both sides with the
invisible characters made visible (and naming the part: a header, the query, the scope) is
most of the diagnosis. Nothing here signs anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from sigkit.textdiff import visible

KINDS = ("canonical_request", "string_to_sign", "v2_string_to_sign", "text")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


@dataclass(frozen=True)
class Difference:
    """The first difference between our version of a step and theirs.

    `line` and `column` are 1-based; `byte` is the 0-based UTF-8 offset in the whole text.
    `part` names what the line is (``header x-amz-date``, ``query``, ``scope region`` ...).
    """

    kind: str
    part: str
    line: int
    column: int
    byte: int
    ours: str | None  # the differing line, None when that side has no such line
    theirs: str | None
    note: str = ""

    def describe(self) -> str:
        """Both lines, made visible, with a caret under the first differing character."""
        ours = "(no such line)" if self.ours is None else visible(self.ours)
        theirs = "(no such line)" if self.theirs is None else visible(self.theirs)
        caret_at = len(visible((self.ours or "")[: self.column - 1]))
        text = (
            f"{self.kind}: first difference in {self.part} (line {self.line}, column "
            f"{self.column}, byte {self.byte})\n"
            f"  ours:   {ours}\n"
            f"  theirs: {theirs}\n"
            f"          {' ' * caret_at}^"
        )
        return text + (f"\n  {self.note}" if self.note else "")


def parse_canonical_request(text: str) -> dict[str, str] | None:
    """Split a SigV4 canonical request into method, uri, query, headers (the block, one line per
    header), signed_headers and payload_hash; None when it does not have that shape."""
    lines = text.split("\n")
    if len(lines) < 6:
        return None
    try:
        blank = lines.index("", 3)
    except ValueError:
        return None
    if len(lines) != blank + 3:
        return None
    return {
        "method": lines[0],
        "uri": lines[1],
        "query": lines[2],
        "headers": "\n".join(lines[3:blank]),
        "signed_headers": lines[blank + 1],
        "payload_hash": lines[blank + 2],
    }


def parse_string_to_sign(text: str) -> dict[str, str] | None:
    """Split a SigV4 string to sign into algorithm, date, scope (and its date, region,
    service, terminator) and the canonical request hash."""
    lines = text.split("\n")
    if len(lines) != 4:
        return None
    parts = {"algorithm": lines[0], "date": lines[1], "scope": lines[2], "hash": lines[3]}
    scope = lines[2].split("/")
    if len(scope) == 4:
        names = ("scope_date", "region", "service", "terminator")
        parts.update(dict(zip(names, scope, strict=True)))
    return parts


def parse_v2_string_to_sign(text: str) -> dict[str, str] | None:
    """Split an S3 V2 string to sign into method, content_md5, content_type, date, amz_headers
    (the x-amz-* lines) and resource."""
    lines = text.split("\n")
    if len(lines) < 5:
        return None
    return {
        "method": lines[0],
        "content_md5": lines[1],
        "content_type": lines[2],
        "date": lines[3],
        "amz_headers": "\n".join(lines[4:-1]),
        "resource": lines[-1],
    }


def _line_part(kind: str, lines: list[str], index: int) -> str:
    """What line `index` (0-based) of a step of `kind` holds."""
    if kind == "canonical_request":
        fixed = {0: "method", 1: "uri", 2: "query"}
        if index in fixed:
            return fixed[index]
        blank = lines.index("", 3) if "" in lines[3:] else len(lines)
        if index < blank:
            return "header " + lines[index].split(":", 1)[0]
        if index == blank:
            return "end of headers"
        return "signed_headers" if index == blank + 1 else "payload_hash"
    if kind == "string_to_sign":
        return ("algorithm", "date", "scope", "hash")[index] if index < 4 else "extra line"
    if kind == "v2_string_to_sign":
        fixed = {0: "method", 1: "content_md5", 2: "content_type", 3: "date"}
        if index in fixed:
            return fixed[index]
        if index == len(lines) - 1:
            return "resource"
        return "amz header " + lines[index].split(":", 1)[0]
    return "text"


def _refine(part: str, ours: str, theirs: str) -> tuple[str, str]:
    """Narrow a part to a scope field or a query parameter, and hint at percent-encodings."""
    note = ""
    if part == "scope":
        names = ("scope_date", "region", "service", "terminator")
        a, b = ours.split("/"), theirs.split("/")
        if len(a) == len(b) == 4:
            for name, x, y in zip(names, a, b, strict=True):
                if x != y:
                    return f"scope {name}", f"{name}: ours {x!r}, theirs {y!r}"
    if part == "query":
        a, b = ours.split("&"), theirs.split("&")
        for x, y in zip(a, b, strict=False):
            if x != y:
                name = x.split("=", 1)[0]
                part = f"query parameter {name}"
                break
    if _ESCAPE.search(ours) or _ESCAPE.search(theirs):
        a_dec, b_dec = unquote(ours), unquote(theirs)
        if a_dec == b_dec:
            note = "the two lines are equal once percent-decoded: an encoding difference"
        elif ("%25" in ours and a_dec == theirs) or ("%25" in theirs and b_dec == ours):
            note = "one line is the other encoded once more (double encoding)"
        else:
            note = f"percent-decoded: ours {visible(a_dec)!r}, theirs {visible(b_dec)!r}"
    return part, note


def detect_kind(text: str) -> str:
    """Guess the kind of a step from its shape (for callers that do not know it)."""
    if text.startswith("AWS4-") and len(text.split("\n")) == 4:
        return "string_to_sign"
    if parse_canonical_request(text) is not None:
        return "canonical_request"
    return "text"


def compare_steps(ours: str, theirs: str, kind: str = "text") -> Difference | None:
    """None when the texts are equal, else the first differing line, column and byte."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {KINDS}")
    if ours == theirs:
        return None
    if kind == "string_to_sign" and not ours.startswith("AWS4") and not theirs.startswith("AWS4"):
        kind = "v2_string_to_sign"
    a_lines, b_lines = ours.split("\n"), theirs.split("\n")
    offset = 0
    for index in range(max(len(a_lines), len(b_lines))):
        a = a_lines[index] if index < len(a_lines) else None
        b = b_lines[index] if index < len(b_lines) else None
        if a == b:
            offset += len((a or "").encode("utf-8")) + 1
            continue
        x, y = a or "", b or ""
        col = next((i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), None)
        if col is None:
            col = min(len(x), len(y))
        part = _line_part(kind, a_lines if a is not None else b_lines, index)
        note = ""
        if a is not None and b is not None:
            part, note = _refine(part, a, b)
        return Difference(
            kind=kind,
            part=part,
            line=index + 1,
            column=col + 1,
            byte=offset + len(x[:col].encode("utf-8")),
            ours=a,
            theirs=b,
            note=note,
        )
    return None  # pragma: no cover - equal texts returned above

"""Say where two texts first part, with invisible characters made visible."""

from __future__ import annotations


def visible(text: str) -> str:
    """Show CR, tabs, trailing blanks and non-ASCII so two lines that look alike differ visibly."""
    out = []
    for ch in text:
        if ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) > 0x7E:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    shown = "".join(out)
    stripped = shown.rstrip(" ")
    if len(stripped) != len(shown):
        shown = stripped + "\u2423" * (len(shown) - len(stripped))
    return shown


def first_difference(expected: str, actual: str) -> str | None:
    """None when equal; else ``line N col C: expected '…' got '…'`` for the first differing line."""
    if expected == actual:
        return None
    exp_lines = expected.split("\n")
    act_lines = actual.split("\n")
    for number, (exp, act) in enumerate(zip(exp_lines, act_lines, strict=False), start=1):
        if exp != act:
            col = next(
                (i for i, (a, b) in enumerate(zip(exp, act, strict=False)) if a != b),
                min(len(exp), len(act)),
            )
            return f"line {number} col {col + 1}: expected {visible(exp)!r} got {visible(act)!r}"
    if len(exp_lines) > len(act_lines):
        return (
            f"line {len(act_lines) + 1}: expected {visible(exp_lines[len(act_lines)])!r}, got end"
        )
    return f"line {len(exp_lines) + 1}: expected end, got {visible(act_lines[len(exp_lines)])!r}"

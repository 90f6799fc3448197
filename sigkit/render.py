"""Turn a SigningResult into text for people (highlighted on a terminal) or JSON for programs.

Colour only on a TTY and never with NO_COLOR. Key material and session tokens are masked
unless the caller asks to see them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any, TextIO

from sigkit.credentials import mask
from sigkit.encoding import uri_encode
from sigkit.result import SigningResult, Step


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# A session token written by name: a header line ("X-Amz-Security-Token: v"), a query
# parameter ("X-Amz-Security-Token=v"), a JSON or Python dict item ('"x-amz-security-token": "v"').
_TOKEN_ITEM = re.compile(
    r"(?i)(x-amz-security-token|x-amz-s3session-token)(['\"]?[ \t]*[:=][ \t]*b?['\"]?)"
    r"(?!\$)([^\s&'\",;<>\\]+)"  # "${AWS_SESSION_TOKEN}" names a variable: kept
)
# A known secret shorter than this is masked only where it is written by name: replacing a
# short string everywhere would mask ordinary words ("secret" in a fix's text).
MIN_MASKED = 8


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The one masking rule for everything sigkit prints: each secret (secret key, derived
    key, session token) masked wherever it appears, as written or percent-encoded (in URLs),
    and the value of every session-token header or parameter, known to the caller or not.
    `--show-secrets` is the only way around it (callers then do not call this)."""
    for secret in sorted({s for s in secrets if len(s) >= MIN_MASKED}, key=len, reverse=True):
        text = text.replace(secret, mask(secret))
        encoded = uri_encode(secret)
        if encoded != secret:
            text = text.replace(encoded, mask(encoded))
    return _TOKEN_ITEM.sub(lambda m: m[1] + m[2] + mask(m[3]), text)


def redact_data(value: Any, secrets: Iterable[str] = ()) -> Any:
    """`redact` on every string in a JSON-ready value (dict values, list items); the names
    (dict keys) are kept. Masked before JSON encoding, so escapes cannot hide a secret."""
    hidden = tuple(secrets)
    if isinstance(value, str):
        return redact(value, hidden)
    if isinstance(value, dict):
        return {k: redact_data(v, hidden) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, hidden) for v in value]
    return value


def _shown(step: Step, show_secrets: bool, hidden: tuple[str, ...]) -> str:
    if step.secret and not show_secrets:
        return mask(step.value) + "  (masked; --show-secrets shows it)"
    return step.value if show_secrets else redact(step.value, hidden)


def step_dicts(result: SigningResult, *, show_secrets: bool = False) -> list[dict[str, Any]]:
    out = []
    hidden = result.sensitive
    for step in result.steps:
        value = step.value
        masked = step.secret and not show_secrets
        if masked:
            value = mask(value)
        elif not show_secrets:
            value = redact(value, hidden)
        item: dict[str, Any] = {"name": step.name, "label": step.label, "value": value}
        if step.secret:
            item["masked"] = masked
        if step.notes:
            item["notes"] = list(step.notes)
        out.append(item)
    return out


def render_json(result: SigningResult, *, show_secrets: bool = False, **extra: Any) -> str:
    document: dict[str, Any] = {
        "algorithm": result.algorithm,
        "variant": result.variant,
        **extra,
        "steps": step_dicts(result, show_secrets=show_secrets),
    }
    import json  # only for --json: the text output does not pay for it

    return json.dumps(document, indent=2, ensure_ascii=False)


def _highlight(name: str, text: str) -> str:
    from pygments import highlight
    from pygments.formatters import TerminalFormatter
    from pygments.lexers import HttpLexer, TextLexer

    lexer = HttpLexer() if name == "signed_request" else TextLexer()
    return str(highlight(text, lexer, TerminalFormatter())).rstrip("\n")


def render_text(
    result: SigningResult,
    *,
    colour: bool,
    show_secrets: bool = False,
    skip: Iterable[str] = ("canonical_uri", "canonical_query", "canonical_headers"),
) -> str:
    """One block per step: a label line, then the value exactly (a blank value shown as such)."""
    skipped = set(skip)
    blocks = []
    for step in result.steps:
        if step.name in skipped:
            continue
        value = _shown(step, show_secrets, result.sensitive)
        title = f"== {step.label} [{step.name}]"
        if colour:
            from pygments.console import colorize

            title = colorize("bold", colorize("cyan", title))
            value = _highlight(step.name, value) if value else value
        body = value if value != "" else "(empty)"
        lines = [title, body.rstrip("\n") if step.name != "canonical_request" else body]
        lines.extend(f"   note: {note}" for note in step.notes)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"

"""Shell-safe curl commands built from signing results.

Everything a shell will run is quoted so that any value (quotes, ``$()``, backticks, newlines,
unicode) reaches curl unchanged. Secrets are referred to as environment variables unless the
caller asks for them inline.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence


def quote(text: str) -> str:
    """POSIX shell quoting: single quotes, with embedded single quotes spliced in."""
    return shlex.quote(text)


def quote_with_variables(text: str, variables: Mapping[str, str]) -> str:
    """Quote `text`, leaving each value in `variables` as a ``"$NAME"`` reference instead.

    Used to keep session tokens and secrets out of generated commands.
    """
    parts: list[str] = [text]
    for value, name in sorted(
        ((v, n) for n, v in variables.items() if v), key=lambda p: -len(p[0])
    ):
        split: list[str] = []
        for part in parts:
            if part.startswith("\0"):
                split.append(part)
                continue
            pieces = part.split(value)
            for i, piece in enumerate(pieces):
                if i:
                    split.append("\0" + name)
                split.append(piece)
        parts = split
    out = []
    for part in parts:
        if part.startswith("\0"):
            out.append(f'"${{{part[1:]}}}"')
        elif part:
            out.append(quote(part))
    return "".join(out) or "''"


def _curl_form_file(path: str) -> str:
    """curl ``-F name=@"path"``: quotes let ``;`` and ``,`` stand in the file name."""
    escaped = path.replace("\\", "\\\\").replace('"', '\\"')
    return f'@"{escaped}"'


def form_command(
    url: str,
    fields: Sequence[tuple[str, str]],
    file_path: str,
    *,
    variables: Mapping[str, str] | None = None,
) -> str:
    """A ``curl`` POST of a multipart form: every field literal (``--form-string``, so curl
    reads no ``@file`` or ``;type=`` from it), the file part last, as S3 requires."""
    variables = variables or {}
    lines = ["curl --fail-with-body -sS -X POST " + quote(url)]
    for name, value in fields:
        lines.append("  --form-string " + quote_with_variables(f"{name}={value}", variables))
    lines.append("  -F " + quote("file=" + _curl_form_file(file_path)))
    return " \\\n".join(lines)

"""Percent-encoding, query parsing and path normalisation shared by every algorithm.

The rules are those of RFC 3986 as SigV4 applies them: every byte except the unreserved
``A-Z a-z 0-9 - . _ ~`` becomes ``%XX`` with upper-case hex. Parsing keeps what the caller
wrote (order, repeats, blank values, and whether a ``=`` was present) so that the signers can
decide what to canonicalise and the debugger can show what was sent.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_to_bytes

# quote() always keeps A-Z a-z 0-9 and "_.-~"; nothing else is safe unless we say so.
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")
# Text that encoding and decoding both leave as it is (most names, values and keys): a match
# costs a fifth of quote(), which signers call a dozen times per request.
UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]*\Z")
UNRESERVED_OR_SLASH = re.compile(r"[A-Za-z0-9\-._~/]*\Z")


def uri_encode(value: str | bytes, *, keep_slash: bool = False) -> str:
    """Encode every byte outside the RFC 3986 unreserved set (and ``/`` when asked)."""
    if isinstance(value, str) and (UNRESERVED_OR_SLASH if keep_slash else UNRESERVED).match(value):
        return value
    return quote(value, safe="/" if keep_slash else "")


def percent_decode(value: str, *, plus_as_space: bool = False) -> bytes:
    """Decode ``%XX``; malformed escapes stay literal, as servers leave them."""
    if plus_as_space and "+" in value:
        value = value.replace("+", " ")
    return unquote_to_bytes(value)


def parse_query(raw: str) -> list[tuple[str, str | None]]:
    """Split a raw query into (name, value) pairs as written; value is None when no ``=``.

    Empty segments (``a=1&&b=2``) carry nothing and are dropped.
    """
    pairs: list[tuple[str, str | None]] = []
    for segment in raw.split("&"):
        if not segment:
            continue
        name, sep, value = segment.partition("=")
        pairs.append((name, value if sep else None))
    return pairs


def canonical_query_pairs(raw: str, *, plus_as_space: bool) -> list[tuple[str, str]]:
    """Decode then re-encode every name and value, sorted by encoded name then value."""
    out = []
    plain = UNRESERVED.match
    for name, value in parse_query(raw):
        enc_name = (
            name if plain(name) else uri_encode(percent_decode(name, plus_as_space=plus_as_space))
        )
        if not value:
            enc_value = ""
        elif plain(value):
            enc_value = value
        else:
            enc_value = uri_encode(percent_decode(value, plus_as_space=plus_as_space))
        out.append((enc_name, enc_value))
    out.sort()
    return out


def has_malformed_escape(value: str) -> bool:
    """True when a ``%`` is not followed by two hex digits (servers treat these differently)."""
    i = value.find("%")
    while i != -1:
        pair = value[i + 1 : i + 3]
        if len(pair) < 2 or pair[0] not in _HEXDIGITS or pair[1] not in _HEXDIGITS:
            return True
        i = value.find("%", i + 1)
    return False


def normalize_path(path: str) -> str:
    """Remove empty and ``.`` segments and let ``..`` pop one, keeping a trailing slash.

    This is the SigV4 rule for services other than S3 (aws-c-auth ``should_normalize_uri_path``).
    """
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    result = "/" + "/".join(segments)
    if len(result) > 1 and path.endswith("/"):
        result += "/"
    return result


def reencode_path(path: str) -> str:
    """Decode and re-encode each segment once: what an S3 server computes from a received path.

    Already-encoded paths come back unchanged; ``%2F`` stays ``%2F``; raw reserved characters
    (``*``, ``$``, ``!`` ...) and lower-case escapes come back in canonical ``%XX`` form.
    """
    return "/".join(uri_encode(percent_decode(segment)) for segment in path.split("/"))

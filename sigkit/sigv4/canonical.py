"""The canonical request of SigV4, one function per line of it.

Each function returns the line and, where the input was changed on the way (a raw ``+``
read as a space, a path re-encoded), a note saying so: those are the surprises people debug.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from sigkit.encoding import (
    UNRESERVED_OR_SLASH,
    canonical_query_pairs,
    has_malformed_escape,
    normalize_path,
    reencode_path,
    uri_encode,
)
from sigkit.errors import InputError
from sigkit.http import Body, Request, may_hold_secret
from sigkit.keycache import holds_keys
from sigkit.payload import sha256_stream
from sigkit.sigv4.config import EMPTY_SHA256, SigV4Config


def canonical_uri(path: str, config: SigV4Config) -> tuple[str, list[str]]:
    if UNRESERVED_OR_SLASH.match(path) and (
        not config.normalize_path or ("//" not in path and "/." not in path)
    ):
        return path, []  # every rule leaves a path of unreserved characters as it is
    notes: list[str] = []
    if config.normalize_path:
        path = normalize_path(path)
    if config.double_uri_encode:
        return uri_encode(path, keep_slash=True), notes
    canonical = reencode_path(path)
    if canonical != path:
        notes.append(
            f"path as sent {path!r} is canonicalised as an S3 server decodes and re-encodes it"
        )
    if "+" in path:
        notes.append(
            "a raw '+' in the path is signed as %2B; AWS S3 reads a raw '+' in a key as a space: "
            "send %2B for a literal plus"
        )
    if has_malformed_escape(path):
        notes.append("the path holds a '%' not followed by two hex digits; it is signed as %25")
    return canonical, notes


def canonical_query(
    raw: str | None, config: SigV4Config, added: Iterable[tuple[str, str]] = ()
) -> tuple[str, list[str]]:
    """The canonical query line; `added` are the signer's own parameters, percent-encoded."""
    if not raw and not added:
        return "", []
    notes: list[str] = []
    pairs = canonical_query_pairs(raw or "", plus_as_space=config.plus_as_space)
    if raw and "+" in raw:
        if config.plus_as_space:
            notes.append(
                "a raw '+' in the query is read as a space (%20), as AWS servers read it; "
                "send %2B for a literal plus"
            )
        else:
            notes.append("a raw '+' in the query is signed as a literal plus (%2B)")
    if raw and has_malformed_escape(raw):
        notes.append("the query holds a '%' not followed by two hex digits; it is signed as %25")
    if added:  # percent-encoded already
        pairs.extend(added)
        pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs), notes


def fold_value(value: str) -> str:
    """Trim and collapse inner runs of whitespace (including folded line breaks) to one space."""
    return " ".join(value.split())


class _FoldedPairs(dict[tuple[str, str], tuple[str, str]]):
    """(name, value) -> (lower-case name, folded value), for the headers a program sends
    again and again. Never a pair that may carry a credential (`may_hold_secret`); at most
    `_FOLDED_MAX`, then it starts over; `sigkit.forget_keys()` empties it too."""

    def cache_clear(self) -> None:
        self.clear()


_FOLDED = holds_keys(_FoldedPairs())
_FOLDED_MAX = 4096


def header_groups(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case name -> the value as signed: trimmed, inner whitespace runs folded to one
    space, repeated names joined with commas in the order sent.

    Signers build this once per request and read it both for the headers they look up and for
    the canonical headers. Pairs seen before are looked up (a dict of them at C speed when no
    name repeats)."""
    if isinstance(headers, tuple):
        try:
            groups = dict(map(_FOLDED.__getitem__, headers))
        except (KeyError, TypeError):
            pass
        else:
            if len(groups) == len(headers):
                return groups
    groups = {}
    get = _FOLDED.get
    for pair in headers:
        try:
            folded = get(pair)
        except TypeError:  # unhashable: not remembered
            folded = None
        if folded is None:
            name, value = pair
            folded = (name.lower(), " ".join(value.split()))  # fold_value, inline
            if type(pair) is tuple and not may_hold_secret(folded[0]):
                if len(_FOLDED) >= _FOLDED_MAX:
                    _FOLDED.clear()
                _FOLDED[pair] = folded
        lname, value = folded
        if lname in groups:
            groups[lname] = f"{groups[lname]},{value}"
        else:
            groups[lname] = value
    return groups


def canonical_headers(
    groups: Mapping[str, str], unsigned: frozenset[str]
) -> tuple[str, str, list[str]]:
    """Return (canonical header lines, signed header list, names left out, sorted).

    ``host`` is always signed."""
    names = sorted(groups)
    if unsigned.isdisjoint(groups):  # the usual case: no set to build
        left_out: list[str] = []
    else:
        left_out = sorted(groups.keys() & unsigned - {"host"})
        names = [name for name in names if name not in left_out]
    lines = "".join([f"{name}:{groups[name]}\n" for name in names])
    return lines, ";".join(names), left_out


def hash_body(body: Body) -> str:
    """SHA-256 hex of the body; a stream is read once in pieces and rewound (sigkit.payload)."""
    if body is None:
        return EMPTY_SHA256
    if isinstance(body, bytes):
        return hashlib.sha256(body).hexdigest()
    return sha256_stream(body)


def payload_hash(
    request: Request, config: SigV4Config, groups: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """The payload line and where it came from.

    An explicit config value wins; else the request's own ``x-amz-content-sha256`` (what S3
    servers and curl use); else the SHA-256 of the body. `groups` is the request's
    `header_groups()` when the caller has it already.
    """
    if groups is None:
        groups = header_groups(request.headers)
    sent = sent_once(request, "x-amz-content-sha256", groups)
    if config.payload_hash is not None:
        if sent is not None and sent != config.payload_hash:
            raise InputError(
                "x-amz-content-sha256",
                f"the request sends {sent!r} but the payload hash to sign is "
                f"{config.payload_hash!r}",
            )
        return config.payload_hash, "given"
    if sent is not None:
        return sent, "the request's x-amz-content-sha256 header"
    return hash_body(request.body), "SHA-256 of the body"


def sent_once(request: Request, name: str, groups: Mapping[str, str]) -> str | None:
    """The trimmed value of a header that must be sent at most once (the date, the token, the
    payload hash: a signer compares or uses it), or None when it is not sent.

    `groups` (the request's `header_groups`) answers the usual "not sent" at once; a header
    sent twice is an input error, since its two values could never both be right."""
    if name not in groups:
        return None
    values = request.header_values(name)
    if len(values) > 1:
        raise InputError(f"header {name}", f"sent {len(values)} times; send it once")
    return values[0].strip()

"""The request model and the raw HTTP text form used by test vectors and captures.

A `Request` keeps exactly what the caller gave: header order and duplicates, the raw path and
query as they will be sent, the body as bytes or a stream. Signers read it and return a new
request; nothing here canonicalises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import BinaryIO
from urllib.parse import urlsplit

from sigkit.errors import InputError
from sigkit.keycache import holds_keys

Headers = tuple[tuple[str, str], ...]
Body = bytes | BinaryIO | None

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_VALUE_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_FOLDED_VALUE_BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|\n(?![ \t])")
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::(\d{1,5}))?\Z")
_VERSION = re.compile(r"HTTP/\d(\.\d)?\Z")
DEFAULT_PORTS = {"http": 80, "https": 443}
_METHODS = frozenset({"GET", "PUT", "POST", "HEAD", "DELETE", "PATCH", "OPTIONS"})
# The fast paths' patterns: what they accept, the full checks accept too, and read the same.
# A common absolute URL: lower-case http(s), a plain ASCII host, a port of 1-5 digits, and a
# path and query of printable ASCII (no control character, no #fragment). Anything else goes
# through `split_url`'s full checks and urlsplit.
_PLAIN_URL = re.compile(
    r"(https?)://([A-Za-z0-9.\-]+(?::([0-9]{1,5}))?)(/[ -\"$->@-~]*)?(?:\?([ -\"$-~]*))?\Z"
)


def check_header(name: str, value: str, *, allow_folding: bool = False) -> None:
    """Reject what no HTTP server would accept, naming the header."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise InputError("header", f"name and value must be text, got {name!r}: {value!r}")
    if not name:
        raise InputError("header", "empty header name")
    if not _TOKEN.match(name):
        raise InputError(
            f"header {name!r}", "name may hold only letters, digits and !#$%&'*+-.^_`|~"
        )
    bad = (_FOLDED_VALUE_BAD if allow_folding else _VALUE_BAD).search(value)
    if bad:
        raise InputError(f"header {name}", f"value contains the control character {bad.group()!r}")
    check_text(value, f"header {name}")


def check_headers(headers: Iterable[tuple[str, str]], *, allow_folding: bool = False) -> None:
    """`check_header` for each, and at most one Host header, a valid host[:port]."""
    hosts = 0
    for name, value in headers:
        check_header(name, value, allow_folding=allow_folding)
        if name.lower() == "host":
            hosts += 1
            if not _HOST.match(value.strip()):
                raise InputError("header Host", f"{value.strip()!r} is not a valid host[:port]")
    if hosts > 1:
        raise InputError("header Host", "sent more than once")


class _CheckedPairs(dict[tuple[str, str], int]):
    """Header (name, value) pairs that passed `check_header`, each with 1 for a Host header
    (its value a valid host[:port]) and 0 for any other: a program sends the same few headers
    again and again. Never a pair that may carry a credential (`may_hold_secret`); at most
    `_CHECKED_MAX`, then it starts over; `sigkit.forget_keys()` empties it too."""

    def cache_clear(self) -> None:
        self.clear()


_CHECKED = holds_keys(_CheckedPairs())
_CHECKED_MAX = 4096
# A header or query name that may carry a credential: Authorization and session tokens, and
# also cookies, proxy credentials, SSE-C keys, API keys. The caches never keep such a pair or
# URL (a cache is for what repeats; these are secrets, or unique per request anyway).
_SECRET_NAME = re.compile(r"auth|token|cookie|secret|passw|session|key|signature|credential")
_SECRET_NAMES: dict[str, bool] = {}  # lower-case name -> the answer (names are no secret)


def may_hold_secret(lname: str) -> bool:
    """True when a header of this lower-case name may carry a credential (the pattern is
    read once per name: a regex search costs more than the cache hit it guards)."""
    found = _SECRET_NAMES.get(lname)
    if found is None:
        found = _SECRET_NAME.search(lname) is not None
        if len(_SECRET_NAMES) < 1024:
            _SECRET_NAMES[lname] = found
    return found


def plain_headers(headers: Headers) -> bool:
    """True when `check_headers` (folded or not) would accept these (name, value) pairs.

    Each pair is looked up among those checked before, and one not seen yet is checked on
    its own: a token for a name, printable ASCII or tab for a value (a Host header's a valid
    host[:port]); then at most one Host header.

    False decides nothing: the caller runs the full checks, which name the header at fault.
    """
    try:
        return sum(map(_CHECKED.__getitem__, headers)) <= 1  # every pair seen before
    except (KeyError, TypeError):
        pass
    hosts = 0
    get = _CHECKED.get
    try:
        for pair in headers:
            flag = get(pair)
            if flag is None:
                flag = _plain_pair(pair)
                if flag is None:
                    return False
            hosts += flag
    except TypeError:  # an unhashable pair: the full checks say what is wrong
        return False
    return hosts <= 1


def _plain_pair(pair: tuple[str, str]) -> int | None:
    """1 for a Host header, 0 for another, None when the full check must decide; a pair
    that passes is remembered (unless it carries a credential)."""
    if type(pair) is not tuple or len(pair) != 2:
        return None
    name, value = pair
    if (
        not isinstance(name, str)
        or not isinstance(value, str)
        or not _TOKEN.match(name)
        or not value.isascii()
        or _VALUE_BAD.search(value)
    ):
        return None
    lname = name.lower()
    flag = lname == "host"
    if flag and not _HOST.match(value.strip()):
        return None
    if not may_hold_secret(lname):
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[pair] = flag
    return flag


def check_text(value: str, field: str) -> None:
    """Text must be encodable as UTF-8 (lone surrogates come from undecodable bytes)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(
                field, f"holds bytes that are not UTF-8 (at character {exc.start})"
            ) from None


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP request as it will be (or was) sent.

    `path` and `query` are the raw bytes of the request target as text: `query` is None when the
    target has no ``?`` and ``""`` when it has one with nothing after it. Construction checks
    that every part could go on the wire as it is, so signers never sign what cannot be sent.
    """

    method: str
    path: str
    query: str | None = None
    headers: Headers = ()
    body: Body = None
    scheme: str = "https"
    authority: str | None = None

    def __post_init__(self) -> None:
        check_method(self.method)
        if not isinstance(self.path, str) or not (self.path.startswith("/") or self.path == "*"):
            raise InputError("path", f"{self.path!r} must start with /")
        for field, text in (("path", self.path), ("query", self.query)):
            if text is None:
                continue
            if not isinstance(text, str):
                raise InputError(field, f"must be text, got {type(text).__name__}")
            bad = _CONTROL.search(text)
            if bad:
                raise InputError(field, f"contains the control character {bad.group()!r}")
            check_text(text, field)
        if not isinstance(self.headers, tuple) or not all(
            isinstance(h, tuple) and len(h) == 2 for h in self.headers
        ):
            try:
                headers = tuple((name, value) for name, value in self.headers)
            except (TypeError, ValueError):
                raise InputError("headers", "must be (name, value) pairs") from None
            object.__setattr__(self, "headers", headers)
        if not plain_headers(self.headers):
            check_headers(self.headers, allow_folding=True)
        body = self.body
        if body is not None and not isinstance(body, bytes) and not hasattr(body, "read"):
            raise InputError("body", f"must be bytes or a binary stream, not {type(body).__name__}")
        if self.scheme not in DEFAULT_PORTS:
            raise InputError("scheme", f"{self.scheme!r} is not http or https")
        if self.authority is not None and not _HOST.match(self.authority):
            raise InputError("url", f"host {self.authority!r} is not a valid host[:port]")

    @classmethod
    def from_url(
        cls,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]] = (),
        body: Body = None,
    ) -> Request:
        """A request from a method, an absolute URL, headers and a body, checked as the
        constructor checks (and its header values with no folded lines).

        The common case (a plain http(s) URL, ASCII header values) is checked by `plain_url`
        and `plain_headers`, which remember what they checked (a program sends the same URLs
        and headers again and again); anything else takes the full checks, which name the
        part at fault."""
        try:
            hdrs = tuple([(n, v) for n, v in headers])
        except Exception:
            split_url(url)  # a bad URL is named first, as it always was
            raise
        plain = plain_url(url) if isinstance(url, str) else None
        if (
            plain is not None
            and cls is Request
            and method.__class__ is str
            and (method in _METHODS or _TOKEN.match(method))
            and (body is None or isinstance(body, bytes) or hasattr(body, "read"))
            and plain_headers(hdrs)
        ):
            # everything the constructor checks holds (see plain_url and plain_headers)
            new = _new_request(cls)
            _set_method(new, method)
            _set_path(new, plain[2])
            _set_query(new, plain[3])
            _set_headers(new, hdrs)
            _set_body(new, body)
            _set_scheme(new, plain[0])
            _set_authority(new, plain[1])
            return new
        scheme, authority, path, query = split_url(url)
        for name, value in hdrs:
            check_header(name, value)
        return cls(
            method=method,
            path=path,
            query=query,
            headers=hdrs,
            body=body,
            scheme=scheme,
            authority=authority,
        )

    @property
    def target(self) -> str:
        """The request target as it appears on the request line."""
        return self.path if self.query is None else f"{self.path}?{self.query}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.target}"

    @property
    def host(self) -> str:
        """The Host header as sent, or the URL authority without a default port."""
        sent = self.header("host")
        if sent is not None:
            return sent.strip()
        if self.authority is None:
            raise InputError("host", "the request has neither a URL host nor a Host header")
        return strip_default_port(self.scheme, self.authority)

    def header(self, name: str) -> str | None:
        """First value of a header (case-insensitive), or None."""
        lname = name.lower()
        for n, v in self.headers:
            if n.lower() == lname:
                return v
        return None

    def header_groups(self) -> dict[str, list[str]]:
        """Every value of every header, by lower-case name, in the order sent: one pass."""
        groups: dict[str, list[str]] = {}
        for name, value in self.headers:
            lname = name.lower()
            group = groups.get(lname)
            if group is None:
                groups[lname] = [value]
            else:
                group.append(value)
        return groups

    def header_values(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for n, v in self.headers if n.lower() == lname]

    def with_headers(self, added: Sequence[tuple[str, str]]) -> Request:
        """Append headers; a Host header the signer supplies goes first, where clients send it.

        Only the new headers are checked: the rest was checked when this request was made,
        which keeps signing (which adds headers to every request) cheap."""
        for name, value in added:
            check_header(name, value)
        hosts = [h for h in added if h[0] == "Host"]
        if hosts and (len(hosts) > 1 or self.header("host") is not None):
            raise InputError("header Host", "sent more than once")
        return self.with_signer_headers(hosts + [h for h in added if h[0] != "Host"])

    def with_signer_headers(self, added: Sequence[tuple[str, str]]) -> Request:
        """`with_headers` without the checks, for what a signer adds: the host from this
        request's own URL and values made of checked parts (credentials, scope, hex)."""
        if not added:
            return self
        if added[0][0] == "Host":
            headers = (added[0], *self.headers, *added[1:])
        else:
            headers = self.headers + tuple(added)
        return self._copy(self.query, headers)

    def _copy(self, query: str | None, headers: Headers) -> Request:
        """A copy with another query and headers, both checked by the caller (signers make
        one per signature: setting the slots directly costs half of ``dataclasses.replace``
        without its checks)."""
        new = _new_request(Request)
        _set_method(new, self.method)
        _set_path(new, self.path)
        _set_query(new, query)
        _set_headers(new, headers)
        _set_body(new, self.body)
        _set_scheme(new, self.scheme)
        _set_authority(new, self.authority)
        return new

    def with_body(self, body: Body) -> Request:
        return replace(self, body=body)

    def with_query(self, query: str | None) -> Request:
        return replace(self, query=query)

    def body_bytes(self) -> bytes:
        """The body as bytes (reads a stream and rewinds it when it can)."""
        body = self.body
        if body is None:
            return b""
        if isinstance(body, bytes):
            return body
        start = body.tell() if body.seekable() else None
        data = body.read()
        if start is not None:
            body.seek(start)
        return data


_new_request = object.__new__
(_set_method, _set_path, _set_query, _set_headers, _set_body, _set_scheme, _set_authority) = (
    Request.__dict__[name].__set__
    for name in ("method", "path", "query", "headers", "body", "scheme", "authority")
)


def check_method(method: str) -> str:
    if not isinstance(method, str) or not method or not _TOKEN.match(method):
        raise InputError("method", f"{method!r} is not an HTTP method token")
    return method


def strip_default_port(scheme: str, authority: str) -> str:
    host, sep, port = authority.rpartition(":")
    if sep and "]" not in port and port.isdigit() and int(port) == DEFAULT_PORTS.get(scheme):
        return host
    return authority


def plain_url(url: str) -> tuple[str, str, str, str | None] | None:
    """`split_url` of a common URL (`_PLAIN_URL`, a port in range), remembered as urlsplit
    remembers its own, except a URL whose query may carry a credential (a presigned URL's
    signature or session token: never remembered); None when the full checks must decide.
    What it accepts is a valid host[:port], a path from / and a query, neither holding a
    control character."""
    if (
        "oken" in url or "ignature" in url or "OKEN" in url or "IGNATURE" in url
    ) and "?" in url:  # X-Amz-Signature, Signature, X-Amz-Security-Token, x-amz-s3session-token
        return _split_plain_url(url)
    return _remembered_url(url)


def _split_plain_url(url: str) -> tuple[str, str, str, str | None] | None:
    plain = _PLAIN_URL.match(url)
    if plain is None or (plain[3] is not None and not 0 < int(plain[3]) < 65536):
        return None
    return plain[1], plain[2], plain[4] or "/", plain[5]


# forget_keys() empties it too, though it keeps no URL whose query names a credential
_remembered_url = holds_keys(lru_cache(maxsize=256)(_split_plain_url))


def split_url(url: str) -> tuple[str, str, str, str | None]:
    """Split an absolute URL into scheme, authority, raw path and raw query (None if no ``?``).

    Nothing is decoded or re-encoded: the path and query are kept as written.
    """
    if not url:
        raise InputError("url", "empty URL")
    bad = _CONTROL.search(url)
    if bad:
        raise InputError("url", f"contains the control character {bad.group()!r}")
    check_text(url, "url")
    if " " in url.split("?", 1)[0].split("://", 1)[0]:
        raise InputError("url", f"{url!r} has a space in its scheme")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InputError("url", f"{url!r} does not parse: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InputError("url", f"{url!r} must start with http:// or https://")
    authority = parts.netloc
    if not authority:
        raise InputError("url", f"{url!r} has no host")
    if "@" in authority:
        raise InputError("url", "user information in the URL is not supported; use --access-key")
    match = _HOST.match(authority)
    if not match:
        raise InputError("url", f"host {authority!r} is not a valid host[:port]")
    if match.group(2) is not None and not 0 < int(match.group(2)) < 65536:
        raise InputError("url", f"port {match.group(2)} is out of range 1-65535")
    if parts.fragment or url.endswith("#"):
        raise InputError("url", "a #fragment is never sent to the server; remove it")
    rest = url[len(parts.scheme) + 3 + len(authority) :]
    path, sep, query = rest.partition("?")
    return scheme, authority, path or "/", query if sep else None


def parse_request_text(data: str | bytes, *, source: str = "request") -> Request:
    """Parse the raw request form of test vectors and captures.

    Line 1 is ``METHOD SP target SP HTTP/x.y`` (the target may itself hold spaces); then
    ``Name:value`` lines with the value kept verbatim; a line starting with a blank continues the
    previous value; an empty line ends the headers and the rest is the body, byte for byte.
    Lines may end in LF or CRLF; a CR anywhere else in the head is refused, not dropped.
    """
    try:
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    except UnicodeEncodeError as exc:
        raise InputError(source, f"holds text that is not UTF-8 (character {exc.start})") from None
    head_b, body = _split_head(raw)
    try:
        head = head_b.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(source, f"request head is not UTF-8 (byte {exc.start})") from None
    lines = [line[:-1] if line.endswith("\r") else line for line in head.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[0].strip():
        raise InputError(source, "empty request: expected 'METHOD /path HTTP/1.1' on line 1")
    method, target = _parse_request_line(lines[0], source)
    headers: list[tuple[str, str]] = []
    for number, line in enumerate(lines[1:], start=2):
        if line[:1] in (" ", "\t"):
            if not headers:
                raise InputError(f"{source} line {number}", "continuation line before any header")
            name, value = headers[-1]
            line_value, value = line, value + "\n" + line
        else:
            name, sep, line_value = line.partition(":")
            if not sep:
                raise InputError(f"{source} line {number}", f"expected 'Name:value', got {line!r}")
            value = line_value
            headers.append((name, value))
        try:
            check_header(name, line_value)
        except InputError as exc:
            raise InputError(f"{source} line {number}", exc.message) from None
        headers[-1] = (name, value)
    scheme, authority = "https", None
    if target.startswith(("http://", "https://")):
        scheme, authority, path, query = split_url(target)
    else:
        if _CONTROL.search(target):
            raise InputError(f"{source} line 1", "request target contains a control character")
        if not target.startswith("/"):
            raise InputError(f"{source} line 1", f"request target {target!r} must start with /")
        path, sep, q = target.partition("?")
        query = q if sep else None
    try:
        return Request(
            method=method,
            path=path,
            query=query,
            headers=tuple(headers),
            body=body or None,
            scheme=scheme,
            authority=authority,
        )
    except InputError as exc:
        raise InputError(f"{source}: {exc.field}", exc.message) from None


def _split_head(data: bytes) -> tuple[bytes, bytes | None]:
    """Split at the first empty line, whether the lines end in LF or CRLF."""
    lf = data.find(b"\n\n")
    crlf = data.find(b"\r\n\r\n")
    if crlf != -1 and (lf == -1 or crlf < lf):
        return data[:crlf], data[crlf + 4 :]
    if lf != -1:
        return data[:lf], data[lf + 2 :]
    return data, None


def _parse_request_line(line: str, source: str) -> tuple[str, str]:
    method, sep, rest = line.partition(" ")
    target, sep2, version = rest.rpartition(" ")
    if not sep or not sep2 or not _VERSION.match(version) or not target:
        raise InputError(f"{source} line 1", f"expected 'METHOD /path HTTP/1.1', got {line!r}")
    try:
        check_method(method)
    except InputError:
        raise InputError(f"{source} line 1", f"{method!r} is not an HTTP method") from None
    return method, target


def serialize_request(request: Request) -> bytes:
    """The vector form: request line, ``Name:value`` lines, an empty line, then the body."""
    lines = [f"{request.method} {request.target} HTTP/1.1"]
    lines.extend(f"{name}:{value}" for name, value in request.headers)
    head = "\n".join(lines) + "\n\n"
    return head.encode("utf-8") + request.body_bytes()

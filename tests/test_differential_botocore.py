"""Differential property tests: sigkit against botocore 1.43.11 as the oracle.

Six comparisons, each on randomly generated requests (hypothesis):

1. generic SigV4, header: ``SigV4Auth``        vs ``sign_v4(..., SigV4Config.generic())``
2. generic SigV4, query:  ``SigV4QueryAuth``   vs ``sign_v4_query(..., generic())``
3. S3 SigV4, header:      ``S3SigV4Auth``      vs ``sign_v4(..., SigV4Config.s3())``
4. S3 SigV4, presigned:   ``S3SigV4QueryAuth`` vs ``sign_v4_query(..., s3(UNSIGNED-PAYLOAD))``
5. S3 V2, header:         ``HmacV1Auth``       vs ``sign_v2``
6. S3 V2, presigned:      ``HmacV1QueryAuth``  vs ``sign_v2_query``

botocore is run unmodified except for its clocks, which are frozen at the signing time sigkit is
given. Its canonical request, string to sign and signature are recorded *while it signs* (by
subclasses that keep what the signer computed), then compared with sigkit's steps; the signature
is also read back from the ``Authorization`` header / the URL botocore produced, and the headers
or query parameters each side adds are compared.

Where botocore and sigkit differ on purpose, or botocore is wrong, the generators stay away from the
case; each such case is listed in ``KNOWN DIFFERENCES`` below with its source, and some are asserted
as documented differences by the small tests at the end of this file.
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import hashlib
import io
import string
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, quote, urlsplit

import botocore  # type: ignore[import-untyped]
import pytest
from botocore.auth import (  # type: ignore[import-untyped]
    SIGNED_HEADERS_BLACKLIST,
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
    SigV4QueryAuth,
)
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials as BotoCredentials  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sigkit
from sigkit import Credentials, Request, S3V2Config, SigV4Config
from sigkit.sigv2.s3 import SUBRESOURCES
from sigkit.sigv4.config import DEFAULT_UNSIGNED_HEADERS

# The behaviours excluded below were read in botocore 1.43.11's auth.py; another version may sign
# differently (tests/oracle/make_vectors.py pins the same version).
BOTOCORE_VERSION = "1.43.11"
pytestmark = pytest.mark.skipif(
    botocore.__version__ != BOTOCORE_VERSION,
    reason=f"the oracle is botocore {BOTOCORE_VERSION}, found {botocore.__version__}",
)

# ---------------------------------------------------------------------------------------------
# KNOWN DIFFERENCES (the generators keep away from each; the reason and source are given)
#
# K1  A raw "+" in the query of the SigV4 *header* variant. sigkit reads it as a space and signs
#     %20, as AWS servers do (docs/server-behaviour.md, Q1: RGW signs `prefix=a+b` as
#     `prefix=a%20b` and refuses `%2B`); botocore's SigV4Auth._canonical_query_string_url signs
#     the query as written (a literal "+"; its serializer itself always sends %2B). Header-variant
#     queries are generated percent-encoded (%2B, %20). In the SigV4 query variants botocore's
#     parse_qs also reads "+" as a space, and in S3 V2 neither side does (sub-resource values are
#     only percent-decoded), so there both agree and raw "+" is generated (see `loose_encode`).
#     Asserted in test_raw_plus_in_query_documented_difference.
# K2  Non-canonical escapes in the query of the header variant (%7E, lower-case %2a, raw
#     reserved characters, raw UTF-8): botocore signs the query as given (it only quotes what its
#     own serializer produced), sigkit decodes and re-encodes as servers do (docs/
#     server-behaviour.md Q2, Q5). Header-variant queries are generated in canonical form, ASCII.
# K3  Empty query segments (`a=1&&b=2`): botocore signs `=&a=1&b=2`, sigkit drops them as RGW
#     does (docs/server-behaviour.md Q7). Never generated.
# K4  S3 paths not in canonical form (raw `*`, `%2a`, `%7E`): botocore's S3 signers sign the path
#     as sent, sigkit re-encodes each segment as an S3 server does (docs/server-behaviour.md Q4;
#     sigkit/sigv4/canonical.py canonical_uri). S3 keys are generated as botocore's serializer
#     sends them: percent_encode(key, safe="/~") (botocore/serialize.py _render_uri_template).
# K5  S3 V2 with `x-amz-date`: sigkit follows "Signing and authenticating REST requests (AWS
#     signature version 2)" (AWS S3 docs): empty Date line, x-amz-date among the x-amz-* headers;
#     botocore's HmacV1Auth.canonical_standard_headers always signs its own Date. Not generated;
#     asserted in test_v2_x_amz_date_documented_difference.
# K6  S3 V2 with the caller's own `Date`: sigkit signs the caller's Date (vectors/README.md in the
#     shared vectors, "For the header variant the date being signed is the Date header present in
#     request.txt"); botocore replaces it with its clock. Not generated; asserted in
#     test_v2_caller_date_is_kept.
# K7  Raw (unencoded) UTF-8 in queries: botocore's header variant keeps it unencoded. Queries are
#     generated ASCII, percent-encoded.
#
# Found while writing these tests (reported to the lead; the generators keep away from them):
#
# F1  Unsigned header lists differ: botocore's SIGNED_HEADERS_BLACKLIST also skips keep-alive,
#     proxy-authenticate, proxy-authorization, te and trailer, which sigkit signs; sigkit's
#     DEFAULT_UNSIGNED_HEADERS (aws-c-auth's list, sigkit/sigv4/config.py, whose comment says
#     "botocore skips the same ones") also skips sec-websocket-key/-protocol/-version, which
#     botocore signs. Neither is wrong per the AWS docs (a signer chooses what to sign beyond host
#     and x-amz-*). The names in either list only are computed below and not generated in the
#     default-config tests; test_unsigned_headers_configurable_to_botocore_list signs them with
#     sigkit's `unsigned_headers` set to botocore's list and expects agreement.
# F2  Upper-case host in the URL (no Host header): botocore signs urlsplit().hostname, lower-cased;
#     sigkit signs the authority as written (sigkit/http.py Request.host). Hosts are generated
#     lower-case.
# F3  A `Date` header on a SigV4 request: botocore replaces it with its own clock (formatted
#     `... -0000`) and then sends no X-Amz-Date; sigkit signs the caller's Date and adds
#     X-Amz-Date. Not generated for SigV4.
# F4  Lower-case methods: botocore upper-cases the method in the canonical request (but sends it as
#     given); sigkit signs it as sent. Methods are generated upper-case.
# F5  `x-amz-content-sha256` with surrounding blanks: botocore signs the raw value as the payload
#     line, sigkit the trimmed value. Generated trimmed only.
# F6  Query variants with a repeated query key: botocore rebuilds the URL from
#     parse_qs(...)[key][0] (SigV4QueryAuth._modify_request_before_signing: "we know we won't have
#     repeated keys") and silently drops every later value, from the URL and the signature. botocore
#     is wrong here (AWS SigV4 docs: repeated names are all signed, sorted by value). Query variants
#     are generated with unique names.
# F7  S3 V2 with a repeated Content-Type or Content-MD5: botocore's canonical_standard_headers
#     emits the *first* value once per occurrence, i.e. extra lines in the string to sign, which the
#     V2 format ("Signing and authenticating REST requests", one Content-MD5 and one Content-Type
#     line) does not allow: botocore is wrong. Generated at most once each for V2.
# F8  Query variants with a body: botocore moves request.data into the query (it is meant for
#     query-protocol services); sigkit hashes the body. Query variants are generated without a body.
#     The V4 query variants also drop Content-Type when it is exactly botocore's own
#     "application/x-www-form-urlencoded; charset=utf-8"; that value is never generated.
# F9  S3 V2 presigned URL: botocore moves x-amz-*, Content-Type and Content-MD5 headers into the
#     query; sigkit leaves them as headers. Same signature; the URL comparison allows for it.
# F10 A caller's X-Amz-Date (SigV4) or X-Amz-Security-Token / x-amz-content-sha256 that differs
#     from what the signer would put: botocore overwrites them, sigkit refuses with InputError.
#     Generated only equal to the signer's value (X-Amz-Date, S3 body hash) or not at all.
# ---------------------------------------------------------------------------------------------

EXAMPLES_V4_HEADER = 500
EXAMPLES_V4_QUERY = 350
EXAMPLES_S3_HEADER = 400
EXAMPLES_S3_QUERY = 350
EXAMPLES_V2_HEADER = 350
EXAMPLES_V2_QUERY = 350
EXAMPLES_SMALL = 60

# Every test states max_examples, deadline=None and derandomize=False (a new random sample on
# every run; failures are replayed from the .hypothesis database).
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]

BOTOCORE_ONLY_UNSIGNED = frozenset(SIGNED_HEADERS_BLACKLIST) - DEFAULT_UNSIGNED_HEADERS
SIGKIT_ONLY_UNSIGNED = DEFAULT_UNSIGNED_HEADERS - frozenset(SIGNED_HEADERS_BLACKLIST)
# "authorization" is only on sigkit's list because botocore deletes it before signing (F10).
DISPUTED_UNSIGNED = (BOTOCORE_ONLY_UNSIGNED | SIGKIT_ONLY_UNSIGNED) - {"authorization"}
# Names each signer sets or interprets itself (K5, K6, F3, F10): never among the random headers.
RESERVED_HEADER_NAMES = frozenset(
    {
        "host",
        "authorization",
        "date",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    }
)
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"  # F8

# ------------------------------------------------------------------------------- botocore side


@contextmanager
def botocore_clock(when: dt.datetime) -> Iterator[None]:
    """Freeze every clock botocore.auth reads at `when`.

    SigV4 reads get_current_datetime(); HmacV1Auth reads formatdate(usegmt=True), HmacV1QueryAuth
    time.time(). The V2 clocks get whole seconds: a float epoch with microseconds can round up to
    the next second far from 1970, while both signers print whole seconds anyway.
    """
    naive = when.astimezone(dt.UTC).replace(tzinfo=None)
    epoch = calendar.timegm(naive.utctimetuple())

    def fixed_formatdate(
        timeval: float | None = None, localtime: bool = False, usegmt: bool = False
    ) -> str:
        return email.utils.formatdate(epoch if timeval is None else timeval, localtime, usegmt)

    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=naive),
        mock.patch("botocore.auth.formatdate", fixed_formatdate),
        mock.patch("botocore.auth.time", SimpleNamespace(time=lambda: float(epoch))),
    ):
        yield


class _RecordV4:
    """Keep the canonical request, string to sign and signature a SigV4 signer computed."""

    seen: dict[str, str]

    def canonical_request(self, request: Any) -> str:
        value: str = super().canonical_request(request)  # type: ignore[misc]
        self.seen["canonical_request"] = value
        return value

    def string_to_sign(self, request: Any, canonical_request: str) -> str:
        value: str = super().string_to_sign(request, canonical_request)  # type: ignore[misc]
        self.seen["string_to_sign"] = value
        return value

    def signature(self, string_to_sign: str, request: Any) -> str:
        value: str = super().signature(string_to_sign, request)  # type: ignore[misc]
        self.seen["signature"] = value
        return value


class _RecordV2:
    seen: dict[str, str]

    def sign_string(self, string_to_sign: str) -> str:
        value: str = super().sign_string(string_to_sign)  # type: ignore[misc]
        self.seen["string_to_sign"] = string_to_sign
        self.seen["signature"] = value
        return value


class RecSigV4Auth(_RecordV4, SigV4Auth):  # type: ignore[misc]
    pass


class RecSigV4QueryAuth(_RecordV4, SigV4QueryAuth):  # type: ignore[misc]
    pass


class RecS3SigV4Auth(_RecordV4, S3SigV4Auth):  # type: ignore[misc]
    pass


class RecS3SigV4QueryAuth(_RecordV4, S3SigV4QueryAuth):  # type: ignore[misc]
    pass


class RecHmacV1Auth(_RecordV2, HmacV1Auth):  # type: ignore[misc]
    pass


class RecHmacV1QueryAuth(_RecordV2, HmacV1QueryAuth):  # type: ignore[misc]
    pass


def botocore_sign(
    signer: Any,
    when: dt.datetime,
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None = None,
    *,
    stream: bool = False,
    auth_path: str | None = None,
) -> tuple[dict[str, str], Any]:
    """Sign with botocore; return (what the signer computed, the signed AWSRequest)."""
    data: Any = io.BytesIO(body) if stream and body is not None else body
    request = AWSRequest(method=method, url=url, data=data, auth_path=auth_path)
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders appends: repeated names are kept
    signer.seen = {}
    with botocore_clock(when):
        signer.add_auth(request)
    return signer.seen, request


def boto_creds(creds: Credentials) -> Any:
    return BotoCredentials(creds.access_key_id, creds.secret_access_key, creds.session_token)


# ------------------------------------------------------------------------------------ generators

UNICODE = ["é", "ü", "中", "文", "😀", "ß", "Ω"]
SUB_DELIMS = "!$&'()*+,;="
RESERVED_CHARS = SUB_DELIMS + ":@"
SPECIAL_ASCII = RESERVED_CHARS + "~%/?#[] -._"


def text_of(alphabet: st.SearchStrategy[str], **kwargs: int) -> st.SearchStrategy[str]:
    return st.lists(alphabet, **kwargs).map("".join)  # type: ignore[arg-type]


# Decoded text for query names/values and S3 keys: ASCII letters and digits, every reserved and
# special ASCII character (they all end up percent-encoded), Unicode, and any other code point.
key_char = st.one_of(
    st.sampled_from(string.ascii_letters + string.digits),
    st.sampled_from(SPECIAL_ASCII),
    st.sampled_from(UNICODE),
    st.characters(exclude_categories=("Cs",)),  # type: ignore[arg-type]
)
key_text = text_of(key_char, max_size=8)

# Raw generic-service path segments: what a user types into a URL (both sides encode it once
# more). No control characters (sigkit refuses them), no '?', '#' (they end the path).
raw_path_char = st.one_of(
    st.sampled_from(string.ascii_letters + string.digits + "-._~"),
    st.sampled_from(RESERVED_CHARS + "% "),
    st.sampled_from(UNICODE),
)
raw_segment = st.one_of(
    st.sampled_from(["", ".", "..", "%2F", "%41", "%zz", "a b"]),
    text_of(raw_path_char, min_size=1, max_size=8),
)


@st.composite
def generic_paths(draw: st.DrawFn) -> str:
    """Raw paths with empty, '.', '..' segments and with or without a trailing slash."""
    if draw(st.integers(0, 15)) == 0:
        return ""  # "https://host" or "https://host?q": both sides sign "/"
    segments = draw(st.lists(raw_segment, max_size=6))
    path = "/" + "/".join(segments)
    if draw(st.booleans()):
        path += "/"
    return path


def s3_encode(key: str) -> str:
    """How botocore's serializer puts a key in the URL: percent_encode(key, safe='/~')."""
    return quote(key.encode("utf-8"), safe="/~")


s3_key = st.one_of(
    text_of(st.one_of(key_char, st.just("/")), min_size=1, max_size=16),
    st.sampled_from(["a/../b", "./x", "a//b", "dir/", "test$file.text", "a+b", "a%2Bb", "~user"]),
)
bucket_name = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,14}[a-z0-9]", fullmatch=True)


@st.composite
def s3_paths(draw: st.DrawFn, bucket: str, virtual: bool) -> str:
    key = draw(st.one_of(st.none(), s3_key))
    prefix = "" if virtual else "/" + bucket
    if key is None:
        return prefix + "/" if virtual or draw(st.booleans()) else prefix
    return f"{prefix}/{s3_encode(key)}"


def canonical_encode(text: str) -> str:
    """Every UTF-8 byte except A-Z a-z 0-9 - . _ ~ as upper-case %XX (K1, K2, K7)."""
    return quote(text.encode("utf-8"), safe="-_.~")


_RAW_IN_QUERY = frozenset("!$'()*,;:@/?")  # allowed raw in a query (RFC 3986), not & = + # %


@st.composite
def loose_encode(draw: st.DrawFn, text: str, *, raw_plus: bool) -> str:
    """Any spelling a server decodes to `text`: lower-case escapes, %7E, raw reserved characters
    and, if `raw_plus`, '+' for a space. Only for the query variants, where both signers decode."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        escapes = [f"%{byte:02X}", f"%{byte:02x}"]
        if char.isascii() and (char.isalnum() or char in "-._~" or char in _RAW_IN_QUERY):
            choices = [char, char, *escapes]
        elif char == " " and raw_plus:
            choices = ["+", *escapes]
        else:
            choices = escapes
        out.append(draw(st.sampled_from(choices)))
    return "".join(out)


QUERY_NAMES = ["a", "A", "b", "key", "prefix", "list-type", "x y", "a+b", "é", "中文", "k=v", "a/b"]
query_name = st.one_of(st.sampled_from(QUERY_NAMES), key_text)
# None: a bare name ("key"); "": an empty value ("key=").
query_value = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(["+", " ", "/", "a+b", "a b", "1/2", "%", "=", "&"]),
    key_text,
)


@st.composite
def query_strings(
    draw: st.DrawFn,
    *,
    unique: bool = False,
    loose: bool = False,
    names: st.SearchStrategy[str] = query_name,
    forbidden: frozenset[str] = frozenset(),
) -> str | None:
    """A query as sent, or None for no '?'. Repeated names unless `unique` (F6)."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return None
    if choice == 1:
        return ""  # a lone '?'
    pairs = draw(st.lists(st.tuples(names, query_value), min_size=1, max_size=6))
    seen: set[str] = set()
    parts = []
    for name, value in pairs:
        if name.lower().startswith("x-amz-") or name in forbidden:
            continue  # the signers' own parameters
        if unique and name in seen:
            continue
        seen.add(name)
        if name == "" and value is None:
            value = ""  # a bare empty name is an empty segment (K3)
        if loose:
            enc_name = draw(loose_encode(name, raw_plus=True))
            enc_value = None if value is None else draw(loose_encode(value, raw_plus=True))
        else:
            enc_name = canonical_encode(name)
            enc_value = None if value is None else canonical_encode(value)
        parts.append(enc_name if enc_value is None else f"{enc_name}={enc_value}")
    return "&".join(parts)


# Header values: printable ASCII plus space and tab, Latin-1 letters and NBSP (obs-text), with
# leading, trailing and inner runs of blanks.
blank_run = text_of(st.sampled_from(" \t"), max_size=3)
value_char = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from([" ", "  ", "\t", " \t ", "\t\t"]),
    st.characters(min_codepoint=0xA0, max_codepoint=0xFF),
)
header_value = st.builds(
    lambda a, b, c: a + b + c, blank_run, text_of(value_char, max_size=16), blank_run
)
TOKEN_CHARS = "!#$%&'*+-.^_`|~" + string.ascii_lowercase + string.digits
COMMON_NAMES = [
    "Content-Type",
    "Content-MD5",
    "Content-Encoding",
    "Range",
    "If-Match",
    "Cache-Control",
    "Accept",
    "X-Custom",
    "My-Header1",
    "X-Amz-Meta-Foo",
    "x-amz-meta-bar",
    "X-Amz-Acl",
    "x-amz-storage-class",
    "x-amz-meta-e",
]


def flip_case(name: str, bits: int) -> str:
    return "".join(c.upper() if bits >> (i % 30) & 1 else c.lower() for i, c in enumerate(name))


@st.composite
def header_names(draw: st.DrawFn, exclude: frozenset[str]) -> str:
    base = draw(
        st.one_of(
            st.sampled_from(COMMON_NAMES),
            text_of(st.sampled_from(TOKEN_CHARS), min_size=1, max_size=8).map(lambda s: "x-" + s),
            text_of(st.sampled_from(TOKEN_CHARS), min_size=1, max_size=6).map(
                lambda s: "x-amz-" + s
            ),
        )
    )
    if base.lower() in exclude:
        return "x-other"
    return flip_case(base, draw(st.integers(0, 2**30 - 1)))


V4_EXCLUDED = RESERVED_HEADER_NAMES | BOTOCORE_ONLY_UNSIGNED | SIGKIT_ONLY_UNSIGNED  # F1, F3, F10


@st.composite
def header_lists(
    draw: st.DrawFn, exclude: frozenset[str] = V4_EXCLUDED, max_size: int = 6
) -> list[tuple[str, str]]:
    """Headers with repeated names (names are drawn from small pools), in random case."""
    headers = draw(st.lists(st.tuples(header_names(exclude), header_value), max_size=max_size))
    return [
        (n, v) for n, v in headers if not (n.lower() == "content-type" and v == FORM_CONTENT_TYPE)
    ]


hostnames = st.one_of(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,8}){0,3}", fullmatch=True),
    st.sampled_from(["127.0.0.1", "[::1]", "[2001:db8::1]", "s3.amazonaws.com", "example.com"]),
)


@st.composite
def authorities(draw: st.DrawFn, host: str | None = None) -> str:
    host = host if host is not None else draw(hostnames)
    port = draw(st.one_of(st.none(), st.sampled_from([80, 443]), st.integers(1, 65535)))
    return host if port is None else f"{host}:{port}"


schemes = st.sampled_from(["https", "http"])
methods = st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS", "PROPFIND"])
regions = st.from_regex(r"[A-Za-z0-9._-]{1,16}", fullmatch=True)
services = st.one_of(st.sampled_from(["service", "iam", "sts", "execute-api", "dynamodb"]), regions)
signing_times = st.datetimes(
    min_value=dt.datetime(1970, 1, 1),
    max_value=dt.datetime(9999, 12, 31),
    timezones=st.just(dt.UTC),
)
bodies = st.one_of(st.none(), st.binary(max_size=300))
expires_v4 = st.one_of(st.just(3600), st.integers(1, 604800))


@st.composite
def credentials(draw: st.DrawFn) -> Credentials:
    access = draw(
        text_of(
            st.sampled_from(string.ascii_letters + string.digits + "-_.+=:é"),
            min_size=1,
            max_size=20,
        )
    )
    secret = draw(text_of(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40))  # type: ignore[arg-type]
    token = draw(
        st.one_of(
            st.none(),
            text_of(
                st.sampled_from(string.ascii_letters + string.digits + "+/="),
                min_size=1,
                max_size=60,
            ),
        )
    )
    return Credentials(access, secret, token)


def url_of(scheme: str, authority: str, path: str, query: str | None) -> str:
    return f"{scheme}://{authority}{path}" + ("" if query is None else "?" + query)


def with_host_header(draw: st.DrawFn, headers: list[tuple[str, str]], authority: str) -> None:
    """Sometimes send an explicit Host header: the URL's authority or another host[:port] (sigkit
    refuses a Host that is not one), in any case, with blanks around, first or last."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        headers.insert(0, (flip_case("host", draw(st.integers(0, 15))), authority))
    elif choice == 1:
        other = flip_case(draw(authorities()), draw(st.integers(0, 2**30 - 1)))
        headers.append(("Host", draw(blank_run) + other + draw(blank_run)))


# ---------------------------------------------------------------------------------- comparisons


def header_multiset(headers: Any) -> Counter[tuple[str, str]]:
    return Counter((name.lower(), value) for name, value in headers)


def assert_same_headers(sigkit_request: Request, boto_request: Any, had_host: bool) -> None:
    """Both sides send the same headers (sigkit also writes the Host it derived; botocore leaves
    that to its HTTP layer)."""
    ours = header_multiset(sigkit_request.headers)
    if not had_host:
        ours[("host", sigkit_request.host)] -= 1
        ours = +ours
    assert ours == header_multiset(boto_request.headers.items())


def assert_v4_same(seen: dict[str, str], result: sigkit.SigningResult) -> None:
    assert result["canonical_request"] == seen["canonical_request"]
    assert result["string_to_sign"] == seen["string_to_sign"]
    assert result["signature"] == seen["signature"]


def query_pairs(query: str | None) -> Counter[tuple[str, str]]:
    return Counter(parse_qsl(query or "", keep_blank_values=True))


def boto_query(request: Any) -> str:
    return str(urlsplit(request.url).query)


def boto_path(request: Any) -> str:
    """The path botocore sends ("https://host" is sent as "/")."""
    return urlsplit(request.url).path or "/"


# ------------------------------------------------------------------------- 1. generic SigV4 header


@st.composite
def generic_v4_cases(draw: st.DrawFn) -> dict[str, Any]:
    when = draw(signing_times)
    authority = draw(authorities())
    headers = draw(header_lists())
    with_host_header(draw, headers, authority)
    body = draw(bodies)
    extra = draw(st.integers(0, 7))
    if extra == 0:
        # A caller's X-Amz-Date equal to the signing time (F10: equal only).
        headers.append(("x-amz-date", when.strftime("%Y%m%dT%H%M%SZ")))
    elif extra == 1:
        # A caller's payload hash, trimmed (F5); both sides then sign it as the payload line.
        value = draw(
            st.sampled_from(["UNSIGNED-PAYLOAD", hashlib.sha256(body or b"").hexdigest(), "0" * 64])
        )
        headers.append(("X-Amz-Content-SHA256", value))
    return {
        "when": when,
        "method": draw(methods),
        "url": url_of(draw(schemes), authority, draw(generic_paths()), draw(query_strings())),
        "headers": headers,
        "body": body,
        "stream": draw(st.booleans()),
        "creds": draw(credentials()),
        "region": draw(regions),
        "service": draw(services),
    }


@settings(
    max_examples=EXAMPLES_V4_HEADER, deadline=None, derandomize=False, suppress_health_check=SLOW
)
@given(generic_v4_cases())
def test_generic_sigv4_header_matches_botocore(case: dict[str, Any]) -> None:
    signer = RecSigV4Auth(boto_creds(case["creds"]), case["service"], case["region"])
    seen, signed = botocore_sign(
        signer,
        case["when"],
        case["method"],
        case["url"],
        case["headers"],
        case["body"],
        stream=case["stream"],
    )
    body = io.BytesIO(case["body"]) if case["stream"] and case["body"] is not None else case["body"]
    request = Request.from_url(case["method"], case["url"], case["headers"], body)
    config = SigV4Config.generic(case["region"], case["service"])
    result = sigkit.sign_v4(request, case["creds"], case["when"], config)
    assert_v4_same(seen, result)
    assert result["authorization"] == signed.headers["Authorization"]
    had_host = request.header("host") is not None
    assert_same_headers(result.request, signed, had_host)


@settings(max_examples=EXAMPLES_SMALL, deadline=None, derandomize=False, suppress_health_check=SLOW)
@given(
    generic_v4_cases(),
    st.lists(st.sampled_from(sorted(DISPUTED_UNSIGNED)), min_size=1, max_size=4),
    st.data(),
)
def test_unsigned_headers_configurable_to_botocore_list(
    case: dict[str, Any], names: list[str], data: st.DataObject
) -> None:
    """F1: with `unsigned_headers` set to botocore's list, the names the two default lists
    disagree on are signed alike."""
    headers = case["headers"] + [
        (flip_case(n, data.draw(st.integers(0, 2**20))), data.draw(header_value)) for n in names
    ]
    signer = RecSigV4Auth(boto_creds(case["creds"]), case["service"], case["region"])
    seen, signed = botocore_sign(signer, case["when"], "GET", case["url"], headers)
    request = Request.from_url("GET", case["url"], headers)
    config = SigV4Config.generic(
        case["region"],
        case["service"],
        unsigned_headers=frozenset(SIGNED_HEADERS_BLACKLIST) | {"authorization"},
    )
    result = sigkit.sign_v4(request, case["creds"], case["when"], config)
    assert_v4_same(seen, result)
    assert result["authorization"] == signed.headers["Authorization"]


# -------------------------------------------------------------------------- 2. generic SigV4 query


@st.composite
def generic_v4_query_cases(draw: st.DrawFn) -> dict[str, Any]:
    authority = draw(authorities())
    headers = draw(header_lists(max_size=4))
    with_host_header(draw, headers, authority)
    query = draw(query_strings(unique=True, loose=draw(st.booleans())))  # F6
    return {
        "when": draw(signing_times),
        "method": draw(methods),
        "url": url_of(draw(schemes), authority, draw(generic_paths()), query),
        "headers": headers,
        "creds": draw(credentials()),
        "region": draw(regions),
        "service": draw(services),
        "expires": draw(expires_v4),
    }


def check_query_variant(
    case: dict[str, Any], seen: dict[str, str], signed: Any, result: sigkit.SigningResult
) -> None:
    assert_v4_same(seen, result)
    # botocore rewrites the caller's query (decoded, re-encoded, reordered); sigkit keeps it as
    # written. Both URLs carry the same parameters once decoded, the same signature included.
    assert result.request.path == boto_path(signed)
    ours = query_pairs(result.request.query)
    assert ours == query_pairs(boto_query(signed))
    assert ("X-Amz-Signature", seen["signature"]) in ours
    had_host = Request.from_url("GET", case["url"], case["headers"]).header("host") is not None
    assert_same_headers(result.request, signed, had_host)


@settings(
    max_examples=EXAMPLES_V4_QUERY, deadline=None, derandomize=False, suppress_health_check=SLOW
)
@given(generic_v4_query_cases())
def test_generic_sigv4_query_matches_botocore(case: dict[str, Any]) -> None:
    signer = RecSigV4QueryAuth(
        boto_creds(case["creds"]), case["service"], case["region"], expires=case["expires"]
    )
    seen, signed = botocore_sign(signer, case["when"], case["method"], case["url"], case["headers"])
    request = Request.from_url(case["method"], case["url"], case["headers"])
    config = SigV4Config.generic(case["region"], case["service"], expires=case["expires"])
    result = sigkit.sign_v4_query(request, case["creds"], case["when"], config)
    check_query_variant(case, seen, signed, result)


# ------------------------------------------------------------------------------- 3. S3 SigV4 header


@st.composite
def s3_target(draw: st.DrawFn, *, loose_query: bool) -> tuple[str, str]:
    """(authority, path?query) for a path-style or virtual-hosted S3 request."""
    bucket = draw(bucket_name)
    virtual = draw(st.booleans())
    host = draw(
        st.sampled_from(
            [f"{bucket}.s3.amazonaws.com", f"{bucket}.s3.eu-west-1.amazonaws.com"]
            if virtual
            else ["s3.amazonaws.com", "s3.us-west-2.amazonaws.com", "127.0.0.1", "minio.local"]
        )
    )
    authority = draw(authorities(host))
    path = draw(s3_paths(bucket, virtual))
    query = draw(query_strings(unique=loose_query, loose=loose_query))
    return authority, path + ("" if query is None else "?" + query)


@st.composite
def s3_v4_cases(draw: st.DrawFn) -> dict[str, Any]:
    authority, target = draw(s3_target(loose_query=False))
    headers = draw(header_lists())
    with_host_header(draw, headers, authority)
    body = draw(bodies)
    if draw(st.integers(0, 5)) == 0:
        # The caller's own x-amz-content-sha256, equal to the body hash botocore computes (F10).
        headers.append(("x-amz-content-sha256", hashlib.sha256(body or b"").hexdigest()))
    return {
        "when": draw(signing_times),
        "method": draw(methods),
        "url": f"{draw(schemes)}://{authority}{target}",
        "headers": headers,
        "body": body,
        "stream": draw(st.booleans()),
        "creds": draw(credentials()),
        "region": draw(regions),
    }


@settings(
    max_examples=EXAMPLES_S3_HEADER, deadline=None, derandomize=False, suppress_health_check=SLOW
)
@given(s3_v4_cases())
def test_s3_sigv4_header_matches_botocore(case: dict[str, Any]) -> None:
    # No client config and no streaming flag in the request context: S3SigV4Auth hashes the body
    # (over http and https alike) and sends the hash as X-Amz-Content-SHA256, which is what
    # SigV4Config.s3() does with payload_hash=None.
    signer = RecS3SigV4Auth(boto_creds(case["creds"]), "s3", case["region"])
    seen, signed = botocore_sign(
        signer,
        case["when"],
        case["method"],
        case["url"],
        case["headers"],
        case["body"],
        stream=case["stream"],
    )
    body = io.BytesIO(case["body"]) if case["stream"] and case["body"] is not None else case["body"]
    request = Request.from_url(case["method"], case["url"], case["headers"], body)
    result = sigkit.sign_v4(request, case["creds"], case["when"], SigV4Config.s3(case["region"]))
    assert_v4_same(seen, result)
    assert result["authorization"] == signed.headers["Authorization"]
    assert_same_headers(result.request, signed, request.header("host") is not None)


# ------------------------------------------------------------------------------ 4. S3 SigV4 presign


@st.composite
def s3_presign_cases(draw: st.DrawFn) -> dict[str, Any]:
    authority, target = draw(s3_target(loose_query=True))
    headers = draw(header_lists(max_size=3))
    with_host_header(draw, headers, authority)
    return {
        "when": draw(signing_times),
        "method": draw(methods),
        "url": f"{draw(schemes)}://{authority}{target}",
        "headers": headers,
        "creds": draw(credentials()),
        "region": draw(regions),
        "expires": draw(expires_v4),
    }


@settings(
    max_examples=EXAMPLES_S3_QUERY, deadline=None, derandomize=False, suppress_health_check=SLOW
)
@given(s3_presign_cases())
def test_s3_sigv4_presign_matches_botocore(case: dict[str, Any]) -> None:
    signer = RecS3SigV4QueryAuth(
        boto_creds(case["creds"]), "s3", case["region"], expires=case["expires"]
    )
    seen, signed = botocore_sign(signer, case["when"], case["method"], case["url"], case["headers"])
    request = Request.from_url(case["method"], case["url"], case["headers"])
    config = SigV4Config.s3(
        case["region"], payload_hash="UNSIGNED-PAYLOAD", expires=case["expires"]
    )
    result = sigkit.sign_v4_query(request, case["creds"], case["when"], config)
    check_query_variant(case, seen, signed, result)


# ---------------------------------------------------------------------------------- 5. S3 V2 header

V2_EXCLUDED = RESERVED_HEADER_NAMES  # K5, K6, F10


def v2_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """At most one Content-Type and one Content-MD5 (F7)."""
    seen: set[str] = set()
    out = []
    for name, value in headers:
        lname = name.lower()
        if lname in ("content-type", "content-md5"):
            if lname in seen:
                continue
            seen.add(lname)
        out.append((name, value))
    return out


# V2 signs the path as sent on both sides (docs/server-behaviour.md Q10), so keys may also hold
# raw reserved characters there.
v2_raw_key = text_of(
    st.sampled_from(string.ascii_letters + string.digits + RESERVED_CHARS + "-._~/"),
    min_size=1,
    max_size=10,
)
v2_query_name = st.one_of(
    st.sampled_from(sorted(SUBRESOURCES)), st.sampled_from(["prefix", "max-keys", "x-id"]), key_text
)
V2_QUERY_FORBIDDEN = frozenset({"AWSAccessKeyId", "Signature", "Expires"})


@st.composite
def v2_cases(draw: st.DrawFn, *, loose_query: bool) -> dict[str, Any]:
    bucket = draw(bucket_name)
    addressing = draw(st.sampled_from(["path", "virtual-hosted", "service"]))
    if addressing == "virtual-hosted":
        host = draw(st.sampled_from([f"{bucket}.s3.amazonaws.com", "cdn.example.com"]))
        path = draw(st.one_of(s3_paths(bucket, True), v2_raw_key.map(lambda k: "/" + k)))
        auth_path = f"/{bucket}{path}"  # what botocore's S3 client sets for virtual hosts
    elif addressing == "path":
        host = draw(st.sampled_from(["s3.amazonaws.com", "127.0.0.1", "minio.local"]))
        path = draw(st.one_of(s3_paths(bucket, False), v2_raw_key.map(lambda k: f"/{bucket}/{k}")))
        auth_path = None
    else:
        host, path, auth_path = "s3.amazonaws.com", "/", None
    authority = draw(authorities(host))
    query = draw(
        query_strings(
            names=v2_query_name, loose=loose_query, unique=False, forbidden=V2_QUERY_FORBIDDEN
        )
    )
    # Both V2 signers percent-decode sub-resource values and neither reads a raw '+' as a space
    # (botocore's HmacV1Auth.unquote_v; sigkit's S3V2Config.plus_as_space defaults to False), so
    # loose spellings, raw '+' included, are generated for V2 too.
    headers = v2_headers(draw(header_lists(exclude=V2_EXCLUDED)))
    with_host_header(draw, headers, authority)
    return {
        "when": draw(signing_times),
        "method": draw(methods),
        "url": url_of(draw(schemes), authority, path, query),
        "headers": headers,
        "body": draw(bodies),
        "creds": draw(credentials()),
        "config": S3V2Config(
            bucket=None if addressing == "service" else bucket,
            addressing=addressing,  # type: ignore[arg-type]
        ),
        "auth_path": auth_path,
        "expires": draw(st.one_of(st.just(3600), st.integers(1, 604800))),
    }


@settings(
    max_examples=EXAMPLES_V2_HEADER, deadline=None, derandomize=False, suppress_health_check=SLOW
)
@given(v2_cases(loose_query=True))
def test_s3_v2_header_matches_botocore(case: dict[str, Any]) -> None:
    signer = RecHmacV1Auth(boto_creds(case["creds"]))
    seen, signed = botocore_sign(
        signer,
        case["when"],
        case["method"],
        case["url"],
        case["headers"],
        case["body"],
        auth_path=case["auth_path"],
    )
    request = Request.from_url(case["method"], case["url"], case["headers"], case["body"])
    result = sigkit.sign_v2(request, case["creds"], case["when"], case["config"])
    assert result["string_to_sign"] == seen["string_to_sign"]
    assert result["signature"] == seen["signature"]
    assert result["authorization"] == signed.headers["Authorization"]
    assert_same_headers(result.request, signed, request.header("host") is not None)


# ----------------------------------------------------------------------------------- 6. S3 V2 query


@settings(
    max_examples=EXAMPLES_V2_QUERY, deadline=None, derandomize=False, suppress_health_check=SLOW
)
@given(v2_cases(loose_query=True))
def test_s3_v2_query_matches_botocore(case: dict[str, Any]) -> None:
    # Whole seconds: sigkit computes Expires as int(when.timestamp()), and the float rounds
    # .999999 s up to the next second after about year 2242 (B3 in test_properties_input.py).
    when = case["when"].replace(microsecond=0)
    signer = RecHmacV1QueryAuth(boto_creds(case["creds"]), expires=case["expires"])
    seen, signed = botocore_sign(
        signer,
        when,
        case["method"],
        case["url"],
        case["headers"],
        auth_path=case["auth_path"],
    )
    request = Request.from_url(case["method"], case["url"], case["headers"])
    config = S3V2Config(
        bucket=case["config"].bucket,
        addressing=case["config"].addressing,
        expires_in=case["expires"],
    )
    result = sigkit.sign_v2_query(request, case["creds"], when, config)
    assert result["string_to_sign"] == seen["string_to_sign"]
    assert result["signature"] == seen["signature"]
    # F9: botocore also moves x-amz-*, Content-Type and Content-MD5 headers into the query.
    ours, theirs = query_pairs(result.request.query), query_pairs(boto_query(signed))
    moved = theirs - ours
    assert not ours - theirs
    for name, _ in moved:
        assert name.startswith("x-amz-") or name in ("content-type", "content-md5"), name
    assert ("Signature", seen["signature"]) in ours
    assert result.request.path == boto_path(signed)


# ------------------------------------------------------------- documented differences, asserted


@settings(max_examples=EXAMPLES_SMALL, deadline=None, derandomize=False, suppress_health_check=SLOW)
@given(
    key_text.filter(lambda t: " " not in t and "+" not in t),
    key_text.filter(lambda t: " " not in t and "+" not in t),
    credentials(),
    signing_times,
)
def test_raw_plus_in_query_documented_difference(
    left: str, right: str, creds: Credentials, when: dt.datetime
) -> None:
    """K1: `x=<a>+<b>` is signed by sigkit as `x=<a>%20<b>` (docs/server-behaviour.md Q1), by
    botocore's header variant as written; `x=<a>%20<b>` is signed alike by both."""
    raw = f"x={canonical_encode(left)}+{canonical_encode(right)}"
    spaced = raw.replace("+", "%20")
    url = "https://example.com/"
    signer = RecSigV4Auth(boto_creds(creds), "service", "us-east-1")
    config = SigV4Config.generic("us-east-1", "service")
    seen_raw, _ = botocore_sign(signer, when, "GET", f"{url}?{raw}", [])
    result_raw = sigkit.sign_v4(Request.from_url("GET", f"{url}?{raw}"), creds, when, config)
    assert result_raw["canonical_query"] == spaced
    assert seen_raw["canonical_request"].split("\n")[2] == raw
    seen_spaced, _ = botocore_sign(signer, when, "GET", f"{url}?{spaced}", [])
    result_spaced = sigkit.sign_v4(Request.from_url("GET", f"{url}?{spaced}"), creds, when, config)
    assert result_spaced["canonical_request"] == seen_spaced["canonical_request"]
    assert result_raw["signature"] == result_spaced["signature"]


def _v2_date_line(string_to_sign: str) -> str:
    return string_to_sign.split("\n")[3]


@settings(max_examples=EXAMPLES_SMALL, deadline=None, derandomize=False, suppress_health_check=SLOW)
@given(v2_cases(loose_query=False), signing_times)
def test_v2_caller_date_is_kept(case: dict[str, Any], caller_time: dt.datetime) -> None:
    """K6: sigkit signs a caller's Date as sent and adds none (vectors README, S3 V2 header
    variant: "the date being signed is the Date header present in request.txt"); botocore signs
    its own clock instead. Apart from the Date line the strings to sign are the same."""
    caller_date = email.utils.format_datetime(caller_time, usegmt=True)
    headers = [*case["headers"], ("Date", caller_date)]
    request = Request.from_url(case["method"], case["url"], headers)
    result = sigkit.sign_v2(request, case["creds"], case["when"], case["config"])
    assert _v2_date_line(result["string_to_sign"]) == caller_date
    assert caller_date in result["string_to_sign"]
    assert "Date" not in result["headers_added"]
    seen, _ = botocore_sign(
        RecHmacV1Auth(boto_creds(case["creds"])),
        case["when"],
        case["method"],
        case["url"],
        headers,
        auth_path=case["auth_path"],
    )
    botocore_date = email.utils.format_datetime(case["when"], usegmt=True)
    assert _v2_date_line(seen["string_to_sign"]) == botocore_date
    ours = result["string_to_sign"].split("\n")
    theirs = seen["string_to_sign"].split("\n")
    assert ours[:3] + ours[4:] == theirs[:3] + theirs[4:]


@settings(max_examples=EXAMPLES_SMALL, deadline=None, derandomize=False, suppress_health_check=SLOW)
@given(v2_cases(loose_query=False), st.booleans())
def test_v2_x_amz_date_documented_difference(case: dict[str, Any], with_date: bool) -> None:
    """K5: with x-amz-date, sigkit's Date line is empty and x-amz-date is signed among the
    x-amz-* headers ("Signing and authenticating REST requests", AWS S3 docs;
    docs/server-behaviour.md Q10); botocore's Date line holds its own clock."""
    amz_date = email.utils.format_datetime(case["when"], usegmt=True)
    headers = [*case["headers"], ("x-amz-date", amz_date)]
    if with_date:
        headers.append(("Date", "Tue, 27 Mar 2007 19:36:42 +0000"))
    request = Request.from_url(case["method"], case["url"], headers)
    result = sigkit.sign_v2(request, case["creds"], case["when"], case["config"])
    assert _v2_date_line(result["string_to_sign"]) == ""
    assert f"\nx-amz-date:{amz_date}\n" in result["string_to_sign"]
    seen, _ = botocore_sign(
        RecHmacV1Auth(boto_creds(case["creds"])),
        case["when"],
        case["method"],
        case["url"],
        headers,
        auth_path=case["auth_path"],
    )
    assert _v2_date_line(seen["string_to_sign"]) == amz_date
    ours = result["string_to_sign"].split("\n")
    theirs = seen["string_to_sign"].split("\n")
    assert ours[:3] + ours[4:] == theirs[:3] + theirs[4:]

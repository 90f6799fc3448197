"""The cheap request model: its fast paths decide exactly what the full checks decide.

`Request.from_url` and the constructor check a common request (a plain http(s) URL, ASCII
header values) with a pattern and a check per header pair, each remembered, and everything
else with the per-part checks that name the fault. These tests hold the two to the same
answer: each input is run through both, and the full checks (`split_url`, `check_headers`)
are the reference.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigkit.errors import InputError
from sigkit.http import (
    _PLAIN_URL,
    Request,
    check_header,
    check_headers,
    plain_headers,
    split_url,
)

# Characters that make the fast paths give up, and those they accept, mixed.
_EDGY = "\x00\t\n\r \x7f\"#%&'()*+,:;<=>?@[\\]^`{|}~é€\udcff/.-_AZaz09:"
text = st.text(alphabet=st.sampled_from(list(_EDGY) + list(string.ascii_letters)), max_size=12)
hosts = st.one_of(
    st.sampled_from(["h", "b.s3.amazonaws.com", "127.0.0.1", "[::1]", "H-1.example", "a_b"]),
    text,
)
ports = st.one_of(st.just(""), st.sampled_from([":0", ":1", ":80", ":65535", ":65536", ":99999"]))


def _full(method: str, url: str, headers: list[tuple[str, str]]) -> Request | str:
    """The full checks alone: what `from_url` must give, or the error it must raise."""
    try:
        scheme, authority, path, query = split_url(url)
        for name, value in headers:
            check_header(name, value)
        return Request(method, path, query, tuple(headers), None, scheme, authority)
    except InputError as exc:
        return f"{exc.field}: {exc.message}"


def _fast(method: str, url: str, headers: list[tuple[str, str]]) -> Request | str:
    try:
        return Request.from_url(method, url, headers)
    except InputError as exc:
        return f"{exc.field}: {exc.message}"


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp", "http "]),
    host=hosts,
    port=ports,
    path=st.one_of(st.just(""), text.map(lambda t: "/" + t)),
    query=st.one_of(st.none(), text),
)
def test_from_url_reads_any_url_as_the_full_checks_do(
    scheme: str, host: str, port: str, path: str, query: str | None
) -> None:
    url = f"{scheme}://{host}{port}{path}" + ("" if query is None else f"?{query}")
    assert _fast("GET", url, []) == _full("GET", url, [])


@settings(max_examples=400, deadline=None)
@given(
    headers=st.lists(
        st.tuples(
            st.one_of(st.sampled_from(["Host", "host", "HOST", "X-A", "x:y", ""]), text),
            st.one_of(st.sampled_from(["h", " h:80 ", "v", "a\n b", ""]), text),
        ),
        max_size=4,
    ),
    method=st.sampled_from(["GET", "PUT", "get", "MKCOL", "", "G T", "GÉT"]),
)
def test_from_url_checks_any_headers_as_the_full_checks_do(
    headers: list[tuple[str, str]], method: str
) -> None:
    url = "https://b.s3.amazonaws.com/k?x=1"
    assert _fast(method, url, headers) == _full(method, url, headers)


@settings(max_examples=400, deadline=None)
@given(
    headers=st.lists(
        st.tuples(
            st.one_of(st.sampled_from(["Host", "hOsT", "X-A"]), text),
            st.one_of(st.sampled_from(["h", "[::1]:8080", "a\n b", "a\nb", "a\n"]), text),
        ),
        max_size=4,
    )
)
def test_plain_headers_vouches_only_for_what_the_full_checks_accept(
    headers: list[tuple[str, str]],
) -> None:
    pairs = tuple(headers)
    first = plain_headers(pairs)
    assert plain_headers(pairs) == first  # the second time, from the cache of checked pairs
    if first:
        check_headers(pairs)  # neither raises
        check_headers(pairs, allow_folding=True)


def test_the_fast_paths_take_the_common_request() -> None:
    """The benchmark's requests are decided by the patterns, not by the fallback."""
    url = "https://examplebucket.s3.us-east-1.amazonaws.com/photos/2026/cat.jpg?a=1&b"
    match = _PLAIN_URL.match(url)
    assert match is not None
    assert (match[1], match[2], match[4], match[5]) == split_url(url)
    headers = (("Host", "examplebucket.s3.us-east-1.amazonaws.com"), ("X-Amz-Meta-A", "a\tb"))
    assert plain_headers(headers)
    assert not plain_headers((("Host", "h"), ("host", "h")))  # the full check names it
    assert not plain_headers((("X-A", "caf\u00e9"),))  # non-ASCII: the full check decides


@pytest.mark.parametrize(
    ("url", "headers", "error"),
    [
        ("https://h:65536/", [], "url: port 65536 is out of range 1-65535"),
        ("https://h/#f", [], "url: a #fragment is never sent to the server; remove it"),
        ("https://h/", [("Host", "h"), ("HOST", "h")], "header Host: sent more than once"),
        ("https://h/", [("X-A", "a\nb")], "header X-A: value contains the control character '\\n'"),
        ("https://h/", [("X\nA", "v")], "header 'X\\nA': name may hold only letters, digits and "
         "!#$%&'*+-.^_`|~"),
    ],
)  # fmt: skip
def test_refusals_name_the_part_at_fault(
    url: str, headers: list[tuple[str, str]], error: str
) -> None:
    assert _fast("GET", url, headers) == error


def test_header_caches_hold_no_credential_and_are_forgotten() -> None:
    """The checked and folded header pairs are remembered (a program repeats its headers), but
    never an Authorization or session-token pair, and `forget_keys()` empties them."""
    from sigkit.credentials import Credentials
    from sigkit.http import _CHECKED
    from sigkit.keycache import forget_keys
    from sigkit.sigv4.canonical import _FOLDED
    from sigkit.sigv4.config import SigV4Config
    from sigkit.sigv4.signer import sign_v4
    from sigkit.timefmt import parse_time

    headers = [("Host", "b.s3.amazonaws.com"), ("X-Amz-Security-Token", "tok"), ("X-A", " a  b ")]
    request = Request.from_url("GET", "https://b.s3.amazonaws.com/k", headers)
    result = sign_v4(
        request,
        Credentials("AKIDEXAMPLE", "secret", "tok"),
        parse_time("20150830T123600Z"),
        SigV4Config.s3("us-east-1"),
    )
    assert "x-a:a b\n" in result["canonical_headers"]
    assert _CHECKED[("X-A", " a  b ")] == 0 and _CHECKED[headers[0]] == 1
    assert _FOLDED[("X-A", " a  b ")] == ("x-a", "a b")
    every_pair = [*_CHECKED, *_FOLDED]
    assert not [p for p in every_pair if p[0].lower() in ("x-amz-security-token", "authorization")]
    again = Request.from_url("GET", "https://b.s3.amazonaws.com/k", headers)  # from the caches
    assert again == request
    from sigkit.http import _remembered_url

    assert _remembered_url.cache_info().currsize
    forget_keys()
    assert not _CHECKED and not _FOLDED
    assert _remembered_url.cache_info().currsize == 0


@pytest.mark.parametrize(
    "name",
    ["Cookie", "Proxy-Authorization", "x-amz-server-side-encryption-customer-key",
     "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key", "x-api-key",
     "x-amz-s3session-token", "X-Amz-Security-Token", "Authorization"],
)  # fmt: skip
def test_no_cache_keeps_a_header_that_may_carry_a_credential(name: str) -> None:
    """Cookies, proxy credentials, SSE-C keys and API keys are secrets as much as a session
    token: neither the checked-pair nor the folded-pair cache keeps them, yet they are
    checked and signed as every other header."""
    from sigkit.credentials import Credentials
    from sigkit.http import _CHECKED
    from sigkit.keycache import forget_keys
    from sigkit.sigv4.canonical import _FOLDED
    from sigkit.sigv4.config import SigV4Config
    from sigkit.sigv4.signer import sign_v4
    from sigkit.timefmt import parse_time

    forget_keys()
    secret = "s3cr3t-value"
    request = Request.from_url("GET", "https://b.s3.amazonaws.com/k", [(name, secret)])
    if name.lower() == "authorization":
        headers = dict(request.headers)
        assert headers == {name: secret}
    else:
        result = sign_v4(
            request,
            Credentials("AKIDEXAMPLE", "secret"),
            parse_time("20150830T123600Z"),
            SigV4Config.s3("us-east-1"),
        )
        assert f"{name.lower()}:{secret}\n" in result["canonical_headers"]
    assert not [p for p in [*_CHECKED, *_FOLDED] if secret in p[1]]
    with pytest.raises(InputError, match="control character"):
        Request.from_url("GET", "https://b.s3.amazonaws.com/k", [(name, "a\nb")])


@pytest.mark.parametrize(
    "query",
    ["X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc",
     "X-Amz-Security-Token=tok&x=1", "AWSAccessKeyId=AK&Signature=abc%3D&Expires=1",
     "x-amz-security-token=tok"],
)  # fmt: skip
def test_a_url_whose_query_may_carry_a_credential_is_never_remembered(query: str) -> None:
    """A presigned URL (its signature, its session token) is read as any other URL, but the
    cache of URLs keeps only those whose query names no credential."""
    from sigkit.http import _remembered_url, plain_url
    from sigkit.keycache import forget_keys

    forget_keys()
    url = f"https://b.s3.amazonaws.com/k?{query}"
    assert plain_url(url) == split_url(url)
    assert Request.from_url("GET", url).query == query
    assert _remembered_url.cache_info().currsize == 0
    assert plain_url("https://b.s3.amazonaws.com/k?x-id=GetObject") is not None
    assert _remembered_url.cache_info().currsize == 1


# ------------------------------------------------ the signer's one-function path, held equal


_header_names = st.sampled_from(
    ["Host", "Content-Type", "x-amz-meta-a", "X-Amz-Meta-A", "User-Agent", "Expect", "x-b",
     "X-Amz-Date", "x-amz-content-sha256", "X-Amz-Security-Token", "Authorization"]
)  # fmt: skip
_header_values = st.sampled_from(
    ["b.s3.amazonaws.com", "v", " a  b ", "", "20150830T123600Z", "UNSIGNED-PAYLOAD", "x\ty"]
)
_configs = st.sampled_from(
    [
        ("s3", {}),
        ("s3", {"payload_hash": "UNSIGNED-PAYLOAD"}),
        ("generic", {}),
        ("generic", {"payload_hash": "UNSIGNED-PAYLOAD", "content_sha256_header": True}),
        ("generic", {"unsigned_headers": frozenset({"x-b", "content-type"})}),
        ("generic", {"normalize_path": False, "double_uri_encode": False}),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "PUT", "POST"]),
    path=st.sampled_from(["/", "/k", "/a//b/../c", "/a b+c", "/%7e/%zz", "/caf%C3%A9", "/./x/"]),
    query=st.sampled_from([None, "", "a=1"]),
    headers=st.lists(st.tuples(_header_names, _header_values), max_size=4),
    body=st.sampled_from([None, b"", b"body", "stream"]),
    token=st.sampled_from([None, "tok"]),
    config=_configs,
)
def test_the_one_function_path_signs_as_the_step_by_step_path(
    method: str,
    path: str,
    query: str | None,
    headers: list[tuple[str, str]],
    body: object,
    token: str | None,
    config: tuple[str, dict[str, object]],
) -> None:
    """sign_v4 takes `_sign_v4_plain` for the commonest request and `_sign_v4_any` (begin,
    header_additions, canonical_steps: the helpers SigV4A shares) for every other; for every
    request the first takes, both give the same steps, notes, signed request and masks."""
    import io

    from sigkit.credentials import Credentials
    from sigkit.sigv4.config import SigV4Config
    from sigkit.sigv4.signer import _sign_v4_any, _sign_v4_plain
    from sigkit.timefmt import parse_time

    kind, changes = config
    cfg = (
        SigV4Config.s3("us-east-1", **changes)
        if kind == "s3"
        else SigV4Config.generic("us-east-1", "execute-api", **changes)
    )
    when = parse_time("20150830T123600Z")
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)

    def request() -> Request:
        data = io.BytesIO(b"streamed") if body == "stream" else body
        return Request(method, path, query, tuple(headers), data, "https", "b.s3.amazonaws.com")

    def outcome(sign: object) -> object:
        try:
            result = sign(request(), creds, when, cfg)  # type: ignore[operator]
        except InputError as exc:
            return f"{exc.field}: {exc.message}"
        if result is None:
            return None
        signed = result.request
        return (
            list(result.items()),
            list(result.notes.items()),  # the order they are shown in, too
            result.sensitive,
            result.algorithm,
            result.variant,
            (signed.method, signed.path, signed.query, signed.headers, signed.authority),
        )

    plain = outcome(_sign_v4_plain)
    if plain is not None:
        assert plain == outcome(_sign_v4_any)
    if token is None and not query and not headers:
        assert plain is not None  # the commonest request does take the one-function path


def test_a_bad_url_is_named_before_headers_that_are_not_pairs() -> None:
    with pytest.raises(InputError, match="must start with http"):
        Request.from_url("GET", "ftp://h/", [("X-A",)])  # type: ignore[list-item]


# ------------------------------------------------ the caches under many signing threads


@settings(max_examples=25, deadline=None)
@given(
    requests=st.lists(
        st.tuples(
            st.sampled_from(["https://b.s3.amazonaws.com", "http://h:8080", "https://h:99999"]),
            st.one_of(st.just(""), text.map(lambda t: "/" + t)),
            st.lists(
                st.tuples(
                    st.sampled_from(["Host", "host", "X-A", "x-a", "Cookie", "X-Amz-Date", "x:y"]),
                    st.one_of(st.sampled_from(["h", " a  b ", "a\n b", "v\t"]), text),
                ),
                max_size=3,
            ),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_many_threads_signing_at_once_get_what_the_full_checks_give(
    requests: list[tuple[str, str, list[tuple[str, str]]]],
) -> None:
    """Eight threads build and sign the same requests over and over while the caches are
    kept tiny (so they fill and start over under the threads) and another thread forgets
    every key: each answer is the one the full checks and the step-by-step signer gave
    alone, before any thread started."""
    import sys
    import threading
    from unittest import mock

    from sigkit import http
    from sigkit.credentials import Credentials
    from sigkit.keycache import forget_keys
    from sigkit.sigv4 import canonical
    from sigkit.sigv4.config import SigV4Config
    from sigkit.sigv4.signer import _sign_v4_any, sign_v4
    from sigkit.timefmt import parse_time

    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    when = parse_time("20150830T123600Z")
    config = SigV4Config.s3("us-east-1")

    def answer(built: Request | str, sign: object) -> object:
        if isinstance(built, str):
            return built
        try:
            result = sign(built, creds, when, config)  # type: ignore[operator]
        except InputError as exc:
            return f"{exc.field}: {exc.message}"
        return list(result.items()), result.notes, result.request.headers

    cases = [(base + path, headers) for base, path, headers in requests]
    forget_keys()
    expected = [answer(_full("PUT", url, headers), _sign_v4_any) for url, headers in cases]
    failures: list[object] = []
    stop = threading.Event()

    def worker() -> None:
        for _ in range(15):
            for (url, headers), want in zip(cases, expected, strict=True):
                got = answer(_fast("PUT", url, headers), sign_v4)
                if got != want:
                    failures.append((url, headers, got, want))

    def forgetter() -> None:
        while not stop.is_set():
            forget_keys()

    interval = sys.getswitchinterval()
    with mock.patch.object(http, "_CHECKED_MAX", 3), mock.patch.object(
        canonical, "_FOLDED_MAX", 3
    ):
        sys.setswitchinterval(1e-6)
        try:
            threads = [threading.Thread(target=worker) for _ in range(8)]
            chaos = threading.Thread(target=forgetter)
            chaos.start()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            stop.set()
            chaos.join()
        finally:
            sys.setswitchinterval(interval)
    assert failures == []


@settings(max_examples=300, deadline=None)
@given(
    path=text.map(lambda t: "/" + t),
    headers=st.lists(
        st.tuples(st.one_of(_header_names, text), st.one_of(_header_values, text)), max_size=4
    ),
    body=st.one_of(st.none(), st.binary(max_size=40)),
    payload=st.sampled_from([None, "UNSIGNED-PAYLOAD"]),
    s3=st.booleans(),
)
def test_the_one_function_path_signs_any_text_as_the_step_by_step_path(
    path: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
    payload: str | None,
    s3: bool,
) -> None:
    """As above, over any path and header text the request model accepts (escapes, '+',
    dots, non-ASCII, whitespace runs, repeated names in any case)."""
    from hypothesis import assume, event

    from sigkit.credentials import Credentials
    from sigkit.sigv4.config import SigV4Config
    from sigkit.sigv4.signer import _sign_v4_any, _sign_v4_plain
    from sigkit.timefmt import parse_time

    try:
        request = Request("PUT", path, None, tuple(headers), body, "https", "b.example:8443")
    except InputError:
        assume(False)
        raise
    cfg = (
        SigV4Config.s3("eu-west-1", payload_hash=payload)
        if s3
        else SigV4Config.generic("eu-west-1", "execute-api", payload_hash=payload)
    )
    when = parse_time("20260102T030405Z")
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    def outcome(sign: Any) -> object:
        try:
            result = sign(request, creds, when, cfg)
        except InputError as exc:
            return f"{exc.field}: {exc.message}"
        if result is None:
            return None
        return (
            list(result.items()),
            list(result.notes.items()),
            result.sensitive,
            result.request.headers,
            result.request.query,
        )

    plain = outcome(_sign_v4_plain)
    event("one-function path" if plain is not None else "step by step only")
    if plain is not None:
        assert plain == outcome(_sign_v4_any)

"""Request model and the raw request text form."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigkit.errors import InputError
from sigkit.http import Request, parse_request_text, serialize_request

V4 = Path(__file__).resolve().parent.parent / "vectors" / "aws-c-auth" / "v4"
REQUESTS = sorted(V4.glob("*/request.txt"))


@pytest.mark.parametrize("path", REQUESTS, ids=[p.parent.name for p in REQUESTS])
def test_vector_requests_round_trip(path: Path) -> None:
    raw = path.read_bytes()
    request = parse_request_text(raw)
    out = serialize_request(request)
    # request.txt ends after the last header (no blank line) unless it has a body.
    expected = raw if request.body else raw + b"\n"
    assert out == expected


def test_multiline_header_value_is_kept_verbatim() -> None:
    request = parse_request_text((V4 / "get-header-value-multiline" / "request.txt").read_bytes())
    assert request.headers[1] == ("My-Header1", "value1\n  value2\n     value3")


def test_path_with_space_and_utf8_is_kept() -> None:
    request = parse_request_text((V4 / "get-utf8" / "request.txt").read_bytes())
    assert request.path == "/ሴ"
    request = parse_request_text((V4 / "get-space-normalized" / "request.txt").read_bytes())
    assert request.path == "/example space/"


def test_from_url_keeps_raw_path_and_query() -> None:
    request = Request.from_url("GET", "https://b.s3.amazonaws.com/a%2Fb%20c?x=a%2B&y&z=")
    assert request.path == "/a%2Fb%20c"
    assert request.query == "x=a%2B&y&z="
    assert request.host == "b.s3.amazonaws.com"


@pytest.mark.parametrize(
    ("url", "port_host"),
    [
        ("https://h.example:443/", "h.example"),
        ("http://h.example:80/", "h.example"),
        ("http://h.example:443/", "h.example:443"),
        ("http://127.0.0.1:9000/b", "127.0.0.1:9000"),
        ("http://[::1]:9000/b", "[::1]:9000"),
    ],
)
def test_host_drops_only_the_default_port(url: str, port_host: str) -> None:
    assert Request.from_url("GET", url).host == port_host


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("", "url"),
        ("example.com/x", "url"),
        ("ftp://example.com/x", "url"),
        ("https:///x", "url"),
        ("https://h:99999/", "url"),
        ("https://h:abc/", "url"),
        ("https://user:pw@h/", "url"),
        ("https://h/a\nb", "url"),
        ("https://h/#frag", "url"),
        ("https://h o/", "url"),
    ],
)
def test_bad_urls_name_the_field(url: str, field: str) -> None:
    with pytest.raises(InputError) as info:
        Request.from_url("GET", url)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Bad Name", "v"),
        ("Bad:Name", "v"),
        ("", "v"),
        ("Naïve", "v"),
        ("X-Ok", "line\r\nInjected: 1"),
        ("X-Ok", "nul\x00"),
    ],
)
def test_bad_headers_are_refused(name: str, value: str) -> None:
    with pytest.raises(InputError) as info:
        Request.from_url("GET", "https://h/", [(name, value)])
    assert "header" in info.value.field


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"\n\n",
        b"GET\n",
        b"GET / HTTP/1.1\nNoColon\n",
        b"GET / HTTP/1.1\n continuation-first\n",
        b"GET relative HTTP/1.1\n",
        b"G T / HTTP/1.1\nHost:h\n",
        b"GET / HTTP/1.1\nHost:h\xff\n",
        b"GET / XYZ\n",
    ],
)
def test_unparsable_request_text_names_a_line(text: bytes) -> None:
    with pytest.raises(InputError) as info:
        parse_request_text(text, source="request.txt")
    assert info.value.field.startswith("request.txt")


def test_body_after_blank_line_and_crlf() -> None:
    request = parse_request_text(b"PUT /k HTTP/1.1\r\nHost: h\r\n\r\nbody\r\nbytes")
    assert request.headers == (("Host", " h"),)
    assert request.body == b"body\r\nbytes"
    assert request.host == "h"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "G ET", "path": "/"},
        {"method": "GET", "path": ""},
        {"method": "GET", "path": "k"},
        {"method": "GET", "path": "/\udcff"},
        {"method": "GET", "path": "/", "query": "a=\x00"},
        {"method": "GET", "path": "/", "headers": (("X-A", "a\r\nInjected: 1"),)},
        {"method": "GET", "path": "/", "headers": (("X A", "v"),)},
        {"method": "GET", "path": "/", "headers": (("Host", ""),)},
        {"method": "GET", "path": "/", "headers": (("Host", "evil.com/p?q="),)},
        {"method": "GET", "path": "/", "headers": (("Host", "a"), ("host", "b"))},
        {"method": "GET", "path": "/", "headers": (("X-A", 1),)},
        {"method": "GET", "path": "/", "body": "text, not bytes"},
        {"method": "GET", "path": "/", "scheme": "ftp"},
    ],
)
def test_request_construction_checks_every_part(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        Request(**kwargs)  # type: ignore[arg-type]


def test_headers_given_as_a_list_become_a_tuple() -> None:
    request = Request("GET", "/", headers=[("Host", "h")])  # type: ignore[arg-type]
    assert request.headers == (("Host", "h"),)


def test_lf_request_whose_body_holds_crlf_crlf() -> None:
    request = parse_request_text(b"PUT /b/k HTTP/1.1\nHost: h\n\nx\r\n\r\ny")
    assert request.body == b"x\r\n\r\ny"


def test_bare_cr_in_a_header_is_refused_not_dropped() -> None:
    with pytest.raises(InputError) as info:
        parse_request_text(b"GET / HTTP/1.1\nHost: h\nX-A: a\rb\n", source="req")
    assert info.value.field == "req line 3"
    with pytest.raises(InputError):
        parse_request_text(b"GET / HTTP/1.1\r\nX-A: a\r\n \x00b\r\n\r\n")


def test_signer_copies_keep_every_field() -> None:
    """Signers copy requests slot by slot; a field added to Request must not be dropped."""
    import dataclasses
    import io

    body = io.BytesIO(b"x")
    req = Request("PUT", "/k", "a=1", (("Host", "h"),), body, "http", "h:8080")
    assert req._copy(req.query, req.headers) == req
    assert req._copy(None, ()) == dataclasses.replace(req, query=None, headers=())
    added = req.with_signer_headers([("X-A", "1")])
    assert [f.name for f in dataclasses.fields(Request)] == [
        "method", "path", "query", "headers", "body", "scheme", "authority"
    ]
    assert added == dataclasses.replace(req, headers=(("Host", "h"), ("X-A", "1")))
    assert added.body is body


def test_with_headers_puts_an_added_host_first_and_refuses_a_second() -> None:
    req = Request("GET", "/", None, (("X-A", "1"),), authority="h")
    assert req.with_headers([("X-B", "2"), ("Host", "h")]).headers == (
        ("Host", "h"), ("X-A", "1"), ("X-B", "2")
    )
    with pytest.raises(InputError, match="Host"):
        req.with_headers([("Host", "h"), ("Host", "h")])

"""`sigkit post-policy --html`: the upload page, read back with an HTML parser.

The expected form is the AWS documentation's browser-upload example (its fields, its policy,
its published signature: vectors/records/aws-docs/) and, for hostile values, the values given:
Python's own HTML parser must read every hidden input back to exactly the field sent, and find
no script but the page's own, no external resource and no link that is not http(s).
tests/e2e/test_post_policy_browser.py submits such pages in a real browser against Ceph RGW.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from sigkit import Credentials, InputError
from sigkit.cli.app import main
from sigkit.postpolicy.html import CSP, holds_secret, render_form_page
from sigkit.sigv2.post_policy import presign_post_v2
from sigkit.sigv4.post_policy import PostPolicy, presign_post_v4, sign_post_v4
from sigkit.timefmt import parse_time

DOCS = Path(__file__).resolve().parent.parent / "vectors" / "records" / "aws-docs"
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
WHEN = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
HOSTILE_KEY = "up/\"q\" 'a' <script>alert(1)</script> & &amp; \u00e9\u2603 ${filename}"
HOSTILE_VALUE = '"><script>alert(2)</script><a href="javascript:alert(3)">x</a>'


class Page(HTMLParser):
    """What a browser would find in the page: elements, their attributes and texts."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        label = f"{tag}#{attributes.get('id') or ''}"
        self._open.append(label)
        self.texts.setdefault(label, "")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1].startswith(tag + "#"):
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts[self._open[-1]] += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]


def _doc_result() -> Any:
    records = json.loads((DOCS / "s3-sigv4-post-policy.json").read_text())["records"]
    record = next(r for r in records if r["name"] == "post-policy-sigv4")
    inputs = record["inputs"]
    result = sign_post_v4(
        PostPolicy.from_base64(inputs["policy_base64"]),
        Credentials(**inputs["credentials"]),
        parse_time(inputs["timestamp"]),
        region=inputs["region"],
        service=inputs["service"],
        fields=[tuple(f) for f in inputs["form_fields"]],
        bucket=inputs["bucket"],
    )
    return result, record


def test_the_documentation_form_is_the_page_form() -> None:
    """The AWS example's form: every field as a hidden input, in order, the file last; the
    Policy and X-Amz-Signature the documentation publishes."""
    result, record = _doc_result()
    url = "https://sigv4examplebucket.s3.amazonaws.com/"
    page = Page(render_form_page(result, url=url))
    [form] = page.all("form")
    assert form == {"method": "post", "action": url, "enctype": "multipart/form-data"}
    inputs = page.all("input")
    sent = [(i["name"], i["value"]) for i in inputs if i.get("type") == "hidden"]
    expected = [
        *[(n, v) for n, v in record["inputs"]["form_fields"]],
        ("Policy", record["inputs"]["policy_base64"]),
        ("X-Amz-Signature", record["expected"]["signature"]),
    ]
    assert sent == expected
    assert inputs[-1] == {"type": "file", "name": "file", "required": None}
    # the documented policy, pretty-printed, and its expiration
    assert json.loads(page.texts["pre#policy"]) == json.loads(
        base64.b64decode(record["inputs"]["policy_base64"])
    )
    [left] = [a for a in page.all("span") if a.get("id") == "time-left"]
    assert left["data-expiration"] == "2015-12-30T12:00:00Z"
    # the documented success_action_redirect is an http URL: a link
    hrefs = [a["href"] for a in page.all("a")]
    assert hrefs == ["http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"]


@pytest.mark.parametrize("sig", ["v4", "v2"])
def test_hostile_values_are_text_never_markup(sig: str) -> None:
    fields = [
        ("success_action_redirect", "javascript:alert(1)"),
        ("x-amz-meta-note", HOSTILE_VALUE),
        ("Content-Type", 'text/plain; a="b" & c'),
    ]
    url = "http://127.0.0.1:9000/b?x=1&y=<2>"
    kw: dict[str, Any] = {"bucket": "b", "key": HOSTILE_KEY, "fields": fields, "url": url}
    result = (
        presign_post_v4(CREDS, WHEN, region="us-east-1", **kw)
        if sig == "v4"
        else presign_post_v2(CREDS, WHEN, **kw)
    )
    text = render_form_page(result)
    page = Page(text)
    sent = [(i["name"], i["value"]) for i in page.all("input") if i.get("type") == "hidden"]
    assert sent == list(result.fields)  # every value read back exactly as it is signed
    assert page.all("form")[0]["action"] == url
    # one script, the page's own, allowed by the CSP by its hash; no link but http(s) ones
    scripts = [t for t in page.texts if t.startswith("script#")]
    assert scripts == ["script#"]
    digest = base64.b64encode(hashlib.sha256(page.texts["script#"].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in CSP
    [meta] = [m for m in page.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert meta["content"] == CSP
    assert page.all("a") == []  # javascript: is shown as text only
    assert "javascript:alert(1)" in page.texts["code#"] or "javascript:alert(1)" in text
    # nothing from outside the file
    for tag, attrs in page.elements:
        assert "src" not in attrs and tag not in ("link", "iframe", "object", "embed", "img")
    assert "@import" not in text and "url(" not in text
    assert HOSTILE_KEY in page.texts["h1#"] and HOSTILE_KEY in page.texts["title#"]


def test_only_a_web_address_becomes_a_link() -> None:
    for redirect, linked in [
        ('https://example.com/ok?a=1&b="2"', True),
        ("HTTP://example.com/", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example/", False),
        ("https://example.com/ x", True),
        (" https://example.com/", False),
    ]:
        result = presign_post_v4(
            CREDS, WHEN, region="us-east-1", bucket="b", key="k",
            fields=[("redirect", redirect)], url="https://b.s3.amazonaws.com/",
        )  # fmt: skip
        hrefs = [a["href"] for a in Page(render_form_page(result)).all("a")]
        assert hrefs == ([redirect] if linked else []), redirect


def test_a_session_token_is_in_the_form_but_not_shown() -> None:
    temporary = Credentials(CREDS.access_key_id, CREDS.secret_access_key, "TOKEN/with+chars==")
    result = presign_post_v4(
        temporary, WHEN, region="us-east-1", bucket="b", key="k", url="https://b.s3.amazonaws.com/"
    )
    page = Page(render_form_page(result))
    hidden = [i for i in page.all("input") if i.get("type") == "hidden"]
    sent = {str(i["name"]).lower(): i["value"] for i in hidden}
    assert sent["x-amz-security-token"] == "TOKEN/with+chars=="
    assert "TOKEN/with+chars==" not in "".join(page.texts.values())
    assert holds_secret(result)
    assert not holds_secret(presign_post_v4(CREDS, WHEN, region="r", bucket="b", key="k"))


def test_the_form_needs_a_web_address() -> None:
    result = presign_post_v4(CREDS, WHEN, region="us-east-1", bucket="b", key="k")
    with pytest.raises(InputError, match="needs the bucket's URL"):
        render_form_page(result)
    with pytest.raises(InputError, match="not an http"):
        render_form_page(result, url="javascript:alert(1)")


# ---------------------------------------------------------------------------------- the CLI


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDS.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDS.secret_access_key)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["post-policy", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_the_page_and_keeps_stdout_the_command(
    env: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "upload.html"
    code, out, err = _cli(
        capsys, "s3://bkt/k", "--endpoint-url", "http://127.0.0.1:9000", "--region", "us-east-1",
        "--date", "20260501T120000Z", "--html", str(page), "--curl",
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("curl ") and out.count("\n") == out.rstrip("\n").count("\n") + 1
    assert "X-Amz-Signature" in err and f"wrote the upload form to {page}" in err
    form = Page(page.read_text(encoding="utf-8"))
    assert form.all("form")[0]["action"] == "http://127.0.0.1:9000/bkt"
    sent = dict((i["name"], i["value"]) for i in form.all("input") if i.get("type") == "hidden")
    assert f"X-Amz-Signature={sent['X-Amz-Signature']} " in out  # the same signed form
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(page.stat().st_mode) == 0o666 & ~umask  # no secret: the usual mode


def test_cli_page_with_a_session_token_is_0600(
    env: None, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-value")
    page = tmp_path / "upload.html"
    code, out, err = _cli(
        capsys, "s3://bkt/k", "--sig", "v2", "--endpoint-url", "http://127.0.0.1:9000",
        "--html", str(page),
    )  # fmt: skip
    assert code == 0, err
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert "0600" in err and "session-token-value" not in out + err
    assert "session-token-value" in page.read_text(encoding="utf-8")


def test_cli_refuses_a_page_it_cannot_write(
    env: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _cli(capsys, "s3://bkt/k", "--html", str(tmp_path / "missing" / "p.html"))
    assert code == 2
    assert err.count("\n") == 1 and "does not exist" in err

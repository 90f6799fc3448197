"""A browser upload page for a signed POST policy: one self-contained HTML file.

POST policies exist for browser uploads; this writes the form a browser submits: the signed
fields as hidden inputs (the ``key`` first, the file last, as S3 requires), the policy as
pretty JSON and its expiry (absolute, in UTC, and the time left, counted by a small inline
script). Nothing is loaded from anywhere: no script, font, style sheet or image from outside
the file, and a Content-Security-Policy that allows no other script than the page's own (by
its hash), so that even a value that slipped through escaping could not run.

Every key, field value, URL and policy text is HTML-escaped wherever it appears; a
``success_action_redirect`` (or ``redirect``) is shown as text and becomes a link only for an
http(s) URL. Pure rendering: no clock, no file, no environment (the CLI writes the file).
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from urllib.parse import urlsplit

from sigkit.errors import InputError
from sigkit.postpolicy.form import PostResult

_ALGORITHMS = {
    "sigv4": "SigV4 (AWS4-HMAC-SHA256)",
    "s3v2": "S3 Signature Version 2 (HmacSHA1)",
}
_REDIRECTS = ("success_action_redirect", "redirect")
_TOKEN_FIELDS = ("x-amz-security-token",)

# The page's only script: the time left until the policy expires, read from a data attribute
# (never from text put into the script), refreshed every second.
_SCRIPT = """(function () {
  var out = document.getElementById("time-left");
  var end = Date.parse(out.getAttribute("data-expiration"));
  function part(n, unit) { return n ? n + " " + unit + " " : ""; }
  function tick() {
    var s = Math.round((end - Date.now()) / 1000), a = Math.abs(s);
    var text = part(Math.floor(a / 86400), "d") + part(Math.floor(a % 86400 / 3600), "h") +
      part(Math.floor(a % 3600 / 60), "min") + (a % 60) + " s";
    out.textContent = s > 0 ? "time left: " + text : "expired " + text + " ago";
    out.className = s > 0 ? "ok" : "expired";
  }
  tick();
  setInterval(tick, 1000);
})();"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode()
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'"
)

_STYLE = """body { font-family: system-ui, sans-serif; margin: 2em; max-width: 60em; }
table { border-collapse: collapse; }
td, th { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
td { font-family: monospace; word-break: break-all; }
pre { background: #f4f4f4; padding: 0.8em; overflow-x: auto; }
.ok { color: #060; } .expired { color: #b00; font-weight: bold; }
fieldset { margin: 1em 0; }"""


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _pretty(document: bytes) -> str:
    """The policy as indented JSON; as it was signed when it is not JSON this page can read."""
    try:
        return json.dumps(json.loads(document), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return document.decode("utf-8", "replace")


def _link_or_text(url: str) -> str:
    """An http(s) URL as a link, anything else (``javascript:``, ``data:``, ...) as text."""
    text = f"<code>{escape(url)}</code>"
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return text
    if scheme in ("http", "https") and url == url.strip():
        return f'<a href="{_attr(url)}" rel="noreferrer noopener">{text}</a>'
    return text + " (not a web address: shown, never linked)"


def form_action(url: str | None) -> str:
    """The form's action: an absolute http(s) URL, or an input error naming it."""
    if not url:
        raise InputError("--html", "the form needs the bucket's URL")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InputError("--html", f"{url!r} is not a URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InputError("--html", f"{url!r} is not an http(s) URL a browser can post to")
    return url


def render_form_page(result: PostResult, *, url: str | None = None, title: str = "") -> str:
    """The page, as text (UTF-8 when written). `url` (default: the result's) is where the
    browser posts; `title` names the upload (default: the key)."""
    action = form_action(url or result.url)
    fields = list(result.fields)
    values = {name.lower(): value for name, value in reversed(fields)}
    key = values.get("key", "")
    policy = result.policy
    expiration = policy.expiration.strftime("%Y-%m-%dT%H:%M:%SZ")
    heading = title or (f"Upload to {key}" if key else "Upload")
    hidden = "\n".join(
        f'    <input type="hidden" name="{_attr(name)}" value="{_attr(value)}">'
        for name, value in fields
    )
    from sigkit.render import redact

    hidden_values = result.sensitive  # a session token: in the form, never shown

    def shown(text: str) -> str:
        return escape(redact(text, hidden_values))

    rows = []
    for name, value in fields:
        text = (
            "(the session token: in the form, not shown)"
            if name.lower() in _TOKEN_FIELDS
            else shown(value)
        )
        rows.append(f"  <tr><th>{escape(name)}</th><td>{text}</td></tr>")
    redirects = [
        f"<p>After the upload, the store sends the browser to {_link_or_text(values[name])}.</p>"
        for name in _REDIRECTS
        if name in values
    ]
    filename_note = (
        "<p>The store puts the chosen file's name where the key says <code>${filename}</code>.</p>"
        if "${filename}" in key
        else ""
    )
    algorithm = _ALGORITHMS.get(result.algorithm, result.algorithm)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_attr(CSP)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(heading)}</title>
<style>
{_STYLE}
</style>
</head>
<body>
<h1>{escape(heading)}</h1>
<p>Posts to <code>{escape(action)}</code>, signed with {escape(algorithm)}.</p>
<p>The policy expires at <time datetime="{_attr(expiration)}">{escape(expiration)}</time> (UTC):
<span id="time-left" data-expiration="{_attr(expiration)}"></span></p>
{filename_note}
<form method="post" action="{_attr(action)}" enctype="multipart/form-data">
  <fieldset>
    <legend>File</legend>
{hidden}
    <input type="file" name="file" required>
    <button type="submit">Upload</button>
  </fieldset>
</form>
{"".join(redirects)}
<h2>Form fields (sent in this order, the file last)</h2>
<table>
{chr(10).join(rows)}
</table>
<h2>Policy</h2>
<pre id="policy">{shown(_pretty(policy.document))}</pre>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def holds_secret(result: PostResult) -> bool:
    """Whether the page carries a secret: the session token of temporary credentials (the
    policy and its signature are no secret: they allow only what the policy says)."""
    return bool(result.sensitive) or any(n.lower() in _TOKEN_FIELDS for n, _ in result.fields)

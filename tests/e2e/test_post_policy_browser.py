"""`sigkit post-policy --html`: the page's form, submitted by a real browser, against Ceph RGW.

Debian's chromium runs headless and is driven over the Chrome DevTools Protocol (a websocket,
through aiohttp's client, which the test extras install; no browser driver package): the page
is opened from its file, the file input is set (DOM.setFileInputFiles) and the form submitted
as a user would. The form asks for ``success_action_status=201``, so the browser lands on the
store's XML answer either way, and the page's text is read back.

- a V4 and a V2 form upload the file; the object, read back with a signed GET, holds exactly
  the file's bytes under the key the policy names (hostile characters and ``${filename}``);
- a policy that has expired, and a form whose key input was edited in the page before the
  submit, are refused by RGW and the page the browser shows says so (AccessDenied and RGW's
  reason); nothing is stored.

chromium is installed from Debian when missing and the tests run as root (as CI does); the
tests skip, saying why, only when it cannot be.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from sigkit import Credentials, Request, SigV4Config, sign_v4
from tests.e2e.wire import send

pytestmark = pytest.mark.e2e

DATA = "browser upload: \u00e9t\u00e9 \u2603\r\n".encode() + bytes(range(256)) * 8
FILE_NAME = "photo one.bin"
# Quotes, markup, an ampersand, non-ASCII and the variable S3 fills in with the file's name.
KEY_PREFIX = "i2 browser/<b>\"q\" & 'a' \u00e9\u2603/"


def _chromium() -> str:
    """Debian's chromium, installed when missing and the tests run as root (CI)."""
    found = shutil.which("chromium")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for step in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
            done = subprocess.run(step, capture_output=True, text=True, timeout=900, env=env)
            if done.returncode != 0:
                pytest.skip(f"installing chromium failed: {done.stderr.strip()[-300:]}")
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("chromium is not installed (apt-get install chromium) and this is not root")
    return found


class Browser:
    """One headless chromium and one page, driven over CDP (one command at a time)."""

    def __init__(self, executable: str, profile: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                pytest.skip("chromium did not start (no DevToolsActivePort)")
            time.sleep(0.05)
        self.port = int(port_file.read_text().split()[0])
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.loop.run_until_complete(self._connect())

    async def _connect(self) -> None:
        import aiohttp

        self.session = aiohttp.ClientSession()
        async with self.session.get(f"http://127.0.0.1:{self.port}/json/list") as answer:
            targets = await answer.json()
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = await self.session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        mine = self.next_id
        await self.ws.send_str(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            message = json.loads((await self.ws.receive(timeout=30)).data)
            if message.get("id") == mine:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self.events.append(message)

    async def _wait(self, event: str, timeout: float) -> None:
        end = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {event} within {timeout} s")
            message = json.loads((await self.ws.receive(timeout=left)).data)
            self.events.append(message)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.loop.run_until_complete(self._call(method, params))

    def load(self, action: str, **params: Any) -> None:
        """Run `action` (a CDP method) and wait until the page it leads to has loaded."""
        self.events.clear()
        self.call(action, **params)
        self.loop.run_until_complete(self._wait("Page.loadEventFired", 30))

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        async def shut() -> None:
            if getattr(self, "ws", None) is not None:
                await self.ws.close()
            if getattr(self, "session", None) is not None:
                await self.session.close()

        try:
            self.loop.run_until_complete(shut())
        finally:
            self.loop.close()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    pytest.importorskip("aiohttp", reason="the DevTools websocket needs aiohttp (test extra)")
    executable = _chromium()
    driven = Browser(executable, tmp_path_factory.mktemp("chromium-profile"))
    try:
        driven.call("Page.enable")
        yield driven
    finally:
        driven.close()


def _creds(env: dict[str, str]) -> Credentials:
    return Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])


def _s3(env: dict[str, str], method: str, bucket: str, key: str = "") -> tuple[int, bytes]:
    target = f"/{bucket}" + (("/" + quote(key, safe="/~")) if key else "")
    headers = [("Content-Length", "0")] if method == "PUT" else []
    request = Request.from_url(method, env["S3_ENDPOINT"] + target, headers)
    signed = sign_v4(request, _creds(env), datetime.now(UTC), SigV4Config.s3("us-east-1"))
    return send(env["S3_ENDPOINT"], signed.request)


@pytest.fixture(scope="module")
def bucket(s3server: dict[str, str]) -> Iterator[str]:
    name = f"i2-browser-{uuid.uuid4().hex[:12]}"
    status, body = _s3(s3server, "PUT", name)
    assert status == 200, body
    yield name
    status, listing = _s3(s3server, "GET", name)
    for key in _keys(listing):
        _s3(s3server, "DELETE", name, key)
    _s3(s3server, "DELETE", name)


def _keys(listing: bytes) -> list[str]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(listing)
    return [el.text or "" for el in root.iter() if el.tag.endswith("}Key") or el.tag == "Key"]


def _page(
    env: dict[str, str], tmp: Path, bucket: str, key: str, *extra: str
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`sigkit post-policy ... --html FILE` as a user runs it (credentials from the env)."""
    page = tmp / f"form-{uuid.uuid4().hex[:8]}.html"
    argv = [
        sys.executable, "-m", "sigkit.cli.app", "post-policy", f"s3://{bucket}/{key}",
        "--endpoint-url", env["S3_ENDPOINT"], "--region", "us-east-1",
        "--field", "success_action_status=201", "--html", str(page), *extra,
    ]  # fmt: skip
    run_env = {**os.environ, **env}
    done = subprocess.run(argv, capture_output=True, text=True, env=run_env, timeout=60)
    assert done.returncode == 0, done.stderr
    return page, done


def _submit(browser: Browser, page: Path, upload: Path, before: str = "") -> str:
    """Open the page, choose `upload` in its file input, run `before` (JavaScript) in the
    page, click Upload; the text of the page the browser lands on."""
    browser.load("Page.navigate", url=page.as_uri())
    document = browser.call("DOM.getDocument")
    found = browser.call(
        "DOM.querySelector", nodeId=document["root"]["nodeId"], selector='input[type="file"]'
    )
    browser.call("DOM.setFileInputFiles", files=[str(upload)], nodeId=found["nodeId"])
    if before:
        browser.evaluate(before)
    browser.load("Runtime.evaluate", expression='document.querySelector("button").click()')
    text = browser.evaluate("document.documentElement.textContent")
    assert isinstance(text, str)
    return text


@pytest.fixture(scope="module")
def upload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("upload") / FILE_NAME
    path.write_bytes(DATA)
    return path


@pytest.mark.parametrize("sig", ["v4", "v2"])
def test_the_page_uploads_the_chosen_file(
    s3server: dict[str, str],
    browser: Browser,
    bucket: str,
    upload: Path,
    tmp_path: Path,
    sig: str,
) -> None:
    prefix = f"{KEY_PREFIX}{sig}/"
    page, done = _page(s3server, tmp_path, bucket, prefix + "${filename}", "--sig", sig)
    assert f"wrote the upload form to {page}" in done.stderr
    landed = _submit(browser, page, upload)
    key = prefix + FILE_NAME  # S3 put the chosen file's name in place of ${filename}
    assert "<Error>" not in landed and "AccessDenied" not in landed, landed
    assert key in landed  # RGW's 201 answer (PostResponse) names the key it stored
    status, stored = _s3(s3server, "GET", bucket, key)
    assert status == 200, stored
    assert stored == DATA


def test_the_page_shows_the_refusal_of_an_expired_policy(
    s3server: dict[str, str], browser: Browser, bucket: str, upload: Path, tmp_path: Path
) -> None:
    signed_at = datetime.now(UTC) - timedelta(hours=2)
    key = f"{KEY_PREFIX}expired"
    page, _ = _page(
        s3server, tmp_path, bucket, key, "--date", signed_at.strftime("%Y%m%dT%H%M%SZ"),
        "--expires", "60",
    )  # fmt: skip
    html = page.read_text(encoding="utf-8")
    assert "time-left" in html
    browser.load("Page.navigate", url=page.as_uri())
    shown = browser.evaluate('document.getElementById("time-left").textContent')
    assert shown.startswith("expired "), shown  # the page's own count says so before a try
    landed = _submit(browser, page, upload)
    assert "AccessDenied" in landed, landed
    assert "Policy expired" in landed, landed  # RGW's reason, as the browser shows it
    assert _s3(s3server, "GET", bucket, key)[0] == 404


def test_the_page_shows_the_refusal_of_a_field_edited_in_the_page(
    s3server: dict[str, str], browser: Browser, bucket: str, upload: Path, tmp_path: Path
) -> None:
    key = f"{KEY_PREFIX}exact"
    page, _ = _page(s3server, tmp_path, bucket, key)
    edit = 'document.querySelector(\'input[name="key"]\').value = "i2 browser/other"'
    landed = _submit(browser, page, upload, before=edit)
    assert "AccessDenied" in landed, landed
    # RGW 16's reason for a field outside its exact condition, as the browser shows it
    assert "Policy check failed, variable not met condition: key" in landed, landed
    assert _s3(s3server, "GET", bucket, "i2 browser/other")[0] == 404
    assert _s3(s3server, "GET", bucket, key)[0] == 404


def test_the_page_written_is_self_contained(
    s3server: dict[str, str], bucket: str, tmp_path: Path
) -> None:
    page, _ = _page(s3server, tmp_path, bucket, "k")
    html = page.read_text(encoding="utf-8")
    for outside in ("src=", "<link", "@import", "url(", "//cdn", "<iframe"):
        assert outside not in html
    assert oct(page.stat().st_mode & 0o777) != oct(0o600)  # no secret in it: umask's mode
    assert base64.b64decode(html.split('name="Policy" value="')[1].split('"')[0])

"""Live diagnosis through `sigkit proxy` against Ceph RGW: a boto3 workload with one slip at a
time, and the proxy's log line for each request the slip spoils names the cause first.

The slips are made the way applications make them: a wrong secret, the secret with a trailing
newline, another region, a clock 20 minutes behind (botocore's clock patched), an x-amz-*
header added by a ``before-send`` hook after signing, the Content-Type rewritten by such a hook,
and a raw '+' put in the query after signing. RGW refuses four of them; it accepts any region
and an unsigned x-amz-meta-* header (AWS refuses both), and the proxy's line then says
"accepted, but:" with the cause, since the proxy knows the store's region and the secret."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

pytest.importorskip("h11")
boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402

pytestmark = pytest.mark.e2e

_CLI = "import sys; from sigkit.cli.app import main; sys.exit(main(sys.argv[1:]))"


class Proxy:
    """`sigkit proxy --upstream` in a subprocess; its log lines collected as they come."""

    def __init__(self, upstream: str, env: dict[str, str], *extra: str) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CLI, "proxy", "--upstream", upstream, "--port", "0",
             "--json", *extra],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None and self.proc.stderr is not None
        first = self.proc.stdout.readline()
        if not first:
            raise AssertionError(f"the proxy did not start: {self.proc.stderr.read()[-2000:]}")
        self.url = json.loads(first)["listening"]
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def records(self, since: int, want: Callable[[list[dict[str, Any]]], bool]) -> list[Any]:
        """The JSON records logged after line `since`, once `want` holds (10 s at most)."""
        deadline = time.monotonic() + 10
        while True:
            found = [json.loads(line) for line in self.lines[since:]]
            if want(found) or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck proxy
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def proxy(s3server: dict[str, str]) -> Iterator[Proxy]:
    import os

    env = {**os.environ, **s3server}
    running = Proxy(s3server["S3_ENDPOINT"], env, "--region", "us-east-1")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def bucket(proxy: Proxy, s3server: dict[str, str]) -> str:
    name = f"p2-diag-{uuid.uuid4().hex[:10]}"
    since = len(proxy.lines)
    client(proxy, s3server).create_bucket(Bucket=name)
    proxy.records(since, lambda found: len(found) >= 1)  # its line is out before any slip
    return name


def client(proxy: Proxy, env: dict[str, str], **changes: Any) -> Any:
    config = Config(
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 1},
    )
    options = {
        "endpoint_url": proxy.url,
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        "region_name": "us-east-1",
        "config": config,
    }
    options.update(changes)
    return boto3.client("s3", **options)


def workload(s3: Any, bucket: str, key: str) -> None:
    """Put, list with a prefix, get: each may be refused (the slip), none may crash the test."""
    from botocore.exceptions import ClientError

    for call in (
        lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"hello", ContentType="text/plain"),
        lambda: s3.list_objects_v2(Bucket=bucket, Prefix=key),
        lambda: s3.get_object(Bucket=bucket, Key=key)["Body"].read(),
    ):
        with contextlib.suppress(ClientError):
            call()


def run_slip(proxy: Proxy, bucket: str, s3: Any, key: str) -> list[dict[str, Any]]:
    since = len(proxy.lines)
    workload(s3, bucket, key)
    return proxy.records(since, lambda found: len(found) >= 3)


SLIPS = {
    # name: (client changes, hook event handler or None, cause named first, refused by RGW)
    "wrong-secret": ("wrong-secret", True),
    "secret-newline": ("secret-whitespace", True),
    "wrong-region": ("region", False),
    "clock-20-minutes-behind": ("clock-skew", True),
    "unsigned-header-after-signing": ("unsigned-header", False),
    "content-type-rewritten-after-signing": ("header-changed", True),
    "raw-plus-in-query": ("query-encoding", True),
}


def _add_header(request: Any, **_: Any) -> None:
    request.headers["x-amz-meta-late"] = "added-after-signing"


def _charset(request: Any, **_: Any) -> None:
    """An HTTP layer that appends a charset to the Content-Type it was given."""
    if request.headers.get("Content-Type") in ("text/plain", b"text/plain"):
        request.headers["Content-Type"] = "text/plain; charset=utf-8"


def _raw_plus(request: Any, **_: Any) -> None:
    request.url = request.url.replace("%2B", "+")


@pytest.mark.parametrize("slip", sorted(SLIPS))
def test_each_refusal_names_the_slip_first(
    slip: str, proxy: Proxy, bucket: str, s3server: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cause, refused = SLIPS[slip]
    secret = s3server["AWS_SECRET_ACCESS_KEY"]
    key = f"{slip}/a+b.txt" if slip == "raw-plus-in-query" else f"{slip}/k.txt"
    changes: dict[str, Any] = {}
    if slip == "wrong-secret":
        changes["aws_secret_access_key"] = secret[:-4] + "XXXX"
    elif slip == "secret-newline":
        changes["aws_secret_access_key"] = secret + "\n"
    elif slip == "wrong-region":
        changes["region_name"] = "eu-west-1"
    elif slip == "clock-20-minutes-behind":
        # botocore signs with its own SigV4Auth, or with awscrt's when that is installed.
        import botocore.auth
        import botocore.compat

        real = botocore.compat.get_current_datetime

        def behind(remove_tzinfo: bool = True) -> datetime:
            return real(remove_tzinfo) - timedelta(minutes=20)

        monkeypatch.setattr(botocore.auth, "get_current_datetime", behind)
        if importlib.util.find_spec("awscrt") is not None:
            import botocore.crt.auth

            monkeypatch.setattr(botocore.crt.auth, "get_current_datetime", behind)
    s3 = client(proxy, s3server, **changes)
    hooks = {
        "unsigned-header-after-signing": _add_header,
        "content-type-rewritten-after-signing": _charset,
        "raw-plus-in-query": _raw_plus,
    }
    if slip in hooks:
        s3.meta.events.register_last("before-send.s3", hooks[slip])
    if slip == "raw-plus-in-query":
        # the put and get of a key with '+' go in the path; the list sends it in the query
        since = len(proxy.lines)
        client(proxy, s3server).put_object(Bucket=bucket, Key=key, Body=b"x")
        proxy.records(since, lambda found: len(found) >= 1)
    records = run_slip(proxy, bucket, s3, key)
    # (a 404 NoSuchKey after a refused PUT is the refusal's consequence, not the slip's)
    spoiled = [r for r in records if r["findings"] or r["status"] in (400, 403)]
    assert spoiled, records
    if refused:
        assert any(r["status"] == 403 for r in spoiled), records
    for record in spoiled:
        first = record["findings"][0] if record["findings"] else None
        assert first is not None and first["cause"] == cause, record
    logged = "\n".join(proxy.lines)
    assert secret not in logged and secret[:-4] not in logged  # (the wrong secret too)


def test_text_line_names_cause_certainty_and_fix(s3server: dict[str, str], bucket: str) -> None:
    """The plain log line (no --json): status, RGW's code, the cause with its certainty, and
    the registry's fix."""
    import os

    from sigkit.debug import causes

    env = {**os.environ, **s3server}
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLI, "proxy", "--upstream", s3server["S3_ENDPOINT"],
         "--port", "0"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        banner = proc.stderr.readline()
        url = re.search(r"proxy (http://\S+) ->", banner)
        assert url is not None, banner
        fake = Proxy.__new__(Proxy)
        fake.url = url[1]
        s3 = client(fake, s3server, aws_secret_access_key=s3server["AWS_SECRET_ACCESS_KEY"] + "\n")
        from botocore.exceptions import ClientError

        with pytest.raises(ClientError):
            s3.list_objects_v2(Bucket=bucket, Prefix="text line/")
        line = proc.stderr.readline().rstrip("\n")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert re.fullmatch(
        rf"127\.0\.0\.1:\d+ GET /{bucket}\?list-type=2&prefix=text%20line%2F&encoding-type=url "
        rf"403 SignatureDoesNotMatch cause: secret-whitespace \(certain\); fix: "
        rf"{re.escape(causes.fix('secret-whitespace'))}",
        line,
    ), line


AWSCLI_SLIPS = {
    "wrong-secret": "wrong-secret",
    "secret-newline": "secret-whitespace",
    "wrong-region": "region",
}


@pytest.mark.parametrize("slip", sorted(AWSCLI_SLIPS))
def test_aws_cli_slips(slip: str, proxy: Proxy, bucket: str, s3server: dict[str, str]) -> None:
    """The same slips made by the AWS CLI (its own environment variables)."""
    import os

    from tests.e2e.realclients import find_aws

    secret = s3server["AWS_SECRET_ACCESS_KEY"]
    env = {**os.environ, **s3server, "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)
    if slip == "wrong-secret":
        env["AWS_SECRET_ACCESS_KEY"] = secret[:-4] + "XXXX"
    elif slip == "secret-newline":
        env["AWS_SECRET_ACCESS_KEY"] = secret + "\n"
    else:
        env["AWS_DEFAULT_REGION"] = "eu-west-1"
    since = len(proxy.lines)
    subprocess.run(
        [find_aws(), "--endpoint-url", proxy.url, "s3api", "list-objects-v2", "--bucket", bucket,
         "--prefix", f"aws cli/{slip}+"],
        env=env, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    records = proxy.records(since, lambda found: len(found) >= 1)
    assert len(records) == 1, records  # the AWS CLI retries no refusal of these
    (record,) = records
    assert record["findings"] and record["findings"][0]["cause"] == AWSCLI_SLIPS[slip], record
    assert record["status"] == (200 if slip == "wrong-region" else 403)

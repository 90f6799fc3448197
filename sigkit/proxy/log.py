"""The proxy's log without diagnosis: one line per exchange (method, target, status, the
store's error code), or one JSON object per line.

Targets are shown with every signature and session token masked (a presigned URL's
X-Amz-Signature, a V2 Signature, X-Amz-Security-Token): the log is safe to paste.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from typing import Any, TextIO

from sigkit.proxy.hooks import Exchange

_XML_CODE = re.compile(rb"<Code>\s*([^<\s]{1,128})\s*</Code>")
_JSON_CODE = re.compile(rb'"(?:code|Code|__type)"\s*:\s*"([^"]{1,128})"')
_SECRET_PARAM = re.compile(
    r"((?:^|[?&])(?:X-Amz-Signature|Signature|X-Amz-Security-Token|x-amz-security-token)=)"
    r"([^&#'\"\s]*)",
    re.IGNORECASE,
)


def store_code(exchange: Exchange) -> str | None:
    """The error code the store's answer names (S3 XML ``<Code>`` or a JSON ``code``)."""
    answer = exchange.answer
    if answer is None or answer.status < 300:
        return None
    body = exchange.answer_body_prefix
    found = _XML_CODE.search(body) or _JSON_CODE.search(body)
    if found:
        return found[1].decode("utf-8", "replace")
    return answer.header("x-amz-error-code") or answer.header("x-sigkit-proxy")


def shown_target(target: str) -> str:
    """The target with signatures and tokens masked."""
    return _SECRET_PARAM.sub(lambda m: m[1] + ("…" if m[2] else ""), target)


def verdict(exchange: Exchange) -> str:
    """accepted (2xx/3xx), refused (the store's 4xx/5xx), or proxy-error (no answer from the
    store: the proxy's own 502/504/400)."""
    answer = exchange.answer
    if answer is None or (exchange.error is not None and not exchange.refused):
        return "proxy-error"
    return "accepted" if answer.status < 400 else "refused"


def record(exchange: Exchange) -> dict[str, Any]:
    """The JSON object of one exchange."""
    answer = exchange.answer
    return {
        "method": exchange.request.method,
        "target": shown_target(exchange.request.target),
        "authority": exchange.request.authority,
        "status": answer.status if answer is not None else None,
        "code": store_code(exchange),
        "verdict": verdict(exchange),
        "findings": [],
        "error": shown_target(exchange.error) if exchange.error is not None else None,
        "bytes_in": exchange.body.length,
        "bytes_out": exchange.answer_body_length,
        "elapsed_ms": round(exchange.elapsed * 1000, 1),
    }


def line(exchange: Exchange) -> str:
    """The plain log line of one exchange."""
    answer = exchange.answer
    status = str(answer.status) if answer is not None else "---"
    code = store_code(exchange)
    text = f"{exchange.request.method} {shown_target(exchange.request.target)} {status}"
    if code:
        text += f" {code}"
    if exchange.error:
        text += f" ({shown_target(exchange.error)})"
    return text + f" {exchange.elapsed * 1000:.0f}ms"


class LogObserver:
    """Writes `line` to stderr, or `record` as JSON to stdout."""

    def __init__(self, *, as_json: bool = False, stream: TextIO | None = None) -> None:
        self.as_json = as_json
        self.stream = stream
        self._lock = threading.Lock()

    def observe(self, exchange: Exchange) -> None:
        out = self.stream or (sys.stdout if self.as_json else sys.stderr)
        text = json.dumps(record(exchange), ensure_ascii=False) if self.as_json else line(exchange)
        with self._lock:
            print(text, file=out, flush=True)

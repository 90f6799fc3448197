"""Send a request to the test server byte for byte: no header added, rewritten or reordered."""

from __future__ import annotations

import http.client
from collections.abc import Iterable
from urllib.parse import urlsplit

from sigkit import Request


def send(endpoint: str, request: Request, body: Iterable[bytes] | None = None) -> tuple[int, bytes]:
    """Send the head, then the request's body (or each piece of `body`); the server may answer
    before the end, which is read all the same."""
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        conn.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers:
            conn.putheader(name, value)
        if body is None:
            conn.endheaders(request.body_bytes() or None)
        else:
            conn.endheaders()
            try:
                for piece in body:
                    conn.send(piece)
            except OSError:  # refused early and closed: the answer is still there to read
                pass
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()

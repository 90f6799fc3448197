"""`SigV4Auth` for requests: ``requests.get(url, auth=SigV4Auth("s3", "us-east-1"))``.

requests applies an auth object when it prepares a request (``Session.prepare_request``),
after the body and its Content-Length are set, so the signature covers the headers requests
sends (the Host header urllib3 adds is the URL's, signed the same way). The signing time is
the moment of preparing; urllib3's own retries (``HTTPAdapter(max_retries=...)``) resend the
prepared request as it is, with the same X-Amz-Date and signature, which servers accept
within their clock-skew window (15 minutes for AWS); a retry after longer must be prepared
again (call ``session.send(session.prepare_request(request))``). A redirect is not signed
again: requests drops Authorization when the host changes.
"""

from __future__ import annotations

from typing import Any

from sigkit.integrations._optional import missing

try:
    import requests
    from requests.auth import AuthBase
    from requests.models import PreparedRequest, Response
except ImportError:  # pragma: no cover - the extra is installed for the tests
    raise missing("requests", "requests") from None

from sigkit.integrations._adapter import AdapterBase
from sigkit.integrations._refusal import SigningRefused as _Refused
from sigkit.integrations._refusal import request_of
from sigkit.integrations._signing import LENGTH_HEADERS, Signed, Spool, seekable

__all__ = ["SigV4Auth", "SigningRefused"]


class SigningRefused(_Refused, requests.HTTPError):
    """The server refused the signed request (a `requests.HTTPError`, with `.response`),
    with sigkit's diagnosis (`report`, `cause`, `evidence`, `fix`)."""


class SigV4Auth(AdapterBase, AuthBase):
    """Sign every request with sigkit: SigV4 (any service and region), SigV4A or S3 V2.

    ``SigV4Auth(service="s3", region=None, *, credentials=None, profile=None,
    algorithm="v4", region_set=None, payload="hashed", presign=False, expires=3600,
    chunk_size=None, debug=False)``; see docs/integrations.md."""

    def __call__(self, r: PreparedRequest) -> PreparedRequest:
        body: Any = r.body
        headers = _text_headers(r)
        if isinstance(body, str):  # http.client would send it as Latin-1: send UTF-8, signed
            body = body.encode("utf-8")
            r.body = body
            r.headers["Content-Length"] = str(len(body))
            headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        length: int | None = None
        sent_length = r.headers.get("Content-Length")
        if sent_length is not None and str(sent_length).isdigit():
            length = int(sent_length)
        spooled_hash = None
        if body is not None and not isinstance(body, bytes | bytearray):
            if self.signer.must_spool(seekable(body), length):
                source = iter(lambda: body.read(1 << 16), b"") if hasattr(body, "read") else body
                body, length, spooled_hash = Spool.of(source).done()
                _replace_length(r, body, length)
                headers = [(n, v) for n, v in headers if n.lower() not in LENGTH_HEADERS]
                headers.append(("Content-Length", str(length)))
        elif isinstance(body, bytearray):
            body = bytes(body)
        signed = self.signer.sign(
            r.method or "GET", r.url or "", headers, body, length=length, payload_hash=spooled_hash
        )
        _apply(r, signed)
        if self.debug:
            r.register_hook(  # type: ignore[no-untyped-call]
                "response", lambda response, **_: self._check(response, signed)
            )
        return r

    def _check(self, response: Response, signed: Signed) -> Response:
        if response.status_code not in (400, 403):
            return response
        sent = response.request
        found = self.refusal(
            signed,
            response.status_code,
            list(response.headers.items()),
            response.content,
            request_of(
                sent.method or "GET",
                sent.url or "",
                _text_headers(sent),
                sent.body,
            ),
        )
        if found is None:
            return response
        message, report, code = found
        error = SigningRefused(message, response=response, request=sent)
        self.raise_refused(error, signed, report, response.status_code, code)
        return response


def _text_headers(r: PreparedRequest) -> list[tuple[str, str]]:
    """requests allows bytes values; http.client sends them as they are (Latin-1 here)."""
    return [(n, v if isinstance(v, str) else v.decode("latin-1")) for n, v in r.headers.items()]


def _replace_length(r: PreparedRequest, body: Any, length: int) -> None:
    r.body = body
    r.headers.pop("Transfer-Encoding", None)
    r.headers["Content-Length"] = str(length)


def _apply(r: PreparedRequest, signed: Signed) -> None:
    if signed.url is not None:
        r.url = signed.url
    if signed.body is not None:
        assert signed.length is not None
        stream = getattr(signed.body, "stream", None)
        _replace_length(r, stream() if stream is not None else signed.body, signed.length)
    for name, value in signed.headers:
        if name != "Host":  # urllib3 sends the URL's host, the one signed
            r.headers[name] = value

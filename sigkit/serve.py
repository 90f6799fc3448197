"""`sigkit serve`: a local endpoint that verifies every request it receives and says why.

Point any S3 client at it: a good signature gets 200, a bad one the S3-style XML error AWS
sends (SignatureDoesNotMatch with StringToSign, CanonicalRequest and their bytes), so the
client shows it. The cause goes where clients look: `<Message>` keeps S3's sentence and
appends the most likely cause (``sigkit: <cause> (certain|likely): <evidence>. Fix: <fix>``),
which the AWS CLI, boto3 and the SDKs print in their error line; `<Cause>`, `<Certain>`,
`<Evidence>`, `<Fix>` and one `<Finding>` per further cause follow S3's own elements; the
response header ``x-sigkit-cause`` names the top cause too (a HEAD answer has no body). JSON
instead when the request has ``Accept: application/json`` or the query parameter
``x-sigkit-format=json`` (which the client signs like any other parameter).

Robustness first: every request is bounded (request line 8 KiB, header lines 64 KiB and
100 headers as the stdlib reads them, body `max_body`), every failure becomes a 4xx/5xx
answer, and the server thread never dies of a request. Each request must arrive whole within
`request_deadline` seconds (a watchdog shuts the connection down at the deadline, so clients
that trickle bytes are cut, not waited for), at most `max_connections` connections are open
at once (more are answered 503 SlowDown and closed), and a body over `SPOOL_BODY` bytes is
read in pieces into a temporary file and verified from there, so memory goes back after it.
Header values and the request target are read as UTF-8, as `sigkit verify` reads a request;
a byte that is not UTF-8 is read as the text ``\\xNN`` (`_utf8`), so such a request is still
verified and answered (a mismatch), never matched by accident nor refused for its encoding.

With a store profile (``--store NAME``, `sigkit.stores`) a request that verifies is then
answered as that store answers what it refuses: its status, code and message text exactly
(R2's 501 NotImplemented for a checksum header, B2's 400 InvalidArgument, ...), with
sigkit's `<Cause>`, `<Evidence>`, `<Fix>` and ``x-sigkit-cause`` beside them. A chunked
transfer (``Transfer-Encoding: chunked``, botocore's trailer upload over TLS) is then read
too, and a small in-memory object store keeps what is PUT, so a later GET of the key returns
it; a store that keeps the aws-chunked framing (GCS) returns the framed bytes. Optional TLS
(`VerifyingServer(tls=...)`) lets the SDKs send what they send over https.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import socket
import ssl
import sys
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, TextIO
from xml.sax.saxutils import escape

from sigkit.credentials import Credentials
from sigkit.debug.investigate import received
from sigkit.debug.model import Finding
from sigkit.errors import SigkitError
from sigkit.http import Request
from sigkit.render import redact
from sigkit.sigv4.config import MAX_EXPIRES
from sigkit.stores import Refused, Store, refused
from sigkit.verify import DEFAULT_SKEW, SIGNATURE_MESSAGE, VerifyResult, verify_request

MAX_LINE = 8192  # request line and each header line
MAX_HEADERS = 100
DEFAULT_MAX_BODY = 16 << 20
DEFAULT_DEADLINE = 30.0  # seconds for one request to arrive whole (head and body)
DEFAULT_MAX_CONNECTIONS = 1024  # open at once: well above what a person points at it
SPOOL_BODY = 1 << 20  # a larger body is read into a temporary file, not kept in memory
READ_PIECE = 64 << 10
WATCH_INTERVAL = 0.05  # how often the watchdog looks for connections past their deadline
FORMAT_PARAM = "x-sigkit-format"
CAUSE_HEADER = "x-sigkit-cause"  # on a refusal: the top cause, e.g. "wrong-secret (likely)"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
EVIDENCE_IN_MESSAGE = 300  # characters of evidence appended to <Message>
EVIDENCE_IN_ELEMENT = 2000  # characters of evidence in <Evidence>
MAX_STORED_BYTES = 64 << 20  # the --store object store, all objects together
MAX_STORED_OBJECTS = 1000
HANDSHAKE_TIMEOUT = 10.0  # seconds for a TLS client to finish its handshake
# Characters XML 1.0 cannot carry, even escaped: shown as \xNN so the body always parses.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _hex_bytes(text: str) -> str:
    """AWS's ``…Bytes`` elements: space-separated lower-case hex pairs of the UTF-8 text."""
    return " ".join(f"{b:02x}" for b in text.encode("utf-8"))


def _text(value: str) -> str:
    """XML character data: escaped, and what XML 1.0 cannot hold shown as \\xNN."""
    return escape(_NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value))


def _element(name: str, value: str | list[tuple[str, str]]) -> str:
    if isinstance(value, list):
        return f"<{name}>{''.join(_element(n, v) for n, v in value)}</{name}>"
    return f"<{name}>{_text(value)}</{name}>"


def _xml(code: str, elements: Sequence[tuple[str, str | list[tuple[str, str]]]]) -> bytes:
    body = "".join(_element(n, v) for n, v in elements)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{_text(code)}</Code>{body}</Error>'
    ).encode()


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def evidence_of(finding: Finding, outcome: VerifyResult) -> str:
    """The finding's evidence; when it only repeats S3's sentence, the elements S3 answered
    with (e.g. ``HeadersNotSigned: x-amz-meta-color``) say more."""
    evidence = finding.evidence.strip()
    for problem in outcome.problems:
        if problem.cause == finding.cause and evidence == problem.message and problem.details:
            return "; ".join(f"{name}: {value}" for name, value in problem.details)
    return evidence


def evidence_line(finding: Finding, outcome: VerifyResult) -> str:
    """The evidence in one bounded line: its first line, without a trailing clause that
    introduces the lines after it ("...; the client's canonical request was:")."""
    first = (evidence_of(finding, outcome).splitlines() or [""])[0].strip()
    if first.endswith(":") and "; " in first:
        first = first.rsplit("; ", 1)[0]
    return _bounded(first.rstrip(".:; "), EVIDENCE_IN_MESSAGE)


def message_suffix(finding: Finding, outcome: VerifyResult) -> str:
    """What `<Message>` appends to S3's sentence: the top finding in one line."""
    how = "certain" if finding.certain else "likely"
    return f"sigkit: {finding.cause} ({how}): {evidence_line(finding, outcome)}. Fix: {finding.fix}"


def _finding_elements(finding: Finding, outcome: VerifyResult) -> list[tuple[str, str]]:
    return [
        ("Cause", finding.cause),
        ("Certain", "true" if finding.certain else "false"),
        ("Evidence", _bounded(evidence_of(finding, outcome), EVIDENCE_IN_ELEMENT)),
        ("Fix", finding.fix),
    ]


def error_xml(outcome: VerifyResult, request_id: str, findings: Sequence[Finding] = ()) -> bytes:
    """The S3 error body for a refused request, in AWS's element order, then the findings
    (most likely first) before RequestId and HostId."""
    host_id = "sigkit-serve"
    problem = outcome.problems[0]
    sentence = problem.message if problem.code != "SignatureDoesNotMatch" else SIGNATURE_MESSAGE
    message = sentence
    if findings:
        message = f"{sentence} {message_suffix(findings[0], outcome)}"
    elements: list[tuple[str, str | list[tuple[str, str]]]]
    if problem.code != "SignatureDoesNotMatch":
        elements = [("Message", message), *problem.details]
        if outcome.access_key_id:
            elements.insert(1, ("AWSAccessKeyId", outcome.access_key_id))
    else:
        elements = [("Message", message)]
        elements.append(("AWSAccessKeyId", outcome.access_key_id or ""))
        result = outcome.result
        sts = result["string_to_sign"] if result is not None else ""
        elements += [
            ("StringToSign", sts),
            ("SignatureProvided", outcome.signature_provided or ""),
            ("StringToSignBytes", _hex_bytes(sts)),
        ]
        if result is not None and "canonical_request" in result:
            canonical = result["canonical_request"]
            elements += [
                ("CanonicalRequest", canonical),
                ("CanonicalRequestBytes", _hex_bytes(canonical)),
            ]
    if findings:
        elements += _finding_elements(findings[0], outcome)
        elements += [("Finding", _finding_elements(f, outcome)) for f in findings[1:]]
    elements += [("RequestId", request_id), ("HostId", host_id)]
    return _xml(problem.code, elements)


def store_error_xml(
    refusal: Refused, request_id: str, findings: Sequence[Finding], outcome: VerifyResult
) -> bytes:
    """The store's own error body (its code, exactly its message, its further elements),
    then sigkit's findings; a message no report shows is not invented (no Message element)."""
    elements: list[tuple[str, str | list[tuple[str, str]]]] = []
    if refusal.message or refusal.refusal.message_published:
        elements.append(("Message", refusal.message))
    elements += list(refusal.elements)
    if findings:
        elements += _finding_elements(findings[0], outcome)
        elements += [("Finding", _finding_elements(f, outcome)) for f in findings[1:]]
    elements += [("RequestId", request_id), ("HostId", "sigkit-serve")]
    return _xml(refusal.refusal.code, elements)


def ok_xml(outcome: VerifyResult, request_id: str) -> bytes:
    result = outcome.result
    elements = [
        ("Verdict", outcome.verdict),
        ("Algorithm", outcome.algorithm or ""),
        ("Variant", outcome.variant or ""),
        ("AWSAccessKeyId", outcome.access_key_id or ""),
        ("StringToSign", result["string_to_sign"] if result is not None else ""),
        ("CanonicalRequest", result.get("canonical_request", "") if result is not None else ""),
        ("RequestId", request_id),
    ]
    body = "".join(_element(n, v) for n, v in elements)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<VerifyResult>{body}</VerifyResult>'.encode()


class VerifyingHandler(http.server.BaseHTTPRequestHandler):
    """One connection; each request on it is read within bounds, verified and answered."""

    server: VerifyingServer
    protocol_version = "HTTP/1.1"
    server_version = "sigkit-serve"
    sys_version = ""
    timeout = 10  # a client that stops sending mid-request is dropped, not waited for
    _spool: BinaryIO | None = None  # a large body's temporary file, closed after the answer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        """As the stdlib's; a TLS connection's handshake happens here, in this connection's
        thread, within `HANDSHAKE_TIMEOUT` (never in the accepting thread)."""
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(HANDSHAKE_TIMEOUT)
            self.request.do_handshake()
        super().setup()

    # -- reading, bounded -------------------------------------------------------------
    def handle_one_request(self) -> None:
        """As the stdlib's, with tighter bounds and every failure answered, never raised."""
        self._request_id = uuid.uuid4().hex[:16].upper()
        self._json = False
        # From now (waiting for the request line included) until the body is read.
        self.server.watch(self.connection)
        try:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                self.close_connection = True
                return
            if len(line) > MAX_LINE:
                self.requestline, self.request_version, self.command = "", "HTTP/1.1", ""
                self._refuse(414, "RequestURITooLong", "The request line is too long.")
                return
            self.raw_requestline = line
            if not self.parse_request():  # answered 400/431/505 through send_error
                return
            if self.server.was_cut(self.connection):  # the head ended at the deadline
                self.close_connection = True
                return
            self._serve()
        except TimeoutError:
            self.close_connection = True
        except (ConnectionError, OSError):
            self.close_connection = True
        except Exception as exc:
            self._safe_500(exc)
        finally:
            self.server.unwatch(self.connection)
            self._close_body()

    def _close_body(self) -> None:
        spool = self._spool
        if spool is not None:
            self._spool = None
            spool.close()

    def _safe_500(self, exc: Exception) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._refuse(500, "InternalError", f"sigkit serve failed: {type(exc).__name__}")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's parse errors, as S3-style XML (or JSON) instead of HTML."""
        names = {400: "BadRequest", 431: "RequestHeaderFieldsTooLarge", 505: "BadRequest"}
        if not hasattr(self, "command") or self.command is None:
            self.command = ""
        # 505 too is the client's fault: every malformed request is answered with a 4xx.
        status = 400 if code >= 500 else code
        self._refuse(status, names.get(code, "BadRequest"), message or "malformed request")

    def _read_body(self) -> bytes | BinaryIO | None:
        """The body by Content-Length (bytes, or a temporary file over `SPOOL_BODY` bytes),
        or None when the request was answered (refused)."""
        if self.headers.get("Transfer-Encoding"):
            chunked = self.headers.get("Transfer-Encoding", "").strip().lower() == "chunked"
            if self.server.store is not None and chunked:
                return self._read_chunked()
            self._refuse(411, "MissingContentLength", "Send Content-Length (no chunked encoding).")
            return None
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        if len(set(lengths)) != 1 or not lengths[0].strip().isdigit():
            self._refuse(400, "BadRequest", "Content-Length is not a single decimal number.")
            return None
        length = int(lengths[0].strip())
        if length > self.server.max_body:
            self._refuse(413, "EntityTooLarge", f"The body exceeds {self.server.max_body} bytes.")
            return None
        if length <= SPOOL_BODY:
            data = self.rfile.read(length)
            if len(data) != length:
                self._refuse(400, "IncompleteBody", "The body ended before Content-Length bytes.")
                return None
            return data
        spool = tempfile.TemporaryFile(prefix="sigkit-serve-")  # noqa: SIM115 - closed after the answer
        self._spool = spool
        left = length
        while left:
            piece = self.rfile.read(min(left, READ_PIECE))
            if not piece:
                self._refuse(400, "IncompleteBody", "The body ended before Content-Length bytes.")
                return None
            spool.write(piece)
            left -= len(piece)
        spool.seek(0)
        return spool

    def _read_chunked(self) -> bytes | None:
        """A chunked transfer's body (HTTP/1.1 framing removed), at most `max_body` bytes;
        None when the request was answered (refused)."""
        pieces: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                size = -1
            if not line.endswith(b"\n") or size < 0:
                self._refuse(400, "IncompleteBody", "The chunked transfer is malformed.")
                return None
            if size == 0:
                break
            total += size
            if total > self.server.max_body:
                limit = self.server.max_body
                self._refuse(413, "EntityTooLarge", f"The body exceeds {limit} bytes.")
                return None
            data = self.rfile.read(size)
            if len(data) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                self._refuse(400, "IncompleteBody", "The chunked transfer ended early.")
                return None
            pieces.append(data)
        for _ in range(MAX_HEADERS):  # HTTP trailers, up to the empty line
            line = self.rfile.readline(MAX_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                break
        return b"".join(pieces)

    # -- verifying --------------------------------------------------------------------
    def _serve(self) -> None:
        if len(self.headers) > MAX_HEADERS:
            self._refuse(431, "RequestHeaderFieldsTooLarge", "Too many headers.")
            return
        body = self._read_body()
        if body is None or self.server.was_cut(self.connection):
            self.close_connection = True
            return
        self.server.unwatch(self.connection)  # arrived whole: verifying has no deadline
        target = _utf8(self.path)
        path, sep, query = target.partition("?")
        self._json = "application/json" in (self.headers.get("Accept") or "") or (
            f"{FORMAT_PARAM}=json" in query.split("&")
        )
        try:
            request = Request(
                self.command,
                path,
                query if sep else None,
                tuple((n, _utf8(v)) for n, v in self.headers.items()),
                body or None,
                scheme="https" if self.server.tls else "http",
            )
        except SigkitError as exc:
            self._refuse(400, "InvalidRequest", str(exc))
            return
        now = self.server.clock()
        outcome = verify_request(
            request,
            self.server.credentials,
            now,
            skew=self.server.skew,
            region=self.server.region,
            service=self.server.service,
            max_expires=self.server.max_expires,
        )
        findings = self.server.findings(request, outcome, now) if outcome.problems else ()
        store = self.server.store
        if store is not None and not outcome.problems:
            data = body if isinstance(body, bytes) else (body.read() if body else b"")
            if self._as_store(store, request, outcome, data):
                return
        self._answer(outcome, findings)

    def _as_store(self, store: Store, request: Request, outcome: VerifyResult, data: bytes) -> bool:
        """Answer a verified request as `store` does: its refusal, or a stored object for a
        GET; False when the ordinary verdict answers it (a PUT is kept first)."""
        framed = _aws_chunked(request)
        content, chunks = _unframed(data) if framed else (data, 0)
        found = refused(
            store,
            request,
            body_checksum=lambda alg: _checksum(alg, content),
            data_chunks=chunks if framed else None,
        )
        if found is not None:
            finding = Finding(found.cause, found.evidence, certain=True)
            self._answer_refusal(found, finding, outcome)
            return True
        key = request.path
        if request.method == "PUT" and key.strip("/").count("/") >= 1 and not request.query:
            keep = data if (framed and store.stores_chunked_framing) else content
            encoding = "aws-chunked" if framed and store.stores_chunked_framing else None
            self.server.objects.put(key, keep, encoding)
            return False
        if request.method == "GET" and not request.query:
            stored = self.server.objects.get(key)
            if stored is not None:
                self._send_object(*stored)
                self._log(outcome)
                return True
        return False

    def _answer_refusal(self, found: Refused, finding: Finding, outcome: VerifyResult) -> None:
        status = found.refusal.status
        if self._json:
            payload = {
                "request_id": self._request_id,
                "status": status,
                "error_code": found.refusal.code,
                "message": found.message,
                "store_elements": dict(found.elements),
                "findings": [finding.to_dict()],
            }
            data = json.dumps(payload, indent=2).encode() + b"\n"
            ctype = "application/json"
        else:
            data = store_error_xml(found, self._request_id, [finding], outcome)
            ctype = "application/xml"
        self._send(status, data, ctype, _cause_label(finding, " "))
        self._log(None, status, found.refusal.code, top=finding, who=outcome.access_key_id)

    def _send_object(self, data: bytes, encoding: str | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("x-amz-request-id", self._request_id)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _answer(self, outcome: VerifyResult, findings: Sequence[Finding] = ()) -> None:
        status = outcome.status
        if self._json:
            payload = {
                "request_id": self._request_id,
                **outcome.to_dict(),
                "findings": [f.to_dict() for f in findings],
            }
            data = json.dumps(payload, indent=2).encode() + b"\n"
            ctype = "application/json"
        elif status == 200:
            data, ctype = ok_xml(outcome, self._request_id), "application/xml"
        else:
            data, ctype = error_xml(outcome, self._request_id, findings), "application/xml"
        top = findings[0] if findings else None
        self._send(status, data, ctype, _cause_label(top, " ") if top else None)
        self._log(outcome, top=top)

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer a request that could not be read or verified, and close the connection."""
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # else the stdlib would omit the status line
        if self._json:
            data = json.dumps({"error_code": code, "message": message, "status": status})
            body, ctype = data.encode() + b"\n", "application/json"
        else:
            elements = [("Message", message), ("RequestId", self._request_id)]
            body, ctype = _xml(code, elements), "application/xml"
        self._send(status, body, ctype)
        self._log(None, status, code)

    def _send(self, status: int, data: bytes, ctype: str, cause: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amz-request-id", self._request_id)
        if cause is not None:  # the one place a HEAD answer (no body) can name it
            self.send_header(CAUSE_HEADER, cause)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", "") != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    # -- logging: one line per request, never a secret --------------------------------
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: `_log` writes the one line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced (the stdlib would print the raw request line of malformed requests)."""

    def _log(
        self,
        outcome: VerifyResult | None,
        status: int = 0,
        code: str = "",
        *,
        top: Finding | None = None,
        who: str | None = None,
    ) -> None:
        """One line: client, request id, status, code, the top cause and whether it is
        certain, access key id, request line."""
        if outcome is not None:
            status, code = outcome.status, outcome.error_code or "match"
            who = outcome.access_key_id or "-"
        else:
            who = who or "-"
        line = redact(getattr(self, "requestline", ""))[:200]  # a session token: masked
        line = line.encode("ascii", "backslashreplace").decode()
        if self.server.log_json:
            entry = {
                "client": self.client_address[0],
                "request_id": self._request_id,
                "status": status,
                "code": code or None,
                "cause": top.cause if top else None,
                "certain": top.certain if top else None,
                "access_key_id": None if who == "-" else who,
                "request_line": line,
            }
            self.server.log(json.dumps(entry))
            return
        cause = _cause_label(top) if top else "-"
        self.server.log(
            f"{self.client_address[0]} {self._request_id} {status} {code or '-'} {cause} {who} "
            f'"{line}"'
        )


class VerifyingServer(http.server.ThreadingHTTPServer):
    """Threads per connection, daemon threads; credentials and clock fixed at start."""

    daemon_threads = True
    block_on_close = False  # stopping never waits for a connection to end
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        credentials: Credentials | Mapping[str, Credentials],
        *,
        skew: timedelta = DEFAULT_SKEW,
        max_body: int = DEFAULT_MAX_BODY,
        clock: Callable[[], datetime] | None = None,
        log: TextIO | None = sys.stderr,
        log_json: bool = False,
        diagnose: bool = True,
        region: str | None = None,
        service: str | None = None,
        request_deadline: float = DEFAULT_DEADLINE,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        store: Store | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        # Set before binding: a failed bind calls server_close, which stops the watchdog.
        self._stopping = threading.Event()
        super().__init__(address, VerifyingHandler)
        self.tls = tls is not None
        if tls is not None:  # the handshake happens in each connection's thread (setup)
            self.socket = tls.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )
        self.store = store  # answer as this store does to what it refuses
        # the longest presigned lifetime accepted: the store's (Yandex: 30 days), else a week
        limit = store.presign_max_seconds if store is not None else None
        self.max_expires = limit or MAX_EXPIRES
        self.objects = ObjectStore()
        self.credentials = credentials
        self.skew = skew
        self.max_body = max_body
        self.clock = clock or (lambda: datetime.now(UTC))
        self._stream = log
        self.log_json = log_json
        self.diagnose = diagnose  # search the variants for a bare signature mismatch
        self.region = region  # the scope answered for; None accepts the client's
        self.service = service
        self._lock = threading.Lock()
        self.request_deadline = request_deadline
        self.max_connections = max_connections
        self._open = 0  # connections being handled
        self._deadlines: dict[socket.socket, float] = {}
        self._cut: set[socket.socket] = set()
        self._watch_lock = threading.Lock()
        self._watchdog = threading.Thread(
            target=self._cut_late, name="sigkit-serve-watchdog", daemon=True
        )
        self._watchdog.start()

    # -- deadlines and the connection cap ---------------------------------------------
    def watch(self, connection: socket.socket) -> None:
        """`connection` must deliver its current request within `request_deadline`."""
        with self._watch_lock:
            self._deadlines[connection] = time.monotonic() + self.request_deadline

    def unwatch(self, connection: socket.socket) -> None:
        with self._watch_lock:
            self._deadlines.pop(connection, None)
            self._cut.discard(connection)

    def was_cut(self, connection: socket.socket) -> bool:
        """Whether the watchdog shut `connection` down (what was read of it is partial)."""
        with self._watch_lock:
            return connection in self._cut

    def _cut_late(self) -> None:
        """Shut down every connection past its deadline: its blocked read returns at once."""
        while not self._stopping.wait(WATCH_INTERVAL):
            now = time.monotonic()
            with self._watch_lock:
                late = [c for c, t in self._deadlines.items() if t <= now]
                for connection in late:
                    del self._deadlines[connection]
                    self._cut.add(connection)
            for connection in late:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread per connection, up to `max_connections`; beyond, 503 SlowDown at once."""
        with self._watch_lock:
            full = self._open >= self.max_connections
            if not full:
                self._open += 1
        if full:
            self._turn_away(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:  # no thread could be started: let the connection go
            self._release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        with self._watch_lock:
            self._open -= 1

    def _turn_away(self, request: socket.socket) -> None:
        body = _xml(
            "SlowDown",
            [("Message", f"More than {self.max_connections} connections are open.")],
        )
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            request.setblocking(False)  # never wait for a client here (the accepting thread)
            request.send(head.encode() + body)
        self.shutdown_request(request)
        self.log(f"- - 503 SlowDown: {self.max_connections} connections open")

    def server_close(self) -> None:
        self._stopping.set()
        super().server_close()

    def credentials_for(self, access_key_id: str | None) -> Credentials | None:
        if access_key_id is None:
            return None
        if isinstance(self.credentials, Credentials):
            same = self.credentials.access_key_id == access_key_id
            return self.credentials if same else None
        return self.credentials.get(access_key_id)

    def findings(
        self, request: Request, outcome: VerifyResult, now: datetime
    ) -> tuple[Finding, ...]:
        """Why `request` was refused, most likely first (`sigkit.debug.investigate.received`
        with this server's credentials for its key and clock). Evidence never holds a secret;
        a debugger failure leaves the S3 answer without findings rather than failing it."""
        creds = self.credentials_for(outcome.access_key_id)
        try:
            found = received(request, outcome, creds if self.diagnose else None, now)
        except Exception as exc:  # the answer must not depend on the debugger working
            self.log(f"- findings failed: {type(exc).__name__}: {exc}")
            return ()
        secrets = [s for s in (creds.secret_access_key, creds.session_token) if s] if creds else []
        return tuple(_scrubbed(f, secrets) for f in found)

    def log(self, line: str) -> None:
        if self._stream is None:
            return
        with self._lock, contextlib.suppress(OSError, ValueError):
            print(line, file=self._stream, flush=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that failed outside a request: one line, no traceback, serve on."""
        self.log(f"{client_address[0]} - connection error: {sys.exc_info()[1]!r}")


def _cause_label(finding: Finding, space: str = "") -> str:
    """``wrong-secret(likely)`` (log) or ``wrong-secret (likely)`` (the response header)."""
    return f"{finding.cause}{space}({'certain' if finding.certain else 'likely'})"


def _scrubbed(finding: Finding, secrets: Sequence[str]) -> Finding:
    """The finding with any secret in its evidence masked (a safety net: evidence names
    variants, not keys)."""
    evidence = redact(finding.evidence, [s.strip() for s in secrets])
    if evidence == finding.evidence:
        return finding
    return Finding(finding.cause, evidence, finding.certain)


def _utf8(text: str) -> str:
    """What the stdlib read as Latin-1 (one character per byte), read as UTF-8. A byte that
    is not UTF-8 becomes the text ``\\xNN``: never the character a client may have signed
    (a Latin-1 reading of byte E9 is the é whose UTF-8 a client signed as C3 A9, and would
    match although the bytes on the wire differ), and visible in the canonical request."""
    if text.isascii():
        return text
    return text.encode("latin-1").decode("utf-8", "backslashreplace")


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


class ObjectStore:
    """The few objects a `--store` server keeps (PUT, then GET of the same key): at most
    `MAX_STORED_OBJECTS` objects and `MAX_STORED_BYTES` bytes, the oldest dropped first."""

    def __init__(self) -> None:
        self._objects: OrderedDict[str, tuple[bytes, str | None]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes, encoding: str | None = None) -> None:
        if len(data) > MAX_STORED_BYTES:
            return
        with self._lock:
            old = self._objects.pop(key, None)
            if old is not None:
                self._size -= len(old[0])
            self._objects[key] = (data, encoding)
            self._size += len(data)
            while self._size > MAX_STORED_BYTES or len(self._objects) > MAX_STORED_OBJECTS:
                _, (dropped, _) = self._objects.popitem(last=False)
                self._size -= len(dropped)

    def get(self, key: str) -> tuple[bytes, str | None] | None:
        with self._lock:
            return self._objects.get(key)


def _aws_chunked(request: Request) -> bool:
    payload = (request.header("x-amz-content-sha256") or "").strip()
    encoding = (request.header("content-encoding") or "").lower()
    return payload.startswith("STREAMING-") or "aws-chunked" in encoding


def _unframed(data: bytes) -> tuple[bytes, int]:
    """An aws-chunked body's data and its count of data chunks (the framing was verified,
    when signed, by `verify_request`); what cannot be read as framing is kept as it is."""
    pieces: list[bytes] = []
    at = 0
    while True:
        end = data.find(b"\r\n", at)
        if end < 0:
            return data, 0
        try:
            size = int(data[at:end].split(b";", 1)[0], 16)
        except ValueError:
            return data, 0
        if size == 0:
            return b"".join(pieces), len(pieces)
        start = end + 2
        pieces.append(data[start : start + size])
        at = start + size + 2


def _checksum(algorithm: str, data: bytes) -> str:
    """The body's x-amz-checksum-<algorithm> value, as S3 writes it."""
    from sigkit import checksums

    return checksums.value(checksums.normalise(algorithm), data)


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server context for `--tls-cert` / `--tls-key` (TLS 1.2 and later)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context

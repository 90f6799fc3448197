"""AWS CLI v1/v2 and botocore ``--debug`` logs: the signing blocks botocore prints and the request
it then sends, paired per thread, one "client" observation per signed request; and the server's
answer to each (urllib3's status line, botocore's ``Response headers``/``Response body``, the
CLI's ``An error occurred (Code) ...``) as a "server" observation with the same exchange number.
Every observation carries its record's timestamp as printed (``logged_at``).

A record runs from its ``date - thread - logger - LEVEL - `` prefix to the next prefixed line, so
a block's text is every line in between, joined by LF, exactly as botocore formatted it."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from typing import Any

from sigkit.debug.model import Observation
from sigkit.debug.sources_common import (
    algorithm_of,
    check_canonical_request,
    check_string_to_sign,
    decode_text,
    merge,
    request_fields,
    signed_headers_of,
    sts_fields,
)
from sigkit.debug.sources_xml import answer, read_body, salvage_code
from sigkit.errors import InputError
from sigkit.http import Request

_TS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
# awscli: "date - thread - logger - LEVEL - msg"; boto3.set_stream_logger: "date logger [LEVEL] msg"
_RECORD = re.compile(
    rf"(?P<ts>{_TS})(?: - (?P<thread>.*?) - (?P<logger>[\w.]+) - (?P<level>[A-Z]+) - "
    rf"| (?P<logger2>[\w.]+) \[(?P<level2>[A-Z]+)\] )(?P<msg>.*)\Z",
    re.DOTALL,
)
_START_LINE = re.compile(rf"{_TS} ")
_BLOCKS = {
    "CanonicalRequest:": "canonical_request",
    "StringToSign:": "string_to_sign",
    "Signature:": "signature",
}
# urllib3.connectionpool: 'http://host:port "GET /b?x HTTP/1.1" 403 213' (length "None" if unknown)
_URLLIB3 = re.compile(
    r'(?P<base>https?://\S+) "(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[\d.]+" '
    r"(?P<status>\d{3}) (?P<length>\S+)\s*\Z"
)
# What the CLI (and botocore's ClientError) prints for a refused call.
_CLI_ERROR = re.compile(
    r"An error occurred \((?P<code>[^()\n]*)\) when calling the (?P<op>\w+) operation"
    r"(?: \(reached max retries: (?P<retries>\d+)\))?: (?P<msg>[^\n]*)"
)
_OPERATION = re.compile(r"Making request for OperationModel\(name=(?P<op>\w+)\)")
_ATTEMPT = re.compile(r"(?:^|;)\s*attempt=(?P<n>\d+)(?:\s*;\s*max=(?P<max>\d+))?")


@dataclass
class _Record:
    line: int
    at: str
    thread: str
    logger: str
    message: str


@dataclass
class _Pending:
    line: int
    at: str
    fields: dict[str, Any] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class _Sent:
    """The last request a thread sent: which exchange it is (0: unsigned, not reported)."""

    exchange: int
    attempt: int | None
    request: Request | None
    line: int
    operation: str | None


@dataclass
class _Answer:
    """One response as the log shows it, filled record by record."""

    line: int
    at: str
    sent: _Sent | None
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: Observation | None = None
    body_note: str | None = None
    has_headers: bool = False
    has_body: bool = False
    cli_errors: list[tuple[int, str, str, str]] = field(default_factory=list)  # line, code, op, msg
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class _Thread:
    pending: _Pending | None = None
    sent: _Sent | None = None
    answer: _Answer | None = None
    operation: str | None = None
    tries: int = 0  # requests sent since the operation's "Making request" record


def looks_like_awscli(text: str) -> bool:
    """True when some line is a botocore/awscli debug record."""
    return any(_RECORD.match(line) and "botocore" in line for line in text.splitlines()[:5000])


def _records(text: str) -> list[_Record]:
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    crlf = bool(lines) and all(line.endswith("\r") for line in lines)
    if crlf:  # a log saved with Windows line ends: CRLF is the file's, not botocore's
        lines = [line[:-1] for line in lines]
    records: list[_Record] = []
    for number, line in enumerate(lines, start=1):
        m = _RECORD.match(line) if _START_LINE.match(line) else None
        if m:
            thread = m["thread"] or "MainThread"
            logger = m["logger"] or m["logger2"] or ""
            records.append(_Record(number, m["ts"], thread, logger, m["msg"]))
        elif records:
            records[-1].message += "\n" + line
    return records


def read_awscli_log(data: bytes, *, name: str = "input") -> list[Observation]:
    """Every signed request in log order, each followed by the server's answer to it when the
    log shows one (status line, response headers, body, the CLI's error message). Retries give
    one request and one answer per attempt. A log without signing records or sent requests
    gives []."""
    text = decode_text(data, name)
    records = _records(text)
    threads: dict[str, _Thread] = {}
    items: list[Observation | _Answer] = []
    count = 0

    def state(thread: str) -> _Thread:
        return threads.setdefault(thread, _Thread())

    def flush(rec: _Record, request: Request | None = None, *, sent: bool = False) -> None:
        """The thread's pending signing records (and the request sent) as one client
        observation; an unsigned request is remembered as exchange 0 (not reported)."""
        nonlocal count
        st = state(rec.thread)
        group, st.pending = st.pending, None
        if sent:
            st.answer = None
            st.tries += 1
        if group is None and request is None:
            if sent:
                st.sent = _Sent(0, None, None, rec.line, st.operation)
            return
        fields: dict[str, Any] = dict(group.fields) if group else {}
        details = dict(group.details) if group else {}
        first = group.line if group else rec.line
        at = rec.at if sent or group is None else group.at
        if request is not None:
            fields["request"] = request
            fields = merge(fields, request_fields(request))
            if group is None:
                details["signing"] = "no signing records in the log (botocore with awscrt?)"
        sts = fields.get("string_to_sign")
        if sts is not None and fields.get("algorithm") is None:
            fields["algorithm"] = algorithm_of(sts)
        fields = merge(fields, sts_fields(sts))
        fields = merge(
            fields, {"signed_headers": signed_headers_of(fields.get("canonical_request"))}
        )
        fields = {k: v for k, v in fields.items() if v is not None}
        details.update(fields.pop("details", {}))  # a presigned URL's expiry
        attempt = _attempt_of(request, st.tries) if sent else None
        signed = any(k in fields for k in ("canonical_request", "string_to_sign", "signature"))
        if sent:
            st.sent = _Sent(count + 1 if signed else 0, attempt, request, rec.line, st.operation)
        if not signed:
            return  # an unsigned request is nothing to compare
        count += 1
        if rec.thread != "MainThread":
            details["thread"] = rec.thread
        if st.operation and sent:
            details["operation"] = st.operation
        tried = f" (attempt {attempt})" if attempt else ""
        items.append(
            Observation(
                source="awscli-debug",
                party="client",
                details=details,
                where=f"request {count}{tried}, line {first}",
                logged_at=at,
                exchange=count,
                attempt=attempt,
                **fields,
            )
        )

    def current(rec: _Record, slot: str) -> _Answer:
        """The thread's open answer, or a new one when it already holds `slot`."""
        st = state(rec.thread)
        ans = st.answer
        if ans is None or getattr(ans, slot):
            ans = _Answer(rec.line, rec.at, st.sent)
            st.answer = ans
            items.append(ans)
        return ans

    for rec in records:
        msg = rec.message
        head, _, body = msg.partition("\n")
        where = f"{name} line {rec.line}"
        if rec.logger == "botocore.auth" and head.startswith("Calculating signature using"):
            flush(rec)
            state(rec.thread).pending = _Pending(
                rec.line, rec.at, details={"auth": head[28:].rstrip(".")}
            )
        elif rec.logger == "botocore.auth" and head.rstrip() in _BLOCKS:
            key = _BLOCKS[head.rstrip()]
            if key == "canonical_request":
                check_canonical_request(body, where)
            elif key == "string_to_sign":
                check_string_to_sign(body, where)
            else:
                body = body.strip()
                if not re.fullmatch(r"[0-9a-f]{64}", body):
                    raise InputError(where, "Signature block is truncated or garbled")
            st = state(rec.thread)
            if st.pending is None or key in st.pending.fields:
                flush(rec)
                st.pending = _Pending(rec.line, rec.at)
            st.pending.fields[key] = body
        elif rec.logger == "botocore.auth" and head.startswith("HTTP request method: "):
            st = state(rec.thread)
            if st.pending is None:
                st.pending = _Pending(rec.line, rec.at)
            st.pending.details["method"] = head[21:]
        elif head.startswith("Sending http request: "):
            flush(rec, _sent_request(msg, where), sent=True)
        elif rec.logger.startswith("urllib3") and (m := _URLLIB3.search(head)):
            st = state(rec.thread)
            if not _answers(m, st.sent):
                continue  # e.g. a credential fetch from IMDS, not the signed request
            ans = current(rec, "status")
            ans.status = int(m["status"])
            ans.line, ans.at = rec.line, rec.at
            sent_req = st.sent.request if st.sent is not None else None
            if sent_req is not None and (
                m["method"] != sent_req.method or m["target"] not in (sent_req.target, sent_req.url)
            ):
                # urllib3 names what went on the wire: changed after botocore logged it
                ans.extra["request_line_sent"] = f"{m['method']} {m['target']}"
        elif head.startswith("Response headers: "):
            ans = current(rec, "has_headers")
            ans.headers = _response_headers(head[18:], where)
            ans.has_headers = True
        elif head.startswith("Response body:"):
            ans = current(rec, "has_body")
            ans.has_body = True
            ans.body, ans.body_note = _response_body(body, name, rec.line + 1, ans.headers)
        elif head.startswith("Making request for OperationModel"):
            op = _OPERATION.search(head)
            st = state(rec.thread)
            st.operation, st.tries = (op["op"] if op else None), 0
        else:
            for cli in _CLI_ERROR.finditer(msg):
                _cli_error(items, rec, cli, msg)
    for thread, st in list(threads.items()):
        if st.pending is not None:
            flush(_Record(st.pending.line, st.pending.at, thread, "", ""))
    out = [_built(item, name) if isinstance(item, _Answer) else item for item in items]
    kept = [o for o in out if o is not None]
    total = len(kept)
    return [_renumber(obs, i, total) for i, obs in enumerate(kept, start=1)]


def _attempt_of(request: Request | None, tries: int) -> int | None:
    """botocore's ``amz-sdk-request: attempt=N; max=M`` header, else the count of requests sent
    since the operation began (when the log shows where it began)."""
    value = request.header("amz-sdk-request") if request is not None else None
    m = _ATTEMPT.search(value or "")
    if m:
        return int(m["n"])
    return tries or None


def _answers(m: re.Match[str], sent: _Sent | None) -> bool:
    """Whether a urllib3 status line is the answer to the thread's last sent request."""
    if sent is None:
        return True  # the log starts after the request: the answer still counts
    request = sent.request
    if request is None:
        return True
    # The next status line on the thread answers it even when method or target differ: a
    # hook or proxy layer changed the request after botocore logged it (the answer records
    # the request line sent). A credential fetch runs before the signed request is logged.
    return True


def _cli_error(
    items: list[Observation | _Answer], rec: _Record, m: re.Match[str], msg: str
) -> None:
    """Attach the CLI's "An error occurred (Code) when calling the X operation: ..." to the
    last answer (the one the CLI gave up on); without any answer it stands alone."""
    line = rec.line + msg.count("\n", 0, m.start())
    entry = (line, m["code"], m["op"], m["msg"])
    answers = [item for item in items if isinstance(item, _Answer)]
    if answers:
        last = answers[-1]
        if any(e[1:] == entry[1:] for e in last.cli_errors):
            return  # the traceback's ClientError and the final line say the same
        last.cli_errors.append(entry)
        if m["retries"]:
            last.extra["max_retries"] = m["retries"]
        return
    sent = next(
        (
            item
            for item in reversed(items)
            if isinstance(item, Observation) and item.party == "client"
        ),
        None,
    )
    ans = _Answer(line, rec.at, None)
    if sent is not None and sent.exchange is not None:
        ans.sent = _Sent(sent.exchange, sent.attempt, sent.request, 0, None)
    ans.cli_errors.append(entry)
    if m["retries"]:
        ans.extra["max_retries"] = m["retries"]
    items.append(ans)


def _built(ans: _Answer, name: str) -> Observation | None:
    """The answer as a "server" observation; None for the answer to an unsigned request."""
    sent = ans.sent
    if sent is not None and sent.exchange == 0:
        return None
    if sent is None and not (ans.has_headers or ans.has_body or ans.cli_errors):
        return None  # a bare status line before any request (a credential fetch, say)
    body = ans.body
    extra = dict(ans.extra)
    for _line, code, op, text in ans.cli_errors:
        extra["cli_error"] = f"An error occurred ({code}) when calling the {op} operation: {text}"
        extra["operation"] = op
        if code.isdigit():
            continue  # a bodyless answer (HEAD): botocore names the status, not a code
        if body is None:
            body = Observation(source="s3-error", party="server", error_code=code)
        if body.error_code is None:
            body = replace(body, error_code=code)
        if body.error_message in (None, "") and text != "None":
            body = replace(body, error_message=text)
    if sent is not None and sent.operation and "operation" not in extra:
        extra["operation"] = sent.operation
    if sent is None:
        to = "answer with no signed request before it in the log"
    else:
        tried = f" (attempt {sent.attempt})" if sent.attempt else ""
        to = f"answer to request {sent.exchange}{tried}"
    lines = [ans.line] if ans.has_headers or ans.status is not None else []
    lines += [e[0] for e in ans.cli_errors]
    line = min(lines) if lines else ans.line
    return answer(
        "awscli-debug",
        status=ans.status,
        headers=ans.headers,
        body=body,
        body_note=ans.body_note,
        where=f"{to}, line {line}",
        logged_at=ans.at,
        exchange=sent.exchange if sent is not None else None,
        attempt=sent.attempt if sent is not None else None,
        extra=extra,
    )


def _renumber(obs: Observation, index: int, total: int) -> Observation:
    return replace(obs, where=f"observation {index} of {total} in the log, {obs.where}")


def _sent_request(message: str, where: str) -> Request | None:
    """The ``AWSPreparedRequest`` repr: method, URL and a dict of str/bytes header values."""
    parts = _split_sending(message)
    if parts is None:
        return None  # older botocore printed only <PreparedRequest [GET]>
    method, url, header_repr = parts
    try:
        raw = ast.literal_eval(header_repr)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise InputError(where, "the sent request's headers do not parse (truncated?)") from None
    if not isinstance(raw, dict):
        raise InputError(where, "the sent request's headers are not a dict")
    headers: list[tuple[str, str]] = []
    for key, value in raw.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        headers.append((str(key), str(value)))
    try:
        return Request.from_url(method, url, headers)
    except InputError as exc:
        raise InputError(where, f"sent request: {exc}") from None


def _split_sending(message: str) -> tuple[str, str, str] | None:
    """Cut ``... method=GET, url=URL, headers={...}>`` by position (no backtracking regex:
    the message can be megabytes long)."""
    text = message.rstrip()
    if "<AWSPreparedRequest " not in text or not text.endswith("}>"):
        return None
    at = text.find(" method=")
    if at == -1:
        return None
    method, sep, rest = text[at + 8 :].partition(", url=")
    url, sep2, headers = rest.partition(", headers=")
    if not sep or not sep2 or not method or " " in method or not url or " " in url:
        return None
    return method, url, headers[:-1]


def _response_headers(text: str, where: str) -> tuple[tuple[str, str], ...]:
    """botocore prints the response headers as a dict repr (str or bytes values)."""
    try:
        raw = ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise InputError(where, "Response headers do not parse (truncated?)") from None
    if not isinstance(raw, dict):
        raise InputError(where, "Response headers are not a dict")
    out: list[tuple[str, str]] = []
    for key, value in raw.items():
        if isinstance(value, bytes):
            value = _text(value)
        out.append((_text(key) if isinstance(key, bytes) else str(key), str(value)))
    return tuple(out)


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _response_body(
    body: str, name: str, line: int, headers: tuple[tuple[str, str], ...]
) -> tuple[Observation | None, str | None]:
    """botocore prints the server's answer as a Python bytes repr on the next line. A body cut
    off (the log ends inside it) is noise; the code it names still counts."""
    text = body.strip()
    if not text:
        return None, None
    if not text.startswith(("b'", 'b"')):
        return None, None  # a stream (<botocore.response.StreamingBody ...>): not logged
    try:
        raw = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        code = salvage_code(text)
        obs = Observation(source="s3-error", party="server", error_code=code) if code else None
        return obs, "the response body is cut off; not read"
    if not isinstance(raw, bytes):
        return None, "the response body is not a bytes repr; not read"
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "the response body is not UTF-8 text; not read"
    return read_body(decoded, name=f"{name} (response body)", line=line, headers=headers)

"""The one-line errors SDKs and tools print for a refusal, read as the server's answer.

Users often have nothing but the line their program logged: the AWS CLI's and botocore's
``An error occurred (Code) when calling the Op operation: message``, the Go SDK's
``operation error S3: Op, https response error StatusCode: 400, …, api error Code: message``,
the Java SDK's ``message (Service: S3, Status Code: 400, Request ID: …)`` or a JavaScript
``Code: message`` line. Each carries the store's code and message, which is what the cause
registry reads (`sigkit.debug.causes.from_answer`).
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from sigkit.debug.model import Observation

_MAX_DICT = 1 << 16  # a response dict longer than this is not read as a Python literal

_PATTERNS = (
    (  # the AWS CLI, botocore, boto3, aiobotocore
        "botocore",
        re.compile(
            r"An error occurred \((?P<code>[A-Za-z0-9.]+)\) when calling the (?P<op>\w+) "
            r"operation(?: \(reached max retries: \d+\))?: (?P<message>.*)"
        ),
    ),
    (  # the AWS SDK for Go v2
        "go-sdk",
        re.compile(
            r"operation error [^:]+: (?P<op>\w+), https response error StatusCode: "
            r"(?P<status>\d{3})(?:, RequestID: [^,]*)?(?:, HostID: [^,]*)?, "
            r"api error (?P<code>[A-Za-z0-9.]+): (?P<message>.*)"
        ),
    ),
    (  # s3cmd: "ERROR: S3 error: 400 (XAmzContentSHA256Mismatch): The provided …"
        "s3cmd",
        re.compile(
            r"S3 error: (?P<status>\d{3}) \((?P<code>[A-Za-z0-9.]+)\)(?:: (?P<message>.*))?"
        ),
    ),
    (  # Apache HttpClient's HttpResponseException (Cyberduck, the Java SDK v1's clients)
        "http-client",
        re.compile(r"status code: (?P<status>\d{3}), reason phrase: (?P<message>.+)"),
    ),
    (  # the AWS SDK for Java 2.x
        "java-sdk",
        re.compile(
            r"(?P<message>[^()\n]*?) \(Service: S3, Status Code: (?P<status>\d{3})"
            r"(?:, Request ID: [^,)]*)?(?:, Extended Request ID: [^,)]*)?"
            r"(?:, Error Code: (?P<code>[A-Za-z0-9.]+))?"
        ),
    ),
)
# A bare "Code: message" line (JavaScript v3, many tools): only for codes the checksum-era
# stores answer, so that ordinary text is never read as an answer.
_BARE = re.compile(
    r"\b(?P<code>NotImplemented|InvalidArgument|MissingContentMD5|MissingContentLength|"
    r"XAmzContentSHA256Mismatch|InvalidTrailer|InvalidDigest|BadDigest|BadRequest): "
    r"(?P<message>[^\n]+)"
)


# The AWS SDK for JavaScript v3's error as loggers print it (logfmt, util.inspect, JSON): its
# `$metadata` carries the status; `Code`/`name` and `message` the store's answer.
_JS_CODE = re.compile(
    r"""(?:\bCode|\bname|"Code"|"name")\s*[=:]\s*["']?(?P<code>[A-Z][A-Za-z0-9.]+)"""
)
_JS_MESSAGE = re.compile(
    r"""(?:\bmessage|"message")\s*[=:]\s*(?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>(?:[^'\\]|\\.)*)')"""
)
_JS_STATUS = re.compile(r"""httpStatusCode["']?\s*[=:]\s*(?P<status>\d{3})""")


def _js_error(line: str, name: str, number: int) -> Observation | None:
    if "$metadata" not in line:
        return None
    code = _JS_CODE.search(line)
    if code is None:
        return None
    said = _JS_MESSAGE.search(line)
    message = (said["dq"] if said and said["dq"] is not None else said["sq"] if said else "") or ""
    status = _JS_STATUS.search(line)
    return Observation(
        source="js-sdk",
        party="server",
        status=int(status["status"]) if status else None,
        error_code=code["code"],
        error_message=message.replace('\\"', '"').strip() or None,
        where=f"{name} line {number}",
    )


def read_sdk_error(text: str, *, name: str = "input") -> Observation | None:
    """The last refusal line `text` holds, as the server's answer; None when it holds none.
    A whole text that is boto3's error response ({'Error': {'Code', 'Message'},
    'ResponseMetadata': {'HTTPStatusCode'}}, as JSON or as Python prints it) is read too."""
    response = _response_dict(text.strip(), name)
    if response is not None:
        return response
    found: Observation | None = None
    for number, line in enumerate(text.splitlines(), 1):
        for source, pattern in _PATTERNS:
            match = pattern.search(line)
            if match is not None:
                found = _answer(source, match, name, number)
                break
        else:
            js = _js_error(line, name, number)
            if js is not None:
                found = js
                continue
            match = _BARE.search(line)
            if match is not None:
                found = _answer("sdk-error", match, name, number)
    if (found is None or found.source == "sdk-error") and "$metadata" in text:
        found = _js_inspected(text, name) or found
    return found


_JS_HEAD = re.compile(r"^(?P<code>[A-Z][A-Za-z0-9.]+): (?P<message>[^\n]+)$", re.MULTILINE)


def _js_inspected(text: str, name: str) -> Observation | None:
    """A JavaScript v3 error as console.log/util.inspect prints it over many lines: ``Code:
    message``, the stack, then ``{ '$fault': …, '$metadata': { httpStatusCode: 404 …}, Code:
    'NoSuchBucket' }``."""
    code = _JS_CODE.search(text[text.index("$metadata") :])
    head = _JS_HEAD.search(text)
    if code is None and head is None:
        return None
    said = _JS_MESSAGE.search(text)
    message = (said["dq"] if said and said["dq"] is not None else said["sq"] if said else "") or ""
    if not message and head is not None:
        message = head["message"]
    status = _JS_STATUS.search(text)
    first = head.start() if head is not None else text.index("$metadata")
    return Observation(
        source="js-sdk",
        party="server",
        status=int(status["status"]) if status else None,
        error_code=code["code"] if code is not None else head["code"] if head else None,
        error_message=message.strip() or None,
        where=f"{name} line {text.count(chr(10), 0, first) + 1}",
    )


# S3's own messages, for the SDK lines that print the message and not the code (the AWS SDK for
# Java's S3Exception): lower-case fragment -> code.
_CODE_OF_MESSAGE = (
    ("the provided 'x-amz-content-sha256' header does not match what was computed",
     "XAmzContentSHA256Mismatch"),
    ("you must provide the content-length http header", "MissingContentLength"),
    ("the request signature we calculated does not match", "SignatureDoesNotMatch"),
    ("the difference between the request time and the current time is too large",
     "RequestTimeTooSkewed"),
    ("you specified did not match the calculated checksum", "BadDigest"),
    ("you specified did not match what we received", "BadDigest"),
)
# An exception's class before its message ("software.amazon...S3Exception: ", "Caused by: ").
_EXCEPTION = re.compile(
    r"^(?:.*?\b(?:Caused by|Exception in thread \S+):\s*)?[\w.$]+(?:Exception|Error):\s+"
)


def _code_of(message: str) -> str | None:
    low = message.lower()
    return next((code for text, code in _CODE_OF_MESSAGE if text in low), None)


def _answer(source: str, match: re.Match[str], name: str, line: int) -> Observation:
    groups = match.groupdict()
    status = groups.get("status")
    message = (groups.get("message") or "").strip().strip('"')
    if source in ("java-sdk", "http-client"):
        message = _EXCEPTION.sub("", message, count=1)
    details = {"operation": groups["op"]} if groups.get("op") else {}
    return Observation(
        source=source,
        party="server",
        status=int(status) if status else None,
        error_code=groups.get("code") or _code_of(message),
        error_message=message or None,
        details=details,
        where=f"{name} line {line}",
    )


def _response_dict(text: str, name: str) -> Observation | None:
    """boto3's ClientError.response, printed as JSON or as a Python dict."""
    if not text.startswith("{") or "Error" not in text:
        return None
    doc: Any = None
    try:
        doc = json.loads(text)
    except ValueError:
        if len(text) <= _MAX_DICT:
            try:
                doc = ast.literal_eval(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("Error"), dict):
        return None
    error = doc["Error"]
    code, message = error.get("Code"), error.get("Message")
    if not isinstance(code, str) or not code:
        return None
    meta = doc.get("ResponseMetadata")
    status = meta.get("HTTPStatusCode") if isinstance(meta, dict) else None
    return Observation(
        source="sdk-response",
        party="server",
        status=status if isinstance(status, int) else None,
        error_code=code,
        error_message=message if isinstance(message, str) and message else None,
        where=f"{name}, the SDK's error response",
    )

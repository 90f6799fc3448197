"""Shell-safe curl commands built from signing results.

Everything a shell will run is quoted so that any value (quotes, ``$()``, backticks, newlines,
unicode) reaches curl unchanged. Secrets are referred to as environment variables unless the
caller asks for them inline.

A request becomes a command in one of three styles: ``aws-sigv4`` (curl signs when it runs),
``headers`` (the core's signature, sent as fixed headers) and ``script`` (bash that signs when
it runs with ``date`` and ``openssl``; the text it signs still comes from the core). See
docs/curl.md for what each curl version does with each.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sigkit.credentials import Credentials, mask
from sigkit.errors import InputError
from sigkit.http import Request, split_url
from sigkit.result import SigningResult
from sigkit.s3uri import Addressing, has_dot_segment
from sigkit.sigv2.s3 import S3V2Config, sign_v2, v2_rules
from sigkit.sigv4.canonical import header_groups
from sigkit.sigv4.config import SESSION_TOKEN_NAMES, UNSIGNED_PAYLOAD, SigV4Config, rules_for
from sigkit.sigv4.signer import canonical_steps, sign_v4
from sigkit.timefmt import EPOCH


@dataclass(frozen=True, slots=True)
class Var:
    """A shell variable in a generated word, expanded when the command runs: ``"${NAME}"``."""

    name: str

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"{self.name!r} is not a shell variable name")


Part = str | Var
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_BARE = re.compile(r"[A-Za-z0-9@%+=:,./_-]+\Z")  # needs no quotes (shlex.quote's safe set)
# Literal text that may stand inside double quotes next to a variable: printable ASCII but
# the characters double quotes do not quote ($ ` \ "), and ! (history expansion when the
# command is pasted into an interactive bash).
_DOUBLE_QUOTABLE = re.compile(r"[\x20-\x7e]*\Z")
_DOUBLE_SPECIAL = frozenset('$`\\"!')
_ESCAPED = ("Cc", "Cf", "Cs", "Zl", "Zp")  # never raw in a comment (`comment`)


def shell_word(*parts: Part, line_feeds: bool = False) -> str:
    """The one quoting path for every word sigkit writes for a shell (bash) to run.

    Literal text reaches the program byte for byte and runs nothing: it is single-quoted
    (``'`` spliced in as ``'"'"'``), and everything but printable ASCII (control and format
    characters, line breaks, any non-ASCII character, undecodable bytes) is written as
    ``$'\\xHH'`` escapes of its UTF-8 bytes: the text holds no raw line break, escape
    sequence or bidi control, and is plain ASCII, so it reaches bash unchanged whatever the
    encoding of the stream it is printed to or the locale it runs in. A `Var` becomes
    ``"${NAME}"``. A word
    without variables and with only safe characters is left bare (as shlex.quote does); a
    word whose literal parts are plain printable ASCII without ``$ ` \\ " !`` is written
    as one double-quoted string (``"x-amz-date: ${amz_date}"``). With `line_feeds`, a line
    feed stays raw inside the single quotes (a multi-line text kept readable; the caller
    must not re-indent the lines).
    """
    merged: list[Part] = []
    for part in parts:  # adjacent literal parts are one run of text
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    parts = tuple(merged)
    literal = "".join(p for p in parts if isinstance(p, str))
    if "\0" in literal:
        raise InputError("text", "holds a NUL character, which no command line can carry")
    if not any(isinstance(p, Var) for p in parts):
        if not literal:
            return "''"
        if _BARE.match(literal):
            return literal
    elif _DOUBLE_QUOTABLE.match(literal) and not _DOUBLE_SPECIAL & set(literal):
        return '"' + "".join(p if isinstance(p, str) else f"${{{p.name}}}" for p in parts) + '"'
    out: list[str] = []
    for part in parts:
        if isinstance(part, Var):
            out.append(f'"${{{part.name}}}"')
        else:
            out.extend(_quoted_runs(part, line_feeds))
    return "".join(out) or "''"


def _quoted_runs(text: str, line_feeds: bool) -> list[str]:
    """Single-quoted runs of printable ASCII, ``$'\\xHH'`` runs of everything else."""
    out: list[str] = []
    for escaped, run in itertools.groupby(
        text,
        key=lambda c: not (" " <= c <= "~" or (line_feeds and c == "\n")),
    ):
        chunk = "".join(run)
        if escaped:
            try:
                data = chunk.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                data = chunk.encode("utf-8", "surrogatepass")
            out.append("$'" + "".join(f"\\x{b:02x}" for b in data) + "'")
        else:
            out.append("'" + chunk.replace("'", "'\"'\"'") + "'")
    return out


def quote(text: str) -> str:
    """One literal shell word (`shell_word` of the text alone)."""
    return shell_word(text)


def quote_with_variables(
    text: str, variables: Mapping[str, str], *, line_feeds: bool = False
) -> str:
    """Quote `text`, leaving each value in `variables` as a ``"${NAME}"`` reference instead.

    Used to keep session tokens and secrets out of generated commands.
    """
    parts: list[Part] = [text]
    for value, name in sorted(
        ((v, n) for n, v in variables.items() if v), key=lambda p: -len(p[0])
    ):
        split: list[Part] = []
        for part in parts:
            if isinstance(part, Var):
                split.append(part)
                continue
            pieces = part.split(value)
            for i, piece in enumerate(pieces):
                if i:
                    split.append(Var(name))
                split.append(piece)
        parts = split
    return shell_word(*parts, line_feeds=line_feeds)


def comment(text: str) -> str:
    """Text for a ``#`` comment line: control characters (a newline in an S3 key, say) are
    written as escapes, since a raw one would end the comment and the rest would run; so are
    the format characters and undecodable bytes `shell_word` escapes (a bidi override would
    make the comment read differently from the command under it)."""
    return "".join(_escaped(c) if unicodedata.category(c) in _ESCAPED else c for c in text)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _curl_form_file(path: str) -> str:
    """curl ``-F name=@"path"``: quotes let ``;`` and ``,`` stand in the file name (curl
    unescapes ``\\"`` and ``\\\\`` there); ``-`` alone would be standard input."""
    if path == "-":
        path = "./-"
    escaped = path.replace("\\", "\\\\").replace('"', '\\"')
    return f'@"{escaped}"'


def form_command(
    url: str,
    fields: Sequence[tuple[str, str]],
    file_path: str,
    *,
    variables: Mapping[str, str] | None = None,
) -> str:
    """A ``curl`` POST of a multipart form: every field literal (``--form-string``, so curl
    reads no ``@file`` or ``;type=`` from it), the file part last, as S3 requires; ``-g``:
    no ``[]{}`` globbing of the URL."""
    variables = variables or {}
    lines = ["curl --fail-with-body -sS -g -X POST " + quote(url)]
    for name, value in fields:
        lines.append("  --form-string " + quote_with_variables(f"{name}={value}", variables))
    lines.append("  -F " + quote("file=" + _curl_form_file(file_path)))
    return " \\\n".join(lines)


# --- curl commands for one S3 (or other SigV4) request, in three styles ----------------------

STYLES = ("aws-sigv4", "headers", "script")
# S3's own default object type; sent explicitly wherever curl would otherwise add its form
# type (``--data-raw``, ``--data-binary``), so that the header is one the signature covers.
DEFAULT_CONTENT_TYPE = "binary/octet-stream"
TOKEN_VARIABLE = "AWS_SESSION_TOKEN"
_TOKEN_HEADER = "x-amz-security-token"
# Stand-ins for values only known when the script runs; replaced by shell variables.
_RUNTIME_DATE = "sigkit-runtime-date-7d1f0c"
_RUNTIME_HASH = "sigkit-runtime-payload-hash-7d1f0c"
_RUNTIME_TOKEN = "sigkit-runtime-session-token-7d1f0c"
_CONTINUE = " \\\n  "
_HEX_TOOL = "sed 's/^.* //'"  # last word of `openssl dgst` output, whatever its version prints


@dataclass(frozen=True, slots=True)
class CurlCall:
    """One request to turn into a curl command.

    `url` is sent exactly as written (the S3 commands build it already in canonical form).
    `headers` are the caller's own (Content-Type, x-amz-meta-*), sent and signed in every
    style. The body is `data` (text, sent with ``--data-raw``) or `upload` (a file that curl
    reads when the command runs). `bucket` and `addressing` locate the bucket for S3 V2.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    data: str | None = None
    upload: str | None = None
    output: str | None = None
    region: str = "us-east-1"
    service: str = "s3"
    bucket: str | None = None
    addressing: Addressing | None = None

    def __post_init__(self) -> None:
        if self.data is not None and self.upload is not None:
            raise InputError("body", "give either data or a file to upload, not both")
        for name, value in self.headers:
            if not value.strip():
                raise InputError(
                    f"header {name}", "empty value: curl drops such a header in some versions"
                )
        Request.from_url(self.method, self.url, self.headers)  # refuses what cannot be sent
        for text in (self.url, self.data or "", *(v for _, v in self.headers)):
            if any(p in text for p in (_RUNTIME_DATE, _RUNTIME_HASH, _RUNTIME_TOKEN)):
                raise InputError("request", "holds a sigkit placeholder string; change it")

    @property
    def path(self) -> str:
        return split_url(self.url)[2]

    def upload_with_t(self) -> bool:
        """``-T FILE`` streams the file and adds no Content-Type, but curl appends the file's
        name to a URL ending in ``/`` (`t_renames`); and other services than S3 need curl to
        hash the body, which curl does only for a body it holds in memory
        (``--data-binary @FILE``)."""
        return (
            self.upload is not None
            and not t_renames(self.path)
            and self.v4_config().content_sha256_header
        )

    def v4_config(self) -> SigV4Config:
        """The SigV4 rules of this call's service (header variant)."""
        return rules_for(self.service, self.region)

    def v2_config(self) -> S3V2Config:
        """The S3 V2 config locating this call's bucket."""
        return v2_rules(self.service, addressing=self.addressing, bucket=self.bucket)

    def sent_headers(self) -> tuple[tuple[str, str], ...]:
        """The caller's headers plus the Content-Type that stops curl adding its own."""
        in_memory = self.data is not None or (self.upload is not None and not self.upload_with_t())
        if in_memory and not any(n.lower() == "content-type" for n, _ in self.headers):
            return (*self.headers, ("Content-Type", DEFAULT_CONTENT_TYPE))
        return self.headers

    def request(self, body: bytes | BinaryIO | None = None) -> Request:
        return Request.from_url(self.method, self.url, self.sent_headers(), body)

    def known_payload_hash(self) -> str | None:
        """SHA-256 of the body when it is known now (None for a file read at run time)."""
        if self.upload is not None:
            return None
        return hashlib.sha256((self.data or "").encode("utf-8")).hexdigest()


def t_renames(path: str) -> bool:
    """curl ``-T FILE`` appends the file's name to a URL path whose last segment is empty,
    ``.`` or ``..`` (curl 7.88, even with ``--path-as-is``): such a URL needs another way to
    send the file."""
    return path.rpartition("/")[2] in ("", ".", "..")


def file_word(path: str) -> str:
    """curl reads ``-`` and ``.`` as standard input: name such files by a relative path."""
    return quote("./" + path if path in ("-", ".") else path)


def data_file_word(path: str) -> str:
    """curl ``--data-binary @FILE``: ``@-`` would be standard input."""
    return quote("@" + ("./-" if path == "-" else path))


def _method_words(call: CurlCall) -> list[str]:
    """``-X`` only where curl's own choice differs (``-T`` is PUT; ``-X HEAD`` would wait for
    a body, ``--head`` does not)."""
    if call.upload_with_t():
        return [] if call.method == "PUT" else ["-X", quote(call.method)]
    if call.method == "HEAD" and call.data is None and call.upload is None:
        return ["--head"]
    if call.method == "GET" and call.data is None and call.upload is None:
        return []
    return ["-X", quote(call.method)]


def _body_lines(call: CurlCall) -> list[str]:
    if call.data is not None:
        return ["--data-raw " + quote(call.data)]
    if call.upload is None:
        return []
    if call.upload_with_t():
        return ["-T " + file_word(call.upload)]
    return ["--data-binary " + data_file_word(call.upload)]


def _command(call: CurlCall, option_lines: list[str], *, path_as_is: bool) -> str:
    """``-sS --fail-with-body``: quiet, but errors shown with the server's body and exit 22;
    ``-g``: no ``[]{}`` globbing of the URL or the file names.

    One option per line, joined by backslash-newline; no word holds a raw line break
    (`shell_word`), so the text can be indented line by line."""
    first = ["curl", "-sS", "--fail-with-body", "-g"]
    if path_as_is:
        first.append("--path-as-is")
    first += _method_words(call)
    last = quote(call.url)
    if call.output is not None and call.output != "-":
        last += " -o " + file_word(call.output)
    return _CONTINUE.join([" ".join(first), *option_lines, *_body_lines(call), last])


def _header_line(name: str, *value: Part) -> str:
    """``-H 'Name: value'``; the value may hold variables."""
    return "-H " + shell_word(f"{name}: ", *value)


def token_word(token: str | None, *, inline: bool, name: str = _TOKEN_HEADER) -> str | None:
    """The session-token header `name` as a shell word: ``"$AWS_SESSION_TOKEN"`` unless
    inline."""
    if token is None:
        return None
    if inline:
        return _header_line(name, token)
    return _token_reference(name)


def _token_reference(name: str) -> str:
    return _header_line(name, Var(TOKEN_VARIABLE))


def aws_sigv4_command(
    call: CurlCall, *, session_token: str | None, inline: Credentials | None = None
) -> str:
    """``curl --aws-sigv4``: curl signs when it runs; sigkit adds what curl leaves out.

    curl before 8.0 sends no ``x-amz-content-sha256``, which S3 requires (RGW reads its absence
    as UNSIGNED-PAYLOAD and refuses the empty-body hash curl signs); since 7.87 curl signs the
    value of that header when the caller gives it, so every version from 7.87 on agrees with
    the server when the header is given: the body's hash when known now, else UNSIGNED-PAYLOAD.
    """
    if inline is not None:
        user = quote(f"{inline.access_key_id}:{inline.secret_access_key}")
        token = inline.session_token
    else:
        user = shell_word(Var("AWS_ACCESS_KEY_ID"), ":", Var("AWS_SECRET_ACCESS_KEY"))
        token = session_token
    lines = [
        "--aws-sigv4 " + quote(f"aws:amz:{call.region}:{call.service}"),
        "--user " + user,
    ]
    if call.v4_config().content_sha256_header:
        payload = call.known_payload_hash() or UNSIGNED_PAYLOAD
        lines.append(_header_line("x-amz-content-sha256", payload))
    word = token_word(
        token, inline=inline is not None, name=call.v4_config().session_token_name.lower()
    )
    if word:
        lines.append(word)
    lines.extend(_header_line(n, v) for n, v in call.sent_headers())
    return _command(call, lines, path_as_is=has_dot_segment(call.path))


CurlVersion = tuple[int, int, int]
_NEWEST: CurlVersion = (99, 0, 0)


def aws_sigv4_remarks(call: CurlCall, curl_version: CurlVersion | None = None) -> list[str]:
    """What the curl versions that get this request wrong do with it, for the curl that will
    run the command (`curl_version`; None: unknown, every remark). docs/curl.md has the
    table."""
    found: list[tuple[CurlVersion, CurlVersion, str]] = []
    if has_dot_segment(call.path):
        found.append(
            (
                (8, 9, 0),
                _NEWEST,
                "the path has a '.' or '..' segment, which curl removes unless --path-as-is; "
                "curl 7.x signs with --path-as-is, but newer curl (8.14 at least) refuses "
                "--aws-sigv4 with it: use --style headers or script there",
            )
        )
    if "%" in call.path:
        found.append(
            (
                (8, 9, 0),
                (8, 14, 0),
                "the path holds percent-encoded bytes: curl 8.9 to 8.13 --aws-sigv4 encodes "
                "them once more and S3 refuses the signature; other versions sign it as sent",
            )
        )
    query = split_url(call.url)[3] or ""
    if "%2B" in query.upper():
        found.append(
            (
                (8, 14, 0),
                (8, 19, 0),
                "the query holds %2B (a literal '+'): curl 8.14 to 8.18 --aws-sigv4 signs it "
                "as a space and S3 refuses the signature",
            )
        )
    names = sorted({n.lower() for n, _ in call.sent_headers()})
    if len(names) != len(call.sent_headers()):
        found.append(
            ((0, 0, 0), (8, 13, 0), "a header is repeated: curl before 8.13 --aws-sigv4 signs "
             "it wrongly")
        )  # fmt: skip
    if any(b.startswith(a) for a, b in itertools.pairwise(names)):
        found.append(
            (
                (0, 0, 0),
                (8, 10, 0),
                "one header name is a prefix of another: curl before 8.10 --aws-sigv4 sorts "
                "them wrongly",
            )
        )
    return [text for low, high, text in found if curl_version is None or low <= curl_version < high]


def sign_call(call: CurlCall, credentials: Credentials, when: datetime, sig: str) -> SigningResult:
    """Sign the request the command will send, with the core signers (no signing here)."""
    if sig == "v2":
        return sign_v2(call.request(), credentials, when, call.v2_config())
    config = call.v4_config()
    if call.upload is None:
        body = None if call.data is None else call.data.encode("utf-8")
        return sign_v4(call.request(body), credentials, when, config)
    try:
        with open(call.upload, "rb") as stream:
            return sign_v4(call.request(stream), credentials, when, config)
    except OSError as exc:
        raise InputError("FILE", f"{comment(call.upload)}: {exc.strerror or exc}") from None


def headers_command(call: CurlCall, result: SigningResult, *, inline: bool = False) -> str:
    """Plain curl sending the signed request's headers: exactly the request that was signed
    (curl adds only Host, which is the same, and unsigned User-Agent, Accept, Content-Length
    and Expect). The session token header refers to ``$AWS_SESSION_TOKEN`` unless inline."""
    lines = []
    for name, value in result.request.headers:
        if name.lower() == "host":
            continue
        if name.lower() in SESSION_TOKEN_NAMES and not inline:
            lines.append(_token_reference(name))
        else:
            lines.append(_header_line(name, value))
    return _command(call, lines, path_as_is=has_dot_segment(call.path))


def upload_command(
    url: str, result: SigningResult, body_file: str, *, service: str = "s3", inline: bool = False
) -> str:
    """Plain curl PUTting `body_file` with the signed request's headers (every one but Host,
    as signed: an aws-chunked seed's Content-Encoding, x-amz-decoded-content-length,
    Content-Length ...), for a body sigkit wrote to a file (``sigkit chunked --output``)."""
    call = CurlCall("PUT", url, upload=body_file, service=service)
    return headers_command(call, result, inline=inline)


def mask_token_line(line: str) -> str:
    """A canonical session-token line (``x-amz-security-token:VALUE``) with the value masked."""
    name, sep, value = line.partition(":")
    if sep and name.lower() in SESSION_TOKEN_NAMES:
        return f"{name}:{mask(value)}"
    return line


def script_command(
    call: CurlCall,
    *,
    sig: str,
    session_token: str | None,
    inline: Credentials | None = None,
) -> str:
    """A bash snippet that signs when it runs, with ``date`` and ``openssl`` only.

    The text to sign (canonical request or V2 string to sign) comes from the core signers,
    made with stand-ins for the time, the payload hash and the session token, which the
    script fills in; only the HMAC chain is left to openssl. It runs in a subshell, so that
    ``set -e`` and its variables do not leak into an interactive shell.
    """
    token = inline.session_token if inline is not None else session_token
    lines = ["(", "  set -eu -o pipefail"]
    if inline is not None:
        lines.append(f"  AWS_ACCESS_KEY_ID={quote(inline.access_key_id)}")
        lines.append(f"  AWS_SECRET_ACCESS_KEY={quote(inline.secret_access_key)}")
        if inline.session_token:
            lines.append(f"  {TOKEN_VARIABLE}={quote(inline.session_token)}")
    runtime = {"amz_date": _RUNTIME_DATE, "payload_hash": _RUNTIME_HASH}
    if token is not None:
        runtime[TOKEN_VARIABLE] = _RUNTIME_TOKEN
    if sig == "v2":
        lines += _script_v2(call, token is not None, runtime)
    else:
        lines += _script_v4(call, token is not None, runtime)
    lines.append(")")
    return "\n".join(lines)


def _script_v4(call: CurlCall, with_token: bool, runtime: Mapping[str, str]) -> list[str]:
    known = call.known_payload_hash()
    payload = known or _RUNTIME_HASH
    signing_headers = list(call.sent_headers())
    config = call.v4_config()
    if config.content_sha256_header:
        signing_headers.append(("x-amz-content-sha256", payload))
    signing_headers.append(("x-amz-date", _RUNTIME_DATE))
    if with_token:
        signing_headers.append((config.session_token_name.lower(), _RUNTIME_TOKEN))
    request = Request.from_url(call.method, call.url, signing_headers)
    request = request.with_headers([("Host", request.host)])
    values, _ = canonical_steps(
        request,
        header_groups(request.headers),
        config,
        config.unsigned_headers,
        (payload, "run time"),
    )
    lines = ["  amz_date=$(date -u +%Y%m%dT%H%M%SZ)"]
    if known is None:
        assert call.upload is not None
        source = quote(call.upload)
        lines.append(f"  payload_hash=$(openssl dgst -sha256 < {source} | {_HEX_TOOL})")
    scope = f"/{call.region}/{call.service}/aws4_request"
    lines += [
        "  canonical_request="
        + quote_with_variables(values["canonical_request"], runtime, line_feeds=True),
        f'  scope="${{amz_date%%T*}}"{quote(scope)}',
        "  request_hash=$(printf '%s' \"$canonical_request\""
        f" | openssl dgst -sha256 | {_HEX_TOOL})",
        "  string_to_sign=$(printf 'AWS4-HMAC-SHA256\\n%s\\n%s\\n%s' "
        '"$amz_date" "$scope" "$request_hash")',
        "  sigkit_hmac() {",
        f'    printf \'%s\' "$2" | openssl dgst -sha256 -mac HMAC -macopt "$1" | {_HEX_TOOL}',
        "  }",
        '  key=$(sigkit_hmac "key:AWS4${AWS_SECRET_ACCESS_KEY}" "${amz_date%%T*}")',
        f'  key=$(sigkit_hmac "hexkey:$key" {quote(call.region)})',
        f'  key=$(sigkit_hmac "hexkey:$key" {quote(call.service)})',
        '  key=$(sigkit_hmac "hexkey:$key" aws4_request)',
        '  signature=$(sigkit_hmac "hexkey:$key" "$string_to_sign")',
    ]
    authorization = _header_line(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=",
        Var("AWS_ACCESS_KEY_ID"),
        "/",
        Var("scope"),
        f", SignedHeaders={values['signed_headers']}, Signature=",
        Var("signature"),
    )
    options = [authorization, _header_line("x-amz-date", Var("amz_date"))]
    if config.content_sha256_header:
        options.append(_header_line("x-amz-content-sha256", known or Var("payload_hash")))
    if with_token:
        options.append(_token_reference(config.session_token_name.lower()))
    options.extend(_header_line(n, v) for n, v in call.sent_headers())
    command = _command(call, options, path_as_is=has_dot_segment(call.path))
    return lines + ["  " + line for line in command.split("\n")]


def _script_v2(call: CurlCall, with_token: bool, runtime: Mapping[str, str]) -> list[str]:
    placeholder = Credentials(
        "SIGKITPLACEHOLDER", "placeholder", _RUNTIME_TOKEN if with_token else None
    )
    request = call.request().with_headers([("x-amz-date", _RUNTIME_DATE)])
    config = call.v2_config()
    string_to_sign = sign_v2(request, placeholder, EPOCH, config)["string_to_sign"]
    lines = [
        "  amz_date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')",
        "  string_to_sign=" + quote_with_variables(string_to_sign, runtime, line_feeds=True),
        "  signature=$(printf '%s' \"$string_to_sign\""
        ' | openssl dgst -sha1 -mac HMAC -macopt "key:${AWS_SECRET_ACCESS_KEY}" -binary'
        " | openssl base64 -A)",
    ]
    options = [
        _header_line("Authorization", "AWS ", Var("AWS_ACCESS_KEY_ID"), ":", Var("signature")),
        _header_line("x-amz-date", Var("amz_date")),
    ]
    if with_token:
        options.append(_token_reference(_TOKEN_HEADER))
    options.extend(_header_line(n, v) for n, v in call.sent_headers())
    command = _command(call, options, path_as_is=has_dot_segment(call.path))
    return lines + ["  " + line for line in command.split("\n")]

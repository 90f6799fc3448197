"""Entry point: a lazily loaded Typer app; sigkit errors become one stderr line and an exit code.

Every command is listed here with its one-line summary and its examples, and its module is
imported only when that command runs or shows its own help. `sigkit --help` therefore imports
no command module and none of the heavy dependencies (cryptography, pygments, XML parsers):
startup is measured by bench/cli_startup.py, and what it imports is checked by
tests/test_cli_startup.py.

Start-up budget (issue #6): help is click's plain text (``rich_markup_mode=None``), since
rendering it with rich costs more than all of sigkit; rich then loads only for zsh/fish
completion descriptions. typer is held below 0.29, which converts every parameter through
pydantic (+70 ms on each command that runs).

Conventions every command keeps: ``--json`` for programs, colour only on a terminal and never
with NO_COLOR, exit status 0 ok, 1 a verification or comparison failed, 2 a usage or input error.
"""

from __future__ import annotations

import codecs
import contextlib
import importlib
import importlib.util
import io
import os
import re
import sys
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info, get_group
from typer.models import CommandInfo

from sigkit.errors import SigkitError

# Typer bundles its own click in recent releases; reach the classes through its public names.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]


@dataclass(frozen=True)
class Entry:
    """Where a command lives and what `sigkit --help` says about it without importing it.

    `optional` commands belong to modules that may not exist yet: they are listed and run
    only when the module is there."""

    module: str
    attr: str
    summary: str
    epilog: str | None = None
    optional: bool = False


def _examples(*lines: str) -> str:
    """An epilog click prints line for line (the ``\\b`` paragraph marker stops re-wrapping)."""
    return "Examples:\n\n\b\n" + "\n".join(lines)


COMMANDS: dict[str, Entry] = {
    "sign": Entry(
        "sigkit.cli.sign_cmd",
        "sign",
        "Sign one request and print every step.",
        _examples(
            "sigkit sign --example",
            "sigkit sign https://my-bucket.s3.eu-west-1.amazonaws.com/photos/cat.jpg",
            "sigkit sign -X POST https://sts.amazonaws.com/ \\",
            "    -H 'Content-Type: application/x-www-form-urlencoded' \\",
            "    -d 'Action=GetCallerIdentity&Version=2011-06-15'",
            "sigkit sign --sig v2 https://b.s3.amazonaws.com/k --presign --json",
        ),
    ),
    "presign": Entry(
        "sigkit.cli.presign_cmd",
        "presign",
        "Presigned S3 URL for GET, PUT, DELETE or HEAD (V4 or V2).",
        _examples(
            "sigkit presign s3://my-bucket/photos/cat.jpg",
            "sigkit presign s3://my-bucket/upload.bin --method PUT --expires 600 \\",
            "    --curl --file ./upload.bin",
            "sigkit presign s3://my-bucket/k --endpoint-url http://127.0.0.1:9000 --sig v2",
            "sigkit presign https://b.s3.eu-west-1.amazonaws.com/k --method DELETE --json",
        ),
    ),
    "chunked": Entry(
        "sigkit.cli.chunked_cmd",
        "chunked",
        "Sign an aws-chunked upload: seed and per-chunk signatures.",
        _examples(
            "sigkit chunked https://b.s3.amazonaws.com/big.bin --data-file big.bin \\",
            "    --output big.chunked",
            "sigkit chunked https://b.s3.amazonaws.com/k --data-file f \\",
            "    --payload STREAMING-UNSIGNED-PAYLOAD-TRAILER --checksum crc32c --json",
        ),
    ),
    "post-policy": Entry(
        "sigkit.cli.post_policy_cmd",
        "post_policy",
        "Sign a browser upload form (POST policy): fields and curl.",
        _examples(
            "sigkit post-policy 's3://my-bucket/uploads/${filename}' --file ./photo.jpg \\",
            "    --condition '[\"content-length-range\", 1, 10485760]'",
            "sigkit post-policy s3://my-bucket/k --sig v2 \\",
            "    --endpoint-url http://127.0.0.1:9000 --file f --json",
        ),
    ),
    "vectors": Entry(
        "sigkit.cli.vectors_cmd",
        "vectors",
        "Run test-vector case folders; exit 1 if any check failed.",
        _examples(
            "sigkit vectors vectors/",
            "sigkit vectors --json vectors/aws-c-auth/v4",
            "sigkit vectors new my-suite/get-k https://b.s3.amazonaws.com/k",
        )
        + "\n\n`sigkit vectors new DIR ...` writes a case (see its --help); a folder named"
        " `new` is run as ./new.",
    ),
    "vectors new": Entry(
        "sigkit.cli.vectors_cmd",
        "vectors_new",
        "Write a new vector case folder for a request (as for sign).",
        _examples(
            "sigkit vectors new my-suite/get-range \\",
            "    https://examplebucket.s3.amazonaws.com/test.txt \\",
            "    -H 'Range: bytes=0-9' --date 20130524T000000Z",
            "sigkit vectors new my-suite/put-v2 PUT https://b.s3.amazonaws.com/k -d hello --sig v2",
            "sigkit vectors my-suite",
        ),
    ),
    "verify": Entry(
        "sigkit.cli.verify_cmd",
        "verify",
        "Check a received request's signature with the secret; say why it fails.",
        _examples(
            "sigkit verify --example",
            "sigkit verify --example --json",
            "sigkit verify request.txt                # keys from the environment or ~/.aws",
            'sigkit verify request.txt --secret-key "$AWS_SECRET_ACCESS_KEY"',
            'sigkit verify "$(sigkit presign https://b.s3.amazonaws.com/k)" --json',
            "sigkit verify curl-trace.txt --format curl --now 20240101T120000Z",
        )
        + "\n\nSOURCE is what the server received: a presigned URL, raw HTTP request text, a"
        " curl -v or --trace-ascii capture, or an AWS CLI --debug log (the request it sent)."
        " A secret given alone (--secret-key) goes with AWS_ACCESS_KEY_ID, else with the"
        " access key the request names.",
    ),
    "diff": Entry(
        "sigkit.cli.diff_cmd",
        "diff",
        "Compare two views of a signed request step by step; first difference.",
        _examples(
            "sigkit diff client.debug.log server-error.xml   # they differ: exit 1",
            "sigkit diff aws.debug.log --ours                # the request in the log, our keys",
            'sigkit diff aws.debug.log --ours --secret-key "$AWS_SECRET_ACCESS_KEY"',
            "sigkit diff aws.debug.log --ours http://127.0.0.1:7480/inv-bucket/hello.txt \\",
            "    -H 'x-amz-checksum-mode: ENABLED' --service s3",
            "sigkit diff client.debug.log server-error.xml --json   # exit 1",
        ),
    ),
    "explain": Entry(
        "sigkit.cli.explain_cmd",
        "explain",
        "Diagnose a SignatureDoesNotMatch from an error body or a client log.",
        _examples(
            'sigkit explain aws.debug.log --secret-key "$AWS_SECRET_ACCESS_KEY"   # exit 1',
            "sigkit explain error.xml --also aws.debug.log   # the server's answer: exit 1",
            "sigkit explain error.xml --request-file request.txt \\",
            '    --secret-key "$AWS_SECRET_ACCESS_KEY"       # exit 1',
            "sigkit explain aws.debug.log --json             # keys from the environment: exit 1",
        )
        + "\n\nA secret given alone (--secret-key) goes with AWS_ACCESS_KEY_ID, else with the"
        " access key the source names.",
    ),
    "serve": Entry(
        "sigkit.cli.serve_cmd",
        "serve",
        "Local endpoint that verifies every request and answers with the verdict.",
        _examples(
            "sigkit serve --port 8400         # keys and region from the environment or ~/.aws",
            "aws s3api head-object --bucket my-bucket --key k --endpoint-url http://127.0.0.1:8400",
            "curl -sH 'Accept: application/json' \\",
            '    "$(sigkit presign s3://my-bucket/k --endpoint-url http://127.0.0.1:8400)"',
            "sigkit serve --host 0.0.0.0 --port 8400 --json   # reachable from other hosts",
        ),
    ),
    "curl": Entry(
        "sigkit.cli.curl_cmd",
        "curl_app",
        "Signed curl commands for S3: mb, put, ls, get, rm, rb and more.",
        optional=True,
    ),
    "config": Entry(
        "sigkit.cli.config_cmd",
        "config",
        "Show the credentials, region and endpoint in use, and why.",
        _examples("sigkit config", "sigkit config --profile dev --json"),
        optional=True,
    ),
    "checksum": Entry(
        "sigkit.cli.checksum_cmd",
        "checksum",
        "x-amz-checksum-* values of files, as S3 stores them (full and multipart).",
        _examples(
            "sigkit checksum big.bin",
            "sigkit checksum big.bin --algorithm crc64nvme --part-size 8MiB --json",
        ),
        optional=True,
    ),
    "proxy": Entry(
        "sigkit.cli.proxy_cmd",
        "proxy",
        "Stand between a client and a store: forward, diagnose each refusal, or re-sign.",
        _examples(
            "sigkit proxy --upstream http://127.0.0.1:7480 --port 8401",
            "aws s3 ls --endpoint-url http://127.0.0.1:8401   # each refusal explained in its log",
            "sigkit proxy --forward --port 8402   # then HTTPS_PROXY=http://127.0.0.1:8402",
            "sigkit proxy --upstream https://s3.eu-west-1.amazonaws.com --resign --port 8403",
        ),
        optional=True,
    ),
}
# Two-word commands ("vectors new") are resolved before their first word, see resolve_command.
_TWO_WORD = {name for name in COMMANDS if " " in name}


def _available(name: str) -> bool:
    """A non-optional command always is; an optional one when its module exists (found, not
    imported, so that listing commands stays cheap)."""
    entry = COMMANDS[name]
    if not entry.optional:
        return True
    try:
        return importlib.util.find_spec(entry.module) is not None
    except ImportError:
        return False


class LazyGroup(TyperGroup):
    """A Typer group that imports a command's module only when the command is resolved."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [name for name in COMMANDS if _available(name)] + [
            n for n in self.commands if n not in COMMANDS
        ]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        try:
            module = importlib.import_module(entry.module)
        except ImportError as exc:
            if entry.optional and exc.name == entry.module:
                return None
            raise
        command = _click_command(cmd_name, getattr(module, entry.attr), entry)
        self.commands[cmd_name] = command
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if len(args) >= 2 and f"{args[0]} {args[1]}" in _TWO_WORD:
            name = f"{args[0]} {args[1]}"
            return name, self.get_command(ctx, name), args[2:]
        try:
            return self._click_resolve_command(ctx, args)
        except _UsageError as exc:
            names = [n for n in self.list_commands(ctx) if " " not in n]
            matches = get_close_matches(args[0], names) if args else []
            if matches:
                message = exc.message.rstrip(".")  # type: ignore[attr-defined]
                exc.message = f"{message}. Did you mean {', '.join(map(repr, matches))}?"  # type: ignore[attr-defined]
            raise

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The list from the table above, so that `sigkit --help` imports no command module."""
        rows = [(name, COMMANDS[name].summary) for name in COMMANDS if _available(name)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """Command names from the table (completing them imports nothing), then options."""
        from typer._click.shell_completion import CompletionItem

        items = [
            CompletionItem(name, help=COMMANDS[name].summary)
            for name in COMMANDS
            if " " not in name and name.startswith(incomplete) and _available(name)
        ]
        items.extend(super(TyperGroup, self).shell_complete(ctx, incomplete))  # the options
        return items


def _click_command(name: str, target: object, entry: Entry) -> Any:
    """A click command for a function, or a click group for a Typer sub-app (as add_typer)."""
    if isinstance(target, typer.Typer):
        group = get_group(target)
        group.name = name
        if entry.epilog and not group.epilog:
            group.epilog = entry.epilog
        return _text_is_utf8(group)
    if not callable(target):
        raise TypeError(f"{entry.module}.{entry.attr} is neither a function nor a Typer app")
    info = CommandInfo(name=name, callback=target, epilog=entry.epilog)
    return _text_is_utf8(
        get_command_from_info(
            info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=None
        )
    )


# Parameters that name files (or sources that may be files): a file name may hold any bytes,
# which Python keeps as surrogates and gives back to the OS unchanged.
_PATH_PARAMS = frozenset(
    {"file", "data_file", "upload_file", "request_file", "output", "source", "sources", "args",
     "also", "paths", "folder"}
)  # fmt: skip
_AT_FILE_PARAMS = frozenset({"data", "data_binary"})  # curl's -d @FILE
_SURROGATE = re.compile("[\ud800-\udfff]")
_utf8_types: dict[type, type] = {}


def _text_is_utf8(command: Any) -> Any:
    """Every text option is UTF-8 text. Bytes Python could not decode from argv (kept as
    surrogates) are read as UTF-8 (what an ASCII locale such as LC_ALL=C leaves undecoded),
    and refused in one line naming the option when they are not UTF-8 either, where they
    would otherwise reach a header, a query or a policy and fail deep inside."""
    for sub in getattr(command, "commands", {}).values():
        _text_is_utf8(sub)
    for param in command.params:
        kind = type(param.type)
        if kind.__name__ != "StringParamType" or param.name in _PATH_PARAMS:
            continue
        if kind not in _utf8_types:
            _utf8_types[kind] = type("Utf8Text", (kind,), {"convert": _convert_utf8})
        param.type = _utf8_types[kind]()
    return command


def _convert_utf8(self: Any, value: Any, param: Any, ctx: Any) -> Any:
    value = super(type(self), self).convert(value, param, ctx)
    if not isinstance(value, str) or not _SURROGATE.search(value):
        return value
    if param is not None and param.name in _AT_FILE_PARAMS and value.startswith("@"):
        return value  # a file name
    raw = value.encode("utf-8", "surrogateescape")  # the bytes as given on the command line
    try:
        return raw.decode("utf-8")  # UTF-8 read under an ASCII locale (LC_ALL=C): take it
    except UnicodeDecodeError as exc:
        # The value is not repeated: it may be a secret (--secret-key, --session-token).
        self.fail(
            f"holds bytes that are not UTF-8 (byte {exc.start}); give it as UTF-8",
            param,
            ctx,
        )


app = typer.Typer(
    name="sigkit",
    cls=LazyGroup,
    help="AWS request signing, step by step: sign, presign, check vectors, debug mismatches.",
    epilog=(
        "Every command takes --help (with examples) and --json. Exit status: 0 ok, 1 a check"
        " failed, 2 a usage or input error."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        print(f"sigkit {_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_show_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """A root callback makes Typer build a group although no command is registered up front."""


def _version() -> str:
    """The installed distribution's version (read only when asked: importlib.metadata is slow)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sigkit")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


# Bugs (an exception no input check caught) are reported there, with SIGKIT_DEBUG=1's output.
BUG_REPORT = "the sigkit issue tracker (with the command and the output of SIGKIT_DEBUG=1)"
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """A message as one terminal line: control characters (a CR or LF, an escape sequence
    from a hostile file name) shown as escapes instead of moving the cursor."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _escape_unencodable(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler for stdout/stderr: what the stream's encoding cannot hold (é on an
    ASCII terminal, a surrogate from undecodable argv) is written as a \\uXXXX escape, which
    reads in text and stays valid inside JSON strings."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for char in exc.object[exc.start : exc.end]:
        code = ord(char)
        if code > 0xFFFF:  # a UTF-16 surrogate pair, as JSON writes it
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), exc.end


codecs.register_error("sigkit-escape", _escape_unencodable)


def _safe_streams() -> None:
    """stdout and stderr never raise on what they cannot encode (PYTHONIOENCODING=ascii,
    LC_ALL=C, a surrogate from a file name): they escape it instead."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, io.UnsupportedOperation):  # odd streams
                reconfigure(errors="sigkit-escape")


def _bug(exc: BaseException) -> int:
    """Last resort: an exception no check turned into an input error is a bug in sigkit. One
    line names it, the version and where to report it (the traceback with SIGKIT_DEBUG=1)."""
    import traceback

    if os.environ.get("SIGKIT_DEBUG", "") not in ("", "0"):
        traceback.print_exc()
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        where = f" at {Path(last.filename).name}:{last.lineno}"
    print(
        one_line(
            f"sigkit: internal error (a bug): {type(exc).__name__}: {exc}"[:400]
            + f"{where}; sigkit {_version()}; please report it to {BUG_REPORT}"
        ),
        file=sys.stderr,
    )
    return 70


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure the user can fix is one stderr line and exit status 2, and
    anything else (a bug) one line and exit status 70."""
    _safe_streams()
    try:
        return _main(argv)
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        try:
            return _bug(exc)
        except Exception:  # pragma: no cover - stderr itself is gone
            return 70


def _error(message: str) -> None:
    from sigkit.render import redact  # a URL or header in an error may carry a session token

    print(one_line(f"sigkit: error: {redact(message)}"), file=sys.stderr)


def _nul_argument(argv: list[str]) -> str | None:
    """The option (or argument) whose value holds a NUL: no file name, header or URL can, and
    the OS never passes one in argv (a caller of main() can)."""
    for i, arg in enumerate(argv):
        if "\x00" in arg:
            if arg.startswith("-") and "=" in arg:
                return arg.split("=", 1)[0]
            if i and argv[i - 1].startswith("-") and not arg.startswith("-"):
                return argv[i - 1]
            return f"argument {i + 1}"
    return None


def _main(argv: list[str] | None) -> int:
    command = typer.main.get_command(app)
    where = _nul_argument(sys.argv[1:] if argv is None else argv)
    if where is not None:
        _error(f"{where}: the value holds a NUL character, which no argument can hold")
        return 2
    try:
        result = command.main(args=argv, prog_name="sigkit", standalone_mode=False)
    except _UsageError as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help(), file=sys.stderr)
            return 2
        where = f" (sigkit {ctx.info_name})" if ctx is not None and ctx.parent else ""
        _error(f"{exc.format_message()}{where}")  # type: ignore[attr-defined]
        return 2
    except typer.Abort:
        print("sigkit: aborted", file=sys.stderr)
        return 130
    except SigkitError as exc:
        _error(str(exc))
        return exc.exit_code
    except BrokenPipeError:
        return 1
    except OSError as exc:
        # A file the user named could not be read or written: their input, not a bug.
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{exc.strerror or exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:  # --install-completion / --show-completion end with sys.exit
        return exc.code if isinstance(exc.code, int) else 0
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Entry point: builds the Typer app and turns sigkit errors into one stderr line."""

from __future__ import annotations

import sys

import typer

from sigkit.errors import SigkitError

# Typer bundles its own click in recent releases; reach the classes through its public names.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]

app = typer.Typer(
    name="sigkit",
    help="AWS request signing, step by step: sign, check vectors, debug mismatches.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _register() -> None:
    from sigkit.cli import chunked_cmd, post_policy_cmd, sign_cmd, vectors_cmd

    app.command("sign")(sign_cmd.sign)
    app.command("vectors")(vectors_cmd.vectors)
    app.command("post-policy")(post_policy_cmd.post_policy)
    app.command("chunked")(chunked_cmd.chunked)


_register()


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="sigkit", standalone_mode=False)
    except _UsageError as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help(), file=sys.stderr)
            return 2
        where = f" (sigkit {ctx.info_name})" if ctx is not None and ctx.parent else ""
        print(f"sigkit: error: {exc.format_message()}{where}", file=sys.stderr)  # type: ignore[attr-defined]
        return 2
    except typer.Abort:
        print("sigkit: aborted", file=sys.stderr)
        return 130
    except SigkitError as exc:
        print(f"sigkit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Generated shell text reaches the program unchanged, whatever it holds (checked by bash)."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigkit.curl import Var, quote, quote_with_variables, shell_word
from sigkit.errors import InputError

TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


def _echo(shell_word: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["bash", "-c", f"printf %s {shell_word}"], capture_output=True, env=env or {}, check=True
    )
    return proc.stdout.decode("utf-8")


@settings(max_examples=60, deadline=None)
@given(TEXT)
def test_quote_round_trips_through_bash(text: str) -> None:
    assert _echo(quote(text)) == text


@settings(max_examples=60, deadline=None)
@given(TEXT, TEXT.filter(bool))
def test_secret_becomes_a_variable_reference(prefix: str, secret: str) -> None:
    text = prefix + secret + prefix
    word = quote_with_variables(text, {"AWS_SESSION_TOKEN": secret})
    assert _echo(word, {"AWS_SESSION_TOKEN": secret}) == text


TOKEN = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", min_size=8)


@settings(max_examples=60, deadline=None)
@given(TEXT, TOKEN)
def test_secret_is_not_written_into_the_command(prefix: str, secret: str) -> None:
    word = quote_with_variables(f"x-amz-security-token={prefix}{secret}", {"T": secret})
    assert secret not in word


PARTS = st.lists(
    st.one_of(TEXT, st.text("!$`\"'\\ab", max_size=8), st.sampled_from([Var("A"), Var("B_2")])),
    max_size=6,
)
VALUES = {"A": "a!b $(touch pwned) `x`", "B_2": "\\\"'!!"}


def _expected(parts: list[str | Var]) -> str:
    return "".join(p if isinstance(p, str) else VALUES[p.name] for p in parts)


@settings(max_examples=60, deadline=None)
@given(PARTS)
def test_shell_word_round_trips_through_bash(parts: list[str | Var]) -> None:
    word = shell_word(*parts)
    assert word.isascii() and "\n" not in word
    assert _echo(word, VALUES) == _expected(parts)


@settings(max_examples=30, deadline=None)
@given(PARTS)
def test_shell_word_survives_history_expansion_when_pasted(parts: list[str | Var]) -> None:
    """An interactive bash expands ``!`` (history) inside double quotes but not inside single
    quotes or ``$'...'``: a command pasted into a terminal must read the same as a script."""
    word = shell_word(*parts)
    script = f"echo first\nprintf '%s<END>' {word}\n"
    proc = subprocess.run(
        ["bash", "--norc", "--noprofile", "-i"],
        input=script.encode("utf-8"),
        capture_output=True,
        env={"HISTFILE": "/dev/null", "LC_ALL": "C.UTF-8", "PS1": "", **VALUES},
        check=False,
    )
    out = proc.stdout.decode("utf-8")
    assert out == "first\n" + _expected(parts) + "<END>", proc.stderr.decode()


def test_shell_word_forms() -> None:
    """Bare when safe (as shlex.quote), one double-quoted string for plain ASCII around a
    variable, single quotes and $'\\xHH' bytes otherwise; the text is always ASCII."""
    assert shell_word("a-b/c.d") == "a-b/c.d"
    assert shell_word("") == "''"
    assert shell_word("it's") == "'it'\"'\"'s'"
    assert shell_word("x-amz-date: ", Var("amz_date")) == '"x-amz-date: ${amz_date}"'
    assert shell_word("a`b`: ", Var("v")) == "'a`b`: '\"${v}\""
    assert shell_word("a\nb\u00e9\u202e.") == "'a'$'\\x0a''b'$'\\xc3\\xa9\\xe2\\x80\\xae''.'"
    assert shell_word("a\nb", line_feeds=True) == "'a\nb'"
    with pytest.raises(InputError):
        shell_word("nul\0")

"""Generated shell text reaches the program unchanged, whatever it holds (checked by bash)."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from sigkit.curl import quote, quote_with_variables

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

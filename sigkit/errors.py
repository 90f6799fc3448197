"""Error types: the CLI maps each to one stderr line and an exit code, never a traceback."""

from __future__ import annotations


class SigkitError(Exception):
    """Base of every error sigkit raises on purpose."""

    exit_code = 1


class InputError(SigkitError, ValueError):
    """Something the caller gave cannot be used; `field` names it so the message can point at it."""

    exit_code = 2

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnsupportedError(SigkitError):
    """Valid input that sigkit does not handle (yet)."""

    exit_code = 2


class VerificationError(SigkitError):
    """A signature or expected value did not match."""

    exit_code = 1

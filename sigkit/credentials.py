"""Credentials as the signers take them. Resolution from flags, environment and shared files
belongs to the CLI layer; the core only receives values."""

from __future__ import annotations

from dataclasses import dataclass, field

from sigkit.errors import InputError

# The example key pair published throughout the AWS documentation (not a real account).
EXAMPLE_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it."""
    if len(secret) <= 8:
        return "*" * len(secret)
    return f"{secret[:4]}{'*' * 8}{secret[-2:]}"


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.access_key_id:
            raise InputError("access key", "empty access key id")
        if not self.secret_access_key:
            raise InputError("secret key", "empty secret access key")
        for name, value in (
            ("access key", self.access_key_id),
            ("session token", self.session_token or ""),
        ):
            if any(c in value for c in "\r\n\x00"):
                raise InputError(name, "contains a line break or NUL")
        if "/" in self.access_key_id or "," in self.access_key_id or " " in self.access_key_id:
            raise InputError("access key", f"{self.access_key_id!r} contains '/', ',' or a space")
        for name, value in (
            ("access key", self.access_key_id),
            ("secret key", self.secret_access_key),
            ("session token", self.session_token or ""),
        ):
            if not isinstance(value, str):
                raise InputError(name, "must be text")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(name, "holds bytes that are not UTF-8") from None
        if self.session_token == "":
            raise InputError("session token", "empty session token; leave it out instead")

"""Where an adapter's credentials come from, and when they are fetched again.

An adapter takes credentials in one of four shapes:

- a `sigkit.Credentials`: used as they are, never refreshed;
- a callable returning `Credentials` or ``(Credentials, expiry)``: called once, then again
  whenever the expiry (a timezone-aware datetime, or None for never) is near;
- an object with ``get_frozen_credentials()`` (botocore's and boto3's credentials, which
  refresh themselves): asked on every request, as botocore's signers ask it;
- None: resolved as the sigkit CLI resolves them (`sigkit.credentials.resolve`: environment
  variables, then the shared credentials and config files, ``profile`` or AWS_PROFILE), with
  the expiry botocore's environment provider reads from AWS_CREDENTIAL_EXPIRATION, and
  resolved again when that expiry is near.

The refresh happens at signing time, under a lock, `REFRESH_MARGIN` before the expiry.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sigkit.credentials import Credentials, resolve
from sigkit.errors import InputError

REFRESH_MARGIN = timedelta(minutes=5)  # fetched again this long before they expire
EXPIRATION_ENV = "AWS_CREDENTIAL_EXPIRATION"  # botocore's environment provider reads it

Fetched = Credentials | tuple[Credentials, datetime | None]
Provider = Callable[[], Fetched]


@runtime_checkable
class FrozenSource(Protocol):
    """botocore's credentials (static or refreshable)."""

    def get_frozen_credentials(self) -> Any: ...


def from_environment(profile: str | None = None) -> tuple[Credentials, datetime | None]:
    """Credentials as the CLI resolves them, with AWS_CREDENTIAL_EXPIRATION's expiry.

    A program signing with the documentation's example pair would only ever be refused, so
    finding no credentials at all is an error here (the CLI says so and signs an example)."""
    found = resolve(env=os.environ, home=_home(), profile=profile, service=None)
    if found.example:
        raise InputError(
            "credentials",
            "none found (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or "
            "~/.aws/credentials); pass credentials=",
        )
    expiry = None
    raw = os.environ.get(EXPIRATION_ENV)
    if raw and found.credentials_source.startswith("env "):
        from sigkit.timefmt import parse_time

        expiry = parse_time(raw, field=EXPIRATION_ENV)
    return found.credentials, expiry


def _home() -> Path | None:
    try:
        return Path.home()
    except RuntimeError:  # no HOME and no passwd entry
        return None


class CredentialSource:
    """The credentials to sign with now, fetched again when they are about to expire."""

    __slots__ = ("_frozen", "_lock", "_provider", "_state")

    def __init__(self, given: object = None, *, profile: str | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen: FrozenSource | None = None
        self._provider: Provider | None = None
        # the credentials and their expiry, one tuple: a thread reading it without the lock
        # never sees new credentials with the old expiry, or old ones with the new
        self._state: tuple[Credentials, datetime | None] | None = None
        if isinstance(given, Credentials):
            self._state = (given, None)
        elif given is None:
            self._provider = lambda: from_environment(profile)
        elif isinstance(given, FrozenSource):
            self._frozen = given
        elif callable(given):
            self._provider = given
        else:
            raise InputError(
                "credentials",
                f"{type(given).__name__} is not Credentials, a callable returning them, "
                "or botocore credentials",
            )

    def get(self, now: datetime) -> Credentials:
        """The credentials to sign a request made at `now` with."""
        state = self._state
        if state is not None and (state[1] is None or now < state[1] - REFRESH_MARGIN):
            return state[0]
        if self._frozen is not None:
            frozen = self._frozen.get_frozen_credentials()
            return Credentials(frozen.access_key, frozen.secret_key, frozen.token or None)
        with self._lock:
            state = self._state
            if state is None or (state[1] is not None and now >= state[1] - REFRESH_MARGIN):
                assert self._provider is not None
                state = self._state = _unpack(self._provider())
            return state[0]


def _unpack(fetched: Fetched) -> tuple[Credentials, datetime | None]:
    if isinstance(fetched, Credentials):
        return fetched, None
    if (
        isinstance(fetched, tuple)
        and len(fetched) == 2
        and isinstance(fetched[0], Credentials)
        and (fetched[1] is None or isinstance(fetched[1], datetime))
    ):
        expiry = fetched[1]
        if expiry is not None and expiry.tzinfo is None:
            raise InputError("credentials", "the expiry must be timezone-aware (UTC)")
        return fetched[0], expiry
    raise InputError(
        "credentials", "the provider must return Credentials or (Credentials, expiry)"
    )

"""The one error for an optional library that is not installed."""

from __future__ import annotations

from sigkit.errors import UnsupportedError


def missing(module: str, extra: str) -> UnsupportedError:
    """Raise it ``from None`` where the import failed: one line naming the extra."""
    return UnsupportedError(
        f"sigkit.integrations.{extra} needs {module}: pip install 'sigkit[{extra}]'"
    )

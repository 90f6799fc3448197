"""Import an optional library with one clear line when it is missing."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from sigkit.errors import UnsupportedError


def require(module: str, extra: str) -> ModuleType:
    """`module`, or an `UnsupportedError` naming the extra that installs it."""
    try:
        return import_module(module)
    except ImportError:
        raise UnsupportedError(
            f"sigkit.integrations.{extra} needs {module}: pip install 'sigkit[{extra}]'"
        ) from None

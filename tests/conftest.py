"""Shared fixtures: where the project's vectors live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "vectors"


@pytest.fixture
def vectors_dir() -> Path:
    return VECTORS

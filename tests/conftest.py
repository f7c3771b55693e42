"""Shared fixtures: a real HTTP server on 127.0.0.1 (tests/local_server.py) and paths to ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest
from local_server import local_server  # noqa: F401  (fixture)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """``../shared``; tests that need it skip cleanly where it is absent."""
    if not (SHARED / "data").is_dir():
        pytest.skip("../shared is not present")
    return SHARED

"""Shared fixtures: a real HTTP server on 127.0.0.1 (tests/local_server.py), paths to ../shared, and a
private working folder for every test.

README's order is `rsiwatch init`, then the tests in the same folder: the project folder then holds the
user's own config.yaml and candidates.db (a curator there once made a test really serve on 0.0.0.0 and
hang).  So every test runs in a fresh empty folder of its own (``private_cwd``), where the command line's
defaults (./config.yaml, ./candidates.db) find nothing of the user's, and has a deadline (pytest-timeout,
``timeout`` in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from local_server import local_server  # noqa: F401  (fixture)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("config.yaml", "candidates.db")  # what `rsiwatch init` leaves in the folder it runs in
SHARED = PROJECT_ROOT.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """``../shared``; tests that need it skip cleanly where it is absent."""
    if not (SHARED / "data").is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture(autouse=True)
def private_cwd(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run each test in an empty folder of its own, so nothing reads the user's files by default."""
    folder = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(folder)
    return folder
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (for modules that have checked Playwright is there: ``playwright_or_skip``)."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()

"""What the browser tests share: Debian's Chromium, where screenshots go, and the review app on a real server."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from review_fixtures import make_config

from rsiwatch.review.web import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(os.environ.get("RSIWATCH_SCREENSHOTS", "/tmp"))


def playwright_or_skip() -> Any:
    """Playwright's sync API, or skip the calling test module cleanly when it or Chromium is not there."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
    return sync_api


def serve(tmp_path: Path, db: Path, **review: Any) -> Iterator[str]:
    """The review app for ``db`` on a free port of 127.0.0.1; yields its base URL once, then stops it."""
    return serve_app(create_app(make_config(tmp_path, **review), db, host="127.0.0.1", port=0))


def serve_app(app: Any) -> Iterator[str]:
    """A Flask app on a free port of 127.0.0.1 (its Host check told the port); yields the base URL once."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    binding = app.extensions.get("rsiwatch_binding")
    if binding is not None:
        binding.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)

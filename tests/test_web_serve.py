"""``rsiwatch serve`` as a real process on 127.0.0.1: it serves, checks the Host, and stops on SIGTERM."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from review_fixtures import populate

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_serve_process(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    populate(db, 3)
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from rsiwatch.cli import main; main()", "serve", "--port", "0", "--db", str(db)],
        stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env,
    )
    try:
        line = proc.stderr.readline()  # type: ignore[union-attr]
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        port = int(match.group(1))

        def get(host: str) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/", headers={"Host": host})
            status = conn.getresponse().status
            conn.close()
            return status

        assert get(f"127.0.0.1:{port}") == 200
        assert get(f"localhost:{port}") == 200
        assert get(f"rebind.evil.example:{port}") == 403
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0

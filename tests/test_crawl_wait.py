"""Issue 21: `crawl --wait` beside the daemon waits with a deadline, not for the daemon's whole life."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import run_cli, write_config

from rsiwatch.lock import take_lock

pytestmark = pytest.mark.slow  # every test here runs the command line or a daemon as processes


def test_crawl_wait_gives_up_at_its_deadline_with_one_line_and_exit_1(tmp_path: Path) -> None:
    write_config(tmp_path / "config.yaml", [])
    run_cli("init", cwd=tmp_path)
    with take_lock(tmp_path / "candidates.db", "rsiwatch daemon"):  # a daemon that never lets go
        waited = run_cli("crawl", "--all", "--wait", "1s", cwd=tmp_path, check=False, timeout=120)
    assert waited.returncode == 1
    lines = waited.stderr.strip().splitlines()
    assert lines[0].startswith("waiting: another rsiwatch daemon is already running")
    assert len(lines) == 2 and lines[1].startswith("rsiwatch: gave up after waiting 1 s: another rsiwatch daemon")


def test_crawl_wait_without_a_duration_has_a_default_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path / "config.yaml", [])
    run_cli("init", cwd=tmp_path)
    help_text = " ".join(run_cli("crawl", "--help", cwd=tmp_path).stdout.split())
    assert "--wait [DURATION]" in help_text and "10m when not given" in help_text
    # Free lock: `--wait` alone (followed by another option) still parses and crawls at once.
    assert run_cli("crawl", "--wait", "--all", cwd=tmp_path, check=False).returncode == 0
    bad = subprocess.run([sys.executable, "-m", "rsiwatch", "crawl", "--wait", "soon"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert bad.returncode == 2 and "'soon': expected a duration" in bad.stderr

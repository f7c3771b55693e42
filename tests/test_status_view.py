"""Issue 21: a readable status.  Short times that fit 80 columns (the full ISO in --json), a last error with
its time and cleared from the table after recovery (kept, marked old, in --json), a finished backfill named
as such rather than as a removed source."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli, run_json, write_config
from local_server import Response

from rsiwatch.status_view import relative, short_error
from rsiwatch.store import Store

FEED = (Path(__file__).parent / "fixtures" / "e2e" / "newsletter.xml").read_bytes()
NOW = datetime(2026, 12, 6, 14, 3, tzinfo=UTC)


def test_times_and_errors_are_short() -> None:
    assert relative("2026-12-06T11:03:00.000Z", NOW) == "3 h ago"
    assert relative("2026-12-06T14:15:30.000Z", NOW) == "in 12 min"
    assert relative("2026-12-01T14:03:00.000Z", NOW) == "5 d ago"
    assert relative(None, NOW) == ""
    cell = short_error("http://example.org/a/very/long/feed/path.xml: HTTP 503 (after 3 attempts)",
                       "2026-12-06T13:03:00.000Z", NOW)
    assert cell.startswith("1 h ago: http://example.org") and len(cell) == 40 and cell.endswith("...")


def tty_output(args: list[str], cwd: Path) -> str:
    """What a person sees on an 80-column terminal."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "LINES": "50", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "rsiwatch", *args], cwd=cwd, stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", b"".join(chunks).decode())


@pytest.mark.slow
def test_status_fits_80_columns_with_errors_timed_and_cleared_and_the_backfill_named(
    tmp_path: Path, local_server
) -> None:
    state = {"broken": True, "flaky": True}
    for name in state:
        local_server.add(
            f"/{name}",
            handler=lambda request, name=name: Response(503, b"down") if state[name] else Response(200, FEED),
        )
    local_server.add("/steady", body=FEED)
    write_config(
        tmp_path / "config.yaml",
        [{"name": name, "kind": "feed", "url": f"{local_server.url}/{name}"} for name in ("steady", "broken", "flaky")],
    )
    run_cli("init", cwd=tmp_path)
    run_cli("crawl", "--all", cwd=tmp_path, check=False)
    state["flaky"] = False
    run_cli("crawl", "--source", "flaky", cwd=tmp_path)
    with Store(tmp_path / "candidates.db") as store:  # a backfill harvested and finished
        store.sources.ensure_sources([("arxiv-backfill", "oai_pmh", "https://oaipmh.arxiv.org/oai")])
        backfill = store.linking.backfill_start(
            "k",
            {
                "endpoint": "e",
                "metadata_prefix": "arXiv",
                "set_spec": None,
                "from_date": "2026-01-01",
                "until_date": None,
                "categories": "[]",
            },
        )
        store.linking.backfill_page_done(backfill["id"], None, records=1, new_works=0, new_candidates=0)

    status = run_json("status", cwd=tmp_path)["sources"]
    assert status["broken"]["last_error_current"] and "HTTP 503" in status["broken"]["last_error"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", status["broken"]["last_error_at"])
    assert status["flaky"]["last_error"] and not status["flaky"]["last_error_current"]  # history, kept
    assert status["arxiv-backfill"]["state"] == "backfill, finished"

    screen = tty_output(["status"], tmp_path)
    rows = {
        name: [line.strip() for line in screen.splitlines() if line.strip().startswith(name + " ")]
        for name in ("steady", "broken", "flaky", "arxiv-backfill")
    }
    assert all(len(found) == 1 for found in rows.values()), screen
    # The table is the title, the header, its rule and one line per source: nothing wraps.
    start = screen.index("source ")
    table = screen[start : screen.index("last error of")].strip().splitlines()
    assert len(table) == 2 + 4, screen  # header, rule, four sources
    assert all(len(line) <= 80 for line in table), screen
    assert re.search(r"broken +never +1 .* in \d+ (s|min)$", rows["broken"][0]), screen
    assert re.search(r"flaky +\d+ (s|min) ago +0 ", rows["flaky"][0]), screen
    assert rows["arxiv-backfill"][0].rstrip().endswith("backfill, finished") and "removed" not in screen, screen
    errors = [line for line in screen.splitlines() if line.startswith("last error of")]
    assert len(errors) == 1 and re.match(
        r"last error of broken, \d+ (s|min) ago: http://127.0.0.1:\d+/broken: HTTP 503", errors[0]
    ), screen  # flaky recovered: its error is cleared here

"""The rules ``rsiwatch status`` shows, as pure functions (rsiwatch/status_view.py): what state a source is
in, when its last error still counts, what a removed source is, and what its table row says instead of a
next run.  The command's output over a real database is in test_status_view.py and test_outage.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rsiwatch.config import Source
from rsiwatch.status_view import current_error_lines, source_state, source_status, table_row

NOW = datetime(2026, 12, 6, 14, 3, tzinfo=UTC)
FEED = Source(name="feed", kind="feed", url="http://127.0.0.1/feed.xml")


def report_row(**changes: Any) -> dict[str, Any]:
    """A ``Sources.source_report`` row: a source that last succeeded an hour ago."""
    row = {
        "name": "feed", "kind": "feed", "last_success": "2026-12-06T13:03:00.000Z", "last_error": None,
        "last_error_at": None, "consecutive_failures": 0, "paused": False, "paused_reason": None,
        "items": 12, "candidates": 3, "acceptance_rate": 0.5,
    }
    return {**row, **changes}


def test_a_source_state_says_why_it_will_not_run() -> None:
    assert source_state(FEED, paused=False) == "active"
    assert source_state(FEED, paused=True) == "paused"
    assert source_state(FEED.model_copy(update={"enabled": False}), paused=True) == "disabled"
    assert source_state(None, paused=False) == "removed"
    assert source_state(None, paused=False, harvest="backfill, finished") == "backfill, finished"


def test_an_error_before_the_latest_success_is_history() -> None:
    old = source_status(report_row(last_error="HTTP 503", last_error_at="2026-12-06T12:00:00.000Z"), FEED, None)
    now_failing = source_status(
        report_row(last_error="HTTP 503", last_error_at="2026-12-06T13:33:00.000Z", consecutive_failures=2),
        FEED, None,
    )
    assert not old["last_error_current"] and now_failing["last_error_current"]
    assert current_error_lines([old, now_failing], NOW) == ["last error of feed, 30 min ago: HTTP 503"]


def test_a_removed_source_is_not_paused_and_its_row_names_its_state() -> None:
    removed = source_status(report_row(paused=True, paused_reason="410 Gone"), None, None)
    assert removed["state"] == "removed" and not removed["paused"] and removed["paused_reason"] == "410 Gone"
    assert table_row(removed, NOW)[-1] == "removed"
    active = source_status(report_row(), FEED, "2026-12-06T14:15:30.000Z")
    assert table_row(active, NOW) == ("feed", "1 h ago", "0", "12", "3", "50%", "in 12 min")

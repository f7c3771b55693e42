"""Issue 7: the real daemon process against a local server; the server's own request log is the judge."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_support import run_cli, write_config
from local_server import Response

FIXTURES = Path(__file__).parent / "fixtures" / "e2e"
SPACING_S = 0.4


def start_daemon(project: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rsiwatch", "daemon", *args], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True,
    )


def run_daemon_for(project: Path, seconds: float, *args: str) -> int:
    """Start the daemon, let it run, SIGTERM it; its exit status (killed if it will not stop)."""
    daemon = start_daemon(project, *args)
    try:
        time.sleep(seconds)
        assert daemon.poll() is None, daemon.stderr.read() if daemon.stderr else ""
        daemon.send_signal(signal.SIGTERM)
        return daemon.wait(timeout=15)
    finally:
        if daemon.poll() is None:
            daemon.kill()


# Quick schedules for the short daemon tests: no weekly jobs, little jitter.
QUICK = {"jitter_s": 0.1, "retrain_every": None, "digest_every": None}


def quick_project(project: Path, sources: list[dict]) -> None:
    write_config(project / "config.yaml", sources, schedule=QUICK)
    run_cli("init", cwd=project)


def times(server, path: str) -> list[float]:
    return [r.time for r in server.requests if r.path == path]


@pytest.mark.slow
def test_daemon_keeps_schedule_spacing_retry_after_and_pauses_a_failing_source(tmp_path: Path, local_server) -> None:
    feed = (FIXTURES / "newsletter.xml").read_bytes()
    local_server.add("/fast", body=feed)
    throttled_hits = []

    def throttled(request):
        throttled_hits.append(request.time)
        if len(throttled_hits) == 1:
            return Response(429, b"slow down", {"Retry-After": "2"})
        return Response(200, feed)

    local_server.add("/throttled", handler=throttled)
    local_server.add("/broken", handler=lambda request: Response(500, b"oops"))
    write_config(
        tmp_path / "config.yaml",
        [
            {"name": "fast", "kind": "feed", "url": local_server.url + "/fast", "every": "2s"},
            {"name": "throttled", "kind": "feed", "url": local_server.url + "/throttled", "every": "3s"},
            {"name": "broken", "kind": "feed", "url": local_server.url + "/broken", "every": "1s"},
        ],
        politeness={"default_delay_s": SPACING_S, "per_host_delay_s": {}},
        http={"connect_timeout_s": 2, "read_timeout_s": 2, "total_timeout_s": 5, "retries": 0},
        schedule={"jitter_s": 0.2, "pause_after_failures": 3, "backoff_base_s": 1.0, "retrain_every": None},
    )
    run_cli("init", cwd=tmp_path)
    daemon = start_daemon(tmp_path)
    try:
        time.sleep(11)
        assert daemon.poll() is None, daemon.stderr.read() if daemon.stderr else ""
        second = start_daemon(tmp_path)
        _, err = second.communicate(timeout=30)
        assert second.returncode == 1
        assert "another rsiwatch daemon is already running" in err and len(err.strip().splitlines()) == 1
        stopped_at = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=15)
        stop_took = time.monotonic() - stopped_at
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, daemon.stderr.read()
    assert stop_took < 8

    # Per-host spacing: no two requests to this host closer than the configured delay.
    arrivals = sorted(r.time for r in local_server.requests)
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert min(gaps) >= SPACING_S - 0.05, gaps

    # The schedule: `fast` ran again and again, about every 2 s (plus jitter and spacing), never early.
    fast = times(local_server, "/fast")
    assert len(fast) >= 4, fast
    fast_gaps = [b - a for a, b in zip(fast, fast[1:])]
    assert all(1.9 <= g <= 4.0 for g in fast_gaps), fast_gaps

    # Retry-After: 2 s was obeyed before the throttled source was asked again.
    assert len(throttled_hits) >= 2
    assert throttled_hits[1] - throttled_hits[0] >= 1.95

    # The broken source backed off (1 s, then 2 s: backoff_base_s doubling) and was paused after 3 failures.
    broken = times(local_server, "/broken")
    assert len(broken) == 3, broken
    assert broken[1] - broken[0] >= 0.95 and broken[2] - broken[1] >= 1.95, broken
    conn = sqlite3.connect(tmp_path / "candidates.db")
    paused, reason, failures = conn.execute(
        "SELECT paused, paused_reason, consecutive_failures FROM sources WHERE name = 'broken'"
    ).fetchone()
    assert paused == 1 and failures == 3 and "HTTP 500" in reason
    status = run_cli("status", "--json", cwd=tmp_path).stdout
    assert '"paused": true' in status

    # Resume brings it back; a restart does not refetch what is not due.
    run_cli("sources", "resume", "broken", cwd=tmp_path)
    assert conn.execute("SELECT paused FROM sources WHERE name = 'broken'").fetchone()[0] == 0
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_weekly_digest_job_writes_the_digest_and_waits_for_its_cron_slot(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from crawler.items import Item
    from rsiwatch.store import Store
    from rsiwatch.config import Config, Schedule
    from rsiwatch.daemon import DIGEST_SETTING, digest_job

    db = tmp_path / "candidates.db"
    with Store(db) as store:
        store.ingest("feed", [Item("arxiv:2611.00001", "Kernels <b>by</b> agents", "", "https://arxiv.org/abs/2611.00001", "k")])
    job = digest_job(Config(schedule=Schedule(digest_every="0 8 * * mon")), db)
    due = job.due()
    assert due > datetime.now(timezone.utc) and due.weekday() == 0 and (due.hour, due.minute) == (8, 0)
    job.run()
    written = list((tmp_path / "digests").glob("digest-*.html"))
    assert len(written) == 1 and "<html" in written[0].read_text().lower()
    with Store(db) as store:
        last = store.setting(DIGEST_SETTING)
    assert last["file"] == str(written[0]) and last["sent_to"] == []
    assert job.due() > datetime.now(timezone.utc)
    assert digest_job(Config(schedule=Schedule(digest_every=None)), db) is None


def test_daemon_logs_one_json_line_per_fetch_to_a_file(tmp_path: Path, local_server) -> None:
    import json

    local_server.add("/feed", body=(FIXTURES / "newsletter.xml").read_bytes())
    local_server.add("/gone", status=404, body=b"no")
    quick_project(tmp_path, [
        {"name": "ok-feed", "kind": "feed", "url": local_server.url + "/feed", "every": "1s"},
        {"name": "gone", "kind": "feed", "url": local_server.url + "/gone", "every": "1d"},
    ])
    log_file = tmp_path / "rsiwatch.log"
    assert run_daemon_for(tmp_path, 4, "--log-format", "json", "--log-file", str(log_file)) == 0
    entries = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
    fetches = [e for e in entries if e.get("source")]
    ok = [e for e in fetches if e["source"] == "ok-feed"]
    assert len(ok) >= 2 and all(e["outcome"] in ("ok", "not_modified") and "items" in e for e in ok)
    assert ok[0]["items"] == 2 and ok[0]["new_works"] == 2
    gone = [e for e in fetches if e["source"] == "gone"]
    assert len(gone) == 1 and gone[0]["outcome"] == "error" and "404" in gone[0]["error"]
    assert all({"time", "level", "message"} <= set(e) for e in entries)


def test_a_daemon_killed_outright_resumes_without_refetching_what_is_not_due(tmp_path: Path, local_server) -> None:
    local_server.add("/daily", body=(FIXTURES / "newsletter.xml").read_bytes())
    local_server.add("/often", body=(FIXTURES / "arxiv_rss.xml").read_bytes())
    quick_project(tmp_path, [
        {"name": "daily", "kind": "feed", "url": local_server.url + "/daily", "every": "1d"},
        {"name": "often", "kind": "arxiv_rss", "url": local_server.url + "/often", "every": "1s"},
    ])
    first = start_daemon(tmp_path)
    time.sleep(4)
    first.kill()  # SIGKILL: no chance to clean up
    first.wait(timeout=10)
    assert len(times(local_server, "/daily")) == 1
    often_before = len(times(local_server, "/often"))
    assert often_before >= 2

    # The lock died with the process: a new daemon may start.
    assert run_daemon_for(tmp_path, 3) == 0
    assert len(times(local_server, "/daily")) == 1, "a source that is not due was fetched again"
    assert len(times(local_server, "/often")) > often_before, "a due source was forgotten"
    conn = sqlite3.connect(tmp_path / "candidates.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM works").fetchone()[0] == conn.execute(
        "SELECT COUNT(DISTINCT id) FROM works"
    ).fetchone()[0]

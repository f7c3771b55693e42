"""Issue 7: the real daemon process against a local server; the server's own request log is the judge."""

from __future__ import annotations

import itertools
import signal
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import waiting
from cli_support import run_cli, run_json, write_config
from local_server import Response

FIXTURES = Path(__file__).parent / "fixtures" / "e2e"
SPACING_S = 0.4
# How long a test waits for what it expects before giving up: generous, so that a loaded machine only
# makes a test slower, never failed.  Tests wait for events (the server saw N requests, the database says
# paused) and then check spacing and order; they never count what happened within a fixed sleep.
DEADLINE_S = 150.0


def start_daemon(project: Path, *args: str) -> subprocess.Popen[str]:
    # stderr to a file: a pipe nobody reads fills up and blocks a daemon that logs for minutes.
    log = open(project / "daemon.stderr", "a")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "rsiwatch", "daemon", *args], cwd=project, stdout=subprocess.DEVNULL, stderr=log,
            stdin=subprocess.DEVNULL, text=True,
        )
    finally:
        log.close()


def daemon_log(project: Path) -> str:
    return (project / "daemon.stderr").read_text() if (project / "daemon.stderr").exists() else ""


def wait_until(condition: Callable[[], bool], what: str, project: Path, daemon: subprocess.Popen[str] | None = None,
               deadline_s: float = DEADLINE_S) -> None:
    """``waiting.wait_until`` with the daemon's log in its failure."""
    waiting.wait_until(condition, what, deadline_s=deadline_s, process=daemon, log=lambda: daemon_log(project))


def stop_daemon(daemon: subprocess.Popen[str]) -> int:
    """SIGTERM, then its exit status (killed if it has not stopped within a generous minute)."""
    try:
        daemon.send_signal(signal.SIGTERM)
        return daemon.wait(timeout=60)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()


def source_row(project: Path, name: str) -> dict[str, Any] | None:
    conn = sqlite3.connect(project / "candidates.db", timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None
    finally:
        conn.close()


# Quick schedules for the short daemon tests: no weekly jobs, little jitter.
QUICK = {"jitter_s": 0.1, "retrain_every": None, "digest_every": None}


def quick_project(project: Path, sources: list[dict], **extra: Any) -> None:
    write_config(project / "config.yaml", sources, schedule=QUICK, **extra)
    run_cli("init", cwd=project)


def times(server, path: str) -> list[float]:
    return [r.time for r in server.hits(path)]


def gaps(arrivals: list[float]) -> list[float]:
    arrivals = sorted(arrivals)
    return [round(b - a, 3) for a, b in itertools.pairwise(arrivals)]


@pytest.mark.slow
def test_daemon_keeps_schedule_spacing_retry_after_and_retries_a_failing_source(tmp_path: Path, local_server) -> None:
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
        schedule={
            "jitter_s": 0.2,
            "warn_after_failures": 3,
            "backoff_base_s": 1.0,
            "backoff_max_s": 2.0,
            "retrain_every": None,
        },
    )
    run_cli("init", cwd=tmp_path)
    daemon = start_daemon(tmp_path)
    try:
        wait_until(
            lambda: (
                len(times(local_server, "/fast")) >= 4
                and len(throttled_hits) >= 2
                and len(times(local_server, "/broken")) >= 5
            ),
            "4 fetches of fast, 2 of throttled and 5 of broken",
            tmp_path,
            daemon,
        )
        check = run_cli("status", "--check", cwd=tmp_path, check=False)
        second = run_cli("daemon", cwd=tmp_path, check=False)
        assert second.returncode == 1
        assert "another rsiwatch daemon is already running" in second.stderr, second.stderr
        assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    finally:
        exit_status = stop_daemon(daemon)
    assert exit_status == 0, daemon_log(tmp_path)

    # Per-host spacing: no two requests to this host closer than the configured delay.
    assert min(gaps([r.time for r in local_server.requests])) >= SPACING_S - 0.05

    # The schedule: `fast` ran again and again, every 2 s (plus a little jitter and spacing), never early;
    # the upper bound is loose (a loaded machine stretches runs) but far below a missed run.
    fast_gaps = gaps(times(local_server, "/fast"))
    assert all(1.9 <= g <= 15 for g in fast_gaps), fast_gaps

    # Retry-After: 2 s was obeyed before the throttled source was asked again.
    assert throttled_hits[1] - throttled_hits[0] >= 1.95

    # The broken source backed off (1 s, then 2 s: backoff_base_s doubling, capped at backoff_max_s) and was
    # never paused: an outage ends, and the source is fetched again when it does (issue 21).
    broken = times(local_server, "/broken")
    assert len(broken) >= 5, broken
    assert broken[1] - broken[0] >= 0.95 and all(b - a >= 1.95 for a, b in itertools.pairwise(broken[1:])), (
        broken
    )
    conn = sqlite3.connect(tmp_path / "candidates.db")
    paused, failures = conn.execute("SELECT paused, consecutive_failures FROM sources WHERE name = 'broken'").fetchone()
    assert paused == 0 and failures >= 5
    # Failing for long is noticed: status --check exits 1 naming it, and the log said so once, at warning level.
    assert check.returncode == 1, check.stderr
    assert "source broken has failed" in check.stderr and "HTTP 500" in check.stderr, check.stderr
    assert daemon_log(tmp_path).count("WARNING rsiwatch.crawl: broken: failing: 3 failures in a row") == 1

    # Resume brings it back; a restart does not refetch what is not due.
    run_cli("sources", "resume", "broken", cwd=tmp_path)
    assert conn.execute("SELECT paused FROM sources WHERE name = 'broken'").fetchone()[0] == 0
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_weekly_digest_job_writes_the_digest_and_waits_for_its_cron_slot(tmp_path: Path) -> None:
    from datetime import datetime

    from crawler.items import Item
    from rsiwatch.config import Config, Schedule
    from rsiwatch.daemon import DIGEST_SETTING, digest_job
    from rsiwatch.store import Store

    db = tmp_path / "candidates.db"
    with Store(db) as store:
        store.works.ingest(
            "feed", [Item("arxiv:2611.00001", "Kernels <b>by</b> agents", "", "https://arxiv.org/abs/2611.00001", "k")]
        )
    job = digest_job(Config(schedule=Schedule(digest_every="0 8 * * mon")), db)
    due = job.due()
    assert due > datetime.now(UTC) and due.weekday() == 0 and (due.hour, due.minute) == (8, 0)
    job.run()
    written = list((tmp_path / "digests").glob("digest-*.html"))
    assert len(written) == 1 and "<html" in written[0].read_text().lower()
    with Store(db) as store:
        last = store.models.setting(DIGEST_SETTING)
    assert last["file"] == str(written[0]) and last["sent_to"] == []
    assert job.due() > datetime.now(UTC)
    assert digest_job(Config(schedule=Schedule(digest_every=None)), db) is None


@pytest.mark.slow
def test_daemon_logs_one_json_line_per_fetch_to_a_file(tmp_path: Path, local_server) -> None:
    import json

    local_server.add("/feed", body=(FIXTURES / "newsletter.xml").read_bytes())
    local_server.add("/gone", status=404, body=b"no")
    # The weekly jobs stay on: the start line counts sources, not the retrain and digest jobs beside them.
    write_config(
        tmp_path / "config.yaml",
        [
            {"name": "ok-feed", "kind": "feed", "url": local_server.url + "/feed", "every": "1s"},
            {"name": "gone", "kind": "feed", "url": local_server.url + "/gone", "every": "1d"},
        ],
        schedule={"jitter_s": 0.1},
    )
    run_cli("init", cwd=tmp_path)
    log_file = tmp_path / "rsiwatch.log"

    def entries() -> list[dict]:
        text = log_file.read_text() if log_file.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip().endswith("}")]

    def fetches(name: str) -> list[dict]:
        return [e for e in entries() if e.get("source") == name]

    daemon = start_daemon(tmp_path, "--log-format", "json", "--log-file", str(log_file))
    try:
        wait_until(
            lambda: len(fetches("ok-feed")) >= 2 and len(fetches("gone")) >= 1,
            "two fetches of ok-feed and one of gone in the log",
            tmp_path,
            daemon,
        )
    finally:
        assert stop_daemon(daemon) == 0, daemon_log(tmp_path)
    ok = fetches("ok-feed")
    assert all(e["outcome"] in ("ok", "not_modified") and "items" in e for e in ok)
    assert ok[0]["items"] == 2 and ok[0]["new_works"] == 2
    gone = fetches("gone")
    assert len(gone) == 1 and gone[0]["outcome"] == "error" and "404" in gone[0]["error"]
    assert all({"time", "level", "message"} <= set(e) for e in entries())
    started = [e["message"] for e in entries() if e["message"].startswith("daemon started")]
    assert len(started) == 1 and started[0].startswith("daemon started: 2 sources on "), started


@pytest.mark.slow
def test_a_daemon_killed_outright_resumes_without_refetching_what_is_not_due(tmp_path: Path, local_server) -> None:
    local_server.add("/daily", body=(FIXTURES / "newsletter.xml").read_bytes())
    local_server.add("/often", body=(FIXTURES / "arxiv_rss.xml").read_bytes())
    quick_project(
        tmp_path,
        [
            {"name": "daily", "kind": "feed", "url": local_server.url + "/daily", "every": "1d"},
            {"name": "often", "kind": "arxiv_rss", "url": local_server.url + "/often", "every": "1s"},
        ],
    )
    first = start_daemon(tmp_path)

    def succeeded(name: str) -> bool:
        return bool((source_row(tmp_path, name) or {}).get("last_success"))

    try:
        wait_until(
            lambda: succeeded("daily") and succeeded("often") and len(times(local_server, "/often")) >= 2,
            "both sources stored and often fetched twice",
            tmp_path,
            first,
        )
    finally:
        first.kill()  # SIGKILL: no chance to clean up
        first.wait(timeout=60)
    assert len(times(local_server, "/daily")) == 1
    often_before = len(times(local_server, "/often"))

    # The lock died with the process: a new daemon may start, and fetches the due source again.
    second = start_daemon(tmp_path)
    try:
        wait_until(lambda: len(times(local_server, "/often")) > often_before, "often fetched again", tmp_path, second)
    finally:
        assert stop_daemon(second) == 0, daemon_log(tmp_path)
    assert len(times(local_server, "/daily")) == 1, "a source that is not due was fetched again"
    conn = sqlite3.connect(tmp_path / "candidates.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (
        conn.execute("SELECT COUNT(*) FROM works").fetchone()[0]
        == conn.execute("SELECT COUNT(DISTINCT id) FROM works").fetchone()[0]
    )


@pytest.mark.slow
def test_sources_every_three_seconds_run_every_three_seconds_whatever_the_jitter(tmp_path: Path, local_server) -> None:
    """Issue 16: with the default jitter (60 s) a source set to every 3 s ran about every 30 s."""
    names = ("alpha", "beta", "gamma")
    for name in names:
        local_server.add(f"/{name}", body=(FIXTURES / "newsletter.xml").read_bytes())
    spacing = 0.2
    write_config(
        tmp_path / "config.yaml",
        [{"name": n, "kind": "feed", "url": f"{local_server.url}/{n}", "every": "3s"} for n in names],
        politeness={"default_delay_s": spacing, "per_host_delay_s": {}},
        schedule={"retrain_every": None, "digest_every": None},  # jitter_s: the default
    )
    run_cli("init", cwd=tmp_path)

    def progress() -> bool:
        per_source = [gaps(times(local_server, f"/{n}")) for n in names]
        # Fail at once rather than at the deadline: a gap this long is a schedule bent by jitter.
        stretched = [g for source_gaps in per_source for g in source_gaps if g > 45]
        assert not stretched, f"runs {stretched} s apart for sources every 3 s"
        return all(len(times(local_server, f"/{n}")) >= 10 for n in names)

    daemon = start_daemon(tmp_path)
    try:
        wait_until(progress, "ten fetches of each source", tmp_path, daemon)
    finally:
        assert stop_daemon(daemon) == 0, daemon_log(tmp_path)
    # Never two requests to one host closer than its politeness spacing.
    assert min(gaps([r.time for r in local_server.requests])) >= spacing - 0.05
    for name in names:
        source_gaps = gaps(times(local_server, f"/{name}"))
        # Never early: 3 s after the last run started, less only the host's queue that run waited in.
        assert min(source_gaps) >= 3 - 2 * spacing - 0.05, (name, source_gaps)
        # Every 3 to 3.3 s (plus the host's queue); a loaded machine stretches a few runs, not the median.
        assert statistics.median(source_gaps) <= 3.3 + 2 * spacing + 1.5, (name, source_gaps)


@pytest.mark.slow
def test_a_clean_stop_is_not_a_source_failure(tmp_path: Path, local_server) -> None:
    """Issue 16: SIGTERM cut short a source waiting for its host, and that counted towards pausing it."""
    for name in ("first", "second"):
        local_server.add(f"/{name}", body=(FIXTURES / "newsletter.xml").read_bytes())
    # One host, ten minutes between requests: one source fetches, the other waits for the host when we stop.
    # A single failure would pause a source, so a stop counted as one shows at once.
    write_config(
        tmp_path / "config.yaml",
        [{"name": n, "kind": "feed", "url": f"{local_server.url}/{n}", "every": "1d"} for n in ("first", "second")],
        politeness={"default_delay_s": 600, "per_host_delay_s": {}},
        schedule={**QUICK, "pause_after_failures": 1},
    )
    run_cli("init", cwd=tmp_path)
    daemon = start_daemon(tmp_path)
    try:
        wait_until(
            lambda: (
                len(local_server.requests) >= 1
                and any((source_row(tmp_path, n) or {}).get("last_success") for n in ("first", "second"))
            ),
            "one source fetched and stored",
            tmp_path,
            daemon,
        )
    finally:
        assert stop_daemon(daemon) == 0, daemon_log(tmp_path)
    assert len(local_server.requests) == 1  # the other never reached the host
    for name in ("first", "second"):
        row = source_row(tmp_path, name)
        assert row is not None and row["consecutive_failures"] == 0 and not row["paused"], row
        assert row["last_error"] is None, row
    status = run_json("status", cwd=tmp_path)
    assert all(not s["paused"] and s["consecutive_failures"] == 0 for s in status["sources"].values()), status

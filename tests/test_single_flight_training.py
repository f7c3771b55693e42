"""Issue 21: one training at a time.  The first start of a real daemon with several sources (its jobs
run in parallel, and each found no model) once trained four identical cold-start models."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cli_support import run_cli, write_config
from local_server import LocalServer
from waiting import wait_until

from rsiwatch.scoring import ensure_model
from rsiwatch.store import Store

SOURCES = 12
DEADLINE_S = 180.0


def _feed(source: int, items: int) -> bytes:
    entries = "".join(
        f"<item><title>Paper {source}-{n}: agents that tune compilers for model training</title>"
        f"<link>https://example.org/{source}/{n}</link><description>We study loop {n} of source "
        f"{source}.</description></item>"
        for n in range(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>s{source}</title>{entries}</channel></rss>'.encode()
    )


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


@pytest.mark.slow
def test_a_first_daemon_start_with_several_sources_trains_one_model(tmp_path: Path, local_server: LocalServer) -> None:
    sources = []
    for i in range(SOURCES):  # new works in every source, so every job scores; too few (36) to refresh the model
        local_server.add(f"/feed{i}", body=_feed(i, 3), headers={"Content-Type": "application/rss+xml"})
        sources.append({"name": f"feed{i}", "kind": "feed", "url": f"{local_server.url}/feed{i}", "every": "1d"})
    write_config(
        tmp_path / "config.yaml", sources, schedule={"jitter_s": 0.1, "retrain_every": None, "digest_every": None}
    )
    run_cli("init", cwd=tmp_path)
    db = tmp_path / "candidates.db"
    log = open(tmp_path / "daemon.stderr", "w")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "rsiwatch", "daemon"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    log.close()
    try:
        wait_until(
            lambda: _count(db, "SELECT COUNT(*) FROM sources WHERE last_success IS NOT NULL") == SOURCES,
            "the daemon to crawl every source", deadline_s=DEADLINE_S, process=daemon,
            log=lambda: (tmp_path / "daemon.stderr").read_text(),
        )
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(60)
        finally:
            if daemon.poll() is None:
                daemon.kill()
    crawled = (
        "SELECT COUNT(*) FROM works w"
        " WHERE EXISTS (SELECT 1 FROM sightings s WHERE s.work_id = w.id AND s.source LIKE 'feed%')"
    )
    assert _count(db, crawled) > 0 and _count(db, crawled + " AND w.model_version IS NULL") == 0, "every paper scored"
    assert _count(db, "SELECT COUNT(*) FROM models") == 1, (tmp_path / "daemon.stderr").read_text()[-2000:]


def test_threads_that_each_find_no_model_train_one(tmp_path: Path) -> None:
    """The re-check inside the lock, with a real store per thread as the daemon's jobs open them."""
    db = tmp_path / "c.db"
    run_cli("init", "--db", str(db), cwd=tmp_path)
    start = threading.Barrier(4)
    versions: list[int] = []

    def job() -> None:
        with Store(db) as store:
            start.wait()
            versions.append(ensure_model(store)[0])

    threads = [threading.Thread(target=job) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(versions) == 4 and len(set(versions)) == 1
    assert _count(db, "SELECT COUNT(*) FROM models") == 1

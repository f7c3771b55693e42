"""Issue 21: a host's spacing holds across processes, not only inside one.

Real ``rsiwatch`` processes one after another against a server on 127.0.0.1 whose own log of arrival
times (``time.monotonic()``, one clock for every process on the machine) is the judge: the gap between
the last request of one process and the first of the next is at least the configured spacing.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import run_cli, write_config
from local_server import LocalServer
from oai_server import OaiEndpoint

from rsiwatch.lock import LockHeld, lock_path, take_lock

FIXTURES = Path(__file__).parent / "fixtures" / "e2e"
SPACING_S = 3.0  # longer than a process's start, so a spacing kept only in memory shows


@pytest.mark.slow
def test_two_crawls_back_to_back_keep_the_host_groups_spacing(tmp_path: Path, local_server: LocalServer) -> None:
    body = (FIXTURES / "newsletter.xml").read_bytes()
    local_server.add("/a", body=body, headers={"Content-Type": "application/rss+xml"})
    local_server.add("/b", body=body, headers={"Content-Type": "application/rss+xml"})
    # Two names of one machine in one group, as arXiv's hosts are: one budget whatever name is asked.
    write_config(
        tmp_path / "config.yaml",
        [{"name": "a", "kind": "feed", "url": f"{local_server.url}/a"},
         {"name": "b", "kind": "feed", "url": f"http://localhost:{local_server.port}/b"}],
        politeness={"default_delay_s": 0.0, "per_host_delay_s": {"127.0.0.1": SPACING_S},
                    "host_groups": {"here": ["127.0.0.1", "localhost"]}},
    )
    run_cli("init", cwd=tmp_path)
    for name in ("a", "b", "a"):
        run_cli("crawl", "--source", name, cwd=tmp_path)
    arrivals = [r.time for r in local_server.requests]
    assert [r.path for r in local_server.requests] == ["/a", "/b", "/a"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) >= SPACING_S, f"gaps between processes {gaps}, spacing {SPACING_S} s"


@pytest.mark.slow
def test_backfill_resumed_after_sigkill_waits_from_the_killed_ones_last_request(
    tmp_path: Path, local_server: LocalServer
) -> None:
    endpoint = OaiEndpoint(total=60, size=20, hold_page=1)
    url = local_server.add("/oai", handler=endpoint)
    write_config(tmp_path / "config.yaml", [], threshold=0.5,
                 politeness={"default_delay_s": 0.0, "per_host_delay_s": {"127.0.0.1": SPACING_S}})
    run_cli("init", cwd=tmp_path)  # only init makes a database (issue 20)
    args = ["backfill", "--from", "2025-01-01", "--until", "2025-01-31", "--categories", "cs.LG", "--url", url]
    proc = subprocess.Popen([sys.executable, "-m", "rsiwatch", *args], cwd=tmp_path, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert endpoint.held.wait(120), "the harvest never asked for page 2"
        os.kill(proc.pid, signal.SIGKILL)  # killed with its request in flight: it never saw the answer
        proc.wait(30)
    finally:
        endpoint.release.set()
        if proc.poll() is None:
            proc.kill()
    killed_last = local_server.requests[-1].time
    endpoint.hold_page = None
    before = len(local_server.requests)
    run_cli(*args, cwd=tmp_path)
    resumed = local_server.requests[before:]
    assert resumed, "the resumed backfill asked nothing"
    assert resumed[0].time - killed_last >= SPACING_S, (
        f"first request {resumed[0].time - killed_last:.2f} s after the killed one's last; spacing {SPACING_S} s")
    arrivals = [r.time for r in resumed]
    assert all(b - a >= SPACING_S for a, b in itertools.pairwise(arrivals))


@pytest.mark.slow
def test_backfill_takes_the_crawl_lock(tmp_path: Path, local_server: LocalServer) -> None:
    url = local_server.add("/oai", handler=OaiEndpoint(total=20, size=20))
    write_config(tmp_path / "config.yaml", [])
    run_cli("init", cwd=tmp_path)
    with take_lock(tmp_path / "candidates.db", "rsiwatch daemon"):
        refused = run_cli("backfill", "--from", "2025-01-01", "--url", url, cwd=tmp_path, check=False)
    assert refused.returncode == 1
    assert "another rsiwatch daemon is already running" in refused.stderr
    assert not local_server.requests, "a refused backfill fetched nothing"


def test_the_lock_follows_a_symlink_to_the_database(tmp_path: Path) -> None:
    real = tmp_path / "data" / "candidates.db"
    real.parent.mkdir()
    real.touch()
    link = tmp_path / "candidates.db"
    link.symlink_to(real)
    assert lock_path(link) == lock_path(real) == real.with_name("candidates.db.lock")
    with take_lock(real, "rsiwatch daemon"):
        try:
            take_lock(link, "rsiwatch crawl")
        except LockHeld as exc:
            assert "rsiwatch daemon" in str(exc)  # noqa: PT017 - the else branch says what went wrong
        else:
            raise AssertionError("a crawl through the symlink took the lock the daemon holds")


@pytest.mark.slow
def test_submissions_back_to_back_keep_the_spacing(tmp_path: Path, local_server: LocalServer) -> None:
    """A page sent in (``submit``, and the public form's inbox read by a crawl) counts against its host too."""
    page = b"<html><head><title>Agents that write kernels</title></head><body><p>We train.</p></body></html>"
    for name in ("one", "two"):
        local_server.add(f"/{name}", body=page, headers={"Content-Type": "text/html"})
    write_config(tmp_path / "config.yaml", [], http={"connect_timeout_s": 2, "read_timeout_s": 2,
                 "total_timeout_s": 5, "retries": 0, "allow_private_addresses": True},
                 politeness={"default_delay_s": 0.0, "per_host_delay_s": {"127.0.0.1": SPACING_S}})
    run_cli("init", cwd=tmp_path)
    for name in ("one", "two"):
        run_cli("submit", f"{local_server.url}/{name}", cwd=tmp_path)
    first, second = (r.time for r in local_server.requests)
    assert second - first >= SPACING_S, f"{second - first:.2f} s between two submissions; spacing {SPACING_S} s"


def test_a_busy_database_never_fails_a_fetch_and_the_time_is_written_later(tmp_path: Path) -> None:
    """The client may fetch on the prefetch thread while the crawl's thread holds a write transaction."""
    import sqlite3

    from rsiwatch.store import Store
    from rsiwatch.store.host_requests import HostRequestLog

    db = tmp_path / "c.db"
    Store(db).close()
    log = HostRequestLog(db)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another writer holds the database
    log.note_request("group:arxiv", 1000.0)  # neither raises nor waits for the writer
    assert log.last_request("group:arxiv") == 1000.0  # this process still knows
    writer.execute("COMMIT")
    writer.close()
    log.close()  # writes what was pending
    fresh = HostRequestLog(db)  # as the next process sees it
    assert fresh.last_request("group:arxiv") == 1000.0
    fresh.close()

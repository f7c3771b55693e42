"""Concurrent use: the real daemon crawling (every second, new items each time) while the real review
page (``rsiwatch serve``) takes a thousand decisions over HTTP from several threads, each with its
session's CSRF token.  None may be lost, and no "database is locked" (or any 5xx) may reach the user.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx2
import pytest
from hardening_support import FaultResult, cli_env, connect, rss, run_measured, write_config
from local_server import LocalServer, Request, Response

FEEDS = 4
ITEMS_PER_FETCH = 60


def _growing_feed(feed: int, counter: Counter):
    def handle(request: Request) -> Response:
        counter[feed] += 1
        n = counter[feed]
        items = [{"title": f"Fetch {n} of feed {feed}, item {i}: AI-designed accelerators", "guid": f"f{feed}-{n}-{i}",
                  "link": f"https://busy.example.org/{feed}/{n}/{i}"} for i in range(ITEMS_PER_FETCH)]
        return Response(200, rss(items), {"Content-Type": "application/rss+xml"})

    return handle


def start_serve(project: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """``rsiwatch serve --port 0`` as a user starts it; returns the process and its base URL."""
    handle = open(log, "w")
    proc = subprocess.Popen([sys.executable, "-m", "rsiwatch", "serve", "--port", "0"], cwd=project, stdout=handle,
                            stderr=handle, stdin=subprocess.DEVNULL, env=cli_env())
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text())
        if found:
            return proc, f"http://127.0.0.1:{found.group(1)}"
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"rsiwatch serve did not start: {log.read_text()[-500:]}")


def session(base: str) -> tuple[httpx2.Client, str]:
    client = httpx2.Client(base_url=base, timeout=60, trust_env=False)
    page = client.get("/")
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    if page.status_code != 200 or token is None:
        raise RuntimeError(f"no CSRF token on the page (HTTP {page.status_code})")
    return client, token.group(1)


def stop(proc: subprocess.Popen, timeout: float = 30) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def run(workdir: Path, decisions: int = 1000, threads: int = 8) -> FaultResult:
    result = FaultResult("Concurrent use (daemon crawling + review page, decisions over HTTP from threads)")
    result.held = (
        'every decision answered 200 and stored with its note; no 5xx, no "database is locked"; daemon stopped cleanly'
    )
    counter: Counter = Counter()
    server = LocalServer().start()
    daemon = serve = None
    try:
        sources = [
            {
                "name": f"busy-{f}",
                "kind": "feed",
                "url": server.add(f"/f{f}", handler=_growing_feed(f, counter)),
                "every": "1s",
            }
            for f in range(FEEDS)
        ]
        project = workdir / "busy"
        write_config(
            project, sources, schedule={"retrain_every": "1d", "retrain_after_decisions": 200, "misfire_grace_s": 60}
        )
        first = run_measured(["crawl", "--json"], project)
        result.check(first.returncode == 0, f"first crawl exited {first.returncode}: {first.stderr[-500:]}")
        conn = connect(project)
        work_ids = [r[0] for r in conn.execute("SELECT id FROM works WHERE id LIKE 'url:https://busy.%'")]
        conn.close()

        daemon_log = project / "daemon.log"
        daemon = subprocess.Popen(
            [sys.executable, "-m", "rsiwatch", "daemon"],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=open(daemon_log, "w"),
            stdin=subprocess.DEVNULL,
            env=cli_env(),
        )
        serve, base = start_serve(project, project / "serve.log")
        # The daemon is crawling before the decisions start (an event, not a guess at its start-up time),
        # so the decisions below meet its writes.
        fetches_before = sum(counter.values())
        deadline = time.monotonic() + 120
        while sum(counter.values()) < fetches_before + FEEDS and time.monotonic() < deadline and daemon.poll() is None:
            time.sleep(0.1)
        fetches_before = sum(counter.values())
        statuses: Counter = Counter()
        answers: dict[int, str] = {}
        problems: list[str] = []
        lock = threading.Lock()
        per_thread = decisions // threads
        latencies: list[float] = []

        def worker(t: int) -> None:
            try:
                client, token = session(base)
            except Exception as exc:
                with lock:
                    problems.append(f"thread {t}: {exc}")
                return
            # Each thread decides its own works, saying the state it saw (the decision it took last): the
            # page's contract; a decision that says nothing of what it saw is refused.
            mine = work_ids[t::threads]
            seen: dict[str, int] = {}
            try:
                for i in range(per_thread):
                    note = f"t{t}-{i}"
                    work_id = mine[i % len(mine)]
                    started = time.monotonic()
                    try:
                        response = client.post(
                            "/api/decide",
                            headers={"X-CSRF-Token": token},
                            data={
                                "id": work_id,
                                "seen": str(seen.get(work_id, 0)),
                                "action": ("reject", "defer", "out_of_scope")[i % 3],
                                "note": note,
                            },
                        )
                    except httpx2.HTTPError as exc:
                        with lock:
                            problems.append(f"{note}: {type(exc).__name__}: {exc}")
                        continue
                    with lock:
                        latencies.append(time.monotonic() - started)
                        statuses[response.status_code] += 1
                        if "locked" in response.text.lower():
                            problems.append(f"{note}: 'locked' reached the user: {response.text[:200]}")
                        if response.status_code == 200:
                            answers[response.json()["decision"]] = note
                            seen[work_id] = response.json()["decision"]
                        else:
                            problems.append(f"{note}: HTTP {response.status_code}: {response.text[:200]}")
            finally:
                client.close()

        started = time.monotonic()
        pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.monotonic() - started
        crawled = sum(counter.values()) - fetches_before
        result.cases = per_thread * threads
        result.failures.extend(problems[:20])
        result.check(statuses[200] == result.cases, f"answers: {dict(statuses)}")
        result.check(crawled >= 2, f"the daemon fetched only {crawled} times during the decisions: no contention")
        daemon_exit = stop(daemon)
        result.check(daemon_exit == 0, f"daemon exited {daemon_exit}: {daemon_log.read_text()[-500:]}")
        result.check("locked" not in daemon_log.read_text().lower(), f"daemon log: {daemon_log.read_text()[-500:]}")
        conn = connect(project)
        try:
            stored = dict(conn.execute("SELECT id, note FROM decisions WHERE origin = 'web'").fetchall())
            lost = [d for d, note in answers.items() if stored.get(d) != note]
            result.check(
                not lost and len(answers) == result.cases, f"{len(lost)} of {len(answers)} confirmed decisions lost"
            )
            result.check(len(stored) == len(answers), f"{len(stored)} web decisions stored, {len(answers)} confirmed")
            result.check(conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check failed")
        finally:
            conn.close()
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95)] if latencies else 0.0
        result.notes.append(
            f"{result.cases} decisions from {threads} threads in {elapsed:.0f} s (p95 {p95 * 1000:.0f} ms) "
            f"while the daemon fetched {crawled} times" + ("; all 200, none lost" if result.ok else "")
        )
    finally:
        for proc in (daemon, serve):
            if proc is not None:
                stop(proc)
        server.stop()
    return result


@pytest.mark.slow
def test_a_thousand_decisions_over_http_while_the_daemon_crawls(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.ok, "\n".join(result.failures + result.notes)

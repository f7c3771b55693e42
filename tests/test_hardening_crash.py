"""Crashes: the real crawl killed with SIGKILL at random moments, many times in a row, while another
process appends decisions and prints each one as soon as it is committed.

After every kill: ``PRAGMA integrity_check`` is ok, foreign keys hold, no work is stored twice, and every
decision the writer confirmed is in the database with its note.  After the last kill a plain crawl
completes and stores everything the feeds now hold.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hardening_support import ROOT, FaultResult, cli_env, connect, rss, run_measured, write_config
from local_server import LocalServer, Request, Response

FEEDS = 10
ITEMS = 150

WRITER = r"""
import random, sys
from rsiwatch.store import Store
store = Store(sys.argv[1])
tag = sys.argv[2]
rng = random.Random(tag)
ids = [r[0] for r in store.conn.execute("SELECT id FROM works")]
n = 0
while True:
    n += 1
    work = rng.choice(ids)
    note = f"{tag}-{n}"
    if n % 7 == 0:
        entry = {"title": f"entry {note}", "category": "research-automation"}
        decision, _ = store.decisions.accept(work, entry, note=note)
    else:
        action = rng.choice(["reject", "defer", "out_of_scope"])
        decision = store.decisions.decide(work, action, note=note, origin="web")
    print(decision, note, flush=True)
"""


def _feed_handler(state: dict[str, int], feed: int):
    def handle(request: Request) -> Response:
        r = state["round"]
        items = [
            {
                "title": f"Round {r} feed {feed} item {i}: self-play for compilers",
                "guid": f"r{r}-f{feed}-{i}",
                "link": f"https://crash.example.org/f{feed}/r{r}/{i}",
                "description": f"Round {r}, item {i}.",
            }
            for i in range(ITEMS)
        ]
        return Response(200, rss(items), {"Content-Type": "application/rss+xml"})

    return handle


def _round_ids(r: int) -> set[str]:
    return {f"url:https://crash.example.org/f{f}/r{r}/{i}" for f in range(FEEDS) for i in range(ITEMS)}


def _popen(args: list[str], cwd: Path, out) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], cwd=cwd, stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=cli_env()
    )


def run(workdir: Path, kills: int = 20, seed: int = 8) -> FaultResult:
    result = FaultResult("Crashes (SIGKILL of crawl and decision writer at random moments)")
    result.held = (
        "after every kill: integrity_check ok, foreign keys ok, no work stored twice, every confirmed "
        "decision present; the next crawl completed with every item"
    )
    rng = random.Random(seed)
    state = {"round": 0}
    server = LocalServer().start()
    try:
        sources = [
            {"name": f"crash-{f}", "kind": "feed", "url": server.add(f"/f{f}", handler=_feed_handler(state, f))}
            for f in range(FEEDS)
        ]
        project = workdir / "crash"
        write_config(project, sources)
        first = run_measured(["crawl", "--all", "--json"], project)
        result.check(first.returncode == 0, f"first crawl exited {first.returncode}: {first.stderr[-500:]}")
        # Kill after the interpreter has started (imports take most of a short crawl) and before it is done.
        startup = run_measured(["--version"], project).seconds
        span = max(startup + 1.0, min(first.seconds, 15.0))
        db = project / "candidates.db"
        confirmed: dict[int, str] = {}
        mid_run = 0
        for k in range(1, kills + 1):
            state["round"] = k
            log = project / f"writer-{k}.out"
            with open(log, "w") as out:
                crawl = _popen(["-m", "rsiwatch", "crawl", "--all", "--json"], project, subprocess.DEVNULL)
                writer = _popen(["-c", WRITER, str(db), f"k{k}"], ROOT, out)
                time.sleep(rng.uniform(0.8 * startup, span))
                mid_run += crawl.poll() is None
                for proc in (crawl, writer):
                    if proc.poll() is None:
                        os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
            for line in log.read_text().splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0].isdigit():
                    confirmed[int(parts[0])] = parts[1]
            result.cases += 1
            _check_after_kill(result, project, confirmed, k)
        state["round"] = kills + 1
        final = run_measured(["crawl", "--all", "--json"], project)
        result.check(final.returncode == 0, f"crawl after the kills exited {final.returncode}: {final.stderr[-500:]}")
        conn = connect(project)
        try:
            ids = {r[0] for r in conn.execute("SELECT id FROM works")}
            missing = _round_ids(kills + 1) - ids
            result.check(not missing, f"the crawl after the kills lost {len(missing)} items")
            failed = conn.execute("SELECT COUNT(*) FROM sources WHERE name LIKE 'crash-%' AND consecutive_failures > 0")
            result.check(failed.fetchone()[0] == 0, "a source still fails after the kills")
        finally:
            conn.close()
        result.notes.append(
            f"{kills} kills ({mid_run} while the crawl was running), {len(confirmed)} confirmed decisions all present; "
            f"kills drawn from {0.8 * startup:.1f}-{span:.1f} s into a crawl of {FEEDS} feeds x {ITEMS} items"
        )
    finally:
        server.stop()
    return result


def _check_after_kill(result: FaultResult, project: Path, confirmed: dict[int, str], k: int) -> None:
    conn = connect(project)
    try:
        result.check(conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"kill {k}: integrity_check failed")
        result.check(not conn.execute("PRAGMA foreign_key_check").fetchall(), f"kill {k}: foreign key violations")
        dup = conn.execute(
            "SELECT url, COUNT(*) FROM works WHERE url != '' GROUP BY url HAVING COUNT(*) > 1"
        ).fetchall()
        result.check(not dup, f"kill {k}: works stored twice: {[tuple(r) for r in dup[:3]]}")
        stored = dict(conn.execute("SELECT id, note FROM decisions").fetchall())
        lost = [d for d, note in confirmed.items() if stored.get(d) != note]
        result.check(not lost, f"kill {k}: {len(lost)} confirmed decisions lost, e.g. {lost[:5]}")
        mismatch = conn.execute(
            "SELECT COUNT(*) FROM works w WHERE w.status != 'new' AND NOT EXISTS "
            "(SELECT 1 FROM decisions d WHERE d.work_id = w.id)"
        ).fetchone()[0]
        result.check(mismatch == 0, f"kill {k}: {mismatch} works have a status but no decision")
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, kills=20)
    assert result.ok, "\n".join(result.failures + result.notes)

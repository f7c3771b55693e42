"""The review queue with a million works: the queue page and ``rsiwatch candidates`` at the median.

    .venv/bin/python bench/bench_queue.py [--works 1000000] [--db PATH] [--json]

A synthetic ``candidates.db`` (made with the store's own migrations, then filled with ``executemany`` in
large transactions): a million works with real titles, a score each (and its ``scores`` row), one or two
sightings over 201 sources, 3% queued over 26 weeks, a tenth of those decided.  The same is built with
10,000 works as the baseline: a query that uses its indexes answers about as fast on both; one that
scans grows a hundredfold.  ``--db`` keeps the big database between runs (it is rebuilt when its
size differs).

Measured, each 25 times after a warm-up, median and 90th percentile:
  * the queue page through Flask's test client (default view, a week, a search, a source, all statuses,
    a deep page), store opened per request as in production;
  * ``Store.candidates`` and ``rsiwatch candidates [--json]`` in-process (click's runner), and the
    command as a user runs it (a new process: interpreter start and imports included).
Every SQL statement the page and the command run is checked with EXPLAIN QUERY PLAN; a full scan of
``works``, ``sightings`` or ``scores`` is listed.  Goal (issue 9): median <= 100 ms at a million works.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Report, Row, progress, read_stream, stream_available

from rsiwatch.present.text import CATEGORIES
from rsiwatch.store import Store

QUEUED_SHARE = 0.03
DECIDED_SHARE = 0.10  # of the queued
SOURCES = 200
CHUNK = 50_000
RUNS = 25
GOAL_MS = 100.0
TERMS = ("self-play", "architecture search", "kernel", "compiler", "reward model", "agent", "synthetic data")


def titles(n: int = 20_000) -> list[str]:
    if stream_available():
        return [r["title"] for r in read_stream(n)]
    return [f"A study of {t} number {i}" for i in range(n) for t in TERMS][:n]


def build(path: Path, n: int, bank: list[str]) -> None:
    """A ``candidates.db`` of ``n`` works, fast: the schema from the store's migrations, rows in bulk."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    Store(path).close()  # schema, WAL, user_version
    rng = random.Random(9)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.executemany("INSERT INTO sources (name, kind, url) VALUES (?, 'feed', ?)",
                     [(f"feed-{s:03d}", f"https://blog{s:03d}.example.org/feed") for s in range(SOURCES)]
                     + [("arxiv-rss", "https://rss.arxiv.org/rss/cs.LG")])
    conn.execute("INSERT INTO models (version, created_at, active, blob) VALUES (1, '2026-01-01T00:00:00Z', 1, x'')")
    weeks = 26
    decided: list[tuple[str, str, str]] = []
    for start in range(0, n, CHUNK):
        works, sightings, scores = [], [], []
        for i in range(start, min(n, start + CHUNK)):
            month = i // 50_000
            wid = f"arxiv:{24 + month // 12}{month % 12 + 1:02d}.{i % 50_000:05d}"
            day = 1 + (i * 7) % 180
            seen = f"2026-{1 + day // 30:02d}-{1 + day % 28:02d}T{i % 24:02d}:00:00.000Z"
            score = rng.random() ** 3
            queued = rng.random() < QUEUED_SHARE
            status, queued_at, reason = "new", None, None
            if queued:
                queued_at = f"2026-{1 + (i % weeks) // 4:02d}-{1 + (i * 3) % 28:02d}T08:00:00.000Z"
                reason = "score"
                score = 0.35 + 0.65 * rng.random()
                if rng.random() < DECIDED_SHARE:
                    status = rng.choice(("accepted", "rejected", "rejected", "rejected", "deferred"))
                    decided.append((wid, {"accepted": "accept", "rejected": "reject", "deferred": "defer"}[status],
                                    queued_at))
            category = CATEGORIES[i % len(CATEGORIES)]
            title = f"{bank[i % len(bank)]}" if i < len(bank) else f"{bank[i % len(bank)]} ({i})"
            summary = f"{bank[(i * 31) % len(bank)]}. {bank[(i * 17 + 5) % len(bank)]}."  # real words, real spread
            works.append((wid, title, summary, f"https://arxiv.org/abs/{wid[6:]}", seen, seen, seen, status,
                          queued_at, reason, score, category, i + 1))
            sightings.append((wid, f"feed-{i % SOURCES:03d}", wid, title, seen))
            if i % 10 == 0:
                sightings.append((wid, "arxiv-rss", wid, title, seen))
            why = json.dumps([[TERMS[i % len(TERMS)], 0.4], ["learning", 0.1], ["image", -0.2]])  # shape, not truth
            scores.append((wid, score, category, why, json.dumps([["AlphaZero", 0.21]]), seen))
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO works (id, title, summary, url, published, first_seen, last_seen, status, queued_at,"
            " queue_reason, score, model_version, category, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            works,
        )
        conn.executemany(
            "INSERT INTO works_fts (rowid, title, summary) VALUES (?, ?, ?)", [(w[-1], w[1], w[2]) for w in works]
        )  # as Store.ingest does (schema migrations 6 and 9)
        conn.executemany(
            "INSERT INTO sightings (work_id, source, item_key, title, seen_at) VALUES (?, ?, ?, ?, ?)", sightings
        )
        conn.executemany(
            "INSERT INTO scores (work_id, model_version, score, threshold, category, category_confidence,"
            " category_fits, why, nearest, scored_at) VALUES (?, 1, ?, 0.35, ?, 0.5, 1, ?, ?, ?)",
            scores,
        )
        conn.execute("COMMIT")
        progress(f"  {min(n, start + CHUNK):,}/{n:,} works")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO decisions (work_id, action, decided_at, origin) VALUES (?, ?, ?, 'bench')", decided)
    conn.execute(
        "INSERT INTO settings (key, value, set_at, reason) VALUES ('bench_works', ?, '2026-01-01', 'bench')",
        (json.dumps(n),),
    )
    conn.execute("COMMIT")
    conn.close()  # no ANALYZE: the store never runs it, so the planner works without statistics, as at a user's


def built_size(path: Path) -> int | None:
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(path)
        row = conn.execute("SELECT value FROM settings WHERE key = 'bench_works'").fetchone()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.close()
    except sqlite3.Error:
        return None
    from rsiwatch.store.schema import MIGRATIONS

    return json.loads(row[0]) if row and version == len(MIGRATIONS) else None


def timed(fn: Callable[[], object], runs: int = RUNS) -> tuple[float, float]:
    """(median, 90th percentile) in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


class PlanWatch:
    """Records every statement run on connections it is installed on, to EXPLAIN them afterwards."""

    def __init__(self) -> None:
        self.statements: dict[str, tuple] = {}

    def trace(self, conn: sqlite3.Connection) -> None:
        conn.set_trace_callback(lambda sql: self.statements.setdefault(sql, ()))

    def scans(self, path: Path) -> list[str]:
        conn = sqlite3.connect(path)
        found = []
        for sql in self.statements:
            head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
            if head not in ("SELECT", "WITH"):
                continue
            try:
                plan = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            except sqlite3.Error:
                continue  # statements with bound parameters cannot be explained as traced; see below
            for row in plan:
                detail = row[-1]
                scanned = any(
                    f" {t}" in detail or detail.endswith(t) for t in ("works", "sightings", "scores", " w", " g", " s")
                )
                # A VIRTUAL TABLE "scan" of works_fts is its MATCH: an index lookup, not a full scan.
                if detail.startswith("SCAN") and "VIRTUAL TABLE" not in detail and scanned:
                    if "USING" not in detail or ("COVERING INDEX" in detail and "works_fts" not in detail):
                        found.append(f"{detail}  <-  {' '.join(sql.split())[:150]}")
        conn.close()
        return sorted(set(found))


def measure(path: Path, label: str, watch: PlanWatch | None) -> dict[str, tuple[float, float]]:
    from click.testing import CliRunner

    import rsiwatch.review.web as web
    from rsiwatch.cli import cli
    from rsiwatch.config import Config

    original = web.Store

    class TracedStore(original):  # type: ignore[misc, valid-type]
        def __init__(self, p: object) -> None:
            super().__init__(p)  # type: ignore[arg-type]
            if watch:
                watch.trace(self.conn)

    web.Store = TracedStore  # type: ignore[misc]
    try:
        app = web.create_app(Config(), path, host="127.0.0.1", port=8765)
        client = app.test_client()
        week = "2026-W10"
        pages = {
            "queue page: default (new, best first)": "/",
            "queue page: one week": f"/?week={week}",
            "queue page: search 'reward model'": "/?q=reward+model",
            "queue page: one source": "/?source=feed-017",
            "queue page: all statuses": "/?status=all",
            "queue page: deep page (offset 2,000)": "/?offset=2000",
        }
        out: dict[str, tuple[float, float]] = {}
        for name, url in pages.items():

            def get(url: str = url) -> None:
                response = client.get(url, headers={"Host": "127.0.0.1:8765"})
                assert response.status_code == 200, (url, response.status_code, response.data[:300])

            out[name] = timed(get)
            progress(f"  {label}: {name}: {out[name][0]:.1f} ms")
    finally:
        web.Store = original  # type: ignore[misc]

    with Store(path) as store:
        if watch:
            watch.trace(store.conn)
        out["Store.candidates(limit=50)"] = timed(lambda: store.scores.candidates(limit=50))
    runner = CliRunner()

    def command(*extra: str) -> Callable[[], None]:
        def run() -> None:
            result = runner.invoke(cli, ["candidates", "--db", str(path), *extra], catch_exceptions=False)
            assert result.exit_code == 0, result.output[-300:]

        return run

    out["rsiwatch candidates (in process)"] = timed(command())
    out["rsiwatch candidates --json (in process)"] = timed(command("--json"))
    out["rsiwatch candidates --since 7d (in process)"] = timed(command("--since", "2026-06-01"))
    exe = str(ROOT / ".venv" / "bin" / "rsiwatch")
    out["rsiwatch candidates --json (new process)"] = timed(
        lambda: subprocess.run([exe, "candidates", "--db", str(path), "--json"], check=True, capture_output=True),
        runs=7,
    )
    out["python -c pass (new process: the floor)"] = timed(
        lambda: subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True), runs=7
    )
    for name in list(out)[-5:]:
        progress(f"  {label}: {name}: {out[name][0]:.1f} ms")
    return out


def explain_store_queries(path: Path) -> list[str]:
    """EXPLAIN QUERY PLAN of the queue's statements with parameters bound (the trace shows them expanded)."""
    conn = sqlite3.connect(path)
    checks = {
        "review_queue count": ("SELECT COUNT(*) FROM works w WHERE w.queued_at IS NOT NULL AND w.status = ?", ("new",)),
        "review_queue page": (
            "SELECT w.* FROM works w WHERE w.queued_at IS NOT NULL AND w.status = ? "
            "ORDER BY w.score DESC, w.id LIMIT ? OFFSET ?",
            ("new", 100, 0),
        ),
        "review_queue page, all statuses": (
            "SELECT w.* FROM works w WHERE w.queued_at IS NOT NULL ORDER BY w.score DESC, w.id LIMIT ? OFFSET ?",
            (100, 0),
        ),
        "candidates": (
            "SELECT w.* FROM works w WHERE w.queued_at IS NOT NULL AND w.status = ? "
            "ORDER BY w.score DESC, w.id LIMIT ? OFFSET ?",
            ("new", 50, 0),
        ),
        "status_counts": ("SELECT status, COUNT(*) FROM works WHERE queued_at IS NOT NULL GROUP BY status", ()),
        "source_names (as before the fix)": (
            "SELECT name FROM sources UNION SELECT DISTINCT source FROM sightings ORDER BY 1",
            (),
        ),
    }
    lines = []
    for name, (sql, params) in checks.items():
        plan = " | ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
        lines.append(f"{name}: {plan}")
    conn.close()
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--works", type=int, default=1_000_000)
    ap.add_argument("--baseline-works", type=int, default=10_000)
    ap.add_argument("--db", type=Path, help="keep the big database here between runs")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    bank = titles()
    with tempfile.TemporaryDirectory(prefix="rsiwatch-bench-queue-") as tmp:
        small_db = Path(tmp) / "small.db"
        big_db = args.db or Path(tmp) / "big.db"
        progress(f"building the baseline database ({args.baseline_works:,} works) ...")
        build(small_db, args.baseline_works, bank)
        if built_size(big_db) != args.works:
            progress(f"building {big_db} ({args.works:,} works) ...")
            started = time.perf_counter()
            build(big_db, args.works, bank)
            progress(f"built in {time.perf_counter() - started:.0f} s")
        from rsiwatch.store import Store as _S

        _S(big_db).close()  # apply any migration newer than the kept database
        with sqlite3.connect(big_db) as conn:
            conn.execute("DROP TABLE IF EXISTS sqlite_stat1")  # a database kept from an older run of this script
        watch = PlanWatch()
        small = measure(small_db, f"{args.baseline_works // 1000}k", None)
        big = measure(big_db, f"{args.works // 1000}k", watch)
        plans = explain_store_queries(big_db)
        scans = watch.scans(big_db)
        with sqlite3.connect(big_db) as conn:
            queued = conn.execute("SELECT COUNT(*) FROM works WHERE queued_at IS NOT NULL").fetchone()[0]
        size_mb = (
            sum(Path(f"{big_db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{big_db}{s}").exists()) / 2**20
        )

    out = Report(f"The review queue at {args.works:,} works (bench/bench_queue.py)")
    for name, (median, p90) in big.items():
        base = small[name][0]
        in_goal = "new process" not in name
        out.add(
            Row(
                f"{name}, median",
                median,
                "ms",
                base,
                f"{args.baseline_works // 1000}k works",
                "<= 100 ms" if in_goal else "",
                (median <= GOAL_MS) if in_goal else None,
            )
        )
        out.add(Row("    90th percentile", p90, "ms"))
    out.notes.append(f"{args.works:,} works, {queued:,} queued; database {size_mb:,.0f} MiB")
    out.notes.append("new-process rows include the interpreter start and imports (the floor row shows Python's own)")
    out.notes += [f"plan: {p}" for p in plans]
    out.notes += [f"full scan: {s}" for s in scans] or [
        "no full scan of works, sightings or scores in any traced statement"
    ]
    out.extra = {"big": big, "small": small, "plans": plans, "scans": scans}
    out.print(args.json)


if __name__ == "__main__":
    main()

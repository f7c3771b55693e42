"""Issue 21: what grows is bounded.  Every retrain rescored every open work and appended a score row for
each; old scores nothing refers to now fold into one row per model version.  ``retention.models`` keeps
that many blobs besides the active one.  ``rsiwatch vacuum`` gives freed pages back without sqlite3."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cli_support import run_cli, write_config
from local_server import LocalServer

from rsiwatch.lock import take_lock

pytestmark = pytest.mark.slow  # every test here runs the command line or a daemon as processes

FIXTURES = Path(__file__).parent / "fixtures" / "e2e"
RSS = {"Content-Type": "application/rss+xml"}


def _rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_retrains_keep_one_score_per_open_work_and_the_ones_decisions_and_audits_refer_to(
    tmp_path: Path, local_server: LocalServer
) -> None:
    local_server.add("/feed", (FIXTURES / "arxiv_rss.xml").read_bytes(), headers=RSS)
    write_config(tmp_path / "config.yaml", [{"name": "arxiv", "kind": "arxiv_rss", "url": local_server.url + "/feed"}],
                 retention={"fetches": "90d", "models": 1})
    db = tmp_path / "candidates.db"
    run_cli("init", cwd=tmp_path)
    run_cli("crawl", "--all", cwd=tmp_path)  # trains model 1 and scores the papers with it
    crawled = [
        r[0] for r in _rows(db, "SELECT DISTINCT work_id FROM sightings WHERE source = 'arxiv' ORDER BY work_id")
    ]
    assert len(crawled) >= 3
    decided, audited = crawled[0], crawled[1]
    run_cli("reject", decided, cwd=tmp_path)  # a decision on model 1's score...
    run_cli("undo", decided, cwd=tmp_path)  # ...and the work open again, so retrains rescore it
    conn = sqlite3.connect(db)
    conn.execute(
        "UPDATE works SET queued_at = '2026-01-01T00:00:00.000Z', queue_reason = 'audit' WHERE id = ?", (audited,)
    )  # as the weekly audit queues a work below the threshold
    conn.commit()
    conn.close()
    for _ in range(3):
        run_cli("train", cwd=tmp_path)  # models 2, 3, 4; each rescores every open work
    active = _rows(db, "SELECT version FROM models WHERE active = 1")[0][0]
    assert active == 4
    per_work = dict(
        _rows(
            db,
            f"SELECT work_id, COUNT(*) FROM scores WHERE work_id IN ({','.join('?' * len(crawled))}) GROUP BY work_id",
            tuple(crawled),
        )
    )
    versions = {
        w: sorted(v for (v,) in _rows(db, "SELECT model_version FROM scores WHERE work_id = ?", (w,))) for w in crawled
    }
    assert versions[decided] == [1, 4], "the decision's score and the current one"
    assert versions[audited] == [1, 2, 3, 4], "an audited work keeps the scores the audit drew it by"
    assert all(versions[w] == [4] for w in crawled[2:]), versions
    # What was folded is counted, per model version, not lost without a trace.
    folded = dict(_rows(db, "SELECT model_version, scores FROM score_summaries"))
    assert set(folded) == {1, 2, 3}
    assert folded[1] == len(crawled) - 2 and folded[2] == folded[3] == len(crawled) - 1
    assert sum(per_work.values()) == len(crawled) + 1 + 3


def test_retention_models_keeps_that_many_blobs_besides_the_active_one(
    tmp_path: Path, local_server: LocalServer
) -> None:
    local_server.add("/feed", (FIXTURES / "newsletter.xml").read_bytes(), headers=RSS)
    write_config(
        tmp_path / "config.yaml",
        [{"name": "news", "kind": "feed", "url": local_server.url + "/feed"}],
        retention={"fetches": "90d", "models": 2},
    )
    db = tmp_path / "candidates.db"
    run_cli("init", cwd=tmp_path)
    run_cli("crawl", "--all", cwd=tmp_path)  # model 1
    for _ in range(4):
        run_cli("train", cwd=tmp_path)  # models 2..5, the newest active
    run_cli("crawl", cwd=tmp_path)  # nothing due; retention applies
    kept = [v for (v,) in _rows(db, "SELECT version FROM models WHERE length(blob) > 0 ORDER BY version")]
    assert kept == [3, 4, 5], "the active model 5 and the 2 newest others"


def test_vacuum_gives_pages_back_and_is_refused_beside_the_daemon(tmp_path: Path, local_server: LocalServer) -> None:
    local_server.add("/feed", (FIXTURES / "arxiv_rss.xml").read_bytes(), headers=RSS)
    write_config(tmp_path / "config.yaml", [{"name": "arxiv", "kind": "arxiv_rss", "url": local_server.url + "/feed"}])
    db = tmp_path / "candidates.db"
    run_cli("init", cwd=tmp_path)
    run_cli("crawl", "--all", cwd=tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE ballast (x BLOB)")  # pages to free: 4 MB written, then dropped
    conn.executemany("INSERT INTO ballast VALUES (?)", [(b"\0" * 65536,)] * 64)
    conn.commit()
    conn.execute("DROP TABLE ballast")
    conn.commit()
    conn.close()
    with take_lock(db, "rsiwatch daemon"):
        refused = run_cli("vacuum", cwd=tmp_path, check=False)
    assert refused.returncode == 1 and "stop it before `rsiwatch vacuum`" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    result = json.loads(run_cli("vacuum", "--json", cwd=tmp_path).stdout)
    assert result["bytes_before"] - result["bytes_after"] >= 65536 * 60
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]
    missing = run_cli("vacuum", "--db", str(tmp_path / "nope.db"), cwd=tmp_path, check=False)
    assert missing.returncode == 1 and not (tmp_path / "nope.db").exists()

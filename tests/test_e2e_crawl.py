"""Issue 2 end to end: feeds on a real local server -> `rsiwatch crawl` -> works, sightings, scores, queue."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cli_support import run_cli, run_json, write_config

FIXTURES = Path(__file__).parent / "fixtures" / "e2e"
STAR = "arxiv:2611.00001"


def serve_fixtures(server) -> dict[str, str]:
    routes = {
        "/rss/cs.LG": ("arxiv_rss.xml", "application/rss+xml"),
        "/api/query": ("arxiv_api.xml", "application/atom+xml"),
        "/newsletter/feed": ("newsletter.xml", "application/rss+xml"),
    }
    for path, (name, ctype) in routes.items():
        server.add(path, body=(FIXTURES / name).read_bytes(), etag=f'"{name}-v1"',
                   last_modified="Mon, 23 Nov 2026 05:00:00 GMT", headers={"Content-Type": ctype})
    return {path: server.url + path for path in routes}


@pytest.fixture
def project(tmp_path: Path, local_server) -> Path:
    urls = serve_fixtures(local_server)
    write_config(
        tmp_path / "config.yaml",
        [
            {"name": "arxiv-rss", "kind": "arxiv_rss", "url": urls["/rss/cs.LG"], "every": "1d"},
            {"name": "arxiv-api", "kind": "arxiv_api", "query": 'abs:"GPU kernel"', "url": urls["/api/query"],
             "every": "1d", "max_results": 50},
            {"name": "newsletter", "kind": "feed", "url": urls["/newsletter/feed"], "every": "6h"},
        ],
        threshold=0.5,
    )
    return tmp_path


def db(project: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(project / "candidates.db")
    conn.row_factory = sqlite3.Row
    return conn


@pytest.mark.slow
def test_one_paper_three_sources_is_one_work_with_three_sightings(project: Path, local_server) -> None:
    run_cli("init", cwd=project)
    report = run_json("crawl", cwd=project)

    assert [s["ok"] for s in report["sources"]] == [True, True, True], report
    conn = db(project)
    sightings = conn.execute("SELECT source FROM sightings WHERE work_id = ? ORDER BY source", (STAR,)).fetchall()
    assert [r["source"] for r in sightings] == ["arxiv-api", "arxiv-rss", "newsletter"]
    # The replacement in the RSS is not a new work; the newsletter's non-arXiv story is one (tracking stripped).
    ids = {r[0] for r in conn.execute("SELECT work_id FROM sightings WHERE source NOT LIKE 'catalog:%'")}
    assert "arxiv:2501.00099" not in ids
    assert "url:https://newsletter.example.org/p/city-dataset" in ids
    assert {f"arxiv:2611.{n:05d}" for n in (1, 2, 3, 4, 5, 6, 10, 20, 21)} <= ids

    # Every crawled work is scored by one recorded model version, with its threshold.
    crawled = sorted(ids)
    rows = conn.execute("SELECT work_id, model_version, score, threshold, why FROM scores").fetchall()
    scored = {r["work_id"]: r for r in rows}
    version = conn.execute("SELECT version FROM models WHERE active = 1").fetchone()[0]
    for work_id in crawled:
        assert scored[work_id]["model_version"] == version
        assert 0.0 <= scored[work_id]["score"] <= 1.0
        assert scored[work_id]["threshold"] == 0.5

    # The queue is exactly the undecided works at or above the threshold, best first.
    queue = run_json("candidates", cwd=project)
    expected = sorted(
        (r for r in conn.execute("SELECT id, score FROM works WHERE status = 'new' AND score >= 0.5")),
        key=lambda r: (-r["score"], r["id"]),
    )
    assert [c["canonical_id"] for c in queue] == [r["id"] for r in expected]
    assert queue[0]["canonical_id"] == STAR, "the kernel-evolving paper should lead the queue"
    assert run_json("status", cwd=project)["summary"]["queue"] == len(queue)
    assert set(queue[0]) >= {"canonical_id", "title", "url", "score", "status"}
    # The filler (rendering, legal QA, proteins ...) scores below the paper that fits the catalog.
    star_score = scored[STAR]["score"]
    assert all(scored[w]["score"] < star_score for w in crawled if w != STAR)


@pytest.mark.slow
def test_second_crawl_sends_conditional_requests_and_adds_nothing(project: Path, local_server) -> None:
    run_cli("init", cwd=project)
    run_json("crawl", cwd=project)
    conn = db(project)
    before = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("works", "sightings", "scores")}
    first_requests = len(local_server.requests)

    report = run_json("crawl", "--all", cwd=project)

    second = local_server.requests[first_requests:]
    assert len(second) == 3
    for request in second:
        assert request.headers.get("if-none-match", "").endswith('-v1"')
        assert request.headers.get("if-modified-since") == "Mon, 23 Nov 2026 05:00:00 GMT"
        assert "rsiwatch/" in request.headers["user-agent"] and "tests@example.org" in request.headers["user-agent"]
    assert all(s["not_modified"] for s in report["sources"]), report
    after = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("works", "sightings", "scores")}
    assert after == before
    outcomes = [r[0] for r in conn.execute("SELECT outcome FROM fetches ORDER BY id")]
    assert outcomes == ["ok", "ok", "ok", "not_modified", "not_modified", "not_modified"]


@pytest.mark.slow
def test_a_rejected_work_does_not_come_back_from_another_source(project: Path, local_server) -> None:
    run_cli("init", cwd=project)
    run_json("crawl", "--source", "arxiv-rss", cwd=project)
    run_cli("reject", STAR, "--note", "not about training", cwd=project)
    report = run_json("crawl", "--source", "newsletter", cwd=project)

    assert report["sources"][0]["new_candidates"] == 0
    conn = db(project)
    assert conn.execute("SELECT status FROM works WHERE id = ?", (STAR,)).fetchone()[0] == "rejected"
    assert conn.execute("SELECT COUNT(*) FROM sightings WHERE work_id = ?", (STAR,)).fetchone()[0] == 2
    assert STAR not in [c["canonical_id"] for c in run_json("candidates", cwd=project)]


@pytest.mark.slow
def test_unreachable_sources_are_reported_one_by_one_and_the_database_works(tmp_path: Path, local_server) -> None:
    local_server.add("/feed", body=(FIXTURES / "newsletter.xml").read_bytes())
    write_config(
        tmp_path / "config.yaml",
        [
            {"name": "dead-port", "kind": "feed", "url": "http://127.0.0.1:9/feed"},
            {"name": "alive", "kind": "feed", "url": local_server.url + "/feed"},
            {"name": "missing", "kind": "feed", "url": local_server.url + "/nothing-here"},
        ],
    )
    run_cli("init", cwd=tmp_path)
    proc = run_cli("crawl", cwd=tmp_path)
    assert "dead-port" in proc.stderr and "missing" in proc.stderr and "404" in proc.stderr
    status = run_json("status", cwd=tmp_path)["sources"]
    assert status["dead-port"]["consecutive_failures"] == 1 and status["dead-port"]["last_error"]
    assert status["missing"]["consecutive_failures"] == 1
    assert status["alive"]["consecutive_failures"] == 0 and status["alive"]["items"] == 2
    conn = sqlite3.connect(tmp_path / "candidates.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

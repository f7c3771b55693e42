"""Issue 3 end to end through the real CLI: one paper on arXiv, in a newsletter story and in a blog post is
one work with three sightings and one candidate; once rejected, a new post about it adds a sighting and
no candidate, and shows next to the old decision."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cli_support import run_cli, write_config
from local_server import LocalServer
from store_support import sightings_since_decision

from rsiwatch.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
PAPER = "arxiv:2611.04242"
HTML = {"Content-Type": "text/html; charset=utf-8"}
NEW_POST = b"""<html><head><title>Evolving GPU Kernels with Language Model Agents for Faster Transformer Training | Example Lab</title>
<meta name="description" content="A talk about our kernel-writing agents."></head><body><p>No links here.</p></body></html>"""


def serve(server: LocalServer) -> dict[str, str]:
    server.add("/robots.txt", status=404)
    server.add("/rss/cs.LG", body=(FIXTURES / "arxiv_rss.xml").read_bytes(), headers={"Content-Type": "application/rss+xml"})
    server.add("/newsletter/feed", body=(FIXTURES / "newsletter.xml").read_bytes(),
               headers={"Content-Type": "application/rss+xml"})
    server.add("/blog/", body=(FIXTURES / "blog_listing.html").read_bytes(), headers=HTML, etag='"v1"')
    server.add("/blog/kernel-agents", body=(FIXTURES / "blog_post_kernels.html").read_bytes(), headers=HTML)
    server.add("/blog/robot-kitchen", body=(FIXTURES / "blog_post_kitchen.html").read_bytes(), headers=HTML)
    return {p: server.url + p for p in ("/rss/cs.LG", "/newsletter/feed", "/blog/")}


@pytest.mark.slow
def test_one_paper_three_sources_then_rejected_stays_rejected(tmp_path: Path, local_server: LocalServer) -> None:
    urls = serve(local_server)
    select = {"item": "article.post", "title": "h3", "link": "a@href", "summary": "p.teaser", "date": "time"}
    write_config(tmp_path / "config.yaml", [
        {"name": "arxiv-rss", "kind": "arxiv_rss", "url": urls["/rss/cs.LG"]},
        {"name": "newsletter", "kind": "feed", "url": urls["/newsletter/feed"], "split_stories": True},
        {"name": "lab-blog", "kind": "html", "url": urls["/blog/"], "select": select, "follow_links": True},
    ], threshold=0.5)
    run_cli("init", cwd=tmp_path)
    report = json.loads(run_cli("crawl", "--json", cwd=tmp_path).stdout)
    assert [s["ok"] for s in report["sources"]] == [True, True, True], report

    conn = sqlite3.connect(tmp_path / "candidates.db")
    sightings = conn.execute("SELECT source, url, via FROM sightings WHERE work_id = ? ORDER BY source", (PAPER,)).fetchall()
    assert [s[0] for s in sightings] == ["arxiv-rss", "lab-blog", "newsletter"]
    assert sightings[1][1] == local_server.url + "/blog/kernel-agents", "the post keeps its own URL"
    assert sightings[2][2] == "https://importthings.example.org/p/import-things-412", "the story keeps its issue"
    assert conn.execute("SELECT COUNT(*) FROM works WHERE id = ?", (PAPER,)).fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM works WHERE url LIKE '%kernel-agents%' AND id != ?", (PAPER,)).fetchone()[0] == 0
    queued = [r[0] for r in conn.execute("SELECT id FROM works WHERE queued_at IS NOT NULL AND status = 'new'")]
    assert queued == [PAPER], "one candidate: the paper, once"

    run_cli("reject", PAPER, "--note", "not about training", cwd=tmp_path)
    listing = (FIXTURES / "blog_listing.html").read_bytes().replace(
        b'<main class="posts">',
        b'<main class="posts"><article class="post"><h3><a href="/blog/kernels-talk">Evolving GPU Kernels with Language '
        b'Model Agents for Faster Transformer Training</a></h3><time datetime="2026-11-28">Nov 28</time></article>')
    local_server.add("/blog/", body=listing, headers=HTML, etag='"v2"')
    local_server.add("/blog/kernels-talk", body=NEW_POST, headers=HTML)
    again = json.loads(run_cli("crawl", "--source", "lab-blog", "--json", cwd=tmp_path).stdout)
    assert again["sources"][0]["new_candidates"] == 0 and again["sources"][0]["new_sightings"] == 1

    assert conn.execute("SELECT status FROM works WHERE id = ?", (PAPER,)).fetchone()[0] == "rejected"
    assert conn.execute("SELECT COUNT(*) FROM works WHERE queued_at IS NOT NULL AND status = 'new'").fetchone()[0] == 0
    with Store(tmp_path / "candidates.db") as store:
        since = sightings_since_decision(store, PAPER)
        assert since["decision"]["action"] == "reject" and since["decision"]["note"] == "not about training"
        assert [s["url"] for s in since["sightings"]] == [local_server.url + "/blog/kernels-talk"]
        assert [w["id"] for w in store.linking.seen_again_after_decision()] == [PAPER]

"""What the field is talking about (issue 25): a work that several independent sources discuss joins the
queue whatever its score, with its own reason; arXiv's own listings and a second mention in the same
newsletter do not count; the count shows on the card, in `candidates --json`, as a sort, and in the digest."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run_cli, run_json, write_config
from test_rules import PLAIN, rss

pytestmark = pytest.mark.slow  # every test here runs the command line or a daemon as processes

PAPER = "arxiv:2611.02001"
LINK = "https://arxiv.org/abs/2611.02001"


def arxiv_listing(paper_id: str) -> bytes:
    """arXiv's RSS for one paper, as rss.arxiv.org serves it (its own namespace, an Announce Type)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
<channel><title>cs.LG updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.LG</link>
<description>cs.LG updates</description>
<item><title>Concrete bridges, seen by arXiv</title><link>https://arxiv.org/abs/{paper_id}</link>
<description>arXiv:{paper_id}v1 Announce Type: new
Abstract: {PLAIN}</description><guid isPermaLink="false">oai:arXiv.org:{paper_id}v1</guid>
<category>cs.LG</category><arxiv:announce_type>new</arxiv:announce_type><dc:creator>Ada Lovelace</dc:creator>
</item></channel></rss>""".encode()


def mention(title: str, twice: bool = False) -> bytes:
    items = [{"title": title, "link": LINK, "summary": PLAIN}]
    if twice:
        items.append({"title": title + " (again)", "link": LINK + "v2", "summary": PLAIN})
    return rss(items)


@pytest.fixture
def serve(local_server):
    def add(path: str, body: bytes) -> str:
        local_server.add(path, body=body, headers={"Content-Type": "application/rss+xml"})
        return local_server.url + path
    return add


def project(folder: Path, sources: list[dict], **extra: object) -> Path:
    folder.mkdir(exist_ok=True)
    write_config(folder / "config.yaml", sources, threshold=0.5, **extra)
    run_cli("init", cwd=folder)
    return folder


def test_three_independent_sources_queue_a_low_scoring_work(tmp_path: Path, serve) -> None:
    sources = [
        {"name": "arxiv", "kind": "arxiv_rss", "url": serve("/rss", arxiv_listing("2611.02001"))},
        {"name": "newsletter", "kind": "feed", "url": serve("/n", mention("Bridges, twice", twice=True))},
        {"name": "lab-blog", "kind": "feed", "url": serve("/b", mention("Bridges on the blog"))},
    ]
    folder = project(tmp_path, sources)
    run_cli("crawl", cwd=folder)
    queue = {c["canonical_id"]: c for c in run_json("candidates", cwd=folder)}
    assert PAPER not in queue  # two independent sources (the listing and a repeat mention do not count)

    # A third source discusses it: it joins the queue whatever its score, and says why.
    sources.append({"name": "podcast-notes", "kind": "feed", "url": serve("/p", mention("Bridges on air"))})
    write_config(folder / "config.yaml", sources, threshold=0.5)
    report = run_json("crawl", "--source", "podcast-notes", cwd=folder)
    assert report["queued_discussed"] == 1
    queue = {c["canonical_id"]: c for c in run_json("candidates", cwd=folder)}
    item = queue[PAPER]
    assert item["score"] < 0.5 and item["queue_reason"] == "discussed"
    assert item["discussed_in"] == ["lab-blog", "newsletter", "podcast-notes"]

    ordered = run_json("candidates", "--sort", "discussion", cwd=folder)
    assert ordered[0]["canonical_id"] == PAPER

    from rsiwatch.config import load_config
    from rsiwatch.review.web import create_app

    app = create_app(load_config(folder / "config.yaml"), folder / "candidates.db")
    page = app.test_client().get("/?sort=discussion", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert "3 independent sources: lab-blog, newsletter, podcast-notes" in page
    assert "queued for its discussion" in page

    run_cli("digest", "--since", "7d", "--out", "week.html", cwd=folder)
    digest = (folder / "week.html").read_text()
    most = digest.split("Most discussed", 1)[1].split("<h2>", 1)[0]
    assert PAPER in most and "3 sources: lab-blog, newsletter, podcast-notes" in most


def test_the_threshold_of_discussion_is_configurable_and_can_be_off(tmp_path: Path, serve) -> None:
    sources = [
        {"name": "one", "kind": "feed", "url": serve("/1", mention("Bridges one"))},
        {"name": "two", "kind": "feed", "url": serve("/2", mention("Bridges two"))},
    ]
    folder = project(tmp_path / "two", sources, review={"discussed_sources": 2})
    run_cli("crawl", cwd=folder)
    assert {c["canonical_id"]: c for c in run_json("candidates", cwd=folder)}[PAPER]["queue_reason"] == "discussed"

    off = project(tmp_path / "off", sources, review={"discussed_sources": 0})
    run_cli("crawl", cwd=off)
    assert PAPER not in {c["canonical_id"] for c in run_json("candidates", cwd=off)}

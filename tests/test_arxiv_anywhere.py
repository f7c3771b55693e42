"""An arXiv listing is read as one wherever it is served: the document decides (its announce-type elements
or "Announce Type" lines), not the host.  Served from a mirror or a saved file under a plain ``feed`` (or
newsletter) source, its replacements stay out, and arXiv's framing never reaches a summary, a drafted
description or the catalog; Date Published is the paper's own (the id's month), not the crawl day."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cli_support import run_cli, write_config

from crawler.arxiv_framing import is_arxiv_listing
from crawler.parsing import parse_fetched

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
SHARED_API = Path(__file__).resolve().parents[1] / ".." / "shared" / "feeds" / "arxiv_api_atom"
MIRROR = "http://127.0.0.1:9/mirror/cs.LG"


@pytest.mark.parametrize("name", ["arxiv_rss.xml", "arxiv_atom.xml", "arxiv_rss_mirror.xml"])
@pytest.mark.parametrize("spec", [("feed", False, False), ("feed", True, False)], ids=["feed", "newsletter"])
def test_a_listing_under_any_kind_reads_as_arxiv(name: str, spec: tuple[str, bool, bool]) -> None:
    body = (FEEDS / name).read_bytes()
    as_arxiv, _ = parse_fetched(("arxiv_rss", False, False), body, {}, MIRROR)
    items, _ = parse_fetched(spec, body, {}, MIRROR)
    assert items == as_arxiv and items
    for item in items:
        assert item.canonical_id.startswith("arxiv:") and item.announce_type in ("new", "cross")
        assert "Announce Type" not in item.summary and not item.summary.startswith("arXiv:")


def test_the_mirror_listing_is_dated_by_its_announcement_not_the_crawl() -> None:
    [item] = parse_fetched(("feed", False, False), (FEEDS / "arxiv_rss_mirror.xml").read_bytes(), {}, MIRROR)[0]
    assert item.canonical_id == "arxiv:2601.22896" and item.version == 1
    assert item.summary.startswith("A research agent edits")
    assert item.published == "2026-01-30T05:00:00Z"


def test_other_feeds_are_not_taken_for_listings() -> None:
    for name in ("rss20.xml", "atom10.xml", "rss10.rdf", "arxiv_api_page.xml"):
        assert not is_arxiv_listing((FEEDS / name).read_bytes()), name


def test_arxiv_api_results_are_not_listings() -> None:
    """Real arXiv API answers (../shared) share the namespace but are not listings."""
    files = sorted(SHARED_API.glob("*.xml")) if SHARED_API.is_dir() else []
    if not files:
        pytest.skip("../shared/feeds/arxiv_api_atom is not there")
    assert not [f.name for f in files if is_arxiv_listing(f.read_bytes())]


@pytest.mark.slow
def test_a_mirrored_listing_as_a_plain_feed_publishes_no_framing(tmp_path: Path, local_server) -> None:
    local_server.add("/mirror/cs.LG", body=(FEEDS / "arxiv_rss_mirror.xml").read_bytes(),
                     headers={"Content-Type": "application/rss+xml"})
    write_config(
        tmp_path / "config.yaml",
        [{"name": "mirror", "kind": "feed", "url": local_server.url + "/mirror/cs.LG", "every": "1d"}],
        review={"curator": "carol"},
    )
    run_cli("init", cwd=tmp_path)
    run_cli("crawl", "--all", cwd=tmp_path)
    with sqlite3.connect(tmp_path / "candidates.db") as conn:
        works = dict(conn.execute("SELECT id, summary FROM works WHERE id LIKE 'arxiv:%'").fetchall())
    assert "arxiv:2203.01250" not in works  # a replacement is no new work
    assert works["arxiv:2601.22896"].startswith("A research agent edits")
    run_cli("accept", "arxiv:2601.22896", "--category", "research-automation", cwd=tmp_path)
    exported = json.loads(run_cli("catalog", "export", "--format", "json", cwd=tmp_path).stdout)
    entries = exported if isinstance(exported, list) else exported["entries"]
    [entry] = [e for e in entries if "2601.22896" in json.dumps(e)]
    text = json.dumps(entry)
    assert "Announce Type" not in text and "arXiv:2601.22896v1" not in text
    assert (entry.get("description") or entry.get("Description")).startswith("A research agent edits")
    # The listing's announcement (the channel's date: its items carry none), never the crawl day.
    assert (entry.get("date_published") or entry.get("Date Published")) == "2026-01-30"

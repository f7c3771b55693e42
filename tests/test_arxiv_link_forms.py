"""Issue 16: every common form of a link to an arXiv paper lands on that paper's one ``arxiv:`` work:
in a blog feed's entries, in a newsletter's stories (real CLI, real server, real SQLite), and in ``submit``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml
from cli_support import run_cli, run_json, write_config
from local_server import LocalServer

from crawler.netguard import AddressGuard
from rsiwatch.config import parse_config
from rsiwatch.store import Store
from rsiwatch.submit import submit

PAPER = "2606.08092"
# How newsletters and blogs link one paper (with versions, query strings, trailing slashes, fragments).
LINK_FORMS = [
    f"https://arxiv.org/abs/{PAPER}v2",
    f"https://huggingface.co/papers/{PAPER}",
    f"https://hf.co/papers/{PAPER}?utm_source=newsletter",
    f"https://www.alphaxiv.org/abs/{PAPER}v1/",
    f"https://alphaxiv.org/abs/{PAPER}?tab=comments",
    f"https://arxiv.org/html/{PAPER}v2",
    f"https://arxiv.org/html/{PAPER}v2/#S3",
    f"https://ar5iv.labs.arxiv.org/html/{PAPER}",
    f"https://ar5iv.org/abs/{PAPER}/",
]


def blog_feed() -> bytes:
    items = "".join(
        f"<item><title>Post {n}</title><link>{link.replace('&', '&amp;')}</link><guid "
        f"isPermaLink='false'>post-{n}</guid>"
        f"<description>A post about self-improving agents.</description></item>"
        for n, link in enumerate(LINK_FORMS)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Blog</title><link>https://blog.example.org/</link>{items}</channel></rss>".encode()


def newsletter_feed() -> bytes:
    """Issues of stories, each story linking the paper (or another) through one of the forms."""
    issues = []
    for n, link in enumerate(LINK_FORMS):
        stories = (
            f"<p><strong>Agents that improve their own training code:</strong> a team shows it.</p>"
            f"<p><strong>Read more:</strong> <a href='{link}'>the paper</a>.</p>"
            f"<p><strong>A robot that folds laundry at home:</strong> it folds.</p>"
            f"<p><strong>Read more:</strong> <a href='https://robots.example.com/laundry-{n}'>project page</a>.</p>"
        )
        issues.append(
            f"<item><title>Issue {n}</title><link>https://news.example.org/p/issue-{n}</link>"
            f"<guid isPermaLink='false'>issue-{n}</guid><description><![CDATA[{stories}]]></description></item>"
        )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>News</title><link>https://news.example.org/</link>"
        + "".join(issues)
        + "</channel></rss>"
    ).encode()


@pytest.mark.slow
def test_every_link_form_is_one_work_through_a_crawl(tmp_path: Path, local_server: LocalServer) -> None:
    rss = {"Content-Type": "application/rss+xml"}
    blog = local_server.add("/blog.xml", body=blog_feed(), headers=rss)
    news = local_server.add("/news.xml", body=newsletter_feed(), headers=rss)
    write_config(
        tmp_path / "config.yaml",
        [
            {"name": "blog", "kind": "feed", "url": blog},
            {"name": "news", "kind": "feed", "url": news, "split_stories": True},
        ],
    )
    run_cli("init", cwd=tmp_path)
    report = run_json("crawl", cwd=tmp_path)
    assert all(s["ok"] for s in report["sources"]), report

    conn = sqlite3.connect(tmp_path / "candidates.db")
    rows = conn.execute("SELECT source, item_key FROM sightings WHERE work_id = ?", (f"arxiv:{PAPER}",)).fetchall()
    assert sorted(key for source, key in rows if source == "blog") == sorted(
        f"post-{n}" for n in range(len(LINK_FORMS))
    )
    assert sorted(key.split("#")[0] for source, key in rows if source == "news") == sorted(
        f"issue-{n}" for n in range(len(LINK_FORMS))
    )
    # No work was made of a mirror's page: every mention of the paper went to the paper.
    works = {r[0] for r in conn.execute("SELECT DISTINCT work_id FROM sightings WHERE source IN ('blog', 'news')")}
    assert works == {f"arxiv:{PAPER}"} | {f"url:https://robots.example.com/laundry-{n}" for n in range(len(LINK_FORMS))}


def test_submit_of_a_mirror_link_queues_the_paper(tmp_path: Path, local_server: LocalServer) -> None:
    """A curator pastes the Hugging Face page of a paper: the submission is the arXiv work."""
    page = (
        b"<html><head><title>Agents that improve agents</title><meta property='og:description' "
        b"content='HF paper page'></head><body><p>Daily papers.</p></body></html>"
    )
    local_server.add(f"/papers/{PAPER}", body=page, headers={"Content-Type": "text/html; charset=utf-8"})
    # The name resolves to the local server, through the same guard a real submission goes through.
    guard = AddressGuard(
        resolver=lambda host, port: ["127.0.0.1"] if host == "huggingface.co" else [], allowed=frozenset({"127.0.0.1"})
    )
    config = parse_config(
        yaml.safe_dump(
            {"politeness": {"default_delay_s": 0, "per_host_delay_s": {}}, "http": {"retries": 0}, "threshold": 0.99}
        )
    )
    with Store(tmp_path / "c.db") as store:
        result = submit(
            config, store, f"http://huggingface.co:{local_server.port}/papers/{PAPER}?utm_source=x", guard=guard
        )
        assert result.canonical_id == f"arxiv:{PAPER}" and result.queued
    assert [r.path for r in local_server.requests] == [f"/papers/{PAPER}"]

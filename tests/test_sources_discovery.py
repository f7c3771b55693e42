"""Issue 16: adding a source the way people find one.  `sources test` and `sources add` take a page or a
feed URL (real CLI, real local server): a page that names its feed is read through that feed (and says
which), a page without one is read as html (with a hint about --select), a newsletter's feed is split into
stories unless told otherwise; the default config splits the multi-story newsletters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run_cli, write_config
from local_server import LocalServer

from crawler.discover import FeedLink, feed_links
from rsiwatch.cli import DEFAULT_CONFIG_TEMPLATE
from rsiwatch.config import load_config

FIXTURES = Path(__file__).parent / "fixtures"
RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
NEWSLETTER = (FIXTURES / "sources" / "newsletter.xml").read_bytes()
BLOG_FEED = (FIXTURES / "feeds" / "rss20.xml").read_bytes()


def page(head: str, body: str = "<p>Posts</p>") -> bytes:
    return f"<!doctype html><html><head><title>A blog</title>{head}</head><body>{body}</body></html>".encode()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    # Sources given as URLs come from outside the config: 127.0.0.1 needs the config's say-so.
    write_config(tmp_path / "config.yaml", [], http={"retries": 0, "allow_private_addresses": True})
    return tmp_path


FEED_LINKS = [
    # (page head, page URL, the feeds found)
    (
        '<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed.xml">',
        "https://b.example/blog/",
        [FeedLink("https://b.example/feed.xml", "Posts")],
    ),
    (
        '<link rel="alternate" type="application/atom+xml" href="atom.xml">',
        "https://b.example/blog/",
        [FeedLink("https://b.example/blog/atom.xml")],
    ),
    (
        '<base href="https://cdn.example/feeds/"><link rel="Alternate" type="application/rss+xml; charset=utf-8" '
        'href="main.rss">',
        "https://b.example/",
        [FeedLink("https://cdn.example/feeds/main.rss")],
    ),
    (
        '<link rel="alternate" type="application/rss+xml" href="/a.xml"><link rel="alternate" '
        'type="application/atom+xml" '
        'href="/a.xml"><link rel="alternate" type="application/rss+xml" title="Comments" href="/comments.xml">',
        "https://b.example/",
        [FeedLink("https://b.example/a.xml"), FeedLink("https://b.example/comments.xml", "Comments")],
    ),
    (
        '<link rel="alternate" hreflang="fr" href="/fr/"><link rel="stylesheet" type="application/rss+xml" '
        'href="/x.xml">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">',
        "https://b.example/",
        [],
    ),
]


@pytest.mark.parametrize(("head", "url", "expected"), FEED_LINKS)
def test_feed_links_as_feed_readers_find_them(head: str, url: str, expected: list[FeedLink]) -> None:
    assert feed_links(page(head), url) == expected


@pytest.mark.slow
def test_sources_test_a_page_uses_the_feed_it_names(project: Path, local_server: LocalServer) -> None:
    local_server.add("/feeds/posts.xml", body=BLOG_FEED, headers=RSS)
    home = local_server.add(
        "/blog/",
        body=page('<link rel="alternate" type="application/rss+xml" title="All posts" href="../feeds/posts.xml">'),
        headers=HTML,
    )
    result = run_cli("sources", "test", home, "--json", cwd=project)
    report = json.loads(result.stdout)
    assert report["kind"] == "feed" and report["url"] == local_server.url + "/feeds/posts.xml"
    assert report["count"] > 0 and any("names its feed" in n and "/feeds/posts.xml" in n for n in report["notes"])
    assert not (project / "candidates.db").exists()
    plain = run_cli("sources", "test", home, cwd=project)
    assert f"using {local_server.url}/feeds/posts.xml ('All posts')" in plain.stderr
    assert [r.path for r in local_server.requests].count("/feeds/posts.xml") == 2  # once a test


def test_sources_add_a_page_adds_its_feed(project: Path, local_server: LocalServer) -> None:
    local_server.add("/feed.xml", body=BLOG_FEED, headers=RSS)
    home = local_server.add(
        "/", body=page('<link rel="alternate" type="application/rss+xml" href="/feed.xml">'), headers=HTML
    )
    result = run_cli("sources", "add", "lab", "--url", home, "--every", "12h", cwd=project)
    assert f"using {local_server.url}/feed.xml" in result.stderr
    source = load_config(project / "config.yaml").source("lab")
    assert (source.kind, source.url, source.every, source.split_stories) == (
        "feed",
        local_server.url + "/feed.xml",
        "12h",
        False,
    )


@pytest.mark.slow
def test_a_page_without_a_feed_is_html_with_a_hint(project: Path, local_server: LocalServer) -> None:
    listing = local_server.add(
        "/news/", body=(FIXTURES / "sources" / "blog_jsonld_listing.html").read_bytes(), headers=HTML
    )
    tried = run_cli("sources", "test", listing, "--json", cwd=project)
    report = json.loads(tried.stdout)
    assert report["kind"] == "html" and report["count"] > 0
    assert any("names no RSS or Atom feed" in n and "--select" in n for n in report["notes"])
    added = run_cli("sources", "add", "news", "--url", listing, cwd=project)
    assert "--select item=" in added.stderr
    assert load_config(project / "config.yaml").source("news").kind == "html"
    # --kind feed on such a page is an error that says what to do.
    refused = run_cli("sources", "add", "news2", "--kind", "feed", "--url", listing, cwd=project, check=False)
    assert refused.returncode == 1 and "names no feed" in refused.stderr and "--kind html" in refused.stderr


@pytest.mark.slow
def test_sources_test_a_url_with_kind_and_select(project: Path, local_server: LocalServer) -> None:
    listing = local_server.add("/list", body=(FIXTURES / "sources" / "blog_listing.html").read_bytes(), headers=HTML)
    report = json.loads(
        run_cli(
            "sources",
            "test",
            listing,
            "--kind",
            "html",
            "--select",
            "item=article",
            "--select",
            "title=h2",
            "--select",
            "link=a@href",
            "--json",
            cwd=project,
        ).stdout
    )
    assert report["kind"] == "html" and report["count"] > 0 and report["notes"] == []
    # --kind and friends belong to a URL, not to a configured source.
    misuse = run_cli("sources", "test", "no-such-source", "--kind", "html", cwd=project, check=False)
    assert misuse.returncode == 2 and "go with a URL" in misuse.stderr


@pytest.mark.slow
def test_newsletter_feeds_are_split_unless_told_otherwise(project: Path, local_server: LocalServer) -> None:
    news = local_server.add("/news.xml", body=NEWSLETTER, headers=RSS)
    blog = local_server.add("/blog.xml", body=BLOG_FEED, headers=RSS)
    added = run_cli("sources", "add", "news", "--url", news, cwd=project)
    assert "look like newsletter issues" in added.stderr and "--no-split-stories" in added.stderr
    run_cli("sources", "add", "news-whole", "--kind", "feed", "--url", news, "--no-split-stories", cwd=project)
    run_cli("sources", "add", "blog", "--kind", "feed", "--url", blog, cwd=project)
    config = load_config(project / "config.yaml")
    assert [config.source(n).split_stories for n in ("news", "news-whole", "blog")] == [True, False, False]
    # Trying the URL shows its stories, as the added source will read it.
    report = json.loads(run_cli("sources", "test", news, "--json", cwd=project).stdout)
    assert (
        report["split_stories"]
        and report["items"][0]["canonical_id"] == "arxiv:2611.04242"
        and report["items"][0]["via"]
    )


def test_the_default_config_splits_its_multi_story_newsletters() -> None:
    config = load_config(DEFAULT_CONFIG_TEMPLATE)
    assert config.source("import-ai").split_stories and config.source("last-week-in-ai").split_stories


def test_urls_from_a_person_go_through_the_address_guard(tmp_path: Path, local_server: LocalServer) -> None:
    home = local_server.add("/", body=page(""), headers=HTML)
    write_config(tmp_path / "config.yaml", [], http={"retries": 0})
    for args in (("sources", "test", home), ("sources", "add", "x", "--url", home)):
        result = run_cli(*args, cwd=tmp_path, check=False)
        assert result.returncode == 1 and "allow_private_addresses" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert local_server.requests == []
    assert "name: x" not in (tmp_path / "config.yaml").read_text()


@pytest.mark.slow
def test_an_explicit_feed_that_cannot_be_fetched_is_added_as_given(project: Path, local_server: LocalServer) -> None:
    gone = local_server.url + "/gone.xml"  # 404: the site is down today, the operator knows it is a feed
    added = run_cli("sources", "add", "later", "--kind", "feed", "--url", gone, cwd=project)
    assert "could not look at it" in added.stderr and "HTTP 404" in added.stderr
    assert load_config(project / "config.yaml").source("later").url == gone
    unknown = run_cli("sources", "add", "what", "--url", gone, cwd=project, check=False)
    assert unknown.returncode == 1 and "give --kind" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1

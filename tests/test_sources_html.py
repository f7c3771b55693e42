"""`html` sources: selectors, metadata fallbacks, followed article pages and robots.txt, on a real local server."""

from __future__ import annotations

import itertools
from dataclasses import asdict
from pathlib import Path

import pytest
from local_server import LocalServer
from store_support import catalog_add

from crawler.errors import FetchError, ParseError
from crawler.html import FOLLOW_MAX, page_item, parse_listing
from crawler.http import PoliteClient
from crawler.items import Validators
from crawler.pagemeta import parse_date
from crawler.settings import HttpSettings, Politeness, Selectors, SourceSpec
from crawler.sources import collect

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
FAST = Politeness(default_delay_s=0, per_host_delay_s={}, host_groups={})
SELECT = Selectors(item="article.post", title="h3", link="a@href", summary="p.teaser", date="time")
HTML = {"Content-Type": "text/html; charset=utf-8"}
ROBOTS = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0.2\n"


def client_for(politeness: Politeness = FAST) -> PoliteClient:
    return PoliteClient(HttpSettings(connect_timeout_s=1, read_timeout_s=2, total_timeout_s=3, retries=0), politeness,
                        "curator@example.org")


def serve_blog(server: LocalServer, robots: bytes = ROBOTS) -> str:
    server.add("/robots.txt", body=robots, headers={"Content-Type": "text/plain"})
    server.add("/blog/kernel-agents", body=(FIXTURES / "blog_post_kernels.html").read_bytes(), headers=HTML)
    server.add("/blog/robot-kitchen", body=(FIXTURES / "blog_post_kitchen.html").read_bytes(), headers=HTML)
    server.add("/private/draft-post", body=b"<html><title>secret</title></html>", headers=HTML)
    return server.add("/blog/", body=(FIXTURES / "blog_listing.html").read_bytes(), headers=HTML, etag='"l1"')


def test_selectors_pick_items_resolve_links_and_read_dates() -> None:
    items = parse_listing((FIXTURES / "blog_listing.html").read_bytes(), "https://lab.example.org/blog/", SELECT)
    assert [i.url for i in items] == [
        "https://lab.example.org/blog/kernel-agents",  # utm_source stripped
        "https://lab.example.org/blog/robot-kitchen",
        "https://lab.example.org/private/draft-post",
    ]  # the article without a link is skipped
    first = items[0]
    assert first.canonical_id == "url:https://lab.example.org/blog/kernel-agents"
    assert first.title == "Agents that write the kernels that train them"
    assert first.summary == "How our agents evolve GPU kernels." and first.published == "2026-11-25T10:00:00Z"
    assert items[1].published == "2026-11-20T00:00:00Z" and items[1].summary == ""


def test_fallbacks_json_ld_item_list_and_single_article() -> None:
    warnings: list[str] = []
    items = parse_listing((FIXTURES / "blog_jsonld_listing.html").read_bytes(), "https://lab.example.org/news/",
                          Selectors(item="article"), warnings)
    assert [(i.url, i.title) for i in items] == [
        ("https://lab.example.org/news/automl-zero-2", "AutoML-Zero 2: evolving learning algorithms from scratch"),
        ("https://lab.example.org/news/team-offsite", "Our team offsite"),
    ]
    assert items[0].published == "2026-10-01T00:00:00Z" and "found no items" in warnings[0]
    article = parse_listing((FIXTURES / "blog_post_kernels.html").read_bytes(), "https://lab.example.org/blog/k", None)
    assert len(article) == 1 and article[0].authors == ("Grace Hopper",)
    assert (
        "https://arxiv.org/abs/2611.04242" in article[0].links
        and "https://github.com/kernel-lab/evokernels" in article[0].links
    )


def test_page_metadata_of_an_arxiv_abstract_page() -> None:
    body = b"""<html><head><title>[2401.01234] Self-Play Fine-Tuning</title>
    <meta name="citation_title" content="Self-Play Fine-Tuning Converts Weak Language Models to Strong Language Models">
    <meta name="citation_author" content="Chen, Zixiang"><meta name="citation_author" content="Gu, Quanquan">
    <meta name="citation_date" content="2024/01/02"><meta name="citation_arxiv_id" content="2401.01234">
    <meta name="citation_abstract" content="We propose SPIN, a self-play method.">
    <meta property="og:description" content="a shorter card text"></head><body></body></html>"""
    item = page_item(body, "https://arxiv.org/abs/2401.01234v3")
    assert item.canonical_id == "arxiv:2401.01234" and item.version == 3
    assert (
        item.title.startswith("Self-Play Fine-Tuning Converts")
        and item.summary == "We propose SPIN, a self-play method."
    )
    assert item.authors == ("Chen, Zixiang", "Gu, Quanquan") and item.published == "2024-01-02T00:00:00Z"
    hostile = page_item(
        b"<html><head><title><script>alert(1)</script>Hi\x00 there</title></head></html>", "https://x.org/p"
    )
    assert "<" not in hostile.title and "\x00" not in hostile.title


def test_parse_date_forms() -> None:
    assert parse_date("2026-01-31") == "2026-01-31T00:00:00Z"
    assert parse_date("2026-01-31T10:00:00+02:00") == "2026-01-31T08:00:00Z"
    assert parse_date("Sat, 31 Jan 2026 10:00:00 GMT") == "2026-01-31T10:00:00Z"
    assert parse_date("January 31, 2026") == "2026-01-31T00:00:00Z"
    assert parse_date("3026-01-01") is None and parse_date("yesterday") is None and parse_date("1700-01-01") is None


def test_bad_selector_is_one_line_parse_error() -> None:
    with pytest.raises(ParseError, match=r"select\.item"):
        parse_listing(b"<html></html>", "https://x.org/", Selectors(item="article[[["))


def test_html_source_follows_links_obeys_robots_and_crawl_delay(local_server: LocalServer) -> None:
    url = serve_blog(local_server)
    source = SourceSpec(name="blog", kind="html", url=url, select=SELECT, follow_links=True)
    with client_for() as client:
        result = collect(source, client, Validators())
        assert client.gate.delay("127.0.0.1") == pytest.approx(0.2)  # robots.txt Crawl-delay raised the spacing
        again = collect(source, client, result.validators)
    assert again.not_modified and again.items == []
    by_url = {i.url.rsplit("/", 1)[-1]: i for i in result.items}
    kernels = by_url["kernel-agents"]
    assert kernels.summary.startswith("Our language model agents evolve CUDA kernels")  # longer than the teaser
    assert "https://arxiv.org/abs/2611.04242" in kernels.links
    assert by_url["robot-kitchen"].summary == "We taught a robot arm to knead dough; it is slow but steady."
    assert by_url["draft-post"].summary == ""
    assert any("robots.txt forbids" in w and "draft-post" in w for w in result.warnings)
    assert local_server.hits("/private/draft-post") == [], "a disallowed page is never fetched"
    assert len(local_server.hits("/robots.txt")) == 1
    paths = [r.path for r in local_server.requests]
    assert paths.index("/robots.txt") < paths.index("/blog/")
    times = [r.time for r in local_server.requests if r.path.startswith("/blog/")]
    assert all(b - a >= 0.18 for a, b in itertools.pairwise(times))


def test_disallowed_listing_page_is_a_fetch_error_naming_robots(local_server: LocalServer) -> None:
    url = serve_blog(local_server, robots=b"User-agent: rsiwatch\nDisallow: /blog/\n")
    with client_for() as client, pytest.raises(FetchError, match=r"robots\.txt"):
        collect(SourceSpec(name="blog", kind="html", url=url, select=SELECT), client, Validators())
    assert local_server.hits("/blog/") == []


def test_follow_links_is_bounded(local_server: LocalServer) -> None:
    local_server.add("/robots.txt", status=404)
    posts = "".join(f'<article class="post"><h3><a href="/p/{n}">Post {n}</a></h3></article>' for n in range(40))
    url = local_server.add("/list", body=f"<html><body>{posts}</body></html>".encode(), headers=HTML)
    for n in range(40):
        local_server.add(
            f"/p/{n}", body=b"<html><head><meta name=description content='body text'></head></html>", headers=HTML
        )
    with client_for() as client:
        result = collect(SourceSpec(name="b", kind="html", url=url, select=SELECT, follow_links=True), client)
    assert len(result.items) == 40
    assert sum(1 for r in local_server.requests if r.path.startswith("/p/")) == FOLLOW_MAX


def test_a_crawl_reads_only_the_posts_it_has_not_seen(tmp_path: Path, local_server: LocalServer) -> None:
    """The listing changes for one new post: the next crawl reads that post's page and no other."""
    from rsiwatch.config import Config, Source
    from rsiwatch.pipeline import crawl
    from rsiwatch.store import Store

    url = serve_blog(local_server, robots=b"User-agent: *\nDisallow: /private/\n")
    source = Source(name="blog", kind="html", url=url, select=asdict(SELECT), follow_links=True)
    config = Config(sources=[source], politeness=asdict(FAST))
    with Store(tmp_path / "c.db") as store:
        catalog_add(
            store,
            {"title": "Kernel agents", "description": "Agents that write GPU kernels.", "category": None},
            origin="seed",
        )
        with client_for() as client:
            first = crawl(config, store, client, [source])
        assert first.sources[0].ok and first.sources[0].items == 3
        assert [len(local_server.hits(f"/blog/{p}")) for p in ("kernel-agents", "robot-kitchen")] == [1, 1]
        kitchen = store.works.work("url:" + local_server.url + "/blog/robot-kitchen")
        assert kitchen["summary"] == "We taught a robot arm to knead dough; it is slow but steady."  # from its page

        listing = (
            (FIXTURES / "blog_listing.html")
            .read_bytes()
            .replace(
                b'<main class="posts">',
                b'<main class="posts"><article class="post"><h3><a href="/blog/new-post">A new post</a></h3></article>',
            )
        )
        local_server.add("/blog/", body=listing, headers=HTML, etag='"l2"')
        local_server.add(
            "/blog/new-post",
            body=b"<html><head><meta name=description content='Fresh text.'></head></html>",
            headers=HTML,
        )
        with client_for() as client:
            second = crawl(config, store, client, [source])
        assert second.sources[0].ok and second.sources[0].items == 4
        assert [len(local_server.hits(f"/blog/{p}")) for p in ("kernel-agents", "robot-kitchen", "new-post")] == [
            1,
            1,
            1,
        ]
        assert store.works.work("url:" + local_server.url + "/blog/new-post")["summary"] == "Fresh text."
        assert store.works.work("url:" + local_server.url + "/blog/robot-kitchen")["summary"] == kitchen["summary"]

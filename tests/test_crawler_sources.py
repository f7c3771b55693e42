"""collect() per source kind against a real local server; HostGate and robots.txt rules."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest
from local_server import LocalServer, Request, Response

from crawler.arxiv_api import build_query_url
from crawler.errors import CrawlError, FetchError, ParseError
from crawler.http import PoliteClient
from crawler.items import Validators
from crawler.politeness import HostGate
from crawler.settings import ARXIV_HOSTS, HttpSettings, Politeness, SourceSpec
from crawler.sources import collect

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FAST = Politeness(default_delay_s=0, per_host_delay_s={}, host_groups={})
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}


def client_for(politeness: Politeness = FAST) -> PoliteClient:
    http = HttpSettings(connect_timeout_s=1, read_timeout_s=2, total_timeout_s=3, retries=1)
    return PoliteClient(http, politeness, "curator@example.org", backoff_s=0.01)


def test_feed_source_then_304(local_server: LocalServer) -> None:
    url = local_server.add("/feed.xml", (FIXTURES / "rss20.xml").read_bytes(), etag='"abc"',
                           headers={"Content-Type": "application/rss+xml"})
    source = SourceSpec(name="news", kind="feed", url=url)
    with client_for() as client:
        first = collect(source, client, Validators())
        assert len(first.items) == 4 and not first.not_modified
        assert first.validators.etag == '"abc"' and first.requests == 1 and first.bytes_read > 0
        second = collect(source, client, first.validators)
    assert second.not_modified and second.items == [] and second.validators.etag == '"abc"'
    assert local_server.requests[1].headers["if-none-match"] == '"abc"'
    assert "application/rss+xml" in local_server.requests[0].headers["accept"]


def test_arxiv_rss_source_drops_replacements_unless_asked(local_server: LocalServer) -> None:
    url = local_server.add("/rss/cs.LG", (FIXTURES / "arxiv_rss.xml").read_bytes())
    with client_for() as client:
        default = collect(SourceSpec(name="a", kind="arxiv_rss", url=url), client)
        everything = collect(SourceSpec(name="b", kind="arxiv_rss", url=url, include_replacements=True), client)
    assert [i.announce_type for i in default.items] == ["new", "cross"]
    assert len(everything.items) == 4


def test_empty_arxiv_rss_is_not_an_error(local_server: LocalServer) -> None:
    url = local_server.add("/rss/cs.LG", (FIXTURES / "arxiv_rss_empty.xml").read_bytes())
    with client_for() as client:
        result = collect(SourceSpec(name="a", kind="arxiv_rss", url=url), client)
    assert result.items == [] and not result.not_modified


def test_html_where_a_feed_was_expected(local_server: LocalServer) -> None:
    url = local_server.add("/blog", b"<!doctype html><html><body><p>hello</p></body></html>",
                           headers={"Content-Type": "text/html; charset=utf-8"})
    with client_for() as client, pytest.raises(ParseError) as info:
        collect(SourceSpec(name="blog", kind="feed", url=url), client)
    assert str(info.value) == f"{url}: got an HTML page (text/html), not a feed"


def test_every_kind_fails_as_a_crawl_error(local_server: LocalServer) -> None:
    """html and oai_pmh are supported now (tests/test_sources_html.py, test_backfill_oai.py); a missing page is a
    FetchError."""
    for kind in ("html", "oai_pmh"):
        source = SourceSpec(name="h", kind=kind, url=local_server.url + "/x")
        with client_for() as client, pytest.raises(FetchError, match="HTTP 404"):
            collect(source, client)
    assert issubclass(ParseError, CrawlError) and issubclass(FetchError, CrawlError)


def _entry(n: int) -> str:
    return (
        f"<entry><id>http://arxiv.org/abs/2401.{n:05d}v1</id><title>Paper {n}</title>"
        f"<summary>Abstract {n}.</summary><published>2024-01-02T00:00:00Z</published>"
        f"<author><name>Author {n}</name></author></entry>"
    )


def _api(total: int) -> object:
    """A fake arXiv API holding ``total`` papers, honouring start and max_results."""

    def handle(request: Request) -> Response:
        start, size = int(request.query["start"]), int(request.query["max_results"])
        entries = "".join(_entry(n) for n in range(start, min(total, start + size)))
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
            f"<title>q</title><opensearch:totalResults>{total}</opensearch:totalResults>"
            f"<opensearch:startIndex>{start}</opensearch:startIndex>{entries}</feed>"
        )
        return Response(200, body.encode(), ATOM)

    return handle


def test_arxiv_api_pages_until_max_results(local_server: LocalServer) -> None:
    local_server.add("/api/query", handler=_api(total=1000))
    source = SourceSpec(
        name="s",
        kind="arxiv_api",
        query='abs:"architecture search"',
        url=local_server.url + "/api/query",
        max_results=25,
        page_size=10,
    )
    politeness = Politeness(default_delay_s=0, per_host_delay_s={"127.0.0.1": 0.2}, host_groups={})
    with client_for(politeness) as client:
        result = collect(source, client)
    assert len(result.items) == 25 and result.requests == 3
    assert [r.query["start"] for r in local_server.requests] == ["0", "10", "20"]
    assert [r.query["max_results"] for r in local_server.requests] == ["10", "10", "5"]
    first = local_server.requests[0].query
    assert first["search_query"] == 'abs:"architecture search"'
    assert first["sortBy"] == "submittedDate" and first["sortOrder"] == "descending"
    times = [r.time for r in local_server.requests]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.19
    item = result.items[0]
    assert item.canonical_id == "arxiv:2401.00000" and item.version == 1 and item.authors == ("Author 0",)


def test_arxiv_api_stops_at_short_page(local_server: LocalServer) -> None:
    local_server.add("/api/query", handler=_api(total=13))
    source = SourceSpec(
        name="s", kind="arxiv_api", query="all:x", url=local_server.url + "/api/query", max_results=100, page_size=10
    )
    with client_for() as client:
        assert len(collect(source, client).items) == 13
    assert len(local_server.requests) == 2


def test_arxiv_api_stops_at_empty_page(local_server: LocalServer) -> None:
    local_server.add("/api/query", handler=_api(total=0))
    source = SourceSpec(name="s", kind="arxiv_api", query="all:x", url=local_server.url + "/api/query")
    with client_for() as client:
        assert collect(source, client).items == []
    assert len(local_server.requests) == 1


def test_arxiv_api_error_feed_with_400(local_server: LocalServer) -> None:
    url = local_server.add("/api/query", (FIXTURES / "arxiv_api_error.xml").read_bytes(), status=400, headers=ATOM)
    source = SourceSpec(name="s", kind="arxiv_api", query="id:abc", url=url)
    with client_for() as client, pytest.raises(ParseError) as info:
        collect(source, client)
    assert "arXiv API error: incorrect id format for abc" in str(info.value)


def test_build_query_url() -> None:
    url = build_query_url("https://export.arxiv.org/api/query", 'abs:"self-play" AND cat:cs.LG', 100, 50)
    assert url == (
        "https://export.arxiv.org/api/query?search_query=abs%3A%22self-play%22+AND+cat%3Acs.LG"
        "&start=100&max_results=50&sortBy=submittedDate&sortOrder=descending"
    )


# HostGate ---------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_arxiv_hosts_share_one_budget() -> None:
    clock = FakeClock()
    gate = HostGate(Politeness(), clock=clock, sleep=clock.sleep)
    assert gate.delay("export.arxiv.org") == 3.0 and gate.delay("example.org") == 1.0
    assert len({gate.key(h) for h in ARXIV_HOSTS}) == 1
    starts = []
    for host in ("export.arxiv.org", "rss.arxiv.org", "oaipmh.arxiv.org", "export.arxiv.org"):
        with gate.slot(host):
            starts.append(clock.now)
            clock.now += 0.5  # the request itself
    assert [b - a for a, b in itertools.pairwise(starts)] == [3.5, 3.5, 3.5]
    with gate.slot("example.org"):  # another host is not held up by arXiv's budget
        assert clock.now == starts[-1] + 0.5


def test_defer_and_crawl_delay() -> None:
    clock = FakeClock()
    gate = HostGate(Politeness(default_delay_s=0.5), clock=clock, sleep=clock.sleep)
    gate.defer("a.example", 10)
    assert gate.ready_in("a.example") == 10
    with gate.slot("a.example") as waited:
        assert waited == 10
    gate.set_crawl_delay("a.example", 5)
    assert gate.delay("a.example") == 5
    gate.set_crawl_delay("b.example", 86400)
    assert gate.delay("b.example") == 60  # capped


def test_one_request_at_a_time_across_threads() -> None:
    gate = HostGate(Politeness(default_delay_s=0.05, per_host_delay_s={}, host_groups={}))
    active, peak, starts = [0], [0], []
    lock = threading.Lock()

    def worker() -> None:
        with gate.slot("h.example"):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
                starts.append(time.monotonic())
            time.sleep(0.02)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert peak[0] == 1
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.065


# robots.txt -------------------------------------------------------------------------------------


def test_robots_rules_and_crawl_delay(local_server: LocalServer) -> None:
    local_server.add("/robots.txt", b"User-agent: *\nDisallow: /private\nCrawl-delay: 2\n")
    with client_for() as client:
        assert client.robots.allowed(local_server.url + "/blog/post")
        assert not client.robots.allowed(local_server.url + "/private/x")
        assert client.gate.delay("127.0.0.1") == 2
    assert len(local_server.hits("/robots.txt")) == 1  # cached


def test_robots_missing_allows_unreachable_disallows(local_server: LocalServer) -> None:
    with client_for() as client:
        assert client.robots.allowed(local_server.url + "/anything")  # 404
    local_server.add("/robots.txt", b"", status=500)
    with client_for() as client:
        assert not client.robots.allowed(local_server.url + "/anything")


def test_stop_event_cuts_waits_short(local_server: LocalServer) -> None:
    url = local_server.add("/x", b"<rss version='2.0'><channel></channel></rss>")
    stop = threading.Event()
    politeness = Politeness(default_delay_s=600, per_host_delay_s={}, host_groups={})
    client = PoliteClient(HttpSettings(), politeness, "c@example.org", stop=stop)
    client.get(url)
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with pytest.raises(FetchError, match="stopped"):
        client.get(url)  # would wait 10 minutes for the host
    assert time.monotonic() - started < 60
    client.close()


def test_arxiv_api_first_page_is_conditional(local_server: LocalServer) -> None:
    url = local_server.add("/api/query", (FIXTURES / "arxiv_api_page.xml").read_bytes(), etag='"p1"', headers=ATOM)
    source = SourceSpec(name="s", kind="arxiv_api", query="all:x", url=url)
    with client_for() as client:
        first = collect(source, client)
        second = collect(source, client, first.validators)
    assert len(first.items) == 2 and first.validators.etag == '"p1"'
    assert second.not_modified and second.items == []
    assert local_server.requests[1].headers["if-none-match"] == '"p1"'

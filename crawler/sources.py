"""One pass over one configured source: fetch with the polite client, parse by kind, report.

The only function the pipeline needs from the crawler.  It raises ``CrawlError`` (``FetchError`` or
``ParseError``, one line each) for a failed source; the caller records it and goes on with the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from crawler.arxiv_api import search
from crawler.arxiv_rss import parse_arxiv_rss
from crawler.errors import FetchError
from crawler.feed import parse_feed
from crawler.html import collect_html
from crawler.http import FEED_ACCEPT, PoliteClient
from crawler.items import Item, SourceResult, Validators
from crawler.oai_pmh import collect_oai
from crawler.stories import parse_newsletter
from rsiwatch.config import Source

SUPPORTED_KINDS = ("feed", "arxiv_rss", "arxiv_api", "html", "oai_pmh")

FeedParser = Callable[[bytes, Mapping[str, str], str, list[str]], list[Item]]


def collect(source: Source, client: PoliteClient, validators: Validators | None = None) -> SourceResult:
    """Everything ``source`` has now; ``not_modified`` when a conditional GET says nothing changed."""
    validators = validators or Validators()
    if source.kind == "feed":
        if source.split_stories:
            return _fetch_feed(source, client, validators, lambda b, h, u, w: parse_newsletter(b, h, u, w))
        return _fetch_feed(source, client, validators, lambda b, h, u, w: parse_feed(b, h, u, w))
    if source.kind == "arxiv_rss":
        return _fetch_feed(
            source,
            client,
            validators,
            lambda b, h, u, w: parse_arxiv_rss(b, h, u, include_replacements=source.include_replacements, warnings=w),
        )
    if source.kind == "arxiv_api":
        assert source.query is not None  # the config guarantees it
        return search(client, source.endpoint, source.query, source.max_results, source.page_size, validators)
    if source.kind == "html":
        return collect_html(source, client, validators)
    if source.kind == "oai_pmh":
        return collect_oai(source, client, validators)
    raise FetchError(f"{source.endpoint}: source {source.name}: kind {source.kind} not supported yet")


def _fetch_feed(source: Source, client: PoliteClient, validators: Validators, parse: FeedParser) -> SourceResult:
    fetched = client.get(source.endpoint, validators, accept=FEED_ACCEPT)
    result = SourceResult(validators=fetched.validators, requests=fetched.requests, bytes_read=len(fetched.body))
    if fetched.not_modified:
        result.not_modified = True
        return result
    result.items = parse(fetched.body, fetched.headers, fetched.url, result.warnings)
    return result

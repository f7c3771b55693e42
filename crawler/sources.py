"""One pass over one configured source: fetch with the polite client, parse by kind, report.

``collect`` is what the pipeline needs from the crawler (a crawl of many sources may also split a feed's
pass into ``fetch_feed`` and ``parse_fetched`` to parse in worker processes).  It raises ``CrawlError``
(``FetchError`` or ``ParseError``, one line each) for a failed source; the caller records it and goes on with the
others.
"""

from __future__ import annotations

from collections.abc import Mapping

from crawler.arxiv_api import search
from crawler.errors import FetchError
from crawler.html import collect_html
from crawler.http import FEED_ACCEPT, Fetched, PoliteClient
from crawler.items import Item, SourceResult, Validators
from crawler.oai_pmh import collect_oai
from crawler.parsing import ParseSpec, parse_fetched
from crawler.settings import SourceSpec


def collect(
    source: SourceSpec,
    client: PoliteClient,
    validators: Validators | None = None,
    seen: Mapping[str, str] | None = None,
) -> SourceResult:
    """Everything ``source`` has now; ``not_modified`` when a conditional GET says nothing changed.

    ``seen``: item key -> work of what this source gave before; an ``html`` source does not read those
    posts' pages again.
    """
    validators = validators or Validators()
    if is_separable(source):
        return collect_feed(source, client, validators)[0]
    if source.kind == "arxiv_api":
        assert source.query is not None  # the config guarantees it
        return search(client, source.endpoint, source.query, source.max_results, source.page_size, validators)
    if source.kind == "html":
        return collect_html(source, client, validators, seen)
    if source.kind == "oai_pmh":
        return collect_oai(source, client, validators)
    raise FetchError(f"{source.endpoint}: source {source.name}: kind {source.kind} not supported yet")


# Kinds whose pass is one GET then a pure parse of the bytes: the parse may run elsewhere (a worker process).
SEPARABLE_KINDS = ("feed", "arxiv_rss")


def is_separable(source: SourceSpec) -> bool:
    """Whether ``collect`` for this source is ``fetch_feed`` then ``parse_fetched``."""
    return source.kind in SEPARABLE_KINDS


def parse_spec(source: SourceSpec) -> ParseSpec:
    return (source.kind, bool(source.split_stories), bool(source.include_replacements))


def fetch_feed(source: SourceSpec, client: PoliteClient, validators: Validators) -> tuple[SourceResult, Fetched | None]:
    """The fetch half of a separable source: its result without items, and the response to parse (None on 304)."""
    fetched = client.get(source.endpoint, validators, accept=FEED_ACCEPT)
    result = SourceResult(validators=fetched.validators, requests=fetched.requests, bytes_read=len(fetched.body))
    if fetched.not_modified:
        result.not_modified = True
        return result, None
    return result, fetched


def with_parsed(result: SourceResult, parsed: tuple[list[Item], list[str]]) -> SourceResult:
    """``result`` with the items and warnings of ``parse_fetched`` (run here or in a worker)."""
    result.items, warnings = parsed
    result.warnings.extend(warnings)
    return result


def collect_feed(
    source: SourceSpec, client: PoliteClient, validators: Validators
) -> tuple[SourceResult, Fetched | None]:
    """A separable source's pass in line: its result with items, and the response they came from (None on 304)."""
    result, fetched = fetch_feed(source, client, validators)
    if fetched is not None:
        with_parsed(result, parse_fetched(parse_spec(source), fetched.body, fetched.headers, fetched.url))
    return result, fetched

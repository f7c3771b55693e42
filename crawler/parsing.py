"""The parse half of a feed source: bytes in, items out, no network and no config.  A crawl of many
feeds runs it in worker processes (rsiwatch/prefetch.py); ``crawler.sources.collect`` runs it in line."""

from __future__ import annotations

from collections.abc import Mapping

from crawler.arxiv_framing import is_arxiv_listing
from crawler.arxiv_rss import parse_arxiv_rss
from crawler.feed import parse_feed
from crawler.items import Item
from crawler.stories import parse_newsletter

# What the parse of a separable source needs to know about it: (kind, split_stories, include_replacements).
ParseSpec = tuple[str, bool, bool]


def parse_fetched(spec: ParseSpec, body: bytes, headers: Mapping[str, str], url: str) -> tuple[list[Item], list[str]]:
    """The parse half of a separable source: (items, warnings).  Pure, and picklable for a worker process."""
    kind, split_stories, include_replacements = spec
    warnings: list[str] = []
    # The document decides: an arXiv listing is read as one whatever kind the source was given (a mirror,
    # a proxy or a local file of arXiv's RSS configured as a plain feed or a newsletter).
    if kind == "arxiv_rss" or is_arxiv_listing(body):
        items = parse_arxiv_rss(body, headers, url, include_replacements=include_replacements, warnings=warnings)
    elif split_stories:
        items = parse_newsletter(body, headers, url, warnings)
    else:
        items = parse_feed(body, headers, url, warnings)
    return items, warnings

"""arXiv's search API (Atom), paged, newest first.

Paging stops at the source's ``max_results``, at a short or empty page, or at ``totalResults``.  The
3-second rule between requests is the ``HostGate``'s job (export.arxiv.org is in the arXiv host group),
so this module only builds URLs and parses pages.  arXiv reports a bad query as a feed whose single
entry has an id under ``/api/errors``, sometimes with HTTP 400: both become a ``ParseError`` carrying
arXiv's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from crawler.errors import FetchError, ParseError
from crawler.feed import arxiv_doi_links, entry_authors, entry_date, is_html, parse_document
from crawler.ids import arxiv_id, arxiv_version
from crawler.items import Item, SourceResult, Validators, first_per_key
from crawler.text import SUMMARY_MAX, TITLE_MAX, clean_text

if TYPE_CHECKING:
    from crawler.http import PoliteClient

ATOM_ACCEPT = "application/atom+xml, application/xml;q=0.9, */*;q=0.1"


@dataclass
class ApiPage:
    items: list[Item] = field(default_factory=list)
    total_results: int | None = None
    start_index: int | None = None


def build_query_url(endpoint: str, query: str, start: int, max_results: int) -> str:
    """One page of a search, newest submissions first."""
    params = urlencode(
        {
            "search_query": query,
            "start": start,
            "max_results": max_results,
            "sortBy": "submittedDate",
            "sortOrder": "descending",
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{params}"


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_api_page(body: bytes, headers: Mapping[str, str], url: str, warnings: list[str] | None = None) -> ApiPage:
    """Items of one API response; ``ParseError`` for arXiv's error feed."""
    result = parse_document(body, headers, url, warnings)
    page = ApiPage(
        total_results=_int(result.feed.get("opensearch_totalresults")),
        start_index=_int(result.feed.get("opensearch_startindex")),
    )
    for entry in result.entries:
        entry_id = str(entry.get("id") or "")
        if "/api/errors" in entry_id:
            message = clean_text(entry.get("summary"), 300, html=False) or entry_id
            raise ParseError(f"{url}: arXiv API error: {message}")
        item = _entry(entry, entry_id)
        if item is not None:
            page.items.append(item)
    return page


def _entry(entry: Any, entry_id: str) -> Item | None:
    paper = arxiv_id(entry_id) or arxiv_id(str(entry.get("link") or ""))
    if paper is None:
        return None
    version = arxiv_version(entry_id)
    links = []
    for link in entry.get("links", []):
        if link.get("type") == "application/pdf" or link.get("title") == "pdf":
            links.append(str(link.get("href")))
    links += arxiv_doi_links(entry)
    return Item(
        canonical_id=f"arxiv:{paper}",
        title=clean_text(entry.get("title"), TITLE_MAX, html=is_html(entry.get("title_detail"))),
        summary=clean_text(entry.get("summary"), SUMMARY_MAX, html=is_html(entry.get("summary_detail"))),
        url=f"https://arxiv.org/abs/{paper}",
        key=entry_id or f"arxiv:{paper}",
        published=entry_date(entry),
        authors=entry_authors(entry),
        version=version,
        links=tuple(links),
    )


def search(
    client: PoliteClient,
    endpoint: str,
    query: str,
    max_results: int,
    page_size: int,
    validators: Validators | None = None,
) -> SourceResult:
    """Fetch pages through ``client`` (a ``PoliteClient``) until one of the stop conditions holds.

    Only the first page is asked conditionally: results come newest first, so an unchanged first page
    means nothing new, and the source keeps that page's validators.
    """
    result = SourceResult()
    start = 0
    while len(result.items) < max_results:
        wanted = min(page_size, max_results - len(result.items))
        url = build_query_url(endpoint, query, start, wanted)
        try:
            fetched = client.get(url, validators if start == 0 else None, accept=ATOM_ACCEPT)
        except FetchError as exc:
            if exc.status == 400 and exc.body:
                parse_api_page(exc.body, {}, url)  # raises ParseError with arXiv's message if it has one
            raise
        result.requests += fetched.requests
        if start == 0:
            result.validators = fetched.validators
            if fetched.not_modified:
                result.not_modified = True
                return result
        result.bytes_read += len(fetched.body)
        page = parse_api_page(fetched.body, fetched.headers, fetched.url, result.warnings)
        # Each paper once, whichever version a page lists.
        result.items = first_per_key(result.items + page.items, attrgetter("canonical_id"))[:max_results]
        start += wanted
        if len(page.items) < wanted or (page.total_results is not None and start >= page.total_results):
            break
    return result

"""``html`` sources: blogs without a feed, read from their listing page by CSS selectors.

``parse_listing`` and ``page_item`` are pure (bytes and a URL in, ``Item``s out); ``collect_html`` is the
only part that fetches, through the polite client, after asking robots.txt.  When the configured item
selector finds nothing, the page's own metadata stands in: a JSON-LD ItemList, or the page itself when
it is one article.  ``follow_links`` reads each item's page (the first ``FOLLOW_MAX`` of the listing,
newest first on every blog we know) for the summary and date the listing does not show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from bs4 import BeautifulSoup, Tag
from soupsieve import SelectorSyntaxError

from crawler.errors import CrawlError, FetchError, ParseError, one_line
from crawler.feed import http_url
from crawler.ids import arxiv_id, arxiv_version, canonical_id, canonical_url, find_references, id_to_url
from crawler.items import Item, SourceResult, Validators, first_per_key
from crawler.link import attach
from crawler.pagemeta import PageMeta, item_list, page_meta, parse_date, soup_of
from crawler.settings import Selectors, SourceSpec
from crawler.text import SUMMARY_MAX, TITLE_MAX, clean_text

if TYPE_CHECKING:
    from crawler.http import PoliteClient

HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
MAX_LISTING_ITEMS = 500
FOLLOW_MAX = 20  # article pages read per pass: bounded, whatever the listing holds
MAX_LINKS = 20


def _select(root: Tag, spec: str | None) -> tuple[Tag | None, str | None]:
    """``h3`` -> (element, its text); ``a@href`` -> (element, the attribute); ``@href`` reads ``root``."""
    if not spec:
        return None, None
    selector, _, attribute = spec.partition("@")
    selector = selector.strip()
    element = root.select_one(selector) if selector else root
    if element is None:
        return None, None
    if attribute:
        value = element.get(attribute.strip())
        value = " ".join(value) if isinstance(value, list) else value
        return element, str(value) if value else None
    return element, element.get_text(" ")


def _first_link(element: Tag) -> str | None:
    if element.name == "a" and element.get("href"):
        return str(element.get("href"))
    anchor = element.find("a", href=True)
    return str(anchor.get("href")) if isinstance(anchor, Tag) else None


def _date_of(element: Tag | None, text: str | None) -> str | None:
    if element is not None:
        moment = element if element.name == "time" else element.find("time")
        if isinstance(moment, Tag) and moment.get("datetime"):
            found = parse_date(str(moment.get("datetime")))
            if found:
                return found
    return parse_date(text)


def listing_item(url: str, title: str, summary: str, published: str | None, references: list[str], key: str) -> Item:
    """An ``Item`` for a post at ``url`` (an arXiv or DOI link names its work directly)."""
    cid = canonical_id(url)
    links = tuple(id_to_url(r) for r in references if r != cid)[:MAX_LINKS]
    return Item(
        canonical_id=cid,
        title=title or url,
        summary=summary,
        url=canonical_url(url),
        key=key,
        published=published,
        version=arxiv_version(url) if arxiv_id(url) else None,
        links=links,
    )


def parse_listing(
    body: bytes, url: str, select: Selectors | None, warnings: list[str] | None = None, content_type: str | None = None
) -> list[Item]:
    """The items of a listing page: by selectors, else by its JSON-LD ItemList, else the page as one article."""
    soup = soup_of(body, content_type)
    items: list[Item] = []
    if select is not None:
        try:
            elements = soup.select(select.item, limit=MAX_LISTING_ITEMS)
        except SelectorSyntaxError as exc:
            raise ParseError(f"{url}: select.item {select.item!r} is not a valid CSS selector: {exc}") from None
        try:
            items = _by_selectors(elements, select, url)
        except SelectorSyntaxError as exc:
            raise ParseError(f"{url}: a selector in `select` is not valid CSS: {exc}") from None
        if not items and warnings is not None:
            warnings.append(
                one_line(f"{url}: selector {select.item!r} found no items; read the page's metadata instead")
            )
    if not items:
        items = _by_metadata(soup, url)
    return first_per_key(items)


def _by_selectors(elements: list[Tag], select: Selectors, base: str) -> list[Item]:
    items = []
    for element in elements:
        _, raw_link = _select(element, select.link) if select.link else (None, _first_link(element))
        link = http_url(raw_link, base)
        if not link:
            continue
        _title_el, raw_title = _select(element, select.title) if select.title else (None, None)
        if not raw_title:
            anchor = element.find(["h1", "h2", "h3", "h4", "a"])
            raw_title = anchor.get_text(" ") if isinstance(anchor, Tag) else ""
        _, raw_summary = _select(element, select.summary)
        date_el, raw_date = _select(element, select.date) if select.date else (element, None)
        items.append(
            listing_item(
                link,
                clean_text(raw_title, TITLE_MAX, html=False),
                clean_text(raw_summary, SUMMARY_MAX, html=False),
                _date_of(date_el, raw_date),
                find_references(str(element)),
                key=canonical_url(link),
            )
        )
    return items


def _by_metadata(soup: BeautifulSoup, url: str) -> list[Item]:
    entries = item_list(soup, url)
    if entries:
        return [listing_item(e.url, e.title, e.summary, e.published, [], key=canonical_url(e.url)) for e in entries]
    meta = page_meta(soup, url)
    if meta.is_article:
        return [meta_item(meta, url)]
    return []


def meta_item(meta: PageMeta, url: str) -> Item:
    """One page as an ``Item``: its arXiv id or DOI when it declares one about itself, else its URL."""
    own = meta.canonical if meta.canonical and canonical_url(meta.canonical) != canonical_url(url) else None
    cid = canonical_id(url, arxiv=meta.arxiv, doi=meta.doi)
    if cid.startswith("url:") and own:
        cid = canonical_id(own)
    links = tuple(id_to_url(r) for r in meta.references if r != cid)[:MAX_LINKS]
    return Item(
        canonical_id=cid,
        title=meta.title or url,
        summary=meta.summary,
        url=canonical_url(url),
        key=canonical_url(url),
        published=meta.published,
        authors=meta.authors,
        version=arxiv_version(url) if arxiv_id(url) else None,
        links=links,
    )


def page_item(body: bytes, url: str, content_type: str | None = None) -> Item:
    """A single page (a submission, a followed article) as one ``Item`` from its metadata."""
    return meta_item(page_meta(soup_of(body, content_type), url), url)


def enrich(item: Item, meta: PageMeta) -> Item:
    """Fill what the listing did not show from the article page's own metadata."""
    references = [id_to_url(r) for r in meta.references if r != item.canonical_id]
    links = tuple(dict.fromkeys([*item.links, *references]))[:MAX_LINKS]
    return replace(
        item,
        title=item.title if item.title and item.title != item.url else (meta.title or item.title),
        summary=meta.summary if len(meta.summary) > len(item.summary) else item.summary,
        published=item.published or meta.published,
        authors=item.authors or meta.authors,
        links=links,
    )


def collect_html(
    source: SourceSpec, client: PoliteClient, validators: Validators, seen: Mapping[str, str] | None = None
) -> SourceResult:
    """Fetch the listing (conditionally), parse it, and read up to ``FOLLOW_MAX`` article pages if asked.

    A post in ``seen`` (item key -> work, this source's earlier sightings) is not read again: it stays a
    sighting of the work its page made it (a paper the page named), and a listing that changed for one
    new post costs one page, not twenty.
    """
    url = source.endpoint
    if not client.robots.allowed(url):
        raise FetchError(f"{url}: robots.txt forbids this page to rsiwatch")
    fetched = client.get(url, validators, accept=HTML_ACCEPT)
    result = SourceResult(validators=fetched.validators, requests=fetched.requests, bytes_read=len(fetched.body))
    if fetched.not_modified:
        result.not_modified = True
        return result
    items = parse_listing(
        fetched.body, fetched.url, source.select, result.warnings, fetched.headers.get("content-type")
    )
    if source.follow_links:
        for index, item in enumerate(items[:FOLLOW_MAX]):
            work = (seen or {}).get(item.key)
            items[index] = attach(item, work) if work else _follow(item, client, result)
    result.items = items
    return result


def _follow(item: Item, client: PoliteClient, result: SourceResult) -> Item:
    if not item.canonical_id.startswith("url:"):
        return item  # an arXiv or DOI link: the paper's own source tells us more than its landing page
    if not client.robots.allowed(item.url):
        result.warnings.append(one_line(f"{item.url}: robots.txt forbids this page; kept the listing's text"))
        return item
    try:
        page = client.get(item.url, accept=HTML_ACCEPT)
    except CrawlError as exc:
        result.warnings.append(one_line(f"{item.url}: not followed: {exc}"))
        return item
    result.requests += page.requests
    result.bytes_read += len(page.body)
    return enrich(item, page_meta(soup_of(page.body, page.headers.get("content-type")), page.url))

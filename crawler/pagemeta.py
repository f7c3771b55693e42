"""What a web page says about itself: OpenGraph, JSON-LD, citation_* and Dublin Core tags, ``<time>``.

Pure functions over a parsed page.  Used by ``html`` sources (as the fallback when a selector finds
nothing, and to read followed article pages) and by ``rsiwatch submit``.  Everything here is untrusted
text: it is cleaned to short plain strings and URLs are kept only when they are http(s).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from bs4 import BeautifulSoup, Tag

from crawler.feed import EARLIEST_YEAR, FUTURE_SLACK_S, http_url
from crawler.ids import find_references, normalize_doi
from crawler.text import NAME_MAX, SUMMARY_MAX, TITLE_MAX, clean_text

JSON_LD_MAX_CHARS = 500_000  # a script bigger than this is not metadata
ARTICLE_TYPES = frozenset(
    {"article", "blogposting", "newsarticle", "scholarlyarticle", "techarticle", "report", "webpage", "posting"}
)
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%b. %d, %Y", "%B %Y")
FALLBACK_SUMMARY_CHARS = 2_000


@dataclass(frozen=True)
class PageMeta:
    """The page's own description of itself; empty strings and None where it says nothing."""

    title: str = ""
    summary: str = ""
    published: str | None = None
    canonical: str | None = None  # rel=canonical, else og:url
    authors: tuple[str, ...] = ()
    arxiv: str | None = None  # citation_arxiv_id
    doi: str | None = None  # citation_doi, dc.identifier
    references: tuple[str, ...] = ()  # canonical ids of the works its body links (arXiv, DOI, GitHub)
    is_article: bool = False  # og:type article or a JSON-LD Article: the page is one item, not a listing


@dataclass(frozen=True)
class ListEntry:
    """One entry of a JSON-LD ItemList."""

    url: str
    title: str = ""
    summary: str = ""
    published: str | None = None


def soup_of(body: bytes, content_type: str | None = None) -> BeautifulSoup:
    """A parsed page; the declared charset, when there is one, wins over guessing."""
    charset = None
    if content_type:
        match = re.search(r"charset=([\w\-]+)", content_type, re.IGNORECASE)
        charset = match.group(1) if match else None
    try:
        return BeautifulSoup(body, "lxml", from_encoding=charset)
    except (LookupError, ValueError):
        return BeautifulSoup(body, "lxml")


def parse_date(value: str | None) -> str | None:
    """ISO 8601, RFC 2822 or "January 31, 2026" as ``2026-01-31T00:00:00Z``; None for absurd or unreadable dates."""
    if not value or not isinstance(value, str):
        return None
    text = " ".join(value.split())[:64]
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            for fmt in _DATE_FORMATS:
                try:
                    moment = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment.year < EARLIEST_YEAR or moment.timestamp() > datetime.now(UTC).timestamp() + FUTURE_SLACK_S:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta(soup: BeautifulSoup, *names: str) -> str:
    """The first non-empty ``<meta name|property=...>`` among ``names`` (case-insensitive)."""
    wanted = [n.lower() for n in names]
    found: dict[str, str] = {}
    for tag in soup.find_all("meta", limit=500):
        key = str(tag.get("property") or tag.get("name") or tag.get("itemprop") or "").lower()
        if key in wanted and key not in found and tag.get("content"):
            found[key] = str(tag.get("content"))
    return next((found[n] for n in wanted if n in found), "")


def _metas(soup: BeautifulSoup, name: str) -> list[str]:
    return [str(t.get("content")) for t in soup.find_all("meta", attrs={"name": name}, limit=200) if t.get("content")]


def json_ld(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, ``@graph`` members flattened; broken scripts are skipped."""
    out: list[dict[str, Any]] = []
    for script in soup.find_all("script", attrs={"type": re.compile(r"ld\+json", re.I)}, limit=20):
        text = script.string or script.get_text() or ""
        if not text or len(text) > JSON_LD_MAX_CHARS:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        out.extend(_flatten(data, 0))
    return out


def _flatten(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 5:
        return
    if isinstance(data, list):
        for member in data[:200]:
            yield from _flatten(member, depth + 1)
    elif isinstance(data, dict):
        yield data
        if isinstance(data.get("@graph"), list):
            yield from _flatten(data["@graph"], depth + 1)


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {str(v).lower() for v in values if v}


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or ""
    return value if isinstance(value, str) else ""


def _ld_authors(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    names = [clean_text(_text(v), NAME_MAX) for v in values[:100]]
    return tuple(n for n in names if n)


def item_list(soup: BeautifulSoup, base: str) -> list[ListEntry]:
    """The entries of a JSON-LD ItemList (a listing page describing its own posts)."""
    entries: list[ListEntry] = []
    for obj in json_ld(soup):
        if "itemlist" not in _types(obj):
            continue
        elements = obj.get("itemListElement")
        for element in elements if isinstance(elements, list) else []:
            if not isinstance(element, dict):
                continue
            item = element.get("item")
            inner = item if isinstance(item, dict) else element
            url = http_url(_text(inner.get("url")) or _text(inner.get("@id")) or _text(element.get("url")), base)
            if not url:
                continue
            entries.append(
                ListEntry(
                    url=url,
                    title=clean_text(_text(inner.get("headline")) or _text(inner.get("name")), TITLE_MAX),
                    summary=clean_text(_text(inner.get("description")), SUMMARY_MAX),
                    published=parse_date(_text(inner.get("datePublished"))),
                )
            )
    return entries


def first_paragraphs(soup: BeautifulSoup, limit: int = FALLBACK_SUMMARY_CHARS) -> str:
    """The opening paragraphs of the main text, when the page gives no description."""
    root = soup.find("article") or soup.find("main") or soup.body or soup
    parts: list[str] = []
    size = 0
    for p in root.find_all("p", limit=40) if isinstance(root, Tag) else []:
        text = clean_text(p.get_text(" "), limit, html=False)
        if len(text) < 40:
            continue
        parts.append(text)
        size += len(text)
        if size >= limit:
            break
    return " ".join(parts)[:limit].rstrip()


def page_meta(soup: BeautifulSoup, url: str) -> PageMeta:
    """What the page says about itself, best source first: citation_* (scholarly), JSON-LD, OpenGraph, HTML."""
    article: dict[str, Any] = next((o for o in json_ld(soup) if _types(o) & ARTICLE_TYPES - {"webpage"}), {})
    body_root = soup.find("article") or soup.find("main") or soup.body
    body_html = str(body_root)[:2_000_000] if body_root is not None else ""
    return PageMeta(
        title=clean_text(_page_title(soup, article), TITLE_MAX),
        summary=clean_text(_page_summary(soup, article), SUMMARY_MAX) or first_paragraphs(soup),
        published=_page_published(soup, article),
        canonical=_page_canonical(soup, url),
        authors=tuple(a for a in _page_authors(soup, article) if a),
        arxiv=_meta(soup, "citation_arxiv_id") or None,
        doi=normalize_doi(_meta(soup, "citation_doi", "dc.identifier", "prism.doi") or ""),
        references=tuple(find_references(body_html)),
        is_article=_meta(soup, "og:type").lower() == "article" or bool(article),
    )


def _page_title(soup: BeautifulSoup, article: dict[str, Any]) -> str:
    return (
        _meta(soup, "citation_title", "og:title", "twitter:title", "dc.title")
        or _text(article.get("headline")) or _text(article.get("name"))
        or (soup.title.get_text() if soup.title else "")
        or (soup.h1.get_text(" ") if soup.h1 else "")
    )


def _page_summary(soup: BeautifulSoup, article: dict[str, Any]) -> str:
    return (
        _meta(soup, "citation_abstract", "og:description", "description", "twitter:description", "dc.description")
        or _text(article.get("description"))
    )


def _page_published(soup: BeautifulSoup, article: dict[str, Any]) -> str | None:
    time_tag = soup.find("time")
    return (
        parse_date(_meta(soup, "citation_publication_date", "citation_date", "article:published_time",
                         "citation_online_date", "dc.date", "date", "pubdate"))
        or parse_date(_text(article.get("datePublished")))
        or (parse_date(str(time_tag.get("datetime") or time_tag.get_text())) if isinstance(time_tag, Tag) else None)
    )


def _page_canonical(soup: BeautifulSoup, url: str) -> str | None:
    canonical_tag = soup.find(
        "link", rel=lambda v: v and "canonical" in [x.lower() for x in (v if isinstance(v, list) else [v])]
    )
    return http_url(str(canonical_tag.get("href")) if isinstance(canonical_tag, Tag) else _meta(soup, "og:url"), url)


def _page_authors(soup: BeautifulSoup, article: dict[str, Any]) -> tuple[str, ...]:
    authors = tuple(clean_text(a, NAME_MAX) for a in _metas(soup, "citation_author")[:100]) or _ld_authors(
        article.get("author")
    )
    if not authors and _meta(soup, "author"):
        authors = (clean_text(_meta(soup, "author"), NAME_MAX),)
    return authors

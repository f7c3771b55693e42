"""Any RSS 0.9x / 1.0 / 2.0 or Atom feed, as bytes plus response headers, to ``Item``s.

feedparser gets the raw bytes and the headers (never decoded text) so it can find the encoding; it
gets them as a stream, because feedparser treats a *bytes string* that names a file as a path to open.
Pure: no network, no clock beyond "is this date absurd".
"""

from __future__ import annotations

import calendar
import hashlib
import io
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from crawler.arxiv_framing import strip_framing
from crawler.errors import ParseError, one_line
from crawler.ids import arxiv_id, arxiv_version, canonical_id, canonical_url, find_references, id_to_url, normalize_doi
from crawler.items import Item, first_per_key
from crawler.text import NAME_MAX, SUMMARY_MAX, TITLE_MAX, clean_text

KEY_MAX = 1_000
MAX_AUTHORS = 100
MAX_LINKS = 20
EARLIEST_YEAR = 1990  # dates before this are parse accidents, not news
FUTURE_SLACK_S = 2 * 86400  # time zones and clock skew; further ahead is a wrong date

_BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive",
    b"RIFF": "a RIFF (WebP/WAV) file",
    b"\x1f\x8b": "gzip data",
}


def parse_document(
    body: bytes, headers: Mapping[str, str], url: str, warnings: list[str] | None = None, *, text_only: bool = False
) -> Any:
    """feedparser's result for a body that is a feed; ``ParseError`` (one line) when it is not one.

    A feed that is ill-formed but still yields entries is accepted with a warning: the web is messy.
    ``text_only=True`` skips feedparser's HTML sanitizer (a fifth of its time, bench/bench_crawl.py) and its
    resolution of relative links inside content (another 7%) for callers that reduce the markup to plain
    text themselves (``clean_text`` drops scripts and styles) and read only absolute arXiv and DOI links.
    """
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise ParseError(f"{url}: empty body, not a feed")
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise ParseError(f"{url}: got {what}, not a feed")
    if head[:1] in (b"{", b"["):
        raise ParseError(f"{url}: got JSON, not an RSS or Atom feed")
    response_headers = {k.lower(): v for k, v in headers.items()}
    response_headers.setdefault("content-location", url)
    try:
        result = feedparser.parse(io.BytesIO(body), response_headers=response_headers, sanitize_html=not text_only,
                                  resolve_relative_uris=not text_only)
    except Exception as exc:  # feedparser promises not to raise; a crawl must not die if it does
        raise ParseError(f"{url}: feed parser failed: {type(exc).__name__}: {exc}") from None
    bozo = result.get("bozo_exception")
    if not result.get("version") and not result.get("entries"):
        content_type = response_headers.get("content-type", "").split(";")[0].strip() or "no content type"
        if b"<html" in body[:4096].lower() or content_type == "text/html":
            raise ParseError(f"{url}: got an HTML page ({content_type}), not a feed")
        reason = f": {bozo}" if bozo else ""
        raise ParseError(f"{url}: not an RSS or Atom feed ({content_type}){reason}")
    benign = isinstance(bozo, feedparser.NonXMLContentType)  # a wrong or missing Content-Type only
    if result.get("bozo") and not benign and warnings is not None:
        warnings.append(one_line(f"{url}: ill-formed feed, read leniently: {bozo}"))
    return result


def arxiv_doi_links(entry: Any) -> list[str]:
    """The journal DOI arXiv lists for a paper (``<arxiv:doi>``), as a link; empty when there is none."""
    doi = normalize_doi(str(entry.get("arxiv_doi") or ""))
    return [f"https://doi.org/{doi}"] if doi else []


def parse_feed(body: bytes, headers: Mapping[str, str], url: str, warnings: list[str] | None = None) -> list[Item]:
    """Items of an RSS/Atom feed; entries with neither title nor link are skipped, duplicate keys kept once."""
    result = parse_document(body, headers, url, warnings, text_only=True)  # entry_to_item keeps text only
    items = [item for entry in result.entries if (item := entry_to_item(entry, url)) is not None]
    unique = first_per_key(items)
    if warnings is not None and len(unique) < len(items):
        kept = {id(item) for item in unique}
        repeated = [item.key for item in items if id(item) not in kept][: max(0, 100 - len(warnings))]
        warnings.extend(one_line(f"{url}: duplicate entry id {key!r} skipped") for key in repeated)
    return unique


def is_html(detail: Any) -> bool:
    """Whether a feedparser ``*_detail`` says the text is (X)HTML."""
    return "html" in str((detail or {}).get("type", "text/html"))


def http_url(value: str | None, base: str) -> str | None:
    """``value`` resolved against ``base`` when it is an http(s) URL (javascript:, data: ... are dropped)."""
    if not value or not isinstance(value, str):
        return None
    resolved = urljoin(base, value.strip())
    parts = urlsplit(resolved)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return resolved


def iso_utc(parsed: time.struct_time | None) -> str | None:
    """A feedparser UTC ``struct_time`` as ``2024-01-02T03:04:05Z``; None for absurd dates."""
    if not parsed:
        return None
    try:
        seconds = calendar.timegm(parsed)
    except (TypeError, ValueError, OverflowError):
        return None
    if parsed.tm_year < EARLIEST_YEAR or seconds > time.time() + FUTURE_SLACK_S:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def entry_date(entry: Any) -> str | None:
    """Published, else updated (read with ``dict.get``: feedparser's own ``get`` aliases and warns)."""
    return iso_utc(dict.get(entry, "published_parsed")) or iso_utc(dict.get(entry, "updated_parsed"))


def entry_authors(entry: Any) -> tuple[str, ...]:
    names = [a.get("name", "") for a in entry.get("authors", []) if isinstance(a, dict)]
    if not any(names) and entry.get("author"):
        names = [entry.get("author")]
    cleaned = [clean_text(n, NAME_MAX) for n in names[:MAX_AUTHORS]]
    return tuple(n for n in cleaned if n)


def entry_link(entry: Any, base: str) -> str | None:
    """The entry's page: ``link``, else its first alternate/any link, else a permalink GUID."""
    link = http_url(entry.get("link"), base)
    if link:
        return link
    for candidate in entry.get("links", []):
        link = http_url(candidate.get("href"), base)
        if link and candidate.get("rel", "alternate") == "alternate":
            return link
    if entry.get("guidislink"):
        return http_url(entry.get("id"), base)
    return None


def _raw_summary(entry: Any) -> tuple[str, bool]:
    if entry.get("summary"):
        return entry.get("summary"), is_html(entry.get("summary_detail"))
    for content in entry.get("content", []):
        if content.get("value"):
            return content["value"], is_html(content)
    return "", False


def entry_to_item(entry: Any, feed_url: str) -> Item | None:
    """One feedparser entry as an ``Item``; None when it has neither title nor link."""
    # A plain dict: FeedParserDict's ``get`` resolves aliases on every call (a sixth of this function's
    # time), and none of the keys read here is an alias.
    entry = dict(entry)
    title = clean_text(entry.get("title"), TITLE_MAX, html=is_html(entry.get("title_detail")))
    link = entry_link(entry, feed_url)
    if not title and not link:
        return None
    raw_summary, summary_html = _raw_summary(entry)
    summary = strip_framing(clean_text(raw_summary, SUMMARY_MAX, html=summary_html))  # arXiv's, if any
    guid = clean_text(entry.get("id"), KEY_MAX, html=False)
    key = guid or link or "sha1:" + hashlib.sha1(title.encode()).hexdigest()
    doi = _entry_doi(entry)
    if link:
        cid = canonical_id(link, doi=doi) if not arxiv_id(link) else canonical_id(link)
    elif doi or arxiv_id(guid):
        cid = canonical_id(guid if arxiv_id(guid) else None, doi=doi)
    else:
        # No page to point at: an id that is stable for this entry of this feed.
        cid = f"url:{canonical_url(feed_url)}#{hashlib.sha1(key.encode()).hexdigest()[:16]}"
    references = [r for r in find_references(raw_summary) if r != cid]
    links = tuple(id_to_url(r) for r in references[:MAX_LINKS])
    return Item(
        canonical_id=cid,
        title=title or (link or ""),
        summary=summary,
        url=canonical_url(link) if link else "",
        key=key,
        published=entry_date(entry),
        authors=entry_authors(entry),
        version=arxiv_version(link) if link and cid.startswith("arxiv:") else None,
        links=links,
    )


def _entry_doi(entry: Any) -> str | None:
    """A DOI the entry declares about itself (PRISM, Dublin Core identifier, arXiv's element)."""
    for field_name in ("prism_doi", "arxiv_doi", "dc_identifier"):
        value = entry.get(field_name)
        if isinstance(value, str):
            doi = normalize_doi(value)
            if doi:
                return doi
    return None

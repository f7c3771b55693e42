"""What a URL a person gives is: a feed, a page that names its feed, or a page to read as HTML.

Feed readers find a site's feed from its pages' ``<link rel="alternate" type="application/rss+xml">`` (or
Atom), resolved against the page's address (or its ``<base href>``); so does ``find_source``.  ``feed_links``
and ``is_feed`` are pure; ``find_source`` fetches through the polite client it is given (one request for
a feed or a page without a feed, two for a page that names one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crawler.errors import FetchError, ParseError
from crawler.feed import http_url, parse_document
from crawler.http import FEED_ACCEPT, Fetched, PoliteClient
from crawler.pagemeta import soup_of

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
PAGE_ACCEPT = "text/html;q=0.9, application/xhtml+xml;q=0.9, " + FEED_ACCEPT


@dataclass(frozen=True)
class FeedLink:
    url: str
    title: str = ""


@dataclass(frozen=True)
class Found:
    """What ``find_source`` made of a URL: ``kind`` ``feed`` or ``html``, the ``url`` to read, the page
    that named the feed (``page``) and the other feeds it named, and the response for ``url``."""

    kind: str
    url: str
    fetched: Fetched
    page: str | None = None
    title: str = ""
    others: tuple[FeedLink, ...] = ()
    requests: int = 1  # HTTP exchanges it took, the page's included


def is_feed(body: bytes, headers: Mapping[str, str], url: str) -> bool:
    """Whether the body reads as an RSS or Atom feed (not an HTML page, not anything else)."""
    try:
        parse_document(body, headers, url, text_only=True)
    except ParseError:
        return False
    return True


def looks_like_html(body: bytes, headers: Mapping[str, str]) -> bool:
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def feed_links(body: bytes, url: str, content_type: str | None = None) -> list[FeedLink]:
    """The RSS/Atom feeds a page names in ``<link rel="alternate">``, in page order, resolved against its
    ``<base href>`` or its own URL; only http(s) URLs, each once."""
    soup = soup_of(body, content_type)
    base_tag = soup.find("base", href=True)
    base = http_url(str(base_tag.get("href")), url) if base_tag is not None else None
    base = base or url
    found: dict[str, FeedLink] = {}
    for link in soup.find_all("link", href=True):
        rel: Any = link.get("rel") or []
        rels = {r.lower() for r in (rel if isinstance(rel, list) else str(rel).split())}
        kind = str(link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or kind not in FEED_TYPES:
            continue
        target = http_url(str(link.get("href")), base)
        if target and target not in found:
            found[target] = FeedLink(target, " ".join(str(link.get("title") or "").split()))
    return list(found.values())


def find_source(client: PoliteClient, url: str) -> Found:
    """Fetch ``url`` and say how to read it; ``FetchError``/``ParseError`` (one line) when it is neither a
    feed nor an HTML page, or the feed a page names cannot be read as one."""
    fetched = client.get(url, accept=PAGE_ACCEPT)
    if is_feed(fetched.body, fetched.headers, fetched.url):
        return Found("feed", url, fetched, requests=fetched.requests)
    if not looks_like_html(fetched.body, fetched.headers):
        kind = fetched.headers.get("content-type", "no content type")
        raise ParseError(f"{url}: neither a feed nor an HTML page ({kind})")
    links = feed_links(fetched.body, fetched.url, fetched.headers.get("content-type"))
    if not links:
        return Found("html", url, fetched, requests=fetched.requests)
    first = links[0]
    feed = client.get(first.url, accept=FEED_ACCEPT)
    if not is_feed(feed.body, feed.headers, feed.url):
        raise FetchError(f"{url}: the page names {first.url} as its feed, but that is not an RSS or Atom feed")
    return Found("feed", first.url, feed, page=url, title=first.title, others=tuple(links[1:]),
                 requests=fetched.requests + feed.requests)

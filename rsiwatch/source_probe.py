"""How to read a URL a person gives ``sources add`` or ``sources test``: its kind, the feed a page names,
and whether a feed's items are newsletter issues to split into stories.

The URL comes from a person and the feed URL from a page, so both are fetched through the SSRF guard
(``crawler.netguard``), as ``rsiwatch submit`` does: private addresses need
``http.allow_private_addresses: true``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.discover import Found, find_source
from crawler.errors import ParseError
from crawler.http import PoliteClient
from crawler.netguard import AddressGuard
from crawler.stories import looks_like_newsletter, stories_per_issue
from rsiwatch.config import Config
from rsiwatch.source_list import kind_for

# Kinds whose reading a fetch can settle: an unnamed kind, or a feed (that may be a page naming one).
PROBED_KINDS = (None, "feed")
SELECT_HINT = ("without --select it is read by the page's own metadata (a JSON-LD list, or the page as one "
               "article); to read its listing give selectors, e.g. --select item=article --select title=h2 "
               "--select link=a@href")


@dataclass
class Probe:
    """The config fields the fetch settled (``kind``, ``url``, maybe ``split_stories``), what to tell the
    person about them, and what was found (None for an html page): the feed's response need not be
    fetched again."""

    fields: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    found: Found | None = None


def guarded_client(config: Config) -> PoliteClient:
    guard = AddressGuard(allow_private=config.http.allow_private_addresses)
    return PoliteClient(config.http.settings, config.politeness.settings, config.contact, guard=guard)


def probe(client: PoliteClient, url: str, kind: str | None, split_stories: bool | None) -> Probe:
    """Fetch ``url`` and settle ``kind`` (None: whatever it turns out to be; ``feed``: a feed, or the feed
    the page names) and, for a feed, ``split_stories`` when it is None (on for newsletter issues)."""
    found = find_source(client, url)
    if found.kind == "html":
        if kind == "feed":
            raise ParseError(f"{url}: an HTML page that names no feed; read it with --kind html")
        return Probe(
            {"kind": "html", "url": url}, [f"{url} names no RSS or Atom feed: read as an html page; {SELECT_HINT}"]
        )
    notes = []
    if found.page:
        named = f" ({found.title!r})" if found.title else ""
        notes.append(f"{found.page} names its feed: using {found.url}{named}")
        if found.others:
            notes.append(
                "it names "
                + ", ".join(link.url for link in found.others)
                + " too; give one as the URL to use it instead"
            )
    fields: dict[str, Any] = {"kind": kind or kind_for(found.url), "url": found.url}
    if fields["kind"] == "feed":
        stories = stories_per_issue(found.fetched.body, found.fetched.headers, found.fetched.url)
        if split_stories is None and looks_like_newsletter(stories):
            split_stories = True
            notes.append(
                f"its items look like newsletter issues (up to {max(stories)} stories each): split_stories "
                "on, each story read as its own item (--no-split-stories reads whole issues)"
            )
        if split_stories:
            fields["split_stories"] = True
    return Probe(fields, notes, found)

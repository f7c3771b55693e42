"""arXiv's RSS and Atom listings, in the format used since January 2024.

Each entry carries ``<arxiv:announce_type>`` (new, cross, replace, replace-cross), a GUID
``oai:arXiv.org:2401.01234v2`` and a description that starts ``arXiv:2401.01234v2 Announce Type: new
Abstract: ...``.  Replacements are new versions of papers already announced, so they are not new
candidates unless the source asks for them.  The feed is empty on weekends and holidays: not an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.arxiv_framing import split_abstract
from crawler.errors import one_line
from crawler.feed import arxiv_doi_links, entry_date, entry_to_item, is_html, iso_utc, parse_document
from crawler.ids import arxiv_id, arxiv_version
from crawler.items import Item, first_per_key
from crawler.text import NAME_MAX, SUMMARY_MAX, TITLE_MAX, clean_text

REPLACEMENTS = frozenset({"replace", "replace-cross"})
try:
    NEW_YORK: Any = ZoneInfo("America/New_York")
except ZoneInfoNotFoundError:  # no time-zone database on this machine: Eastern Standard Time will do
    NEW_YORK = timezone(timedelta(hours=-5))
_AUTHOR_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


def split_authors(value: str) -> tuple[str, ...]:
    """arXiv's ``dc:creator`` is one comma-separated list of names."""
    names = (clean_text(n, NAME_MAX) for n in _AUTHOR_SPLIT.split(value or ""))
    return tuple(n for n in names if n)[:1000]


def parse_arxiv_rss(
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    *,
    include_replacements: bool = False,
    warnings: list[str] | None = None,
    now: datetime | None = None,
) -> list[Item]:
    """Items of an arXiv RSS/Atom listing, replacements dropped unless ``include_replacements``.

    An empty listing is normal on weekends and holidays; on a weekday (arXiv's announcement days,
    Monday to Friday in New York) it is worth a warning, since it may also mean a changed feed.
    """
    result = parse_document(body, headers, url, warnings)
    if not result.entries and warnings is not None and is_announcement_day(now or datetime.now(UTC)):
        warnings.append(f"{url}: no entries on an announcement day (a holiday, or has the feed changed?)")
    # The listing's own announcement date, for an entry that carries none: never the day it was crawled.
    feed = result.get("feed", {})
    announced = iso_utc(dict.get(feed, "published_parsed")) or iso_utc(dict.get(feed, "updated_parsed"))
    items = [item for entry in result.entries if (item := _entry(entry, url, warnings, announced)) is not None]
    return first_per_key(i for i in items if include_replacements or i.announce_type not in REPLACEMENTS)


def is_announcement_day(moment: datetime) -> bool:
    """arXiv announces new papers Monday to Friday (New York time); its RSS is empty on the other days."""
    return moment.astimezone(NEW_YORK).weekday() < 5


def _entry(entry: Any, url: str, warnings: list[str] | None, announced: str | None = None) -> Item | None:
    raw_summary = entry.get("summary", "")
    summary = clean_text(raw_summary, SUMMARY_MAX * 2, html=is_html(entry.get("summary_detail")))
    prefixed_id, prefixed_type, abstract = split_abstract(summary)
    guid = str(entry.get("id") or "")
    ident = next((s for s in (guid, prefixed_id or "", entry.get("link") or "") if arxiv_id(s)), None)
    if ident is None:  # not an arXiv entry after all: keep it as a plain feed item
        if warnings is not None and len(warnings) < 100:
            warnings.append(one_line(f"{url}: entry without an arXiv id: {guid or entry.get('title', '')!r}"))
        return entry_to_item(entry, url)
    paper = arxiv_id(ident)
    assert paper is not None
    version = arxiv_version(ident) or (arxiv_version(prefixed_id) if prefixed_id else None)
    versioned = paper + (f"v{version}" if version else "")
    return Item(
        canonical_id=f"arxiv:{paper}",
        title=clean_text(entry.get("title"), TITLE_MAX, html=is_html(entry.get("title_detail"))),
        summary=abstract[:SUMMARY_MAX].rstrip(),
        url=f"https://arxiv.org/abs/{paper}",
        key=guid or f"oai:arXiv.org:{versioned}",
        published=entry_date(entry) or announced,
        authors=split_authors(entry.get("author", "")) if entry.get("author") else (),
        version=version,
        announce_type=_announce_type(entry, prefixed_type),
        links=(f"https://arxiv.org/pdf/{versioned}", *arxiv_doi_links(entry)),
    )


def _announce_type(entry: Any, prefixed_type: str | None) -> str | None:
    """new, cross, replace, replace-cross: the feed's element, else the summary's "Announce Type:" prefix."""
    return str(entry.get("arxiv_announce_type") or prefixed_type or "").strip().lower() or None

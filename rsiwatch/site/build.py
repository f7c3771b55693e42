"""The published catalog as a static site: every file as bytes, from the entries and the trend.

Pure: entries in, ``{relative path: bytes}`` out (``rsiwatch.files.write_tree`` puts them on disk).  The
same entries give the same bytes (no clock is read: the feed's ``updated`` is its entries' latest change,
and every list is sorted), so the site can live in git and a diff shows what changed.  Every text is
escaped by Jinja2's autoescaping (HTML) or lxml (the feed); only http(s) URLs become links.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedgen.feed import FeedGenerator
from jinja2 import Environment, FileSystemLoader, select_autoescape

from rsiwatch import __version__
from rsiwatch.catalog.formats import PUBLIC_COLUMNS, export_row, to_json
from rsiwatch.catalog.references import to_bibtex, to_ris
from rsiwatch.config import DEFAULT_SITE_TITLE
from rsiwatch.dates import PRECISIONS, ParsedDate, date_of_timestamp, lenient_date
from rsiwatch.present.latex import latex_to_text
from rsiwatch.present.text import CATEGORIES, clean_text, safe_url
from rsiwatch.site.chart import colour, share_svg, years_svg
from rsiwatch.tuning.trend import ShareEstimate, year_counts

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
SITE_COLUMNS = [*PUBLIC_COLUMNS, "Category"]
STATIC_FILES = ("site.css", "site.js")
DEFAULT_FEED_SIZE = 100
DEFAULT_TITLE = DEFAULT_SITE_TITLE
UNDATED = datetime(1970, 1, 1, tzinfo=UTC)  # an entry with no year sorts last in the feed


@dataclass(frozen=True)
class SiteOptions:
    title: str = DEFAULT_TITLE
    base_url: str | None = None  # where the site is served; makes the feed's links and ids absolute
    feed_size: int = DEFAULT_FEED_SIZE
    shares: Sequence[ShareEstimate] = field(default_factory=tuple)
    submit_url: str | None = None  # the public form (`serve --public` serves it at /submit), linked from every page
    show_reviewers: bool = False  # catalog.json names the curator who accepted each entry (`public.show_reviewers`)


def entry_path(entry_id: int) -> str:
    """An entry's page, relative to the site's root: derived from its ID alone, so it never moves."""
    return f"entries/{int(entry_id)}.html"


def entry_parsed_date(entry: Mapping[str, Any]) -> ParsedDate | None:
    """The parsed date the store keeps beside Date Published (``date_iso``), else read here the same way."""
    if entry.get("date_iso") and entry.get("date_precision") in PRECISIONS:
        return ParsedDate(str(entry["date_iso"]), str(entry["date_precision"]))
    return (lenient_date(entry.get("date_published")) or lenient_date(entry.get("year"))
            or date_of_timestamp(entry.get("added_at")))


def entry_date(entry: Mapping[str, Any]) -> datetime:
    """The entry's date as a UTC datetime (a year alone is its first of January).  The store gives every
    entry one (its work's date or its own creation when Date Published names none); only an entry
    handed in without any sorts last."""
    found = entry_parsed_date(entry)
    return found.as_datetime() if found else UNDATED


def public_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What the site shows of an entry: clean text, the source as a link only when it is http(s)."""
    text = {k: clean_text(entry.get(k)) for k in ("authors", "affiliations", "submitter", "category", "url",
                                                   "date_published")}
    # Titles and descriptions are often a paper's own, LaTeX included: its math shown as readable text
    # (the entry's text is the curator's, not HTML: it is escaped, never stripped).
    text.update({k: clean_text(latex_to_text(clean_text(entry.get(k)))) for k in ("title", "description")})
    found = entry_parsed_date(entry)
    year = found.year if found else entry.get("year")
    return {
        **text,
        "id": int(entry["id"]),
        "year": year if isinstance(year, int) else None,
        "date": text["date_published"] or (str(year) if year else ""),
        "source_link": safe_url(entry.get("url")),
        "flags": [clean_text(f) for f in entry.get("flags") or []],
        "path": entry_path(entry["id"]),
    }


def _timestamp(text: Any) -> datetime | None:
    """A store timestamp (ISO 8601, ``Z`` or an offset) as an aware datetime; None when absent or unreadable."""
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def entered_at(entry: Mapping[str, Any]) -> datetime:
    """When the entry entered the catalog (its feed ``<published>``); its publication date for an entry
    that does not say (an older store's dict)."""
    return _timestamp(entry.get("added_at")) or entry_date(entry)


def changed_at(entry: Mapping[str, Any]) -> datetime:
    """When the entry last changed (its feed ``<updated>``): its latest edit, else when it entered."""
    return max(_timestamp(entry.get("changed_at")) or UNDATED, entered_at(entry))


def newest_in_catalog(entries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Latest to enter the catalog first: a paper from 2019 accepted today is news to a subscriber."""
    return sorted(entries, key=lambda e: (entered_at(e), int(e["id"])), reverse=True)


def _absolute(base_url: str | None, path: str) -> str:
    return base_url.rstrip("/") + "/" + path if base_url else path


def feed_xml(entries: Sequence[Mapping[str, Any]], options: SiteOptions) -> bytes:
    """Atom, the latest to enter the catalog first, at most ``feed_size`` entries.  Entry ids are the entry
    pages' addresses (absolute with a base URL, else ``urn:rsiwatch:entry:ID``): stable, because the
    addresses are.  Each entry's ``published`` is when it entered the catalog, its ``updated`` its last
    change, and the feed's ``updated`` the latest change of any entry."""
    fg = FeedGenerator()
    newest = newest_in_catalog(entries)[: options.feed_size]
    fg.id(_absolute(options.base_url, "") if options.base_url else "urn:rsiwatch:catalog")
    fg.title(options.title)
    fg.link(href=_absolute(options.base_url, "index.html"), rel="alternate")
    if options.base_url:
        fg.link(href=_absolute(options.base_url, "feed.xml"), rel="self")
    fg.updated(max((changed_at(e) for e in entries), default=UNDATED))
    fg.generator("rsiwatch", __version__)
    for raw in newest:
        e = public_entry(raw)
        fe = fg.add_entry(order="append")
        fe.id(_absolute(options.base_url, e["path"]) if options.base_url else f"urn:rsiwatch:entry:{e['id']}")
        fe.title(e["title"] or f"Entry {e['id']}")
        # One link only: feedgen 1.0 drops an entry link's rel (lkiesow/python-feedgen#135, open), so a
        # second link (the source, as "related") would read as a second "alternate".  The page links it.
        fe.link(href=_absolute(options.base_url, e["path"]), rel="alternate")
        fe.updated(changed_at(raw))
        fe.published(entered_at(raw))
        fe.summary(e["description"] or e["title"])
        if e["category"]:
            fe.category(term=e["category"])
        for name in (a.strip() for a in e["authors"].split(",")[:20]):
            if name:
                fe.author(name=name)
    return fg.atom_str(pretty=True)


def public_csv(entries: Sequence[Mapping[str, Any]]) -> str:
    """The public list's columns plus Category, in ID order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SITE_COLUMNS)
    for e in entries:
        writer.writerow(export_row(e)[: len(SITE_COLUMNS)])
    return buffer.getvalue()


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals["pct"] = lambda v: "–" if v is None else f"{v:.1%}"
    return env


def build_site(entries: Sequence[Mapping[str, Any]], options: SiteOptions = SiteOptions()) -> dict[str, bytes]:
    """Every file of the site, by path relative to its root."""
    ordered = sorted(entries, key=lambda e: int(e["id"]))
    shown = [public_entry(e) for e in ordered]
    counts = year_counts(shown, CATEGORIES)
    env = _environment()
    shares = list(options.shares)
    known = [s for s in shares if s.share is not None]
    context = {
        "title": options.title, "entries": shown, "columns": SITE_COLUMNS, "counts": counts,
        "colours": {c: colour(i) for i, c in enumerate(counts.categories)},
        "years_chart": years_svg(counts, "Catalog entries per year, by category"),
        "shares": known, "share_chart": share_svg(known, "Estimated share of the arXiv stream in scope, by quarter"),
        "categories": sorted({e["category"] for e in shown if e["category"]}),
        "years": sorted({e["year"] for e in shown if e["year"]}, reverse=True),
        "feed_href": "feed.xml", "version": __version__, "submit_url": options.submit_url,
    }
    files = {"index.html": env.get_template("site_index.html").render(**context, root="")}
    page = env.get_template("site_entry.html")
    for e in shown:
        files[e["path"]] = page.render(title=options.title, entry=e, root="../", version=__version__,
                                       submit_url=options.submit_url)
    files["feed.xml"] = feed_xml(ordered, options)  # type: ignore[assignment]
    files["catalog.csv"] = public_csv(ordered)
    files["catalog.json"] = to_json(ordered, reviewers=options.show_reviewers)
    files["catalog.bib"] = to_bibtex(ordered)
    files["catalog.ris"] = to_ris(ordered)
    for name in STATIC_FILES:
        files[name] = (STATIC / name).read_bytes()  # type: ignore[assignment]
    return {path: data.encode("utf-8") if isinstance(data, str) else data for path, data in sorted(files.items())}

"""The one check of a catalog entry, whichever door it comes through: the review page's accept dialog,
the accept page without JavaScript, the Catalog tab, ``accept`` and ``catalog edit`` on the command line,
and ``catalog import``.

An entry has a non-empty description, a known category (or none yet), a real calendar date that is not in
the future (``rsiwatch.dates``), and a year that agrees with that date.  The forms and the command line
refuse an entry that breaks a rule (``EntryError``, one line naming the field); an import keeps every row
and flags what breaks one (``import_flags``), and editing a flagged entry keeps what it cannot fix: an
unknown category stays as it is, flagged, until a known one is chosen.  Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from rsiwatch.dates import DateError, parse_date
from rsiwatch.present.text import CATEGORIES, FLAGS, EntryError

UNKNOWN_CATEGORY = "unknown_category"
IMPOSSIBLE_DATE = "impossible_date"
CHECK_FLAGS = (UNKNOWN_CATEGORY, IMPOSSIBLE_DATE)  # set and cleared by these rules, never by a curator's tick


def check_entry(entry: Mapping[str, Any], stored: Mapping[str, Any] | None = None, *,
                today: date | None = None) -> dict[str, Any]:
    """``entry`` (the fields a form or command gives) checked against the rules as it will be once saved
    over ``stored`` (the entry as it is, if any).  Returns the fields to save: ``year`` follows the date
    when none is given, and flags the curator cannot tick (an import's) are kept.  Raises ``EntryError``."""
    out = dict(entry)
    merged = {**(stored or {}), **out}
    if "description" in merged and not str(merged.get("description") or "").strip():
        raise EntryError("description: required (one sentence saying what the example is)")
    category = merged.get("category") or None
    kept_unknown = (
        stored is not None and category == stored.get("category") and UNKNOWN_CATEGORY in (stored.get("flags") or [])
    )
    if category is not None and category not in CATEGORIES and not kept_unknown:
        raise EntryError(f"category: {category!r} is not one of {', '.join(CATEGORIES)}")
    try:
        parsed = parse_date(merged.get("date_published"), today=today)
    except DateError as exc:
        raise EntryError(f"date_published: {exc}") from None
    year = merged.get("year")
    if parsed is not None:
        if year not in (None, "") and int(year) != parsed.year:
            raise EntryError(
                f"year: {year} disagrees with the date published {merged.get('date_published')!r} ({parsed.year})"
            )
        if "date_published" in out or "year" in out:
            out["year"] = parsed.year
    elif year not in (None, "") and int(year) > (today or date.today()).year:
        raise EntryError(f"year: {year} is in the future")
    if "flags" in out or stored is not None:
        given = out["flags"] if "flags" in out else (stored or {}).get("flags")
        ticked = [f for f in given or [] if f in FLAGS]
        kept = [f for f in (stored or {}).get("flags") or [] if f not in FLAGS and f not in CHECK_FLAGS]
        out["flags"] = list(dict.fromkeys([*ticked, *kept, *([UNKNOWN_CATEGORY] if kept_unknown else [])]))
    return out


def import_flags(row: Mapping[str, Any], *, today: date | None = None) -> tuple[list[str], list[str]]:
    """What an imported row breaks, as flags to keep on its entry and one line each for the report."""
    flags: list[str] = []
    lines: list[str] = []
    where = f"row {row.get('line', '?')}"
    category = row.get("category")
    if category and category not in CATEGORIES:
        flags.append(UNKNOWN_CATEGORY)
        lines.append(
            f"{where}: category {category!r} is not one of {', '.join(CATEGORIES)}: kept, flagged {UNKNOWN_CATEGORY}"
        )
    try:
        parse_date(row.get("date_published"), today=today)
    except DateError as exc:
        flags.append(IMPOSSIBLE_DATE)
        lines.append(f"{where}: date published {exc}: kept as written, flagged {IMPOSSIBLE_DATE}")
    return flags, lines


def problem_lines(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """One warning line per published entry an import kept flagged (for ``doctor``)."""
    out = []
    for e in entries:
        if UNKNOWN_CATEGORY in (e.get("flags") or []):
            out.append(
                f"catalog entry {e['id']}: category {e.get('category')!r} is not a known category ({UNKNOWN_CATEGORY})"
            )
        if IMPOSSIBLE_DATE in (e.get("flags") or []):
            out.append(
                f"catalog entry {e['id']}: date published {e.get('date_published')!r} is not a real date "
                f"({IMPOSSIBLE_DATE})"
            )
    return out

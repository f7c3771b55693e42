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
    when none is given, and flags the curator cannot tick (an import's) are kept.  Raises ``EntryError``
    naming every field that breaks a rule (``EntryError.messages``, in the order of the rules)."""
    problems = entry_problems(entry, stored, today=today)
    if problems:
        raise EntryError(*problems)
    out = dict(entry)
    year = _year_from_date(out, {**(stored or {}), **out}, today)
    if year is not None:
        out["year"] = year
    if "flags" in out or stored is not None:
        out["flags"] = _saved_flags(out, stored)
    return out


def entry_problems(entry: Mapping[str, Any], stored: Mapping[str, Any] | None = None, *,
                   today: date | None = None) -> list[str]:
    """Every rule ``entry`` saved over ``stored`` breaks, one line each naming its field (none: it may be saved)."""
    merged = {**(stored or {}), **entry}
    found = [
        _description_problem(merged),
        _category_problem(merged, stored),
        *_date_and_year_problems(merged, today),
    ]
    return [line for line in found if line]


# ---- the rules, one each ---------------------------------------------------------------------------


def _description_problem(merged: Mapping[str, Any]) -> str | None:
    """An entry says what the example is: a description, when the entry carries the field at all."""
    if "description" in merged and not str(merged.get("description") or "").strip():
        return "description: required (one sentence saying what the example is)"
    return None


def known_category(category: Any) -> bool:
    """A category of the list (``present.text.CATEGORIES``); none yet is allowed too."""
    return not category or category in CATEGORIES


def _keeps_unknown_category(merged: Mapping[str, Any], stored: Mapping[str, Any] | None) -> bool:
    """An import's unknown category left as it is: kept, still flagged, until a known one is chosen."""
    return (
        stored is not None
        and (merged.get("category") or None) == stored.get("category")
        and UNKNOWN_CATEGORY in (stored.get("flags") or [])
    )


def _category_problem(merged: Mapping[str, Any], stored: Mapping[str, Any] | None) -> str | None:
    category = merged.get("category") or None
    if known_category(category) or _keeps_unknown_category(merged, stored):
        return None
    return f"category: {category!r} is not one of {', '.join(CATEGORIES)}"


def date_problem(written: Any, today: date | None = None) -> str | None:
    """Why Date Published as written names no real date, or one in the future (none: it is fine or empty)."""
    try:
        parse_date(written, today=today)
    except DateError as exc:
        return str(exc)
    return None


def _date_and_year_problems(merged: Mapping[str, Any], today: date | None) -> list[str]:
    """A real date not in the future, and a year that agrees with it (without a date: not in the future)."""
    why = date_problem(merged.get("date_published"), today)
    if why is not None:
        return [f"date_published: {why}"]
    parsed = parse_date(merged.get("date_published"), today=today)
    year = merged.get("year")
    if year in (None, ""):
        return []
    if parsed is not None and int(year) != parsed.year:
        return [f"year: {year} disagrees with the date published {merged.get('date_published')!r} ({parsed.year})"]
    if parsed is None and int(year) > (today or date.today()).year:
        return [f"year: {year} is in the future"]
    return []


# ---- what a checked entry saves ----------------------------------------------------------------------


def _year_from_date(given: Mapping[str, Any], merged: Mapping[str, Any], today: date | None) -> int | None:
    """The year to save: the date's, when the entry gives a date or a year (they agree, or none was given)."""
    if "date_published" not in given and "year" not in given:
        return None
    parsed = parse_date(merged.get("date_published"), today=today)
    return parsed.year if parsed is not None else None


def _saved_flags(given: Mapping[str, Any], stored: Mapping[str, Any] | None) -> list[str]:
    """The flags to save: those a curator ticks as given (else as stored), then the ones a curator cannot
    tick that the stored entry carries (an import's), with ``unknown_category`` while that category stays."""
    stored_flags = list((stored or {}).get("flags") or [])
    ticked = [f for f in (given["flags"] if "flags" in given else stored_flags) or [] if f in FLAGS]
    kept = [f for f in stored_flags if f not in FLAGS and f not in CHECK_FLAGS]
    unknown = [UNKNOWN_CATEGORY] if _keeps_unknown_category({**(stored or {}), **given}, stored) else []
    return list(dict.fromkeys([*ticked, *kept, *unknown]))


def import_flags(row: Mapping[str, Any], *, today: date | None = None) -> tuple[list[str], list[str]]:
    """What an imported row breaks, as flags to keep on its entry and one line each for the report."""
    flags: list[str] = []
    lines: list[str] = []
    where = f"row {row.get('line', '?')}"
    category = row.get("category")
    if not known_category(category):
        flags.append(UNKNOWN_CATEGORY)
        lines.append(
            f"{where}: category {category!r} is not one of {', '.join(CATEGORIES)}: kept, flagged {UNKNOWN_CATEGORY}"
        )
    why = date_problem(row.get("date_published"), today)
    if why is not None:
        flags.append(IMPOSSIBLE_DATE)
        lines.append(f"{where}: date published {why}: kept as written, flagged {IMPOSSIBLE_DATE}")
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

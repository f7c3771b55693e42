"""The one home of date parsing for catalog entries: Date Published as a curator writes it, read as a date.

A curator writes "April 2023", "2016", "2025-03-21" or "21/03/2025"; the catalog keeps that text and,
beside it, the parsed date (ISO with its precision: ``2023-04`` month, ``2016`` year, ``2025-03-21``
day) that everything machine-facing uses (the feed, sorting, the year, the trend).  Pure: text in, a
``ParsedDate`` out; "today" is a parameter so a test can pin it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

PRECISIONS = ("year", "month", "day")
MONTHS = {name: n for n, names in enumerate(
    (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")), 1) for name in names}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.I), order) for p, order in (
    (r"(\d{4})", "y"),
    (r"(\d{4})-(\d{1,2})", "ym"),
    (r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?", "ymd"),
    (r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", "dmy?"),  # 21/03/2025, or 03/21/2025 when the day cannot be a month
    (r"(\d{1,2})[/.](\d{4})", "my"),
    (_MONTH + r",?\s+(\d{4})", "My"),
    (r"(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(\d{4})", "dMy"),
    (_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", "Mdy"),
))


class DateError(ValueError):
    """Text written as a date that names no real one (2025-02-30, 2025-13-45) or one in the future."""


@dataclass(frozen=True)
class ParsedDate:
    iso: str        # 2016, 2023-04, 2025-03-21
    precision: str  # year, month, day

    @property
    def year(self) -> int:
        return int(self.iso[:4])

    def as_datetime(self) -> datetime:
        """The first moment of the period it names, in UTC (a year alone is its first of January)."""
        parts = [int(p) for p in self.iso.split("-")] + [1, 1]
        return datetime(parts[0], parts[1], parts[2], tzinfo=UTC)


def _fields(text: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) as written, unchecked; None when the text has no date shape we know."""
    for pattern, order in _PATTERNS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        g = match.groups()
        if order == "y":
            return int(g[0]), None, None
        if order == "ym":
            return int(g[0]), int(g[1]), None
        if order == "ymd":
            return int(g[0]), int(g[1]), int(g[2])
        if order == "dmy?":
            first, second = int(g[0]), int(g[1])
            # Day first (as most of the world writes it) unless only the other way makes a date.
            return (int(g[2]), first, second) if second > 12 >= first else (int(g[2]), second, first)
        if order == "my":
            return int(g[1]), int(g[0]), None
        if order == "My":
            return int(g[1]), MONTHS[g[0].lower()], None
        if order == "dMy":
            return int(g[2]), MONTHS[g[1].lower()], int(g[0])
        return int(g[2]), MONTHS[g[0].lower()], int(g[1])  # Mdy
    return None


def parse_date(text: str | int | None, *, today: date | None = None) -> ParsedDate | None:
    """The date ``text`` names: None when it is not written as a date at all ("", "n.d.");
    ``DateError`` (one line naming the value) when it is written as one that cannot be: no such day or
    month, or later than ``today`` (default: today in UTC)."""
    written = " ".join(str(text if text is not None else "").split())
    if not written:
        return None
    fields = _fields(written)
    if fields is None:
        return None
    year, month, day = fields
    today = today or datetime.now(UTC).date()
    if year < 1900:
        raise DateError(f"{written!r}: no catalog entry is dated before 1900")
    if month is not None and not 1 <= month <= 12:
        raise DateError(f"{written!r}: there is no month {month}")
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        raise DateError(f"{written!r}: no such day ({year}-{month:02d} has no day {day})") from None
    if (year, month or 0, day or 0) > (today.year, today.month if month else 0, today.day if day else 0):
        raise DateError(f"{written!r}: a date in the future")
    if day is not None:
        return ParsedDate(f"{year:04d}-{month:02d}-{day:02d}", "day")
    if month is not None:
        return ParsedDate(f"{year:04d}-{month:02d}", "month")
    return ParsedDate(f"{year:04d}", "year")


def lenient_date(text: str | int | None, *, today: date | None = None) -> ParsedDate | None:
    """``parse_date`` for reading what is already stored: an impossible date reads as no date."""
    try:
        return parse_date(text, today=today)
    except DateError:
        return None


def date_of_timestamp(stamp: str | None) -> ParsedDate | None:
    """A store timestamp (``2026-01-31T08:00:00Z``) as a date with day precision."""
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)", stamp or "")
    if not match:
        return None
    try:
        date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return ParsedDate(match.group(0), "day")

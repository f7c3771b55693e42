"""What the queue page's address asks for: its filters read from the request's arguments.

A filter that cannot be applied is named in ``problems`` (the page says so) and left out, never silently
dropped.  Pure: the arguments in, the filters out; the view runs the query and renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rsiwatch.present.text import CATEGORIES, score_range
from rsiwatch.store import QUEUE_ORDERS, QUEUE_STATUSES

TEXT_MAX = 200  # the longest search or source name the page reads from its address


@dataclass(frozen=True)
class QueueFilters:
    """The filters one queue page applies (each already checked) and what was refused."""

    query: str
    status: str
    source: str
    category: str  # "" for every category
    min_score: float | None
    max_score: float | None
    week: str  # "" when no week (or one that was refused) is given
    since: str | None  # the week's Monday, as an ISO timestamp
    until: str | None  # the next Monday
    sort: str
    suggested: bool
    offset: int
    problems: tuple[str, ...]

    def form_values(self) -> dict[str, Any]:
        """The values the page's filter form shows (the template's ``filters``)."""
        return {
            "q": self.query, "status": self.status, "source": self.source, "category": self.category,
            "min": self.min_score, "max": self.max_score, "week": self.week, "sort": self.sort,
            "suggested": self.suggested,
        }


def read_queue_filters(args: Mapping[str, str]) -> QueueFilters:
    """The queue page's filters from its address (``request.args``); a search lists every status by default."""
    query = args.get("q", "").strip()[:TEXT_MAX]
    status, status_problem = _status(args.get("status") or ("all" if query else "new"))
    week, since, until, week_problem = _week(args.get("week", "").strip())
    category, category_problem = _category(args.get("category", ""))
    scores = score_range(args.get("min", ""), args.get("max", ""))
    offset, offset_problem = _offset(args.get("offset", "0"))
    problems = (
        *(p for p in (status_problem, week_problem, category_problem) if p),
        *(f"score filter: {p}" for p in scores.problems),
        *((offset_problem,) if offset_problem else ()),
    )
    return QueueFilters(
        query=query, status=status, source=args.get("source", "").strip()[:TEXT_MAX], category=category,
        min_score=scores.low, max_score=scores.high, week=week, since=since, until=until,
        sort=sort if (sort := args.get("sort", "")) in QUEUE_ORDERS else "score",
        suggested=args.get("suggested") == "1", offset=offset, problems=problems,
    )


def week_range(text: str) -> tuple[str, str] | None:
    """``2026-W05`` (an HTML week input) -> its Monday and the next Monday as ISO timestamps."""
    try:
        year, week = text.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return None
    return f"{monday.isoformat()}T00:00:00Z", f"{(monday + timedelta(days=7)).isoformat()}T00:00:00Z"


def _week(text: str) -> tuple[str, str | None, str | None, str]:
    """The week as the form shows it, its Monday and the next, and why it was refused."""
    bounds = week_range(text)
    if bounds is not None:
        return text, *bounds, ""
    refused = f"week {text[:40]!r} is not a week such as 2026-W05, so it was ignored" if text else ""
    return "", None, None, refused


def _status(text: str) -> tuple[str, str]:
    if text in QUEUE_STATUSES:
        return text, ""
    return "new", f"status {text[:40]!r} is not one of {', '.join(QUEUE_STATUSES)}, so new is shown"


def _category(text: str) -> tuple[str, str]:
    if not text or text in CATEGORIES:
        return text, ""
    return "", f"category {text[:64]!r} is not one of the categories, so it was ignored"


# An offset past any list, yet one SQLite can take (a larger one raised OverflowError: HTTP 500).
MAX_OFFSET = 2**62


def _offset(text: str) -> tuple[int, str]:
    try:
        return min(max(0, int(text)), MAX_OFFSET), ""
    except ValueError:
        return 0, f"offset {text[:20]!r} is not a number, so the list starts at its top"

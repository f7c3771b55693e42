"""What ``rsiwatch status`` says of each source and how it shows it: a source's state, its row, and times
and errors in a table that fits 80 columns (``--json`` keeps the full ISO timestamps and whole messages).
Pure: values and "now" in, records and short text out; ``rsiwatch.status_report`` reads them from the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict

from rsiwatch.config import Source
from rsiwatch.words import plural

ERROR_WIDTH = 40  # a table's last-error cell; the whole message is in --json and `rsiwatch sources`


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def span(seconds: float) -> str:
    """A duration in one short unit: 45 s, 12 min, 3 h, 5 d."""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def relative(text: str | None, now: datetime) -> str:
    """``3 h ago`` / ``in 12 min`` for an ISO time; ``now`` within a second."""
    moment = _parse(text)
    if moment is None:
        return ""
    delta = (moment - now).total_seconds()
    if abs(delta) < 1:
        return "now"
    return f"in {span(delta)}" if delta > 0 else f"{span(delta)} ago"


def short_error(error: str | None, at: str | None, now: datetime, *, width: int = ERROR_WIDTH) -> str:
    """The error with when it happened, cut to ``width`` characters."""
    if not error:
        return ""
    text = " ".join(error.split())
    when = relative(at, now)
    cell = f"{when}: {text}" if when else text
    return cell if len(cell) <= width else cell[: width - 3] + "..."


class SourceStatus(TypedDict):
    """A source's line in ``status`` (``--json``'s ``sources``, by name)."""

    name: str
    kind: str
    configured: bool
    state: str  # active, paused, disabled, removed, or the backfill's harvest
    last_success: str | None
    last_error: str | None
    last_error_at: str | None
    last_error_current: bool
    consecutive_failures: int
    paused: bool
    paused_reason: str | None
    items: int
    candidates: int
    acceptance_rate: float | None
    next_run: str | None


class StatusSummary(TypedDict):
    """The database as a whole (``--json``'s ``summary``)."""

    database: str
    works: int
    catalog: int
    catalog_withdrawn: int
    decisions: int
    queue: int
    threshold: float
    model_version: int | None
    retrain_last: Any
    warnings: list[str]
    source_troubles: list[dict[str, str]]
    catalog_disagreements: int
    catalog_flags: int


def source_state(source: Source | None, paused: bool, harvest: str | None = None) -> str:
    """What ``status`` says of a source: removed from the config (or, for the backfill's pseudo-source,
    its ``harvest``), disabled there, paused, or active."""
    if source is None:
        return harvest or "removed"
    if not source.enabled:
        return "disabled"
    return "paused" if paused else "active"


def source_status(
    row: Mapping[str, Any], source: Source | None, next_run: str | None, harvest: str | None = None
) -> SourceStatus:
    """A ``Sources.source_report`` row as ``status`` shows it; ``source`` is its config (None: removed)."""
    paused = bool(row["paused"])
    return {
        "name": row["name"],
        "kind": row["kind"],
        "configured": source is not None,
        "state": source_state(source, paused, harvest),
        "last_success": row["last_success"],
        "last_error": row["last_error"],
        "last_error_at": row["last_error_at"],
        # False once a fetch succeeded after it: the error is history, not the source's state.
        "last_error_current": bool(row["last_error"]) and row["consecutive_failures"] > 0,
        "consecutive_failures": row["consecutive_failures"],
        "paused": paused and source is not None,  # a removed source is not paused
        "paused_reason": row["paused_reason"] if paused else None,
        "items": row["items"],
        "candidates": row["candidates"],
        "acceptance_rate": row["acceptance_rate"],
        "next_run": next_run,
    }


TABLE_COLUMNS = ("source", "last ok", "fail.", "items", "cand.", "acc.", "next run")


def table_row(status: SourceStatus, now: datetime) -> tuple[str, ...]:
    """A source's row in the table, under ``TABLE_COLUMNS``."""
    rate = status["acceptance_rate"]
    active = status["next_run"] and status["state"] == "active"
    return (
        status["name"],
        relative(status["last_success"], now) or "never",
        str(status["consecutive_failures"]),
        str(status["items"]),
        str(status["candidates"]),
        "" if rate is None else f"{rate:.0%}",
        # A source that will not run says why instead: paused, disabled, removed, a backfill.
        relative(status["next_run"], now) if active else status["state"],
    )


def table_title(summary: StatusSummary) -> str:
    works = plural(summary["works"], "work")
    return f"rsiwatch: {works}, {summary['queue']} in the queue, threshold {summary['threshold']}"


def current_error_lines(sources: Sequence[SourceStatus], now: datetime) -> list[str]:
    """Errors below the table, each with its time: only sources failing now (an error before the latest
    success is history: it stays in --json, marked last_error_current false)."""
    return [
        f"last error of {s['name']}, {short_error(s['last_error'], s['last_error_at'], now, width=200)}"
        for s in sources
        if s["last_error_current"]
    ]


def catalog_lines(summary: StatusSummary) -> list[str]:
    """The catalog's size, whether it agrees with the decisions, and its open flags when there are any."""
    disagreements = summary["catalog_disagreements"]
    withdrawn = f" ({summary['catalog_withdrawn']} withdrawn, kept off it)" if summary["catalog_withdrawn"] else ""
    lines = [
        f"catalog: {plural(summary['catalog'], 'published entry')}{withdrawn}, "
        + (
            f"{plural(disagreements, 'disagreement')} with the decisions (see `rsiwatch doctor`)"
            if disagreements
            else "agrees with the decisions"
        )
    ]
    if summary["catalog_flags"]:
        lines.append(
            f"catalog news: {plural(summary['catalog_flags'], 'open flag')} (new versions, withdrawals, venues): "
            "rsiwatch catalog flags"
        )
    return lines

"""How ``rsiwatch status`` shows times and errors in a table that fits 80 columns (``--json`` keeps the
full ISO timestamps and whole messages).  Pure: values and "now" in, short text out."""

from __future__ import annotations

from datetime import UTC, datetime

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

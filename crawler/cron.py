"""The one crontab rule: an expression means what APScheduler's own parser makes of it.

The config refuses at load what the scheduler would refuse later (``99 * * * *``, ``0 6 * * funday``,
``0 0 31 2 *`` that never fires), so every place that reads a crontab goes through ``parse_crontab``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger


def parse_crontab(expression: str) -> CronTrigger:
    """A UTC trigger for a five-field crontab; ``ValueError`` (one line, the parser's reason) otherwise."""
    # Imported here: the config loads this module, and quick commands must not pay for APScheduler.
    from apscheduler.triggers.cron import CronTrigger

    fields = str(expression).split()
    if len(fields) != 5:
        raise ValueError(f"expected a crontab expression of five fields, e.g. '0 6 * * *' (got {len(fields)})")
    try:
        trigger = CronTrigger.from_crontab(expression, timezone=UTC)
    except ValueError as exc:
        raise ValueError(f"not a valid crontab: {' '.join(str(exc).split())}") from None
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ValueError("not a valid crontab: it never fires")
    return trigger


def next_cron_time(expression: str, after: datetime) -> datetime:
    """The first moment after ``after`` that a crontab expression names (UTC)."""
    found = parse_crontab(expression).get_next_fire_time(None, after + timedelta(microseconds=1))
    if found is None:
        raise ValueError(f"cron expression {expression!r} never fires")
    fires_at: datetime = found
    return fires_at


def cron_gap_s(expression: str, at: datetime) -> float:
    """Seconds from the firing at (or after) ``at`` to the one after it: the interval a cron job keeps."""
    trigger = parse_crontab(expression)
    first = trigger.get_next_fire_time(None, at) or at
    second = trigger.get_next_fire_time(None, first + timedelta(microseconds=1))
    return (second - first).total_seconds() if second else float("inf")

"""Which sources need the operator: paused ones, and ones failing for long.  Pure: rows in, lines out.

``status`` prints these as warnings (``status --check`` exits 1 on any, for cron and monitoring), the
weekly digest lists them, and the crawl logs the moment a source crosses the line.  "Paused" means a
person paused it (``rsiwatch sources pause``) or the server said the feed is gone (HTTP 410); every
other failure is retried at a capped interval, and is "failing" once it has failed
``schedule.warn_after_failures`` times in a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rsiwatch.config import Source
from rsiwatch.words import plural


def is_failing(consecutive_failures: int, warn_after_failures: int) -> bool:
    """Whether a source has failed long enough to be the operator's trouble (one home for the line)."""
    return consecutive_failures >= warn_after_failures


def recovery_line(name: str, failures_before: int, warn_after_failures: int) -> str | None:
    """The line a source that was failing gets when it succeeds again (its failing warning said "until it
    recovers"); None for a source that had not crossed the line, or was not failing at all."""
    if not is_failing(failures_before, warn_after_failures):
        return None
    return f"{name}: recovered after {plural(failures_before, 'failure')} in a row"


@dataclass(frozen=True)
class SourceTrouble:
    source: str
    kind: str  # "paused" or "failing"
    line: str  # one line for status, the digest and the log


def source_troubles(
    rows: Iterable[Mapping[str, Any]], configured: Mapping[str, Source], warn_after_failures: int
) -> list[SourceTrouble]:
    """The troubles among ``rows`` (``Store.source_report`` rows).  Sources no longer in the config, and
    sources the config disables, are nobody's trouble."""
    troubles = []
    for row in rows:
        source = configured.get(row["name"])
        if source is None or not source.enabled:
            continue
        name = row["name"]
        if row["paused"]:
            troubles.append(SourceTrouble(
                name, "paused",
                f"source {name} is paused ({row['paused_reason'] or 'by hand'}): it is not fetched until "
                f"`rsiwatch sources resume {name}`",
            ))
        elif is_failing(row["consecutive_failures"], warn_after_failures):
            since = (
                f"last success {row['last_success'][:16].replace('T', ' ')} UTC"
                if row["last_success"]
                else "never succeeded"
            )
            troubles.append(
                SourceTrouble(
                    name,
                    "failing",
                    f"source {name} has failed {plural(row['consecutive_failures'], 'time')} in a row ({since}); "
                    f"last error: {row['last_error']}",
                )
            )
    return troubles

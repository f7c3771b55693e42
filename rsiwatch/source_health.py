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
        elif row["consecutive_failures"] >= warn_after_failures:
            since = (
                f"last success {row['last_success'][:16].replace('T', ' ')} UTC"
                if row["last_success"]
                else "never succeeded"
            )
            troubles.append(
                SourceTrouble(
                    name,
                    "failing",
                    f"source {name} has failed {row['consecutive_failures']} times in a row ({since}); "
                    f"last error: {row['last_error']}",
                )
            )
    return troubles

"""What ``rsiwatch status`` reports, gathered from the store: each source's state and schedule, the database's
counts, the warnings, and ``--check``'s rule.  The command only prints it (``rsiwatch.status_view`` shapes
the rows and the text); here is the one read of the store it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rsiwatch.backfill import SOURCE_NAME as BACKFILL_SOURCE
from rsiwatch.config import Config
from rsiwatch.pipeline import next_due
from rsiwatch.scoring import effective_threshold
from rsiwatch.source_health import SourceTrouble, source_troubles
from rsiwatch.status_view import SourceStatus, StatusSummary, source_status
from rsiwatch.store import RETRAIN_SETTING, Store, iso
from rsiwatch.tuning.report import health_warnings


@dataclass(frozen=True)
class StatusReport:
    summary: StatusSummary
    sources: list[SourceStatus]
    troubles: list[SourceTrouble]  # the sources that need the operator (rsiwatch.source_health)

    @property
    def needs_attention(self) -> bool:
        """``status --check``'s exit rule: 1 when a source is paused or has failed for long (a tuning
        warning alone does not fail it: cron mails a broken source, not a threshold to revisit)."""
        return bool(self.troubles)

    def to_dict(self) -> dict[str, Any]:
        """``status --json``: the summary, and the sources by name."""
        return {"summary": self.summary, "sources": {s["name"]: s for s in self.sources}}


def backfill_state(store: Store) -> str | None:
    """The arXiv backfill's sightings, as ``status`` names them: a harvest under way or one finished."""
    finished = store.linking.backfill_finished()
    if not finished:
        return None
    return "backfill, finished" if all(finished) else "backfill, resumable"


def gather_status(store: Store, config: Config, database: Path, now: datetime) -> StatusReport:
    """Register the configured sources (a source added to the config shows before its first crawl), then
    read every source's row and the summary; ``now`` is when ``status`` was asked (no run is due before it)."""
    store.sources.ensure_sources(config.source_registrations)
    configured = {s.name: s for s in config.sources}
    report = store.sources.source_report()
    troubles = source_troubles(report, configured, config.schedule.warn_after_failures)
    backfill = backfill_state(store)
    sources = []
    for row in report:
        source = configured.get(row["name"])
        due = next_due(source, store) if source else None
        harvest = backfill if row["name"] == BACKFILL_SOURCE else None
        sources.append(source_status(row, source, iso(max(due, now)) if due else None, harvest))
    return StatusReport(_summary(store, config, database, troubles), sources, troubles)


def _summary(store: Store, config: Config, database: Path, troubles: list[SourceTrouble]) -> StatusSummary:
    catalog_published, catalog_withdrawn = store.catalog.catalog_counts()
    return {
        "database": str(database),
        "works": store.works.count("works"),
        "catalog": catalog_published,
        "catalog_withdrawn": catalog_withdrawn,
        "decisions": store.works.count("decisions"),
        "queue": store.queue.review_queue(status="new", limit=1)[1].count,  # a COUNT, not every row
        "threshold": effective_threshold(store, config),
        "model_version": (store.models.active_model() or (None,))[0],
        "retrain_last": store.models.setting(RETRAIN_SETTING),
        "warnings": [t.line for t in troubles] + health_warnings(store, config),
        "source_troubles": [{"source": t.source, "kind": t.kind} for t in troubles],
        "catalog_disagreements": len(store.catalog.catalog_disagreements()),
        "catalog_flags": len(store.scholarly.flags()),
    }

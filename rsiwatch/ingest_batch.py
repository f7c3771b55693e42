"""Store a batch of fetched sources: link and ingest each in source order, score all their new works in
one pass, and record every source's success in one commit.

A crawl of many feeds hands over as many sources as are fetched and parsed by the time the previous
batch is stored (rsiwatch/pipeline.py), so the store's fixed costs (a scoring pass, a commit) are paid
per batch instead of per source (docs/benchmarks.md).  What each source brings is the same as storing
the sources one by one: each is linked against the works stored before it, earlier sources of the same
batch included, and a work's score uses the sightings of every source of the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from crawler.items import SourceResult
from crawler.link import link_items
from rsiwatch.config import Config, Source
from rsiwatch.scoring import score_works
from rsiwatch.source_health import recovery_line
from rsiwatch.store import IngestStats, Store

log = logging.getLogger("rsiwatch.crawl")


@dataclass
class SourceOutcome:
    source: str
    ok: bool
    not_modified: bool = False
    items: int = 0
    new_works: int = 0
    new_sightings: int = 0
    new_candidates: int = 0
    requests: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FetchedSource:
    """One source's fetch and parse, not stored yet; ``started`` is when its fetch began."""

    source: Source
    started: str
    result: SourceResult


def store_batch(batch: Sequence[FetchedSource], store: Store, config: Config) -> list[SourceOutcome]:
    """Link, ingest, score and record the sources of ``batch``; their outcomes in the same order.

    Each source's works and sightings are one transaction (as a crawl of one source stores them); the
    scores of all new works and every source's success are one more, so a source's validators are
    never saved before its works are stored and scored.
    """
    stats: list[IngestStats | None] = []
    for fetched in batch:
        result = fetched.result
        result.items = link_items(result.items, store.linking)
        stats.append(store.works.ingest(fetched.source.name, result.items) if result.items else None)
    new_works = [work for s in stats if s for work in s.new_works]
    queued = set(score_works(store, config, new_works).queued) if new_works else set()
    failures_before = {f.source.name: store.sources.source_state(f.source.name).consecutive_failures for f in batch}
    outcomes = []
    with store.transaction(durable=False):
        for fetched, s in zip(batch, stats, strict=False):
            candidates = sum(1 for work in s.new_works if work in queued) if s else 0
            store.sources.record_success(fetched.source.name, fetched.result, s, candidates, fetched.started)
            outcomes.append(_outcome(fetched, s, candidates))
    for outcome in outcomes:
        _log(outcome)
        _log_recovery(outcome.source, failures_before[outcome.source], config.schedule.warn_after_failures)
    return outcomes


def _log_recovery(name: str, failures_before: int, warn_after_failures: int) -> None:
    """Once, when a source that was failing succeeds: at the failing warning's level, so whoever reads the
    log at that level sees the end of the trouble as well as its start."""
    line = recovery_line(name, failures_before, warn_after_failures)
    if line is not None:
        fields = {"source": name, "outcome": "recovered", "failures_before": failures_before}
        log.warning("%s", line, extra={"fields": fields})


def _outcome(fetched: FetchedSource, stats: IngestStats | None, candidates: int) -> SourceOutcome:
    result = fetched.result
    return SourceOutcome(
        fetched.source.name,
        ok=True,
        not_modified=result.not_modified,
        items=len(result.items),
        new_works=len(stats.new_works) if stats else 0,
        new_sightings=stats.new_sightings if stats else 0,
        new_candidates=candidates,
        requests=result.requests,
        warnings=list(result.warnings),
    )


def _log(outcome: SourceOutcome) -> None:
    state = "not_modified" if outcome.not_modified else "ok"
    log.info(
        "%s: %s, %d items, %d new works, %d new candidates",
        outcome.source, "not modified" if outcome.not_modified else "ok", outcome.items, outcome.new_works,
        outcome.new_candidates,
        extra={"fields": {"source": outcome.source, "outcome": state, "items": outcome.items,
                          "new_works": outcome.new_works, "new_candidates": outcome.new_candidates,
                          "requests": outcome.requests}},
    )

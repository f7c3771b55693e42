"""One idempotent crawl: for each due source, fetch -> parse -> store sightings -> score -> queue.

This is the whole flow of an item from a feed to the review queue, top to bottom.  A person, cron and
the daemon all call ``crawl``; a failing source is recorded and the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from crawler.cron import next_cron_time
from crawler.errors import CrawlError
from crawler.http import PoliteClient
from crawler.items import SourceResult
from crawler.link import link_items
from crawler.sources import collect, is_separable
from rsiwatch.config import Config, Source
from rsiwatch.intake import process_inbox
from rsiwatch.prefetch import Prefetcher, seen_posts
from rsiwatch.scoring import explain_works, refresh_if_pool_grew, score_works
from rsiwatch.store import Store, iso, parse_iso, utcnow
from rsiwatch.tuning.audit import queue_weekly

log = logging.getLogger("rsiwatch.crawl")


# Due time of a source that never ran: overdue, before anything else.
NEVER_RUN = datetime(1970, 1, 1, tzinfo=UTC)


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


@dataclass
class CrawlReport:
    started: str
    finished: str = ""
    model_version: int | None = None
    sources: list[SourceOutcome] = field(default_factory=list)
    queued_after_retrain: int = 0  # works queued when a grown pool retrained the model
    submissions_read: int = 0  # public-form submissions whose page was read in this crawl
    submissions_unread: int = 0  # ... and those queued as placeholders, to be read later

    @property
    def failed(self) -> list[SourceOutcome]:
        return [s for s in self.sources if not s.ok]

    def totals(self) -> dict[str, int]:
        """The sources' counts added up."""
        return {
            key: sum(getattr(s, key) for s in self.sources)
            for key in ("items", "new_works", "new_sightings", "new_candidates", "requests")
        }

    def to_dict(self) -> dict[str, object]:
        return {
            "started": self.started,
            "finished": self.finished,
            "model_version": self.model_version,
            "queued_after_retrain": self.queued_after_retrain,
            "submissions": {"read": self.submissions_read, "unread": self.submissions_unread},
            "sources": [asdict(s) for s in self.sources],
            "totals": self.totals(),
        }


def next_due(source: Source, store: Store) -> datetime | None:
    """When a source is next due: after its interval from the last success, or its back-off; None if paused."""
    state = store.sources.source_state(source.name)
    if state.paused or not source.enabled:
        return None
    candidates = []
    if last := parse_iso(state.last_success):
        cron = source.cron_expression
        candidates.append(next_cron_time(cron, last) if cron else last + timedelta(seconds=source.interval_s))
    if not_before := parse_iso(state.not_before):
        candidates.append(not_before)
    return max(candidates) if candidates else NEVER_RUN


def due_sources(config: Config, store: Store, *, everything: bool = False, names: Sequence[str] = ()) -> list[Source]:
    """The sources to visit now. Named sources skip the schedule (``crawl`` refuses a paused one unless
    ``--force``); ``--all`` skips the schedule but never a paused source."""
    if names:
        return [config.source(n) for n in names]
    now = datetime.now(UTC)
    chosen = []
    for source in config.sources:
        due = next_due(source, store)
        if due is not None and (everything or due <= now):
            chosen.append(source)
    return chosen


def crawl_source(
    source: Source,
    store: Store,
    client: PoliteClient,
    config: Config,
    prefetched: Callable[[], tuple[str, SourceResult]] | None = None,
) -> SourceOutcome:
    """Crawl one source and record its outcome; ``prefetched`` hands (started, result) fetched elsewhere."""
    started = utcnow()
    try:
        if prefetched is not None:
            started, result = prefetched()
        else:
            result = collect(
                source.spec, client, store.sources.source_state(source.name).validators, seen_posts(source, store)
            )
    except Exception as exc:
        if client.stopping:
            # A clean stop (SIGTERM) cut the fetch short: not the source's failure, so nothing is recorded
            # and the source is simply due again at the next start.
            log.info("%s: interrupted by the shutdown (%s); not counted as a failure", source.name, exc)
            return SourceOutcome(source.name, ok=False, error=f"interrupted: {exc}")
        if not isinstance(exc, CrawlError):
            log.exception("%s: unexpected error", source.name)
            exc = CrawlError(f"{source.endpoint}: internal error: {type(exc).__name__}: {exc}")
        failures = store.sources.source_state(source.name).consecutive_failures + 1
        backoff = config.schedule.backoff_base_s * 2 ** min(failures - 1, 30)
        wait = max(getattr(exc, "retry_after", None) or 0.0, min(backoff, config.schedule.backoff_max_s))
        not_before = iso(datetime.now(UTC) + timedelta(seconds=wait))
        store.sources.record_failure(
            source.name, str(exc), started, not_before=not_before, pause_after=config.schedule.pause_after_failures
        )
        log.warning(
            "%s: %s",
            source.name,
            exc,
            extra={
                "fields": {
                    "source": source.name,
                    "outcome": "error",
                    "error": str(exc),
                    "consecutive_failures": failures,
                }
            },
        )
        return SourceOutcome(source.name, ok=False, error=str(exc))
    result.items = link_items(result.items, store.linking)
    stats = store.works.ingest(source.name, result.items) if result.items else None
    queued = score_works(store, config, stats.new_works).queued if stats and stats.new_works else []
    store.sources.record_success(source.name, result, stats, len(queued), started)
    outcome = SourceOutcome(
        source.name,
        ok=True,
        not_modified=result.not_modified,
        items=len(result.items),
        new_works=len(stats.new_works) if stats else 0,
        new_sightings=stats.new_sightings if stats else 0,
        new_candidates=len(queued),
        requests=result.requests,
        warnings=list(result.warnings),
    )
    log.info(
        "%s: %s, %d items, %d new works, %d new candidates",
        source.name,
        "not modified" if result.not_modified else "ok",
        outcome.items,
        outcome.new_works,
        outcome.new_candidates,
        extra={
            "fields": {
                "source": source.name,
                "outcome": "not_modified" if result.not_modified else "ok",
                "items": outcome.items,
                "new_works": outcome.new_works,
                "new_candidates": outcome.new_candidates,
                "requests": outcome.requests,
            }
        },
    )
    return outcome


def crawl(
    config: Config,
    store: Store,
    client: PoliteClient,
    sources: Sequence[Source],
    on_source: Callable[[SourceOutcome], None] | None = None,
) -> CrawlReport:
    """Visit each source once; a failure is recorded against its source and the crawl goes on."""
    report = CrawlReport(started=utcnow())
    store.sources.ensure_sources(config.source_registrations)
    # Several feeds (each source named once): fetch and parse ahead, overlapping this thread's store work.
    names = [s.name for s in sources]
    prefetcher = None
    if sum(1 for s in sources if is_separable(s.spec)) >= 2 and len(set(names)) == len(names):
        prefetcher = Prefetcher(store, client, sources)
    try:
        for source in sources:
            outcome = crawl_source(source, store, client, config, prefetcher.take if prefetcher else None)
            report.sources.append(outcome)
            if on_source:
                on_source(outcome)
    finally:
        if prefetcher is not None:
            prefetcher.close()
    # What readers sent through the public form since the last crawl (never fetched inside the POST).
    intake = process_inbox(config, store)
    report.submissions_read, report.submissions_unread = intake.read, intake.unread
    # A young model learnt the stream from a small pool: retrain as the pool grows (cheap while small).
    refreshed = refresh_if_pool_grew(store, config)
    if refreshed is not None:
        report.queued_after_retrain = len(refreshed.queued)
        log.info(
            "retrained on a grown pool: model %d, %d open works rescored, %d newly queued",
            refreshed.model_version,
            refreshed.scored,
            len(refreshed.queued),
        )
    # The weekly audit sample and uncertainty picks (idempotent: drawn once a week).
    draw = queue_weekly(store, config.review.audit_per_week, config.review.uncertain_share)
    if draw is not None:  # picks below the threshold were scored without why-terms
        explain_works(store, draw.audit + draw.uncertain)
    found = store.models.active_model()
    report.model_version = found[0] if found else None
    report.finished = utcnow()
    return report

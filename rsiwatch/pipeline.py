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
from crawler.errors import CrawlError, FetchError
from crawler.http import PoliteClient
from crawler.items import SourceResult
from crawler.sources import collect, is_separable
from rsiwatch.config import MAX_BACKOFF_S, Config, Source
from rsiwatch.ingest_batch import FetchedSource, SourceOutcome, store_batch
from rsiwatch.intake import process_inbox
from rsiwatch.prefetch import Prefetcher, seen_posts
from rsiwatch.scholarly import collect_citations, enrich_queued
from rsiwatch.scoring import explain_works, refresh_if_pool_grew
from rsiwatch.store import Store, iso, parse_iso, utcnow
from rsiwatch.tuning.audit import queue_weekly

log = logging.getLogger("rsiwatch.crawl")


# Due time of a source that never ran: overdue, before anything else.
NEVER_RUN = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class CrawlReport:
    started: str
    finished: str = ""
    model_version: int | None = None
    sources: list[SourceOutcome] = field(default_factory=list)
    queued_after_retrain: int = 0  # works queued when a grown pool retrained the model
    submissions_read: int = 0  # public-form submissions whose page was read in this crawl
    submissions_unread: int = 0  # ... and those queued as placeholders, to be read later
    queued_discussed: int = 0  # works queued because enough independent sources discuss them
    queued_citing: int = 0  # works queued because they cite enough catalog entries (the citation watch)
    drafts_filled: int = 0  # queued papers whose draft OpenAlex filled in (affiliations, venue, code)

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
            "queued_discussed": self.queued_discussed,
            "queued_citing": self.queued_citing,
            "drafts_filled": self.drafts_filled,
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


def retry_wait_s(config: Config, failures: int, retry_after: float | None) -> float:
    """How long a source that failed ``failures`` times in a row waits: the backoff doubling from
    ``backoff_base_s``, capped at ``backoff_max_s`` and never above a day, or longer if the server asked
    (Retry-After, capped at a day too).  It is retried for as long as it fails: an outage ends."""
    schedule = config.schedule
    backoff = min(schedule.backoff_base_s * 2 ** min(failures - 1, 30), schedule.backoff_max_s, MAX_BACKOFF_S)
    return min(max(retry_after or 0.0, backoff), MAX_BACKOFF_S)


def permanent_failure(exc: Exception) -> str | None:
    """Why a failure pauses its source, or None: only HTTP 410 Gone (the server says the feed is gone for
    good).  A 404, a 5xx, a timeout or a parse error may all end, so those are retried."""
    if isinstance(exc, FetchError) and exc.status == 410:
        return f"the server answered 410 Gone: {exc}"
    return None


def describe_seconds(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


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


# A crawl of many feeds stores the sources fetched and parsed by then in one batch (rsiwatch/ingest_batch.py),
# up to this many items: large enough that a batch's fixed costs vanish per item, small enough that the
# write transactions stay short and a stop never waits long.
BATCH_ITEMS = 1_000


def fetch_source(
    source: Source,
    store: Store,
    client: PoliteClient,
    config: Config,
    prefetched: Callable[[], tuple[str, SourceResult]] | None = None,
) -> FetchedSource | SourceOutcome:
    """Fetch and parse one source; a failure is recorded against it and returned as its outcome.
    ``prefetched`` hands (started, result) fetched elsewhere."""
    started = utcnow()
    try:
        if prefetched is not None:
            started, result = prefetched()
        else:
            validators = store.sources.source_state(source.name).validators
            result = collect(source.spec, client, validators, seen_posts(source, store))
    except Exception as exc:
        if client.stopping:
            # A clean stop (SIGTERM) cut the fetch short: not the source's failure, so nothing is recorded
            # and the source is simply due again at the next start.
            log.info("%s: interrupted by the shutdown (%s); not counted as a failure", source.name, exc)
            return SourceOutcome(source.name, ok=False, error=f"interrupted: {exc}")
        return record_fetch_failure(source, store, config, exc, started)
    return FetchedSource(source, started, result)


def record_fetch_failure(source: Source, store: Store, config: Config, exc: Exception, started: str) -> SourceOutcome:
    """Count a failed fetch against its source, which waits its back-off before it is due again, or is paused
    when the server says the feed is gone; said in the log, once more when it crosses the warning line."""
    if not isinstance(exc, CrawlError):  # called inside fetch_source's except: the log keeps the traceback
        log.exception("%s: unexpected error", source.name)
        exc = CrawlError(f"{source.endpoint}: internal error: {type(exc).__name__}: {exc}")
    failures = store.sources.source_state(source.name).consecutive_failures + 1
    wait = retry_wait_s(config, failures, getattr(exc, "retry_after", None))
    not_before = iso(datetime.now(UTC) + timedelta(seconds=wait))
    gone = permanent_failure(exc)
    store.sources.record_failure(source.name, str(exc), started, not_before=not_before, pause_reason=gone)
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
    if gone:
        log.warning(
            "%s: paused: %s; `rsiwatch sources resume %s` tries it again",
            source.name,
            gone,
            source.name,
            extra={"fields": {"source": source.name, "outcome": "paused"}},
        )
    elif failures == config.schedule.warn_after_failures:
        # Once, when it crosses the line: `status --check` and the digest keep saying it after that.
        log.warning(
            "%s: failing: %d failures in a row; retried every %s until it recovers",
            source.name,
            failures,
            describe_seconds(retry_wait_s(config, failures + 1, None)),
            extra={"fields": {"source": source.name, "outcome": "failing", "consecutive_failures": failures}},
        )
    return SourceOutcome(source.name, ok=False, error=str(exc))


def crawl_source(
    source: Source,
    store: Store,
    client: PoliteClient,
    config: Config,
    prefetched: Callable[[], tuple[str, SourceResult]] | None = None,
) -> SourceOutcome:
    """Crawl one source and record its outcome; ``prefetched`` hands (started, result) fetched elsewhere."""
    fetched = fetch_source(source, store, client, config, prefetched)
    return fetched if isinstance(fetched, SourceOutcome) else store_batch([fetched], store, config)[0]


def _watching(
    source: Source, store: Store, client: PoliteClient, config: Config
) -> Callable[[], tuple[str, SourceResult]]:
    def run() -> tuple[str, SourceResult]:
        started = utcnow()
        return started, collect_citations(source, store, client, config)

    return run


def crawl(
    config: Config,
    store: Store,
    client: PoliteClient,
    sources: Sequence[Source],
    on_source: Callable[[SourceOutcome], None] | None = None,
) -> CrawlReport:
    """Visit each source once; a failure is recorded against its source and the crawl goes on.  The stages,
    in order: the feeds (fetched, parsed, stored, linked, scored and queued in batches), the citation watch,
    what joins the queue whatever its score, a retrain on a grown pool, the drafts, the weekly draw."""
    report = CrawlReport(started=utcnow())
    store.sources.ensure_sources(config.source_registrations)

    def record(outcome: SourceOutcome) -> None:
        report.sources.append(outcome)
        if on_source:
            on_source(outcome)

    # The citation watch reads the catalog as it asks (scholarly.py); it runs after the feeds, in line.
    crawl_feeds([s for s in sources if s.kind != "openalex"], store, client, config, record)
    for source in (s for s in sources if s.kind == "openalex"):
        record(crawl_source(source, store, client, config, _watching(source, store, client, config)))
    # Works citing several catalog entries join the queue whatever their score (scholarly.cites_to_queue).
    report.queued_citing = len(store.scholarly.queue_citing(report.started, config.scholarly.cites_to_queue))
    # What readers sent through the public form since the last crawl (never fetched inside the POST).
    intake = process_inbox(config, store)
    report.submissions_read, report.submissions_unread = intake.read, intake.unread
    # What several independent sources discuss joins the queue whatever its score (review.discussed_sources).
    report.queued_discussed = len(store.discussion.queue_discussed(report.started, config.review.discussed_sources))
    report.queued_after_retrain = retrain_on_grown_pool(store, config)
    # Drafts that fill themselves in: what OpenAlex knows of the queued papers (free lookups, never while
    # a page waits).
    report.drafts_filled = enrich_queued(store, client, config).filled
    draw_weekly_picks(store, config)
    found = store.models.active_model()
    report.model_version = found[0] if found else None
    report.finished = utcnow()
    return report


def crawl_feeds(
    sources: Sequence[Source],
    store: Store,
    client: PoliteClient,
    config: Config,
    record: Callable[[SourceOutcome], None],
) -> None:
    """Fetch and parse each source, then store its items (``store_batch``: sightings, links, scores, the
    queue); ``record`` gets every source's outcome in the order of ``sources``.  Sources parsed ahead
    while a batch is stored join that batch, up to ``BATCH_ITEMS`` items."""
    prefetcher = _prefetcher(sources, store, client)
    batch: list[FetchedSource] = []

    def store_pending() -> None:
        done = store_batch(batch, store, config) if batch else []
        batch.clear()
        for outcome in done:
            record(outcome)

    try:
        for source in sources:
            fetched = fetch_source(source, store, client, config, prefetcher.take if prefetcher else None)
            if isinstance(fetched, SourceOutcome):  # a failure: after the sources before it, in order
                store_pending()
                record(fetched)
                continue
            batch.append(fetched)
            # Store now unless the next source is already parsed (then it joins this batch).
            if not (prefetcher and prefetcher.ready() and sum(len(f.result.items) for f in batch) < BATCH_ITEMS):
                store_pending()
        store_pending()
    finally:
        if prefetcher is not None:
            prefetcher.close()


def _prefetcher(sources: Sequence[Source], store: Store, client: PoliteClient) -> Prefetcher | None:
    """Several feeds (each source named once): fetch and parse ahead, overlapping this thread's store work."""
    names = [s.name for s in sources]
    if sum(1 for s in sources if is_separable(s.spec)) >= 2 and len(set(names)) == len(names):
        return Prefetcher(store, client, sources)
    return None


def retrain_on_grown_pool(store: Store, config: Config) -> int:
    """A young model learnt the stream from a small pool: retrain as the pool grows (cheap while small).
    How many works the retrained model newly queued (0 when it was not retrained)."""
    refreshed = refresh_if_pool_grew(store, config)
    if refreshed is None:
        return 0
    log.info(
        "retrained on a grown pool: model %d, %d open works rescored, %d newly queued",
        refreshed.model_version,
        refreshed.scored,
        len(refreshed.queued),
    )
    return len(refreshed.queued)


def draw_weekly_picks(store: Store, config: Config) -> None:
    """The weekly audit sample and uncertainty picks (idempotent: drawn once a week)."""
    draw = queue_weekly(store, config.review.audit_per_week, config.review.uncertain_share)
    if draw is not None:  # picks below the threshold were scored without why-terms
        explain_works(store, draw.audit + draw.uncertain)

"""The one crawl entry point: what ``rsiwatch crawl`` and the daemon share around ``pipeline.crawl``.

``run_crawl`` is a whole ``rsiwatch crawl``: the crawl lock, the store made ready (sources registered, the
seed catalog on a database without one), the sources due (or named), the paused-source rule, the polite
client, the crawl and the pruning after it.  The daemon holds the lock for its lifetime and keeps one
client, so it calls the two parts it needs itself: ``prepare_store`` at start and ``crawl_pass`` per job.
The click handler only turns options into arguments and the report into text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from crawler.http import PoliteClient
from rsiwatch.catalog.load import seed_catalog, seed_path
from rsiwatch.config import Config, Source
from rsiwatch.lock import take_lock
from rsiwatch.pipeline import CrawlReport, SourceOutcome, crawl, due_sources
from rsiwatch.polite import polite_client
from rsiwatch.retention import prune
from rsiwatch.store import Store


class SourcePaused(Exception):
    """A named source is paused and ``force`` was not given: nothing was crawled."""


@dataclass(frozen=True)
class CrawlRun:
    report: CrawlReport
    nothing_due: bool  # no source was due (nor named)
    works: int  # works in the store afterwards


def prepare_store(store: Store, config: Config) -> int:
    """Register the configured sources and, on a database without a catalog, load the seed catalog;
    returns how many seed entries were loaded (``CatalogFormatError`` for a broken seed file)."""
    store.sources.ensure_sources(config.source_registrations)
    if store.works.count("catalog"):
        return 0
    return seed_catalog(store, seed_path(config))


def crawl_pass(
    config: Config,
    store: Store,
    client: PoliteClient,
    sources: Sequence[Source],
    on_source: Callable[[SourceOutcome], None] | None = None,
) -> CrawlReport:
    """Crawl these sources once, then apply the retention rules: each crawl, by the CLI or the daemon."""
    report = crawl(config, store, client, sources, on_source=on_source)
    prune(store, config.retention)
    return report


def refuse_paused(store: Store, sources: Sequence[Source], force: bool) -> None:
    """A paused source is crawled only when asked by name with ``force``."""
    paused = [s.name for s in sources if store.sources.source_state(s.name).paused]
    if paused and not force:
        reason = store.sources.source_state(paused[0]).paused_reason
        raise SourcePaused(
            f"source {paused[0]!r} is paused ({reason or 'by hand'}); crawl it anyway with --force, "
            f"or `rsiwatch sources resume {paused[0]}`"
        )


def run_crawl(
    config: Config,
    db_path: Path,
    *,
    names: Sequence[str] = (),
    everything: bool = False,
    force: bool = False,
    wait: bool | float = False,
    on_wait: Callable[[str], None] | None = None,
    on_source: Callable[[SourceOutcome], None] | None = None,
    on_nothing_due: Callable[[], None] | None = None,
    open_store: Callable[[], Store] | None = None,
) -> CrawlRun:
    """One pass over the sources that are due (``names``: those, due or not; ``everything``: all active).

    Raises ``LockHeld`` when the daemon or another crawl holds the database (unless ``wait``),
    ``SourcePaused``, and ``CatalogFormatError`` for a broken seed catalog.
    """
    lock = take_lock(db_path, "rsiwatch crawl", wait=wait, on_wait=on_wait)
    with lock, (open_store or (lambda: Store(db_path)))() as store:
        prepare_store(store, config)
        sources = due_sources(config, store, everything=everything, names=names)
        refuse_paused(store, sources, force)
        if not sources and on_nothing_due is not None:
            on_nothing_due()
        with polite_client(config, db_path) as client:
            report = crawl_pass(config, store, client, sources, on_source=on_source)
        return CrawlRun(report=report, nothing_due=not sources, works=store.works.count("works"))

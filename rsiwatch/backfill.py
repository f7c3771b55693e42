"""arXiv backfill: harvest past papers over OAI-PMH, page by page, store, score, and remember where we are.

After each page: its works and sightings are stored (one transaction), the page's unscored works are
scored, then the next resumption token is saved (another).  A process killed anywhere in between
re-fetches that page on resume, and storing it again changes nothing (works and sightings are keyed), so
an interrupted backfill loses nothing and duplicates nothing.  The caller only decides how to show
progress.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from crawler.http import PoliteClient
from crawler.oai_pmh import DEFAULT_OAI_URL, OaiError, harvest, sets_for
from rsiwatch.config import Config
from rsiwatch.scoring import score_works
from rsiwatch.store import Store

log = logging.getLogger("rsiwatch.backfill")
SOURCE_NAME = "arxiv-backfill"


@dataclass(frozen=True)
class BackfillPlan:
    from_date: str
    until: str | None = None
    categories: tuple[str, ...] = ()
    endpoint: str = DEFAULT_OAI_URL
    metadata_prefix: str = "arXiv"
    source_name: str = SOURCE_NAME

    def sets(self) -> list[str | None]:
        return list(sets_for(self.categories)) or [None]

    def key(self, set_spec: str | None) -> str:
        """One harvest's name: the same command line finds the same row and resumes it."""
        return json.dumps(
            [self.endpoint, self.metadata_prefix, set_spec, self.from_date, self.until, sorted(self.categories)]
        )


@dataclass
class Progress:
    set_spec: str | None
    pages: int
    records: int
    complete_size: int | None
    new_works: int
    new_candidates: int
    resumed: bool = False


@dataclass
class BackfillReport:
    pages: int = 0
    records: int = 0
    items: int = 0
    new_works: int = 0
    new_candidates: int = 0
    requests: int = 0
    resumed_sets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def run_backfill(
    config: Config, store: Store, client: PoliteClient, plan: BackfillPlan,
    on_page: Callable[[Progress], None] | None = None,
) -> BackfillReport:
    """Harvest every set the plan's categories need; resumes each from its saved token."""
    report = BackfillReport()
    store.sources.ensure_sources([(plan.source_name, "oai_pmh", plan.endpoint)])
    for set_spec in plan.sets():
        _run_set(config, store, client, plan, set_spec, report, on_page)
    return report


def _run_set(
    config: Config, store: Store, client: PoliteClient, plan: BackfillPlan, set_spec: str | None,
    report: BackfillReport, on_page: Callable[[Progress], None] | None,
) -> None:
    row = store.linking.backfill_start(plan.key(set_spec), {
        "endpoint": plan.endpoint, "metadata_prefix": plan.metadata_prefix, "set_spec": set_spec,
        "from_date": plan.from_date, "until_date": plan.until, "categories": plan.categories,
    })
    token = row["token"]
    from_date = plan.from_date
    if token:
        report.resumed_sets.append(set_spec or "(all)")
    if on_page:
        on_page(Progress(set_spec, row["pages"], row["records"], row["complete_size"], row["new_works"],
                         row["new_candidates"], resumed=bool(token)))
    while True:
        try:
            for fetched in harvest(client, plan.endpoint, metadata_prefix=plan.metadata_prefix, from_date=from_date,
                                   until=plan.until, set_spec=set_spec, token=token, categories=plan.categories):
                row = _store_page(config, store, plan, row, fetched, report)
                if on_page:
                    on_page(Progress(set_spec, row["pages"], row["records"], row["complete_size"], row["new_works"],
                                     row["new_candidates"]))
            return
        except OaiError as exc:
            if exc.code != "badResumptionToken" or not token:
                raise
            # The endpoint forgot our token (they expire): start again from the last day we saw.
            from_date = row.get("last_datestamp") or plan.from_date
            token = None
            report.warnings.append(f"{exc}; harvesting again from {from_date} (stored pages are not duplicated)")


def _store_page(
    config: Config, store: Store, plan: BackfillPlan, row: dict, fetched, report: BackfillReport
) -> dict:
    page = fetched.page
    new_works: list[str] = []
    queued: list[str] = []
    if page.items:
        stats = store.works.ingest(plan.source_name, page.items)
        new_works = stats.new_works
        unscored = store.linking.unscored_among(stats.seen_work_ids)
        if unscored:
            queued = score_works(store, config, unscored).queued
    store.linking.backfill_page_done(
        row["id"], page.token, records=page.records, new_works=len(new_works), new_candidates=len(queued),
        complete_size=page.complete_size, last_datestamp=page.last_datestamp,
    )
    report.pages += 1
    report.records += page.records
    report.items += len(page.items)
    report.new_works += len(new_works)
    report.new_candidates += len(queued)
    report.requests += fetched.requests
    return {
        **row, "token": page.token, "pages": row["pages"] + 1, "records": row["records"] + page.records,
        "new_works": row["new_works"] + len(new_works), "new_candidates": row["new_candidates"] + len(queued),
        "complete_size": page.complete_size if page.complete_size is not None else row["complete_size"],
        "last_datestamp": page.last_datestamp or row.get("last_datestamp"),
    }

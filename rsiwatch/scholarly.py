"""The scholarly graph beside the feeds (issue 24): new work that cites the catalog, drafts that fill
themselves in, and a catalog that hears of new versions, withdrawals and venues.

* ``collect_citations``: a source of kind ``openalex`` asks OpenAlex for works citing the catalog's
  entries (their OpenAlex ids found once by free singleton lookups and kept), ``BATCH`` entries a call,
  published since the source's last success; each citing work becomes an item like any other, and the
  catalog works it cites are recorded (``citations``), shown on its card and counted for the queue.
* ``enrich_queued``: during the crawl, never while a page waits, OpenAlex singletons (free) for queued
  papers: institutions for Author Affiliations, the DOI and venue of a published version, a code link.
* ``check_catalog``: arXiv's API by ``id_list`` for the catalog's arXiv works, compared with what it said
  last time (the first time: with what the crawl saw), giving flags the curator applies or dismisses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.arxiv_meta import ArxivRecord, lookup_ids
from crawler.errors import CrawlError
from crawler.http import PoliteClient
from crawler.items import SourceResult
from crawler.openalex import Access, batches, citing_pages, lookup
from rsiwatch.config import Config, Source
from rsiwatch.store import Store, parse_iso

log = logging.getLogger("rsiwatch.scholarly")

FIRST_LOOKBACK_DAYS = 30  # the citation watch's first run reads the last month
ENRICH_PER_CRAWL = 50  # singleton lookups a crawl spends on drafts (free, but each is a request)
OPENALEX = "OpenAlex"


def access(config: Config, source: Source | None = None) -> Access:
    """OpenAlex as the config reaches it (a citation-watch source may name its own endpoint)."""
    endpoint = (source.url if source is not None and source.url else None) or config.scholarly.openalex
    return Access(endpoint=endpoint, api_key=config.scholarly.key(), mailto=config.contact)


def _paper_ref(work_id: str) -> str | None:
    """What ``lookup`` takes for a work: an arXiv id or ``doi:...``; None for a web page."""
    if work_id.startswith("arxiv:"):
        return work_id.removeprefix("arxiv:")
    return work_id if work_id.startswith("doi:") else None


def catalog_openalex_ids(store: Store, client: PoliteClient, reach: Access) -> tuple[dict[str, str], int]:
    """OpenAlex id -> catalog work, looking up (free) the catalog works not looked up before."""
    works = sorted({e["work_id"] for e in store.catalog.entries() if e["work_id"] and _paper_ref(e["work_id"])})
    known = store.scholarly.openalex_ids(works)
    found: dict[str, str | None] = {}
    requests = 0
    try:
        for work_id in (w for w in works if w not in known):
            work, used = lookup(client, reach, _paper_ref(work_id) or "")
            requests += used
            found[work_id] = work.openalex_id if work else None
    finally:
        store.scholarly.save_openalex_ids(found)  # what was found is kept even when the budget ran out
    return {oid: w for w, oid in {**known, **found}.items() if oid}, requests


def since_for(source: Source, store: Store, now: datetime | None = None) -> str:
    """The publication date the watch reads from: a day before its last success (OpenAlex dates works by
    day, and indexes some late), else a month back."""
    now = now or datetime.now(UTC)
    last = parse_iso(store.sources.source_state(source.name).last_success)
    start = (last - timedelta(days=1)) if last else now - timedelta(days=FIRST_LOOKBACK_DAYS)
    return start.date().isoformat()


def collect_citations(source: Source, store: Store, client: PoliteClient, config: Config) -> SourceResult:
    """One pass of the citation watch: the works citing the catalog since the last run, as items."""
    reach = access(config, source)
    by_openalex, requests = catalog_openalex_ids(store, client, reach)
    result = SourceResult(requests=requests)
    if not by_openalex:
        result.warnings.append("no catalog entry is known to OpenAlex yet: nothing to watch")
        return result
    since = since_for(source, store)
    cites: dict[str, set[str]] = {}
    for batch in batches(sorted(by_openalex)):
        for page in citing_pages(client, reach, batch, since):
            result.requests += page.requests
            for work in page.works:
                item = work.to_item()
                if item is None:
                    continue
                result.items.append(item)
                cited = {by_openalex[r] for r in work.referenced_works if r in by_openalex}
                cites.setdefault(item.canonical_id, set()).update(cited - {item.canonical_id})
    store.scholarly.record_citations(source.name, cites)
    return result


@dataclass
class Enrichment:
    looked_up: int = 0
    filled: int = 0
    stopped: str | None = None  # why it stopped early (a spent budget, a failed request)


def enrich_queued(store: Store, client: PoliteClient, config: Config, limit: int = ENRICH_PER_CRAWL) -> Enrichment:
    """What OpenAlex knows of the queued papers without it, for their drafts; a failure stops it quietly
    (the fields stay as they were: typed by the curator)."""
    out = Enrichment()
    if not config.scholarly.enriching:
        return out
    reach = access(config)
    rows: list[dict[str, Any]] = []
    try:
        for work_id in store.scholarly.works_needing_meta(limit):
            work, _ = lookup(client, reach, _paper_ref(work_id) or "")
            out.looked_up += 1
            row: dict[str, Any] = {"work_id": work_id}
            if work is not None:
                row.update(openalex_id=work.openalex_id, affiliations=work.affiliations, doi=work.doi,
                           venue=work.venue, code_url=work.code_url)
                out.filled += int(any(row.get(k) for k in ("affiliations", "doi", "venue", "code_url")))
            rows.append(row)
    except (CrawlError, ValueError) as exc:
        out.stopped = str(exc)
        log.warning("drafts from OpenAlex: stopped: %s", exc)
    store.scholarly.save_meta(rows, OPENALEX)
    return out


# ---- the catalog's works, checked ---------------------------------------------------------------


@dataclass
class CheckReport:
    checked: int = 0
    requests: int = 0
    flags: int = 0
    errors: list[str] = field(default_factory=list)


def _same_words(text: str) -> str:
    return " ".join(text.split()).casefold()


def _flags_for(entry: Mapping[str, Any], before: dict[str, Any], now: ArxivRecord) -> list[dict[str, Any]]:
    """The news in ``now`` against ``before`` (a snapshot: version, title, withdrawn, journal_ref, doi)."""
    base = {"entry_id": entry["id"], "work_id": entry["work_id"]}
    out = []
    if now.version and before.get("version") and now.version > int(before["version"]):
        out.append({**base, "kind": "new_version", "detail": f"v{now.version} since accepted", "value": now.version})
    if now.withdrawn and not before.get("withdrawn"):
        out.append({**base, "kind": "withdrawn", "detail": "withdrawn on arXiv", "value": True})
    venue = now.journal_ref or (f"DOI {now.doi}" if now.doi else None)
    if venue and (now.journal_ref != before.get("journal_ref") or now.doi != before.get("doi")):
        out.append({**base, "kind": "published", "detail": f"published in {venue}",
                    "value": {"venue": now.journal_ref, "doi": now.doi}})
    if before.get("title") and _same_words(now.title) != _same_words(str(before["title"])):
        out.append({**base, "kind": "title_changed", "detail": f"title now: {now.title}", "value": now.title})
    return out


def check_catalog(store: Store, client: PoliteClient, config: Config) -> CheckReport:
    """Ask arXiv about every catalog work it hosts, flag what changed, remember what it said."""
    report = CheckReport()
    entries = {w: e for e in store.catalog.entries() if (w := e["work_id"] or "").startswith("arxiv:")}
    if not entries:
        return report
    watched = store.scholarly.watched(list(entries))
    seen = store.scholarly.baseline(list(entries))  # what the crawl saw, for works checked the first time
    ids = [w.removeprefix("arxiv:") for w in sorted(entries)]
    snapshots, flags = [], []
    try:
        for records, requests in lookup_ids(client, config.scholarly.arxiv_api, ids):
            report.requests += requests
            for record in records:
                work_id = f"arxiv:{record.arxiv_id}"
                if work_id not in entries:
                    continue
                report.checked += 1
                before = watched.get(work_id) or seen.get(work_id) or {}
                flags += _flags_for(entries[work_id], before, record)
                snapshots.append(
                    {
                        "work_id": work_id,
                        "version": record.version,
                        "title": record.title,
                        "withdrawn": record.withdrawn,
                        "journal_ref": record.journal_ref,
                        "doi": record.doi,
                    }
                )
    except CrawlError as exc:
        report.errors.append(str(exc))
    report.flags = store.scholarly.add_flags(flags)
    store.scholarly.save_watch(snapshots)
    return report


def apply_flag(store: Store, flag_id: int, by: str | None) -> str:
    """Apply a flag to its entry as a recorded catalog edit; returns what was done (one line)."""
    flag = store.scholarly.flag(flag_id)
    if flag is None or flag["resolved_at"] is not None:
        raise ValueError(f"no open flag {flag_id} (see `rsiwatch catalog flags`)")
    entry = store.catalog.catalog_entry(flag["entry_id"])
    if entry is None:
        raise ValueError(f"flag {flag_id}: entry {flag['entry_id']} no longer exists")
    change: dict[str, Any] = {}
    if flag["kind"] == "title_changed":
        change = {"title": flag["value"]}
    elif flag["kind"] == "published":
        extra = dict(entry.get("extra") or {})
        extra.update({k: v for k, v in (("Venue", flag["value"].get("venue")), ("DOI", flag["value"].get("doi"))) if v})
        change = {"extra": extra}
    elif flag["kind"] == "withdrawn":
        change = {"flags": sorted({*entry["flags"], "withdrawn-on-arxiv"})}
    changed = (
        store.catalog.catalog_edit(flag["entry_id"], change, origin=f"catalog check (flag {flag_id})", by=by)
        if change
        else []
    )
    store.scholarly.resolve_flag(flag_id, "applied", by)
    return (
        f"entry {flag['entry_id']}: {', '.join(changed)} updated"
        if changed
        else f"entry {flag['entry_id']}: noted ({flag['detail']}); nothing in the entry to change"
    )


def check_due(store: Store, config: Config, now: datetime | None = None) -> bool:
    """Whether the catalog check is due (``scholarly.check_every`` since the last one)."""
    from rsiwatch.config import parse_duration

    every = config.scholarly.check_every
    if every is None:
        return False
    last = store.scholarly.last_check()
    now = now or datetime.now(UTC)
    return last is None or (parse_iso(last) or now) + timedelta(seconds=parse_duration(every)) <= now

"""Catalog rows into the store: each entry with a source is also a work with a standing accept, so a
catalogued paper seen again in a feed is recognised and never queued as new.  The plan comes from
``catalog_import`` (pure), the writes are one store transaction."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from crawler.items import Item
from rsiwatch.catalog import SEED_CATALOG
from rsiwatch.catalog.entry_rules import CHECK_FLAGS, import_flags
from rsiwatch.catalog.formats import new_entry, read_catalog
from rsiwatch.catalog.import_plan import ImportReport, plan_import
from rsiwatch.config import Config
from rsiwatch.store import CatalogEntry, Store


def seed_path(config: Config) -> Path:
    """The catalog a new database starts from: the config's ``catalog_seed``, else the packaged one."""
    return Path(config.catalog_seed) if config.catalog_seed else SEED_CATALOG


def seed_catalog(store: Store, path: Path) -> int:
    """Load the starting catalog once; an existing catalog is never overwritten.  Returns the entries added
    (``CatalogFormatError`` for a file that cannot be read)."""
    if store.works.count("catalog"):
        return 0
    return len(import_entries(store, read_catalog(path), origin="seed").added)


def import_entries(
    store: Store, rows: list[dict[str, Any]], origin: str = "import", *, by: str | None = None, dry_run: bool = False,
) -> ImportReport:
    """Import rows of a catalog file (see ``catalog_import`` for the rules); ``origin`` is what the edit
    log and the decisions record (``seed``, ``import FILE``).  ``dry_run`` plans without writing."""
    existing = store.catalog.entries(withdrawn=True)
    rows, flagged = _prepared(store, rows, existing)
    plan, report = plan_import(rows, existing)
    report.flagged[:0] = flagged
    report.flagged_rows.update(row["line"] for row in rows if row.get("line") and _breaks_a_rule(row))
    report.accepted = _newly_accepted(store, plan.work_ids)
    if dry_run:
        return report
    _ingest_missing_works(store, rows, plan.work_ids, origin)
    store.catalog.apply_import(plan, origin, by)
    return report


def _prepared(
    store: Store, rows: list[dict[str, Any]], existing: list[CatalogEntry]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows titled and flagged as they will be imported, and the report's line for each flag."""
    # A public-list row has no Title column: a new entry for a work rsiwatch already knows takes the
    # work's title (of a work never seen, its description's first sentence, in ``new_entry``); an entry
    # the catalog has keeps its own, as every field the file does not carry.
    by_work = {e["work_id"]: e for e in existing if e.get("work_id")}
    titled = [row if row.get("work_id") in by_work else _titled(store, row) for row in rows]
    checked = [_checked(row, by_work.get(row.get("work_id") or "")) for row in titled]
    return [row for row, _ in checked], [line for _, lines in checked for line in lines]


def _newly_accepted(store: Store, work_ids: Iterable[str]) -> list[str]:
    """The works the plan names that the store knows and has not accepted yet (the import accepts them)."""
    statuses = {w: found["status"] if (found := store.works.work(w)) else None for w in work_ids}
    return [w for w, status in statuses.items() if status is not None and status != "accepted"]


def _ingest_missing_works(store: Store, rows: list[dict[str, Any]], work_ids: Collection[str], origin: str) -> None:
    """Each entry with a source the store has never seen becomes a work, so a feed mentioning it later
    recognises it (the entry's title, description and URL stand for the paper's)."""
    missing = {r["work_id"]: r for r in rows if r.get("work_id") in work_ids and store.works.work(r["work_id"]) is None}
    if not missing:
        return
    items = []
    for work_id, row in missing.items():
        entry = new_entry(row)
        items.append(Item(work_id, entry["title"], entry["description"], entry["url"] or "", key=work_id))
    store.works.ingest("catalog:seed" if origin == "seed" else "catalog:import", items)


def _checked(row: dict[str, Any], entry: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """The row with the flags of the rules it breaks (``entry_rules.import_flags``): kept, never dropped.
    A row that no longer breaks one clears its flag from the entry it updates."""
    found, lines = import_flags(row)
    base = list(row["flags"] if "flags" in row else (entry or {}).get("flags") or [])
    flags = [*(f for f in base if f not in CHECK_FLAGS), *found]
    if flags != base or "flags" in row:
        row = {**row, "flags": flags}
    return row, lines


def _breaks_a_rule(row: Mapping[str, Any]) -> bool:
    return any(flag in CHECK_FLAGS for flag in row.get("flags") or [])


def _titled(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    if (row.get("title") or "").strip() or not row.get("work_id"):
        return row
    work = store.works.work(row["work_id"])
    return {**row, "title": work["title"]} if work else row

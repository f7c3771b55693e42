"""Catalog entries into the store: each entry is also a work with a standing accept, so a catalogued
paper seen again in a feed is recognised and never queued as new."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crawler.items import Item
from rsiwatch.store import Store


def import_entries(store: Store, entries: Iterable[dict[str, Any]], origin: str = "import") -> int:
    """Add catalog entries (idempotent by work id); returns how many were added or updated."""
    count = 0
    for entry in entries:
        work_id = entry.get("work_id")
        if work_id:
            if store.work(work_id) is None:
                store.ingest(
                    f"catalog:{origin}",
                    [Item(work_id, entry["title"], entry.get("description") or "", entry.get("url") or "", key=work_id)],
                )
            if store.work(work_id)["status"] != "accepted":
                store.decide(work_id, "accept", category=entry.get("category"), note=f"catalog {origin}",
                             origin=origin, enqueue=False)
        store.catalog_add(entry, origin)
        count += 1
    return count

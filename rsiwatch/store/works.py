"""Works and sightings: one work per canonical id, however many sources saw it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from crawler.items import Item
from rsiwatch.store.base import (
    Database,
    IngestStats,
    Work,
    WorkText,
    _chunks,
    _sources_of,
    _work_dict,
    utcnow,
)
from rsiwatch.store.cjk import has_cjk


class Works:

    def __init__(self, db: Database) -> None:
        self.db = db

    def ingest(self, source: str, items: Sequence[Item], now: str | None = None) -> IngestStats:
        """Upsert works and record sightings in one transaction; a work is created once, whoever saw it."""
        now = now or utcnow()
        ids = list(dict.fromkeys(item.canonical_id for item in items))
        with self.db.transaction(durable=False) as conn:
            existing: set[str] = set()
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                existing.update(r[0] for r in conn.execute(f"SELECT id FROM works WHERE id IN ({marks})", chunk))
            new_rows: dict[str, tuple[Any, ...]] = {}
            # Each new work takes the next search-index rowid (schema migration 9: `works.doc`).
            doc = conn.execute("SELECT COALESCE(MAX(doc), 0) FROM works").fetchone()[0]
            for item in items:
                if item.canonical_id in existing or item.canonical_id in new_rows:
                    continue
                doc += 1
                new_rows[item.canonical_id] = (
                    item.canonical_id, item.title, item.summary, item.url, item.published,
                    json.dumps(list(item.authors)), json.dumps(list(item.links)), now, now, doc,
                )
            conn.executemany(
                "INSERT INTO works (id, title, summary, url, published, authors, links, first_seen, last_seen, doc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                list(new_rows.values()),
            )
            conn.executemany(  # the search index, text read back from `works` (migrations 6 and 9)
                "INSERT INTO works_fts (rowid, title, summary) VALUES (?, ?, ?)",
                [(row[9], row[1], row[2]) for row in new_rows.values()],
            )
            conn.executemany(  # and the trigram index, for the few with Chinese, Japanese or Korean text
                "INSERT INTO works_cjk (rowid, title, summary) VALUES (?, ?, ?)",
                [(row[9], row[1], row[2]) for row in new_rows.values() if has_cjk(row[1]) or has_cjk(row[2])],
            )
            known = [i for i in ids if i in existing]
            for chunk in _chunks(known, 500):
                marks = ",".join("?" * len(chunk))
                conn.execute(f"UPDATE works SET last_seen = ? WHERE id IN ({marks})", [now, *chunk])
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO sightings (work_id, source, item_key, url, title, seen_at, announce_type,"
                " version, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (item.canonical_id, source, item.key, item.url, item.title, now, item.announce_type, item.version,
                     item.via)
                    for item in items
                ],
            )
            new_sightings = conn.total_changes - before
        return IngestStats(len(items), list(new_rows), new_sightings, ids)

    def work(self, work_id: str) -> Work | None:
        row = self.db.one("SELECT * FROM works WHERE id = ?", (work_id,))
        return _work_dict(row) if row else None

    def texts(self, work_ids: Sequence[str]) -> list[WorkText]:
        out: list[WorkText] = []
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            out.extend(
                WorkText(r["id"], r["title"], r["summary"])
                for r in self.db.all(f"SELECT id, title, summary FROM works WHERE id IN ({marks})", chunk)
            )
        return out

    def open_work_ids(self) -> list[str]:
        """Works still awaiting a decision: these are rescored when the model changes."""
        return [r[0] for r in self.db.all("SELECT id FROM works WHERE status IN ('new', 'deferred')")]

    def sources_of(self, work_ids: Sequence[str]) -> dict[str, list[str]]:
        """Which sources mentioned each work (for per-source thresholds and filters)."""
        return _sources_of(self.db.conn, work_ids)

    def sighting_works(self, source: str, limit: int = 5_000) -> dict[str, str]:
        """Item key -> work id of a source's newest sightings (what a listing showed before, and as what)."""
        rows = self.db.all(
            "SELECT item_key, work_id FROM (SELECT id, item_key, work_id FROM sightings WHERE source = ?"
            " ORDER BY id DESC LIMIT ?) ORDER BY id",
            (source, limit),
        )
        return {r[0]: r[1] for r in rows}  # oldest first: a key seen twice keeps its newest work

    def sightings_of(self, work_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """``sightings`` of many works in one query (the queue page's cards), each work's in time order."""
        out: dict[str, list[dict[str, Any]]] = {w: [] for w in work_ids}
        for r in self.db.all(
            "SELECT * FROM sightings WHERE work_id IN (SELECT value FROM json_each(?)) ORDER BY seen_at",
            (json.dumps(list(work_ids)),),
        ):
            out[r["work_id"]].append(dict(r))
        return out

    def sightings(self, work_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.all("SELECT * FROM sightings WHERE work_id = ? ORDER BY seen_at", (work_id,))]

    def count(self, table: str) -> int:
        if table not in (
            "works",
            "sightings",
            "scores",
            "decisions",
            "catalog",
            "catalog_edits",
            "models",
            "sources",
            "fetches",
        ):
            raise ValueError(table)
        return self.db.value(f"SELECT COUNT(*) FROM {table}")

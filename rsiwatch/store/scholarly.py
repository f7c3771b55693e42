"""What the scholarly graph told us: OpenAlex ids of catalog works, who cites them, what OpenAlex knows of
a queued work (for its draft), what arXiv said of each catalog work at the last check, and the news
(flags) a check found for the curator."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rsiwatch.store.base import Database, _chunks, utcnow

CITES = "cites"  # the queue reason of a work citing enough catalog entries


class Scholarly:

    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- OpenAlex ids of catalog works ---------------------------------------------------------

    def openalex_ids(self, work_ids: Sequence[str]) -> dict[str, str | None]:
        """Work id -> OpenAlex id (None: looked up, unknown) for the works looked up before."""
        out: dict[str, str | None] = {}
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            out.update({r[0]: r[1] for r in self.db.all(
                f"SELECT work_id, openalex_id FROM openalex_ids WHERE work_id IN ({marks})", chunk)})
        return out

    def save_openalex_ids(self, found: Mapping[str, str | None]) -> None:
        now = utcnow()
        with self.db.transaction(durable=False) as conn:
            conn.executemany(
                "INSERT INTO openalex_ids (work_id, openalex_id, looked_up_at) VALUES (?, ?, ?) "
                "ON CONFLICT (work_id) DO UPDATE SET openalex_id = excluded.openalex_id, looked_up_at = "
                "excluded.looked_up_at",
                [(w, o, now) for w, o in found.items()],
            )

    # ---- citations ------------------------------------------------------------------------------

    def record_citations(self, source: str, cites: Mapping[str, Iterable[str]]) -> None:
        """Work id -> the catalog works it cites, as a source (the citation watch) read them."""
        now = utcnow()
        with self.db.transaction(durable=False) as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO citations (work_id, cited_work_id, source, seen_at) VALUES (?, ?, ?, ?)",
                [(w, c, source, now) for w, cited in cites.items() for c in cited],
            )

    def citations_of(self, work_ids: Sequence[str]) -> dict[str, list[str]]:
        """Per work, the catalog works it cites."""
        out: dict[str, list[str]] = {}
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.all(
                f"SELECT work_id, cited_work_id FROM citations WHERE work_id IN ({marks}) ORDER BY work_id, "
                "cited_work_id",
                chunk,
            ):
                out.setdefault(row[0], []).append(row[1])
        return out

    def queue_citing(self, since: str, min_cited: int) -> list[str]:
        """Queue (reason ``cites``) the undecided, unqueued, unmuted works seen citing since ``since`` that cite
        at least ``min_cited`` catalog entries.  Returns them."""
        if min_cited <= 0:
            return []
        now = utcnow()
        with self.db.transaction(durable=False) as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT c.work_id FROM citations c JOIN works w ON w.id = c.work_id "
                    "WHERE w.status = 'new' AND w.queued_at IS NULL AND w.muted_by IS NULL "
                    "AND c.work_id IN (SELECT work_id FROM citations WHERE seen_at >= ?) "
                    "GROUP BY c.work_id HAVING COUNT(*) >= ? ORDER BY c.work_id",
                    (since, min_cited),
                )
            ]
            conn.executemany(
                "UPDATE works SET queued_at = ?, queue_reason = ? WHERE id = ?", [(now, CITES, i) for i in ids]
            )
        return ids

    # ---- what OpenAlex knows of a queued work -------------------------------------------------

    def works_needing_meta(self, limit: int) -> list[str]:
        """Queued, undecided papers (arXiv or DOI) that nobody looked up yet, newest in the queue first."""
        return [
            r[0]
            for r in self.db.all(
                "SELECT w.id FROM works w LEFT JOIN work_meta m ON m.work_id = w.id WHERE w.queued_at IS NOT NULL "
                "AND w.status = 'new' AND m.work_id IS NULL AND (w.id LIKE 'arxiv:%' OR w.id LIKE 'doi:%') "
                "ORDER BY w.queued_at DESC, w.id LIMIT ?",
                (limit,),
            )
        ]

    def save_meta(self, rows: Sequence[Mapping[str, Any]], origin: str) -> None:
        now = utcnow()
        with self.db.transaction(durable=False) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO work_meta (work_id, openalex_id, affiliations, doi, venue, code_url, origin,"
                " fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r["work_id"],
                        r.get("openalex_id"),
                        r.get("affiliations"),
                        r.get("doi"),
                        r.get("venue"),
                        r.get("code_url"),
                        origin,
                        now,
                    )
                    for r in rows
                ],
            )

    def meta_of(self, work_id: str) -> dict[str, Any] | None:
        row = self.db.one("SELECT * FROM work_meta WHERE work_id = ?", (work_id,))
        return dict(row) if row is not None else None

    # ---- the catalog's works, checked ----------------------------------------------------------

    def watched(self, work_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            out.update(
                {
                    r["work_id"]: dict(r)
                    for r in self.db.all(f"SELECT * FROM catalog_watch WHERE work_id IN ({marks})", chunk)
                }
            )
        return out

    def baseline(self, work_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """What the crawl saw of works never checked: the highest arXiv version and the title."""
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.all(
                f"SELECT w.id, w.title, (SELECT MAX(g.version) FROM sightings g WHERE g.work_id = w.id) AS version"
                f" FROM works w WHERE w.id IN ({marks})",
                chunk,
            ):
                out[row["id"]] = {"version": row["version"], "title": row["title"]}
        return out

    def last_check(self) -> str | None:
        row = self.db.one("SELECT MAX(checked_at) FROM catalog_watch")
        return row[0] if row else None

    def save_watch(self, rows: Sequence[Mapping[str, Any]]) -> None:
        now = utcnow()
        with self.db.transaction(durable=False) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO catalog_watch (work_id, version, title, withdrawn, journal_ref, doi, "
                "checked_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r["work_id"],
                        r.get("version"),
                        r.get("title"),
                        int(bool(r.get("withdrawn"))),
                        r.get("journal_ref"),
                        r.get("doi"),
                        now,
                    )
                    for r in rows
                ],
            )

    def add_flags(self, flags: Sequence[Mapping[str, Any]]) -> int:
        """New flags, skipping one of the same kind and value already open or resolved for the entry."""
        now = utcnow()
        added = 0
        with self.db.transaction() as conn:
            for f in flags:
                value = json.dumps(f.get("value"), ensure_ascii=False)
                if conn.execute(
                    "SELECT 1 FROM catalog_flags WHERE entry_id = ? AND kind = ? AND value IS ?",
                    (f["entry_id"], f["kind"], value),
                ).fetchone():
                    continue
                conn.execute(
                    "INSERT INTO catalog_flags (entry_id, work_id, kind, detail, value, found_at) VALUES (?, ?, ?, ?, "
                    "?, ?)",
                    (f["entry_id"], f["work_id"], f["kind"], f["detail"], value, now),
                )
                added += 1
        return added

    def flags(self, *, open_only: bool = True) -> list[dict[str, Any]]:
        sql = "SELECT * FROM catalog_flags" + (" WHERE resolved_at IS NULL" if open_only else "") + " ORDER BY id"
        return [{**dict(r), "value": json.loads(r["value"]) if r["value"] else None} for r in self.db.all(sql)]

    def flag(self, flag_id: int) -> dict[str, Any] | None:
        row = self.db.one("SELECT * FROM catalog_flags WHERE id = ?", (flag_id,))
        return {**dict(row), "value": json.loads(row["value"]) if row["value"] else None} if row else None

    def resolve_flag(self, flag_id: int, resolution: str, by: str | None) -> bool:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE catalog_flags SET resolved_at = ?, resolution = ?, resolved_by = ? WHERE id = ? AND "
                "resolved_at IS NULL",
                (utcnow(), resolution, by, flag_id),
            )
        return bool(cur.rowcount)

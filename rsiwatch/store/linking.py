"""Title indexes for linking, backfill progress and submissions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from crawler.link import normalise_title
from rsiwatch.store.base import (
    Base,
    StoreError,
    _chunks,
    _standing_decisions,
    _work_dict,
    utcnow,
)


class Linking(Base):

    def index_titles(self) -> int:
        """Give every work its normalised title in ``work_titles`` (new works since the last call; all at first).

        Works arrive through ``ingest`` and elsewhere; catching up by rowid here keeps them all in the
        index without a trigger that would need Python.  Returns how many titles were added.
        """
        mark = self._one("SELECT COALESCE(MAX(works_rowid), 0) FROM work_titles")[0]
        rows = self._all("SELECT rowid, id, title FROM works WHERE rowid > ? ORDER BY rowid", (mark,))
        if not rows and self._one("SELECT COUNT(*) FROM work_titles")[0] >= self._one("SELECT COUNT(*) FROM works")[0]:
            return 0
        if not rows:  # rowids renumbered (VACUUM): find the works the index lacks
            rows = self._all(
                "SELECT rowid, id, title FROM works WHERE id NOT IN (SELECT work_id FROM work_titles) ORDER BY rowid"
            )
        titles = [(r["id"], normalise_title(r["title"]), r["rowid"]) for r in rows]
        with self.transaction(durable=False) as conn:
            conn.executemany("INSERT OR REPLACE INTO work_titles (work_id, norm, works_rowid) VALUES (?, ?, ?)", titles)
            conn.executemany("INSERT INTO titles_fts (work_id, norm) VALUES (?, ?)", [t[:2] for t in titles])
        return len(rows)

    def work_ids_by_title(self, norm_titles: Sequence[str]) -> dict[str, list[str]]:
        """Normalised title -> the works that have exactly it (``crawler.link.normalise_title``), one indexed read."""
        self.index_titles()
        out: dict[str, list[str]] = {}
        for chunk in _chunks(sorted({t for t in norm_titles if t}), 500):
            marks = ",".join("?" * len(chunk))
            for row in self._all(f"SELECT norm, work_id FROM work_titles WHERE norm IN ({marks}) ORDER BY work_id", chunk):
                out.setdefault(row[0], []).append(row[1])
        return out

    def similar_titles(self, norm_title: str, limit: int = 10) -> list[tuple[str, str]]:
        """(work id, normalised title) of works whose title holds the five longest words of ``norm_title``
        (titles-only full-text index): candidates for a near-duplicate match, which ``crawler.link`` measures."""
        words = sorted(set(norm_title.split()), key=lambda w: (-len(w), w))[:5]
        if not words:
            return []
        match = " ".join(f'"{w}"' for w in words)
        try:
            rows = self._all("SELECT work_id, norm FROM titles_fts WHERE titles_fts MATCH ? LIMIT ?", (match, limit))
        except sqlite3.OperationalError:
            return []
        return [(r[0], r[1]) for r in rows]

    def titles_of(self, work_ids: Sequence[str]) -> dict[str, str]:
        return {t.id: t.title for t in self.texts(work_ids)}

    def sightings_since_decision(self, work_id: str) -> dict[str, Any]:
        """A decided work's standing decision and the sightings that came after it (shown next to it).

        ``{"decision": {...} | None, "sightings": [...]}``; with no standing decision every sighting is new.
        """
        standing = _standing_decisions(self.conn, work_id)
        decision = dict(standing[-1]) if standing else None
        since = decision["decided_at"] if decision else ""
        rows = self._all(
            "SELECT * FROM sightings WHERE work_id = ? AND seen_at > ? ORDER BY seen_at, id", (work_id, since)
        )
        return {"decision": decision, "sightings": [dict(r) for r in rows]}

    def seen_again_after_decision(self, since: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Decided works with sightings newer than their status (newest first): "it came back, already decided"."""
        rows = self._all(
            """
            SELECT w.*, MAX(g.seen_at) AS seen_again_at, COUNT(g.id) AS new_sightings, d.decided_at,
                   json_group_array(DISTINCT g.source) AS again_sources
            FROM works w
            JOIN (SELECT work_id, MAX(decided_at) AS decided_at FROM decisions GROUP BY work_id) d ON d.work_id = w.id
            JOIN sightings g ON g.work_id = w.id AND g.seen_at > d.decided_at
            WHERE w.status != 'new' AND g.seen_at >= ?
            GROUP BY w.id ORDER BY seen_again_at DESC LIMIT ?
            """,
            (since or "", limit),
        )
        return [{**_work_dict(r), "sources": sorted(json.loads(r["again_sources"]))} for r in rows]

    def unscored_among(self, work_ids: Sequence[str]) -> list[str]:
        """The works among these that no model has scored yet (a page ingested before a crash, say)."""
        out: list[str] = []
        for chunk in _chunks(list(dict.fromkeys(work_ids)), 500):
            marks = ",".join("?" * len(chunk))
            out.extend(r[0] for r in self._all(f"SELECT id FROM works WHERE id IN ({marks}) AND score IS NULL", chunk))
        return out

    def backfill(self, key: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM backfills WHERE key = ?", (key,))
        return dict(row) if row else None

    def backfill_start(self, key: str, params: dict[str, Any]) -> dict[str, Any]:
        """The harvest named ``key``: the unfinished one to resume, else a new one (a finished one restarts)."""
        now = utcnow()
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM backfills WHERE key = ?", (key,)).fetchone()
            if row is not None and row["finished_at"] is None:
                return dict(row)
            conn.execute("DELETE FROM backfills WHERE key = ?", (key,))
            conn.execute(
                "INSERT INTO backfills (key, endpoint, metadata_prefix, set_spec, from_date, until_date, categories,"
                " started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, params["endpoint"], params["metadata_prefix"], params.get("set_spec"), params.get("from_date"),
                 params.get("until_date"), json.dumps(list(params.get("categories") or [])), now, now),
            )
            return dict(conn.execute("SELECT * FROM backfills WHERE key = ?", (key,)).fetchone())

    def backfill_page_done(
        self, backfill_id: int, token: str | None, *, records: int, new_works: int, new_candidates: int,
        complete_size: int | None = None, last_datestamp: str | None = None,
    ) -> None:
        """Record a page as harvested and keep the next resumption token (None: the list is complete)."""
        now = utcnow()
        with self.transaction(durable=False) as conn:
            conn.execute(
                "UPDATE backfills SET token = ?, pages = pages + 1, records = records + ?, new_works = new_works + ?,"
                " new_candidates = new_candidates + ?, complete_size = COALESCE(?, complete_size),"
                " last_datestamp = COALESCE(?, last_datestamp), updated_at = ?,"
                " finished_at = CASE WHEN ? IS NULL THEN ? ELSE NULL END WHERE id = ?",
                (token, records, new_works, new_candidates, complete_size, last_datestamp, now, token, now, backfill_id),
            )

    def backfills(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._all("SELECT * FROM backfills ORDER BY id")]

    def record_submission(self, work_id: str, url: str, note: str | None = None) -> dict[str, Any]:
        """Queue a submitted work whatever its score (``queue_reason='submitted'``) unless it was already
        decided; the submission itself is kept.  Returns the work's status and whether it is queued now."""
        now = utcnow()
        with self.transaction() as conn:
            work = conn.execute("SELECT status FROM works WHERE id = ?", (work_id,)).fetchone()
            if work is None:
                raise StoreError(f"no work with id {work_id!r}")
            conn.execute(
                "INSERT INTO submissions (work_id, url, note, submitted_at) VALUES (?, ?, ?, ?)", (work_id, url, note, now)
            )
            cur = conn.execute(
                "UPDATE works SET queued_at = COALESCE(queued_at, ?), queue_reason = 'submitted' "
                "WHERE id = ? AND status = 'new'",
                (now, work_id),
            )
            return {"status": work["status"], "queued": bool(cur.rowcount)}

    def submissions(self, work_id: str | None = None) -> list[dict[str, Any]]:
        if work_id:
            return [dict(r) for r in self._all("SELECT * FROM submissions WHERE work_id = ? ORDER BY id", (work_id,))]
        return [dict(r) for r in self._all("SELECT * FROM submissions ORDER BY id")]

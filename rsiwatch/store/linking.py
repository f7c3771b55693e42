"""Title indexes for linking, and backfill progress."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from crawler.link import normalise_title
from rsiwatch.store.base import (
    Database,
    _chunks,
    _work_dict,
    utcnow,
)
from rsiwatch.store.works import Works


class Linking:

    def __init__(self, db: Database, works: Works) -> None:
        self.db = db
        self.works = works  # for the titles of works the linker weighs against each other

    def index_titles(self) -> int:
        """Give every work its normalised title in ``work_titles`` (new works since the last call; all at first).

        Works arrive through ``ingest`` and elsewhere; catching up by rowid here keeps them all in the
        index without a trigger that would need Python.  Returns how many titles were added.
        """
        mark = self.db.value("SELECT COALESCE(MAX(works_rowid), 0) FROM work_titles")
        rows = self.db.all("SELECT rowid, id, title FROM works WHERE rowid > ? ORDER BY rowid", (mark,))
        if (
            not rows
            and self.db.value("SELECT COUNT(*) FROM work_titles") >= self.db.value("SELECT COUNT(*) FROM works")
        ):
            return 0
        if not rows:  # rowids renumbered (VACUUM): find the works the index lacks
            rows = self.db.all(
                "SELECT rowid, id, title FROM works WHERE id NOT IN (SELECT work_id FROM work_titles) ORDER BY rowid"
            )
        titles = [(r["id"], normalise_title(r["title"]), r["rowid"]) for r in rows]
        with self.db.transaction(durable=False) as conn:
            conn.executemany("INSERT OR REPLACE INTO work_titles (work_id, norm, works_rowid) VALUES (?, ?, ?)", titles)
            conn.executemany("INSERT INTO titles_fts (work_id, norm) VALUES (?, ?)", [t[:2] for t in titles])
        return len(rows)

    def work_ids_by_title(self, norm_titles: Sequence[str]) -> dict[str, list[str]]:
        """Normalised title -> the works that have exactly it (``crawler.link.normalise_title``), one indexed read."""
        self.index_titles()
        out: dict[str, list[str]] = {}
        for chunk in _chunks(sorted({t for t in norm_titles if t}), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.all(
                f"SELECT norm, work_id FROM work_titles WHERE norm IN ({marks}) ORDER BY work_id", chunk
            ):
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
            rows = self.db.all("SELECT work_id, norm FROM titles_fts WHERE titles_fts MATCH ? LIMIT ?", (match, limit))
        except sqlite3.OperationalError:
            return []
        return [(r[0], r[1]) for r in rows]

    def titles_of(self, work_ids: Sequence[str]) -> dict[str, str]:
        return {t.id: t.title for t in self.works.texts(work_ids)}

    def seen_again_after_decision(self, since: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Decided works with sightings newer than their status (newest first): "it came back, already decided"."""
        rows = self.db.all(
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
            out.extend(
                r[0] for r in self.db.all(f"SELECT id FROM works WHERE id IN ({marks}) AND score IS NULL", chunk)
            )
        return out

    def backfill_finished(self) -> list[bool]:
        """Per harvest of ``rsiwatch backfill`` ever started: whether it finished."""
        return [row[0] is not None for row in self.db.all("SELECT finished_at FROM backfills ORDER BY id")]

    def backfill_start(self, key: str, params: dict[str, Any]) -> dict[str, Any]:
        """The harvest named ``key``: the unfinished one to resume, else a new one (a finished one restarts)."""
        now = utcnow()
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM backfills WHERE key = ?", (key,)).fetchone()
            if row is not None and row["finished_at"] is None:
                return dict(row)
            conn.execute("DELETE FROM backfills WHERE key = ?", (key,))
            conn.execute(
                "INSERT INTO backfills (key, endpoint, metadata_prefix, set_spec, from_date, until_date, categories,"
                " started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    params["endpoint"],
                    params["metadata_prefix"],
                    params.get("set_spec"),
                    params.get("from_date"),
                    params.get("until_date"),
                    json.dumps(list(params.get("categories") or [])),
                    now,
                    now,
                ),
            )
            return dict(conn.execute("SELECT * FROM backfills WHERE key = ?", (key,)).fetchone())

    def backfill_page_done(
        self,
        backfill_id: int,
        token: str | None,
        *,
        records: int,
        new_works: int,
        new_candidates: int,
        complete_size: int | None = None,
        last_datestamp: str | None = None,
    ) -> None:
        """Record a page as harvested and keep the next resumption token (None: the list is complete)."""
        now = utcnow()
        with self.db.transaction(durable=False) as conn:
            conn.execute(
                "UPDATE backfills SET token = ?, pages = pages + 1, records = records + ?, new_works = new_works + ?,"
                " new_candidates = new_candidates + ?, complete_size = COALESCE(?, complete_size),"
                " last_datestamp = COALESCE(?, last_datestamp), updated_at = ?,"
                " finished_at = CASE WHEN ? IS NULL THEN ? ELSE NULL END WHERE id = ?",
                (
                    token,
                    records,
                    new_works,
                    new_candidates,
                    complete_size,
                    last_datestamp,
                    now,
                    token,
                    now,
                    backfill_id,
                ),
            )

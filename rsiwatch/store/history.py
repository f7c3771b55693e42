"""What tuning and the weekly audit read and write."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from rsiwatch.store.base import Database, _sources_of, is_catalog_load, utcnow


class History:

    def __init__(self, db: Database) -> None:
        self.db = db

    def review_history(self) -> list[dict[str, Any]]:
        """Each work's standing accept/reject/out-of-scope decision with the score it had then, for tuning.

        One row per work: ``label`` (1 accepted, 0 not), ``score`` and ``model_version`` at decision time,
        ``decided_at``, the work's ``first_seen`` and ``queue_reason``, and the sources that mentioned it.
        Catalog imports and seeds are left out (no score stood behind them), and so are works never scored.
        """
        reversed_ids = {r[0] for r in self.db.all("SELECT reverses FROM decisions WHERE action = 'undo'")}
        standing: dict[str, sqlite3.Row] = {}
        for row in self.db.all(
            "SELECT d.*, w.first_seen, w.queue_reason FROM decisions d JOIN works w ON w.id = d.work_id "
            "WHERE d.action != 'undo' ORDER BY d.id"
        ):
            if row["id"] not in reversed_ids:
                standing[row["work_id"]] = row
        kept = [
            r for r in standing.values()
            if r["action"] in ("accept", "reject", "out_of_scope") and r["score"] is not None
            and not is_catalog_load(r["origin"])
        ]
        sources = _sources_of(self.db.conn, [r["work_id"] for r in kept])
        return [
            {
                "work_id": r["work_id"],
                "label": 1 if r["action"] == "accept" else 0,
                "score": float(r["score"]),
                "model_version": r["model_version"],
                "decided_at": r["decided_at"],
                "first_seen": r["first_seen"],
                "queue_reason": r["queue_reason"],
                "origin": r["origin"],
                "sources": sorted(sources.get(r["work_id"], [])),
            }
            for r in kept
        ]

    def queue_works(self, work_ids: Sequence[str], reason: str, now: str | None = None) -> list[str]:
        """Put undecided, unqueued works into the review queue for ``reason`` (audit, uncertain)."""
        now = now or utcnow()
        queued: list[str] = []
        with self.db.transaction() as conn:
            for work_id in work_ids:
                cur = conn.execute(
                    "UPDATE works SET queued_at = ?, queue_reason = ? WHERE id = ? AND queued_at IS NULL AND status = "
                    "'new'",
                    (now, reason, work_id),
                )
                if cur.rowcount:
                    queued.append(work_id)
        return queued

    def unqueued_at_or_above(self, threshold: float, since: str) -> list[str]:
        """Undecided, unqueued works first seen since ``since`` whose latest score reaches ``threshold``."""
        rows = self.db.all(
            "SELECT id FROM works WHERE first_seen >= ? AND queued_at IS NULL AND status = 'new' AND score >= ?"
            " AND muted_by IS NULL"
            " ORDER BY score DESC",
            (since, threshold),
        )
        return [r[0] for r in rows]

    def below_threshold_pool(self, start: str, end: str) -> list[dict[str, Any]]:
        """Works first seen in [start, end) that nobody queued or decided, with their score and threshold.

        The threshold is the one recorded with the work's latest score; the audit draws from these.  A
        muted work is here whatever its score (``muted``): what a rule keeps out is audited too.
        """
        rows = self.db.all(
            "SELECT w.id, w.score, s.threshold, w.muted_by IS NOT NULL AS muted FROM works w "
            "JOIN scores s ON s.work_id = w.id AND s.model_version = w.model_version "
            "WHERE w.first_seen >= ? AND w.first_seen < ? AND w.queued_at IS NULL AND w.status = 'new' "
            "AND w.score IS NOT NULL ORDER BY w.id",
            (start, end),
        )
        return [dict(r) for r in rows]

    def queued_count(self, start: str, end: str, reason: str) -> int:
        """Works first seen in [start, end) that joined the queue for ``reason``."""
        return self.db.value(
            "SELECT COUNT(*) FROM works WHERE first_seen >= ? AND first_seen < ? AND queue_reason = ?",
            (start, end, reason),
        )

    def stream_scores(self, since: str) -> list[tuple[str, float]]:
        """(first_seen, latest score) of every scored work first seen since then: the weekly load and drift."""
        return [
            (r[0], float(r[1]))
            for r in self.db.all(
                "SELECT first_seen, score FROM works WHERE first_seen >= ? AND score IS NOT NULL ORDER BY first_seen",
                (since,),
            )
        ]

    def first_work_seen(self) -> str | None:
        row = self.db.one("SELECT MIN(first_seen) FROM works")
        return row[0] if row else None

    def setting_history(self, key: str) -> list[dict[str, Any]]:
        """Every value a setting has had, oldest first, with when and why it was set."""
        return [
            {"value": json.loads(r["value"]), "set_at": r["set_at"], "reason": r["reason"]}
            for r in self.db.all("SELECT value, set_at, reason FROM settings WHERE key = ? ORDER BY rowid", (key,))
        ]

    def stream_months(self) -> list[tuple[str, int, int]]:
        """(YYYY-MM, works, works queued for their score) of the scored arXiv stream, by month published
        (first seen when the feed gave no date): the trend's population.  Works known only from a catalog
        import are left out: nobody watched them arrive."""
        rows = self.db.all(
            "SELECT substr(COALESCE(w.published, w.first_seen), 1, 7) AS month, COUNT(*),"
            " SUM(w.queue_reason IS 'score') FROM works w WHERE w.id LIKE 'arxiv:%' AND w.score IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM sightings s WHERE s.work_id = w.id AND s.source NOT LIKE 'catalog:%')"
            " GROUP BY month ORDER BY month"
        )
        return [(r[0], int(r[1]), int(r[2] or 0)) for r in rows]

    def published_dates(self, work_ids: Sequence[str]) -> dict[str, str]:
        """Work id -> its date published (first seen when unknown)."""
        out: dict[str, str] = {}
        ids = list(work_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for r in self.db.all(
                f"SELECT id, COALESCE(published, first_seen) FROM works WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ):
                out[r[0]] = r[1]
        return out

"""Scores with their model version and threshold, and the queue they feed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rsiwatch.store.base import (
    Database,
    Work,
    _chunks,
    _pairs,
    _work_dict,
    utcnow,
)
from rsiwatch.store.discussion import QUEUE_ORDERS
from rsiwatch.store.queue import queue_filter

if TYPE_CHECKING:  # the classifier (scikit-learn) is not imported to open a store
    from classifier import Scored


class Scores:

    def __init__(self, db: Database) -> None:
        self.db = db

    def record_scores(
        self, model_version: int, scored: Sequence[Scored], thresholds: dict[str, float], *, queue: bool = True
    ) -> list[str]:
        """Store each score with its model version and threshold; queue undecided works above it.

        ``scored`` holds ``classifier.Scored`` values; ``thresholds`` maps work id to the threshold that
        applies to it.  Returns the ids that joined the queue now.
        """
        now = utcnow()
        queued: list[str] = []
        with self.db.transaction(durable=False) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO scores (work_id, model_version, score, threshold, category,"
                " category_confidence, category_fits, why, nearest, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        s.id, model_version, float(s.score), thresholds[s.id], s.category,
                        float(s.category_confidence), int(s.category_fits), json.dumps(_pairs(s.why)),
                        json.dumps(_pairs(s.nearest)), now,
                    )
                    for s in scored
                ],
            )
            conn.executemany(
                "UPDATE works SET score = ?, model_version = ?, category = ? WHERE id = ?",
                [(float(s.score), model_version, s.category, s.id) for s in scored],
            )
            if queue:
                for s in scored:
                    if s.score < thresholds[s.id]:
                        continue
                    cur = conn.execute(
                        "UPDATE works SET queued_at = ?, queue_reason = 'score' "
                        "WHERE id = ? AND queued_at IS NULL AND status = 'new' AND muted_by IS NULL",
                        (now, s.id),
                    )
                    if cur.rowcount:
                        queued.append(s.id)
        return queued

    def unqueue_below_threshold(self, since: str) -> list[str]:
        """Take out of the queue the undecided works queued for their score since ``since`` whose latest
        score no longer reaches the threshold recorded with it (what a rolled-back model alone put there).

        Decided and deferred works, and works queued for another reason (audit, submitted), stay.
        """
        with self.db.transaction() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT w.id FROM works w JOIN scores s ON s.work_id = w.id AND s.model_version = w.model_version "
                    "WHERE w.status = 'new' AND w.queue_reason = 'score' AND w.queued_at >= ? AND w.score < "
                    "s.threshold",
                    (since,),
                )
            ]
            conn.executemany("UPDATE works SET queued_at = NULL, queue_reason = NULL WHERE id = ?", [(i,) for i in ids])
        return ids

    def queue_reasons_now(self, work_ids: Sequence[str]) -> dict[str, str | None]:
        """Each work's queue reason as true today (``reason_now``), in one query per 500 works; a work
        not in the store is left out."""
        out: dict[str, str | None] = {}
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            rows = self.db.all(
                "SELECT w.id, w.queue_reason, w.score, s.threshold, CASE WHEN w.queue_reason = 'score' THEN"
                # the score recorded when it was queued (same moment: ``record_scores``)
                " (SELECT q.model_version FROM scores q WHERE q.work_id = w.id AND q.scored_at <= w.queued_at"
                "  AND q.score >= q.threshold ORDER BY q.scored_at DESC, q.model_version DESC LIMIT 1)"
                " END AS queued_by"
                " FROM works w LEFT JOIN scores s ON s.work_id = w.id AND s.model_version = w.model_version"
                f" WHERE w.id IN ({marks})",
                chunk,
            )
            out.update(
                (r["id"], reason_now(r["queue_reason"], r["score"], r["threshold"], r["queued_by"])) for r in rows
            )
        return out

    def queued_among(self, work_ids: Sequence[str]) -> list[str]:
        """The given works that are in the queue (whatever their status)."""
        out: list[str] = []
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            out += [
                r[0]
                for r in self.db.all(f"SELECT id FROM works WHERE id IN ({marks}) AND queued_at IS NOT NULL", chunk)
            ]
        return out

    def save_explanations(self, model_version: int, scored: Sequence[Any]) -> int:
        """Fill in why-terms and nearest entries of scores recorded without them (``classifier.Scored``)."""
        with self.db.transaction(durable=False) as conn:
            before = conn.total_changes
            conn.executemany(
                "UPDATE scores SET why = ?, nearest = ? WHERE work_id = ? AND model_version = ?",
                [(json.dumps(_pairs(s.why)), json.dumps(_pairs(s.nearest)), s.id, model_version) for s in scored],
            )
            return conn.total_changes - before

    def candidates(
        self,
        status: str = "new",
        since: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
        source: str | None = None,
        category: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        order: str = "score",
    ) -> list[Work]:
        """The review queue, best first (the review page's filters, ``queue_filter``); ``order`` names one of
        ``QUEUE_ORDERS`` (score, discussion)."""
        table, condition, params = queue_filter(
            status, source=source, category=category, min_score=min_score, max_score=max_score, since=since
        )
        sql = f"SELECT w.* FROM {table} WHERE {condition} ORDER BY {QUEUE_ORDERS[order]}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [_work_dict(r) for r in self.db.all(sql, params)]

    def candidate_count(
        self, status: str = "new", since: str | None = None, source: str | None = None, category: str | None = None
    ) -> int:
        """How many works ``candidates`` would list without a limit (to say when a listing is cut)."""
        table, condition, params = queue_filter(status, source=source, category=category, since=since)
        return int(self.db.value(f"SELECT COUNT(*) FROM {table} WHERE {condition}", params))

    def latest_scores(self, work_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``latest_score`` of many works in one query (the queue page's cards); works without one are absent."""
        rows = self.db.all(
            "SELECT s.* FROM scores s JOIN works w ON w.id = s.work_id AND w.model_version = s.model_version "
            "WHERE s.work_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(work_ids)),),
        )
        out: dict[str, dict[str, Any]] = {}
        for row in rows:
            if row["work_id"] not in out:
                score = dict(row)
                score["why"] = json.loads(score["why"])
                score["nearest"] = json.loads(score["nearest"])
                out[row["work_id"]] = score
        return out

    def latest_score(self, work_id: str) -> dict[str, Any] | None:
        row = self.db.one(
            "SELECT s.* FROM scores s JOIN works w ON w.id = s.work_id AND w.model_version = s.model_version "
            "WHERE s.work_id = ?",
            (work_id,),
        )
        if row is None:
            return None
        out = dict(row)
        out["why"] = json.loads(out["why"])
        out["nearest"] = json.loads(out["nearest"])
        return out


def reason_now(queue_reason: str | None, score: float, threshold: float | None, queued_by: int | None) -> str | None:
    """A work's queue reason as true today: a work queued for its score whose score a later model put below
    the threshold says which model queued it (``queued_by``: "score under model 1"), not plain "score"."""
    if queue_reason != "score" or threshold is None or score >= threshold:
        return queue_reason
    return f"score under model {queued_by}" if queued_by is not None else "score under an earlier model"

"""What the curator's rules did: works muted (``works.muted_by``), works pinned into the queue, and the
record of each match (``rule_matches``) that the card and ``tune`` read."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rsiwatch.store.base import Database, _chunks, utcnow

# Queue reasons a mute may take a work out for: what the model or the discussion put there.  A
# submission, a pin and the audit's draws stay (the audit is what keeps the recall estimate honest).
MUTABLE_REASONS = ("score", "uncertain", "discussed")
PINNED = "pinned"


class RuleMatches:

    def __init__(self, db: Database) -> None:
        self.db = db

    def facts(self, work_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Per undecided work: id, title, summary, authors (a list), category, the sources that saw it, and
        the mute rule that holds it (``muted_by``)."""
        out: list[dict[str, Any]] = []
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            out += self._facts(f"w.id IN ({marks}) AND w.status = 'new'", chunk)
        return out

    def facts_since(self, since: str) -> list[dict[str, Any]]:
        """``facts`` of every work first seen since ``since``, decided or not, with ``status``, ``queued_at``
        and ``queue_reason``: what ``rules test`` previews a rule on."""
        return self._facts("w.first_seen >= ?", [since])

    def _facts(self, condition: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        sources: dict[str, set[str]] = {}
        for row in self.db.all(
            f"SELECT g.work_id, g.source FROM sightings g JOIN works w ON w.id = g.work_id WHERE {condition}", params
        ):
            sources.setdefault(row[0], set()).add(row[1])
        return [
            {
                "id": row["id"], "title": row["title"], "summary": row["summary"],
                "authors": json.loads(row["authors"] or "[]"), "category": row["category"],
                "sources": sorted(sources.get(row["id"], ())), "muted_by": row["muted_by"],
                "status": row["status"], "queued_at": row["queued_at"], "queue_reason": row["queue_reason"],
            }
            for row in self.db.all(
                "SELECT w.id, w.title, w.summary, w.authors, w.category, w.muted_by, w.status, w.queued_at,"
                f" w.queue_reason FROM works w WHERE {condition} ORDER BY w.id", params
            )
        ]

    def mark_muted(self, muted: Mapping[str, str | None]) -> list[str]:
        """Set (a rule's label) or clear (None) ``muted_by`` of undecided works; a newly muted work queued
        by the model or the discussion leaves the queue.  Returns the works taken out of the queue."""
        now = utcnow()
        removed: list[str] = []
        with self.db.transaction(durable=False) as conn:
            for work_id, label in muted.items():
                row = conn.execute("SELECT muted_by, queued_at, queue_reason, status FROM works WHERE id = ?",
                                   (work_id,)).fetchone()
                if row is None or row["status"] != "new" or row["muted_by"] == label:
                    continue
                conn.execute("UPDATE works SET muted_by = ? WHERE id = ?", (label, work_id))
                if label is None:  # the mute is gone: the work stands on its score again
                    conn.execute(
                        "UPDATE works SET queued_at = ?, queue_reason = 'score' WHERE id = ? AND queued_at IS NULL"
                        " AND score >= (SELECT s.threshold FROM scores s WHERE s.work_id = works.id"
                        " AND s.model_version = works.model_version)", (now, work_id))
                    continue
                effect = "kept_out"
                if row["queued_at"] is not None and row["queue_reason"] in MUTABLE_REASONS:
                    conn.execute("UPDATE works SET queued_at = NULL, queue_reason = NULL WHERE id = ?", (work_id,))
                    removed.append(work_id)
                    effect = "removed"
                self._record(conn, work_id, label, "mute", effect, now)
        return removed

    def muted_by_rule(self, label: str) -> list[str]:
        """The undecided works a mute rule holds out of the queue."""
        return [r[0] for r in self.db.all("SELECT id FROM works WHERE muted_by = ? AND status = 'new'", (label,))]

    def any_muted(self) -> bool:
        return self.db.one("SELECT 1 FROM works WHERE muted_by IS NOT NULL LIMIT 1") is not None

    def pin(self, pinned: Mapping[str, str]) -> list[str]:
        """Queue undecided works a pin matched (reason ``pinned``) unless they are queued already; record the
        match either way.  Returns the works the pins added to the queue."""
        now = utcnow()
        added: list[str] = []
        with self.db.transaction(durable=False) as conn:
            for work_id, label in pinned.items():
                cur = conn.execute(
                    "UPDATE works SET queued_at = ?, queue_reason = ? WHERE id = ? AND queued_at IS NULL "
                    "AND status = 'new'", (now, PINNED, work_id))
                if cur.rowcount:
                    added.append(work_id)
                self._record(conn, work_id, label, "pin", "added" if cur.rowcount else "none", now)
        return added

    @staticmethod
    def _record(conn: Any, work_id: str, label: str, action: str, effect: str, now: str) -> None:
        # The first effect of a rule on a work is what it did; a later pass that finds it done says "none".
        conn.execute(
            "INSERT INTO rule_matches (work_id, rule, action, effect, matched_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (work_id, rule) DO UPDATE SET effect = excluded.effect, matched_at = excluded.matched_at "
            "WHERE rule_matches.effect = 'none'",
            (work_id, label, action, effect, now),
        )

    def labels_of(self, work_ids: Sequence[str]) -> dict[str, list[str]]:
        """Per work, the rules that matched it (pins first), for its card."""
        out: dict[str, list[str]] = {}
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.all(
                f"SELECT work_id, rule FROM rule_matches WHERE work_id IN ({marks}) ORDER BY action DESC, rule",
                chunk,
            ):
                out.setdefault(row[0], []).append(row[1])
        return out

    def effects(self) -> list[dict[str, Any]]:
        """Per rule: works it added to the queue and took out or kept out, with the decisions they got."""
        rows = self.db.all(
            "SELECT m.rule, m.action, m.effect, w.status FROM rule_matches m JOIN works w ON w.id = m.work_id "
            "WHERE m.effect != 'none'"
        )
        per_rule: dict[str, dict[str, Any]] = {}
        for row in rows:
            figures = per_rule.setdefault(row["rule"], {
                "rule": row["rule"], "action": row["action"], "added": 0, "removed": 0, "kept_out": 0,
                "accepted": 0, "rejected": 0,
            })
            figures[row["effect"]] += 1
            if row["status"] == "accepted":
                figures["accepted"] += 1
            elif row["status"] in ("rejected", "out_of_scope"):
                figures["rejected"] += 1
        return sorted(per_rule.values(), key=lambda f: f["rule"])

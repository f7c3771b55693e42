"""Decisions: appended, never rewritten; a work's status follows its latest."""

from __future__ import annotations

from typing import Any

from rsiwatch.store.base import (
    STATUS_OF_ACTION,
    Base,
    StoreError,
    WorkText,
    _append_decision,
    _standing_decisions,
    _upsert_catalog,
    utcnow,
)


class Decisions(Base):

    def decide(
        self, work_id: str, action: str, *, category: str | None = None, note: str | None = None, origin: str = "cli",
        enqueue: bool = True,
    ) -> int:
        """Append a decision about a work and update its status; returns the decision id.

        ``enqueue=False`` records a decision without making the work a queue entry (catalog imports).
        """
        with self.transaction() as conn:
            return _append_decision(conn, work_id, action, category, note, origin, enqueue)

    def accept(self, work_id: str, entry: dict[str, Any], *, note: str | None = None, origin: str = "cli") -> tuple[int, int]:
        """Accept a work and save its catalog entry in one transaction: never one without the other.

        Returns (decision id, catalog id).
        """
        with self.transaction() as conn:
            decision = _append_decision(conn, work_id, "accept", entry.get("category"), note, origin, True)
            catalog_id = _upsert_catalog(conn, {**entry, "work_id": work_id}, "accept")
            return decision, catalog_id

    def undo(self, work_id: str, *, origin: str = "cli") -> str:
        """Append a reversal of the work's latest standing decision; returns the status it goes back to."""
        with self.transaction() as conn:
            standing = _standing_decisions(conn, work_id)
            if not standing:
                raise StoreError(f"{work_id}: no decision to undo")
            target = standing[-1]
            conn.execute(
                "INSERT INTO decisions (work_id, action, reverses, decided_at, origin) VALUES (?, 'undo', ?, ?, ?)",
                (work_id, target["id"], utcnow(), origin),
            )
            status = STATUS_OF_ACTION[standing[-2]["action"]] if len(standing) > 1 else "new"
            conn.execute("UPDATE works SET status = ? WHERE id = ?", (status, work_id))
            if target["action"] == "accept" and status != "accepted":
                conn.execute("DELETE FROM catalog WHERE work_id = ? AND origin = 'accept'", (work_id,))
            return status

    def decisions(self, work_id: str | None = None) -> list[dict[str, Any]]:
        if work_id:
            return [dict(r) for r in self._all("SELECT * FROM decisions WHERE work_id = ? ORDER BY id", (work_id,))]
        return [dict(r) for r in self._all("SELECT * FROM decisions ORDER BY id")]

    def decisions_since(self, moment: str) -> int:
        return self._one("SELECT COUNT(*) FROM decisions WHERE decided_at > ?", (moment,))[0]

    def labelled_work_ids(self) -> dict[str, int]:
        """Work id -> label from the standing decisions: accept 1; reject and out-of-scope 0; defer none."""
        labels: dict[str, int] = {}
        for row in self._all("SELECT id, status FROM works WHERE status IN ('accepted', 'rejected', 'out_of_scope')"):
            labels[row["id"]] = 1 if row["status"] == "accepted" else 0
        return labels

    def pool_size(self) -> int:
        return self._one("SELECT COUNT(*) FROM works WHERE status IN ('new', 'deferred')")[0]

    def pool_texts(self, limit: int | None = None) -> list[WorkText]:
        """Undecided works: the unlabelled pool the classifier learns the stream from."""
        sql = "SELECT id, title, summary FROM works WHERE status IN ('new', 'deferred') ORDER BY first_seen DESC"
        rows = self._all(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ())
        return [WorkText(r["id"], r["title"], r["summary"]) for r in rows]

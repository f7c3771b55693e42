"""Decisions: appended, never rewritten; a work's status follows its latest."""

from __future__ import annotations

from typing import Any

from rsiwatch.store.base import Database, WorkText
from rsiwatch.store.entries import (
    CATALOG_FIELDS,
    CatalogEntry,
    append_decision,
    edit_entry,
    entry_dict,
    entry_of_work,
    entry_values,
    insert_entry,
    latest_decision,
    undo_decision,
)
from rsiwatch.store.submissions import first_submitter


class Decisions:

    def __init__(self, db: Database) -> None:
        self.db = db

    def decide(
        self, work_id: str, action: str, *, category: str | None = None, note: str | None = None, origin: str = "cli",
        enqueue: bool = True, by: str | None = None, seen: int | None = None,
    ) -> int:
        """Append a decision about a work and update its status (and its entry: a decision other than an
        accept takes it off the published catalog); returns the decision id.

        ``enqueue=False`` records a decision without making the work a queue entry (catalog imports).
        ``seen`` is the latest decision id the caller showed (0: none): if another came since, the decision
        is refused with ``StaleDecision``; ``None`` decides whatever stands.
        """
        with self.db.transaction() as conn:
            return append_decision(conn, work_id, action, category, note, origin, enqueue, by=by, seen=seen)

    def accept(
        self, work_id: str, entry: dict[str, Any], *, note: str | None = None, origin: str = "cli",
        by: str | None = None, seen: int | None = None,
    ) -> tuple[int, int]:
        """Accept a work and save its catalog entry in one transaction: never one without the other.

        A work that already has an entry keeps it (and its ID): the fields ``entry`` carries are set on it
        and logged with the decision, so an undo puts the entry back as it was.  The note is the curator's
        reason, kept with the decision only; it never reaches the entry.  Returns (decision id, catalog id).
        """
        with self.db.transaction() as conn:
            decision = append_decision(conn, work_id, "accept", entry.get("category"), note, origin, True, by=by,
                                       seen=seen)
            row = entry_of_work(conn, work_id)
            if row is None:  # a work someone sent in credits them, unless the curator named a submitter
                credited = entry.get("submitter") or first_submitter(conn, work_id)
                return decision, insert_entry(conn, {**entry, "work_id": work_id, "submitter": credited}, "accept")
            given = entry_values({k: v for k, v in entry.items() if k in CATALOG_FIELDS or k in ("flags", "extra")})
            given.pop("work_id", None)
            edit_entry(conn, row["id"], given, origin, by, decision)
            return decision, int(row["id"])

    def undo(self, work_id: str, *, origin: str = "cli", by: str | None = None, seen: int | None = None) -> str:
        """Append a reversal of the work's latest standing decision; returns the status it goes back to.

        The entry follows: values the reversed decision changed are restored, and it is published again
        exactly when the status goes back to accepted."""
        with self.db.transaction() as conn:
            return undo_decision(conn, work_id, origin, by, seen)[0]

    def latest_decision_id(self, work_id: str) -> int:
        """The newest decision about a work (an undo included), 0 for none: the state a page shows."""
        row = latest_decision(self.db.conn, work_id)
        return int(row["id"]) if row else 0

    def work_entry(self, work_id: str) -> CatalogEntry | None:
        """The work's catalog entry, published or withdrawn."""
        row = entry_of_work(self.db.conn, work_id)
        return entry_dict(row) if row else None

    def decisions_since(self, moment: str) -> int:
        return self.db.value("SELECT COUNT(*) FROM decisions WHERE decided_at > ?", (moment,))

    def labelled_work_ids(self) -> dict[str, int]:
        """Work id -> label from the standing decisions: accept 1; reject and out-of-scope 0; defer none."""
        labels: dict[str, int] = {}
        for row in self.db.all("SELECT id, status FROM works WHERE status IN ('accepted', 'rejected', 'out_of_scope')"):
            labels[row["id"]] = 1 if row["status"] == "accepted" else 0
        return labels

    def pool_size(self) -> int:
        return self.db.value("SELECT COUNT(*) FROM works WHERE status IN ('new', 'deferred')")

    def pool_texts(self, limit: int | None = None) -> list[WorkText]:
        """Undecided works: the unlabelled pool the classifier learns the stream from."""
        sql = "SELECT id, title, summary FROM works WHERE status IN ('new', 'deferred') ORDER BY first_seen DESC"
        rows = self.db.all(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ())
        return [WorkText(r["id"], r["title"], r["summary"]) for r in rows]

"""The catalog, the log of its edits, imports applied in one transaction, and the consistency check."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rsiwatch.store.base import STATUS_OF_ACTION, Database, _chunks
from rsiwatch.store.entries import (
    CATALOG_FIELDS,
    CatalogEntry,
    append_decision,
    edit_entry,
    entry_dict,
    entry_values,
    insert_entry,
    log_edit,
)


@dataclass
class ImportPlan:
    """What an import does, decided beforehand (``rsiwatch.catalog.import_plan``) so ``--dry-run`` can show it.

    ``moves``: existing entry ID -> its new ID; ``updates``: final ID -> fields (decoded) to set on the entry
    that ends up there; ``inserts``: final ID -> a new entry.  Works named by rows are accepted if they are
    not already.
    """

    moves: dict[int, int] = field(default_factory=dict)
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    inserts: dict[int, dict[str, Any]] = field(default_factory=dict)
    work_ids: list[str] = field(default_factory=list)
    reviewers: dict[str, str] = field(default_factory=dict)  # work -> who accepted it, as the file says


class Catalog:

    def __init__(self, db: Database) -> None:
        self.db = db

    def entries(self, *, withdrawn: bool = False) -> list[CatalogEntry]:
        """The published catalog; ``withdrawn=True`` adds the entries taken off it (kept, never erased)."""
        where = "" if withdrawn else " WHERE withdrawn_at IS NULL"
        # Who accepted it: the curator of the work's standing accept (none for seed and imported entries).
        return [entry_dict(r) for r in self.db.all(
            "SELECT catalog.*, (SELECT d.decided_by FROM decisions d WHERE d.work_id = catalog.work_id"
            " AND d.action = 'accept' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.reverses = d.id)"
            " ORDER BY d.id DESC LIMIT 1) AS reviewed_by,"
            # When the entry last changed (the feed's <updated>): its latest logged edit, else when it was added.
            " COALESCE((SELECT MAX(e.edited_at) FROM catalog_edits e WHERE e.entry_id = catalog.id), catalog.added_at)"
            f" AS changed_at FROM catalog{where} ORDER BY id"
        )]

    def withdrawn_ids(self) -> frozenset[int]:
        """The entries taken off the published catalog by a decision (kept, with ``withdrawn_at``)."""
        return frozenset(r[0] for r in self.db.all("SELECT id FROM catalog WHERE withdrawn_at IS NOT NULL"))

    def titles_of(self, work_ids: Sequence[str]) -> dict[str, str]:
        """The published entries' titles of these works (a work without one is left out)."""
        out: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(work_ids)), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.all(
                f"SELECT work_id, title FROM catalog WHERE withdrawn_at IS NULL AND work_id IN ({marks})", chunk
            ):
                out[row[0]] = row[1]
        return out

    def catalog_counts(self) -> tuple[int, int]:
        """(published entries, withdrawn ones): the one count every command and page shows."""
        row = self.db.one("SELECT COUNT(*) - COUNT(withdrawn_at), COUNT(withdrawn_at) FROM catalog")
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def catalog_entry(self, entry_id: int) -> CatalogEntry | None:
        row = self.db.one("SELECT * FROM catalog WHERE id = ?", (entry_id,))
        return entry_dict(row) if row else None

    def catalog_edit(
        self, entry_id: int, entry: dict[str, Any], origin: str, by: str | None = None
    ) -> list[str] | None:
        """Set an entry's fields (never its ID or work) and log the old values; returns the fields that
        changed (empty: nothing did), or None when there is no such entry."""
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM catalog WHERE id = ?", (entry_id,)).fetchone() is None:
                return None
            new = entry_values({k: v for k, v in entry.items() if k in CATALOG_FIELDS or k in ("flags", "extra")})
            new.pop("work_id", None)  # an entry stays the entry of its work
            return edit_entry(conn, entry_id, new, origin, by)

    def catalog_edits(self, entry_id: int) -> list[dict[str, Any]]:
        rows = self.db.all("SELECT * FROM catalog_edits WHERE entry_id = ? ORDER BY id", (entry_id,))
        return [{**dict(r), "before": json.loads(r["before"]), "after": json.loads(r["after"])} for r in rows]

    def apply_import(self, plan: ImportPlan, origin: str, by: str | None) -> None:
        """Apply a planned import in one transaction: IDs moved (each move logged), works accepted, entries
        updated (each change logged with ``origin``) and added.  No entry is deleted."""
        with self.db.transaction() as conn:
            # Through negative IDs first, so entries may swap IDs without colliding.
            for old in plan.moves:
                conn.execute("UPDATE catalog SET id = ? WHERE id = ?", (-old, old))
            for old, new in plan.moves.items():
                conn.execute("UPDATE catalog SET id = ? WHERE id = ?", (new, -old))
                log_edit(conn, new, {"id": old}, {"id": new}, origin, by)
            accepted: dict[str, int] = {}
            for work_id in plan.work_ids:
                status = conn.execute("SELECT status FROM works WHERE id = ?", (work_id,)).fetchone()
                if status is not None and status["status"] != "accepted":
                    accepted[work_id] = append_decision(
                        conn, work_id, "accept", None, None, origin, False, by=plan.reviewers.get(work_id, by)
                    )
            for entry_id, fields in plan.updates.items():
                stored = entry_values({k: v for k, v in fields.items() if k != "id"})
                edit_entry(conn, entry_id, stored, origin, by, accepted.get(fields.get("work_id") or ""))
            for entry_id, entry in plan.inserts.items():
                insert_entry(conn, entry, "seed" if origin == "seed" else "import", entry_id)

    def note_descriptions(self) -> dict[int, str]:
        """Entries whose public description is the private note of an accept decision of their work, by
        entry id (the work id as the value).  rsiwatch 0.1 filled the description from ``accept --note``;
        notes are now the curator's private reason, so such an entry needs its description rewritten."""
        rows = self.db.all(
            "SELECT DISTINCT c.id, c.work_id FROM catalog c JOIN decisions d ON d.work_id = c.work_id "
            "WHERE d.action = 'accept' AND d.note IS NOT NULL AND TRIM(d.note) != '' "
            "AND TRIM(c.description) = TRIM(d.note) AND c.withdrawn_at IS NULL ORDER BY c.id"
        )
        return {row["id"]: row["work_id"] for row in rows}

    def catalog_disagreements(self) -> list[str]:
        """Where the catalog and the standing decisions disagree, one line each (empty: they agree).

        A decided work's status must follow its standing decisions; an accepted work has a published
        entry; a published entry's work is accepted.  Entries without a work (rows without a source) stand
        alone.
        """
        # Read in bulk (decisions and the catalog are small; works are many and read by key only).
        standing: dict[str, list[Any]] = {}
        for d in self.db.all("SELECT id, work_id, action, reverses FROM decisions ORDER BY work_id, id"):
            if d["action"] == "undo":
                standing[d["work_id"]] = [k for k in standing.get(d["work_id"], []) if k[0] != d["reverses"]]
            else:
                standing.setdefault(d["work_id"], []).append((d["id"], d["action"]))
        status = {
            r["id"]: r["status"]
            for r in self.db.all("SELECT id, status FROM works WHERE id IN (SELECT DISTINCT work_id FROM decisions)")
        }
        published = {
            r["work_id"]: r["id"]
            for r in self.db.all("SELECT id, work_id FROM catalog WHERE withdrawn_at IS NULL AND work_id IS NOT NULL")
        }
        out: list[str] = []
        for work_id, kept in standing.items():
            expected = STATUS_OF_ACTION[kept[-1][1]] if kept else "new"
            if status.get(work_id) != expected:
                out.append(f"{work_id}: status {status.get(work_id)} but its standing decisions say {expected}")
            if status.get(work_id) == "accepted" and work_id not in published:
                out.append(f"{work_id}: accepted but not in the published catalog")
        for work_id, entry_id in published.items():
            if status.get(work_id) != "accepted":
                work = self.db.one("SELECT status FROM works WHERE id = ?", (work_id,))
                out.append(
                    f"catalog entry {entry_id} ({work_id}): published but the work is "
                    f"{work['status'] if work else 'unknown'}"
                )
        return out

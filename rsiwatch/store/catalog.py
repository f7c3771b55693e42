"""The catalog and the log of its edits."""

from __future__ import annotations

import json
from typing import Any

from rsiwatch.store.base import Base, _catalog_dict, _catalog_values, _upsert_catalog, utcnow


class Catalog(Base):

    def catalog_add(self, entry: dict[str, Any], origin: str) -> int:
        with self.transaction() as conn:
            return _upsert_catalog(conn, entry, origin)

    def catalog(self) -> list[dict[str, Any]]:
        return [_catalog_dict(r) for r in self._all("SELECT * FROM catalog ORDER BY id")]

    def catalog_entry(self, entry_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM catalog WHERE id = ?", (entry_id,))
        return _catalog_dict(row) if row else None

    def catalog_edit(self, entry_id: int, entry: dict[str, Any], origin: str) -> list[str] | None:
        """Set an entry's fields (never its ID or work) and log the old values; returns the fields that
        changed (empty: nothing did), or None when there is no such entry."""
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM catalog WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                return None
            new = _catalog_values(entry)
            del new["work_id"]  # an entry stays the entry of its work
            changed = [f for f in new if row[f] != new[f]]
            if changed:
                conn.execute(f"UPDATE catalog SET {', '.join(f'{f} = ?' for f in changed)} WHERE id = ?",
                             [*(new[f] for f in changed), entry_id])
                conn.execute(
                    "INSERT INTO catalog_edits (entry_id, before, after, edited_at, origin) VALUES (?, ?, ?, ?, ?)",
                    (entry_id, json.dumps({f: row[f] for f in changed}), json.dumps({f: new[f] for f in changed}),
                     utcnow(), origin),
                )
        return changed

    def catalog_edits(self, entry_id: int) -> list[dict[str, Any]]:
        rows = self._all("SELECT * FROM catalog_edits WHERE entry_id = ? ORDER BY id", (entry_id,))
        return [{**dict(r), "before": json.loads(r["before"]), "after": json.loads(r["after"])} for r in rows]

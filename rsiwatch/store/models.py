"""Model versions (arrays, never pickles) and settings kept with their history."""

from __future__ import annotations

import json
from typing import Any

from rsiwatch.store.base import (
    Database,
    StoreError,
    inserted_id,
    utcnow,
)


class Models:

    def __init__(self, db: Database) -> None:
        self.db = db

    def save_model(
        self, blob: bytes, *, trained_on: dict[str, Any], params: dict[str, Any], metrics: dict[str, Any] | None = None,
        note: str | None = None, activate: bool = True,
    ) -> int:
        with self.db.transaction() as conn:
            if activate:
                conn.execute("UPDATE models SET active = 0 WHERE active = 1")
            cur = conn.execute(
                "INSERT INTO models (created_at, active, trained_on, params, metrics, note, blob)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (utcnow(), int(activate), json.dumps(trained_on), json.dumps(params), json.dumps(metrics or {}), note,
                 blob),
            )
            return inserted_id(cur)

    def active_model_version(self) -> int | None:
        """The active model's version without reading its blob (a version's blob never changes)."""
        row = self.db.one("SELECT version FROM models WHERE active = 1 ORDER BY version DESC LIMIT 1")
        return int(row[0]) if row else None

    def active_model(self) -> tuple[int, bytes] | None:
        row = self.db.one("SELECT version, blob FROM models WHERE active = 1 ORDER BY version DESC LIMIT 1")
        return (int(row["version"]), bytes(row["blob"])) if row else None

    def model_created_at(self, version: int) -> str:
        row = self.db.one("SELECT created_at FROM models WHERE version = ?", (version,))
        return row[0] if row else ""

    def versions(self) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT version, created_at, active, trained_on, params, metrics, note FROM models ORDER BY version"
        )
        out = []
        for r in rows:
            d = dict(r)
            for key in ("trained_on", "params", "metrics"):
                d[key] = json.loads(d[key])
            out.append(d)
        return out

    def activate_model(self, version: int) -> None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT length(blob) FROM models WHERE version = ?", (version,)).fetchone()
            if not row:
                raise StoreError(f"no model version {version}")
            if not row[0]:
                raise StoreError(f"model version {version} was pruned (retention.models keeps the newest blobs)")
            conn.execute("UPDATE models SET active = (version = ?)", (version,))

    def set_setting(self, key: str, value: Any, reason: str | None = None) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value, set_at, reason) VALUES (?, ?, ?, ?)",
                (key, json.dumps(value), utcnow(), reason),
            )

    def setting(self, key: str, default: Any = None) -> Any:
        row = self.db.one("SELECT value FROM settings WHERE key = ? ORDER BY rowid DESC LIMIT 1", (key,))
        return json.loads(row[0]) if row else default

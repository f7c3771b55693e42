"""Reads and writes of ``candidates.db`` that only the tests need: what a test inspects after the fact
(decisions, submissions, the inbox, what came after a decision) and how it sets a database up (a seeded entry, a
decision at a past time).  They use the store's own helpers, so they follow its rules."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rsiwatch.store import Store
from rsiwatch.store.base import _standing_decisions
from rsiwatch.store.entries import (
    CATALOG_FIELDS,
    append_decision,
    edit_entry,
    entry_of_work,
    entry_values,
    insert_entry,
)


def decisions(store: Store, work_id: str | None = None) -> list[dict[str, Any]]:
    if work_id:
        return [dict(r) for r in store.all("SELECT * FROM decisions WHERE work_id = ? ORDER BY id", (work_id,))]
    return [dict(r) for r in store.all("SELECT * FROM decisions ORDER BY id")]


def submissions(store: Store, work_id: str | None = None) -> list[dict[str, Any]]:
    if work_id:
        return [dict(r) for r in store.all("SELECT * FROM submissions WHERE work_id = ? ORDER BY id", (work_id,))]
    return [dict(r) for r in store.all("SELECT * FROM submissions ORDER BY id")]


def inbox(store: Store) -> list[dict[str, Any]]:
    return [dict(r) for r in store.all("SELECT * FROM inbox ORDER BY id")]


def integrity_ok(store: Store) -> bool:
    return store.one("PRAGMA integrity_check")[0] == "ok"


def catalog_add(store: Store, entry: dict[str, Any], origin: str) -> int:
    """Add an entry (a work's existing entry is updated instead, logged), as a seed would."""
    with store.transaction() as conn:
        row = entry_of_work(conn, entry.get("work_id"))
        if row is None:
            return insert_entry(conn, entry, origin, entry.get("id"))
        edit_entry(conn, row["id"], entry_values({k: v for k, v in entry.items() if k in CATALOG_FIELDS}), origin, None)
        return int(row["id"])


def record_decision_at(
    store: Store, work_id: str, action: str, decided_at: str, *, category: str | None = None, note: str | None = None,
    origin: str = "replay",
) -> int:
    """Append a decision with an explicit time, for replaying a past review history: the same effect as
    ``Store.decide`` (append, status, queue entry), only ``decided_at`` is given."""
    with store.transaction() as conn:
        return append_decision(conn, work_id, action, category, note, origin, True, decided_at)


def sightings_since_decision(store: Store, work_id: str) -> dict[str, Any]:
    """A decided work's standing decision and the sightings that came after it:
    ``{"decision": {...} | None, "sightings": [...]}``; with no standing decision every sighting is new."""
    standing = _standing_decisions(store.conn, work_id)
    decision = dict(standing[-1]) if standing else None
    since = decision["decided_at"] if decision else ""
    rows = store.all("SELECT * FROM sightings WHERE work_id = ? AND seen_at > ? ORDER BY seen_at, id", (work_id, since))
    return {"decision": decision, "sightings": [dict(r) for r in rows]}


@contextmanager
def statements_run(monkeypatch: Any) -> Iterator[list[str]]:
    """The SQL statements run, inside the block, on every database opened inside it (N+1 tests count them)."""
    from rsiwatch.store import Database

    statements: list[str] = []
    opened = Database.__init__

    def traced(self: Database, path: str | Path) -> None:
        opened(self, path)
        self.conn.set_trace_callback(statements.append)

    monkeypatch.setattr(Database, "__init__", traced)
    try:
        yield statements
    finally:
        monkeypatch.setattr(Database, "__init__", opened)


def database_at_schema(path: Path, version: int) -> sqlite3.Connection:
    """A database as an older rsiwatch left it: migrations 1..``version`` applied."""
    from rsiwatch.store import _split_sql
    from rsiwatch.store.schema import MIGRATIONS

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    for number, script in enumerate(MIGRATIONS[:version]):
        for statement in _split_sql(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number + 1}")
    return conn

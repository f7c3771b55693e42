"""Decisions and catalog rows at the connection level, shared by the store's parts.

One truth for each work: a work's entry is published exactly while its standing decision is an accept.
Every decision therefore goes through ``append_decision``, which takes the entry off the published
catalog (``withdrawn_at``) when the decision is not an accept, and every change to an existing entry goes
through ``edit_entry``, which logs the fields before and after with who made it and which decision did,
so an undo can put the entry back as it was.  Rows are never deleted.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, NotRequired, TypedDict, cast

from rsiwatch.dates import ParsedDate, date_of_timestamp, lenient_date
from rsiwatch.store.base import ACTIONS, STATUS_OF_ACTION, StoreError, _standing_decisions, inserted_id, utcnow

# The stored columns a caller may set (``flags`` and ``extra`` are JSON, see ``entry_values``).
CATALOG_FIELDS = (
    "work_id", "title", "description", "category", "url", "year", "date_published", "authors", "affiliations",
    "submitter",
)
EDITABLE = (*CATALOG_FIELDS, "flags", "extra", "withdrawn_at")


class StaleDecision(StoreError):
    """The work was decided since the caller looked at it; ``latest`` is its standing decision (or None)."""

    def __init__(self, work_id: str, latest: dict[str, Any] | None, status: str) -> None:
        self.work_id, self.latest, self.status = work_id, latest, status
        who = (latest or {}).get("decided_by") or "someone"
        what = (latest or {}).get("action", "undo").replace("_", " ")
        super().__init__(f"{work_id} was decided since you saw it: {what} by {who} at "
                         f"{(latest or {}).get('decided_at', '?')}; it is {status} now")


def entry_values(entry: dict[str, Any]) -> dict[str, Any]:
    """The stored columns of the fields ``entry`` carries: flags and extra as JSON, description never NULL."""
    out: dict[str, Any] = {f: entry[f] for f in EDITABLE if f in entry}
    if "description" in out:
        out["description"] = out["description"] or ""
    if "flags" in out:
        out["flags"] = json.dumps(list(out["flags"] or []))
    if "extra" in out:
        out["extra"] = json.dumps(dict(out["extra"] or {}), ensure_ascii=False)
    return out


class CatalogEntry(TypedDict):
    """A catalog entry as the store hands it out: to the review page, the CLI, the exports and the site."""

    id: int  # the public list's ID column
    work_id: str | None  # the work it stands for (None: an entry without a source)
    title: str
    description: str
    category: str | None
    url: str | None
    year: int | None
    date_published: str | None  # as the curator or the file wrote it ("April 2023", "2016", "2025-03-21")
    authors: str | None
    affiliations: str | None
    submitter: str | None
    flags: list[str]
    extra: dict[str, Any]  # columns of an imported file this catalog does not know, kept
    origin: str  # seed, import, accept
    added_at: str
    withdrawn_at: str | None  # taken off the published catalog (kept, never erased)
    reviewed_by: NotRequired[str | None]  # the curator of its standing accept (``Catalog.entries``)


def entry_dict(row: sqlite3.Row) -> CatalogEntry:
    entry = {**dict(row), "flags": json.loads(row["flags"]), "extra": json.loads(row["extra"] or "{}")}
    return cast(CatalogEntry, entry)


def entry_of_work(conn: sqlite3.Connection, work_id: str | None) -> sqlite3.Row | None:
    if not work_id:
        return None
    return conn.execute("SELECT * FROM catalog WHERE work_id = ?", (work_id,)).fetchone()


def parsed_date(conn: sqlite3.Connection, date_published: Any, year: Any, work_id: str | None,
                added_at: str | None) -> ParsedDate:
    """The date the machine-facing side uses for an entry: its Date Published as written, else its year,
    else its work's date, else the day the entry was made; never the epoch."""
    found = lenient_date(date_published) or lenient_date(year)
    if found is None and work_id:
        work = conn.execute("SELECT published FROM works WHERE id = ?", (work_id,)).fetchone()
        published = (work["published"] if work else None) or ""
        found = date_of_timestamp(published) or lenient_date(published[:4])
    return found or date_of_timestamp(added_at) or date_of_timestamp(utcnow())  # type: ignore[return-value]


def set_parsed_date(conn: sqlite3.Connection, entry_id: int) -> None:
    row = conn.execute(
        "SELECT date_published, year, work_id, added_at FROM catalog WHERE id = ?", (entry_id,)
    ).fetchone()
    if row is not None:
        found = parsed_date(conn, row["date_published"], row["year"], row["work_id"], row["added_at"])
        conn.execute(
            "UPDATE catalog SET date_iso = ?, date_precision = ? WHERE id = ?", (found.iso, found.precision, entry_id)
        )


def fill_parsed_dates(conn: sqlite3.Connection) -> int:
    """Give every entry without one its parsed date (rows written before the date model); returns how many."""
    missing = [r[0] for r in conn.execute("SELECT id FROM catalog WHERE date_iso IS NULL").fetchall()]
    for entry_id in missing:
        set_parsed_date(conn, entry_id)
    return len(missing)


def insert_entry(conn: sqlite3.Connection, entry: dict[str, Any], origin: str, entry_id: int | None = None) -> int:
    """A new published entry (the next ID unless one is given)."""
    values = entry_values({**{f: None for f in CATALOG_FIELDS}, "flags": [], "extra": {}, **entry})
    values.pop("withdrawn_at", None)
    if not values.get("title"):
        raise StoreError(f"catalog entry for {entry.get('work_id') or entry.get('url') or '?'}: a title is required")
    columns = ["id", *values, "origin", "added_at"]
    cur = conn.execute(
        f"INSERT INTO catalog ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [entry_id, *values.values(), origin, utcnow()],
    )
    new_id = int(entry_id) if entry_id is not None else inserted_id(cur)
    set_parsed_date(conn, new_id)
    return new_id


def edit_entry(
    conn: sqlite3.Connection,
    entry_id: int,
    stored: dict[str, Any],
    origin: str,
    by: str | None,
    decision_id: int | None = None,
) -> list[str]:
    """Set stored column values of an entry and log what changed; returns the changed fields."""
    row = conn.execute("SELECT * FROM catalog WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        return []
    changed = [f for f in EDITABLE if f in stored and row[f] != stored[f]]
    if changed:
        conn.execute(
            f"UPDATE catalog SET {', '.join(f'{f} = ?' for f in changed)} WHERE id = ?",
            [*(stored[f] for f in changed), entry_id],
        )
        log_edit(conn, entry_id, {f: row[f] for f in changed}, {f: stored[f] for f in changed}, origin, by, decision_id)
        if {"date_published", "year", "work_id"} & set(changed):
            set_parsed_date(conn, entry_id)
    return changed


def log_edit(
    conn: sqlite3.Connection,
    entry_id: int,
    before: dict[str, Any],
    after: dict[str, Any],
    origin: str,
    by: str | None,
    decision_id: int | None = None,
) -> None:
    conn.execute(
        "INSERT INTO catalog_edits (entry_id, before, after, edited_at, origin, edited_by, decision_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            entry_id,
            json.dumps(before, ensure_ascii=False),
            json.dumps(after, ensure_ascii=False),
            utcnow(),
            origin,
            by,
            decision_id,
        ),
    )


def latest_decision(conn: sqlite3.Connection, work_id: str) -> sqlite3.Row | None:
    """The newest decision row of any kind (an undo included): what a page showing the work last saw."""
    return conn.execute("SELECT * FROM decisions WHERE work_id = ? ORDER BY id DESC LIMIT 1", (work_id,)).fetchone()


def check_seen(conn: sqlite3.Connection, work_id: str, seen: int | None) -> None:
    """Refuse a decision taken on a stale view: ``seen`` is the latest decision id the caller showed
    (0 for none); ``None`` means the caller acts on purpose, whatever stands."""
    if seen is None:
        return
    latest = latest_decision(conn, work_id)
    if (latest["id"] if latest else 0) != seen:
        standing = _standing_decisions(conn, work_id)
        status = conn.execute("SELECT status FROM works WHERE id = ?", (work_id,)).fetchone()
        raise StaleDecision(
            work_id,
            dict(standing[-1]) if standing else (dict(latest) if latest else None),
            status["status"] if status else "new",
        )


def follow_status(
    conn: sqlite3.Connection, work_id: str, status: str, origin: str, by: str | None, decision_id: int
) -> None:
    """Publish the work's entry while it is accepted, withdraw it (kept, with its history) otherwise."""
    row = entry_of_work(conn, work_id)
    if row is None:
        return
    if status == "accepted" and row["withdrawn_at"] is not None:
        edit_entry(conn, row["id"], {"withdrawn_at": None}, origin, by, decision_id)
    elif status != "accepted" and row["withdrawn_at"] is None:
        edit_entry(conn, row["id"], {"withdrawn_at": utcnow()}, origin, by, decision_id)


def append_decision(
    conn: sqlite3.Connection,
    work_id: str,
    action: str,
    category: str | None,
    note: str | None,
    origin: str,
    enqueue: bool,
    decided_at: str | None = None,
    by: str | None = None,
    seen: int | None = None,
) -> int:
    if action not in ACTIONS:
        raise StoreError(f"unknown action {action!r} (expected one of {', '.join(ACTIONS)})")
    work = conn.execute("SELECT score, model_version FROM works WHERE id = ?", (work_id,)).fetchone()
    if work is None:
        raise StoreError(f"no work with id {work_id!r} (see `rsiwatch candidates`)")
    check_seen(conn, work_id, seen)
    now = decided_at or utcnow()
    cur = conn.execute(
        "INSERT INTO decisions (work_id, action, category, note, decided_at, model_version, score, origin, decided_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (work_id, action, category, note, now, work["model_version"], work["score"], origin, by),
    )
    decision_id = inserted_id(cur)
    conn.execute("UPDATE works SET status = ? WHERE id = ?", (STATUS_OF_ACTION[action], work_id))
    if enqueue:
        conn.execute(
            "UPDATE works SET queued_at = ?, queue_reason = 'decided' WHERE id = ? AND queued_at IS NULL",
            (now, work_id),
        )
    if category:
        conn.execute("UPDATE works SET category = ? WHERE id = ?", (category, work_id))
    follow_status(conn, work_id, STATUS_OF_ACTION[action], origin, by, decision_id)
    return decision_id


def undo_decision(
    conn: sqlite3.Connection, work_id: str, origin: str, by: str | None, seen: int | None = None
) -> tuple[str, int]:
    """Append a reversal of the work's latest standing decision and put its entry back as it was before
    that decision; returns (the status it goes back to, the undo's decision id)."""
    check_seen(conn, work_id, seen)
    standing = _standing_decisions(conn, work_id)
    if not standing:
        raise StoreError(f"{work_id}: no decision to undo")
    target = standing[-1]
    cur = conn.execute(
        "INSERT INTO decisions (work_id, action, reverses, decided_at, origin, decided_by) VALUES (?, 'undo', ?, ?, ?, "
        "?)",
        (work_id, target["id"], utcnow(), origin, by),
    )
    undo_id = inserted_id(cur)
    status = STATUS_OF_ACTION[standing[-2]["action"]] if len(standing) > 1 else "new"
    conn.execute("UPDATE works SET status = ? WHERE id = ?", (status, work_id))
    row = entry_of_work(conn, work_id)
    if row is not None:
        edits = conn.execute("SELECT before FROM catalog_edits WHERE decision_id = ? ORDER BY id DESC", (target["id"],))
        for (before,) in edits.fetchall():
            edit_entry(
                conn, row["id"], {k: v for k, v in json.loads(before).items() if k in EDITABLE}, origin, by, undo_id
            )
    follow_status(conn, work_id, status, origin, by, undo_id)
    return status, undo_id

"""The store: the one module that talks to ``candidates.db``.

SQLite in WAL mode with a busy timeout, so a crawl, the review page and a CLI decision can share the
file; every write is one ``BEGIN IMMEDIATE`` transaction, so a killed process leaves either all of a
step or none of it.  Decisions are appended, never rewritten (triggers in ``schema.py`` enforce it);
``works.status`` mirrors the latest effective decision and is updated in the same transaction.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.items import Item, SourceResult, Validators
from review.schema import MIGRATIONS

BUSY_TIMEOUT_S = 30.0
# Keys of the `settings` table, whose every change is kept with its time and reason.
THRESHOLD_SETTING = "threshold"  # set by `rsiwatch tune`
RETRAIN_SETTING = "retrain_last"  # the latest retraining's outcome
ACTIONS = ("accept", "reject", "defer", "out_of_scope")
STATUS_OF_ACTION = {"accept": "accepted", "reject": "rejected", "defer": "deferred", "out_of_scope": "out_of_scope"}
QUEUE_STATUSES = ("new", "accepted", "rejected", "deferred", "out_of_scope", "all")


# Writes from one process take this lock around their transaction.  SQLite serialises writers anyway, so
# it costs nothing; it lets a stopping daemon wait for the write in progress and then allow no other.
_PROCESS_WRITES = threading.RLock()


def quiesce_writes(timeout: float) -> bool:
    """Wait for the write in progress to commit, then block all further writes in this process."""
    return _PROCESS_WRITES.acquire(timeout=timeout)


class StoreError(Exception):
    """A problem with the database a user can act on (one line)."""


def iso(moment: datetime) -> str:
    """UTC with milliseconds: sortable as text, and fine enough for sources due every second."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def utcnow() -> str:
    return iso(datetime.now(timezone.utc))


def iso_ago(seconds: float) -> str:
    return iso(datetime.now(timezone.utc) - timedelta(seconds=seconds))


@dataclass(frozen=True)
class SourceState:
    name: str
    validators: Validators
    last_success: str | None
    last_attempt: str | None
    last_error: str | None
    consecutive_failures: int
    not_before: str | None
    paused: bool
    paused_reason: str | None
    cursor: str | None


@dataclass(frozen=True)
class IngestStats:
    items: int
    new_works: list[str]
    new_sightings: int
    seen_work_ids: list[str]


@dataclass(frozen=True)
class WorkText:
    id: str
    title: str
    summary: str


class Store:
    """Open (creating and migrating as needed) a ``candidates.db``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open database: {exc}") from None
        self.conn = conn
        self.conn.row_factory = sqlite3.Row
        # Values derived from the database that callers may keep for this connection's lifetime, keyed so
        # they cannot go stale (the decoded active model, by its immutable version).
        self.memo: dict[str, Any] = {}
        self._synchronous = ""  # the connection's PRAGMA synchronous, as ``transaction`` last set it
        self.db = sqlite_utils.Database(conn)
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path}: not a usable rsiwatch database: {exc}") from None

    # ---- plumbing ------------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this rsiwatch knows ({len(MIGRATIONS)}); upgrade rsiwatch"
            )
        if version == 0:
            # WAL is a property of the file: switched on once, when the database is created.
            self.conn.execute("PRAGMA journal_mode = WAL")
        for number in range(version, len(MIGRATIONS)):
            with self.transaction():
                # executescript would COMMIT our transaction; run statements one by one instead.
                for statement in _split_sql(MIGRATIONS[number]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (``IMMEDIATE``) so writers queue instead of deadlocking.

        ``durable=False`` is for what the next crawl brings back (works, sightings, scores, source state):
        its commit is not synced to disk (WAL with ``synchronous = NORMAL``), so a power cut may lose the
        newest such transactions but never corrupts the file, and the next durable commit (a decision, the
        catalog, a setting, a model) syncs everything written before it.  Decisions stay fully durable.
        """
        with _PROCESS_WRITES:
            level = "FULL" if durable else "NORMAL"
            if self._synchronous != level:
                self.conn.execute(f"PRAGMA synchronous = {level}")
                self._synchronous = level
            with self._immediate() as conn:
                yield conn

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        for attempt in range(20):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(min(0.05 * 2**attempt, 2.0))
        else:
            raise StoreError(f"{self.path}: database stayed locked for too long; is another program holding it?")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def integrity_ok(self) -> bool:
        return self._one("PRAGMA integrity_check")[0] == "ok"

    # ---- sources -------------------------------------------------------------------------------

    def ensure_sources(self, sources: Iterable[tuple[str, str, str | None]]) -> None:
        with self.transaction(durable=False) as conn:
            conn.executemany(
                "INSERT INTO sources (name, kind, url) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url",
                list(sources),
            )

    def source_state(self, name: str) -> SourceState:
        row = self._one("SELECT * FROM sources WHERE name = ?", (name,))
        if row is None:
            return SourceState(name, Validators(), None, None, None, 0, None, False, None, None)
        return SourceState(
            name=name,
            validators=Validators(row["etag"], row["last_modified"]),
            last_success=row["last_success"],
            last_attempt=row["last_attempt"],
            last_error=row["last_error"],
            consecutive_failures=row["consecutive_failures"],
            not_before=row["not_before"],
            paused=bool(row["paused"]),
            paused_reason=row["paused_reason"],
            cursor=row["cursor"],
        )

    def record_success(
        self, name: str, result: SourceResult, stats: IngestStats | None, new_candidates: int, started: str
    ) -> None:
        finished = utcnow()
        with self.transaction(durable=False) as conn:
            v = result.validators
            conn.execute(
                "UPDATE sources SET last_attempt = ?, last_success = ?, consecutive_failures = 0, not_before = NULL, "
                "etag = CASE WHEN ? THEN etag ELSE ? END, last_modified = CASE WHEN ? THEN last_modified ELSE ? END "
                "WHERE name = ?",
                (started, finished, result.not_modified, v.etag, result.not_modified, v.last_modified, name),
            )
            conn.execute(
                "INSERT INTO fetches (source, started_at, finished_at, outcome, requests, bytes, items, new_works,"
                " new_candidates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name, started, finished, "not_modified" if result.not_modified else "ok", result.requests,
                    result.bytes_read, len(result.items), len(stats.new_works) if stats else 0, new_candidates,
                ),
            )

    def record_failure(
        self, name: str, error: str, started: str, *, not_before: str | None = None, pause_after: int | None = None
    ) -> int:
        """Count a failed fetch; returns the consecutive failures.  Pauses the source past ``pause_after``."""
        finished = utcnow()
        with self.transaction(durable=False) as conn:
            conn.execute(
                "UPDATE sources SET last_attempt = ?, last_error = ?, last_error_at = ?, "
                "consecutive_failures = consecutive_failures + 1, not_before = ? WHERE name = ?",
                (started, error, finished, not_before, name),
            )
            conn.execute(
                "INSERT INTO fetches (source, started_at, finished_at, outcome, error) VALUES (?, ?, ?, 'error', ?)",
                (name, started, finished, error),
            )
            failures = conn.execute("SELECT consecutive_failures FROM sources WHERE name = ?", (name,)).fetchone()[0]
            if pause_after is not None and failures >= pause_after:
                conn.execute(
                    "UPDATE sources SET paused = 1, paused_reason = ? WHERE name = ?",
                    (f"paused after {failures} consecutive failures; last: {error}", name),
                )
        return failures

    def set_paused(self, name: str, paused: bool, reason: str | None = None) -> bool:
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE sources SET paused = ?, paused_reason = ?, consecutive_failures = "
                "CASE WHEN ? THEN consecutive_failures ELSE 0 END, not_before = NULL WHERE name = ?",
                (int(paused), reason if paused else None, int(paused), name),
            )
            return cur.rowcount > 0

    def source_report(self) -> list[dict[str, Any]]:
        """Per source: its state plus items, candidates and acceptance rate, for ``status``."""
        rows = self._all(
            """
            SELECT s.*,
              (SELECT COUNT(*) FROM sightings WHERE source = s.name) AS items,
              (SELECT COUNT(DISTINCT w.id) FROM sightings g JOIN works w ON w.id = g.work_id
                 WHERE g.source = s.name AND w.queued_at IS NOT NULL) AS candidates,
              (SELECT COUNT(DISTINCT w.id) FROM sightings g JOIN works w ON w.id = g.work_id
                 WHERE g.source = s.name AND w.status = 'accepted') AS accepted,
              (SELECT COUNT(DISTINCT w.id) FROM sightings g JOIN works w ON w.id = g.work_id
                 WHERE g.source = s.name AND w.status IN ('accepted', 'rejected', 'out_of_scope')) AS decided
            FROM sources s ORDER BY s.name
            """
        )
        report = []
        for row in rows:
            entry = dict(row)
            entry["paused"] = bool(entry["paused"])
            entry["acceptance_rate"] = round(entry["accepted"] / entry["decided"], 3) if entry["decided"] else None
            report.append(entry)
        return report

    # ---- works and sightings -------------------------------------------------------------------

    def ingest(self, source: str, items: Sequence[Item], now: str | None = None) -> IngestStats:
        """Upsert works and record sightings in one transaction; a work is created once, whoever saw it."""
        now = now or utcnow()
        ids = list(dict.fromkeys(item.canonical_id for item in items))
        with self.transaction(durable=False) as conn:
            existing: set[str] = set()
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                existing.update(r[0] for r in conn.execute(f"SELECT id FROM works WHERE id IN ({marks})", chunk))
            new_rows: dict[str, tuple[Any, ...]] = {}
            for item in items:
                if item.canonical_id in existing or item.canonical_id in new_rows:
                    continue
                new_rows[item.canonical_id] = (
                    item.canonical_id, item.title, item.summary, item.url, item.published,
                    json.dumps(list(item.authors)), json.dumps(list(item.links)), now, now,
                )
            conn.executemany(
                "INSERT INTO works (id, title, summary, url, published, authors, links, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                list(new_rows.values()),
            )
            conn.executemany(  # the search index (schema migration 6: no per-row trigger)
                "INSERT INTO works_fts (work_id, title, summary) VALUES (?, ?, ?)",
                [row[:3] for row in new_rows.values()],
            )
            known = [i for i in ids if i in existing]
            for chunk in _chunks(known, 500):
                marks = ",".join("?" * len(chunk))
                conn.execute(f"UPDATE works SET last_seen = ? WHERE id IN ({marks})", [now, *chunk])
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO sightings (work_id, source, item_key, url, title, seen_at, announce_type,"
                " version, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (item.canonical_id, source, item.key, item.url, item.title, now, item.announce_type, item.version,
                     item.via)
                    for item in items
                ],
            )
            new_sightings = conn.total_changes - before
        return IngestStats(len(items), list(new_rows), new_sightings, ids)

    def work(self, work_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM works WHERE id = ?", (work_id,))
        return _work_dict(row) if row else None

    def texts(self, work_ids: Sequence[str]) -> list[WorkText]:
        out: list[WorkText] = []
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            out.extend(
                WorkText(r["id"], r["title"], r["summary"])
                for r in self._all(f"SELECT id, title, summary FROM works WHERE id IN ({marks})", chunk)
            )
        return out

    def open_work_ids(self) -> list[str]:
        """Works still awaiting a decision: these are rescored when the model changes."""
        return [r[0] for r in self._all("SELECT id FROM works WHERE status IN ('new', 'deferred')")]

    def sources_of(self, work_ids: Sequence[str]) -> dict[str, list[str]]:
        """Which sources mentioned each work (for per-source thresholds and filters)."""
        return _sources_of(self.conn, work_ids)

    def sighting_works(self, source: str, limit: int = 5_000) -> dict[str, str]:
        """Item key -> work id of a source's newest sightings (what a listing showed before, and as what)."""
        rows = self._all(
            "SELECT item_key, work_id FROM (SELECT id, item_key, work_id FROM sightings WHERE source = ?"
            " ORDER BY id DESC LIMIT ?) ORDER BY id",
            (source, limit),
        )
        return {r[0]: r[1] for r in rows}  # oldest first: a key seen twice keeps its newest work

    def sightings(self, work_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self._all("SELECT * FROM sightings WHERE work_id = ? ORDER BY seen_at", (work_id,))]

    def count(self, table: str) -> int:
        if table not in ("works", "sightings", "scores", "decisions", "catalog", "models", "sources", "fetches"):
            raise ValueError(table)
        return self._one(f"SELECT COUNT(*) FROM {table}")[0]

    # ---- scores and the queue ------------------------------------------------------------------

    def record_scores(
        self, model_version: int, scored: Sequence[Any], thresholds: dict[str, float], *, queue: bool = True
    ) -> list[str]:
        """Store each score with its model version and threshold; queue undecided works above it.

        ``scored`` holds ``classifier.Scored`` values; ``thresholds`` maps work id to the threshold that
        applies to it.  Returns the ids that joined the queue now.
        """
        now = utcnow()
        queued: list[str] = []
        with self.transaction(durable=False) as conn:
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
                        "WHERE id = ? AND queued_at IS NULL AND status = 'new'",
                        (now, s.id),
                    )
                    if cur.rowcount:
                        queued.append(s.id)
        return queued

    def queued_among(self, work_ids: Sequence[str]) -> list[str]:
        """The given works that are in the queue (whatever their status)."""
        out: list[str] = []
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            out += [r[0] for r in self._all(f"SELECT id FROM works WHERE id IN ({marks}) AND queued_at IS NOT NULL", chunk)]
        return out

    def save_explanations(self, model_version: int, scored: Sequence[Any]) -> int:
        """Fill in why-terms and nearest entries of scores recorded without them (``classifier.Scored``)."""
        with self.transaction(durable=False) as conn:
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
    ) -> list[dict[str, Any]]:
        """The review queue, best first."""
        where, params = ["w.queued_at IS NOT NULL"], []
        if status != "all":
            # With a narrower filter, "+" keeps the planner off the status index (every queued row).
            where.append("+w.status = ?" if since or source else "w.status = ?")
            params.append(status)
        if since:
            where.append("w.queued_at >= ?")
            params.append(since)
        if category:
            where.append("w.category = ?")
            params.append(category)
        if min_score is not None:
            where.append("w.score >= ?")
            params.append(min_score)
        if max_score is not None:
            where.append("w.score <= ?")
            params.append(max_score)
        if source:
            where.append("w.id IN (SELECT g.work_id FROM sightings g WHERE g.source = ?)")
            params.append(source)
        table = "works w INDEXED BY works_queued_id" if source else "works w"  # see review_queue
        sql = f"SELECT w.* FROM {table} WHERE {' AND '.join(where)} ORDER BY w.score DESC, w.id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [_work_dict(r) for r in self._all(sql, params)]

    def latest_score(self, work_id: str) -> dict[str, Any] | None:
        row = self._one(
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

    # ---- decisions -----------------------------------------------------------------------------

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

    # ---- catalog -------------------------------------------------------------------------------

    def catalog_add(self, entry: dict[str, Any], origin: str) -> int:
        with self.transaction() as conn:
            return _upsert_catalog(conn, entry, origin)

    def catalog(self) -> list[dict[str, Any]]:
        rows = [dict(r) for r in self._all("SELECT * FROM catalog ORDER BY id")]
        for row in rows:
            row["flags"] = json.loads(row["flags"])
        return rows

    def catalog_entry(self, entry_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM catalog WHERE id = ?", (entry_id,))
        return {**dict(row), "flags": json.loads(row["flags"])} if row else None

    def catalog_edit(self, entry_id: int, entry: dict[str, Any], origin: str) -> list[str] | None:
        """Set an entry's fields (never its ID or work) and log the old values; returns the fields that
        changed (empty: nothing did), or None when there is no such entry."""
        fields = [f for f in CATALOG_FIELDS if f != "work_id"]
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM catalog WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                return None
            new = {f: entry.get(f) for f in fields}
            new["description"] = new["description"] or ""
            new["flags"] = json.dumps(list(entry.get("flags") or []))
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

    # ---- models and settings -------------------------------------------------------------------

    def save_model(
        self, blob: bytes, *, trained_on: dict[str, Any], params: dict[str, Any], metrics: dict[str, Any] | None = None,
        note: str | None = None, activate: bool = True,
    ) -> int:
        with self.transaction() as conn:
            if activate:
                conn.execute("UPDATE models SET active = 0 WHERE active = 1")
            cur = conn.execute(
                "INSERT INTO models (created_at, active, trained_on, params, metrics, note, blob)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (utcnow(), int(activate), json.dumps(trained_on), json.dumps(params), json.dumps(metrics or {}), note,
                 blob),
            )
            return int(cur.lastrowid)

    def active_model_version(self) -> int | None:
        """The active model's version without reading its blob (a version's blob never changes)."""
        row = self._one("SELECT version FROM models WHERE active = 1 ORDER BY version DESC LIMIT 1")
        return int(row[0]) if row else None

    def active_model(self) -> tuple[int, bytes] | None:
        row = self._one("SELECT version, blob FROM models WHERE active = 1 ORDER BY version DESC LIMIT 1")
        return (int(row["version"]), bytes(row["blob"])) if row else None

    def model_created_at(self, version: int) -> str:
        row = self._one("SELECT created_at FROM models WHERE version = ?", (version,))
        return row[0] if row else ""

    def models(self) -> list[dict[str, Any]]:
        rows = self._all(
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
        with self.transaction() as conn:
            if not conn.execute("SELECT 1 FROM models WHERE version = ?", (version,)).fetchone():
                raise StoreError(f"no model version {version}")
            conn.execute("UPDATE models SET active = (version = ?)", (version,))

    def set_setting(self, key: str, value: Any, reason: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value, set_at, reason) VALUES (?, ?, ?, ?)",
                (key, json.dumps(value), utcnow(), reason),
            )

    def setting(self, key: str, default: Any = None) -> Any:
        row = self._one("SELECT value FROM settings WHERE key = ? ORDER BY rowid DESC LIMIT 1", (key,))
        return json.loads(row[0]) if row else default


    # ---- review page queries (web) -------------------------------------------------------------

    def review_queue(
        self,
        *,
        status: str = "new",
        query: str | None = None,
        source: str | None = None,
        category: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """The queue for the review page, best first, with its total; ``query`` searches titles and summaries.

        With a query every matching work is a result, queued or not (the curator is looking for it),
        among the newest SEARCH_CAP text matches (the total's ``capped`` says there were more);
        without one, only queued works.  ``since``/``until`` bound ``queued_at`` (a week).
        """
        where: list[str] = []
        params: list[Any] = []
        match = fts_query(query) if query else None
        capped = False
        if match:
            # Every match's work id is a read of the FTS table's content row: at a million works a common
            # word matches tens of thousands (and ranking them by bm25 costs as much).  The newest
            # SEARCH_CAP matches (by FTS rowid: the order works arrived or were last edited) are the
            # candidates, ordered by score like the queue.
            hits = [r[0] for r in self._all(
                "SELECT work_id FROM works_fts WHERE works_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
                (match, SEARCH_CAP + 1),
            )]
            capped = len(hits) > SEARCH_CAP
            where.append("w.id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(hits[:SEARCH_CAP]))
        elif query:
            return [], QueueTotal(0)
        else:
            where.append("w.queued_at IS NOT NULL")
        if status != "all":
            # A week or a source narrows more than the status does: "+" keeps the planner off the status
            # index (every queued row), onto the week's index or the source's sightings.
            where.append("+w.status = ?" if since or until or source else "w.status = ?")
            params.append(status)
        for clause, value in (
            ("w.category = ?", category), ("w.score >= ?", min_score), ("w.score <= ?", max_score),
            ("w.queued_at >= ?", since), ("w.queued_at < ?", until),
            ("w.id IN (SELECT g.work_id FROM sightings g WHERE g.source = ?)", source),
        ):
            if value is not None and value != "":
                where.append(clause)
                params.append(value)
        condition = " AND ".join(where) or "1"
        # One source's sightings are checked against the queued works' own small index (migration 5);
        # without statistics the planner would take the primary key and read each work's whole row.
        table = "works w INDEXED BY works_queued_id" if source and not match else "works w"
        total = self._one(f"SELECT COUNT(*) FROM {table} WHERE {condition}", params)[0]
        rows = self._all(
            # SQLite sorts NULL scores last in DESC order; said this way the queue index gives the order.
            f"SELECT w.* FROM {table} WHERE {condition} ORDER BY w.score DESC, w.id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        out = QueueTotal(total)
        out.capped, out.cap = capped, SEARCH_CAP
        return [_work_dict(r) for r in rows], out

    def source_names(self) -> list[str]:
        """Every source that has a row or a sighting, for the filter menu."""
        # DISTINCT over sightings reads the whole index (a million rows); hopping from one source name to
        # the next through the index costs one seek per source instead.
        rows = self._all(
            "WITH RECURSIVE seen(source) AS (SELECT MIN(source) FROM sightings UNION ALL"
            " SELECT (SELECT MIN(source) FROM sightings WHERE source > seen.source) FROM seen WHERE seen.source IS NOT NULL)"
            " SELECT name FROM sources UNION SELECT source FROM seen WHERE source IS NOT NULL ORDER BY 1"
        )
        return [r[0] for r in rows]

    def status_counts(self) -> dict[str, int]:
        """Queued works per status."""
        rows = self._all("SELECT status, COUNT(*) FROM works WHERE queued_at IS NOT NULL GROUP BY status")
        return {r[0]: int(r[1]) for r in rows}

    def decision_counts_by_week(self, weeks: int = 8) -> list[dict[str, Any]]:
        """Decisions per ISO week (Monday) and action over the last ``weeks`` weeks, newest first."""
        rows = self._all(
            "SELECT date(decided_at, 'weekday 0', '-6 days') AS week, action, COUNT(*) AS n FROM decisions"
            " WHERE decided_at >= ? GROUP BY week, action ORDER BY week DESC, action",
            (iso_ago(weeks * 7 * 86400),),
        )
        return [dict(r) for r in rows]

    def accepted_since(self, since: str) -> list[dict[str, Any]]:
        """Works accepted by a curator since then and still accepted, with their catalog entry's fields."""
        rows = self._all(
            """
            SELECT w.*, d.decided_at, d.origin AS decided_by, c.id AS catalog_id, c.title AS entry_title,
                   c.description AS entry_description, c.category AS entry_category
            FROM decisions d JOIN works w ON w.id = d.work_id LEFT JOIN catalog c ON c.work_id = w.id
            WHERE d.action = 'accept' AND d.decided_at >= ? AND d.origin NOT IN ('import', 'seed')
              AND w.status = 'accepted' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.reverses = d.id)
            ORDER BY d.decided_at, d.id
            """,
            (since,),
        )
        out, seen = [], set()
        for row in rows:
            if row["id"] not in seen:
                seen.add(row["id"])
                out.append(_work_dict(row))
        return out

    def source_counts_since(self, since: str) -> list[dict[str, Any]]:
        """Per source since then: sightings, works it was first to show, candidates queued, accepted."""
        rows = self._all(
            """
            SELECT g.source AS source, COUNT(*) AS sightings,
              COUNT(DISTINCT CASE WHEN w.first_seen >= ? THEN w.id END) AS new_works,
              COUNT(DISTINCT CASE WHEN w.queued_at >= ? THEN w.id END) AS candidates,
              COUNT(DISTINCT CASE WHEN w.status = 'accepted' AND w.queued_at >= ? THEN w.id END) AS accepted
            FROM sightings g JOIN works w ON w.id = g.work_id
            WHERE g.seen_at >= ? AND g.source NOT LIKE 'catalog:%'
            GROUP BY g.source ORDER BY g.source
            """,
            (since, since, since, since),
        )
        return [dict(r) for r in rows]

    def standing_decision(self, work_id: str) -> dict[str, Any] | None:
        """The latest decision about a work that no undo reversed (for its note and time)."""
        standing = _standing_decisions(self.conn, work_id)
        return dict(standing[-1]) if standing else None

    # ---- tuning and audit queries ----------------------------------------------------------------

    def review_history(self) -> list[dict[str, Any]]:
        """Each work's standing accept/reject/out-of-scope decision with the score it had then, for tuning.

        One row per work: ``label`` (1 accepted, 0 not), ``score`` and ``model_version`` at decision time,
        ``decided_at``, the work's ``first_seen`` and ``queue_reason``, and the sources that mentioned it.
        Catalog imports and seeds are left out (no score stood behind them), and so are works never scored.
        """
        reversed_ids = {r[0] for r in self._all("SELECT reverses FROM decisions WHERE action = 'undo'")}
        standing: dict[str, sqlite3.Row] = {}
        for row in self._all(
            "SELECT d.*, w.first_seen, w.queue_reason FROM decisions d JOIN works w ON w.id = d.work_id "
            "WHERE d.action != 'undo' ORDER BY d.id"
        ):
            if row["id"] not in reversed_ids:
                standing[row["work_id"]] = row
        kept = [
            r for r in standing.values()
            if r["action"] in ("accept", "reject", "out_of_scope") and r["score"] is not None
            and r["origin"] not in ("import", "seed")
        ]
        sources = _sources_of(self.conn, [r["work_id"] for r in kept])
        return [
            {
                "work_id": r["work_id"], "label": 1 if r["action"] == "accept" else 0, "score": float(r["score"]),
                "model_version": r["model_version"], "decided_at": r["decided_at"], "first_seen": r["first_seen"],
                "queue_reason": r["queue_reason"], "origin": r["origin"], "sources": sorted(sources.get(r["work_id"], [])),
            }
            for r in kept
        ]

    def record_decision_at(
        self, work_id: str, action: str, decided_at: str, *, category: str | None = None, note: str | None = None,
        origin: str = "replay",
    ) -> int:
        """Append a decision with an explicit time, for replaying a past review history (tests, imports).

        Same effect as ``decide`` (append, status, queue entry), only ``decided_at`` is given; decisions
        stay append-only.
        """
        with self.transaction() as conn:
            return _append_decision(conn, work_id, action, category, note, origin, True, decided_at)

    def queue_works(self, work_ids: Sequence[str], reason: str, now: str | None = None) -> list[str]:
        """Put undecided, unqueued works into the review queue for ``reason`` (audit, uncertain)."""
        now = now or utcnow()
        queued: list[str] = []
        with self.transaction() as conn:
            for work_id in work_ids:
                cur = conn.execute(
                    "UPDATE works SET queued_at = ?, queue_reason = ? WHERE id = ? AND queued_at IS NULL AND status = 'new'",
                    (now, reason, work_id),
                )
                if cur.rowcount:
                    queued.append(work_id)
        return queued

    def unqueued_at_or_above(self, threshold: float, since: str) -> list[str]:
        """Undecided, unqueued works first seen since ``since`` whose latest score reaches ``threshold``."""
        rows = self._all(
            "SELECT id FROM works WHERE first_seen >= ? AND queued_at IS NULL AND status = 'new' AND score >= ?"
            " ORDER BY score DESC",
            (since, threshold),
        )
        return [r[0] for r in rows]

    def below_threshold_pool(self, start: str, end: str) -> list[dict[str, Any]]:
        """Works first seen in [start, end) that nobody queued or decided, with their score and threshold.

        The threshold is the one recorded with the work's latest score; the audit draws from these.
        """
        rows = self._all(
            "SELECT w.id, w.score, s.threshold FROM works w "
            "JOIN scores s ON s.work_id = w.id AND s.model_version = w.model_version "
            "WHERE w.first_seen >= ? AND w.first_seen < ? AND w.queued_at IS NULL AND w.status = 'new' "
            "AND w.score IS NOT NULL ORDER BY w.id",
            (start, end),
        )
        return [dict(r) for r in rows]

    def queued_count(self, start: str, end: str, reason: str) -> int:
        """Works first seen in [start, end) that joined the queue for ``reason``."""
        return self._one(
            "SELECT COUNT(*) FROM works WHERE first_seen >= ? AND first_seen < ? AND queue_reason = ?",
            (start, end, reason),
        )[0]

    def stream_scores(self, since: str) -> list[tuple[str, float]]:
        """(first_seen, latest score) of every scored work first seen since then: the weekly load and drift."""
        return [
            (r[0], float(r[1]))
            for r in self._all(
                "SELECT first_seen, score FROM works WHERE first_seen >= ? AND score IS NOT NULL ORDER BY first_seen",
                (since,),
            )
        ]

    def first_work_seen(self) -> str | None:
        row = self._one("SELECT MIN(first_seen) FROM works")
        return row[0] if row else None

    def setting_history(self, key: str) -> list[dict[str, Any]]:
        """Every value a setting has had, oldest first, with when and why it was set."""
        return [
            {"value": json.loads(r["value"]), "set_at": r["set_at"], "reason": r["reason"]}
            for r in self._all("SELECT value, set_at, reason FROM settings WHERE key = ? ORDER BY rowid", (key,))
        ]

    # ---- linking, backfill and submissions ----

    def index_titles(self) -> int:
        """Give every work its normalised title in ``work_titles`` (new works since the last call; all at first).

        Works arrive through ``ingest`` and elsewhere; catching up by rowid here keeps them all in the
        index without a trigger that would need Python.  Returns how many titles were added.
        """
        from crawler.link import normalise_title

        mark = self._one("SELECT COALESCE(MAX(works_rowid), 0) FROM work_titles")[0]
        rows = self._all("SELECT rowid, id, title FROM works WHERE rowid > ? ORDER BY rowid", (mark,))
        if not rows and self._one("SELECT COUNT(*) FROM work_titles")[0] >= self._one("SELECT COUNT(*) FROM works")[0]:
            return 0
        if not rows:  # rowids renumbered (VACUUM): find the works the index lacks
            rows = self._all(
                "SELECT rowid, id, title FROM works WHERE id NOT IN (SELECT work_id FROM work_titles) ORDER BY rowid"
            )
        titles = [(r["id"], normalise_title(r["title"]), r["rowid"]) for r in rows]
        with self.transaction(durable=False) as conn:
            conn.executemany("INSERT OR REPLACE INTO work_titles (work_id, norm, works_rowid) VALUES (?, ?, ?)", titles)
            conn.executemany("INSERT INTO titles_fts (work_id, norm) VALUES (?, ?)", [t[:2] for t in titles])
        return len(rows)

    def work_ids_by_title(self, norm_titles: Sequence[str]) -> dict[str, list[str]]:
        """Normalised title -> the works that have exactly it (``crawler.link.normalise_title``), one indexed read."""
        self.index_titles()
        out: dict[str, list[str]] = {}
        for chunk in _chunks(sorted({t for t in norm_titles if t}), 500):
            marks = ",".join("?" * len(chunk))
            for row in self._all(f"SELECT norm, work_id FROM work_titles WHERE norm IN ({marks}) ORDER BY work_id", chunk):
                out.setdefault(row[0], []).append(row[1])
        return out

    def similar_titles(self, norm_title: str, limit: int = 10) -> list[tuple[str, str]]:
        """(work id, normalised title) of works whose title holds the five longest words of ``norm_title``
        (titles-only full-text index): candidates for a near-duplicate match, which ``crawler.link`` measures."""
        words = sorted(set(norm_title.split()), key=lambda w: (-len(w), w))[:5]
        if not words:
            return []
        match = " ".join(f'"{w}"' for w in words)
        try:
            rows = self._all("SELECT work_id, norm FROM titles_fts WHERE titles_fts MATCH ? LIMIT ?", (match, limit))
        except sqlite3.OperationalError:
            return []
        return [(r[0], r[1]) for r in rows]

    def titles_of(self, work_ids: Sequence[str]) -> dict[str, str]:
        return {t.id: t.title for t in self.texts(work_ids)}

    def sightings_since_decision(self, work_id: str) -> dict[str, Any]:
        """A decided work's standing decision and the sightings that came after it (shown next to it).

        ``{"decision": {...} | None, "sightings": [...]}``; with no standing decision every sighting is new.
        """
        standing = _standing_decisions(self.conn, work_id)
        decision = dict(standing[-1]) if standing else None
        since = decision["decided_at"] if decision else ""
        rows = self._all(
            "SELECT * FROM sightings WHERE work_id = ? AND seen_at > ? ORDER BY seen_at, id", (work_id, since)
        )
        return {"decision": decision, "sightings": [dict(r) for r in rows]}

    def seen_again_after_decision(self, since: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Decided works with sightings newer than their status (newest first): "it came back, already decided"."""
        rows = self._all(
            """
            SELECT w.*, MAX(g.seen_at) AS seen_again_at, COUNT(g.id) AS new_sightings, d.decided_at,
                   json_group_array(DISTINCT g.source) AS again_sources
            FROM works w
            JOIN (SELECT work_id, MAX(decided_at) AS decided_at FROM decisions GROUP BY work_id) d ON d.work_id = w.id
            JOIN sightings g ON g.work_id = w.id AND g.seen_at > d.decided_at
            WHERE w.status != 'new' AND g.seen_at >= ?
            GROUP BY w.id ORDER BY seen_again_at DESC LIMIT ?
            """,
            (since or "", limit),
        )
        return [{**_work_dict(r), "sources": sorted(json.loads(r["again_sources"]))} for r in rows]

    def unscored_among(self, work_ids: Sequence[str]) -> list[str]:
        """The works among these that no model has scored yet (a page ingested before a crash, say)."""
        out: list[str] = []
        for chunk in _chunks(list(dict.fromkeys(work_ids)), 500):
            marks = ",".join("?" * len(chunk))
            out.extend(r[0] for r in self._all(f"SELECT id FROM works WHERE id IN ({marks}) AND score IS NULL", chunk))
        return out

    def backfill(self, key: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM backfills WHERE key = ?", (key,))
        return dict(row) if row else None

    def backfill_start(self, key: str, params: dict[str, Any]) -> dict[str, Any]:
        """The harvest named ``key``: the unfinished one to resume, else a new one (a finished one restarts)."""
        now = utcnow()
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM backfills WHERE key = ?", (key,)).fetchone()
            if row is not None and row["finished_at"] is None:
                return dict(row)
            conn.execute("DELETE FROM backfills WHERE key = ?", (key,))
            conn.execute(
                "INSERT INTO backfills (key, endpoint, metadata_prefix, set_spec, from_date, until_date, categories,"
                " started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, params["endpoint"], params["metadata_prefix"], params.get("set_spec"), params.get("from_date"),
                 params.get("until_date"), json.dumps(list(params.get("categories") or [])), now, now),
            )
            return dict(conn.execute("SELECT * FROM backfills WHERE key = ?", (key,)).fetchone())

    def backfill_page_done(
        self, backfill_id: int, token: str | None, *, records: int, new_works: int, new_candidates: int,
        complete_size: int | None = None, last_datestamp: str | None = None,
    ) -> None:
        """Record a page as harvested and keep the next resumption token (None: the list is complete)."""
        now = utcnow()
        with self.transaction(durable=False) as conn:
            conn.execute(
                "UPDATE backfills SET token = ?, pages = pages + 1, records = records + ?, new_works = new_works + ?,"
                " new_candidates = new_candidates + ?, complete_size = COALESCE(?, complete_size),"
                " last_datestamp = COALESCE(?, last_datestamp), updated_at = ?,"
                " finished_at = CASE WHEN ? IS NULL THEN ? ELSE NULL END WHERE id = ?",
                (token, records, new_works, new_candidates, complete_size, last_datestamp, now, token, now, backfill_id),
            )

    def backfills(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._all("SELECT * FROM backfills ORDER BY id")]

    def record_submission(self, work_id: str, url: str, note: str | None = None) -> dict[str, Any]:
        """Queue a submitted work whatever its score (``queue_reason='submitted'``) unless it was already
        decided; the submission itself is kept.  Returns the work's status and whether it is queued now."""
        now = utcnow()
        with self.transaction() as conn:
            work = conn.execute("SELECT status FROM works WHERE id = ?", (work_id,)).fetchone()
            if work is None:
                raise StoreError(f"no work with id {work_id!r}")
            conn.execute(
                "INSERT INTO submissions (work_id, url, note, submitted_at) VALUES (?, ?, ?, ?)", (work_id, url, note, now)
            )
            cur = conn.execute(
                "UPDATE works SET queued_at = COALESCE(queued_at, ?), queue_reason = 'submitted' "
                "WHERE id = ? AND status = 'new'",
                (now, work_id),
            )
            return {"status": work["status"], "queued": bool(cur.rowcount)}

    def submissions(self, work_id: str | None = None) -> list[dict[str, Any]]:
        if work_id:
            return [dict(r) for r in self._all("SELECT * FROM submissions WHERE work_id = ? ORDER BY id", (work_id,))]
        return [dict(r) for r in self._all("SELECT * FROM submissions ORDER BY id")]


def _standing_decisions(conn: sqlite3.Connection, work_id: str) -> list[sqlite3.Row]:
    """The decisions about a work that no undo has reversed, oldest first."""
    rows = conn.execute("SELECT * FROM decisions WHERE work_id = ? ORDER BY id", (work_id,)).fetchall()
    reversed_ids = {r["reverses"] for r in rows if r["action"] == "undo"}
    return [r for r in rows if r["action"] != "undo" and r["id"] not in reversed_ids]


def _work_dict(row: sqlite3.Row) -> dict[str, Any]:
    work = dict(row)
    work["canonical_id"] = work["id"]
    work["authors"] = json.loads(work["authors"])
    work["links"] = json.loads(work["links"])
    return work


def _pairs(pairs: Sequence[tuple[str, float]]) -> list[list[Any]]:
    return [[str(term), round(float(value), 4)] for term, value in pairs]


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (which contain ';') whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        if joined.endswith(";") and (not joined.upper().startswith("CREATE TRIGGER") or joined.upper().endswith("END;")):
            statements.append(joined)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current).strip())
    return statements


def _sources_of(conn: sqlite3.Connection, work_ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for chunk in _chunks(list(work_ids), 500):
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT DISTINCT work_id, source FROM sightings WHERE work_id IN ({marks})", chunk):
            out.setdefault(row[0], []).append(row[1])
    return out


SEARCH_CAP = 1000  # text matches a search considers (the newest); more are reported as "1,000+"


class QueueTotal(int):
    """The queue's total; ``capped`` when a search stopped at SEARCH_CAP text matches and there are more."""

    capped: bool = False
    cap: int = 0


def fts_query(text: str) -> str | None:
    """A user's search words as an FTS5 query: each word quoted (no operators), the last one a prefix."""
    words = [w for w in re.findall(r"\w+", text or "") if w][:20]
    if not words:
        return None
    return " ".join(f'"{w}"' for w in words[:-1]) + (" " if len(words) > 1 else "") + f'"{words[-1]}"*'


CATALOG_FIELDS = (
    "work_id", "title", "description", "category", "url", "year", "date_published", "authors", "affiliations",
    "submitter",
)


def _append_decision(
    conn: sqlite3.Connection, work_id: str, action: str, category: str | None, note: str | None, origin: str,
    enqueue: bool, decided_at: str | None = None,
) -> int:
    if action not in ACTIONS:
        raise StoreError(f"unknown action {action!r} (expected one of {', '.join(ACTIONS)})")
    work = conn.execute("SELECT score, model_version FROM works WHERE id = ?", (work_id,)).fetchone()
    if work is None:
        raise StoreError(f"no work with id {work_id!r} (see `rsiwatch candidates`)")
    now = decided_at or utcnow()
    cur = conn.execute(
        "INSERT INTO decisions (work_id, action, category, note, decided_at, model_version, score, origin)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (work_id, action, category, note, now, work["model_version"], work["score"], origin),
    )
    conn.execute("UPDATE works SET status = ? WHERE id = ?", (STATUS_OF_ACTION[action], work_id))
    if enqueue:
        conn.execute(
            "UPDATE works SET queued_at = ?, queue_reason = 'decided' WHERE id = ? AND queued_at IS NULL", (now, work_id)
        )
    if category:
        conn.execute("UPDATE works SET category = ? WHERE id = ?", (category, work_id))
    return int(cur.lastrowid)


def _upsert_catalog(conn: sqlite3.Connection, entry: dict[str, Any], origin: str) -> int:
    """Insert or update a catalog entry: by its ID when given, else by its work (one entry per work)."""
    values = [entry.get(f) for f in CATALOG_FIELDS]
    values[CATALOG_FIELDS.index("description")] = entry.get("description") or ""
    flags = json.dumps(list(entry.get("flags") or []))
    columns = ", ".join(CATALOG_FIELDS)
    marks = ", ".join("?" * len(CATALOG_FIELDS))
    if entry.get("id") is not None:
        conn.execute(
            f"INSERT OR REPLACE INTO catalog (id, {columns}, flags, origin, added_at) VALUES (?, {marks}, ?, ?, ?)",
            [entry["id"], *values, flags, origin, utcnow()],
        )
        return int(entry["id"])
    updates = ", ".join(f"{f} = excluded.{f}" for f in CATALOG_FIELDS if f != "work_id")
    cur = conn.execute(
        f"INSERT INTO catalog ({columns}, flags, origin, added_at) VALUES ({marks}, ?, ?, ?) "
        f"ON CONFLICT (work_id) DO UPDATE SET {updates}, flags = excluded.flags",
        [*values, flags, origin, utcnow()],
    )
    if entry.get("work_id"):
        return int(conn.execute("SELECT id FROM catalog WHERE work_id = ?", (entry["work_id"],)).fetchone()[0])
    return int(cur.lastrowid)

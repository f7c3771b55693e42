"""The store's foundation: opening, migrating, transactions, and the helpers its parts share (see
``rsiwatch/store/__init__.py`` for what the store promises)."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self, TypedDict, cast

from crawler.items import Validators
from crawler.settings import package_version
from rsiwatch.store.schema import MIGRATIONS
from rsiwatch.store.upgrade import migration_changes, report_upgrade, take_backup_before_migration

BUSY_TIMEOUT_S = 30.0
# Keys of the `settings` table, whose every change is kept with its time and reason.
THRESHOLD_SETTING = "threshold"  # set by `rsiwatch tune`
RETRAIN_SETTING = "retrain_last"  # the latest retraining's outcome
INIT_SETTING = "initialised"  # set by `rsiwatch init` (the daemon refuses a database without it)
ACTIONS = ("accept", "reject", "defer", "out_of_scope")
STATUS_OF_ACTION = {"accept": "accepted", "reject": "rejected", "defer": "deferred", "out_of_scope": "out_of_scope"}
QUEUE_STATUSES = ("new", "accepted", "rejected", "deferred", "out_of_scope", "all")
# Decisions that load the catalog (the seed, an import) rather than record a curator's review: no score
# stood behind them, and they are nobody's week of decisions.
CATALOG_LOAD_ORIGINS = ("import", "seed")


def is_catalog_load(origin: str) -> bool:
    """Whether a decision came with a catalog (the seed, an import of FILE) rather than from a review."""
    return origin in CATALOG_LOAD_ORIGINS or origin.startswith("import ")


def reviewed_sql(alias: str = "") -> str:
    """SQL: a decisions row (``alias``-qualified) that a curator took, not one a catalog load brought."""
    column = f"{alias}.origin" if alias else "origin"
    return f"({column} NOT IN ({', '.join(repr(o) for o in CATALOG_LOAD_ORIGINS)}) AND {column} NOT LIKE 'import %')"


# Writes from one process take this lock around their transaction.  SQLite serialises writers anyway, so
# it costs nothing; it lets a stopping daemon wait for the write in progress and then allow no other.
_PROCESS_WRITES = threading.RLock()


def quiesce_writes(timeout: float) -> bool:
    """Wait for the write in progress to commit, then block all further writes in this process."""
    return _PROCESS_WRITES.acquire(timeout=timeout)


class StoreError(Exception):
    """A problem with the database a user can act on (one line)."""


class SchemaTooNew(StoreError):
    """The database was upgraded by a newer rsiwatch: this one must not touch it (a daemon exits for a
    restart with the new code; see ``rsiwatch/daemon.py``)."""


def iso(moment: datetime) -> str:
    """UTC with milliseconds: sortable as text, and fine enough for sources due every second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def inserted_id(cur: sqlite3.Cursor) -> int:
    """The rowid an INSERT just gave (sqlite3 types it ``int | None``: None only after other statements)."""
    if cur.lastrowid is None:
        raise StoreError("no row was inserted")
    return cur.lastrowid


def moment(text: str) -> datetime:
    """A timestamp the database always holds (a NOT NULL column) as an aware datetime."""
    when = parse_iso(text)
    if when is None:
        raise StoreError(f"expected a timestamp, found {text!r}")
    return when


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def utcnow() -> str:
    return iso(datetime.now(UTC))


def iso_ago(seconds: float) -> str:
    return iso(datetime.now(UTC) - timedelta(seconds=seconds))


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


class Database:
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
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path}: not a usable rsiwatch database: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self._schema_version()
        if version == 0:
            # WAL is a property of the file: switched on once, when the database is created (outside any
            # transaction, as SQLite requires; a second process doing it too changes nothing).
            self.conn.execute("PRAGMA journal_mode = WAL")
        if version == len(MIGRATIONS):
            return
        with self.transaction():
            # Read again inside the write transaction: another process may have migrated since the read
            # above (three commands started together on an old database once failed one of them with
            # "duplicate column name").  BEGIN IMMEDIATE makes the others wait here, then find nothing to do.
            version = self._schema_version()
            if version == len(MIGRATIONS):
                return
            backup = take_backup_before_migration(self.path, version) if version > 0 else None
            for number in range(version, len(MIGRATIONS)):
                # executescript would COMMIT our transaction; run statements one by one instead.
                for statement in _split_sql(MIGRATIONS[number]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number + 1}")
            changes = migration_changes(self.conn, version)
        if backup is not None:
            report_upgrade(f"{self.path}: upgraded the schema from version {version} to {len(MIGRATIONS)}; "
                           f"the database as it was is in {backup}")
            for change in changes:
                report_upgrade(f"{self.path}: {change}")

    def _schema_version(self) -> int:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise SchemaTooNew(
                f"{self.path}: schema version {version} is newer than this rsiwatch knows ({len(MIGRATIONS)}, "
                f"rsiwatch {package_version()}); a newer release upgraded it: run that one"
            )
        return version

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (``IMMEDIATE``) so writers queue instead of deadlocking.

        ``durable=False`` is for what the next crawl brings back (works, sightings, scores, source state):
        its commit is not synced to disk (WAL with ``synchronous = NORMAL``), so a power cut may lose the
        newest such transactions but never corrupts the file, and the next durable commit (a decision, the
        catalog, a setting, a model) syncs everything written before it.  Decisions stay fully durable.
        """
        with _PROCESS_WRITES:
            if self.conn.in_transaction:
                # Inside an enclosing transaction (``Store.transaction`` around several steps, as a crawl
                # commits a batch of sources at once): a savepoint, so this step still succeeds or fails
                # whole, and the enclosing transaction's commit makes it durable (or not) with the rest.
                if durable and self._synchronous != "FULL":  # SQLite cannot raise the level mid-transaction
                    raise RuntimeError("a durable write inside a transaction opened with durable=False")
                with self._savepoint() as conn:
                    yield conn
                return
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

    @contextmanager
    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("SAVEPOINT step")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK TO step")
            self.conn.execute("RELEASE step")
            raise
        else:
            self.conn.execute("RELEASE step")

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a query that always answers one (an aggregate)."""
        row = self.conn.execute(sql, params).fetchone()
        if row is None:
            raise StoreError(f"no row for {sql.split()[0]} query: {sql[:60]}")
        return row[0]

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()


def _standing_decisions(conn: sqlite3.Connection, work_id: str) -> list[sqlite3.Row]:
    """The decisions about a work that no undo has reversed, oldest first."""
    rows = conn.execute("SELECT * FROM decisions WHERE work_id = ? ORDER BY id", (work_id,)).fetchall()
    reversed_ids = {r["reverses"] for r in rows if r["action"] == "undo"}
    return [r for r in rows if r["action"] != "undo" and r["id"] not in reversed_ids]


class Work(TypedDict):
    """A work as the store hands it out (``Works.work``): to the review page, the terminal review, the CLI's
    accept and the catalog's loading.  One per canonical id, whichever sources saw it."""

    id: str  # canonical id: arxiv:2401.01234, doi:..., url:...
    canonical_id: str  # the same (older callers' name)
    title: str
    summary: str
    url: str
    published: str | None  # the date its source gave, as an ISO string
    authors: list[Any]  # names as the feeds gave them
    links: list[Any]  # the work's other addresses (code, project page)
    first_seen: str
    last_seen: str
    status: str  # new, accepted, rejected, deferred, out_of_scope: the standing decision
    queued_at: str | None  # when it joined the review queue (None: never)
    queue_reason: str | None  # score, submitted, audit, uncertain, pinned, discussed, cites
    score: float | None  # the latest score, under model_version
    model_version: int | None
    category: str | None  # the classifier's category
    muted_by: str | None  # the mute rule that keeps it out of the queue


def _work_dict(row: sqlite3.Row) -> Work:
    work = dict(row)
    work.pop("doc", None)  # the search index's key (schema migration 9), nothing a reader needs
    work["canonical_id"] = work["id"]
    work["authors"] = json.loads(work["authors"])
    work["links"] = json.loads(work["links"])
    return cast(Work, work)


def _pairs(pairs: Sequence[tuple[str, float]]) -> list[list[Any]]:
    return [[str(term), round(float(value), 4)] for term, value in pairs]


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _split_sql(script: str) -> list[str]:
    """A migration's statements one by one (executescript would COMMIT our transaction).  SQLite itself
    says where each ends, so trigger bodies and a ';' inside a string or a comment stay whole."""
    statements, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    rest = current[:-1].strip()  # after the last ';': blank, or a statement without one
    if rest:
        statements.append(rest)
    return statements


def _sources_of(conn: sqlite3.Connection, work_ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for chunk in _chunks(list(work_ids), 500):
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT DISTINCT work_id, source FROM sightings WHERE work_id IN ({marks})", chunk):
            out.setdefault(row[0], []).append(row[1])
    return out




@dataclass(frozen=True)
class QueueTotal:
    """How many works a queue view holds; ``capped`` when a search stopped at ``cap`` text matches and
    there are more (the page then says "N+ matches")."""

    count: int
    capped: bool = False
    cap: int = 0


def fts_query(text: str) -> str | None:
    """A user's search words as an FTS5 query: each word quoted (no operators), the last one a prefix."""
    words = [w for w in re.findall(r"\w+", text or "") if w][:20]
    if not words:
        return None
    # The last word is a prefix while it is being typed ("kern" finds kernels), but not a single letter
    # or a word that ends in symbols ("C++", "C#"): "C"* matched nearly every work.
    typed = len(words[-1]) > 1 and not re.search(r"\w[^\w\s]+\s*$", text)
    head = " ".join(f'"{w}"' for w in words[:-1]) + (" " if len(words) > 1 else "")
    return head + f'"{words[-1]}"' + ("*" if typed else "")


def symbol_words(text: str) -> list[str]:
    """Words of a search whose symbols matter and that FTS cannot see ("C++", "C#", "F#"), lower case:
    the search keeps only works whose text holds them as written."""
    return [w.lower() for w in (text or "").split() if re.fullmatch(r"\w+[+#]+", w)][:5]

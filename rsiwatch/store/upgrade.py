"""Upgrades made safe and visible: a copy of the database before a migration touches it, an online
``backup`` for operators' own schedules, and a one-line account of what a migration changed.

The copy is taken with SQLite's backup API inside the migration's write transaction, so it is the
database exactly as the old release left it, and no other process can write between the copy and the
migration.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rsiwatch.store.schema import MIGRATIONS
from rsiwatch.words import plural

log = logging.getLogger("rsiwatch.store")

# What a migration changed that a curator should hear of: keyed by a phrase of the migration's own text
# (migrations are renumbered when branches merge, their text never changes), a query for a label of each
# row it touched, what such a row is, and what to say ({counted}: the count and that noun).
MIGRATION_REPORTS: dict[str, tuple[str, str, str]] = {
    "'migration: one truth for each work'": (
        "SELECT '#' || c.id || ' ' || c.title FROM catalog_edits e JOIN catalog c ON c.id = e.entry_id "
        "WHERE e.origin = 'migration: one truth for each work' ORDER BY c.id",
        "catalog entry",
        "withdrew {counted} whose work's latest decision is not an accept (one truth for each "
        "work; `rsiwatch accept` brings one back): {rows}",
    ),
    "'resumed by the upgrade (was: '": (
        "SELECT name FROM sources WHERE paused = 0 AND paused_reason LIKE 'resumed by the upgrade%' ORDER BY name",
        "source",
        "resumed {counted} that 0.1 had paused after repeated failures (failing sources are now retried "
        "at most an hour apart, and reported by `rsiwatch status --check`): {rows}",
    ),
}


def _default_report(message: str) -> None:
    log.warning("%s", message)


_reporter: Callable[[str], None] = _default_report


def set_upgrade_reporter(reporter: Callable[[str], None]) -> None:
    """Where the account of an upgrade goes (the CLI: stderr; default: the log at warning level)."""
    global _reporter
    _reporter = reporter


def report_upgrade(message: str) -> None:
    _reporter(message)


def backup_path(db_path: Path, schema_version: int, moment: datetime | None = None) -> Path:
    """Beside the database, named with the schema version it holds and the time (UTC) of the copy."""
    stamp = (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return db_path.with_name(f"{db_path.name}.schema{schema_version}-{stamp}.bak")


def copy_database(source: sqlite3.Connection, target: Path) -> None:
    """An online copy through SQLite's backup API (consistent even while other processes write)."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    dest = sqlite3.connect(partial)
    try:
        source.backup(dest)
        # A copy that opens on its own: the WAL content is in the main file, journal mode kept as WAL.
        dest.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        dest.close()
    partial.replace(target)  # never a half-written file under the final name


def take_backup_before_migration(db_path: Path, schema_version: int) -> Path:
    """Called while the migrating connection holds the write lock but has written nothing: a second,
    read-only connection copies what is committed (SQLite refuses a backup from the writing connection)."""
    target = backup_path(db_path, schema_version)
    backup_database(db_path, target)
    return target


def backup_database(db_path: Path, target: Path) -> None:
    """``rsiwatch backup FILE``: a connection of its own that only reads, copied online to ``target``
    (the caller checked the database exists: connecting would create it)."""
    source = sqlite3.connect(db_path, timeout=30.0)
    try:
        copy_database(source, target)
    finally:
        source.close()


def migration_changes(conn: sqlite3.Connection, from_version: int) -> list[str]:
    """What the migrations after ``from_version`` changed that someone should hear of, one line each."""
    lines = []
    for marker, (query, noun, message) in MIGRATION_REPORTS.items():
        number = next(n for n, script in enumerate(MIGRATIONS, start=1) if marker in script)
        if number <= from_version:
            continue
        rows = conn.execute(query).fetchall()
        if rows:
            named = "; ".join(" ".join(str(row[0]).split())[:70] for row in rows)
            lines.append(message.format(counted=plural(len(rows), noun), rows=named))
    return lines


def echo_to_stderr(message: str) -> None:
    print(f"rsiwatch: {message}", file=sys.stderr, flush=True)

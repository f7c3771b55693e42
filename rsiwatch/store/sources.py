"""Sources: their schedule state, successes, failures and pauses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crawler.items import SourceResult, Validators
from rsiwatch.store.base import (
    Database,
    IngestStats,
    SourceState,
    utcnow,
)


class Sources:

    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure_sources(self, sources: Iterable[tuple[str, str, str | None]]) -> None:
        with self.db.transaction(durable=False) as conn:
            conn.executemany(
                "INSERT INTO sources (name, kind, url) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url",
                list(sources),
            )

    def source_state(self, name: str) -> SourceState:
        row = self.db.one("SELECT * FROM sources WHERE name = ?", (name,))
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
        with self.db.transaction(durable=False) as conn:
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
        self, name: str, error: str, started: str, *, not_before: str | None = None, pause_reason: str | None = None
    ) -> int:
        """Count a failed fetch; returns the consecutive failures.  ``pause_reason`` pauses the source (a
        permanent error: the server says the feed is gone); any other failure is retried after ``not_before``."""
        finished = utcnow()
        with self.db.transaction(durable=False) as conn:
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
            if pause_reason is not None:
                conn.execute("UPDATE sources SET paused = 1, paused_reason = ? WHERE name = ?", (pause_reason, name))
        return failures

    def set_paused(self, name: str, paused: bool, reason: str | None = None) -> bool:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE sources SET paused = ?, paused_reason = ?, consecutive_failures = "
                "CASE WHEN ? THEN consecutive_failures ELSE 0 END, not_before = NULL WHERE name = ?",
                (int(paused), reason if paused else None, int(paused), name),
            )
            return cur.rowcount > 0

    def source_report(self) -> list[dict[str, Any]]:
        """Per source: its state plus items, candidates and acceptance rate, for ``status``."""
        rows = self.db.all(
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

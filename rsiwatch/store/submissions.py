"""Submissions: pages people send in (``rsiwatch submit``, the public form), and the inbox where the
public form's arrive.

The public form only appends to ``inbox``: a POST never fetches anything.  A crawl then reads each page
(``rsiwatch.intake``); a page that cannot be read still joins the queue, as a placeholder work named by
its URL, and its fetch is tried again later, so a submission is never lost.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from rsiwatch.store.base import Database, StoreError, iso, utcnow

# A page that cannot be read is tried again after 10 minutes, then 20, 40 ... up to a day, 8 times.
RETRY_BASE_S = 600.0
RETRY_MAX_S = 86400.0
MAX_ATTEMPTS = 8


def first_submitter(conn: sqlite3.Connection, work_id: str) -> str | None:
    """Who to credit in the catalog's Submitter column: the first person who sent the work in by name."""
    row = conn.execute(
        "SELECT submitter FROM submissions WHERE work_id = ? AND submitter IS NOT NULL AND submitter != ''"
        " ORDER BY id LIMIT 1",
        (work_id,),
    ).fetchone()
    return row[0] if row else None


class Submissions:

    def __init__(self, db: Database) -> None:
        self.db = db

    def record_submission(
        self, work_id: str, url: str, note: str | None = None, *, submitter: str | None = None,
        fetch_error: str | None = None,
    ) -> dict[str, Any]:
        """Queue a submitted work whatever its score (``queue_reason='submitted'``) unless it was already
        decided; the submission itself is kept.  Returns the work's status and whether it is queued now."""
        now = utcnow()
        with self.db.transaction() as conn:
            work = conn.execute("SELECT status FROM works WHERE id = ?", (work_id,)).fetchone()
            if work is None:
                raise StoreError(f"no work with id {work_id!r}")
            conn.execute(
                "INSERT INTO submissions (work_id, url, note, submitted_at, submitter, fetch_error)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (work_id, url, note, now, submitter, fetch_error),
            )
            cur = conn.execute(
                "UPDATE works SET queued_at = COALESCE(queued_at, ?), queue_reason = 'submitted' "
                "WHERE id = ? AND status = 'new'",
                (now, work_id),
            )
            return {"status": work["status"], "queued": bool(cur.rowcount)}

    def submitter_of(self, work_id: str) -> str | None:
        """Whom the Submitter column credits for a work (the accept form shows it before it is saved)."""
        return first_submitter(self.db.conn, work_id)

    def latest_submissions(self, work_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The newest submission of each of these works (who sent it, why, and whether its page was read)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(work_ids), 500):
            chunk = work_ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.all(f"SELECT * FROM submissions WHERE work_id IN ({marks}) ORDER BY id", chunk):
                found[row["work_id"]] = dict(row)
        return found

    # ---- the public form's inbox ------------------------------------------------------------------

    def inbox_add(self, url: str, why: str, submitter: str | None) -> int:
        now = utcnow()
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO inbox (url, why, submitter, received_at, next_try) VALUES (?, ?, ?, ?, ?)",
                (url, why, submitter, now, now),
            )
            return int(cur.lastrowid or 0)

    def inbox_due(self, now: str | None = None) -> list[dict[str, Any]]:
        """Submissions whose page is still to be read and may be tried now, oldest first."""
        return [
            dict(r) for r in self.db.all(
                "SELECT * FROM inbox WHERE read_at IS NULL AND next_try <= ? AND attempts < ? ORDER BY id",
                (now or utcnow(), MAX_ATTEMPTS),
            )
        ]

    def inbox_read(self, inbox_id: int, work_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE inbox SET work_id = ?, read_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                (work_id, utcnow(), inbox_id),
            )

    def inbox_failed(self, inbox_id: int, error: str, work_id: str) -> None:
        """The page could not be read this time: keep the error and try again after a growing wait."""
        row = self.db.one("SELECT attempts FROM inbox WHERE id = ?", (inbox_id,))
        attempts = (row["attempts"] if row else 0) + 1
        wait = min(RETRY_BASE_S * 2 ** (attempts - 1), RETRY_MAX_S)
        next_try = iso(datetime.now(UTC) + timedelta(seconds=wait))
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE inbox SET attempts = ?, last_error = ?, next_try = ?, work_id = ? WHERE id = ?",
                (attempts, error, next_try, work_id, inbox_id),
            )

    def fill_placeholder(self, work_id: str, *, title: str, summary: str, url: str, published: str | None,
                         authors: list[str]) -> None:
        """Give a work that was queued under its bare URL the title and summary its page finally gave."""
        import json

        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE works SET title = ?, summary = ?, url = ?, published = COALESCE(?, published), authors = ?"
                " WHERE id = ?",
                (title, summary, url, published, json.dumps(authors), work_id),
            )
            conn.execute(
                "UPDATE submissions SET fetch_error = NULL WHERE work_id = ? AND fetch_error IS NOT NULL", (work_id,)
            )

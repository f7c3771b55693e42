"""What the review page and the digest read: the queue, filters, counts."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rsiwatch.store.base import (
    Database,
    QueueTotal,
    Work,
    _standing_decisions,
    _work_dict,
    fts_query,
    iso_ago,
    reviewed_sql,
    symbol_words,
)
from rsiwatch.store.cjk import cjk_hits_sql
from rsiwatch.store.discussion import QUEUE_ORDERS

SUGGESTED = "w.queue_reason = 'submitted' AND w.id IN (SELECT work_id FROM submissions)"

SEARCH_CAP = 1000  # text matches a search considers (the newest); more are reported as "1,000+"


def queue_filter(
    status: str,
    *,
    matched: list[str] | None = None,
    source: str | None = None,
    category: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    since: str | None = None,
    until: str | None = None,
) -> tuple[str, str, list[Any]]:
    """The queue's filters as (table, WHERE condition, parameters), for the review page and ``candidates``.

    Queued works, or with ``matched`` (a search's hits) those works whether queued or not; ``since`` and
    ``until`` bound ``queued_at``; an empty value is no filter.
    """
    params: list[Any]
    if matched is not None:
        where, params = ["w.id IN (SELECT value FROM json_each(?))"], [json.dumps(matched)]
    else:
        where, params = ["w.queued_at IS NOT NULL"], []
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
    # One source's sightings are checked against the queued works' own small index (migration 5);
    # without statistics the planner would take the primary key and read each work's whole row.
    table = "works w INDEXED BY works_queued_id" if source and matched is None else "works w"
    return table, " AND ".join(where), params


@dataclass(frozen=True)
class DecisionState:
    """Where a work's decisions stand, as a queue card shows them."""

    standing: dict[str, Any] | None  # the latest decision no undo reversed (its note, who took it)
    latest_id: int  # the newest decision of any kind, undos included: the state the page saw (0: none)


class Queue:

    def __init__(self, db: Database) -> None:
        self.db = db

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
        suggested: bool = False,
        limit: int = 100,
        offset: int = 0,
        order: str = "score",
    ) -> tuple[list[Work], QueueTotal]:
        """The queue for the review page, best first, with its total; ``query`` searches titles and summaries.

        With a query every matching work is a result, queued or not (the curator is looking for it),
        among the newest SEARCH_CAP text matches (the total's ``capped`` says there were more);
        without one, only queued works.  ``since``/``until`` bound ``queued_at`` (a week).
        """
        # As the stored text is written, whatever the keyboard typed: an input method's full-width Latin
        # (ＡＩ) and half-width kana (ｴｰｼﾞｪﾝﾄ) are the usual forms (NFKC).  The indexed text is not folded,
        # so a title written in such forms is found only as typed.
        query = unicodedata.normalize("NFKC", query) if query else query
        hits = self._text_matches(query) if query else None
        matched: list[str] | None = None
        capped = False
        reasons = self._reason_matches(query) if query else []
        if hits is not None:
            capped = len(hits) > SEARCH_CAP
            matched = [*reasons, *(h for h in hits[:SEARCH_CAP] if h not in reasons)]
        elif reasons:
            matched = reasons
        elif query:
            return [], QueueTotal(0)
        table, condition, params = queue_filter(status, matched=matched, source=source, category=category,
                                                min_score=min_score, max_score=max_score, since=since, until=until)
        for word in symbol_words(query or ""):  # "C++": FTS saw only "c"; the text must hold it as written
            condition += " AND instr(lower(COALESCE(w.title, '') || ' ' || COALESCE(w.summary, '')), ?) > 0"
            params.append(word)
        if suggested:
            condition += f" AND {SUGGESTED}"
        total = self.db.value(f"SELECT COUNT(*) FROM {table} WHERE {condition}", params)
        # Suggestions from the public first (a reader's pick scores low as often as not), then the rest,
        # each in the order asked (best score first, or most discussed); the suggestions are few, so
        # counting them is cheap.
        first = self.db.value(f"SELECT COUNT(*) FROM {table} WHERE {condition} AND {SUGGESTED}", params)
        # SQLite sorts NULL scores last in DESC order; said this way the queue index gives the order.
        ordered = f"ORDER BY {QUEUE_ORDERS[order]} LIMIT ? OFFSET ?"
        rows = self.db.all(f"SELECT w.* FROM {table} WHERE {condition} AND {SUGGESTED} {ordered}",
                           [*params, limit, offset]) if offset < first else []
        if len(rows) < limit and not suggested:
            rows += self.db.all(
                f"SELECT w.* FROM {table} WHERE {condition} AND NOT ({SUGGESTED}) {ordered}",
                [*params, limit - len(rows), max(0, offset - first)],
            )
        return [_work_dict(r) for r in rows], QueueTotal(total, capped, SEARCH_CAP)

    def _text_matches(self, query: str) -> list[str] | None:
        """The ids of the newest SEARCH_CAP + 1 works whose title or summary holds the search's words (None:
        it has no word to look for): a search with Chinese, Japanese or Korean from ``works_cjk``, any
        other from ``works_fts``."""
        # Every match's work id is a read of the work's row (by `works.doc`): at a million works a common
        # word matches tens of thousands (and ranking them by bm25 costs as much).  The newest SEARCH_CAP
        # matches (by FTS rowid, `works.doc`: the order works arrived or were last edited) are the
        # candidates, ordered by score like the queue.
        search = cjk_hits_sql(query)
        if search is None:
            match = fts_query(query)
            if not match:
                return None
            search = ("SELECT w.id FROM works_fts JOIN works w ON w.doc = works_fts.rowid WHERE works_fts MATCH ?"
                      " ORDER BY works_fts.rowid DESC", [match])
        sql, params = search
        return [r[0] for r in self.db.all(f"{sql} LIMIT ?", [*params, SEARCH_CAP + 1])]

    def _reason_matches(self, query: str) -> list[str]:
        """Works whose submitter's reason holds every word of the search (suggestions are few: a scan)."""
        words = [w.lower() for w in query.split()][:10]
        if not words:
            return []
        like = " AND ".join("instr(lower(note), ?) > 0" for _ in words)
        return [r[0] for r in self.db.all(
            f"SELECT DISTINCT work_id FROM submissions WHERE note IS NOT NULL AND {like} ORDER BY work_id", words)]

    def suggested_count(self, status: str = "new") -> int:
        """Queued suggestions from the public with this status (the queue's header says how many)."""
        return int(
            self.db.value(
                f"SELECT COUNT(*) FROM works w WHERE w.queued_at IS NOT NULL AND w.status = ? AND {SUGGESTED}",
                (status,),
            )
        )

    def source_names(self) -> list[str]:
        """Every source that has a row or a sighting, for the filter menu."""
        # DISTINCT over sightings reads the whole index (a million rows); hopping from one source name to
        # the next through the index costs one seek per source instead.
        rows = self.db.all(
            "WITH RECURSIVE seen(source) AS (SELECT MIN(source) FROM sightings UNION ALL"
            " SELECT (SELECT MIN(source) FROM sightings WHERE source > seen.source) FROM seen WHERE seen.source IS NOT "
            "NULL)"
            " SELECT name FROM sources UNION SELECT source FROM seen WHERE source IS NOT NULL ORDER BY 1"
        )
        return [r[0] for r in rows]

    def review_decision_count(self) -> int:
        """Decisions a curator took (undos included), not the ones that loaded the catalog."""
        return int(self.db.value(f"SELECT COUNT(*) FROM decisions WHERE {reviewed_sql()}"))

    def status_counts(self) -> dict[str, int]:
        """Queued works per status."""
        rows = self.db.all("SELECT status, COUNT(*) FROM works WHERE queued_at IS NOT NULL GROUP BY status")
        return {r[0]: int(r[1]) for r in rows}

    def decision_counts_by_week(self, weeks: int = 8) -> list[dict[str, Any]]:
        """Review decisions per ISO week (Monday) and action over the last ``weeks`` weeks, newest first
        (loading the seed catalog or an import is not a week's decisions)."""
        rows = self.db.all(
            "SELECT date(decided_at, 'weekday 0', '-6 days') AS week, action, COUNT(*) AS n FROM decisions"
            f" WHERE decided_at >= ? AND {reviewed_sql()} GROUP BY week, action ORDER BY week DESC, action",
            (iso_ago(weeks * 7 * 86400),),
        )
        return [dict(r) for r in rows]

    def accepted_since(self, since: str) -> list[Work]:
        """Works accepted by a curator since then and still accepted, with their catalog entry's fields."""
        rows = self.db.all(
            f"""
            SELECT w.*, d.decided_at, COALESCE(d.decided_by, d.origin) AS decided_by, c.id AS catalog_id,
                   c.title AS entry_title,
                   c.description AS entry_description, c.category AS entry_category
            FROM decisions d JOIN works w ON w.id = d.work_id LEFT JOIN catalog c ON c.work_id = w.id
            WHERE d.action = 'accept' AND d.decided_at >= ? AND {reviewed_sql("d")}
              AND w.status = 'accepted' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.reverses = d.id)
            ORDER BY d.decided_at, d.id
            """,
            (since,),
        )
        out: list[Work] = []
        seen = set()
        for row in rows:
            if row["id"] not in seen:
                seen.add(row["id"])
                out.append(_work_dict(row))
        return out

    def source_counts_since(self, since: str) -> list[dict[str, Any]]:
        """Per source since then: sightings, works it was first to show, candidates queued, accepted."""
        rows = self.db.all(
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

    def decision_states(self, work_ids: Sequence[str]) -> dict[str, DecisionState]:
        """For many works in one query (the queue page's cards): the standing decision (the latest no undo
        reversed) and the newest decision id of any kind (0: none), as ``standing_decision`` and
        ``Decisions.latest_decision_id`` give them one by one."""
        rows: dict[str, list[sqlite3.Row]] = {w: [] for w in work_ids}
        for r in self.db.all(
            "SELECT * FROM decisions WHERE work_id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(list(work_ids)),),
        ):
            rows[r["work_id"]].append(r)
        out = {}
        for work_id, decisions in rows.items():
            reversed_ids = {r["reverses"] for r in decisions if r["action"] == "undo"}
            standing = [r for r in decisions if r["action"] != "undo" and r["id"] not in reversed_ids]
            out[work_id] = DecisionState(
                standing=dict(standing[-1]) if standing else None,
                latest_id=int(decisions[-1]["id"]) if decisions else 0,
            )
        return out

    def standing_decision(self, work_id: str) -> dict[str, Any] | None:
        """The latest decision about a work that no undo reversed (for its note and time)."""
        standing = _standing_decisions(self.db.conn, work_id)
        return dict(standing[-1]) if standing else None

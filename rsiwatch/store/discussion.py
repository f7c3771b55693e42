"""Which independent sources discuss a work: newsletters, lab blogs, the citation watch, a reader's
suggestion.  A source counts once however often it mentions the work, and arXiv's own listings (its RSS,
API searches, the OAI-PMH backfill) do not count: they announce every paper, they discuss none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rsiwatch.store.base import Database, _chunks, _work_dict, utcnow

LISTING_KINDS = ("arxiv_rss", "arxiv_api", "oai_pmh")
DISCUSSED = "discussed"
_INDEPENDENT = (
    "SELECT DISTINCT g.work_id, g.source FROM sightings g LEFT JOIN sources s ON s.name = g.source "
    f"WHERE (s.kind IS NULL OR s.kind NOT IN ({', '.join(repr(k) for k in LISTING_KINDS)}))"
)


# Per queued work ``w``: how many independent sources discuss it (the queue's "most discussed" order).
DISCUSSION_COUNT_SQL = (
    "(SELECT COUNT(DISTINCT g.source) FROM sightings g LEFT JOIN sources s ON s.name = g.source "
    f"WHERE g.work_id = w.id AND (s.kind IS NULL OR s.kind NOT IN ({', '.join(repr(k) for k in LISTING_KINDS)})))"
)
# The queue's orders by name: best score first, or most discussed first (then by score).
QUEUE_ORDERS = {"score": "w.score DESC, w.id", "discussion": f"{DISCUSSION_COUNT_SQL} DESC, w.score DESC, w.id"}


class Discussion:

    def __init__(self, db: Database) -> None:
        self.db = db

    def sources_discussing(self, work_ids: Sequence[str]) -> dict[str, list[str]]:
        """Per work, the independent sources that mentioned it, by name."""
        out: dict[str, list[str]] = {}
        for chunk in _chunks(list(work_ids), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.all(f"{_INDEPENDENT} AND g.work_id IN ({marks}) ORDER BY g.work_id, g.source", chunk):
                out.setdefault(row[0], []).append(row[1])
        return out

    def queue_discussed(self, since: str, min_sources: int) -> list[str]:
        """Queue (reason ``discussed``) the undecided, unqueued, unmuted works mentioned since ``since``
        that ``min_sources`` independent sources now discuss.  Returns them."""
        if min_sources <= 0:
            return []
        now = utcnow()
        with self.db.transaction(durable=False) as conn:
            ids = [r[0] for r in conn.execute(
                f"SELECT d.work_id FROM ({_INDEPENDENT}) d JOIN works w ON w.id = d.work_id "
                "WHERE w.status = 'new' AND w.queued_at IS NULL AND w.muted_by IS NULL "
                "AND d.work_id IN (SELECT work_id FROM sightings WHERE seen_at >= ?) "
                "GROUP BY d.work_id HAVING COUNT(*) >= ? ORDER BY d.work_id",
                (since, min_sources),
            )]
            conn.executemany("UPDATE works SET queued_at = ?, queue_reason = ? WHERE id = ?",
                             [(now, DISCUSSED, i) for i in ids])
        return ids

    def most_discussed(self, since: str, limit: int = 10, at_least: int = 2) -> list[dict[str, Any]]:
        """The works mentioned since ``since`` that most independent sources discuss (at least
        ``at_least``), with ``discussed_in``: the digest's "what the field is talking about"."""
        rows = self.db.all(
            f"SELECT d.work_id, COUNT(*) AS n FROM ({_INDEPENDENT}) d "
            "WHERE d.work_id IN (SELECT work_id FROM sightings WHERE seen_at >= ?) "
            "GROUP BY d.work_id HAVING n >= ? ORDER BY n DESC, d.work_id LIMIT ?",
            (since, at_least, limit),
        )
        ids = [r[0] for r in rows]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        works = {r["id"]: _work_dict(r) for r in self.db.all(f"SELECT * FROM works WHERE id IN ({marks})", ids)}
        sources = self.sources_discussing(ids)
        return [{**works[i], "discussed_in": sources.get(i, [])} for i in ids if i in works]

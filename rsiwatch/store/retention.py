"""Bounded growth: old fetch rows fold into a summary per source; old model blobs are dropped.

Nothing here touches decisions, the catalog, works or the active model: only the two tables that grow
with every run whatever the curator does.
"""

from __future__ import annotations

from rsiwatch.store.base import Database

PRUNED_BLOB = b""  # a pruned model keeps its row (version, metrics, provenance) without its arrays


class Retention:

    def __init__(self, db: Database) -> None:
        self.db = db

    def prune_fetches(self, before: str) -> int:
        """Fold the fetch rows started before ``before`` into ``fetch_summaries``; returns the rows removed."""
        with self.db.transaction(durable=False) as conn:
            conn.execute(
                """
                INSERT INTO fetch_summaries (source, first_started_at, last_started_at, fetches, ok, not_modified,
                    errors, requests, bytes, items, new_works, new_candidates)
                SELECT source, MIN(started_at), MAX(started_at), COUNT(*), SUM(outcome = 'ok'),
                    SUM(outcome = 'not_modified'), SUM(outcome = 'error'), SUM(requests), SUM(bytes), SUM(items),
                    SUM(new_works), SUM(new_candidates)
                FROM fetches WHERE started_at < ? GROUP BY source
                ON CONFLICT (source) DO UPDATE SET
                    first_started_at = MIN(first_started_at, excluded.first_started_at),
                    last_started_at = MAX(last_started_at, excluded.last_started_at),
                    fetches = fetches + excluded.fetches, ok = ok + excluded.ok,
                    not_modified = not_modified + excluded.not_modified, errors = errors + excluded.errors,
                    requests = requests + excluded.requests, bytes = bytes + excluded.bytes,
                    items = items + excluded.items, new_works = new_works + excluded.new_works,
                    new_candidates = new_candidates + excluded.new_candidates
                """,
                (before,),
            )
            return conn.execute("DELETE FROM fetches WHERE started_at < ?", (before,)).rowcount

    def prune_model_blobs(self, keep: int) -> list[int]:
        """Drop the blob of every model but the active one and the ``keep`` newest; returns their versions."""
        with self.db.transaction() as conn:
            versions = [r[0] for r in conn.execute(
                "SELECT version FROM models WHERE active = 0 AND length(blob) > 0 AND version NOT IN"
                " (SELECT version FROM models ORDER BY version DESC LIMIT ?) ORDER BY version",
                (keep,),
            )]
            conn.executemany("UPDATE models SET blob = ? WHERE version = ?", [(PRUNED_BLOB, v) for v in versions])
        return versions

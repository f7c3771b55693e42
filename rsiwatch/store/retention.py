"""Bounded growth: old fetch rows fold into a summary per source; old model blobs are dropped; scores
of superseded models that nothing refers to fold into a summary per model version.

Nothing here touches decisions, the catalog, works or the active model: only the tables that grow with
every run whatever the curator does (every retrain rescored every open work: 7.85 score rows a work after
25 minutes of a daemon, about 30% of the file).
"""

from __future__ import annotations

from pathlib import Path

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
        """Drop the blob of every model but the active one and the ``keep`` newest others (``retention.models``
        counts the versions kept *besides* the active one); returns the versions dropped."""
        with self.db.transaction() as conn:
            versions = [r[0] for r in conn.execute(
                "SELECT version FROM models WHERE active = 0 AND length(blob) > 0 AND version NOT IN"
                " (SELECT version FROM models WHERE active = 0 ORDER BY version DESC LIMIT ?) ORDER BY version",
                (keep,),
            )]
            conn.executemany("UPDATE models SET blob = ? WHERE version = ?", [(PRUNED_BLOB, v) for v in versions])
        return versions

    def fold_scores(self) -> int:
        """Fold away the score rows nothing reads any more; returns how many.

        Kept: each work's latest score (the one ``works.model_version`` names, which the queue, the audit
        pool and rollbacks read), every score of the active model, the score a decision was taken on
        (``decisions.model_version``), and every score of a work queued by the weekly audit or the
        uncertainty picks.  The rest are scores of superseded models for works since rescored: each model
        version keeps their count, how many reached their threshold, their sum and time span in
        ``score_summaries``.
        """
        with self.db.transaction(durable=False) as conn:
            conn.execute("DROP TABLE IF EXISTS temp.folded_scores")
            conn.execute(
                """
                CREATE TEMP TABLE folded_scores AS
                SELECT s.rowid AS id FROM scores s JOIN works w ON w.id = s.work_id
                WHERE s.model_version IS NOT w.model_version
                  AND s.model_version != COALESCE((SELECT MAX(version) FROM models WHERE active = 1), -1)
                  AND COALESCE(w.queue_reason, '') NOT IN ('audit', 'uncertain')
                  AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.work_id = s.work_id
                                  AND d.model_version = s.model_version)
                """
            )
            conn.execute(
                """
                INSERT INTO score_summaries (model_version, scores, at_or_above, score_sum, first_scored_at,
                    last_scored_at)
                SELECT model_version, COUNT(*), SUM(score >= threshold), SUM(score), MIN(scored_at), MAX(scored_at)
                FROM scores WHERE rowid IN (SELECT id FROM temp.folded_scores) GROUP BY model_version
                ON CONFLICT (model_version) DO UPDATE SET
                    scores = scores + excluded.scores, at_or_above = at_or_above + excluded.at_or_above,
                    score_sum = score_sum + excluded.score_sum,
                    first_scored_at = MIN(first_scored_at, excluded.first_scored_at),
                    last_scored_at = MAX(last_scored_at, excluded.last_scored_at)
                """
            )
            folded = conn.execute("DELETE FROM scores WHERE rowid IN (SELECT id FROM temp.folded_scores)").rowcount
            conn.execute("DROP TABLE temp.folded_scores")
        return folded

    def vacuum(self) -> tuple[int, int]:
        """Give freed pages back to the disk (``VACUUM``); returns the file's size before and after, in bytes.

        It rewrites the whole file and needs as much free space again; run it with the daemon stopped (it
        waits for, then blocks, every other writer while it runs)."""
        before = _file_size(self.db.path)
        self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.conn.execute("VACUUM")
        self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return before, _file_size(self.db.path)


def _file_size(path: object) -> int:
    """The database and its write-ahead log, as the disk holds them."""
    base = Path(str(path))
    return sum(p.stat().st_size for p in (base, base.with_name(base.name + "-wal")) if p.exists())

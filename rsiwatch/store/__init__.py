"""The store: the one package that talks to ``candidates.db``.

SQLite in WAL mode with a busy timeout, so a crawl, the review page and a CLI decision can share the
file; every write is one ``BEGIN IMMEDIATE`` transaction, so a killed process leaves either all of a
step or none of it.  Decisions are appended, never rewritten (triggers in ``rsiwatch/store/schema.py`` enforce
it); ``works.status`` mirrors the latest effective decision and is updated in the same transaction.

``Store`` is a facade: one ``Database`` (``base.py``: the connection, migrations, transactions) shared
by small area objects, one per module, each holding its own queries and reachable by name:
``store.works``, ``store.sources``, ``store.scores``, ``store.decision_log``, ``store.catalog_entries``,
``store.model_registry``, ``store.review_page``, ``store.tuning``, ``store.linking``, ``store.retention``,
``store.submission_log``.  ``AREA_METHODS`` below is the index of which area answers which call; the
facade passes ``store.accept(...)`` to ``store.decision_log.accept(...)`` by that table, so a caller
needs only the ``Store`` and a reader finds any method's home in one look.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rsiwatch.store.base import (  # noqa: F401 - the names callers import from rsiwatch.store
    ACTIONS,
    BUSY_TIMEOUT_S,
    QUEUE_STATUSES,
    INIT_SETTING,
    RETRAIN_SETTING,
    STATUS_OF_ACTION,
    THRESHOLD_SETTING,
    Database,
    IngestStats,
    QueueTotal,
    SourceState,
    SchemaTooNew,
    StoreError,
    WorkText,
    _split_sql,
    fts_query,
    iso,
    iso_ago,
    parse_iso,
    quiesce_writes,
    utcnow,
)
from rsiwatch.store.catalog import Catalog, ImportPlan  # noqa: F401
from rsiwatch.store.decisions import Decisions
from rsiwatch.store.discussion import QUEUE_ORDERS, Discussion  # noqa: F401
from rsiwatch.store.entries import StaleDecision, fill_parsed_dates  # noqa: F401
from rsiwatch.store.linking import Linking
from rsiwatch.store.models import Models
from rsiwatch.store.retention import Retention
from rsiwatch.store.review_page import ReviewPage
from rsiwatch.store.rule_matches import RuleMatches
from rsiwatch.store.scholarly import Scholarly
from rsiwatch.store.scores import Scores
from rsiwatch.store.sources import Sources
from rsiwatch.store.submissions import Submissions
from rsiwatch.store.tuning import Tuning
from rsiwatch.store.works import Works

# Which area answers which call on the facade (each area's every public method, each name once; a test
# holds this table to the classes).
AREA_METHODS: dict[str, tuple[str, ...]] = {
    "sources": ("ensure_sources", "source_state", "record_success", "record_failure", "set_paused", "source_report"),
    "works": ("ingest", "work", "texts", "open_work_ids", "sources_of", "sighting_works", "sightings", "count"),
    "scores": (
        "record_scores", "unqueue_below_threshold", "queued_among", "save_explanations", "candidates", "candidate_count", "queue_reason_now", "latest_score"
    ),
    "decision_log": (
        "decide", "accept", "undo", "latest_decision_id", "work_entry", "decisions_since", "labelled_work_ids",
        "pool_size", "pool_texts"
    ),
    "catalog_entries": (
        "catalog", "catalog_counts", "catalog_entry", "catalog_edit", "catalog_edits", "apply_import", "catalog_disagreements",
        "note_descriptions"
    ),
    "model_registry": (
        "save_model", "active_model_version", "active_model", "model_created_at", "models", "activate_model",
        "set_setting", "setting"
    ),
    "review_page": (
        "review_queue", "source_names", "review_decision_count", "status_counts", "decision_counts_by_week",
        "accepted_since", "source_counts_since", "standing_decision", "suggested_count"
    ),
    "tuning": (
        "review_history", "queue_works", "unqueued_at_or_above", "below_threshold_pool", "queued_count",
        "stream_scores", "first_work_seen", "setting_history", "stream_months", "published_dates"
    ),
    "linking": (
        "index_titles", "work_ids_by_title", "similar_titles", "titles_of", "seen_again_after_decision",
        "unscored_among", "backfill_finished", "backfill_start", "backfill_page_done"
    ),
    "retention": ("prune_fetches", "prune_model_blobs", "fold_scores", "vacuum"),
    "submission_log": (
        "record_submission", "submitter_of", "latest_submissions", "inbox_add", "inbox_due", "inbox_read", "inbox_failed",
        "fill_placeholder"
    ),
}
_AREA_OF = {name: area for area, names in AREA_METHODS.items() for name in names}


class Store(Database):
    """Open (creating and migrating as needed) a ``candidates.db``; its queries live in the areas."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self.sources = Sources(self)
        self.works = Works(self)
        self.scores = Scores(self)
        self.decision_log = Decisions(self)
        self.catalog_entries = Catalog(self)
        self.model_registry = Models(self)
        self.review_page = ReviewPage(self)
        self.tuning = Tuning(self)
        self.linking = Linking(self, self.works)
        self.retention = Retention(self)
        self.submission_log = Submissions(self)
        self.rule_matches = RuleMatches(self)
        self.discussion = Discussion(self)
        self.scholarly = Scholarly(self)
        self._fill_parsed_dates()

    def _fill_parsed_dates(self) -> None:
        """Entries written before the date model get their parsed date once (SQL cannot parse "April 2023")."""
        if self.one("SELECT 1 FROM catalog WHERE date_iso IS NULL LIMIT 1") is not None:
            with self.transaction() as conn:
                fill_parsed_dates(conn)

    def __getattr__(self, name: str) -> Any:
        """``store.accept`` is ``store.decision_log.accept``: called only for names the store itself lacks."""
        area = self.__dict__.get(_AREA_OF.get(name, ""))
        if area is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(area, name)

"""The store: the one package that talks to ``candidates.db``.

SQLite in WAL mode with a busy timeout, so a crawl, the review page and a CLI decision can share the
file; every write is one ``BEGIN IMMEDIATE`` transaction, so a killed process leaves either all of a
step or none of it.  Decisions are appended, never rewritten (triggers in ``rsiwatch/store/schema.py`` enforce
it); ``works.status`` mirrors the latest effective decision and is updated in the same transaction.

``Store`` is one ``Database`` (``base.py``: the connection, migrations, transactions) shared by small area
objects, one per module, each holding its own queries, reached as plain typed attributes named after the
data they hold: ``store.sources``, ``store.works``,
``store.scores``, ``store.decisions``, ``store.catalog``, ``store.models`` (and settings), ``store.queue``
(the review queue and its counts), ``store.history`` (review and score history for tuning and the trend),
``store.linking``, ``store.retention``, ``store.submissions``.  No dynamic dispatch: the type checker and an
IDE see every call (``store.decisions.accept(...)``).
"""

from __future__ import annotations

from pathlib import Path

from rsiwatch.store.base import (  # noqa: F401 - the names callers import from rsiwatch.store
    ACTIONS,
    BUSY_TIMEOUT_S,
    INIT_SETTING,
    QUEUE_STATUSES,
    RETRAIN_SETTING,
    STATUS_OF_ACTION,
    THRESHOLD_SETTING,
    Database,
    IngestStats,
    QueueTotal,
    SchemaTooNew,
    SourceState,
    StoreError,
    Work,
    WorkText,
    _split_sql,
    fts_query,
    iso,
    iso_ago,
    moment,
    parse_iso,
    quiesce_writes,
    utcnow,
)
from rsiwatch.store.catalog import Catalog, ImportPlan  # noqa: F401
from rsiwatch.store.decisions import Decisions
from rsiwatch.store.discussion import QUEUE_ORDERS, Discussion  # noqa: F401
from rsiwatch.store.entries import CatalogEntry, StaleDecision, fill_parsed_dates  # noqa: F401
from rsiwatch.store.history import History
from rsiwatch.store.linking import Linking
from rsiwatch.store.models import Models
from rsiwatch.store.queue import Queue
from rsiwatch.store.retention import Retention
from rsiwatch.store.rule_matches import RuleMatches
from rsiwatch.store.scholarly import Scholarly
from rsiwatch.store.scores import Scores
from rsiwatch.store.sources import Sources
from rsiwatch.store.submissions import Submissions
from rsiwatch.store.works import Works


class Store(Database):
    """Open (creating and migrating as needed) a ``candidates.db``; its queries live in the areas."""

    sources: Sources
    works: Works
    scores: Scores
    decisions: Decisions
    catalog: Catalog
    models: Models
    queue: Queue
    history: History
    linking: Linking
    retention: Retention
    submissions: Submissions
    rule_matches: RuleMatches
    discussion: Discussion
    scholarly: Scholarly

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self.sources = Sources(self)
        self.works = Works(self)
        self.scores = Scores(self)
        self.decisions = Decisions(self)
        self.catalog = Catalog(self)
        self.models = Models(self)
        self.queue = Queue(self)
        self.history = History(self)
        self.linking = Linking(self, self.works)
        self.retention = Retention(self)
        self.submissions = Submissions(self)
        self.rule_matches = RuleMatches(self)
        self.discussion = Discussion(self)
        self.scholarly = Scholarly(self)
        self._fill_parsed_dates()

    def _fill_parsed_dates(self) -> None:
        """Entries written before the date model get their parsed date once (SQL cannot parse "April 2023")."""
        if self.one("SELECT 1 FROM catalog WHERE date_iso IS NULL LIMIT 1") is not None:
            with self.transaction() as conn:
                fill_parsed_dates(conn)


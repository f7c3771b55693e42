"""The store: the one package that talks to ``candidates.db``.

SQLite in WAL mode with a busy timeout, so a crawl, the review page and a CLI decision can share the
file; every write is one ``BEGIN IMMEDIATE`` transaction, so a killed process leaves either all of a
step or none of it.  Decisions are appended, never rewritten (triggers in ``rsiwatch/store/schema.py`` enforce
it); ``works.status`` mirrors the latest effective decision and is updated in the same transaction.

``Store`` is one connection with every query; each area's queries live in their own module (``base``
opens, migrates and runs transactions; ``sources``, ``works``, ``scores``, ``decisions``, ``catalog``,
``models``, ``review_page``, ``tuning``, ``linking``, ``retention``, ``submissions``).
"""

from __future__ import annotations

from rsiwatch.store.base import (  # noqa: F401 - the names callers import from rsiwatch.store
    ACTIONS,
    BUSY_TIMEOUT_S,
    QUEUE_STATUSES,
    RETRAIN_SETTING,
    STATUS_OF_ACTION,
    THRESHOLD_SETTING,
    IngestStats,
    SourceState,
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
from rsiwatch.store.entries import StaleDecision  # noqa: F401
from rsiwatch.store.linking import Linking
from rsiwatch.store.models import Models
from rsiwatch.store.retention import Retention
from rsiwatch.store.review_page import ReviewPage
from rsiwatch.store.scores import Scores
from rsiwatch.store.sources import Sources
from rsiwatch.store.submissions import Submissions
from rsiwatch.store.tuning import Tuning
from rsiwatch.store.works import Works


class Store(Sources, Works, Scores, Decisions, Catalog, Models, ReviewPage, Tuning, Linking, Retention, Submissions):
    """Open (creating and migrating as needed) a ``candidates.db``."""

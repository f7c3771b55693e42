"""Apply the config's ``retention`` to the store: run after each crawl, by ``rsiwatch crawl`` and the daemon."""

from __future__ import annotations

import logging

from rsiwatch.config import Retention
from rsiwatch.store import Store, iso_ago

log = logging.getLogger("rsiwatch.retention")


def prune(store: Store, retention: Retention) -> tuple[int, list[int]]:
    """Fold old fetch rows into their source's summary and drop old model blobs; (fetch rows, model versions)."""
    fetches = store.retention.prune_fetches(iso_ago(retention.fetches_s))
    models = store.retention.prune_model_blobs(retention.models)
    if fetches or models:
        log.info("retention: folded %d fetch rows into per-source summaries; dropped the blobs of models %s",
                 fetches, ", ".join(map(str, models)) or "none")
    return fetches, models
